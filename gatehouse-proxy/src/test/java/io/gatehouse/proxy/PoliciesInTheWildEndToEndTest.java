package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * APIM documents as they are in the wild, through a running gateway with the JDK HttpClient and a
 * real backend: named values substituted before the document is read (a number, a URL, a header
 * value, inside an expression), and {@code gateway.unsupportedPolicies: skip} loading an
 * Azure-only policy as a counted no-op; without it, the same config does not load and says why.
 */
class PoliciesInTheWildEndToEndTest {
    @TempDir
    Path tmp;

    private static String config(int port, int admin, int backend, String unsupported) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                  admin:
                    port: %d
                  accessLog:
                    format: "off"
                %s
                namedValues:
                  - name: BaseUrl
                    value: http://127.0.0.1:%d
                  - name: bff-timeout
                    value: "20"
                  - name: tenant
                    value: north-clinic
                  - name: shared-key
                    value: k-0123456789abcdef
                    secret: true
                apis:
                  - id: wild
                    path: wild
                    serviceUrl: http://127.0.0.1:9
                    policy: wild.xml
                """.formatted(port, admin, unsupported, backend);
    }

    @Test
    void namedValuesFillNumbersUrlsAndExpressionsAndSkippedPoliciesAreCounted() throws Exception {
        GatewayHarness.write(tmp.resolve("wild.xml"), """
                <policies>
                  <inbound>
                    <set-backend-service base-url="{{BaseUrl}}/from-named-value" />
                    <set-header name="x-tenant" exists-action="override"><value>{{tenant}}</value></set-header>
                    <set-header name="x-tenant-upper" exists-action="override"><value>@("{{tenant}}".ToUpper())</value></set-header>
                    <set-header name="x-key-length" exists-action="override"><value>@("{{shared-key}}".Length.ToString())</value></set-header>
                    <log-to-eventhub logger-id="audit">@(context.Request.Url.Path)</log-to-eventhub>
                  </inbound>
                  <backend><forward-request timeout="{{bff-timeout}}" /></backend>
                </policies>
                """);
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend()) {
            // without the switch, the Azure-only policy is a load error that says why
            Path file = tmp.resolve("gatehouse.yaml");
            GatewayHarness.write(file, config(port, admin, backend.port(), ""));
            ConfigResult refused = io.gatehouse.config.ConfigLoader.load(file);
            assertThat(refused.config()).isNull();
            assertThat(refused.diagnostics().render()).contains("wild.xml:7:5: error: policy 'log-to-eventhub' is not supported:"
                    + " it sends to Azure Event Hubs");

            try (GatewayHarness gw = GatewayHarness.start(tmp, config(port, admin, backend.port(), "  unsupportedPolicies: skip"))) {
                HttpClient client = HttpClient.newHttpClient();
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/wild/x"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                }
                assertThat(backend.requests).hasSize(3);
                RecordingBackend.Request seen = backend.requests.get(2);
                assertThat(seen.target()).isEqualTo("/from-named-value/x");
                assertThat(seen.header("x-tenant")).isEqualTo("north-clinic");
                assertThat(seen.header("x-tenant-upper")).isEqualTo("NORTH-CLINIC");
                assertThat(seen.header("x-key-length")).isEqualTo("18");
                String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("gatehouse_policy_skipped_total{policy=\"log-to-eventhub\"} 3.0")
                        .doesNotContain("k-0123456789abcdef");
            }
        }
    }
}
