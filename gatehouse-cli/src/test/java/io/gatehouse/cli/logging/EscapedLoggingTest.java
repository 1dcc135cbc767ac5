package io.gatehouse.cli.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EscapedLoggingTest {
    private static LoggingEvent event(LoggerContext ctx, String template, Throwable t, Object... args) {
        return new LoggingEvent(EscapedLoggingTest.class.getName(), ctx.getLogger("test"), Level.INFO, template, t, args);
    }

    @Test
    void theMessageConverterEscapesEscCrLfAndC1InArgumentsAndTemplate() {
        LoggerContext ctx = new LoggerContext();
        EscapedMessageConverter c = new EscapedMessageConverter();

        String out = c.convert(event(ctx, "request {} header {}\u2028", null,
                "/api/\u001b[31mred", "x-a\r\nFAKE LOG LINE\u0085\u009b2J"));

        assertThat(out).isEqualTo("request /api/\\x1b[31mred header x-a\\r\\nFAKE LOG LINE\\x85\\x9b2J\\u2028");
    }

    @Test
    void theThrowableConverterEscapesMessagesButKeepsOneFrameALine() {
        LoggerContext ctx = new LoggerContext();
        EscapedThrowableConverter c = new EscapedThrowableConverter();
        c.setContext(ctx);
        c.start();
        IllegalStateException e = new IllegalStateException("bad name \r\nFAKE LOG LINE",
                new RuntimeException("cause \u001b[2J"));
        e.addSuppressed(new IllegalArgumentException("suppressed \n forged"));

        String out = c.convert(event(ctx, "failed", e));
        List<String> lines = out.lines().toList();

        assertThat(lines.get(0)).isEqualTo("java.lang.IllegalStateException: bad name \\r\\nFAKE LOG LINE");
        assertThat(lines.get(1)).startsWith("\tat " + EscapedLoggingTest.class.getName() + ".theThrowableConverter");
        assertThat(lines).contains("\tSuppressed: java.lang.IllegalArgumentException: suppressed \\n forged")
                .contains("Caused by: java.lang.RuntimeException: cause \\x1b[2J");
        assertThat(lines).allMatch(l -> l.startsWith("java.lang.") || l.startsWith("\t") || l.startsWith("Caused by: "), "one frame a line");
        assertThat(out).doesNotContain("\u001b").doesNotContain("\r");
    }

    @Test
    @SuppressWarnings("unchecked")
    void throughTheShippedLogbackConfigNoArgumentWritesAnEscapeOrAForgedLine() throws Exception {
        URL config = EscapedLoggingTest.class.getResource("/logback.xml");
        assertThat(config.getPath()).contains("classes/logback.xml").doesNotContain("test-classes");
        LoggerContext ctx = new LoggerContext(); // its own, so the test's logging is left alone
        ctx.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator jc = new JoranConfigurator();
        jc.setContext(ctx);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            jc.doConfigure(config);
            // the configured console appender, with its encoder and pattern, writing here instead of to the terminal
            OutputStreamAppender<ILoggingEvent> stdout = (OutputStreamAppender<ILoggingEvent>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
            assertThat(stdout).as("%s", ctx.getStatusManager().getCopyOfStatusList()).isNotNull();
            stdout.setOutputStream(buf);
            Logger log = ctx.getLogger("io.gatehouse.proxy.Access");
            log.info("request for {} from {}", "/\u001b[31mred\u001b[0m", "x\r\nFAKE LOG LINE");
            log.warn("odd header {}", "a\u0085b\u2028c\u202e");
            log.error("reload failed", new IllegalStateException("boom\r\nFAKE LOG LINE 2", new RuntimeException("\u001b]0;title\u0007")));
        } finally {
            ctx.stop();
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        List<String> lines = text.lines().toList();

        assertThat(text).doesNotContain("\u001b").doesNotContain("\r").doesNotContain("\u0085").doesNotContain("\u2028")
                .doesNotContain("\u202e").doesNotContain("\u0007");
        assertThat(lines).noneMatch(l -> l.startsWith("FAKE"));
        assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  io\\.gatehouse\\.proxy\\.Access "
                + "request for /\\\\x1b\\[31mred\\\\x1b\\[0m from x\\\\r\\\\nFAKE LOG LINE");
        assertThat(lines.get(1)).endsWith(" WARN  io.gatehouse.proxy.Access odd header a\\x85b\\u2028c\\u202e");
        assertThat(lines.get(2)).endsWith(" ERROR io.gatehouse.proxy.Access reload failed");
        assertThat(lines.get(3)).isEqualTo("java.lang.IllegalStateException: boom\\r\\nFAKE LOG LINE 2");
        assertThat(lines.get(4)).startsWith("\tat ");
        assertThat(lines).contains("Caused by: java.lang.RuntimeException: \\x1b]0;title\\x07");
        assertThat(text).endsWith(System.lineSeparator());
    }
}
