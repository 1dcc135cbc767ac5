package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics that explain: request and backend latency histograms by API, operation and status
 * class (relay and policy routes), open connections by hostname, reloads by outcome with the time
 * of the last good one, and {@code /health} naming a refused reload while the old config serves.
 */
class MetricsThatExplainTest {
    @TempDir
    Path tmp;

    private static String config(TestWorld w, int port, int admin, int backend, Path policy) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s
                backends:
                  - id: svc
                    url: http://127.0.0.1:%d
                apis:
                  - id: relay
                    path: relay
                    backendId: svc
                  - id: guarded
                    path: guarded
                    backendId: svc
                    policy: %s
                """.formatted(port, admin, E2e.gatewayCertificate(w), backend, policy);
    }

    @Test
    void latencyByStatusClassConnectionsByHostnameAndReloadOutcomes() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        Path policy = tmp.resolve("guarded.xml");
        GatewayHarness.write(policy, """
                <policies>
                  <inbound>
                    <choose>
                      <when condition="@(context.Request.Url.Path.EndsWith("/deny"))">
                        <return-response><set-status code="403" reason="Forbidden" /></return-response>
                      </when>
                    </choose>
                  </inbound>
                  <backend><forward-request timeout="10" /></backend>
                  <outbound><set-header name="x-seen" exists-action="override"><value>yes</value></set-header></outbound>
                </policies>
                """);
        int port = Ports.free();
        int admin = Ports.free();
        try (TestBackend backend = new TestBackend(null, "svc");
                GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, admin, backend.port(), policy))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            for (String path : new String[] {"/relay/a", "/relay/b", "/guarded/c", "/guarded/deny"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("https://api.gatehouse.test:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(path.endsWith("deny") ? 403 : 200);
            }
            String m = get(admin, "/metrics");
            assertThat(value(m, "gatehouse_request_duration_seconds_count{api=\"relay\",operation=\"\",status_class=\"2xx\"}"))
                    .isEqualTo(2);
            assertThat(value(m, "gatehouse_request_duration_seconds_count{api=\"guarded\",operation=\"\",status_class=\"4xx\"}"))
                    .isEqualTo(1);
            assertThat(m).contains("gatehouse_request_duration_seconds_bucket{api=\"relay\",operation=\"\",status_class=\"2xx\",le=\"0.005\"}")
                    .contains("le=\"30.0\"");
            // the backend answered three times: twice relayed, once through forward-request; the 403 never reached it
            assertThat(value(m, "gatehouse_backend_duration_seconds_count{api=\"relay\",operation=\"\",status_class=\"2xx\"}"))
                    .isEqualTo(2);
            assertThat(value(m, "gatehouse_backend_duration_seconds_count{api=\"guarded\",operation=\"\",status_class=\"2xx\"}"))
                    .isEqualTo(1);
            assertThat(m).doesNotContain("gatehouse_backend_duration_seconds_count{api=\"guarded\",operation=\"\",status_class=\"4xx\"}");
            // the client's keep-alive connection is open, for the hostname its SNI chose
            assertThat(value(m, "gatehouse_hostname_connections_open{hostname=\"api.gatehouse.test\"}")).isEqualTo(1);
            assertThat(value(m, "gatehouse_config_last_success_timestamp_seconds"))
                    .isBetween(System.currentTimeMillis() / 1000.0 - 60, System.currentTimeMillis() / 1000.0 + 1);

            JsonNode health = new ObjectMapper().readTree(get(admin, "/health"));
            assertThat(health.path("status").asText()).isEqualTo("serving");
            assertThat(health.has("lastReload")).isFalse();
            gw.reload(config(w, port, admin, backend.port(), policy));
            gw.gateway.reloadRefused("1 error; the first: gatehouse.yaml:12:5: error: unknown key 'bakcends'");
            m = get(admin, "/metrics");
            assertThat(value(m, "gatehouse_config_reloads_total{outcome=\"ok\"}")).isEqualTo(1);
            assertThat(value(m, "gatehouse_config_reloads_total{outcome=\"refused\"}")).isEqualTo(1);
            health = new ObjectMapper().readTree(get(admin, "/health"));
            assertThat(health.path("configGeneration").asInt()).isEqualTo(2);
            assertThat(health.path("lastReload").path("outcome").asText()).isEqualTo("refused");
            assertThat(health.path("lastReload").path("reason").asText()).contains("gatehouse.yaml:12:5");
            assertThat(health.path("configLoadedAt").asText()).isNotEqualTo("null");
            assertThat(health.path("configHash").asText()).matches("sha256:[0-9a-f]{64}").isEqualTo(gw.gateway.configHash());
            assertThat(health.path("reloads").path("ok").asLong()).isEqualTo(1);
            assertThat(health.path("reloads").path("refused").asLong()).isEqualTo(1);
        }
    }

    private static double value(String scrape, String series) {
        Matcher mt = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
        assertThat(mt.find()).as("series %s in\n%s", series, scrape).isTrue();
        return Double.parseDouble(mt.group(1));
    }

    private static String get(int admin, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + admin + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }
}
