package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.gatehouse.tls.ChainVerifier.Purpose;

/**
 * Revocation from the network through {@link ChainVerifier} with {@link RevocationSources}: a real
 * OCSP responder ({@code openssl ocsp}) and an HTTP server holding CRLs, certificates naming them
 * in authorityInfoAccess and cRLDistributionPoints, in each revocation mode.
 */
class RevocationFetchTest {

    @TempDir
    static Path dir;

    static Pki.Issued root;
    static Pki.Issued impostorRoot;
    static RevocationPeers.CrlServer crls;
    static RevocationPeers.OpensslOcsp ocsp;
    static RevocationPeers.OpensslOcsp ocspByCa;
    static RevocationPeers.OpensslOcsp ocspUnauthorised;
    static URI deadResponder;

    static Pki.Issued ocspGood;
    static Pki.Issued ocspRevoked;
    static Pki.Issued ocspUnknown;
    static Pki.Issued ocspDown;
    static Pki.Issued ocspDownCrlGood;
    static Pki.Issued crlGood;
    static Pki.Issued crlRevoked;
    static Pki.Issued crlStale;
    static Pki.Issued crlWrongKey;
    static Pki.Issued byCaSigned;
    static Pki.Issued byUnauthorised;
    static Pki.Issued noSource;

    @BeforeAll
    static void peers() throws Exception {
        Assumptions.assumeTrue(Tools.has("openssl"), "openssl not on PATH");
        root = Pki.ca("CN=Fetch Root,O=Contoso", Duration.ofDays(30));
        impostorRoot = Pki.ca("CN=Fetch Root,O=Contoso", Duration.ofDays(30)); // same name, other key
        crls = new RevocationPeers.CrlServer();
        deadResponder = URI.create("http://127.0.0.1:" + RevocationPeers.freePort() + "/");
        int ocspPort = RevocationPeers.freePort();
        int byCaPort = RevocationPeers.freePort();
        int unauthorisedPort = RevocationPeers.freePort();
        URI ocspUrl = URI.create("http://127.0.0.1:" + ocspPort + "/");

        ocspGood = issue("CN=ocsp-good", List.of(), List.of(ocspUrl));
        ocspRevoked = issue("CN=ocsp-revoked", List.of(), List.of(ocspUrl));
        ocspUnknown = issue("CN=ocsp-unknown", List.of(), List.of(ocspUrl));
        ocspDown = issue("CN=ocsp-down", List.of(), List.of(deadResponder));
        ocspDownCrlGood = issue("CN=ocsp-down-crl-good", List.of(crls.url("/main.crl")), List.of(deadResponder));
        crlGood = issue("CN=crl-good", List.of(crls.url("/main.crl")), List.of());
        crlRevoked = issue("CN=crl-revoked", List.of(crls.url("/main.crl")), List.of());
        crlStale = issue("CN=crl-stale", List.of(crls.url("/stale.crl")), List.of());
        crlWrongKey = issue("CN=crl-wrong-key", List.of(crls.url("/wrong-key.crl")), List.of());
        byCaSigned = issue("CN=by-ca", List.of(), List.of(URI.create("http://127.0.0.1:" + byCaPort + "/")));
        byUnauthorised = issue("CN=by-unauthorised", List.of(),
                List.of(URI.create("http://127.0.0.1:" + unauthorisedPort + "/")));
        noSource = issue("CN=no-source", List.of(), List.of());

        Instant now = Instant.now();
        crls.put("/main.crl", Pki.crl(root, List.of(crlRevoked.certificate().getSerialNumber()),
                now.minusSeconds(60), now.plus(Duration.ofHours(1))));
        crls.put("/stale.crl", Pki.crl(root, List.of(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1))));
        crls.put("/wrong-key.crl", Pki.crl(impostorRoot, List.of(crlWrongKey.certificate().getSerialNumber()),
                now.minusSeconds(60), now.plus(Duration.ofHours(1))));

