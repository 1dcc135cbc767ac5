package io.gatehouse.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {
    @Test
    void escapesTerminalControlsAndLineBreaks() {
        assertThat(LogText.escape("/api/\u001b[31mred\u001b[0m")).isEqualTo("/api/\\x1b[31mred\\x1b[0m");
        assertThat(LogText.escape("x\r\n2026-12-07T06:00:00.000Z INFO  gatehouse forged")).isEqualTo("x\\r\\n2026-12-07T06:00:00.000Z INFO  gatehouse forged");
        assertThat(LogText.escape("a\tb\u0000c\u007f")).isEqualTo("a\\tb\\x00c\\x7f");
        assertThat(LogText.escape("c1 \u0085 \u009b")).isEqualTo("c1 \\x85 \\x9b");
        assertThat(LogText.escape("ls\u2028ps\u2029")).isEqualTo("ls\\u2028ps\\u2029");
        assertThat(LogText.escape("\u202egnp.exe \u2066x\u2069 \u200f")).isEqualTo("\\u202egnp.exe \\u2066x\\u2069 \\u200f");
    }

    @Test
    void leavesPrintableTextAloneIncludingLettersBeyondLatin1() {
        String text = "GET /patients/42?q=é ü 日本 C:\\temp \u00a0";
        assertThat(LogText.escape(text)).isSameAs(text);
        assertThat(LogText.escape(null)).isNull();
    }
}
