package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The startup line names listeners as URLs a user can paste: https://0.0.0.0:8443, http://127.0.0.1:9100. */
class ListenerNamesTest {
    @TempDir
    java.nio.file.Path tmp;

    @Test
    void addressesReadAsUrls() {
        assertThat(Gateway.url("https", new InetSocketAddress("0.0.0.0", 8443))).isEqualTo("https://0.0.0.0:8443");
        assertThat(Gateway.url("https", new InetSocketAddress("::", 8443))).isEqualTo("https://0.0.0.0:8443");
        assertThat(Gateway.url("http", new InetSocketAddress("127.0.0.1", 9100))).isEqualTo("http://127.0.0.1:9100");
        assertThat(Gateway.url("https", new InetSocketAddress("::1", 443))).isEqualTo("https://[0:0:0:0:0:0:0:1]:443");
    }

    @Test
    void theStartupLineNamesEveryListenerAndTheAdminPort() {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        int admin = Ports.free();
        try (LogCapture logs = new LogCapture();
                GatewayHarness gw = GatewayHarness.start(tmp, """
                        gateway:
                          listeners:
                            - port: %d
                          admin:
                            port: %d
                        hostnames:
                          - hostName: api.gatehouse.test
                            certificateId: gateway-tls
                            defaultSslBinding: true
                        %s
                        """.formatted(port, admin, E2e.gatewayCertificate(w)))) {
            String line = logs.await(l -> l.contains("Gatehouse serving"), Duration.ofSeconds(5));
            assertThat(line).contains(" on https://0.0.0.0:" + port + "; admin on http://127.0.0.1:" + admin);
        }
    }
}
