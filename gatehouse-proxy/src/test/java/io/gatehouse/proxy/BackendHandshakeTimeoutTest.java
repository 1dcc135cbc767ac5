package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend that takes the TCP connection and then never says a word (no ServerHello): the
 * client gets 504, as from a backend that does not answer in time, and the log says it was the
 * TLS handshake with the backend that timed out.
 */
final class BackendHandshakeTimeoutTest {
    @TempDir
    Path tmp;

    @Test
    void aBackendThatNeverFinishesTheHandshakeIs504() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofPlatform().daemon().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        Socket s = silent.accept();
                        held.add(s);
                        Thread.ofPlatform().daemon().start(() -> drain(s)); // reads the ClientHello, answers nothing
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            int port = Ports.free();
            try (LogCapture logs = new LogCapture();
                 GatewayHarness gw = GatewayHarness.start(tmp, GatewayHarness.oneApi(port, "slow", "silent-tls",
                         "https://127.0.0.1:" + silent.getLocalPort(), 1));
                 Http1FramingTest.RawClient client = new Http1FramingTest.RawClient(port)) {
                long start = System.nanoTime();
                Http1FramingTest.Response r = client.get("/slow/x");
                long took = Duration.ofNanos(System.nanoTime() - start).toMillis();

                assertThat(r.status()).as(r.raw()).isEqualTo(504);
                assertThat(took).as("the handshake's 1 s timeout").isBetween(800L, 4000L);
                assertThat(held).isNotEmpty();
                String line = logs.await(l -> l.contains("504"), Duration.ofSeconds(2));
                assertThat(line).contains("backend 'silent-tls'").contains("TLS handshake with the backend timed out");
                assertThat(gw.gateway.metrics().scrape())
                        .contains("gatehouse_upstream_tls_failures_total{backend=\"silent-tls\",reason=\"handshake_timeout\"} 1.0")
                        .contains("gatehouse_request_failures_total{reason=\"Timeout\",source=\"forward-request\"} 1.0");
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }
    }

    private static void drain(Socket s) {
        try (InputStream in = s.getInputStream()) {
            byte[] buf = new byte[4096];
            while (in.read(buf) >= 0) {
                // stays silent
            }
        } catch (java.io.IOException ignored) {
            // closed by the test or the gateway
        }
    }
}
