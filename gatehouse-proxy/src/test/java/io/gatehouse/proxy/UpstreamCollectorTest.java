package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.policy.GatewayException;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link UpstreamCollector#call}, the whole-response exchange with a backend that forward-request
 * uses and send-request can: the response whole, or a {@link FailureKind}'s failure, and the
 * connection back in the pool only after a clean keep-alive response.
 */
class UpstreamCollectorTest {
    private static final String LIMIT = "the most this test reads";
    private NioEventLoopGroup group;
    private EventLoop loop;
    private GatewayRuntime runtime;
    private ScriptedBackend backend;
    private UpstreamTarget target;

    @BeforeEach
    void start() throws Exception {
        group = new NioEventLoopGroup(1);
        loop = group.next();
        GatewayMetrics metrics = new GatewayMetrics();
        runtime = new GatewayRuntime(null, new UpstreamPool(NioSocketChannel.class, metrics), metrics);
        backend = new ScriptedBackend();
        URI url = URI.create("http://127.0.0.1:" + backend.port());
        target = new UpstreamTarget("b", url, "127.0.0.1", backend.port(), "", "127.0.0.1:" + backend.port(), null,
                "127.0.0.1", false, Duration.ofSeconds(30), null, null);
    }

    @AfterEach
    void stop() throws Exception {
        backend.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Called from the test's thread: the collector moves onto the loop itself. */
    private CompletableFuture<UpstreamCollector.Collected> call(String path, Duration timeout) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path, Unpooled.EMPTY_BUFFER);
        req.headers().set(HttpHeaderNames.HOST, target.authority());
        return UpstreamCollector.call(runtime, target, loop, req, new UpstreamCollector.Call(timeout, false, false, LIMIT));
    }

    private boolean pooled() throws Exception {
        return loop.submit(() -> {
            var ch = runtime.pool.idle(target, loop);
            if (ch != null) {
                runtime.pool.giveBack(ch, null, true);
            }
            return ch != null;
        }).get(5, TimeUnit.SECONDS);
    }

    @Test
    void collectsTheWholeResponseAndPoolsTheConnection() throws Exception {
        backend.on("/a", ScriptedBackend.Scripted.of(
                "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Answer: yes\r\nKeep-Alive: timeout=5\r\n\r\nhello"));
        UpstreamCollector.Collected got = call("/a", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(got.status().code()).isEqualTo(201);
        assertThat(new String(got.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(got.headers().get("X-Answer")).isEqualTo("yes");
        assertThat(got.headers().contains("Keep-Alive")).as("hop-by-hop headers removed").isFalse();
        assertThat(got.rest()).isNull();
        assertThat(got.keepAlive()).isTrue();
        assertThat(pooled()).as("the connection went back to the pool").isTrue();
    }

    @Test
    void aResponseWithConnectionCloseIsNotPooledThoughTheBackendLeavesItOpen() throws Exception {
        backend.on("/close", ScriptedBackend.Scripted.of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"));
        UpstreamCollector.Collected got = call("/close", Duration.ofSeconds(5)).get(5, TimeUnit.SECONDS);
        assertThat(new String(got.body(), StandardCharsets.UTF_8)).isEqualTo("ok");
        assertThat(got.headers().contains("Connection")).as("hop-by-hop headers removed").isFalse();
        assertThat(got.keepAlive()).as("decided from the response as received").isFalse();
        assertThat(pooled()).as("the connection was closed, not pooled").isFalse();
        assertThat(backend.accepted.get(0).awaitEnd(Duration.ofSeconds(5))).isNotEqualTo(-1L);
    }

    @Test
    void aResponseOverTheLimitFailsAndTheMessageNamesTheLimitThatApplies() throws Exception {
        String big = "x".repeat(UpstreamCollector.MAX_BODY + 1);
        backend.on("/big", ScriptedBackend.Scripted.of("HTTP/1.1 200 OK\r\nContent-Length: " + big.length() + "\r\n\r\n" + big));
        CompletableFuture<UpstreamCollector.Collected> f = call("/big", Duration.ofSeconds(10));
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class, g -> {
                    assertThat(g.status()).isEqualTo(502);
                    assertThat(g.reason()).isEqualTo(FailureKind.RESPONSE_TOO_LARGE.reason);
                    assertThat(g.getMessage()).isEqualTo("backend 'b' answered with more than " + UpstreamCollector.MAX_BODY
                            + " bytes, " + LIMIT);
                });
        assertThat(pooled()).isFalse();
    }

    /** A whole call: its timeout covers connecting and the TLS handshake, not only the answer. */
    @Test
    void aWholeCallsTimeoutCoversATlsHandshakeThatNeverEnds() throws Exception {
        // the backend takes the connection and reads the ClientHello as a request head that never ends
        var tls = io.netty.handler.ssl.SslContextBuilder.forClient()
                .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE).build();
        UpstreamTarget silentTls = new UpstreamTarget("b", URI.create("https://127.0.0.1:" + backend.port()), "127.0.0.1",
                backend.port(), "", "127.0.0.1:" + backend.port(), tls, "127.0.0.1", false, Duration.ofSeconds(30), null, null);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a", Unpooled.EMPTY_BUFFER);
        long start = System.nanoTime();
        CompletableFuture<UpstreamCollector.Collected> f = UpstreamCollector.call(runtime, silentTls, loop, req,
                new UpstreamCollector.Call(Duration.ofMillis(700), true, true, LIMIT));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class, g -> {
                    assertThat(g.reason()).isEqualTo(FailureKind.TIMEOUT.reason);
                    assertThat(g.getMessage()).isEqualTo("backend 'b': no response within 700 ms");
                });
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(ms).as("at the call's timeout, not the pool's 10 s handshake limit").isLessThan(3_000);
    }

    @Test
    void aWholeCallsTimeoutCoversTheBodyNotOnlyTheHead() throws Exception {
        backend.on("/drip", ScriptedBackend.Scripted.pieces(2_000,
                ScriptedBackend.ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"), ScriptedBackend.ascii("cd")));
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/drip", Unpooled.EMPTY_BUFFER);
        req.headers().set(HttpHeaderNames.HOST, target.authority());
        CompletableFuture<UpstreamCollector.Collected> f = UpstreamCollector.call(runtime, target, loop, req,
                new UpstreamCollector.Call(Duration.ofMillis(700), true, true, LIMIT));
        assertThatThrownBy(() -> f.get(1_800, TimeUnit.MILLISECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class,
                        g -> assertThat(g.getMessage()).isEqualTo("backend 'b': no response within 700 ms"));
        assertThat(pooled()).isFalse();
    }

    @Test
    void calledOnTheLoopItCompletesThereToo() throws Exception {
        backend.on("/a", ScriptedBackend.Scripted.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a", Unpooled.EMPTY_BUFFER);
        req.headers().set(HttpHeaderNames.HOST, target.authority());
        // the stage is attached on the loop, before the loop can complete the future
        CompletableFuture<Boolean> onLoop = loop.submit(() -> UpstreamCollector.call(runtime, target, loop, req,
                new UpstreamCollector.Call(Duration.ofSeconds(5), false, false, LIMIT)).thenApply(got -> loop.inEventLoop())).get(5, TimeUnit.SECONDS);
        assertThat(onLoop.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aBackendThatDoesNotAnswerFailsWithTheTimeoutKind() throws Exception {
        backend.on("/slow", ScriptedBackend.Scripted.silent());
        CompletableFuture<UpstreamCollector.Collected> f = call("/slow", Duration.ofSeconds(1));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class, g -> {
                    assertThat(g.status()).isEqualTo(504);
                    assertThat(g.reason()).isEqualTo(FailureKind.TIMEOUT.reason);
                    assertThat(g.getMessage()).isEqualTo("backend 'b' did not answer within 1 s");
                });
        assertThat(pooled()).as("a timed-out connection is never reused").isFalse();
    }

    @Test
    void aConnectionClosedMidResponseFailsAsABackendConnectionFailure() throws Exception {
        backend.on("/cut", ScriptedBackend.Scripted.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").thenClose());
        CompletableFuture<UpstreamCollector.Collected> f = call("/cut", Duration.ofSeconds(5));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class, g -> {
                    assertThat(g.status()).isEqualTo(502);
                    assertThat(g.reason()).isEqualTo(FailureKind.BACKEND_CONNECTION_FAILURE.reason);
                    assertThat(g.getMessage()).contains("closed the connection before the response was complete");
                });
        assertThat(pooled()).isFalse();
    }

    @Test
    void aBackendThatCannotBeReachedFailsWithThePoolsKind() throws Exception {
        backend.close();
        CompletableFuture<UpstreamCollector.Collected> f = call("/a", Duration.ofSeconds(5));
        assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(GatewayException.class, g -> assertThat(g.status()).isEqualTo(502));
    }
}
