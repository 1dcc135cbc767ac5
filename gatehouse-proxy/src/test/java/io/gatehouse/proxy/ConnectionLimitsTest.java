package io.gatehouse.proxy;

import static io.gatehouse.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.Http1FramingTest.RawClient;
import io.gatehouse.proxy.Http1FramingTest.Response;
import io.gatehouse.proxy.ScriptedBackend.Scripted;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The timeouts and limits after the handshake, with raw clients that really are slow: idle,
 * slowloris, a stalled upload, a client that does not read, the request limit and the
 * connection limit (with eviction of idle connections). Timeouts are 1 s so the suite stays fast.
 */
final class ConnectionLimitsTest {
    private static final String HELLO = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    @TempDir
    Path tmp;
    private ScriptedBackend backend;
    private GatewayHarness gw;
    private int port;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<RawClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        for (RawClient c : clients) {
            c.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** A plain listener with one API, /api, and {@code gatewayExtra} (indented for gateway:) added. */
    private void start(String gatewayExtra) throws IOException {
        backend = new ScriptedBackend();
        backend.on("/hello", HELLO);
        port = Ports.free();
        gw = GatewayHarness.start(tmp, GatewayHarness.oneApi(port, "api", "scripted",
                "http://127.0.0.1:" + backend.port(), 10).replace("gateway:\n", "gateway:\n" + gatewayExtra));
    }

    private RawClient client() throws IOException {
        RawClient c = new RawClient(port);
        clients.add(c);
        return c;
    }

    private Socket socket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setTcpNoDelay(true);
        sockets.add(s);
        return s;
    }

