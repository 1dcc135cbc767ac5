package io.gatehouse.policy;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.policy.spi.PolicyRegistry;
import io.gatehouse.policy.spi.PolicyType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Named values are substituted as APIM substitutes them, as text before the document is read, so
 * an attribute that needs a number or a URL takes one from a named value; without a config an
 * unknown name is a placeholder; secrets never reach a message; and a checker failure on one
 * element is a diagnostic naming it, never a crash.
 */
class NamedValueSubstitutionTest {
    /** The three shapes the issue found in public documents, a JWT audience, and a name used twice. */
    private static final String DOCUMENT = """
            <policies>
              <inbound>
                <base />
                <send-request mode="new" response-variable-name="token" timeout="{{bff-timeout}}" ignore-error="false">
                  <set-url>{{BaseUrl}}/oauth/token</set-url>
                  <set-method>POST</set-method>
                </send-request>
                <validate-jwt header-name="Authorization" failed-validation-httpcode="401">
                  <openid-config url="{{BaseUrl}}/.well-known/openid-configuration" />
                  <audiences><audience>{{audience}}</audience></audiences>
                </validate-jwt>
                <set-backend-service base-url="{{BaseUrl}}/api/v2" />
              </inbound>
              <outbound>
                <base />
                <cache-store duration="{{cachetime}}" />
              </outbound>
            </policies>
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void withoutAConfigEachUnknownNameIsOnePlaceholderWarningAndNoError() throws IOException {
        Path p = write("api.xml", DOCUMENT);
        Diagnostics d = PolicyCheck.check(List.of(p));
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        assertThat(d.all()).extracting(x -> x.message().replaceFirst(":.*", "") + " at " + x.line() + ":" + x.column())
                .containsExactlyInAnyOrder(
                        "unknown named value 'bff-timeout' at 4:70",
                        "unknown named value 'BaseUrl' at 5:16",
                        "unknown named value 'audience' at 10:28",
                        "unknown named value 'cachetime' at 16:28");
    }

    @Test
    void withTheConfigsValuesTheDocumentReadsThemAndIsClean() throws IOException {
        Path p = write("api.xml", DOCUMENT);
        Diagnostics d = PolicyCheck.check(List.of(p), PolicyEnvironment.builder()
                .namedValue("bff-timeout", "20").namedValue("BaseUrl", "https://idp.example.org")
                .namedValue("audience", "api://gatehouse").namedValue("cachetime", "300"), new Diagnostics());
        assertThat(d.all()).as(d.render()).isEmpty();
    }

    @Test
    void aValueThatDoesNotFitIsReportedWhereTheNameIsWrittenAndShownAsWritten() throws IOException {
        Path p = write("api.xml", DOCUMENT);
        Diagnostics d = PolicyCheck.check(List.of(p), PolicyEnvironment.builder()
                .namedValue("bff-timeout", "soon").namedValue("BaseUrl", "idp.example.org")
                .namedValue("audience", "api://gatehouse").namedValue("cachetime", "300"), new Diagnostics());
        // positions are the document's as written; values are shown as written ({{name}}), except
        // where the message is about what the name stood for (the URL built from it)
        assertThat(d.all()).filteredOn(Diagnostic::isError).extracting(Diagnostic::toString).containsExactly(
                p + ":4:61: error: attribute 'timeout' on <send-request>: '{{bff-timeout}}' (expected: a whole number 1-86400)",
                p + ":9:22: error: attribute 'url' on <openid-config>: 'idp.example.org/.well-known/openid-configuration' (expected: an absolute https URL)",
                p + ":12:26: error: base-url '{{BaseUrl}}/api/v2' is not an absolute http(s) URL");
    }

    @Test
    void anUnknownNameWithAConfigIsAnErrorWithASuggestion() throws IOException {
        Path p = write("api.xml", "<policies><inbound><set-header name=\"x\"><value>{{tenant-idd}}</value></set-header></inbound></policies>");
        Diagnostics d = PolicyCheck.check(List.of(p), PolicyEnvironment.builder().namedValue("tenant-id", "t1"), new Diagnostics());
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(
                p + ":1:48: error: unknown named value 'tenant-idd' (did you mean 'tenant-id'?)");
    }

    @Test
    void namedValuesAreSubstitutedInsideExpressionsToo() {
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().namedValue("header", "X-Tenant").build());
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = engine.parse(new io.gatehouse.common.SourceText("e.xml", """
                <policies><inbound>
                  <set-variable name="t" value="@(context.Request.Headers.GetValueOrDefault(&quot;{{header}}&quot;, &quot;none&quot;))" />
                </inbound></policies>"""), Scope.API, d);
        assertThat(d.all()).as(d.render()).isEmpty();
        assertThat(doc.expressions()).extracting(e -> e.source()).singleElement().asString().contains("\"X-Tenant\"");
    }

    @Test
    void withoutAConfigTheCodeAroundAPlaceholderIsStillChecked() throws IOException {
        Path p = write("around.xml", """
                <policies><inbound>
                  <set-header name="a" exists-action="override"><value>@(context.Request.Headerz.GetValueOrDefault("{{header}}", ""))</value></set-header>
                  <set-header name="b" exists-action="override"><value>@({{count}}.ToString())</value></set-header>
                  <set-header name="c" exists-action="override"><value>@(new System.Random().Next(1,100) &lt;= {{weight}} ? "x" : "y")</value></set-header>
                </inbound></policies>""");
        Diagnostics d = PolicyCheck.check(List.of(p));
        // the misspelt member around a placeholder in a string is an error; a placeholder used as
        // code (its value decides whether it compiles) is not
        assertThat(d.all()).filteredOn(Diagnostic::isError).extracting(Diagnostic::message).singleElement().asString()
                .contains("Headerz");
    }

    @Test
    void errorsInsideAnExpressionPointAtTheDocumentAsWrittenAfterEntitiesAndNamedValues() {
        String line2 = "  <set-variable name=\"a\" value=\"@(1 &lt; 2 &amp;&amp; context.Nope)\" />";
        String line3 = "  <set-variable name=\"b\" value=\"@(&quot;{{tenant}}&quot;.Nope())\" />";
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
                .namedValue("tenant", "a-value-much-longer-than-its-name").build());
        Diagnostics d = new Diagnostics();
        engine.parse(new io.gatehouse.common.SourceText("p.xml", "<policies><inbound>\n" + line2 + "\n" + line3
                + "\n</inbound></policies>"), Scope.API, d);
        assertThat(d.all()).filteredOn(Diagnostic::isError).extracting(x -> x.line() + ":" + x.column()).containsExactly(
                "2:" + (line2.indexOf("Nope") + 1), "3:" + (line3.indexOf("Nope") + 1));
    }

    @Test
    void aSecretNamedValueNeverReachesAMessage() throws IOException {
        Path p = write("api.xml", """
                <policies><inbound>
                  <send-request mode="new" response-variable-name="r" timeout="{{password}}"><set-url>https://a.example/{{password}}</set-url></send-request>
                  <set-variable name="v" value="@(&quot;{{password}}&quot;.Nope())" />
                </inbound></policies>""");
        Diagnostics d = PolicyCheck.check(List.of(p), PolicyEnvironment.builder().secretNamedValue("password", "hunter2-not-a-number"),
                new Diagnostics());
        assertThat(d.hasErrors()).as(d.render()).isTrue();
        assertThat(d.render()).doesNotContain("hunter2");
        assertThat(d.all()).extracting(Diagnostic::message).noneMatch(m -> m.contains("hunter2"));
    }

    @Test
    void anElementWhoseCompileFailsIsADiagnosticNamingItAndTheOtherFilesAreStillChecked() throws IOException {
        PolicyType boom = new PolicyType("boom", PolicyType.ALL, (e, ctx) -> {
            throw new IllegalStateException("checker bug");
        });
        Path broken = write("broken.xml", "<policies><inbound>\n  <boom />\n</inbound></policies>");
        Path other = write("other.xml", "<policies><inbound><set-headr name=\"a\" /></inbound></policies>");
        Diagnostics d = PolicyCheck.check(List.of(broken, other),
                PolicyEnvironment.builder().registry(PolicyRegistry.builtIn().with(boom)), new Diagnostics());
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(
                broken + ":2:3: error: internal error while reading <boom>: IllegalStateException (checker bug); the policy was not loaded (please report this)",
                other + ":1:20: error: unknown policy 'set-headr' (did you mean 'set-header'?)");
    }
}
