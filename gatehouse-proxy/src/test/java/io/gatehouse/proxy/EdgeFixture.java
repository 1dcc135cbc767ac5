package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.Http1FramingTest.RawClient;
import io.gatehouse.proxy.Http1FramingTest.Response;
import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the edge tests share: a dev PKI, a gateway on a TLS port with a {@code request} hostname
 * (the default binding, where an attacker needs no certificate) and a {@code require-and-verify}
 * one, APIs without and with policies and with {@code forwardClientCertificate}, a
 * {@link RecordingBackend} behind them, and raw TLS clients with the server name a test chooses.
 */
abstract class EdgeFixture {
    static final String OPEN = TestWorld.OPEN_HOST;
    static final String STRICT = TestWorld.STRICT_HOST;

    @TempDir
    static Path pki;
    static TestWorld world;

    @TempDir
    Path tmp;
    RecordingBackend backend;
    GatewayHarness gw;
    int port;
    final List<RawClient> clients = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void world() {
        world = new TestWorld(pki.resolve("pki"));
    }

    void start(String gatewayExtra) throws IOException {
        backend = new RecordingBackend();
        port = Ports.free();
        Files.writeString(tmp.resolve("policy.xml"), """
                <policies>
                  <inbound><base /><set-header name="X-Policy" exists-action="override"><value>ran</value></set-header></inbound>
                  <backend><base /></backend>
                  <outbound><base /></outbound>
                  <on-error><base /></on-error>
                </policies>
                """);
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                %s
                %s%s%s
                backends:
                  - id: rec
                    url: %s
                    timeout: 5
                apis:
                  - id: open
                    path: open
                    backendId: rec
                  - id: policied
                    path: policied
                    backendId: rec
                    policy: policy.xml
                  - id: certified
                    path: certified
                    backendId: rec
                    forwardClientCertificate: rfc9440
                  - id: xfcc
                    path: xfcc
                    backendId: rec
                    forwardClientCertificate: xfcc
                """.formatted(port, gatewayExtra, E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world),
                backend.url()));
    }

    void start() throws IOException {
        start("");
    }

    @AfterEach
    void stop() throws IOException {
        for (RawClient c : clients) {
            c.close();
        }
        for (RawH2Client c : h2Clients) {
            c.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** A TLS socket to the gateway with {@code sni} as the server name (null: none sent), presenting {@code cert}. */
    SSLSocket tlsSocket(String sni, Pki.Issued cert, String alpn) throws IOException {
        SSLSocket s = (SSLSocket) DownstreamMtlsTestSupport.sslContext(world, cert).getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.<SNIServerName>of() : List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[] {alpn});
        s.setSSLParameters(p);
        s.startHandshake();
        assertThat(s.getApplicationProtocol()).isEqualTo(alpn);
        return s;
    }

    /** A raw HTTP/1.1 client over TLS ({@link #tlsSocket}). */
    RawClient tls(String sni, Pki.Issued cert) throws IOException {
        RawClient c = new RawClient(tlsSocket(sni, cert, "http/1.1"));
        clients.add(c);
        return c;
    }

    /** A raw HTTP/2 client over TLS ({@link #tlsSocket}, ALPN h2). */
    RawH2Client h2(String sni, Pki.Issued cert) throws IOException {
        RawH2Client c = new RawH2Client(tlsSocket(sni, cert, "h2"));
        h2Clients.add(c);
        return c;
    }

    final List<RawH2Client> h2Clients = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The attacker: the lax hostname, no certificate. */
    RawClient attacker() throws IOException {
        return tls(OPEN, null);
    }

    static String post(String path, String... headerLines) {
        StringBuilder sb = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: " + OPEN + "\r\n");
        for (String h : headerLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    /** A whole second request, as smuggled in a body. */
    static final String SMUGGLED = "GET /open/admin-smuggled HTTP/1.1\r\nHost: " + OPEN + "\r\nX-Smuggled: yes\r\n\r\n";

    /** The client got 400 (or, where {@code status} says, that), and its connection was closed after it. */
    static void assertRefusedAndClosed(RawClient c, int status) throws IOException {
        Response r = c.read(false);
        assertThat(r.status()).as(r.raw()).isEqualTo(status);
        assertThat(r.header("connection")).as(r.raw()).isEqualToIgnoringCase("close");
        assertThat(r.bodyText()).as("the body says nothing of why").doesNotContainIgnoringCase("content-length")
                .doesNotContainIgnoringCase("transfer-encoding").doesNotContainIgnoringCase("host");
        assertThat(c.closedByPeer()).as("connection closed after the refusal").isTrue();
    }

    /** No request at all reached the backend (and, after a pause for stragglers, still none). */
    void assertBackendSawNothing() throws InterruptedException {
        Thread.sleep(300);
        assertThat(backend.requests).as("requests the backend parsed").isEmpty();
        assertThat(backend.allBytes()).as("bytes the backend received").doesNotContain("admin-smuggled");
    }

}
