package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.X509Certificate2;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The condition from the APIM mTLS guide users copy into their inbound policy. */
class GuideConditionTest {
    private static final String GUIDE = """
            @(
                  context.Request.Certificate == null ||
                  context.Request.Certificate.NotAfter < DateTime.UtcNow ||
                  context.Request.Certificate.Thumbprint != "THUMB" ||
                  context.Request.Certificate.Issuer != "CN=YourCA, O=YourOrg, C=US"
            )""";

    private static X509Certificate cert(String issuer, Instant notAfter) {
        return TestCerts.issue("C=US, O=Contoso, CN=clinic-app", issuer, BigInteger.valueOf(7),
                Instant.now().minus(1, ChronoUnit.DAYS), notAfter);
    }

    private static String thumbprint(X509Certificate c) throws Exception {
        return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(c.getEncoded()));
    }

    private static CompiledExpression compile(String thumb) {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(GUIDE.replace("THUMB", thumb),
                new Position("policy.xml", 12, 24), Boolean.class, d);
        assertThat(d.all()).isEmpty();
        return e;
    }

    private static boolean rejects(CompiledExpression e, X509Certificate c) {
        PolicyContext ctx = new PolicyContext();
        if (c != null) {
            ctx.request().certificate(new X509Certificate2(c, List.of(), null));
        }
        return (Boolean) e.evaluate(ctx);
    }

    @Test
    void acceptsTheKnownUnexpiredCertificateFromTheTrustedIssuer() throws Exception {
        X509Certificate good = cert("C=US, O=YourOrg, CN=YourCA", Instant.now().plus(30, ChronoUnit.DAYS));
        assertThat(rejects(compile(thumbprint(good)), good)).isFalse();
    }

    @Test
    void rejectsAMissingCertificate() throws Exception {
        assertThat(rejects(compile("ABC"), null)).isTrue();
    }

    @Test
    void rejectsAnExpiredCertificate() throws Exception {
        X509Certificate expired = cert("C=US, O=YourOrg, CN=YourCA", Instant.now().minus(1, ChronoUnit.HOURS));
        assertThat(rejects(compile(thumbprint(expired)), expired)).isTrue();
    }

    @Test
    void rejectsAnotherThumbprintIncludingLowerCaseHex() throws Exception {
        X509Certificate good = cert("C=US, O=YourOrg, CN=YourCA", Instant.now().plus(30, ChronoUnit.DAYS));
        assertThat(rejects(compile("ABC"), good)).isTrue();
        assertThat(rejects(compile(thumbprint(good).toLowerCase()), good)).isTrue();
    }

    @Test
    void rejectsAnotherIssuer() throws Exception {
        X509Certificate other = cert("C=US, O=Evil, CN=YourCA", Instant.now().plus(30, ChronoUnit.DAYS));
        assertThat(rejects(compile(thumbprint(other)), other)).isTrue();
    }

    @Test
    void evaluatesInWellUnderAMicrosecond() throws Exception {
        X509Certificate good = cert("C=US, O=YourOrg, CN=YourCA", Instant.now().plus(30, ChronoUnit.DAYS));
        CompiledExpression e = compile(thumbprint(good));
        PolicyContext ctx = new PolicyContext();
        ctx.request().certificate(new X509Certificate2(good, List.of(), null));
        int n = 200_000;
        boolean sink = false;
        for (int i = 0; i < n; i++) {
            sink ^= (Boolean) e.evaluate(ctx);
        }
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                sink ^= (Boolean) e.evaluate(ctx);
            }
            best = Math.min(best, (System.nanoTime() - t0) / n);
        }
        System.out.println("guide condition: " + best + " ns per evaluation");
        assertThat(sink).isFalse();
        // The machine is shared; 1 µs leaves room, and a typical result here is far lower.
        assertThat(best).as("ns per evaluation").isLessThan(1_000);
    }

    @Test
    void reportsAMisspelledMemberAtItsLineAndColumnInThePolicyFile() {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(GUIDE.replace("Thumbprint", "Thumbprnt"),
                new Position("policy.xml", 12, 24), Boolean.class, d);
        assertThat(e).isNull();
        assertThat(d.all()).hasSize(1);
        assertThat(d.all().get(0).headline())
                .isEqualTo("policy.xml:15:35: error: unknown member 'Thumbprnt' on 'context.Request.Certificate'");
    }
}
