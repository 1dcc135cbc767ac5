package io.gatehouse.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DiagnosticsTest {
    @Test
    void aLongLineShowsOnlyTheExcerptAroundTheColumnWithTheCaretInPlace() {
        String line = "a".repeat(10_000) + "X" + "b".repeat(10_000);
        Diagnostic d = Diagnostic.error("f.xml", 1, 10_001, "here");

        String[] rendered = d.render(new SourceText("f.xml", line)).split("\n");

        assertThat(rendered[0]).isEqualTo("f.xml:1:10001: error: here");
        assertThat(rendered[1]).hasSize(2 + 3 + Diagnostic.MAX_EXCERPT + 3).startsWith("  ...a").endsWith("b...");
        assertThat(rendered[1].charAt(rendered[2].length() - 1)).isEqualTo('X');
        assertThat(rendered[2].strip()).isEqualTo("^");
    }

    @Test
    void aShortLineIsShownWhole() {
        String rendered = Diagnostic.warning("f.xml", 1, 3, "w").render(new SourceText("f.xml", "abcdef"));
        assertThat(rendered).isEqualTo("f.xml:1:3: warning: w\n  abcdef\n    ^");
    }

    @Test
    void manyDiagnosticsAreCollectedQuicklyAndRepeatsOnce() {
        Diagnostics d = new Diagnostics();
        for (int i = 0; i < 100_000; i++) {
            d.error("f.xml", 1 + i, 1, "unknown policy 'x'");
            d.error("f.xml", 1 + i, 1, "unknown policy 'x'");
        }
        assertThat(d.all()).hasSize(100_000);
    }

    @Test
    void internalErrorsNameTheFileAndTheFailure() {
        Diagnostics d = new Diagnostics();
        d.internalError("policies/api.xml", new StackOverflowError());
        d.internalError("policies/op.xml", new IllegalStateException("boom"));
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(
                "policies/api.xml: error: internal error while loading policies/api.xml: StackOverflowError (the document nests"
                        + " or chains too deeply for the reader); the document was not loaded (please report this)",
                "policies/op.xml: error: internal error while loading policies/op.xml: IllegalStateException: boom;"
                        + " the document was not loaded (please report this)");
        assertThatThrownBy(() -> d.internalError("x.xml", new InternalError("jvm"))).isInstanceOf(InternalError.class);
    }

    @Test
    void aCaretAfterAReplacedSpanMovesWithTheShownText() {
        // the file has "password: hunter2hunter2, port: x"; the text shown masks the 14-character secret
        SourceText shown = new SourceText("c.yaml", "password: ******, port: x",
                java.util.List.of(new SourceText.Replacement(1, 11, 14, 6)));

        assertThat(shown.shownColumn(1, 33)).isEqualTo(25);
        assertThat(shown.shownColumn(1, 15)).isEqualTo(11);
        assertThat(shown.shownColumn(1, 5)).isEqualTo(5);
        assertThat(shown.shownColumn(2, 33)).isEqualTo(33);
        assertThat(Diagnostic.error("c.yaml", 1, 33, "bad port").render(shown))
                .isEqualTo("c.yaml:1:33: error: bad port\n  password: ******, port: x\n                          ^");
    }

    @Test
    void controlCharactersInTheMessageAndTheLineAreShownEscapedWithTheCaretInPlace() {
        SourceText src = new SourceText("p.xml", "<x a=\"\u001b[31m\" b=\"\"/>\r\n");
        String rendered = Diagnostic.error("p.xml", 1, 14, "unknown attribute 'b\u001b[0m\rFAKE'").render(src);

        assertThat(rendered).isEqualTo("p.xml:1:14: error: unknown attribute 'b\\x1b[0m\\rFAKE'\n"
                + "  <x a=\"\\x1b[31m\" b=\"\"/>\n"
                + "  " + " ".repeat("<x a=\"\\x1b[31m\" ".length()) + "^"); // under the b
    }
}