        Pki.Issued responder = Pki.ocspResponder(root, "CN=Fetch OCSP Responder,O=Contoso", Duration.ofDays(30));
        ocsp = new RevocationPeers.OpensslOcsp(dir.resolve("ocsp"), ocspPort, root, responder,
                List.of(ocspGood.certificate()), List.of(ocspRevoked.certificate()));
        ocspByCa = new RevocationPeers.OpensslOcsp(dir.resolve("ocsp-ca"), byCaPort, root, root,
                List.of(byCaSigned.certificate()), List.of());
        // signed by a certificate of the CA that is not an OCSP responder (no id-kp-OCSPSigning)
        Pki.Issued notAResponder = Pki.issue(root, Pki.IssueRequest.client("CN=not-a-responder"));
        ocspUnauthorised = new RevocationPeers.OpensslOcsp(dir.resolve("ocsp-bad"), unauthorisedPort, root,
                notAResponder, List.of(byUnauthorised.certificate()), List.of());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {ocsp, ocspByCa, ocspUnauthorised, crls}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private static Pki.Issued issue(String cn, List<URI> crlUrls, List<URI> ocspUrls) {
        return Pki.issue(root, Pki.IssueRequest.client(cn + ",O=Contoso"), crlUrls, ocspUrls);
    }

    private static RevocationSources sources() {
        return new RevocationSources(new RevocationSources.Limits(Duration.ofSeconds(3), 10 * 1024 * 1024, 64 * 1024,
                Duration.ofSeconds(30), 100, 100));
    }

    private static VerificationResult verify(Pki.Issued cert, RevocationMode mode, RevocationSources sources) {
        return new ChainVerifier(CaStore.of(List.of(root.certificate()), List.of(), List.of()), mode, sources)
                .verify(List.of(cert.certificate()), Purpose.CLIENT_AUTH, Instant.now());
    }

    private static VerificationResult verify(Pki.Issued cert, RevocationMode mode) {
        return verify(cert, mode, sources());
    }

    @Test
    void ocspGoodPassesEvenInHardFail() {
        assertThat(verify(ocspGood, RevocationMode.HARD_FAIL).valid()).isTrue();
        assertThat(verify(ocspGood, RevocationMode.SOFT_FAIL).valid()).isTrue();
    }

    @Test
    void ocspRevokedFailsInSoftAndHardFailNamingTheResponder() {
        for (RevocationMode mode : List.of(RevocationMode.SOFT_FAIL, RevocationMode.HARD_FAIL)) {
            VerificationResult r = verify(ocspRevoked, mode);
            assertThat(r.failedCheck()).as(mode.name()).isEqualTo("revoked");
            assertThat(r.reason()).contains("OCSP responder " + ocsp.url()).contains("keyCompromise");
        }
        assertThat(verify(ocspRevoked, RevocationMode.OFF).valid()).isTrue();
    }

