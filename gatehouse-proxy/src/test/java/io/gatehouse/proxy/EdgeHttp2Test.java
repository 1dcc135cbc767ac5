package io.gatehouse.proxy;

import static io.gatehouse.proxy.RawH2Client.headers;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.RawH2Client.Result;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge over HTTP/2, with frames written byte by byte ({@link RawH2Client}): what RFC 9113
 * section 8 calls malformed (connection-specific fields, upper-case names, CR, LF or NUL in a
 * field, a body that disagrees with Content-Length, conflicting {@code :authority} and
 * {@code Host}) never reaches the backend, which would read it as HTTP/1.1 (the downgrade
 * attacks of Kettle 2021); forged identity in headers and trailers is removed; {@code :authority}
 * is checked as {@code Host} is.
 */
class EdgeHttp2Test extends EdgeFixture {

    static Http2Headers get(String path, String... more) {
        List<String> pairs = new ArrayList<>(List.of(":method", "GET", ":scheme", "https", ":authority", OPEN,
                ":path", path));
        pairs.addAll(List.of(more));
        return headers(pairs.toArray(String[]::new));
    }

    static Http2Headers h2post(String path, String... more) {
        List<String> pairs = new ArrayList<>(List.of(":method", "POST", ":scheme", "https", ":authority", OPEN,
                ":path", path));
        pairs.addAll(List.of(more));
        return headers(pairs.toArray(String[]::new));
    }

