package io.gatehouse.tls.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/**
 * NIST PKITS (../shared/conformance/nist-pkits, see {@link ConformanceVectors}) through
 * {@link ChainVerifier} with revocation hard-fail and each case's policy inputs (initial policy set,
 * explicit policy, policy-mapping and any-policy inhibit): the first certificate is the only root, the leaf
 * is the last, the rest are sent as the peer's intermediates. Skipped when the vectors are absent
 * (failed in CI); known differences are listed by test name in {@code pkits-known-differences.txt}.
 */
class PkitsConformanceTest {

    @Test
    void agreesWithNistPkitsExceptKnownDifferences() throws Exception {
        Path dir = ConformanceVectors.require("nist-pkits", "NIST PKITS vectors");
        JsonNode tests = new ObjectMapper().readTree(dir.resolve("pkits-tests.json").toFile());
        Map<String, String> known = knownDifferences();
        Map<String, int[]> bySuite = new TreeMap<>();
        List<String> newMismatches = new ArrayList<>();
        List<String> nowAgreeing = new ArrayList<>();
        int agree = 0;
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (JsonNode t : tests) {
            String name = t.get("name").asText();
            List<X509Certificate> certs = new ArrayList<>();
            for (JsonNode c : t.get("certs")) {
                try (InputStream in = Files.newInputStream(dir.resolve("certs/" + c.asText() + ".crt"))) {
                    certs.add((X509Certificate) cf.generateCertificate(in));
                }
            }
            List<X509CRL> crls = new ArrayList<>();
            for (JsonNode c : t.get("crls")) {
                try (InputStream in = Files.newInputStream(dir.resolve("crls/" + c.asText() + ".crl"))) {
                    crls.add((X509CRL) cf.generateCRL(in));
                }
            }
            X509Certificate leaf = certs.get(certs.size() - 1);
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(leaf);
            chain.addAll(certs.subList(1, certs.size() - 1).reversed());
            ChainVerifier v = new ChainVerifier(CaStore.of(List.of(certs.get(0)), List.of(), crls),
                    RevocationMode.HARD_FAIL);
            VerificationResult r = v.verify(chain, ChainVerifier.Purpose.ANY, Instant.parse("2026-01-01T00:00:00Z"),
                    policyInputs(t.get("info")));
            boolean expected = t.get("info").get("should_validate").asText().equals("true");
            int[] counts = bySuite.computeIfAbsent(t.get("suite").asText(), s -> new int[2]);
            if (r.valid() == expected) {
                agree++;
                counts[0]++;
                if (known.containsKey(name)) {
                    nowAgreeing.add(name);
                }
            } else {
                counts[1]++;
                if (!known.containsKey(name)) {
                    newMismatches.add(name + " (" + t.get("title").asText() + "; expected "
                            + (expected ? "valid" : "invalid") + ", got " + r + ")");
                }
            }
        }
        StringBuilder report = new StringBuilder("NIST PKITS: agree=" + agree + " of " + tests.size() + "\n");
        bySuite.forEach((s, c) -> report.append(String.format("  %-50s agree=%3d disagree=%3d%n", s, c[0], c[1])));
        System.out.println(report);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/pkits-mismatches.txt"), String.join("\n", newMismatches) + "\n");
        Files.writeString(Path.of("target/pkits-now-agreeing.txt"), String.join("\n", nowAgreeing) + "\n");
        assertThat(newMismatches).as("new disagreements with NIST PKITS (listed as known but now agreeing: "
                + nowAgreeing + ")\n" + report).isEmpty();
        assertThat(nowAgreeing).as("listed in pkits-known-differences.txt but now agreeing: remove them").isEmpty();
    }

    /**
     * The case's initial-policy-set (NIST-test-policy-N is 2.16.840.1.101.3.2.1.48.N, anyPolicy
     * 2.5.29.32.0), initial-explicit-policy, initial-policy-mapping-inhibit and
     * initial-any-policy-inhibit; absent inputs are PKITS' defaults (any policy, all false).
     */
    static ChainVerifier.PolicyInputs policyInputs(JsonNode info) {
        java.util.Set<String> policies = new java.util.HashSet<>();
        for (String name : info.path("SetInitialPolicySet").asText("").split(",")) {
            String n = name.strip();
            if (n.equals("anyPolicy")) {
                policies.add("2.5.29.32.0");
            } else if (n.startsWith("NIST-test-policy-")) {
                policies.add("2.16.840.1.101.3.2.1.48." + n.substring("NIST-test-policy-".length()));
            } else if (!n.isEmpty()) {
                throw new IllegalArgumentException("unknown policy name in PKITS input: " + n);
            }
        }
        return new ChainVerifier.PolicyInputs(policies, info.path("SetInitialExplicitPolicy").asText().equals("true"),
                info.path("SetInitialPolicyMappingInhibit").asText().equals("true"),
                info.path("SetInitialInhibitAnyPolicy").asText().equals("true"));
    }

    private static Map<String, String> knownDifferences() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = PkitsConformanceTest.class.getResourceAsStream("pkits-known-differences.txt")) {
            if (in == null) {
                return out;
            }
            String reason = "";
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.startsWith("## ")) {
                    reason = l.substring(3);
                } else if (!l.isEmpty() && !l.startsWith("#")) {
                    out.put(l, reason);
                }
            }
        }
        return out;
    }
}
