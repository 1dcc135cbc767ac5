package io.gatehouse.tls.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.ChainVerifier.Purpose;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/**
 * How long {@link ChainVerifier#verify} takes for the chains a handshake brings (it runs per
 * handshake; HandshakeCertificateChecks caches verdicts for 30 s). Prints µs per verification for a
 * client certificate issued by the root and one issued by an intermediate, with revocation off and
 * with a CRL per CA; asserts the verdicts, not the time (the machine is shared).
 */
class ChainVerifierTimingTest {

    private static final int WARM_UP = 2_000;
    private static final int RUNS = 5_000;

    @Test
    void printsMicrosecondsPerVerification() {
        Pki.Issued root = Pki.ca("CN=Timing Root,O=Contoso", Duration.ofDays(30));
        Pki.Issued intermediate = Pki.intermediate(root, "CN=Timing Issuing CA,O=Contoso", Duration.ofDays(20));
        Pki.Issued direct = Pki.issue(root, Pki.IssueRequest.client("CN=direct-app,O=Contoso"));
        Pki.Issued viaIntermediate = Pki.issue(intermediate, Pki.IssueRequest.client("CN=lab-app,O=Contoso"));
        Instant now = Instant.now();
        var crls = List.of(Pki.crl(root, List.of(), now.minusSeconds(60), now.plusSeconds(3600)),
                Pki.crl(intermediate, List.of(), now.minusSeconds(60), now.plusSeconds(3600)));
        ChainVerifier off = new ChainVerifier(CaStore.of(List.of(root.certificate()), List.of(), List.of()),
                RevocationMode.OFF);
        ChainVerifier withCrls = new ChainVerifier(CaStore.of(List.of(root.certificate()), List.of(), crls),
                RevocationMode.HARD_FAIL);
        StringBuilder out = new StringBuilder("ChainVerifier.verify timing (µs per call, " + RUNS + " calls):\n");
        for (int round = 0; round < 2; round++) { // the first round warms the JIT up; the second is printed
            out.setLength(out.indexOf("\n") + 1);
            out.append(time("leaf <- root, revocation off", off, direct, now));
            out.append(time("leaf <- intermediate <- root, revocation off", off, viaIntermediate, now));
            out.append(time("leaf <- root, CRL hard-fail", withCrls, direct, now));
            out.append(time("leaf <- intermediate <- root, CRLs hard-fail", withCrls, viaIntermediate, now));
        }
        System.out.println(out);
    }

    private static String time(String what, ChainVerifier v, Pki.Issued leaf, Instant now) {
        for (int i = 0; i < WARM_UP; i++) {
            assertThat(v.verify(leaf.chain(), Purpose.CLIENT_AUTH, now)).isEqualTo(VerificationResult.ok());
        }
        long start = System.nanoTime();
        for (int i = 0; i < RUNS; i++) {
            assertThat(v.verify(leaf.chain(), Purpose.CLIENT_AUTH, now).valid()).isTrue();
        }
        double micros = (System.nanoTime() - start) / 1_000.0 / RUNS;
        return String.format("  %-50s %8.1f%n", what, micros);
    }
}
