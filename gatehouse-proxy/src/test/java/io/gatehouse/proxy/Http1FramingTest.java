package io.gatehouse.proxy;

import static io.gatehouse.proxy.ScriptedBackend.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.gatehouse.proxy.ScriptedBackend.Scripted;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the gateway frames a backend's HTTP/1.1 response for the client, byte for byte: a
 * {@link ScriptedBackend} sends exactly the bytes each test scripts (well-formed or not), and a
 * raw client with a strict parser of its own reads what the gateway sends on. Written against
 * Netty's client codec first; the tests whose outcome {@link UpstreamCodec} changed on purpose
 * (1xx, refused responses, Transfer-Encoding with Content-Length, trailers) say what they expect now.
 */
final class Http1FramingTest {
    private static final String API = "/framing";
    private static final Pattern REQUEST_ID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    private static final String HELLO = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    @TempDir
    Path tmp;
    private ScriptedBackend backend;
    private GatewayHarness gw;
    private int port;
    private final List<RawClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        backend = new ScriptedBackend();
        backend.on("/hello", HELLO);
        port = Ports.free();
        gw = GatewayHarness.start(tmp,
                GatewayHarness.oneApi(port, "framing", "scripted", "http://127.0.0.1:" + backend.port(), 3));
    }

    @AfterEach
    void stop() throws IOException {
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

    private RawClient client() throws IOException {
        RawClient c = new RawClient(port);
        clients.add(c);
        return c;
    }

    /** The header lines as "Name: value", the gateway's request id (a fresh UUID) shown as {@code <id>}. */
    private static List<String> lines(List<Header> headers) {
        return headers.stream()
                .map(h -> h.name() + ": " + (h.name().equalsIgnoreCase("x-request-id")
                        && REQUEST_ID.matcher(h.value()).matches() ? "<id>" : h.value()))
                .toList();
    }

    private static List<String> lines(Response r) {
        return lines(r.headers());
    }

    /** A normal exchange on a new connection: the gateway is still serving. */
    private void assertStillServing() throws IOException {
        Response r = client().get(API + "/hello");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("hello");
    }

    // ---------------------------------------------------------------- headers

    @Test
    void contentLengthResponseKeepsEndToEndHeadersInOrderAndGetsTheGatewaysRequestId() throws IOException {
        backend.on("/cl", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Backend: one\r\n"
                + "Set-Cookie: a=1; Path=/\r\nX-Request-Id: from-backend\r\nSet-Cookie: b=2\r\n\r\nhello");
        Response r = client().get(API + "/cl");

        assertThat(r.version()).isEqualTo("1.1");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.reason()).isEqualTo("OK");
        assertThat(r.framing()).isEqualTo(Framing.CONTENT_LENGTH);
        assertThat(r.bodyText()).isEqualTo("hello");
        // names keep their case; the backend's X-Request-Id is replaced by the gateway's, last and lower-case
        assertThat(lines(r)).as(r.raw()).containsExactly(
                "Content-Type: text/plain",
                "Content-Length: 5",
                "X-Backend: one",
                "Set-Cookie: a=1; Path=/",
                "Set-Cookie: b=2",
                "x-request-id: <id>");
        assertThat(r.raw()).as("exact bytes of the head").startsWith("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
    }

    @Test
    void hopByHopHeadersFromTheBackendAreRemoved() throws IOException {
        backend.on("/hop", "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\n"
                + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Checksum\r\n"
                + "Upgrade: h2c\r\nProxy-Authenticate: Basic realm=\"x\"\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok");
        RawClient c = client();
        Response r = c.get(API + "/hop");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("ok");
        assertThat(lines(r)).as(r.raw()).containsExactly("X-Kept: yes", "Content-Length: 2", "x-request-id: <id>");
        // Connection: keep-alive from the backend was honoured, and not passed on: both connections go on
        assertThat(c.get(API + "/hop").bodyText()).isEqualTo("ok");
        assertThat(backend.connections).hasValue(1);
    }

    @Test
    void headerValuesLoseSurroundingWhitespaceAndKeepTheirInsides() throws IOException {
        backend.on("/ws", "HTTP/1.1 200 OK\r\nX-Lead:    padded   \r\nX-Tab:\tt\t\r\nX-Empty:\r\nX-Blank:   \r\n"
                + "X-Spaces: a  b   c\r\nX-List: a, b,c\r\nContent-Length: 0\r\n\r\n");
        Response r = client().get(API + "/ws");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        // exact lines: an empty value is sent as "name: " (with the space)
        assertThat(r.raw()).isEqualTo("HTTP/1.1 200 OK\r\n"
                + "X-Lead: padded\r\n"
                + "X-Tab: t\r\n"
                + "X-Empty: \r\n"
                + "X-Blank: \r\n"
                + "X-Spaces: a  b   c\r\n"
                + "X-List: a, b,c\r\n"
                + "Content-Length: 0\r\n"
                + "x-request-id: " + r.header("x-request-id") + "\r\n"
                + "\r\n");
    }

    // ---------------------------------------------------------------- chunked

    @Test
    void chunkedResponseIsReChunkedAndBothConnectionsAreReused() throws IOException {
        backend.on("/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\nA\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n");
        RawClient c = client();
        Response first = c.get(API + "/chunked");
        Response second = c.get(API + "/chunked");

        for (Response r : List.of(first, second)) {
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
            assertThat(r.bodyText()).isEqualTo("hello0123456789abcdefghij");
            assertThat(lines(r)).containsExactly("Transfer-Encoding: chunked", "x-request-id: <id>");
            // the chunks as the backend sent them in one write, re-encoded: lower-case hex, extension dropped
            assertThat(r.chunkLines()).as(r.raw()).containsExactly("5", "a", "a", "0");
            assertThat(r.trailers()).isEmpty();
        }
        assertThat(backend.connections).as("backend connections").hasValue(1);
        assertThat(backend.requests).hasSize(2);
    }

    @Test
    void chunkedTrailersReachTheClient() throws IOException {
        backend.on("/trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\nX-Checksum: abc\r\n\r\n");
        RawClient c = client();
        Response r = c.get(API + "/trailers");

        assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(lines(r.trailers())).containsExactly("X-Checksum: abc");
        assertThat(r.raw()).endsWith("3\r\nabc\r\n0\r\nX-Checksum: abc\r\n\r\n");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    /** Trailers lose what they lose in the head: hop-by-hop fields, framing, a forged request id. */
    @Test
    void trailerFieldsLoseHopByHopFramingAndRequestId() throws IOException {
        backend.on("/trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
                + "X-Checksum: abc\r\nConnection: close\r\nKeep-Alive: timeout=1\r\nX-Request-Id: forged\r\n"
                + "Content-Length: 5\r\nX-Sum-2: def\r\n\r\n");
        RawClient c = client();
        Response r = c.get(API + "/trailers");

        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(lines(r.trailers())).as(r.raw()).containsExactly("X-Checksum: abc", "X-Sum-2: def");
        // a Connection: close trailer changes nothing: both connections go on
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void chunkedTogetherWithContentLengthIsReadAsChunkedWithoutTheLength() throws Exception {
        // RFC 9112 6.3: Transfer-Encoding wins and the length is removed before forwarding; the
        // backend connection, which may be out of step, is not used again
        backend.on("/te-cl", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n");
        RawClient c = client();
        Response r = c.get(API + "/te-cl");
        assertThat(r.status()).isEqualTo(200);
        assertThat(lines(r)).as(r.raw()).containsExactly("Transfer-Encoding: chunked", "x-request-id: <id>");
        assertThat(r.bodyText()).isEqualTo("abc");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(2);
    }

    // ---------------------------------------------------------------- no body

    @Test
    void headWithContentLengthHasNoBodyAndTheConnectionGoesOn() throws IOException {
        backend.on("/head", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n");
        RawClient c = client();
        Response r = c.head(API + "/head");

        assertThat(r.status()).isEqualTo(200);
        assertThat(lines(r)).containsExactly("Content-Type: text/plain", "Content-Length: 1234", "x-request-id: <id>");
        assertThat(r.raw()).as("nothing after the head").endsWith("\r\n\r\n");
        // a stray body byte would break this response's status line
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.requests.getFirst().method()).isEqualTo("HEAD");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void headWithChunkedKeepsItsTransferEncodingAndTheConnectionGoesOn() throws IOException {
        backend.on("/head", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        RawClient c = client();
        Response r = c.head(API + "/head");

        assertThat(r.status()).isEqualTo(200);
        // what a GET would get (RFC 9110 9.3.2), and no body: the client knows it asked for a HEAD
        assertThat(lines(r)).as(r.raw()).containsExactly("Transfer-Encoding: chunked", "x-request-id: <id>");
        assertThat(r.raw()).as("nothing after the head").endsWith("\r\n\r\n");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void noContentAndNotModifiedHaveNoBodyAndBothConnectionsGoOn() throws IOException {
        backend.on("/204", "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n");
        backend.on("/304", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 42\r\n\r\n");
        RawClient c = client();

        Response noContent = c.get(API + "/204");
        assertThat(noContent.status()).isEqualTo(204);
        assertThat(noContent.reason()).isEqualTo("No Content");
        assertThat(lines(noContent)).containsExactly("X-A: b", "x-request-id: <id>");

        Response notModified = c.get(API + "/304");
        assertThat(notModified.status()).isEqualTo(304);
        // the 304's Content-Length describes the selected representation: kept, with no body
        assertThat(lines(notModified)).containsExactly("ETag: \"v1\"", "Content-Length: 42", "x-request-id: <id>");
        assertThat(notModified.raw()).endsWith("\r\n\r\n");

        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
        assertThat(backend.requests).hasSize(3);
    }

    // ---------------------------------------------------------------- 1xx

    @Test
    void continueBeforeTheFinalResponseStaysWithTheGateway() throws IOException {
        backend.on("/100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertOnlyTheFinalResponseArrives("/100");
    }

    @Test
    void earlyHintsBeforeTheFinalResponseStayWithTheGateway() throws IOException {
        backend.on("/103", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertOnlyTheFinalResponseArrives("/103");
    }

    private void assertOnlyTheFinalResponseArrives(String path) throws IOException {
        RawClient c = client();
        Response r = c.get(API + path);
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(lines(r)).containsExactly("Content-Length: 2", "x-request-id: <id>");
        assertThat(r.bodyText()).isEqualTo("ok");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    // ---------------------------------------------------------------- close-delimited and HTTP/1.0

    @Test
    void closeDelimitedBodyIsReChunkedAndItsConnectionNotReused() throws IOException {
        backend.on("/eof", Scripted.of("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it").thenClose());
        RawClient c = client();
        Response r = c.get(API + "/eof");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
        assertThat(r.bodyText()).isEqualTo("all of it");
        // the added header comes last, in Netty's lower case
        assertThat(lines(r)).containsExactly("Content-Type: text/plain", "x-request-id: <id>",
                "transfer-encoding: chunked");
        assertThat(r.chunkLines()).as(r.raw()).containsExactly("9", "0");

        // the client's connection goes on; the backend's is gone
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(2);
    }

    @Test
    void http10ResponseIsSentAsHttp11AndItsConnectionNotReused() throws IOException {
        backend.on("/10", Scripted.of("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok").thenClose());
        RawClient c = client();
        Response r = c.get(API + "/10");

        assertThat(r.version()).isEqualTo("1.1");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.framing()).isEqualTo(Framing.CONTENT_LENGTH);
        assertThat(r.bodyText()).isEqualTo("ok");
        assertThat(lines(r)).containsExactly("Content-Length: 2", "x-request-id: <id>");

        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(2);
    }

    // ---------------------------------------------------------------- how the bytes arrive

    @Test
    void headWrittenByteByByteAndBodyInThreePiecesIsReassembled() throws IOException {
        List<byte[]> pieces = new ArrayList<>();
        for (byte b : ascii("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nX-Slow: yes\r\n\r\n")) {
            pieces.add(new byte[] {b});
        }
        pieces.addAll(List.of(ascii("012"), ascii("3456"), ascii("789")));
        backend.on("/tiny", Scripted.pieces(1, pieces));
        RawClient c = client();
        Response r = c.get(API + "/tiny");

        assertThat(r.status()).isEqualTo(200);
        assertThat(lines(r)).containsExactly("Content-Length: 10", "X-Slow: yes", "x-request-id: <id>");
        assertThat(r.bodyText()).isEqualTo("0123456789");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void chunkedFramingSplitAcrossWritesIsReassembled() throws IOException {
        // splits inside a size line, its extension, a CRLF and the last chunk
        backend.on("/tiny", Scripted.pieces(5, ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1"),
                ascii("0;e"), ascii("xt=1\r\n0123456789ab"), ascii("cdef\r"), ascii("\n3\r\nxyz\r\n0"), ascii("\r\n\r\n")));
        RawClient c = client();
        Response r = c.get(API + "/tiny");

        assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
        // chunk boundaries towards the client follow the backend's writes: only the bytes are pinned
        assertThat(r.bodyText()).isEqualTo("0123456789abcdefxyz");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void oneMebibyteWithContentLengthArrivesExactly() throws IOException {
        byte[] body = randomBytes(1 << 20);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(ascii("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n"));
        raw.writeBytes(body);
        backend.on("/big", Scripted.of(raw.toByteArray()));
        RawClient c = client();
        Response r = c.get(API + "/big");

        assertThat(r.framing()).isEqualTo(Framing.CONTENT_LENGTH);
        assertThat(r.header("content-length")).isEqualTo("1048576");
        assertThat(sha256(r.body())).as("SHA-256 of the body").isEqualTo(sha256(body));
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    @Test
    void oneMebibyteChunkedInVariedChunksArrivesExactly() throws IOException {
        byte[] body = randomBytes(1 << 20);
        int[] sizes = {1, 15, 16, 255, 4096, 8191, 16384, 16385, 65536, 100_000};
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.writeBytes(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
        for (int at = 0, i = 0; at < body.length; i++) {
            int n = Math.min(sizes[i % sizes.length], body.length - at);
            raw.writeBytes(ascii(Integer.toHexString(n).toUpperCase(Locale.ROOT) + "\r\n"));
            raw.write(body, at, n);
            raw.writeBytes(ascii("\r\n"));
            at += n;
        }
        raw.writeBytes(ascii("0\r\n\r\n"));
        backend.on("/big", Scripted.of(raw.toByteArray()));
        RawClient c = client();
        Response r = c.get(API + "/big");

        assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
        assertThat(r.body()).as("body length").hasSize(body.length);
        assertThat(sha256(r.body())).as("SHA-256 of the body").isEqualTo(sha256(body));
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    // ---------------------------------------------------------------- status lines

    @Test
    void unusualStatusCodesAndReasonPhrasesPassThrough() throws IOException {
        backend.on("/299", "HTTP/1.1 299 Whatever\r\nContent-Length: 2\r\n\r\nok");
        backend.on("/404", "HTTP/1.1 404 Nope Not Here\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found");
        RawClient c = client();

        Response custom = c.get(API + "/299");
        assertThat(custom.status()).isEqualTo(299);
        assertThat(custom.reason()).isEqualTo("Whatever");
        assertThat(custom.bodyText()).isEqualTo("ok");

        Response notFound = c.get(API + "/404");
        assertThat(notFound.raw()).startsWith("HTTP/1.1 404 Nope Not Here\r\n");
        assertThat(lines(notFound)).containsExactly("Content-Type: text/plain", "Content-Length: 9", "x-request-id: <id>");
        assertThat(notFound.bodyText()).isEqualTo("not found");
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    // ---------------------------------------------------------------- one connection, many messages

    @Test
    void tenMessagesOfMixedFramingInARowStayInStep() throws IOException {
        backend.on("/cl", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
        backend.on("/chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n");
        backend.on("/204", "HTTP/1.1 204 No Content\r\n\r\n");
        backend.on("/head", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        backend.on("/304", "HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n");
        record Step(String method, String path, int status, String body, Framing framing) {
        }
        List<Step> steps = List.of(
                new Step("GET", "/cl", 200, "one", Framing.CONTENT_LENGTH),
                new Step("GET", "/chunked", 200, "two", Framing.CHUNKED),
                new Step("GET", "/204", 204, "", Framing.NONE),
                new Step("HEAD", "/head", 200, "", Framing.NONE),
                new Step("GET", "/304", 304, "", Framing.NONE),
                new Step("HEAD", "/head", 200, "", Framing.NONE),
                new Step("GET", "/chunked", 200, "two", Framing.CHUNKED),
                new Step("GET", "/304", 304, "", Framing.NONE),
                new Step("GET", "/204", 204, "", Framing.NONE),
                new Step("GET", "/cl", 200, "one", Framing.CONTENT_LENGTH));
        RawClient c = client();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            Response r = s.method().equals("HEAD") ? c.head(API + s.path()) : c.get(API + s.path());
            assertThat(r.status()).as("status of request %d (%s %s)", i, s.method(), s.path()).isEqualTo(s.status());
            assertThat(r.framing()).as("framing of request %d", i).isEqualTo(s.framing());
            assertThat(r.bodyText()).as("body of request %d", i).isEqualTo(s.body());
        }
        assertThat(backend.requests).extracting(ScriptedBackend.Request::method)
                .containsExactly(steps.stream().map(Step::method).toArray(String[]::new));
        assertThat(backend.connections).as("backend connections").hasValue(1);
    }

    // ---------------------------------------------------------------- broken backends

    @Test
    void anInvalidStatusLineIsRefusedWith502() throws IOException {
        backend.on("/bad-status", "HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\nok");
        assertRefusedWith502("/bad-status", "status line 'HTTP/1.1 abc OK'");
    }

    @Test
    void aNonNumericContentLengthIsRefusedWith502() throws IOException {
        backend.on("/bad-cl", "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nok");
        assertRefusedWith502("/bad-cl", "Content-Length 'abc'");
    }

    @Test
    void twoContentLengthsAreRefusedWith502() throws IOException {
        backend.on("/two-cl", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok");
        assertRefusedWith502("/two-cl", "more than one Content-Length");
    }

    @Test
    void aHeadOverTheLimitIsRefusedWith502() throws IOException {
        backend.on("/big-head", "HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(UpstreamCodec.MAX_HEAD)
                + "\r\nContent-Length: 2\r\n\r\nok");
        assertRefusedWith502("/big-head", "a response head over " + UpstreamCodec.MAX_HEAD + " bytes");
    }

    /**
     * A response the gateway cannot relay faithfully: a 502 of the gateway's own, the reason in the
     * log (never in the body), the client's connection kept, the backend's closed.
     */
    private void assertRefusedWith502(String path, String why) throws IOException {
        try (LogCapture logs = new LogCapture()) {
            RawClient c = client();
            Response r = c.get(API + path);
            assertThat(r.status()).as(r.raw()).isEqualTo(502);
            assertThat(r.bodyText()).isEqualTo("{\"statusCode\": 502, \"message\": \"Bad gateway\"}");
            assertThat(logs.await(l -> l.contains(why), java.time.Duration.ofSeconds(3)))
                    .as("the log says why").contains("not valid HTTP/1.1").contains("backend 'scripted'");
            assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
            assertThat(backend.connections).as("backend connections").hasValue(2);
        }
    }

    @Test
    void backendClosingMidBodyLeavesTheClientATruncatedResponse() throws IOException {
        backend.on("/mid", Scripted.of("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "y".repeat(50)).thenClose());
        RawClient c = client();
        c.send("GET " + API + "/mid HTTP/1.1\r\nHost: gateway.test\r\n\r\n");

        Truncated t = catchThrowableOfType(Truncated.class, () -> c.read(false));
        assertThat(t).as("the response must not read as complete").isNotNull();
        assertThat(t.received).startsWith("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nx-request-id: ")
                .endsWith("\r\n\r\n" + "y".repeat(50));
        assertThat(c.closedByPeer()).isTrue();
        assertStillServing();
    }

    @Test
    void backendClosingBeforeAnyResponseGives502AndTheConnectionGoesOn() throws IOException {
        backend.on("/gone", Scripted.closeAtOnce());
        RawClient c = client();
        Response r = c.get(API + "/gone");

        assertThat(r.status()).isEqualTo(502);
        assertThat(r.reason()).isEqualTo("Bad Gateway");
        assertThat(lines(r)).containsExactly("content-type: application/json", "content-length: 45", "x-request-id: <id>");
        assertThat(r.bodyText()).isEqualTo("{\"statusCode\": 502, \"message\": \"Bad gateway\"}");
        assertThat(c.get(API + "/hello").bodyText()).isEqualTo("hello");
        assertThat(backend.connections).as("backend connections").hasValue(2);
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------- the raw client

    /** A header line as received: the name as sent, the value without surrounding whitespace. */
    record Header(String name, String value) {
    }

    enum Framing { NONE, CONTENT_LENGTH, CHUNKED, UNTIL_CLOSE }

    /**
     * One response as the client parsed it. {@code chunkLines} are the chunk-size lines of a
     * chunked body as sent (with extensions, without CRLF), the last one included.
     */
    record Response(String version, int status, String reason, List<Header> headers, Framing framing,
                    byte[] body, List<String> chunkLines, List<Header> trailers, String raw) {
        /** The only value of a header (names ignoring case), null when absent. */
        String header(String name) {
            List<String> values = headers(name);
            assertThat(values).as("values of %s in\n%s", name, raw).hasSizeLessThanOrEqualTo(1);
            return values.isEmpty() ? null : values.getFirst();
        }

        List<String> headers(String name) {
            return headers.stream().filter(h -> h.name().equalsIgnoreCase(name)).map(Header::value).toList();
        }

        String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** The connection ended before the response's framing said it was complete. */
    static final class Truncated extends EOFException {
        final String received;

        Truncated(String message, String received) {
            super(message);
            this.received = received;
        }
    }

    /**
     * A client on a plain socket with a strict HTTP/1.1 response parser of its own (bare LF,
     * folded or malformed lines, conflicting lengths all fail), so that what is asserted is the
     * gateway's bytes and not a lenient library's reading of them.
     */
    static final class RawClient implements AutoCloseable {
        private static final Pattern STATUS = Pattern.compile("HTTP/(\\d\\.\\d) (\\d{3}) ([\\x20-\\x7e\\t]*)");
        private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
        private static final Pattern CHUNK = Pattern.compile("([0-9A-Fa-f]+)(;.*)?");
        private final Socket socket;
        private final ByteArrayOutputStream transcript = new ByteArrayOutputStream();
        private final InputStream in;
        private final OutputStream out;
        private int responseStart;

        RawClient(int port) throws IOException {
            this(new Socket(InetAddress.getLoopbackAddress(), port));
        }

        /** Over a socket of the caller's (a TLS one, with the server name the test chose). */
        RawClient(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(5000);
            socket.setTcpNoDelay(true);
            // unbuffered, so nothing past the current response is read; every byte is kept for assertions
            in = new FilterInputStream(socket.getInputStream()) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) {
                        transcript.write(b);
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) {
                        transcript.write(buf, off, n);
                    }
                    return n;
                }
            };
            out = socket.getOutputStream();
        }

        void send(String raw) throws IOException {
            out.write(ascii(raw));
            out.flush();
        }

        void send(byte[] raw) throws IOException {
            out.write(raw);
            out.flush();
        }

        Response get(String path) throws IOException {
            send("GET " + path + " HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
            return read(false);
        }

        Response head(String path) throws IOException {
            send("HEAD " + path + " HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
            return read(true);
        }

        /** Reads one response (an interim 1xx is one too); {@code toHead}: it answers a HEAD. */
        Response read(boolean toHead) throws IOException {
            responseStart = transcript.size();
            String statusLine = line();
            Matcher m = STATUS.matcher(statusLine);
            if (!m.matches()) {
                throw new IOException("malformed status line: " + statusLine);
            }
            int status = Integer.parseInt(m.group(2));
            List<Header> headers = fields();
            Response head = new Response(m.group(1), status, m.group(3), headers, Framing.NONE, new byte[0],
                    List.of(), List.of(), null);
            if (toHead || status < 200 || status == 204 || status == 304) {
                return done(head, Framing.NONE, new byte[0], List.of(), List.of());
            }
            List<String> te = head.headers("transfer-encoding");
            if (!te.isEmpty()) {
                if (te.size() != 1 || !te.getFirst().equalsIgnoreCase("chunked")) {
                    throw new IOException("unsupported transfer-encoding " + te);
                }
                List<String> sizes = new ArrayList<>();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                while (true) {
                    String sizeLine = line();
                    Matcher c = CHUNK.matcher(sizeLine);
                    if (!c.matches()) {
                        throw new IOException("malformed chunk size line: " + sizeLine);
                    }
                    sizes.add(sizeLine);
                    int size = Integer.parseInt(c.group(1), 16);
                    if (size == 0) {
                        break;
                    }
                    body.write(bytes(size));
                    if (!line().isEmpty()) {
                        throw new IOException("chunk data not followed by CRLF");
                    }
                }
                return done(head, Framing.CHUNKED, body.toByteArray(), sizes, fields());
            }
            List<String> lengths = head.headers("content-length");
            if (!lengths.isEmpty()) {
                if (lengths.stream().distinct().count() != 1 || !lengths.getFirst().matches("\\d{1,18}")) {
                    throw new IOException("bad content-length " + lengths);
                }
                return done(head, Framing.CONTENT_LENGTH, bytes(Integer.parseInt(lengths.getFirst())), List.of(), List.of());
            }
            return done(head, Framing.UNTIL_CLOSE, in.readAllBytes(), List.of(), List.of());
        }

        private Response done(Response head, Framing framing, byte[] body, List<String> sizes, List<Header> trailers) {
            String raw = transcript.toString(StandardCharsets.ISO_8859_1).substring(responseStart);
            return new Response(head.version(), head.status(), head.reason(), head.headers(), framing, body, sizes,
                    trailers, raw);
        }

        /** Header (or trailer) lines up to the empty line. */
        private List<Header> fields() throws IOException {
            List<Header> fields = new ArrayList<>();
            for (String l; !(l = line()).isEmpty(); ) {
                int colon = l.indexOf(':');
                if (colon <= 0 || !TOKEN.matcher(l.substring(0, colon)).matches()) {
                    throw new IOException("malformed header line: " + l);
                }
                fields.add(new Header(l.substring(0, colon), l.substring(colon + 1).strip()));
            }
            return fields;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw truncated("connection ended in a line: '" + sb + "'");
                }
                if (b == '\n') {
                    throw new IOException("bare LF after '" + sb + "'");
                }
                if (b == '\r') {
                    int lf = in.read();
                    if (lf < 0) {
                        throw truncated("connection ended in a line: '" + sb + "\\r'");
                    }
                    if (lf != '\n') {
                        throw new IOException("CR not followed by LF after '" + sb + "'");
                    }
                    return sb.toString();
                }
                sb.append((char) b);
            }
        }

        private byte[] bytes(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length < n) {
                throw truncated("connection ended after " + b.length + " of " + n + " bytes");
            }
            return b;
        }

        private Truncated truncated(String message) {
            return new Truncated(message, transcript.toString(StandardCharsets.ISO_8859_1).substring(responseStart));
        }

        /** Whether the gateway closed the connection: the next read ends (or resets) with no byte. */
        boolean closedByPeer() throws IOException {
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException open) {
                return false;
            } catch (SocketException reset) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
