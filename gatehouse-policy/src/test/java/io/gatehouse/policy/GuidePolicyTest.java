package io.gatehouse.policy;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.expr.context.CertificateVerifier;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.tls.Pki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The inbound policy from the APIM mTLS guide users follow (thumbprint, issuer and NotAfter in one
 * condition, then {@code Verify()}), as written there in rawxml, run against real certificates.
 */
class GuidePolicyTest {
    /** The guide's policy as users paste it, from {@code examples/guide-inbound-policy.xml}. */
    static final String GUIDE_POLICY = guidePolicy();

    static String guidePolicy() {
        for (java.nio.file.Path d = java.nio.file.Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            java.nio.file.Path f = d.resolve("examples/guide-inbound-policy.xml");
            if (java.nio.file.Files.isRegularFile(f)) {
                try {
                    return java.nio.file.Files.readString(f);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        throw new AssertionError("examples/guide-inbound-policy.xml not found above " + java.nio.file.Path.of("").toAbsolutePath());
    }

    static Pki.Issued ca;
    static Pki.Issued client;
    static Pki.Issued sibling;
    static Pki.Issued impostor;
    static Pki.Issued expired;
    static ChainCheck trust;
    static EffectivePolicy policy;

    @BeforeAll
    static void setUp() {
        ca = Pki.ca("CN=YourCA,O=YourOrg,C=US", Duration.ofDays(30));
        Pki.Issued impostorCa = Pki.ca("CN=YourCA,O=YourOrg,C=US", Duration.ofDays(30));
        client = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,O=YourOrg,C=US"));
        sibling = Pki.issue(ca, Pki.IssueRequest.client("CN=lab-app,O=YourOrg,C=US"));
        impostor = Pki.issue(impostorCa, Pki.IssueRequest.client("CN=clinic-app,O=YourOrg,C=US"));
        Instant now = Instant.now();
        expired = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,O=YourOrg,C=US")
                .withValidity(now.minus(10, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS)));
        trust = Harness.pkix(ca.certificate(), null);
        String xml = GUIDE_POLICY.replace("YOUR_CERT_THUMBPRINT_HERE", DotNetNames.thumbprint(client.certificate()));
        policy = Harness.compile(new PolicyEngine(PolicyEnvironment.empty()), xml);
    }

    /** The certificate as the gateway hands it to policies: Verify() checks the chain against the CA. */
    static PolicyContext contextWith(Pki.Issued cert) {
        PolicyContext ctx = new PolicyContext();
        if (cert != null) {
            CertificateVerifier verifier = (c, revocation) -> {
                List<java.security.cert.X509Certificate> chain = new ArrayList<>(c.chain());
                if (chain.isEmpty() || !chain.get(0).equals(c.certificate())) {
                    chain.add(0, c.certificate());
                }
                return trust.check(chain, false, Instant.now()).trusted();
            };
            ctx.request().certificate(new X509Certificate2(cert.certificate(), cert.chain(), verifier));
        }
        return ctx;
    }

    private static void assertForbidden(Pki.Issued cert) {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = contextWith(cert);
        Exchange ex = Harness.run(policy, ctx, f);
        assertThat(f.calls).as("forwarder must not be called").hasValue(0);
        assertThat(ex.isResponded()).isTrue();
        assertThat(ctx.response().statusCode()).isEqualTo(403);
        assertThat(ctx.lastError()).as("a 403 from return-response is not an error").isNull();
    }

    @Test
    void theRightCertificateIsForwarded() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = contextWith(client);
        Harness.run(policy, ctx, f);
        assertThat(f.calls).hasValue(1);
        assertThat(ctx.response().statusCode()).isEqualTo(200);
    }

    @Test
    void anotherCertificateFromTheSameCaGets403() {
        assertForbidden(sibling);
    }

    @Test
    void aCertificateFromAnImpostorCaWithTheSameNameGets403() {
        assertForbidden(impostor);
    }

    @Test
    void anExpiredCertificateGets403() {
        assertForbidden(expired);
    }

    @Test
    void noCertificateGets403WithTheGuidesBody() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = contextWith(null);
        Harness.run(policy, ctx, f);
        assertThat(f.calls).hasValue(0);
        assertThat(ctx.response().statusCode()).isEqualTo(403);
        assertThat(Harness.body(ctx)).isEqualTo("Client certificate validation failed.");
    }

    @Test
    void verifyAloneCatchesTheImpostorThatMatchesEveryString() {
        // same thumbprint check removed: only Verify() stands between the impostor and the backend
        String xml = GUIDE_POLICY.replace("context.Request.Certificate.Thumbprint != \"YOUR_CERT_THUMBPRINT_HERE\" ||", "");
        EffectivePolicy p = Harness.compile(new PolicyEngine(PolicyEnvironment.empty()), xml);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(p, contextWith(impostor), f);
        assertThat(f.calls).hasValue(0);
        Harness.run(p, contextWith(client), f);
        assertThat(f.calls).hasValue(1);
    }

    @Test
    void inboundCostsWellUnderTwoMicrosecondsPerRequest() {
        // the gateway verifies the chain once per handshake; Verify() then reads that result
        PolicyContext ctx = new PolicyContext();
        ctx.request().certificate(new X509Certificate2(client.certificate(), client.chain(), (c, r) -> true));
        Exchange ex = new Exchange(ctx);
        var inbound = policy.section(Section.INBOUND);
        for (int i = 0; i < 300_000; i++) {
            inbound.apply(ex);
        }
        // CPU time of this thread, best of several rounds: the machine is shared, so wall time
        // would measure the neighbours
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            int n = 50_000;
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < n; i++) {
                inbound.apply(ex);
            }
            best = Math.min(best, (cpu.getCurrentThreadCpuTime() - t0) / n);
        }
        assertThat(ex.isResponded()).isFalse();
        System.out.println("guide inbound policy: " + best + " ns CPU per request");
        assertThat(best).as("ns per request").isLessThan(2_000);
    }
}
