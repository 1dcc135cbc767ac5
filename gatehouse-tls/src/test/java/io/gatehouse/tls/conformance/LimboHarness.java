package io.gatehouse.tls.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.lang.reflect.Method;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/** Runs one x509-limbo test case through ChainVerifier (+ the peer-name check). */
final class LimboHarness {

    enum Outcome { SUCCESS, FAILURE, SKIPPED }

    /** Features this validator does not implement; cases carrying them are skipped. */
    private static final Set<String> UNSUPPORTED = Set.of("max-chain-depth");

    private static final ThreadLocal<String> LAST_REASON = new ThreadLocal<>();

    private LimboHarness() {
    }

    static String lastReason() {
        return LAST_REASON.get();
    }

    static String group(String id) {
        String[] parts = id.split("::");
        return parts.length >= 2 ? parts[0] + "::" + parts[1] : id;
    }

    static Outcome run(JsonNode tc) {
        LAST_REASON.set(null);
        for (JsonNode f : tc.path("features")) {
            if (UNSUPPORTED.contains(f.asText())) {
                return Outcome.SKIPPED;
            }
        }
        try {
            List<X509Certificate> trusted = certs(tc.get("trusted_certs"));
            List<X509Certificate> untrusted = certs(tc.get("untrusted_intermediates"));
            X509Certificate leaf = CertificateFiles.readCertificates(tc.get("peer_certificate").asText(), "peer").get(0);
            List<X509CRL> crls = new ArrayList<>();
            for (JsonNode c : tc.path("crls")) {
                crls.add(crl(c.asText()));
            }
            Instant at = tc.hasNonNull("validation_time")
                    ? OffsetDateTime.parse(tc.get("validation_time").asText()).toInstant() : Instant.now();
            boolean client = "CLIENT".equals(tc.path("validation_kind").asText());
            ChainVerifier.Purpose purpose = client ? ChainVerifier.Purpose.CLIENT_AUTH : ChainVerifier.Purpose.SERVER_AUTH;
            ChainVerifier v = new ChainVerifier(CaStore.of(trusted, List.of(), crls),
                    crls.isEmpty() ? RevocationMode.OFF : RevocationMode.HARD_FAIL);
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(leaf);
            chain.addAll(untrusted);
            VerificationResult r = v.verify(chain, purpose, at);
            if (!r.valid()) {
                LAST_REASON.set(r.toString());
                return Outcome.FAILURE;
            }
            JsonNode name = tc.get("expected_peer_name");
            if (name != null && !name.isNull()) {
                String kind = name.path("kind").asText();
                if (kind.equals("DNS") || kind.equals("IP")) {
                    if (!hostnameMatches(leaf, name.path("value").asText())) {
                        LAST_REASON.set("name mismatch");
                        return Outcome.FAILURE;
                    }
                }
            }
            return Outcome.SUCCESS;
        } catch (RuntimeException | CRLException | java.security.cert.CertificateException e) {
            LAST_REASON.set("exception: " + e);
            return Outcome.FAILURE; // unparseable input is a rejection
        }
    }

    /** The production name check (package-private in io.gatehouse.tls), called reflectively. */
    private static boolean hostnameMatches(X509Certificate leaf, String host) {
        try {
            Class<?> c = Class.forName("io.gatehouse.tls.HostnameMatcher");
            Method m = c.getDeclaredMethod("matches", X509Certificate.class, String.class);
            m.setAccessible(true);
            return (Boolean) m.invoke(null, leaf, host);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<X509Certificate> certs(JsonNode array) {
        List<X509Certificate> out = new ArrayList<>();
        for (JsonNode pem : array) {
            out.addAll(CertificateFiles.readCertificates(pem.asText(), "limbo"));
        }
        return out;
    }

    private static X509CRL crl(String pem) throws CRLException, java.security.cert.CertificateException {
        return (X509CRL) CertificateFactory.getInstance("X.509")
                .generateCRL(new java.io.ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    /** id → reason, from limbo-known-differences.txt ("id  # reason" per line). */
    static Map<String, String> knownDifferences() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = LimboHarness.class.getResourceAsStream("limbo-known-differences.txt")) {
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
