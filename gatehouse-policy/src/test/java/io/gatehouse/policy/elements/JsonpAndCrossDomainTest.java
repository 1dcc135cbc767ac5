package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.Scope;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static io.gatehouse.policy.elements.Policies.ENGINE;
import static io.gatehouse.policy.elements.Policies.compile;
import static io.gatehouse.policy.elements.Policies.diagnostics;
import static org.assertj.core.api.Assertions.assertThat;

/** jsonp and cross-domain. */
class JsonpAndCrossDomainTest {
    private static final Forwarder JSON = (x, s) -> {
        x.context().response().statusCode(200).body(MessageBody.ofString("{\"a\":1}", "application/json"));
        x.context().response().headers().set("Content-Type", "application/json");
        return CompletableFuture.completedFuture(null);
    };

    private static PolicyContext get(String url) {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse(url));
        return c;
    }

    /** APIM's documented example: with ?cb=XYZ the JSON is wrapped in XYZ(...); without it, plain JSON. */
    @Test
    void apimExampleWrapsJsonInTheCallbackOnlyWhenAsked() {
        EffectivePolicy p = compile("<policies><inbound /><backend><forward-request/></backend><outbound><jsonp callback-parameter-name=\"cb\" /></outbound></policies>");
        PolicyContext wrapped = get("https://gw.local/x?cb=XYZ");
        Harness.run(p, wrapped, JSON);
        assertThat(Harness.body(wrapped)).isEqualTo("XYZ({\"a\":1});");
        assertThat(wrapped.response().headers().getValueOrDefault("Content-Type", null)).isEqualTo("application/javascript; charset=utf-8");
        assertThat(p.readsResponseBody()).isTrue();

        PolicyContext plain = get("https://gw.local/x");
        Harness.run(p, plain, JSON);
        assertThat(Harness.body(plain)).isEqualTo("{\"a\":1}");
        assertThat(plain.response().headers().getValueOrDefault("Content-Type", null)).isEqualTo("application/json");
    }

    @Test
    void aCallbackThatIsNotAJavaScriptNameIsNotWrapped() {
        EffectivePolicy p = compile("<policies><inbound /><backend><forward-request/></backend><outbound><jsonp callback-parameter-name=\"@(&quot;callback&quot;)\" /></outbound></policies>");
        PolicyContext dotted = get("https://gw.local/x?callback=app.handlers.done");
        Harness.run(p, dotted, JSON);
        assertThat(Harness.body(dotted)).isEqualTo("app.handlers.done({\"a\":1});");
        PolicyContext evil = get("https://gw.local/x?callback=alert(document.cookie)//");
        Harness.run(p, evil, JSON);
        assertThat(Harness.body(evil)).isEqualTo("{\"a\":1}");
    }

    /** APIM's documented example, at global scope: /crossdomain.xml is answered by the gateway. */
    @Test
    void apimCrossDomainExampleAnswersCrossdomainXml() {
        Diagnostics d = new Diagnostics();
        PolicyDocument global = ENGINE.parse(new SourceText("global.xml", """
                <policies><inbound>
                <cross-domain>
                    <cross-domain-policy>
                        <allow-http-request-headers-from domain='*' headers='*' />
                    </cross-domain-policy>
                </cross-domain>
                </inbound><backend><forward-request/></backend></policies>"""), Scope.GLOBAL, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        EffectivePolicy p = ENGINE.compose(global, null, null, d);
        PolicyContext c = get("https://gw.local/crossdomain.xml");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().headers().getValueOrDefault("Content-Type", null)).isEqualTo("text/x-cross-domain-policy");
        assertThat(Harness.body(c)).startsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<cross-domain-policy>")
                .contains("<allow-http-request-headers-from domain=\"*\" headers=\"*\" />").endsWith("</cross-domain-policy>");

        PolicyContext other = get("https://gw.local/api/x");
        Harness.run(p, other, f);
        assertThat(f.calls.get()).as("other paths go to the backend").isEqualTo(1);
    }

    @Test
    void reportsMissingCallbackAndCrossDomainOutsideGlobalScope() {
        assertThat(diagnostics("<policies><outbound><jsonp callback=\"cb\" /></outbound></policies>")).containsExactly(
                "p.xml:1:28: error: unknown attribute 'callback' on <jsonp>; expected one of: callback-parameter-name",
                "p.xml:1:21: error: <jsonp> is missing the required attribute 'callback-parameter-name'");
        assertThat(diagnostics("<policies><inbound><cross-domain><cross-domain-policy /></cross-domain><cross-domain /></inbound></policies>")).containsExactly(
                "p.xml:1:20: error: <cross-domain> is allowed only in the global policy (it answers /crossdomain.xml for the whole gateway); found at api scope",
                "p.xml:1:72: error: <cross-domain> is allowed only in the global policy (it answers /crossdomain.xml for the whole gateway); found at api scope",
                "p.xml:1:72: error: <cross-domain> needs exactly one <cross-domain-policy> (Flash) or <access-policy> (Silverlight), found 0");
    }
}
