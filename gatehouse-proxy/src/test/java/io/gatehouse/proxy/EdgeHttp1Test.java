package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.Http1FramingTest.RawClient;
import io.gatehouse.proxy.Http1FramingTest.Response;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The edge as an attacker meets it, over HTTP/1.1 and TLS with raw bytes: request smuggling
 * through {@code Connection}, bodies whose framing breaks, invalid {@code Host}, control bytes
 * and unknown versions, forged identity and forwarding headers in the head and in trailers. A
 * {@link RecordingBackend} parses with a strict reader of its own what reaches it, so each case
 * asserts both what the client got and what the backend saw (RFC 9112 sections 2 to 7, RFC 9110
 * section 7.6.1; cases after the HTTP request smuggling research of Linhart et al. 2005 and
 * Kettle 2019 to 2022: CL.TE, TE.CL, TE.TE, Connection-stripped framing).
 *
 * <p>The attacker needs no certificate: it uses the {@code request} hostname (the default
 * binding); the victim in the response-poisoning case has a verified certificate on the
 * {@code require-and-verify} hostname.
 */
class EdgeHttp1Test extends EdgeFixture {
    // ---------------------------------------------------------------- smuggling through Connection

    @ParameterizedTest(name = "Connection: {0}")
    @ValueSource(strings = {"content-length", "Content-Length", "keep-alive, Content-Length", "close,content-length",
            "transfer-encoding", "Host", "keep-alive, host"})
    void connectionNamingAFramingOrRoutingFieldIsRefusedAndNothingIsForwarded(String connection) throws Exception {
        start();
        RawClient c = attacker();
        boolean chunked = connection.toLowerCase().contains("transfer-encoding");
        String body = chunked ? Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n" : SMUGGLED;
        c.send(post("/open/a", chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + SMUGGLED.length(),
                "Connection: " + connection) + body);
        assertRefusedAndClosed(c, 400);
        assertBackendSawNothing();
    }

    @Test
    void connectionNamingFramingOnThePolicyRouteIsRefusedToo() throws Exception {
        start();
        RawClient c = attacker();
        c.send(post("/policied/a", "Content-Length: " + SMUGGLED.length(), "Connection: Content-Length") + SMUGGLED);
        assertRefusedAndClosed(c, 400);
        assertBackendSawNothing();
    }

