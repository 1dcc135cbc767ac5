package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ScriptedBackend.Scripted;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend that closes a kept-alive connection just as the gateway sends the next request on
 * it (what a backend with a short keep-alive time does, Node's and Apache's 5 s, when a request
 * comes at that moment): here made certain by a backend that reads the second request on a
 * connection and closes it without a word. An idempotent request without a body goes once more
 * on a new connection (RFC 9112 section 9.3.1), anything else is a 502 as before, and nothing
 * goes more than twice.
 */
final class StaleConnectionTest {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private static final String METRIC = "gatehouse_upstream_requests_sent_again_total{backend=\"scripted\",reason=\"stale_connection\"}";

    @TempDir
    Path tmp;
    private ScriptedBackend backend;
    private GatewayHarness gw;
    private int port;

    @BeforeEach
    void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/warm", OK);
        port = Ports.free();
        gw = GatewayHarness.start(tmp, GatewayHarness.oneApi(port, "api", "scripted", "http://127.0.0.1:" + backend.port(), 3));
    }

    @AfterEach
    void stop() throws Exception {
        gw.close();
        backend.close();
    }

    /** One request that leaves the gateway's connection to the backend idle and kept alive. */
    private void warm(Http1FramingTest.RawClient c) throws Exception {
        assertThat(c.get("/api/warm").status()).isEqualTo(200);
        assertThat(backend.connections).hasValue(1);
    }

    private long backendRequests(String path) {
        return backend.requests.stream().filter(r -> r.target().equals(path)).count();
    }

    @Test
    void anIdempotentRequestWithoutABodyGoesAgainOnANewConnection() throws Exception {
        backend.on("/read", Scripted.of(OK), Scripted.closeAtOnce());
        try (Http1FramingTest.RawClient c = new Http1FramingTest.RawClient(port)) {
            warm(c);
            for (String method : new String[] {"GET", "DELETE"}) {
                c.send(method + " /api/read HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
                Http1FramingTest.Response r = c.read(false);
                assertThat(r.status()).as(method + "\n" + r.raw()).isEqualTo(200);
                assertThat(r.bodyText()).isEqualTo("ok");
            }
        }
        // each: the reused connection closed on it, then a new one answered
        assertThat(backendRequests("/read")).isEqualTo(4);
        assertThat(backend.connections).hasValue(3);
        assertThat(gw.gateway.metrics().scrape()).contains(METRIC + " 2.0");
    }

    @Test
    void aRequestWithABodyOrNotIdempotentIsNotSentAgain() throws Exception {
        backend.on("/write", Scripted.of(OK), Scripted.closeAtOnce());
        try (Http1FramingTest.RawClient c = new Http1FramingTest.RawClient(port)) {
            warm(c);
            c.send("POST /api/write HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 0\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(502);
        }
        try (Http1FramingTest.RawClient c = new Http1FramingTest.RawClient(port)) {
            assertThat(c.get("/api/warm").status()).isEqualTo(200); // leaves a connection idle again
            c.send("PUT /api/write HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.read(false).status()).isEqualTo(502);
        }
        assertThat(backendRequests("/write")).isEqualTo(2);
        assertThat(gw.gateway.metrics().scrape()).doesNotContain(METRIC);
    }

    @Test
    void aRequestGoesAtMostTwice() throws Exception {
        backend.on("/gone", Scripted.closeAtOnce(), Scripted.closeAtOnce());
        try (Http1FramingTest.RawClient c = new Http1FramingTest.RawClient(port)) {
            warm(c);
            Http1FramingTest.Response r = c.get("/api/gone");
            assertThat(r.status()).as(r.raw()).isEqualTo(502);
            assertThat(c.get("/api/warm").status()).as("the client's connection goes on").isEqualTo(200);
        }
        assertThat(backendRequests("/gone")).isEqualTo(2);
        assertThat(gw.gateway.metrics().scrape()).contains(METRIC + " 1.0");
    }
}
