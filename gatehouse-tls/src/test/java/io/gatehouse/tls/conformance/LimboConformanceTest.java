package io.gatehouse.tls.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;

import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.conformance.LimboHarness.Role;
import io.gatehouse.tls.conformance.LimboHarness.Run;

/**
 * Runs all of x509-limbo (../shared/conformance, see {@link ConformanceVectors}) through
 * {@link ChainVerifier} in both roles. Skipped when the vectors are absent (failed with
 * {@code -Dgatehouse.requireExternalTools=true}).
 *
 * <p><b>Backend role</b> (the gateway checking a backend's certificate): serverAuth, then the
 * production peer-name check. Each case's verdict is compared with its expected result.
 *
 * <p><b>Client-certificate role</b> (the gateway checking a client's certificate): clientAuth in
 * place of serverAuth and no peer-name check. Nearly every limbo leaf is marked for serverAuth
 * only, so a refusal whose only cause is that marking counts as the chain being accepted
 * ({@code ACCEPTED_BUT_SERVER_EKU}, counted apart). Cases are counted in four classes:
 * <ul>
 * <li><i>judged</i>: compared with the expected result, like the backend role;</li>
 * <li><i>peer-name</i>: limbo expects a failure and the expected peer name is not among the leaf's
 * SANs (read by this test from the SAN bytes): the failure may come from the name alone, which this
 * role never checks, so the expected verdict is unknown. The test asserts instead that the role
 * agrees with the backend role's chain verdict (the backend role without its name check), so the
 * chain part is judged the same in both roles;</li>
 * <li><i>serverAuth-EKU</i>: cases about the serverAuth EKU rules of the CA/Browser Forum
 * ({@code rfc5280::eku}, {@code webpki::eku}); their client-role verdicts are listed with a reason
 * each in {@code limbo-client-role-expectations.txt} and asserted;</li>
 * <li><i>skipped</i>: cases with a feature the gateway does not implement.</li>
 * </ul>
 * Known differences are listed by id per role ({@code limbo-known-differences.txt},
 * {@code limbo-known-differences-client.txt}) with their cause; a new mismatch fails, and so does a
 * listed case that starts agreeing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the client role reuses the backend role's chain verdicts
class LimboConformanceTest {

    /** pyca/cryptography 48's agreement on the same 9,780 cases: both roles must do better. */
    private static final int PYCA_AGREEMENT = 9_719;

    @Test
    @Order(1)
    void backendRoleAgreesWithX509LimboExceptKnownDifferences() throws Exception {
        JsonNode testcases = LimboHarness.testcases();
        Map<String, String> known = LimboHarness.knownDifferences("limbo-known-differences.txt");
        Tally t = new Tally();
        long start = System.nanoTime();
        for (JsonNode tc : testcases) {
            String id = tc.get("id").asText();
            Run run = LimboHarness.run(tc, Role.BACKEND, true);
            t.judge(id, LimboHarness.group(id), tc.get("expected_result").asText(), run, known);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        String report = t.report("x509-limbo, backend role (serverAuth + peer name)", ms);
        System.out.println(report);
        t.write("limbo-backend");
        t.assertAll(known, "limbo-known-differences.txt", report);
        assertThat(t.agree).as("agreement above pyca/cryptography's\n" + report).isGreaterThan(PYCA_AGREEMENT);
    }

    @Test
    @Order(2)
    void clientCertificateRoleAgreesWithX509LimboExceptKnownDifferences() throws Exception {
        JsonNode testcases = LimboHarness.testcases();
        Map<String, String> known = LimboHarness.knownDifferences("limbo-known-differences-client.txt");
        Map<String, String[]> ekuExpectations = clientRoleExpectations();
        Tally t = new Tally();
        int peerName = 0;
        int peerNameAccepted = 0;
        int serverAuthEku = 0;
        List<String> inconsistent = new ArrayList<>();
        List<String> ekuWrong = new ArrayList<>();
        long start = System.nanoTime();
        for (JsonNode tc : testcases) {
            String id = tc.get("id").asText();
            Run run = LimboHarness.run(tc, Role.CLIENT_CERTIFICATE, false);
            String expected = tc.get("expected_result").asText();
            boolean serverCase = !"CLIENT".equals(tc.path("validation_kind").asText());
            if (run.outcome() != LimboHarness.Outcome.SKIPPED && serverCase && ekuExpectations.containsKey(id)) {
                serverAuthEku++;
                String want = ekuExpectations.get(id)[0];
                if (run.accepted() != want.equals("SUCCESS")) {
                    ekuWrong.add(id + " (expected " + want + " for clientAuth, got " + run.outcome() + ": "
                            + run.reason() + ")");
                }
                continue;
            }
            if (run.outcome() != LimboHarness.Outcome.SKIPPED && serverCase && expected.equals("FAILURE")
                    && !LimboHarness.peerNameInSans(tc)) {
                peerName++;
                Run chainOnly = LimboHarness.backendChainVerdict(tc);
                if (run.accepted()) {
                    peerNameAccepted++;
                }
                if (run.accepted() != chainOnly.accepted()) {
                    inconsistent.add(id + " (client role " + run.outcome() + ": " + run.reason()
                            + "; backend chain verdict " + chainOnly.outcome() + ": " + chainOnly.reason() + ")");
                }
                continue;
            }
            t.judge(id, LimboHarness.group(id), expected, run, known);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        String report = t.report("x509-limbo, client-certificate role (clientAuth, no peer name)", ms)
                + String.format("  peer-name cases (expected failure, peer name not in SAN; not judged, must match"
                        + " the backend chain verdict): %d (%d chains accepted, %d inconsistent)%n", peerName,
                        peerNameAccepted, inconsistent.size())
                + String.format("  serverAuth-EKU cases (judged against limbo-client-role-expectations.txt): %d"
                        + " (%d wrong)%n", serverAuthEku, ekuWrong.size())
                + String.format("  agreement counting the peer-name cases as agreeing when consistent: %d of %d%n",
                        t.agree + peerName - inconsistent.size() + serverAuthEku - ekuWrong.size(),
                        t.agree + t.disagree + t.skipped + peerName + serverAuthEku);
        System.out.println(report);
        t.write("limbo-client");
        assertThat(inconsistent).as("client role and backend chain verdicts differ on peer-name cases").isEmpty();
        assertThat(ekuWrong).as("client-role verdicts of the serverAuth-EKU cases").isEmpty();
        assertThat(serverAuthEku).as("every listed serverAuth-EKU case ran").isEqualTo(ekuExpectations.size());
        t.assertAll(known, "limbo-known-differences-client.txt", report);
        // The peer-name cases are counted as agreeing only when consistent (asserted above).
        assertThat(t.agree + peerName + serverAuthEku).as("agreement above pyca/cryptography's\n" + report)
                .isGreaterThan(PYCA_AGREEMENT);
    }

    /** id → {SUCCESS|FAILURE, reason}, from limbo-client-role-expectations.txt ("id VERDICT reason"). */
    private static Map<String, String[]> clientRoleExpectations() throws IOException {
        Map<String, String[]> out = new LinkedHashMap<>();
        try (InputStream in = LimboConformanceTest.class.getResourceAsStream("limbo-client-role-expectations.txt")) {
            assertThat(in).as("limbo-client-role-expectations.txt").isNotNull();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (!l.isEmpty() && !l.startsWith("#")) {
                    String[] parts = l.split("\\s+", 3);
                    assertThat(parts).as(l).hasSize(3);
                    assertThat(parts[1]).isIn("SUCCESS", "FAILURE");
                    out.put(parts[0], new String[] {parts[1], parts[2]});
                }
            }
        }
        return out;
    }

    /** Counts per role and group; collects new mismatches and listed cases that now agree. */
    private static final class Tally {
        final Map<String, int[]> byGroup = new TreeMap<>();
        final List<String> newMismatches = new ArrayList<>();
        final List<String> nowAgreeing = new ArrayList<>();
        final List<String> acceptedBad = new ArrayList<>();
        final List<String> allMismatches = new ArrayList<>();
        int agree;
        int disagree;
        int skipped;
        int acceptedButServerEku;

        void judge(String id, String group, String expected, Run run, Map<String, String> known) {
            int[] counts = byGroup.computeIfAbsent(group, g -> new int[3]);
            if (run.outcome() == LimboHarness.Outcome.SKIPPED) {
                skipped++;
                counts[2]++;
                return;
            }
            if (run.outcome() == LimboHarness.Outcome.ACCEPTED_BUT_SERVER_EKU) {
                acceptedButServerEku++;
            }
            boolean expectedSuccess = expected.equals("SUCCESS");
            if (run.accepted() == expectedSuccess) {
                agree++;
                counts[0]++;
                if (known.containsKey(id)) {
                    nowAgreeing.add(id);
                }
            } else {
                disagree++;
                counts[1]++;
                if (!expectedSuccess) {
                    acceptedBad.add(id);
                }
                String line = id + "  # expected " + expected + ", got " + run.outcome() + ": " + run.reason();
                allMismatches.add(line);
                if (!known.containsKey(id)) {
                    newMismatches.add(line);
                }
            }
        }

        String report(String title, long ms) {
            StringBuilder report = new StringBuilder(title + ": agree=" + agree + " disagree=" + disagree
                    + " (accepted but must be refused: " + acceptedBad.size() + ") skipped=" + skipped + " in " + ms
                    + " ms\n");
            if (acceptedButServerEku > 0) {
                report.append("  (of the agreeing/disagreeing verdicts, " + acceptedButServerEku
                        + " are chains accepted but for their serverAuth-only EKU)\n");
            }
            byGroup.forEach((g, c) -> report.append(String.format("  %-55s agree=%5d disagree=%4d skipped=%d%n", g,
                    c[0], c[1], c[2])));
            return report.toString();
        }

        void write(String name) throws IOException {
            Files.createDirectories(Path.of("target"));
            Files.writeString(Path.of("target/" + name + "-mismatches.txt"), String.join("\n", newMismatches) + "\n");
            Files.writeString(Path.of("target/" + name + "-now-agreeing.txt"), String.join("\n", nowAgreeing) + "\n");
            Files.writeString(Path.of("target/" + name + "-all-mismatches.txt"), String.join("\n", allMismatches) + "\n");
        }

        void assertAll(Map<String, String> known, String file, String report) {
            assertThat(newMismatches).as("new disagreements with x509-limbo (add a cause to " + file
                    + " only if it is a deliberate difference)\n" + report).isEmpty();
            assertThat(nowAgreeing).as("listed in " + file + " but now agreeing: remove them").isEmpty();
        }
    }
}
