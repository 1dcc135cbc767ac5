package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code gateway.limits.maxRequestsPerConnection} with a real client sending requests
 * concurrently on its connections (the JDK's HttpClient, HTTP/1.1 and HTTP/2): a connection
 * that reaches its limit is closed gracefully, so no request fails; the client moves to new
 * connections.
 */
class RequestLimitClientsTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(HttpClient.Version.class)
    void concurrentRequestsAcrossConnectionLimitsAllSucceed(HttpClient.Version version) throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null, "a");
             GatewayHarness gw = GatewayHarness.start(tmp, """
                     gateway:
                       listeners:
                         - port: %d
                           bind: 127.0.0.1
                       limits:
                         maxRequestsPerConnection: 7
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
                         path: svc
                         backendId: svc
                     """.formatted(port, E2e.gatewayCertificate(w), backend.port()))) {
            HttpClient client = HttpClient.newBuilder().version(version)
                    .sslContext(DownstreamMtlsTestSupport.trusting(w)).build();
            Map<String, Integer> failures = new ConcurrentHashMap<>();
            AtomicInteger ok = new AtomicInteger();
            Thread[] loops = new Thread[4];
            for (int i = 0; i < loops.length; i++) {
                loops[i] = new Thread(() -> {
                    for (int n = 0; n < 60; n++) {
                        try {
                            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                                    URI.create("https://api.gatehouse.test:" + port + "/svc/item")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
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
            for (Thread t : loops) {
                t.join(60_000);
            }
            assertThat(failures).as("failed requests").isEmpty();
            assertThat(ok.get()).isEqualTo(240);
        }
    }
}