    /** How long until the gateway closes the socket (ms), or -1 when it is still open after {@code max}. */
    private static long closedWithin(Socket s, Duration max) throws IOException {
        long start = System.nanoTime();
        s.setSoTimeout((int) max.toMillis());
        InputStream in = s.getInputStream();
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // whatever the gateway sends before it closes
            }
        } catch (SocketTimeoutException open) {
            return -1;
        } catch (SocketException reset) {
            // closed too
        }
        return Duration.ofNanos(System.nanoTime() - start).toMillis();
    }

    private double closed(String reason) {
        Matcher m = Pattern.compile("gatehouse_downstream_connections_closed_total\\{reason=\"" + reason + "\"} (\\S+)")
                .matcher(gw.gateway.metrics().scrape());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private void awaitOpen(int n) throws InterruptedException {
        Pattern open = Pattern.compile("gatehouse_downstream_connections_open\\{port=\"" + port + "\"} (\\S+)");
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        double now = -1;
        while (System.nanoTime() < deadline) {
            Matcher m = open.matcher(gw.gateway.metrics().scrape());
            now = m.find() ? Double.parseDouble(m.group(1)) : -1;
            if (now == n) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("open connections: " + now + ", expected " + n);
    }

    // ---------------------------------------------------------------- timeouts

    @Test
    void anIdleConnectionIsClosedAfterKeepAliveIdleBeforeItsFirstRequestAndBetweenRequests() throws IOException {
        start("""
                  timeouts:
                    keepAliveIdle: 1
                """);
        Socket silent = socket();
        RawClient kept = client();
        assertThat(kept.get("/api/hello").status()).isEqualTo(200);

        long silentClosed = closedWithin(silent, Duration.ofSeconds(4));
        assertThat(silentClosed).as("never sent a request").isBetween(700L, 3500L);
        assertThat(kept.closedByPeer()).as("idle after its response").isTrue();
        assertThat(closed("idle_timeout")).isEqualTo(2.0);
    }

    @Test
    void aConnectionInUseIsNotIdle() throws IOException, InterruptedException {
        start("""
                  timeouts:
                    keepAliveIdle: 1
                """);
        RawClient c = client();
        for (int i = 0; i < 5; i++) { // 2 s of requests, 400 ms apart: never 1 s without one
            assertThat(c.get("/api/hello").status()).isEqualTo(200);
            Thread.sleep(400);
        }
        assertThat(closed("idle_timeout")).isZero();
    }

    @Test
    void aSlowlorisClientIsCutAfterRequestHeaderAndNothingReachesTheBackend() throws Exception {
        start("""
                  timeouts:
                    requestHeader: 1
                    keepAliveIdle: 10
                """);
        Socket s = socket();
        byte[] head = ascii("GET /api/hello HTTP/1.1\r\nHost: gateway.test\r\nX-Padding: " + "a".repeat(60) + "\r\n\r\n");
        long start = System.nanoTime();
        Thread dribbler = Thread.ofPlatform().daemon().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (byte b : head) { // a header byte every 300 ms: the head would take 30 s
                    out.write(b);
                    out.flush();
                    Thread.sleep(300);
                }
            } catch (IOException | InterruptedException cut) {
                // the gateway closed the connection
            }
        });
        long closedAfter = closedWithin(s, Duration.ofSeconds(5));
        dribbler.interrupt();

        assertThat(closedAfter).as("closed within requestHeader of the first byte").isBetween(700L, 3500L);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        assertThat(backend.requests).isEmpty();
        assertThat(closed("header_timeout")).isEqualTo(1.0);
    }

    @Test
    void aStalledUploadIsCutByBodyIdleAndTheBackendConnectionEnds() throws Exception {
        start("""
                  timeouts:
                    bodyIdle: 1
                    keepAliveIdle: 10
                """);
        backend.on("/upload", HELLO);
        Socket s = socket();
        OutputStream out = s.getOutputStream();
        out.write(ascii("POST /api/upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 100000\r\n\r\n"));
        out.write(new byte[1000]);
        out.flush();
        long start = System.nanoTime();

        long closedAfter = closedWithin(s, Duration.ofSeconds(5));

        assertThat(closedAfter).as("no body byte for bodyIdle").isBetween(700L, 3500L);
        assertThat(closed("body_timeout")).isEqualTo(1.0);
        // the gateway had opened the backend connection for the body: it is not left hanging
        assertThat(backend.accepted).hasSize(1);
        assertThat(backend.accepted.get(0).awaitEnd(Duration.ofSeconds(3))).isPositive();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void anUploadThatKeepsComingIsNotCutHoweverLongItTakes() throws Exception {
        start("""
                  timeouts:
                    bodyIdle: 1
                    keepAliveIdle: 10
                """);
        backend.on("/upload", HELLO);
        Socket s = socket();
        OutputStream out = s.getOutputStream();
        out.write(ascii("POST /api/upload HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 5000\r\n\r\n"));
        for (int i = 0; i < 5; i++) { // 2 s in all, a piece every 400 ms
            out.write(new byte[1000]);
            out.flush();
            Thread.sleep(400);
        }
        s.setSoTimeout(3000);
        byte[] answer = s.getInputStream().readNBytes(12);
        assertThat(new String(answer, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
        assertThat(closed("body_timeout")).isZero();
    }

    @Test
    void aClientThatDoesNotReadALargeResponseIsCutByWriteIdle() throws Exception {
        start("""
                  timeouts:
                    writeIdle: 1
                    keepAliveIdle: 10
                """);
        byte[] big = new byte[20 * 1024 * 1024];
        Arrays.fill(big, (byte) 'x');
        backend.on("/big", Scripted.pieces(0, ascii("HTTP/1.1 200 OK\r\nContent-Length: " + big.length + "\r\n\r\n"), big));
        Socket s = socket();
        s.setReceiveBufferSize(16 * 1024);
        s.getOutputStream().write(ascii("GET /api/big HTTP/1.1\r\nHost: gateway.test\r\n\r\n"));
        s.getOutputStream().flush();
        long start = System.nanoTime();

        // the client reads nothing; the gateway must give up on it and on the backend's response
        long wait = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (backend.accepted.isEmpty() && System.nanoTime() < wait) {
            Thread.sleep(10);
        }
        assertThat(backend.accepted).hasSize(1);
        long ended = backend.accepted.get(0).awaitEnd(Duration.ofSeconds(6));
        assertThat(ended).as("the backend connection ended").isPositive();
        assertThat(Duration.ofNanos(ended - start)).isBetween(Duration.ofMillis(700), Duration.ofMillis(4500));
        assertThat(closed("write_timeout")).isEqualTo(1.0);
        assertThat(closedWithin(s, Duration.ofSeconds(2))).as("the client's connection is closed").isNotNegative();
    }

    @Test
    void aReloadsTimeoutsApplyToConnectionsAcceptedAfterIt() throws Exception {
        start("""
                  timeouts:
                    keepAliveIdle: 30
                """);
        Socket before = socket();
        awaitOpen(1); // accepted under the first config
        assertThat(gw.reload(GatewayHarness.oneApi(port, "api", "scripted", "http://127.0.0.1:" + backend.port(), 10)
                .replace("gateway:\n", "gateway:\n  timeouts:\n    keepAliveIdle: 1\n")).ok()).isTrue();
        Socket after = socket();

        assertThat(closedWithin(after, Duration.ofSeconds(4))).isBetween(700L, 3500L);
        assertThat(closedWithin(before, Duration.ofMillis(200))).as("keeps the timeout it was accepted with").isNegative();
    }

    // ---------------------------------------------------------------- limits

    @Test
    void afterMaxRequestsPerConnectionTheLastResponseSaysCloseAndTheConnectionCloses() throws IOException {
        start("""
                  limits:
                    maxRequestsPerConnection: 3
                """);
        RawClient c = client();
        Response first = c.get("/api/hello");
        Response second = c.get("/api/hello");
        Response third = c.get("/api/hello");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("Connection")).isNull();
        assertThat(second.header("Connection")).isNull();
        assertThat(third.status()).isEqualTo(200);
        assertThat(third.header("Connection")).as(third.raw()).isEqualToIgnoringCase("close");
        assertThat(c.closedByPeer()).isTrue();
        assertThat(closed("max_requests")).isEqualTo(1.0);
        assertThat(backend.requests).hasSize(3);
    }

    @Test
    void atTheConnectionLimitIdleConnectionsMakeRoomForALegitimateClient() throws Exception {
        start("""
                  timeouts:
                    keepAliveIdle: 30
                  limits:
                    maxConnections: 20
                """);
        List<Socket> attackers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            attackers.add(socket()); // connect and do nothing
            awaitOpen(i + 1); // accepted in this order (two event loops could take a burst out of order)
        }

        for (int i = 0; i < 3; i++) {
            RawClient legit = client();
            assertThat(legit.get("/api/hello").status()).isEqualTo(200);
        }

        assertThat(closed("evicted")).isEqualTo(3.0);
        assertThat(closed("connection_limit")).isZero();
        int cut = 0;
        for (Socket a : attackers.subList(0, 3)) { // the oldest idle ones went first
            cut += closedWithin(a, Duration.ofSeconds(2)) >= 0 ? 1 : 0;
        }
        assertThat(cut).isEqualTo(3);
        assertThat(closedWithin(attackers.get(19), Duration.ofMillis(300))).as("the newest idle one stays").isNegative();
    }

    @Test
    void atTheConnectionLimitWithEveryConnectionBusyANewOneIsRefusedAtOnce() throws Exception {
        start("""
                  limits:
                    maxConnections: 20
                """);
        backend.on("/slow", Scripted.silent());
        for (int i = 0; i < 20; i++) {
            Socket s = socket();
            s.getOutputStream().write(ascii("GET /api/slow HTTP/1.1\r\nHost: gateway.test\r\n\r\n"));
            s.getOutputStream().flush();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (backend.requests.size() < 20 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(backend.requests).hasSize(20);

        Socket late = socket();
        long refusedAfter = closedWithin(late, Duration.ofSeconds(2));

        assertThat(refusedAfter).as("closed at once").isBetween(0L, 1000L);
        assertThat(closed("connection_limit")).isEqualTo(1.0);
        assertThat(closed("evicted")).isZero();
    }
}
