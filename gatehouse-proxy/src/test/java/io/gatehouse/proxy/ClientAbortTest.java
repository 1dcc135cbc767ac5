package io.gatehouse.proxy;

import static io.gatehouse.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.Http1FramingTest.RawClient;
import io.gatehouse.proxy.Http1FramingTest.Response;
import io.gatehouse.proxy.ScriptedBackend.Connection;
import io.gatehouse.proxy.ScriptedBackend.Request;
import io.gatehouse.proxy.ScriptedBackend.Scripted;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that leaves before its response is complete, on the plain HTTP/1.1 path: the
 * gateway must close the backend connection promptly (a backend's connections are a limited
 * resource, and nobody will read what it still sends), and must never give that connection to a
 * later request (a half-read or unanswered response on it would become that request's answer).
 * The backend ({@link ScriptedBackend}) reports when the gateway ended each connection.
 */
final class ClientAbortTest {
    private static final String API = "/abort";
    /** How soon after the client's close the backend must see its connection end. */
    private static final Duration PROMPTLY = Duration.ofSeconds(1);
    /** How long the test waits for that at all: long enough to tell "late" from "never". */
    private static final Duration PATIENCE = Duration.ofSeconds(4);

    @TempDir
    Path tmp;
    private ScriptedBackend backend;
    private GatewayHarness gw;
    private int port;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        backend = new ScriptedBackend();
        backend.on("/hello", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        port = Ports.free();
        // a backend timeout well past the test's patience: it must not be what closes the connection
        gw = GatewayHarness.start(tmp,
                GatewayHarness.oneApi(port, "abort", "scripted", "http://127.0.0.1:" + backend.port(), 60));
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : clients) {
            c.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /**
     * A Content-Length body far larger than the socket buffers between backend and client, of
     * which the backend sends half and then waits: the client reads the head and a little of the
     * body, stops reading (the gateway stops reading the backend), and leaves.
     */
    @Test
    void clientLeavingMidContentLengthBodyClosesTheBackendConnection() throws Exception {
        int piece = 64 * 1024;
        int sent = 256;
        List<byte[]> pieces = new ArrayList<>();
        pieces.add(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                + (2L * sent * piece) + "\r\n\r\n"));
        byte[] body = new byte[piece];
        Arrays.fill(body, (byte) 'x');
        for (int i = 0; i < sent; i++) {
            pieces.add(body);
        }
        backend.on("/big", Scripted.pieces(0, pieces).thenHold());

        Connection up = leaveMidResponse("/big", "Content-Length: " + (2L * sent * piece), 1024);
        assertNeverReused(up);
    }

    /** A chunked body sent slowly, a chunk every 20 ms for 10 s: the client leaves after the first. */
    @Test
    void clientLeavingMidSlowChunkedBodyClosesTheBackendConnection() throws Exception {
        List<byte[]> pieces = new ArrayList<>();
        pieces.add(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (int i = 0; i < 500; i++) {
            pieces.add(ascii("a\r\n0123456789\r\n"));
        }
        backend.on("/slow", Scripted.pieces(20, pieces).thenHold());

        Connection up = leaveMidResponse("/slow", "Transfer-Encoding: chunked", 10);
        assertNeverReused(up);
    }

    /**
     * The client leaves while the backend has not answered yet: the connection is closed too, for
     * its answer would come for nobody (and, were the connection pooled, to the next request).
     */
    @Test
    void clientLeavingBeforeTheResponseHeadClosesTheBackendConnection() throws Exception {
        backend.on("/silent", Scripted.silent());
        Socket client = client();
        send(client, "/silent");
        Request req = awaitRequest("/silent");
        Connection up = backend.accepted.get(req.connection());

        long left = System.nanoTime();
        client.close();
        assertEndedPromptly(up, left);
        assertNeverReused(up);
    }

    /**
     * Asks for {@code path}, reads the response head (which must carry {@code framing}) and
     * {@code bodyBytes} of the body, then closes the connection with the rest unread; returns the
     * backend connection that served it, once it was seen to end.
     */
    private Connection leaveMidResponse(String path, String framing, int bodyBytes) throws Exception {
        Socket client = client();
        send(client, path);
        InputStream in = client.getInputStream();
        String head = readHead(in);
        assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\n" + framing + "\r\n");
        assertThat(in.readNBytes(bodyBytes)).as("the start of the body").hasSize(bodyBytes);
        Request req = awaitRequest(path);
        Connection up = backend.accepted.get(req.connection());

        long left = System.nanoTime();
        client.close();
        assertEndedPromptly(up, left);
        return up;
    }

    /** The backend saw the gateway end the connection within {@link #PROMPTLY} of {@code since}. */
    private static void assertEndedPromptly(Connection up, long since) throws InterruptedException {
        long ended = up.awaitEnd(PATIENCE);
        assertThat(ended).as("the gateway ends backend connection %d after the client left (waited %s)",
                up.index, PATIENCE).isNotEqualTo(-1L);
        assertThat(Duration.ofNanos(ended - since)).as("time from the client's close to the backend's")
                .isLessThan(PROMPTLY);
    }

    /**
     * Later requests are answered right, on other connections than {@code up}, which carried its one
     * request and nothing after it. Two clients: the gateway spreads its connections over its two
     * event loops, each with a pool of its own, so one of them shares the loop the aborted exchange
     * was on, and would be given {@code up} if it had been pooled.
     */
    private void assertNeverReused(Connection up) throws IOException {
        for (int i = 0; i < 2; i++) {
            RawClient c = new RawClient(port);
            clients.add(c);
            Response r = c.get(API + "/hello");
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("hello");
        }
        assertThat(backend.requests).filteredOn(r -> r.target().equals("/hello"))
                .extracting(Request::connection).hasSize(2).doesNotContain(up.index);
        assertThat(backend.requests).filteredOn(r -> r.connection() == up.index).hasSize(1);
        assertThat(up.bytesWhileHeld).as("bytes sent on the aborted connection after its request").hasValue(0);
    }

    private Socket client() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(5000);
        s.setTcpNoDelay(true);
        clients.add(s);
        return s;
    }

    private static void send(Socket s, String path) throws IOException {
        s.getOutputStream().write(ascii("GET " + API + path + " HTTP/1.1\r\nHost: gateway.test\r\n\r\n"));
        s.getOutputStream().flush();
    }

    /** The response head up to and with its empty line, read byte by byte so no body byte is taken. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("response head cut short: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** The backend's request for {@code path}, once it has read it. */
    private Request awaitRequest(String path) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        do {
            for (Request r : backend.requests) {
                if (r.target().equals(path)) {
                    return r;
                }
            }
            Thread.sleep(5);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the backend never got " + path);
    }
}
