package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import static io.gatehouse.policy.elements.Policies.compile;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static org.assertj.core.api.Assertions.assertThat;

/** redirect-content-urls: backend links in the response become gateway links, and the reverse for requests. */
class RedirectContentUrlsTest {
    private static PolicyContext call(String url) {
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(Url.parse(url));
        c.api(new ApiInfo("patients", "Patients", "patients", Url.parse("https://patients.internal:8443/api/v1"), ""));
        return c;
    }

    private static Forwarder answering(String body, String contentType) {
        return (x, s) -> {
            x.context().response().statusCode(200).body(new MessageBody(body.getBytes(StandardCharsets.UTF_8), contentType));
            x.context().response().headers().set("Location", "https://patients.internal:8443/api/v1/patients/9");
            return CompletableFuture.completedFuture(null);
        };
    }

    /** APIM's documented example: in outbound, links to the backend in the body point at the gateway. */
    @Test
    void apimExampleRewritesBackendLinksInTheResponseBody() {
        EffectivePolicy p = compile("<policies><inbound /><backend><forward-request/></backend><outbound><redirect-content-urls /></outbound></policies>");
        PolicyContext c = call("https://gw.contoso.com/patients/list");
        Harness.run(p, c, answering("""
                {"self": "https://patients.internal:8443/api/v1/patients/9",
                 "next": "HTTPS://PATIENTS.INTERNAL:8443/api/v1/patients?page=2",
                 "other": "https://patients.internal:8443/api/v10/x",
                 "root": "https://patients.internal:8443/api/v1"}""", "application/json; charset=utf-8"));
        assertThat(Harness.body(c)).isEqualTo("""
                {"self": "https://gw.contoso.com/patients/patients/9",
                 "next": "https://gw.contoso.com/patients/patients?page=2",
                 "other": "https://patients.internal:8443/api/v10/x",
                 "root": "https://gw.contoso.com/patients"}""");
        assertThat(c.response().headers().getValueOrDefault("Location", null)).as("headers are left alone, as APIM documents")
                .isEqualTo("https://patients.internal:8443/api/v1/patients/9");
        assertThat(p.readsResponseBody()).isTrue();
    }

    @Test
    void inInboundRewritesGatewayLinksInTheRequestBodyToTheBackend() {
        EffectivePolicy p = compile("<policies><inbound><redirect-content-urls /></inbound><backend><forward-request/></backend></policies>");
        PolicyContext c = call("https://gw.contoso.com:9443/patients/x");
        c.request().body(MessageBody.ofString("<link href=\"https://gw.contoso.com:9443/patients/a\"/>", "application/xml"));
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(new String(c.request().body().bytes(), StandardCharsets.UTF_8))
                .isEqualTo("<link href=\"https://patients.internal:8443/api/v1/a\"/>");
        assertThat(p.readsRequestBody()).isTrue();
    }

    @Test
    void usesTheBaseUrlSetByASetBackendServiceAndLeavesBinaryBodiesAlone() {
        EffectivePolicy p = compile("<policies><inbound><set-backend-service base-url=\"https://other.internal/v2/\" /></inbound>"
                + "<backend><forward-request/></backend><outbound><redirect-content-urls /></outbound></policies>");
        PolicyContext c = call("https://gw.contoso.com/patients/x");
        Harness.run(p, c, answering("see https://other.internal/v2/doc", "text/plain"));
        assertThat(Harness.body(c)).isEqualTo("see https://gw.contoso.com/patients/doc");

        PolicyContext bin = call("https://gw.contoso.com/patients/x");
        Harness.run(p, bin, answering("see https://other.internal/v2/doc", "application/octet-stream"));
        assertThat(Harness.body(bin)).isEqualTo("see https://other.internal/v2/doc");
    }

    @Test
    void reportsAttributesContentAndWrongSections() {
        assertThat(inboundDiagnostics("<redirect-content-urls mode=\"all\">x</redirect-content-urls>"))
                .containsExactly(
                        "p.xml:1:43: error: unknown attribute 'mode' on <redirect-content-urls>",
                        "p.xml:1:54: error: <redirect-content-urls> takes no text, found 'x'");
        assertThat(Policies.diagnostics("<policies><backend><redirect-content-urls /></backend></policies>"))
                .containsExactly("p.xml:1:20: error: policy 'redirect-content-urls' is not allowed in the backend section (allowed in: inbound, outbound)");
    }
}
