package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TlsFailuresTest {

    static Thread acceptor;
    static ServerSocket closer;
    static ServerSocket plainHttp;

    @BeforeAll
    static void peers() throws IOException {
        closer = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        plainHttp = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().start(() -> {
            while (!closer.isClosed()) {
                try (Socket s = closer.accept()) {
                    s.getInputStream().read(new byte[10]); // read a little of the ClientHello, then hang up
                } catch (IOException e) {
                    return;
                }
            }
        });
        Thread.ofVirtual().start(() -> {
            while (!plainHttp.isClosed()) {
                try (Socket s = plainHttp.accept()) {
                    s.getInputStream().read(new byte[10]);
                    OutputStream out = s.getOutputStream();
                    out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterAll
    static void stop() throws IOException {
        closer.close();
        plainHttp.close();
    }

    private static UpstreamTls anyBackend() {
        return new UpstreamTls(false, false, List.of(), CaStore.empty(), null);
    }

    @Test
    void explainsBackendClosingDuringHandshake() throws Exception {
        HandshakeTest.setUp();
        try {
            HandshakeTest.ClientOutcome c = HandshakeTest.connect(closer.getLocalPort(), anyBackend(), "backend.local",
                    false);
            assertThat(c.handshakeOk()).isFalse();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "backend.local"))
                    .isEqualTo("the backend closed the connection during the handshake");
        } finally {
            HandshakeTest.tearDown();
        }
    }

    @Test
    void explainsPlainHttpBackend() throws Exception {
        HandshakeTest.setUp();
        try {
            HandshakeTest.ClientOutcome c = HandshakeTest.connect(plainHttp.getLocalPort(), anyBackend(),
                    "backend.local", false);
            assertThat(c.handshakeOk()).isFalse();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "backend.local"))
                    .isEqualTo("the backend backend.local did not answer with TLS (is it plain HTTP?)");
        } finally {
            HandshakeTest.tearDown();
        }
    }

    @Test
    void readsAlertNamesFromJdkAndBoringSslMessages() {
        assertThat(TlsFailures.alertName(new SSLHandshakeException("Received fatal alert: unknown_ca")))
                .isEqualTo("unknown_ca");
        assertThat(TlsFailures.alertName(new IOException("wrapped",
                new SSLHandshakeException("error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE"))))
                .isEqualTo("bad_certificate");
        assertThat(TlsFailures.alertName(new SSLHandshakeException(
                "error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED")))
                .isEqualTo("certificate_required");
        assertThat(TlsFailures.alertName(new SSLHandshakeException("no alert here"))).isNull();
    }

    @Test
    void namesOurCertificateWhenTheBackendRejectsIt() {
        Pki.Issued ca = Pki.ca("CN=Gateway CA", Duration.ofDays(1));
        Pki.Issued gw = Pki.issue(ca, Pki.IssueRequest.client("CN=gw"));
        SSLHandshakeException e = new SSLHandshakeException("Received fatal alert: unknown_ca");
        assertThat(TlsFailures.explain(e, TlsFailures.Side.UPSTREAM, "backend.local", gw.certificate()))
                .isEqualTo("the backend rejected our client certificate 'CN=gw' (alert: unknown_ca)");
        assertThat(TlsFailures.explain(e, TlsFailures.Side.UPSTREAM, "backend.local"))
                .startsWith("the backend rejected the handshake and we sent no client certificate");
        assertThat(TlsFailures.explain(e, TlsFailures.Side.DOWNSTREAM, "10.1.2.3"))
                .isEqualTo("the client 10.1.2.3 rejected the gateway's certificate (alert: unknown_ca)");
        assertThat(TlsFailures.reasonLabel(e)).isEqualTo("unknown_ca");
    }

    @Test
    void explainsRefusedChainWithTheVerifierReason() {
        CertificateVerificationException refused = new CertificateVerificationException(
                VerificationResult.failed("expired", "certificate 'CN=backend.local' expired on 2026-01-02T00:00:00Z"));
        assertThat(TlsFailures.explain(new SSLHandshakeException("x") {
            {
                initCause(refused);
            }
        }, TlsFailures.Side.UPSTREAM, "backend.local"))
                .isEqualTo("backend certificate for backend.local was refused (expired): certificate 'CN=backend.local'"
                        + " expired on 2026-01-02T00:00:00Z");
        assertThat(TlsFailures.reasonLabel(refused)).isEqualTo("expired");
    }

    @Test
    void reasonLabelsComeFromAClosedSetOrAreAlertNames() {
        java.util.Map<String, Throwable> cases = new java.util.LinkedHashMap<>();
        cases.put("no_certificate", new SSLHandshakeException("error:...:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE"));
        cases.put("cipher_mismatch", new SSLHandshakeException("error:...:OPENSSL_internal:NO_SHARED_CIPHER"));
        cases.put("protocol_mismatch", new SSLHandshakeException("error:...:OPENSSL_internal:UNSUPPORTED_PROTOCOL"));
        cases.put("not_tls", new SSLHandshakeException("error:...:OPENSSL_internal:HTTP_REQUEST"));
        cases.put("untrusted_issuer", new CertificateVerificationException(
                VerificationResult.failed("chain", "issuer 'CN=X' of 'CN=y' is not among the trusted CA certificates")));
        cases.put("bad_signature", new CertificateVerificationException(VerificationResult.failed("chain",
                "issuer 'CN=X' of 'CN=y' has the name of a trusted CA certificate, but that CA did not sign it")));
        cases.put("not_yet_valid", new CertificateVerificationException(VerificationResult.failed("not-yet-valid", "later")));
        cases.put("revocation_unknown", new CertificateVerificationException(
                VerificationResult.failed("revocation-unknown", "no current CRL")));
        cases.put("weak_crypto", new CertificateVerificationException(VerificationResult.failed("weak-crypto",
                "certificate 'CN=y' is signed with SHA1withRSA, a broken hash (SHA-1 or older) that is refused")));
        cases.put("not_end_entity", new CertificateVerificationException(VerificationResult.failed("not-end-entity",
                "certificate 'CN=y' is a CA certificate (basicConstraints cA), not an end-entity certificate")));
        cases.put("name_constraints", new CertificateVerificationException(VerificationResult.failed("name-constraints",
                "a name in the chain of 'CN=y' is outside the names its CAs may vouch for")));
        cases.put("unknown_ca", new SSLHandshakeException("Received fatal alert: unknown_ca"));
        cases.put("other", new SSLHandshakeException("something else entirely"));
        cases.forEach((label, t) -> assertThat(TlsFailures.reasonLabel(t)).as(label).isEqualTo(label));
        // a peer's text never becomes a label
        assertThat(TlsFailures.reasonLabel(new SSLHandshakeException("Received fatal alert: Evil Label"))).isIn(TlsFailures.LABELS);
    }
}