    @Test
    void aWellFormedRequestIsServed() throws Exception {
        start();
        Result r = h2(OPEN, null).exchange(h2post("/open/ok", "content-type", "text/plain"),
                "hello".getBytes(StandardCharsets.UTF_8), null);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("seen /ok");
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.bodyText()).isEqualTo("hello");
        assertThat(seen.header("x-forwarded-host")).isEqualTo(OPEN);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "connection|content-length", "connection|keep-alive", "transfer-encoding|chunked", "te|gzip",
            "keep-alive|timeout=5", "upgrade|h2c", "proxy-connection|keep-alive",
            "X-Upper|case", "x-crlf|a\r\nx-injected: 1", "x-lf|a\nb", "x-cr|a\rb", "x-nul|a\u0000b",
            "x a|space in name", "x:colon|in name", "host|other.example", ":authority|" + STRICT,
            ":unknown|pseudo", ":path|/open/twice", ":status|200"})
    void aMalformedHeaderNeverReachesTheBackend(String pair) throws Exception {
        start();
        String[] nv = pair.split("\\|", 2);
        Result r = h2(OPEN, null).exchange(get("/open/malformed", nv[0], nv[1]), null, null);
        assertThat(r.refused()).as(r.toString()).isTrue();
        assertThat(r.status()).as(r.toString()).isNotEqualTo(200);
        assertBackendSawNothing();
        assertThat(backend.allBytes()).doesNotContain("x-injected");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/open/a b", "/open/a\u0001b", "/open/a\u007fb", "open/no-slash", "*", "/open/a#frag",
            "https://evil.example/open/a"})
    void anInvalidPathIsRefused(String path) throws Exception {
        start();
        Result r = h2(OPEN, null).exchange(get(path), null, null);
        assertThat(r.refused()).as(r.toString()).isTrue();
        assertBackendSawNothing();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"u@" + OPEN, OPEN + ", other", OPEN + " x", OPEN + ":99999", ""})
    void anInvalidAuthorityIsRefused(String authority) throws Exception {
        start();
        Result r = h2(OPEN, null).exchange(headers(":method", "GET", ":scheme", "https", ":authority", authority,
                ":path", "/open/a"), null, null);
        assertThat(r.refused()).as(r.toString()).isTrue();
        assertBackendSawNothing();
    }

    @Test
    void aBodyLongerOrShorterThanItsContentLengthNeverReachesTheBackendWhole() throws Exception {
        start();
        Result longer = h2(OPEN, null).exchange(h2post("/open/long", "content-length", "3"),
                "hello".getBytes(StandardCharsets.UTF_8), null);
        assertThat(longer.status()).as(longer.toString()).isNotEqualTo(200);
        Result shorter = h2(OPEN, null).exchange(h2post("/open/short", "content-length", "10"),
                "hello".getBytes(StandardCharsets.UTF_8), null);
        assertThat(shorter.status()).as(shorter.toString()).isNotEqualTo(200);
        Thread.sleep(300);
        assertThat(backend.requests).as("complete requests at the backend").isEmpty();
    }

    /**
     * A slow upload on one stream: the connection's guard cannot time one stream among many, so
     * the stream itself is answered 408 (or reset) after {@code bodyIdle} without DATA, and the
     * backend never gets the request whole; other streams and the connection go on.
     */
    @Test
    void aStalledUploadOnAStreamIsCutByBodyIdle() throws Exception {
        start("""
                  timeouts:
                    bodyIdle: 1
                """);
        RawH2Client c = h2(OPEN, null);
        int stream = c.open(h2post("/open/slow-upload", "content-length", "100"));
        c.data(stream, "only part".getBytes(StandardCharsets.UTF_8), false);
        long start = System.nanoTime();
        Result r = c.await(stream);
        long took = (System.nanoTime() - start) / 1_000_000;
        assertThat(r.status() == 408 || r.resetCode() >= 0).as(r.toString()).isTrue();
        assertThat(took).as("cut after about a second without DATA").isBetween(700L, 4000L);
        assertThat(r.closed()).as("the connection stays open").isFalse();
        Result next = c.exchange(get("/open/after"), null, null);
        assertThat(next.status()).as(next.toString()).isEqualTo(200);
        assertThat(backend.requests).extracting(RecordingBackend.Request::target).containsExactly("/after");
        assertThat(gw.gateway.metrics().scrape())
                .contains("gatehouse_downstream_connections_closed_total{reason=\"body_timeout\"} 1.0");
    }

    @Test
    void anUploadThatKeepsComingIsNotCut() throws Exception {
        start("""
                  timeouts:
                    bodyIdle: 1
                """);
        RawH2Client c = h2(OPEN, null);
        int stream = c.open(h2post("/open/steady", "content-length", "6"));
        for (int i = 0; i < 5; i++) {
            c.data(stream, "a".getBytes(StandardCharsets.UTF_8), false);
            Thread.sleep(400); // 2 s in all, every gap under the second
        }
        c.data(stream, "b".getBytes(StandardCharsets.UTF_8), true);
        Result r = c.await(stream);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(backend.requests.getFirst().bodyText()).isEqualTo("aaaaab");
    }

    @Test
    void forgedIdentityInHeadersAndTrailersNeverReachesTheBackend() throws Exception {
        start();
        List<String> forged = new ArrayList<>();
        for (String line : EdgeHttp1Test.FORGED) {
            int colon = line.indexOf(':');
            forged.add(line.substring(0, colon).toLowerCase());
            forged.add(line.substring(colon + 1).strip());
        }
        forged.addAll(List.of("x-forwarded-for", "6.6.6.6", "x-real-ip", "6.6.6.6", "x-correlation-id", "kept"));
        Result r = h2(OPEN, null).exchange(h2post("/open/id", forged.toArray(String[]::new)),
                "hello".getBytes(StandardCharsets.UTF_8), headers(forged.toArray(String[]::new)));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.bodyText()).isEqualTo("hello");
        assertThat(seen.headers()).extracting(h -> h[1]).noneMatch(v -> v.contains("forged") || v.contains("6.6.6.6")
                || v.contains("admin"));
        assertThat(seen.trailers()).extracting(h -> h[1]).noneMatch(v -> v.contains("forged") || v.contains("6.6.6.6")
                || v.contains("admin"));
        assertThat(seen.all("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(seen.all("x-correlation-id")).containsExactly("kept");
    }

    @Test
    void aStrictHostnamesCertificateIsForwardedOverHttp2Too() throws Exception {
        start();
        Result r = h2(STRICT, world.client).exchange(headers(":method", "GET", ":scheme", "https", ":authority", STRICT,
                ":path", "/certified/h2", "client-cert", ":Zm9yZ2Vk:"), null, null);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(backend.requests.getFirst().all("client-cert")).singleElement().asString()
                .isNotEqualTo(":Zm9yZ2Vk:").startsWith(":MII");
    }
}
