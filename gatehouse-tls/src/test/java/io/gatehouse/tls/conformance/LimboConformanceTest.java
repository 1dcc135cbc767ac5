package io.gatehouse.tls.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;
import io.gatehouse.tls.conformance.LimboHarness.Outcome;

/**
 * Runs a slice of the x509-limbo suite (../shared/conformance, see {@link ConformanceVectors})
 * through {@link ChainVerifier} the way the backend-side validator uses it (chain, then the peer
 * name). Skipped when the vectors are absent (failed in CI). Known differences are listed by id in
 * {@code limbo-known-differences.txt} with a reason each; a new mismatch fails, and so does a listed case that starts agreeing.
 */
class LimboConformanceTest {

    @Test
    void agreesWithX509LimboOnTheSliceExceptKnownDifferences() throws Exception {
        Path limbo = ConformanceVectors.require("x509-limbo/limbo.json.gz", "x509-limbo vectors");
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(limbo))) {
            root = new ObjectMapper().readTree(in);
        }
        Map<String, String> known = LimboHarness.knownDifferences();
        Map<String, int[]> byGroup = new TreeMap<>();
        List<String> newMismatches = new ArrayList<>();
        List<String> nowAgreeing = new ArrayList<>();
        int agree = 0;
        int disagree = 0;
        int skipped = 0;
        int index = 0;
        for (JsonNode tc : root.get("testcases")) {
            String id = tc.get("id").asText();
            boolean inSlice = !id.startsWith("bettertls::nameconstraints") || index % 25 == 0;
            index++;
            if (!inSlice) {
                continue;
            }
            Outcome o = LimboHarness.run(tc);
            String group = LimboHarness.group(id);
            int[] counts = byGroup.computeIfAbsent(group, g -> new int[3]);
            if (o == Outcome.SKIPPED) {
                skipped++;
                counts[2]++;
                continue;
            }
            boolean expectedSuccess = tc.get("expected_result").asText().equals("SUCCESS");
            boolean agrees = (o == Outcome.SUCCESS) == expectedSuccess;
            if (agrees) {
                agree++;
                counts[0]++;
                if (known.containsKey(id)) {
                    nowAgreeing.add(id);
                }
            } else {
                disagree++;
                counts[1]++;
                if (!known.containsKey(id)) {
                    newMismatches.add(id + " (expected " + tc.get("expected_result").asText() + ", got " + o + ": "
                            + LimboHarness.lastReason() + ")");
                }
            }
        }
        StringBuilder report = new StringBuilder("x509-limbo slice: agree=" + agree + " disagree=" + disagree
                + " skipped=" + skipped + "\n");
        byGroup.forEach((g, c) -> {
            if (c[1] > 0) {
                report.append(String.format("  %-45s agree=%4d disagree=%3d skipped=%d%n", g, c[0], c[1], c[2]));
            }
        });
        System.out.println(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/limbo-mismatches.txt"), String.join("\n", newMismatches) + "\n");
        assertThat(newMismatches).as("new disagreements with x509-limbo\n" + report).isEmpty();
        assertThat(nowAgreeing).as("listed as known differences but now agreeing: remove them from"
                + " limbo-known-differences.txt").isEmpty();
        assertThat(agree).isGreaterThan(400);
    }
}
