package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reloads swap the config atomically under traffic; a broken config is refused and the old one serves on. */
class ReloadTest {
    @TempDir
    Path tmp;

    private static String config(TestWorld w, int port, int backendPort, String apiPath) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s
                backends:
                  - id: svc
                    url: http://127.0.0.1:%d
                apis:
                  - id: svc
                    path: %s
                    backendId: svc
                """.formatted(port, E2e.gatewayCertificate(w), backendPort, apiPath);
    }

    @Test
    void configSwappedUnderTrafficLosesNoRequest() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        try (TestBackend a = new TestBackend(null, "a"); TestBackend b = new TestBackend(null, "b");
             GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, a.port(), "svc"))) {
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger ok = new AtomicInteger();
            ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
            ConcurrentHashMap<String, AtomicInteger> byBackend = new ConcurrentHashMap<>();
            Thread[] loops = new Thread[3];
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new Thread(() -> {
                    int n = 0;
                    while (running.get() && n++ < 20_000) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                                    URI.create("https://api.gatehouse.test:" + port + "/svc/item")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                                String which = r.body().contains("\"backend\": \"a\"") ? "a" : "b";
                                byBackend.computeIfAbsent(which, k -> new AtomicInteger()).incrementAndGet();
                            } else {
                                failures.merge("status " + r.statusCode(), 1, Integer::sum);
                            }
                        } catch (Exception e) {
                            failures.merge(e.toString(), 1, Integer::sum);
                        }
                    }
                });
                loops[i].start();
            }
            for (int i = 0; i < 10; i++) {
                Thread.sleep(150);
                ConfigResult r = gw.reload(config(w, port, (i % 2 == 0 ? b : a).port(), "svc"));
                assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
            }
            Thread.sleep(150);
            running.set(false);
            for (Thread t : loops) {
                t.join(10_000);
            }
            assertThat(failures).as("failed requests during reloads").isEmpty();
            assertThat(ok.get()).isGreaterThan(50);
            assertThat(byBackend.keySet()).containsExactlyInAnyOrder("a", "b");
            assertThat(gw.gateway.generation()).isEqualTo(11);
        }
    }

    @Test
    void brokenConfigIsRefusedAndTheRunningOneKeepsServing() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        try (TestBackend a = new TestBackend(null, "a");
             GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, a.port(), "svc"))) {
            String broken = config(w, port, a.port(), "svc").replace("backendId: svc", "backendId: nowhere");
            ConfigResult r = gw.reload(broken);
            assertThat(r.config()).isNull();
            assertThat(r.diagnostics().render()).contains("gatehouse.yaml:").contains("nowhere");
            assertThat(gw.gateway.generation()).isEqualTo(1);
            HttpClient client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            HttpResponse<String> resp = client.send(HttpRequest.newBuilder(
                    URI.create("https://api.gatehouse.test:" + port + "/svc/x")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(200);
        }
    }
}
