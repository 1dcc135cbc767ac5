package io.gatehouse.policy;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.elements.liquid.LiquidTemplate;
import io.gatehouse.policy.xml.XmlReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Documents written to break the reader rather than to configure a gateway: each must give
 * diagnostics (with file, line and column, naming the limit), never a StackOverflowError or
 * OutOfMemoryError, and quickly.
 */
class HostileDocumentsTest {
    @TempDir
    Path dir;
    private Path file;

    private Diagnostics check(String text) throws Exception {
        file = dir.resolve("hostile.xml");
        Files.writeString(file, text);
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> PolicyCheck.check(List.of(file)));
    }

    private static String liquidBody(String template) {
        return "<policies><inbound><return-response><set-body template=\"liquid\">" + template
                + "</set-body></return-response></inbound></policies>";
    }

    @Test
    void aLongLiteralInAnExpressionIsLintedWithoutRecursingPerCharacter() throws Exception {
        String prefix = "<policies><inbound><choose><when condition=\"@(context.Request.Certificate.Thumbprint == ";
        Diagnostics d = check(prefix + "&quot;" + "A".repeat(3000) + "&quot;)\"><mock-response status-code=\"200\" />"
                + "</when></choose></inbound></policies>");
        assertThat(d.all()).extracting(Diagnostic::toString).singleElement().asString()
                .isEqualTo(file + ":1:" + (prefix.length() + 1) + ": warning: \"" + "A".repeat(197) + "...\""
                        + " is not a certificate thumbprint (expected: 40 upper-case hex digits, the SHA-1 APIM shows)");
    }

    @Test
    void aLiteralFullOfEscapedQuotesIsLintedInLinearTime() throws Exception {
        // the linter alone: the expression compiler would refuse an expression this long (64 KiB)
        String doc = "<policies><inbound><set-header name=\"x\"><value>@(\"" + "\\\"".repeat(100_000)
                + "\" == context.Request.Certificate.Thumbprint)</value></set-header></inbound></policies>";
        Diagnostics d = new Diagnostics();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> PolicyLinter.lint(XmlReader.read(new SourceText("l.xml", doc), d), d));
        assertThat(d.all()).extracting(Diagnostic::toString).singleElement().asString()
                .startsWith("l.xml:1:50: warning: \"\\\"\\\"").endsWith("...\" is not a certificate thumbprint (expected: 40 upper-case hex digits, the SHA-1 APIM shows)")
                .hasSizeLessThan(400);
    }

    @Test
    void liquidBlocksNestedPastTheLimitAreRefusedOnce() throws Exception {
        String head = "<policies><inbound><return-response><set-body template=\"liquid\">";
        Diagnostics d = check(liquidBody("{% if a %}".repeat(5000) + "x" + "{% endif %}".repeat(5000)));
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(file + ":1:" + (head.length() + 1 + 10 * LiquidTemplate.MAX_NESTING)
                + ": error: {% if %} is nested too deeply: blocks may be nested at most 100 levels");
    }

    @Test
    void liquidNestingUpToTheLimitLoads() throws Exception {
        Diagnostics d = check(liquidBody("{% for i in (1..2) %}".repeat(LiquidTemplate.MAX_NESTING) + "x"
                + "{% endfor %}".repeat(LiquidTemplate.MAX_NESTING)));
        assertThat(d.all()).as(d.render()).isEmpty();
    }

    @Test
    void aLiquidConditionChainingTooManyComparisonsIsRefused() throws Exception {
        Diagnostics d = check(liquidBody("{% if a" + " and a".repeat(20_000) + " %}x{% endif %}"));
        assertThat(d.all()).extracting(Diagnostic::message)
                .contains("the condition joins more than 100 comparisons with 'and' / 'or'");
        assertThat(check(liquidBody("{% if a" + " or a".repeat(99) + " %}x{% endif %}")).all()).isEmpty();
    }

    @Test
    void liquidRangesNestedTooDeeplyAreRefused() throws Exception {
        Diagnostics d = check(liquidBody("{% for i in " + "(".repeat(20_000) + "1..2) %}x{% endfor %}"));
        assertThat(d.all()).extracting(Diagnostic::message).contains("ranges are nested more than 100 levels deep");
    }

    @Test
    void deeplyNestedChooseGivesOneErrorAndAShortReport() throws Exception {
        String open = "<choose><when condition=\"@(true)\">";
        Diagnostics d = check("<policies><inbound>" + open.repeat(4000) + "</when></choose>".repeat(4000) + "</inbound></policies>");
        String report = d.render();
        int column = "<policies><inbound>".length() + open.length() * (XmlReader.MAX_DEPTH / 2 - 1) + 1; // <choose> at depth 100
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(file + ":1:" + column
                + ": error: elements are nested too deeply (more than " + XmlReader.MAX_DEPTH + " levels): the rest of the document is skipped");
        assertThat(report.length()).isLessThan(20_000);
    }

    @Test
    void twentyThousandNestedChooseAreRefusedBySize() throws Exception {
        String open = "<choose><when condition=\"@(true)\">";
        Diagnostics d = check("<policies><inbound>" + open.repeat(20_000) + "</when></choose>".repeat(20_000) + "</inbound></policies>");
        assertThat(d.all()).extracting(Diagnostic::message).containsExactly("the policy document is 1000040 bytes: at most 262144 bytes"
                + " (256 KiB, APIM's limit on a policy document) are read");
        assertThat(d.render().length()).isLessThan(1000);
    }

    @Test
    void aDocumentOverAPIMsSizeLimitIsRefusedUnread() throws Exception {
        Diagnostics d = check("<policies><inbound>" + "<set-header name=\"x\" exists-action=\"append\"><value>v</value></set-header>".repeat(4000)
                + "</inbound></policies>");
        String report = d.render();
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(file + ":1:1: error: the policy document is 292040 bytes:"
                + " at most 262144 bytes (256 KiB, APIM's limit on a policy document) are read");
        assertThat(report.length()).isLessThan(1000);
    }

    @Test
    void liquidIndexesNestedTooDeeplyAreRefused() throws Exception {
        String head = "<policies><inbound><return-response><set-body template=\"liquid\">{{ ";
        Diagnostics d = check(liquidBody("{{ " + "a[".repeat(5000) + "0" + "]".repeat(5000) + " }}"));
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(file + ":1:" + (head.length() + 2 * LiquidTemplate.MAX_NESTING + 2)
                + ": error: indexes [...] are nested more than 100 levels deep");
        assertThat(check(liquidBody("{{ " + "a[".repeat(50) + "0" + "]".repeat(50) + " }}")).all()).isEmpty();
    }

    @Test
    void longFlatLiquidIsReadInLoops() throws Exception {
        for (String template : List.of("{{ a" + ".b".repeat(20_000) + " }}", "{% case a %}" + "{% when 1 %}x".repeat(10_000) + "{% endcase %}",
                "{% if a %}x" + "{% elsif a %}x".repeat(10_000) + "{% endif %}", "{{ a" + " | Upcase".repeat(20_000) + " }}")) {
            Diagnostics d = check(liquidBody(template));
            assertThat(d.all()).as(template.substring(0, 30)).isEmpty();
        }
    }
}
