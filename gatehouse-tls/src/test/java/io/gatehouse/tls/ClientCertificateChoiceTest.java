package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.netty.handler.ssl.SslProvider;

/**
 * {@code credentials.certificateIds} with several certificates, over real handshakes with both
 * TLS providers: the certificate presented is the first that chains to a CA the server's
 * CertificateRequest names, else the first listed.
 */
class ClientCertificateChoiceTest {

    static final Pki.Issued partnerRoot = Pki.ca("CN=Partner Lab Root,O=Fabrikam", Duration.ofDays(30));
    static final Pki.Issued partnerIssuing = Pki.intermediate(partnerRoot, "CN=Partner Lab Issuing,O=Fabrikam",
            Duration.ofDays(20));
    static final Pki.Issued forPartner = Pki.issue(partnerIssuing, Pki.IssueRequest.client("CN=gateway-for-partner"));
    static final Pki.Issued otherRoot = Pki.ca("CN=Other Root", Duration.ofDays(30));
    static final Pki.Issued forOther = Pki.issue(otherRoot, Pki.IssueRequest.client("CN=gateway-for-other"));

    @org.junit.jupiter.api.BeforeAll
    static void group() {
        HandshakeTest.setUp();
    }

    @org.junit.jupiter.api.AfterAll
    static void stop() {
        HandshakeTest.tearDown();
    }

    private static String presented(List<Pki.Issued> serverTrusts,
            List<KeyMaterial> ours, SslProvider provider, String tlsVersion) throws Exception {
        CaStore store = CaStore.of(serverTrusts.stream().map(Pki.Issued::certificate).toList(), List.of(), List.of());
        try (HandshakeTest.Server s = new HandshakeTest.Server(ClientCertificateMode.REQUEST, tlsVersion, store,
                HandshakeTest.serverCert.keyMaterial(), provider)) {
            UpstreamTls tls = new UpstreamTls(true, true, List.of(HandshakeTest.serverRoot.certificate()),
                    CaStore.empty(), ours, RevocationMode.OFF);
            HandshakeTest.ClientOutcome c = HandshakeTest.connect(s.port(), tls, "gw.contoso.local", true, provider);
            assertThat(c.handshakeOk()).as("handshake, error %s", c.error()).isTrue();
            Object outcome = s.outcome();
            assertThat(outcome).isInstanceOf(HandshakeInfo.class);
            HandshakeInfo info = (HandshakeInfo) outcome;
            return info.clientCertificate() == null ? null
                    : info.clientCertificate().getSubjectX500Principal().getName();
        }
    }

    @Test
    void presentsTheCertificateThatChainsToACaTheServerNames() throws Exception {
        for (SslProvider provider : List.of(SslContextFactory.provider(), SslProvider.JDK)) {
            for (String version : List.of("1.2", "1.3")) {
                // the partner's certificate is second in the list: picked because the server names its root
                assertThat(presented(List.of(partnerRoot), List.of(forOther.keyMaterial(),
                        forPartner.keyMaterial()), provider, version))
                        .as("%s TLS %s", provider, version).isEqualTo("CN=gateway-for-partner");
                assertThat(presented(List.of(otherRoot), List.of(forOther.keyMaterial(),
                        forPartner.keyMaterial()), provider, version))
                        .as("%s TLS %s", provider, version).isEqualTo("CN=gateway-for-other");
            }
        }
    }

    @Test
    void presentsTheFirstWhenNoneFitsOrTheServerNamesNoCa() throws Exception {
        Pki.Issued unrelated = Pki.ca("CN=Unrelated Root", Duration.ofDays(30));
        assertThat(presented(List.of(unrelated), List.of(forPartner.keyMaterial(), forOther.keyMaterial()),
                SslContextFactory.provider(), "1.3")).isEqualTo("CN=gateway-for-partner");
        assertThat(presented(List.of(), List.of(forOther.keyMaterial(), forPartner.keyMaterial()),
                SslContextFactory.provider(), "1.2")).isEqualTo("CN=gateway-for-other");
    }

    @Test
    void matchesAnIntermediateNamedByTheServer() {
        HandshakeCertificateChecks.PresentedKeyManager km = new HandshakeCertificateChecks.PresentedKeyManager(
                List.of(forOther.keyMaterial(), forPartner.keyMaterial()));
        assertThat(km.choose(new java.security.Principal[] {partnerIssuing.certificate().getSubjectX500Principal()}))
                .isEqualTo(1);
        assertThat(km.choose(new java.security.Principal[] {otherRoot.certificate().getSubjectX500Principal()}))
                .isEqualTo(0);
        assertThat(km.choose(null)).isEqualTo(0);
        assertThat(km.getPrivateKey("gatehouse-client-1")).isSameAs(forPartner.keyPair().getPrivate());
        assertThat(km.getPrivateKey("gatehouse-client-2")).isNull();
        assertThat(km.getCertificateChain("other")).isNull();
    }
}
