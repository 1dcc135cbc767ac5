package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.gatehouse.tls.ChainVerifier.Purpose;

class ChainVerifierTest {

    static Pki.Issued root;
    static Pki.Issued intermediate;
    static Pki.Issued client;
    static Pki.Issued clientViaIntermediate;
    static Instant now;

    @BeforeAll
    static void pki() {
        root = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(365));
        intermediate = Pki.intermediate(root, "CN=Contoso Issuing CA,O=Contoso", Duration.ofDays(200));
        client = Pki.issue(root, Pki.IssueRequest.client("CN=clinic-app,O=Contoso"));
        clientViaIntermediate = Pki.issue(intermediate, Pki.IssueRequest.client("CN=lab-app,O=Contoso"));
        now = Instant.now();
    }

    private static ChainVerifier verifier(RevocationMode mode, List<java.security.cert.X509CRL> crls,
            X509Certificate... intermediates) {
        return new ChainVerifier(CaStore.of(List.of(root.certificate()), List.of(intermediates), crls), mode);
    }

    private static ChainVerifier rootsOnly() {
        return verifier(RevocationMode.SOFT_FAIL, List.of());
    }

    @Test
    void acceptsCertificateIssuedByTrustedRoot() {
        assertThat(rootsOnly().verify(client.chain(), Purpose.CLIENT_AUTH, now)).isEqualTo(VerificationResult.ok());
    }

    @Test
    void acceptsChainThroughIntermediateSentByPeer() {
        assertThat(clientViaIntermediate.chain()).hasSize(2);
        assertThat(rootsOnly().verify(clientViaIntermediate.chain(), Purpose.CLIENT_AUTH, now).valid()).isTrue();
    }

    @Test
    void acceptsChainThroughIntermediateFromStore() {
        ChainVerifier v = verifier(RevocationMode.SOFT_FAIL, List.of(), intermediate.certificate());
        assertThat(v.verify(List.of(clientViaIntermediate.certificate()), Purpose.CLIENT_AUTH, now).valid()).isTrue();
    }

    @Test
    void rejectsMissingIntermediateNamingTheIssuer() {
        VerificationResult r = rootsOnly().verify(List.of(clientViaIntermediate.certificate()), Purpose.CLIENT_AUTH, now);
        assertThat(r.valid()).isFalse();
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).isEqualTo("issuer 'CN=Contoso Issuing CA, O=Contoso' of 'CN=lab-app, O=Contoso'"
                + " is not among the trusted CA certificates");
    }

    @Test
    void rejectsUnknownCa() {
        Pki.Issued unknown = Pki.ca("CN=Unknown CA", Duration.ofDays(10));
        Pki.Issued stranger = Pki.issue(unknown, Pki.IssueRequest.client("CN=clinic-app"));
        VerificationResult r = rootsOnly().verify(stranger.chain(), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).isEqualTo("issuer 'CN=Unknown CA' of 'CN=clinic-app' is not among the trusted CA certificates");
    }

    @Test
    void rejectsImpostorCaWithTheSameName() {
        Pki.Issued impostor = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(10));
        Pki.Issued forged = Pki.issue(impostor, Pki.IssueRequest.client("CN=clinic-app,O=Contoso"));
        VerificationResult r = rootsOnly().verify(forged.chain(), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).contains("has the name of a trusted CA certificate, but that CA did not sign it");

        // sending the impostor root along does not help
        VerificationResult withRoot = rootsOnly().verify(List.of(forged.certificate(), impostor.certificate()),
                Purpose.CLIENT_AUTH, now);
        assertThat(withRoot.valid()).isFalse();
        assertThat(withRoot.failedCheck()).isEqualTo("chain");
        assertThat(withRoot.reason()).contains("has the name of a trusted CA certificate but is a different certificate");
    }

    @Test
    void rejectsExpiredClientCertificate() {
        Instant from = now.minus(30, ChronoUnit.DAYS);
        Instant until = now.minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Pki.Issued old = Pki.issue(root, Pki.IssueRequest.client("CN=old-app").withValidity(from, until));
        VerificationResult r = rootsOnly().verify(old.chain(), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("expired");
        assertThat(r.reason()).isEqualTo("certificate 'CN=old-app' expired on " + until);
    }

    @Test
    void rejectsNotYetValidClientCertificate() {
        Instant from = now.plus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Pki.Issued future = Pki.issue(root, Pki.IssueRequest.client("CN=future-app")
                .withValidity(from, from.plus(10, ChronoUnit.DAYS)));
        VerificationResult r = rootsOnly().verify(future.chain(), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("not-yet-valid");
        assertThat(r.reason()).isEqualTo("certificate 'CN=future-app' is not valid before " + from);
    }

    @Test
    void rejectsChainWhoseIntermediateHasExpiredAtTheCheckTime() {
        Instant later = now.plus(250, ChronoUnit.DAYS); // intermediate lives 200 days, the leaf 397
        VerificationResult r = rootsOnly().verify(clientViaIntermediate.chain(), Purpose.CLIENT_AUTH, later);
        assertThat(r.failedCheck()).isEqualTo("expired");
        assertThat(r.reason()).startsWith("CA certificate 'CN=Contoso Issuing CA, O=Contoso' expired on ");
    }

    @Test
    void rejectsRevokedCertificate() {
        Instant issued = now.minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
        var crl = Pki.crl(root, List.of(client.certificate().getSerialNumber()), issued, now.plus(1, ChronoUnit.DAYS));
        VerificationResult r = verifier(RevocationMode.SOFT_FAIL, List.of(crl)).verify(client.chain(),
                Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("revoked");
        assertThat(r.reason()).isEqualTo("certificate 'CN=clinic-app, O=Contoso' was revoked on " + issued
                + " (reason: keyCompromise)");
        // OFF does not look at CRLs at all
        assertThat(verifier(RevocationMode.OFF, List.of(crl)).verify(client.chain(), Purpose.CLIENT_AUTH, now).valid())
                .isTrue();
    }

    @Test
    void acceptsCertificateNotListedOnCurrentCrlInHardFail() {
        var crl = Pki.crl(root, List.of(BigInteger.valueOf(12345)), now.minus(1, ChronoUnit.HOURS),
                now.plus(1, ChronoUnit.DAYS));
        assertThat(verifier(RevocationMode.HARD_FAIL, List.of(crl)).verify(client.chain(), Purpose.CLIENT_AUTH, now)
                .valid()).isTrue();
    }

    @Test
    void hardFailRejectsWhenIssuerHasNoCrlButSoftFailPasses() {
        VerificationResult hard = verifier(RevocationMode.HARD_FAIL, List.of()).verify(client.chain(),
                Purpose.CLIENT_AUTH, now);
        assertThat(hard.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(hard.reason()).contains("no current CRL from 'CN=Contoso Client Root, O=Contoso'")
                .contains("'CN=clinic-app, O=Contoso'");
        assertThat(verifier(RevocationMode.SOFT_FAIL, List.of()).verify(client.chain(), Purpose.CLIENT_AUTH, now)
                .valid()).isTrue();
    }

    @Test
    void hardFailTreatsStaleOrForeignCrlAsMissing() {
        var stale = Pki.crl(root, List.of(), now.minus(10, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS));
        assertThat(verifier(RevocationMode.HARD_FAIL, List.of(stale)).verify(client.chain(), Purpose.CLIENT_AUTH, now)
                .failedCheck()).isEqualTo("revocation-unknown");
        // a CRL with the root's name signed by another key does not count, and cannot revoke
        Pki.Issued impostor = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(10));
        var forged = Pki.crl(impostor, List.of(client.certificate().getSerialNumber()), now.minus(1, ChronoUnit.HOURS),
                now.plus(1, ChronoUnit.DAYS));
        assertThat(verifier(RevocationMode.SOFT_FAIL, List.of(forged)).verify(client.chain(), Purpose.CLIENT_AUTH, now)
                .valid()).isTrue();
        assertThat(verifier(RevocationMode.HARD_FAIL, List.of(forged)).verify(client.chain(), Purpose.CLIENT_AUTH, now)
                .failedCheck()).isEqualTo("revocation-unknown");
    }

    @Test
    void honoursCrlSignedByTheRolledOverKeyOfTheSameCa() {
        Pki.Issued newRoot = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(365)); // same name, new key
        var crl = Pki.crl(newRoot, List.of(client.certificate().getSerialNumber()), now.minus(1, ChronoUnit.HOURS),
                now.plus(1, ChronoUnit.DAYS));
        ChainVerifier v = new ChainVerifier(CaStore.of(List.of(root.certificate(), newRoot.certificate()), List.of(),
                List.of(crl)), RevocationMode.HARD_FAIL);
        assertThat(v.verify(client.chain(), Purpose.CLIENT_AUTH, now).failedCheck()).isEqualTo("revoked");
    }

    @Test
    void revocationOfTheIntermediateFailsTheLeaf() {
        var rootCrl = Pki.crl(root, List.of(intermediate.certificate().getSerialNumber()),
                now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS));
        VerificationResult r = verifier(RevocationMode.SOFT_FAIL, List.of(rootCrl)).verify(clientViaIntermediate.chain(),
                Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("revoked");
        assertThat(r.reason()).contains("'CN=Contoso Issuing CA, O=Contoso' was revoked");
    }

    @Test
    void rejectsServerOnlyCertificateForClientAuth() {
        Pki.Issued server = Pki.issue(root, Pki.IssueRequest.server("api.contoso.local"));
        VerificationResult r = rootsOnly().verify(server.chain(), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("purpose");
        assertThat(r.reason()).isEqualTo("certificate 'CN=api.contoso.local' is not meant for client authentication"
                + " (its extended key usage allows: server authentication)");
        assertThat(rootsOnly().verify(server.chain(), Purpose.SERVER_AUTH, now).valid()).isTrue();
        assertThat(rootsOnly().verify(server.chain(), Purpose.ANY, now).valid()).isTrue();
    }

    @Test
    void reportsMissingCertificateAndEmptyStore() {
        assertThat(rootsOnly().verify(List.of(), Purpose.CLIENT_AUTH, now).failedCheck()).isEqualTo("missing");
        VerificationResult r = new ChainVerifier(CaStore.empty(), RevocationMode.OFF).verify(client.chain(),
                Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).contains("no trusted CA certificates");
    }

    @Test
    void refusesOverlongChainsWithoutBuildingThem() {
        List<X509Certificate> chain = new java.util.ArrayList<>(clientViaIntermediate.chain());
        while (chain.size() <= ChainVerifier.MAX_PEER_CERTIFICATES) {
            chain.add(intermediate.certificate());
        }
        VerificationResult r = rootsOnly().verify(chain, Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("chain");
        assertThat(r.reason()).isEqualTo("the peer sent 51 certificates with 'CN=lab-app, O=Contoso' (at most 50 are accepted)");
    }

    @Test
    void acceptsSelfSignedCertificateUploadedAsRoot() {
        Pki.Issued selfSigned = Pki.ca("CN=pinned-client", Duration.ofDays(5));
        ChainVerifier v = new ChainVerifier(CaStore.of(List.of(selfSigned.certificate()), List.of(), List.of()),
                RevocationMode.HARD_FAIL);
        assertThat(v.verify(selfSigned.chain(), Purpose.ANY, now).valid()).isTrue();
    }

    @Test
    void isSafeToShareAcrossThreads() {
        ChainVerifier v = verifier(RevocationMode.SOFT_FAIL, List.of(), intermediate.certificate());
        Pki.Issued unknown = Pki.issue(Pki.ca("CN=Other", Duration.ofDays(2)), Pki.IssueRequest.client("CN=x"));
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        IntStream.range(0, 200).parallel().forEach(i -> {
            boolean good = i % 2 == 0;
            VerificationResult r = v.verify(good ? clientViaIntermediate.chain() : unknown.chain(),
                    Purpose.CLIENT_AUTH, now);
            if (r.valid() != good) {
                wrong.add(i + ": " + r);
            }
        });
        assertThat(wrong).isEmpty();
    }
}