    @Test
    void ocspUnknownStatusIsNoAnswer() {
        assertThat(verify(ocspUnknown, RevocationMode.SOFT_FAIL).valid()).isTrue();
        VerificationResult hard = verify(ocspUnknown, RevocationMode.HARD_FAIL);
        assertThat(hard.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(hard.reason()).contains("status unknown");
    }

    @Test
    void responderDownPassesInSoftFailAndIsUnknownInHardFail() {
        assertThat(verify(ocspDown, RevocationMode.OFF).valid()).isTrue();
        assertThat(verify(ocspDown, RevocationMode.SOFT_FAIL).valid()).isTrue();
        VerificationResult hard = verify(ocspDown, RevocationMode.HARD_FAIL);
        assertThat(hard.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(hard.reason()).contains("OCSP responder " + deadResponder);
    }

    @Test
    void responderDownFallsBackToTheDistributionPoint() {
        assertThat(verify(ocspDownCrlGood, RevocationMode.HARD_FAIL).valid()).isTrue();
    }

    @Test
    void crlFromTheDistributionPointRevokesAndProvesGood() {
        for (RevocationMode mode : List.of(RevocationMode.SOFT_FAIL, RevocationMode.HARD_FAIL)) {
            VerificationResult r = verify(crlRevoked, mode);
            assertThat(r.failedCheck()).as(mode.name()).isEqualTo("revoked");
            assertThat(r.reason()).contains("CRL " + crls.url("/main.crl"));
        }
        assertThat(verify(crlRevoked, RevocationMode.OFF).valid()).isTrue();
        assertThat(verify(crlGood, RevocationMode.HARD_FAIL).valid()).isTrue();
    }

    @Test
    void staleCrlDoesNotCount() {
        assertThat(verify(crlStale, RevocationMode.SOFT_FAIL).valid()).isTrue();
        VerificationResult hard = verify(crlStale, RevocationMode.HARD_FAIL);
        assertThat(hard.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(hard.reason()).contains("CRL " + crls.url("/stale.crl")).contains("stale");
    }

    @Test
    void crlSignedByTheWrongKeyDoesNotCountEvenWhenItListsTheCertificate() {
        assertThat(verify(crlWrongKey, RevocationMode.SOFT_FAIL).valid()).isTrue();
        VerificationResult hard = verify(crlWrongKey, RevocationMode.HARD_FAIL);
        assertThat(hard.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(hard.reason()).contains("not signed by the key of");
    }

    /** A downloaded CRL that proved not to be the CA's is asked for again after the failure memory, not at its nextUpdate. */
    @Test
    void aCrlSignedByTheWrongKeyIsAskedForAgainSoon() throws Exception {
        Instant now = Instant.now();
        crls.put("/fixed.crl", Pki.crl(impostorRoot, List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(1))));
        Pki.Issued cert = issue("CN=fixed", List.of(crls.url("/fixed.crl")), List.of());
        RevocationSources sources = new RevocationSources(new RevocationSources.Limits(Duration.ofSeconds(3),
                10 * 1024 * 1024, 64 * 1024, Duration.ofSeconds(1), 100, 100));
        assertThat(verify(cert, RevocationMode.HARD_FAIL, sources).failedCheck()).isEqualTo("revocation-unknown");
        assertThat(verify(cert, RevocationMode.HARD_FAIL, sources).failedCheck()).isEqualTo("revocation-unknown");
        assertThat(crls.hits("/fixed.crl")).isEqualTo(1);
        crls.put("/fixed.crl", Pki.crl(root, List.of(), now.minusSeconds(60), now.plus(Duration.ofDays(1))));
        Thread.sleep(1200);
        assertThat(verify(cert, RevocationMode.HARD_FAIL, sources).valid()).isTrue();
        assertThat(crls.hits("/fixed.crl")).isEqualTo(2);
    }

    @Test
    void responsesSignedByTheCaItselfCountAndByAnUnauthorisedCertificateDoNot() {
        assertThat(verify(byCaSigned, RevocationMode.HARD_FAIL).valid()).isTrue();
        VerificationResult r = verify(byUnauthorised, RevocationMode.HARD_FAIL);
        assertThat(r.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(r.reason()).contains("not signed by").contains("id-kp-OCSPSigning");
    }

    @Test
    void noSourceIsUnknownOnlyInHardFail() {
        assertThat(verify(noSource, RevocationMode.SOFT_FAIL).valid()).isTrue();
        assertThat(verify(noSource, RevocationMode.HARD_FAIL).failedCheck()).isEqualTo("revocation-unknown");
    }

    @Test
    void configuredCrlsStillRevoke() {
        Instant now = Instant.now();
        CaStore store = CaStore.of(List.of(root.certificate()), List.of(), List.of(Pki.crl(root,
                List.of(ocspGood.certificate().getSerialNumber()), now.minusSeconds(60), now.plusSeconds(3600))));
        VerificationResult r = new ChainVerifier(store, RevocationMode.SOFT_FAIL, sources())
                .verify(List.of(ocspGood.certificate()), Purpose.CLIENT_AUTH, now);
        assertThat(r.failedCheck()).isEqualTo("revoked");
    }

    @Test
    void concurrentChecksShareOneDownloadAndFailuresAreRemembered() throws Exception {
        Instant now = Instant.now();
        crls.put("/shared.crl", Pki.crl(root, List.of(), now.minusSeconds(60), now.plusSeconds(3600)));
        Pki.Issued shared = issue("CN=shared", List.of(crls.url("/shared.crl")), List.of());
        Pki.Issued missing = issue("CN=missing", List.of(crls.url("/missing.crl")), List.of());
        RevocationSources sources = sources();
        List<CompletableFuture<VerificationResult>> all = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            all.add(CompletableFuture.supplyAsync(() -> verify(shared, RevocationMode.HARD_FAIL, sources)));
        }
        for (CompletableFuture<VerificationResult> f : all) {
            assertThat(f.get(20, TimeUnit.SECONDS).valid()).isTrue();
        }
        assertThat(crls.hits("/shared.crl")).isEqualTo(1);

        assertThat(verify(missing, RevocationMode.HARD_FAIL, sources).reason()).contains("HTTP 404");
        assertThat(verify(missing, RevocationMode.HARD_FAIL, sources).reason()).contains("HTTP 404");
        assertThat(crls.hits("/missing.crl")).isEqualTo(1);
    }

    @Test
    void anEventLoopThreadNeverWaitsButStartsTheDownload() throws Exception {
        RevocationSources sources = sources();
        CompletableFuture<VerificationResult> first = new CompletableFuture<>();
        Thread loop = new io.netty.util.concurrent.FastThreadLocalThread(
                () -> first.complete(verify(ocspGood, RevocationMode.HARD_FAIL, sources)));
        long started = System.nanoTime();
        loop.start();
        VerificationResult r = first.get(10, TimeUnit.SECONDS);
        assertThat(r.failedCheck()).isEqualTo("revocation-unknown");
        assertThat(r.reason()).contains("asked in the background");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
        // the download went on: a later check on the loop finds the answer cached
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        VerificationResult later;
        do {
            Thread.sleep(50);
            CompletableFuture<VerificationResult> again = new CompletableFuture<>();
            new io.netty.util.concurrent.FastThreadLocalThread(
                    () -> again.complete(verify(ocspGood, RevocationMode.HARD_FAIL, sources))).start();
            later = again.get(10, TimeUnit.SECONDS);
        } while (!later.valid() && System.nanoTime() < deadline);
        assertThat(later.valid()).isTrue();
    }

    @Test
    void ocspStapleHoldsTheResponderAnswerForTheServerCertificate() throws Exception {
        RevocationSources sources = sources();
        KeyMaterial km = new KeyMaterial(ocspGood.keyPair().getPrivate(),
                List.of(ocspGood.certificate(), root.certificate()));
        OcspStaple staple = OcspStaple.forServer(km, sources);
        assertThat(staple).isNotNull();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        byte[] response = staple.current();
        while (response == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
            response = staple.current();
        }
        assertThat(response).isNotNull();
        org.bouncycastle.cert.ocsp.BasicOCSPResp basic = (org.bouncycastle.cert.ocsp.BasicOCSPResp)
                new org.bouncycastle.cert.ocsp.OCSPResp(response).getResponseObject();
        assertThat(basic.getResponses()[0].getCertID().getSerialNumber())
                .isEqualTo(ocspGood.certificate().getSerialNumber());
        // a revoked server certificate is not stapled
        KeyMaterial revoked = new KeyMaterial(ocspRevoked.keyPair().getPrivate(),
                List.of(ocspRevoked.certificate(), root.certificate()));
        OcspStaple none = OcspStaple.forServer(revoked, sources);
        Thread.sleep(1500);
        assertThat(none.current()).isNull();
        // no issuer in the chain: no staple
        assertThat(OcspStaple.forServer(new KeyMaterial(ocspGood.keyPair().getPrivate(),
                List.of(ocspGood.certificate())), sources)).isNull();
    }

    static BigInteger serial(X509Certificate c) {
        return c.getSerialNumber();
    }
}