    @Test
    void connectionNamingOrdinaryHopByHopFieldsStillWorksAndThoseFieldsAreDropped() throws Exception {
        start();
        RawClient c = attacker();
        c.send(post("/open/hop", "Content-Length: 5", "Connection: keep-alive, X-Private, TE", "TE: trailers",
                "X-Private: drop me", "X-Kept: yes") + "hello");
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.bodyText()).isEqualTo("hello");
        assertThat(seen.header("content-length")).isEqualTo("5");
        assertThat(seen.header("x-kept")).isEqualTo("yes");
        assertThat(seen.names()).map(String::toLowerCase).doesNotContain("x-private", "te", "connection");
    }

    /**
     * The report's response-poisoning run: the attacker smuggles a request to a slow path; a
     * verified client on the strict hostname must get its own response, and the backend must see
     * exactly the requests clients sent. Run three times, as the report did.
     */
    @Test
    void aSmuggledRequestCannotPoisonAnotherClientsResponse() throws Exception {
        start();
        backend.delay("/slow", 300);
        String slow = "GET /open/slow HTTP/1.1\r\nHost: " + OPEN + "\r\n\r\n";
        for (int round = 0; round < 3; round++) {
            RawClient attacker = attacker();
            attacker.send(post("/open/a", "Content-Length: " + slow.length(), "Connection: content-length") + slow);
            assertRefusedAndClosed(attacker, 400);
            RawClient victim = tls(STRICT, world.client);
            victim.send("GET /open/victim-" + round + " HTTP/1.1\r\nHost: " + STRICT + "\r\n\r\n");
            Response r = victim.read(false);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.bodyText()).isEqualTo("seen /victim-" + round);
        }
        assertThat(backend.requests).extracting(RecordingBackend.Request::target)
                .containsExactly("/victim-0", "/victim-1", "/victim-2");
    }

    // ---------------------------------------------------------------- framing the gateway reads

    @Test
    void contentLengthBodyGoesOnWithTheSameFraming() throws Exception {
        start();
        RawClient c = attacker();
        c.send(post("/open/cl", "Content-Length: 11") + "hello world");
        assertThat(c.read(false).status()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.header("content-length")).isEqualTo("11");
        assertThat(seen.bodyText()).isEqualTo("hello world");
        assertThat(seen.chunked()).isFalse();
    }

    @Test
    void chunkedBodyGoesOnChunkedOnBothRoutes() throws Exception {
        start();
        for (String api : List.of("/open", "/policied")) {
            RawClient c = attacker();
            c.send(post(api + "/chunked", "Transfer-Encoding: chunked") + "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n");
            Response r = c.read(false);
            assertThat(r.status()).as(r.raw()).isEqualTo(200);
        }
        assertThat(backend.requests).hasSize(2).allSatisfy(seen -> {
            assertThat(seen.chunked()).as(seen.target()).isTrue();
            assertThat(seen.bodyText()).isEqualTo("hello world");
            assertThat(seen.header("content-length")).isNull();
        });
        assertThat(backend.requests.get(1).header("x-policy")).isEqualTo("ran");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "Content-Length: 5|Transfer-Encoding: chunked",          // CL.TE
            "Transfer-Encoding: chunked|Content-Length: 5",          // TE.CL
            "Content-Length: 5|Content-Length: 6",                   // two lengths
            "Content-Length: 5, 6",
            "Content-Length: +5",
            "Content-Length: -5",
            "Content-Length: 0x5",
            "Content-Length: 5 5",
            "Transfer-Encoding: chunked, identity",                  // chunked not last
            "Transfer-Encoding: identity",
            "Transfer-Encoding: xchunked",
            "Transfer-Encoding : chunked",                           // space before the colon
            "Transfer-Encoding:\u000bchunked",                       // vertical tab
            " Transfer-Encoding: chunked",                           // a folded first line
            "Transfer-Encoding: chunked|Transfer-Encoding: chunked",  // chunked twice
            "Sec-WebSocket-Key1: 1|Sec-WebSocket-Key2: 2",           // Netty's 8-byte WebSocket draft body
    })
    void ambiguousFramingIsRefusedAndNothingIsForwarded(String lines) throws Exception {
        start();
        RawClient c = attacker();
        String[] headers = lines.split("\\|");
        String body = "5\r\nhello\r\n0\r\n\r\n" + SMUGGLED;
        c.send(post("/open/a", headers) + body);
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isIn(400, 501);
        assertThat(c.closedByPeer()).as("connection closed after the refusal").isTrue();
        assertBackendSawNothing();
    }

    @Test
    void aTransferCodingTheGatewayDoesNotDecodeIs501() throws Exception {
        start();
        RawClient c = attacker();
        c.send(post("/open/a", "Transfer-Encoding: gzip, chunked") + "5\r\nhello\r\n0\r\n\r\n");
        assertRefusedAndClosed(c, 501);
        assertBackendSawNothing();
    }

    @Test
    void transferEncodingOnHttp10IsRefused() throws Exception {
        start();
        RawClient c = attacker();
        c.send("POST /open/a HTTP/1.0\r\nHost: " + OPEN + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        Response r = c.read(false);
        assertThat(r.status()).isEqualTo(400);
        assertBackendSawNothing();
    }

    /**
     * The report's malformed chunked bodies, each sent after a good first chunk that went out
     * alone, so the gateway has already begun streaming the request when the bad part arrives:
     * the client gets 400 and a closed connection, and the backend never a complete request (its
     * connection is closed mid-body).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ffffffffffffffffff5\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n",
            "0x5\r\nhello\r\n0\r\n\r\n", "\r\nhello\r\n0\r\n\r\n", "3\r\nhello\r\n0\r\n\r\n",
            "5\r\nhello0\r\n\r\n", "5\nhello\n0\n\n", "5 \r\nhello\r\n0\r\n\r\n", "5;a=\"\u0001\"\r\nhello\r\n0\r\n\r\n",
            "0\r\nX-Bad Trailer: 1\r\n\r\n"})
    void malformedChunkedBodyIsRefusedAndTheBackendNeverGetsItWhole(String bad) throws Exception {
        start();
        for (String api : List.of("/open", "/policied")) {
            RawClient c = attacker();
            c.send(post(api + "/upload", "Transfer-Encoding: chunked") + "4\r\ngood\r\n");
            Thread.sleep(150); // the head and the first chunk are on their way to the backend
            c.send(bad);
            assertRefusedAndClosed(c, 400);
        }
        Thread.sleep(300);
        assertThat(backend.requests).as("complete requests at the backend").isEmpty();
        for (RecordingBackend.Connection conn : backend.connections) {
            assertThat(conn.awaitEnd(3000)).as("the gateway closed backend connection %d", conn.index).isTrue();
        }
    }

    @Test
    void aClientThatStopsMidBodyNeverDeliversAWholeRequest() throws Exception {
        start();
        RawClient c = attacker();
        c.send(post("/open/upload", "Content-Length: 100") + "only part of it");
        Thread.sleep(200);
        c.close();
        Thread.sleep(300);
        assertThat(backend.requests).isEmpty();
    }

    // ---------------------------------------------------------------- Host

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "",                                                      // none on HTTP/1.1
            "Host: " + OPEN + "|Host: " + OPEN,                      // two, even equal
            "Host: " + OPEN + "|Host: " + STRICT,
            "Host: u@" + STRICT,
            "Host: " + STRICT + ", other",
            "Host: " + STRICT + " other",
            "Host: " + STRICT + ":",
            "Host: " + STRICT + ":99999",
            "Host: " + STRICT + ":443x",
            "Host: ",
            "Host: [::1",
            "Host: " + STRICT + "/x",
            "Host: %73trict.gatehouse.test",
    })
    void invalidHostIsRefused(String hostLines) throws Exception {
        start();
        RawClient c = attacker();
        StringBuilder req = new StringBuilder("GET /open/h HTTP/1.1\r\n");
        for (String h : hostLines.split("\\|")) {
            if (!h.isEmpty()) {
                req.append(h).append("\r\n");
            }
        }
        c.send(req.append("\r\n").toString());
        assertRefusedAndClosed(c, 400);
        assertBackendSawNothing();
    }

    @Test
    void validHostsAreServedAndXForwardedHostIsTheValidatedValue() throws Exception {
        start();
        for (String host : List.of(OPEN, OPEN.toUpperCase(), OPEN + ":" + "443", "127.0.0.1", "[::1]:8443")) {
            RawClient c = attacker();
            c.send("GET /open/h HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
            Response r = c.read(false);
            assertThat(r.status()).as(host + ": " + r.raw()).isEqualTo(200);
            assertThat(backend.requests.getLast().header("x-forwarded-host")).isEqualTo(host);
            assertThat(backend.requests.getLast().header("host")).as("the backend's own authority")
                    .isEqualTo("127.0.0.1:" + backend.port());
        }
    }

    /**
     * RFC 9112 section 3.2.2: the absolute form is accepted and its authority is the Host, so it
     * is what the TLS server name is checked against (the strict hostname named in the target of
     * a request on the lax connection is the same mismatch as naming it in Host).
     */
    @Test
    void anAbsoluteFormTargetIsServedWithItsAuthorityAsTheHost() throws Exception {
        start();
        RawClient c = attacker();
        c.send("GET https://" + OPEN + "/open/abs?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n");
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.target()).isEqualTo("/abs?q=1");
        assertThat(seen.header("x-forwarded-host")).isEqualTo(OPEN);

        RawClient sneaky = attacker();
        sneaky.send("GET https://" + STRICT + "/open/abs HTTP/1.1\r\nHost: " + OPEN + "\r\n\r\n");
        assertThat(sneaky.read(false).status()).as("the strict hostname named over the lax connection").isEqualTo(421);
        assertThat(backend.requests).hasSize(1);
    }

    @Test
    void http10WithoutHostIsServed() throws Exception {
        start();
        RawClient c = attacker();
        c.send("GET /open/old HTTP/1.0\r\n\r\n");
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(200);
        assertThat(backend.requests).extracting(RecordingBackend.Request::target).containsExactly("/old");
    }

    // ---------------------------------------------------------------- request line

    @ParameterizedTest(name = "byte {0}")
    @ValueSource(ints = {0x00, 0x01, 0x07, 0x08, 0x09, 0x0b, 0x0c, 0x1b, 0x7f, 0x80, 0xff})
    void aControlOrNonAsciiByteInTheTargetIsRefused(int b) throws Exception {
        start();
        RawClient c = attacker();
        byte[] head = ("GET /open/a" + (char) b + "b HTTP/1.1\r\nHost: " + OPEN + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        c.send(head);
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(400);
        assertBackendSawNothing();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/2.0", "HTTP/9.9", "HTTP/1.2", "HTTP/3.0"})
    void anUnknownVersionIs505(String version) throws Exception {
        start();
        RawClient c = attacker();
        c.send("GET /open/a " + version + "\r\nHost: " + OPEN + "\r\n\r\n");
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(505);
        assertBackendSawNothing();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"GET /open/a HTTP/1.1 extra", "GET /open/a#frag HTTP/1.1",
            "GET open/a HTTP/1.1", "GET * HTTP/1.1", "GET /open/a http/1.1", "GET /open/a HTTP/1.1\u000b",
            "G\u0000T /open/a HTTP/1.1"})
    void aMalformedRequestLineIsRefused(String line) throws Exception {
        start();
        RawClient c = attacker();
        c.send(line + "\r\nHost: " + OPEN + "\r\n\r\n");
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isIn(400, 505);
        assertBackendSawNothing();
    }

    @Test
    void bareLineFeedsAreRefused() throws Exception {
        start();
        RawClient c = attacker();
        c.send("GET /open/a HTTP/1.1\nHost: " + OPEN + "\n\n");
        assertThat(c.read(false).status()).isEqualTo(400);
        assertBackendSawNothing();
    }

    // ---------------------------------------------------------------- forged identity

    /** The report's forged identity headers, with case and underscore variants. */
    static final List<String> FORGED = List.of(
            "Client-Cert: :Zm9yZ2Vk:", "Client-Cert-Chain: :Zm9yZ2Vk:", "X-Forwarded-Client-Cert: Hash=forged",
            "X-Client-Cert: forged", "ssl-client-cert: forged", "X-SSL-Cert: forged", "X-SSL-Client-Verify: SUCCESS",
            "SSL-Client-Verify: SUCCESS", "X-SSL-Client-S-DN: CN=admin", "X-Client-DN: CN=admin",
            "X-Forwarded-Tls-Client-Cert: forged", "X-Amzn-Mtls-Clientcert: forged", "X-MS-CLIENT-PRINCIPAL-NAME: admin",
            "X-MS-CLIENT-PRINCIPAL: e30=", "X-ARR-ClientCert: forged", "X_Forwarded_Client_Cert: forged",
            "Client_Cert: forged", "X_SSL_Client_Verify: SUCCESS", "x-ssl-client-fingerprint: forged",
            "X-Original-URL: /admin", "X-Rewrite-URL: /admin", "X-Remote-User: admin", "Remote-User: admin",
            "X-Forwarded-User: admin", "X-Auth-Request-Email: admin@example.com", "X_Forwarded_For: 6.6.6.6",
            "X-Forwarded-Port: 443", "X-Forwarded-Prefix: /admin", "X-Original-Host: admin.internal",
            "True-Client-IP: 6.6.6.6", "X-Client-IP: 6.6.6.6");

    @Test
    void forgedIdentityHeadersNeverReachTheBackend() throws Exception {
        start();
        RawClient c = attacker();
        List<String> lines = new ArrayList<>(FORGED);
        lines.add("X-Forwarded-For: 6.6.6.6");
        lines.add("X-Real-IP: 6.6.6.6");
        lines.add("Forwarded: for=6.6.6.6;proto=https");
        lines.add("X-Forwarded-Host: admin.internal");
        lines.add("X-Forwarded-Proto: http");
        lines.add("X-Correlation-Id: kept");
        c.send("GET /open/id HTTP/1.1\r\nHost: " + OPEN + "\r\n" + String.join("\r\n", lines) + "\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        for (String forged : FORGED) {
            String name = forged.substring(0, forged.indexOf(':'));
            assertThat(seen.all(name)).as(name).isEmpty();
        }
        assertThat(seen.headers()).extracting(h -> h[1]).noneMatch(v -> v.contains("forged") || v.contains("6.6.6.6")
                || v.contains("admin"));
        assertThat(seen.all("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(seen.all("x-real-ip")).containsExactly("127.0.0.1");
        assertThat(seen.all("forwarded")).containsExactly("for=127.0.0.1;proto=https;host=\"" + OPEN + "\"");
        assertThat(seen.all("x-forwarded-host")).containsExactly(OPEN);
        assertThat(seen.all("x-forwarded-proto")).containsExactly("https");
        assertThat(seen.all("x-correlation-id")).containsExactly("kept");
    }

    @Test
    void forgedIdentityInChunkedTrailersNeverReachesTheBackend() throws Exception {
        start();
        for (String api : List.of("/open", "/policied")) {
            RawClient c = attacker();
            c.send(post(api + "/trailers", "Transfer-Encoding: chunked", "Trailer: X-Checksum") + "5\r\nhello\r\n0\r\n"
                    + String.join("\r\n", FORGED) + "\r\nX-Forwarded-For: 6.6.6.6\r\nHost: evil\r\nX-Checksum: abc\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
        }
        RecordingBackend.Request plain = backend.requests.getFirst();
        assertThat(plain.bodyText()).isEqualTo("hello");
        assertThat(plain.trailerNames()).as("the plain route keeps harmless trailers").containsExactly("X-Checksum");
        for (RecordingBackend.Request seen : backend.requests) {
            assertThat(seen.trailers()).extracting(h -> h[1]).noneMatch(v -> v.contains("forged")
                    || v.contains("6.6.6.6") || v.contains("admin") || v.equals("evil"));
        }
    }

    @Test
    void aTrustedProxysForwardingHeadersAreAppendedToAndIdentityIsStillRemoved() throws Exception {
        start("  trustedProxies: [127.0.0.0/8, \"::1\"]");
        RawClient c = attacker();
        c.send("GET /open/proxied HTTP/1.1\r\nHost: " + OPEN + "\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n"
                + "X-Real-IP: 203.0.113.7\r\nForwarded: for=203.0.113.7\r\nX_Forwarded_For: 6.6.6.6\r\n"
                + "X-Forwarded-Client-Cert: forged\r\nX-Forwarded-Port: 8443\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(200);
        RecordingBackend.Request seen = backend.requests.getFirst();
        assertThat(seen.all("x-forwarded-for")).containsExactly("203.0.113.7, 10.0.0.2, 127.0.0.1");
        assertThat(seen.all("x-real-ip")).containsExactly("203.0.113.7");
        assertThat(seen.all("forwarded")).containsExactly("for=203.0.113.7, for=127.0.0.1;proto=https;host=\"" + OPEN + "\"");
        assertThat(seen.all("x-forwarded-port")).containsExactly("8443");
        assertThat(seen.all("X_Forwarded_For")).isEmpty();
        assertThat(seen.all("x-forwarded-client-cert")).isEmpty();
    }

    @Test
    void anUntrustedPeerIsNotTrustedBecauseOtherRangesAre() throws Exception {
        start("  trustedProxies: [10.0.0.0/8]");
        RawClient c = attacker();
        c.send("GET /open/p HTTP/1.1\r\nHost: " + OPEN + "\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n");
        assertThat(c.read(false).status()).isEqualTo(200);
        assertThat(backend.requests.getFirst().all("x-forwarded-for")).containsExactly("127.0.0.1");
    }

    @Test
    void theGatewayForwardsAVerifiedClientCertificateAsRfc9440AndXfcc() throws Exception {
        start();
        RawClient verified = tls(STRICT, world.client);
        verified.send("GET /certified/me HTTP/1.1\r\nHost: " + STRICT + "\r\nClient-Cert: :Zm9yZ2Vk:\r\n\r\n");
        assertThat(verified.read(false).status()).isEqualTo(200);
        verified.send("GET /xfcc/me HTTP/1.1\r\nHost: " + STRICT + "\r\nX-Forwarded-Client-Cert: Hash=forged\r\n\r\n");
        assertThat(verified.read(false).status()).isEqualTo(200);
        RecordingBackend.Request rfc = backend.requests.get(0);
        assertThat(rfc.all("client-cert")).containsExactly(
                ":" + Base64.getEncoder().encodeToString(world.client.certificate().getEncoded()) + ":");
        RecordingBackend.Request xfcc = backend.requests.get(1);
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(world.client.certificate().getEncoded()));
        assertThat(xfcc.all("x-forwarded-client-cert")).singleElement().asString()
                .startsWith("Hash=" + sha256 + ";Cert=\"").contains(";Subject=\"CN=clinic-app,O=Contoso,C=US\"")
                .doesNotContain("forged");

        // a certificate that does not verify (the impostor CA) on the lax hostname: nothing is forwarded
        RawClient rogue = tls(OPEN, world.rogueClient);
        rogue.send("GET /certified/rogue HTTP/1.1\r\nHost: " + OPEN + "\r\nClient-Cert: :Zm9yZ2Vk:\r\n\r\n");
        assertThat(rogue.read(false).status()).isEqualTo(200);
        assertThat(backend.requests.get(2).all("client-cert")).isEmpty();
        RawClient none = attacker();
        none.send("GET /certified/none HTTP/1.1\r\nHost: " + OPEN + "\r\n\r\n");
        assertThat(none.read(false).status()).isEqualTo(200);
        assertThat(backend.requests.get(3).all("client-cert")).isEmpty();
    }

    // ---------------------------------------------------------------- many clients at once

    /** Well-formed and hostile clients interleaved: every good one gets its own answer. */
    @Test
    void goodClientsGetTheirOwnResponsesWhileAttackersHammer() throws Exception {
        start();
        backend.delay("/slow", 50);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                int n = i;
                results.add(pool.submit(() -> {
                    if (n % 2 == 0) {
                        RawClient a = attacker();
                        a.send(post("/open/a", "Transfer-Encoding: chunked", "Connection: transfer-encoding")
                                + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n");
                        try {
                            return "attacker " + a.read(false).status();
                        } catch (SocketException reset) {
                            return "attacker reset";
                        }
                    }
                    RawClient v = tls(STRICT, world.client);
                    v.send("GET /open/slow?n=" + n + " HTTP/1.1\r\nHost: " + STRICT + "\r\n\r\n");
                    return v.read(false).bodyText();
                }));
            }
            for (int i = 0; i < results.size(); i++) {
                String got = results.get(i).get();
                if (i % 2 == 0) {
                    assertThat(got).isIn("attacker 400", "attacker reset");
                } else {
                    assertThat(got).isEqualTo("seen /slow?n=" + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertBackendSawOnlyTheGoodOnes(12);
    }

    private void assertBackendSawOnlyTheGoodOnes(int good) throws InterruptedException {
        Thread.sleep(200);
        assertThat(backend.requests).hasSize(good).allSatisfy(r -> assertThat(r.target()).startsWith("/slow?n="));
        assertThat(backend.allBytes()).doesNotContain("admin-smuggled");
    }
}
