package io.gatehouse.tls.conformance;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;

import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.HostnameMatcher;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.VerificationResult;

/**
 * Runs one x509-limbo test case through ChainVerifier in one of the two roles the gateway uses it
 * in: {@link Role#BACKEND} (serverAuth, then the production peer-name check, {@link HostnameMatcher})
 * and {@link Role#CLIENT_CERTIFICATE} (clientAuth in place of serverAuth, no peer-name check).
 */
final class LimboHarness {

    enum Role { BACKEND, CLIENT_CERTIFICATE }

    /**
     * What the validator said. {@code ACCEPTED_BUT_SERVER_EKU}: in the client-certificate role, the only
     * refusal was the purpose check, because the certificates are marked for serverAuth and not for
     * clientAuth (almost every limbo leaf is); the chain itself was accepted.
     */
    enum Outcome { SUCCESS, FAILURE, SKIPPED, ACCEPTED_BUT_SERVER_EKU }

    record Run(Outcome outcome, String reason) {
        /** Whether the chain was accepted, counting a serverAuth-only refusal in the client role as accepted. */
        boolean accepted() {
            return outcome == Outcome.SUCCESS || outcome == Outcome.ACCEPTED_BUT_SERVER_EKU;
        }
    }

    /** Features this validator does not implement; cases carrying them are skipped. */
    static final Map<String, String> UNSUPPORTED = Map.of(
            "max-chain-depth", "the gateway has no configurable maximum chain depth (it builds at most "
                    + "10 certificates, leaf and root included)");

    private static volatile JsonNode cases;

    /** The backend role's chain verdicts (before its name check) by id, kept from earlier runs in this JVM. */
    private static final Map<String, Run> CHAIN_VERDICTS = new java.util.concurrent.ConcurrentHashMap<>();

    private LimboHarness() {
    }

    /** The 9,780 test cases (parsed once per JVM). */
    static JsonNode testcases() throws IOException {
        JsonNode c = cases;
        if (c == null) {
            Path limbo = ConformanceVectors.require("x509-limbo/limbo.json.gz", "x509-limbo vectors");
            try (InputStream in = new GZIPInputStream(Files.newInputStream(limbo))) {
                c = new ObjectMapper().readTree(in).get("testcases");
            }
            cases = c;
        }
        return c;
    }

    /** The backend role's verdict on the chain alone (without its peer-name check), computed once per case. */
    static Run backendChainVerdict(JsonNode tc) {
        Run known = CHAIN_VERDICTS.get(tc.get("id").asText());
        return known != null ? known : run(tc, Role.BACKEND, false);
    }

    static String group(String id) {
        String[] parts = id.split("::");
        return parts.length >= 2 ? parts[0] + "::" + parts[1] : id;
    }

    static String unsupportedFeature(JsonNode tc) {
        for (JsonNode f : tc.path("features")) {
            if (UNSUPPORTED.containsKey(f.asText())) {
                return f.asText();
            }
        }
        return null;
    }

    /**
     * Runs the case. {@code nameCheck} false leaves out the peer-name check (the client-certificate
     * role never has one; the backend role without it gives the chain verdict alone).
     */
    static Run run(JsonNode tc, Role role, boolean nameCheck) {
        if (unsupportedFeature(tc) != null) {
            return new Run(Outcome.SKIPPED, "unsupported feature " + unsupportedFeature(tc));
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
            boolean clientCase = "CLIENT".equals(tc.path("validation_kind").asText());
            ChainVerifier.Purpose purpose = clientCase || role == Role.CLIENT_CERTIFICATE
                    ? ChainVerifier.Purpose.CLIENT_AUTH : ChainVerifier.Purpose.SERVER_AUTH;
            ChainVerifier v = new ChainVerifier(CaStore.of(trusted, List.of(), crls),
                    crls.isEmpty() ? RevocationMode.OFF : RevocationMode.HARD_FAIL);
            List<X509Certificate> chain = new ArrayList<>();
            chain.add(leaf);
            chain.addAll(untrusted);
            VerificationResult r = v.verify(chain, purpose, at);
            if (!r.valid() && role == Role.BACKEND) {
                CHAIN_VERDICTS.put(tc.get("id").asText(), new Run(Outcome.FAILURE, r.toString()));
            }
            if (!r.valid()) {
                if (role == Role.CLIENT_CERTIFICATE && !clientCase && "purpose".equals(r.failedCheck())
                        && refusedOnlyForServerMarking(r)) {
                    return new Run(Outcome.ACCEPTED_BUT_SERVER_EKU, r.toString());
                }
                return new Run(Outcome.FAILURE, r.toString());
            }
            if (role == Role.BACKEND) {
                CHAIN_VERDICTS.put(tc.get("id").asText(), new Run(Outcome.SUCCESS, null));
            }
            if (nameCheck && role == Role.BACKEND) {
                JsonNode name = tc.get("expected_peer_name");
                if (name != null && !name.isNull()) {
                    String kind = name.path("kind").asText();
                    if ((kind.equals("DNS") || kind.equals("IP"))
                            && !HostnameMatcher.matches(leaf, name.path("value").asText())) {
                        return new Run(Outcome.FAILURE, "name mismatch");
                    }
                }
            }
            return new Run(Outcome.SUCCESS, null);
        } catch (RuntimeException | CRLException | java.security.cert.CertificateException e) {
            return new Run(Outcome.FAILURE, "exception: " + e); // unparseable input is a rejection
        }
    }

    /**
     * Whether a purpose refusal names serverAuth among the purposes the refusing certificate (the
     * leaf, or a CA on the path) does allow: then it was refused only because it is marked for
     * serverAuth and not for clientAuth, which is how limbo marks certificates for the role it tests.
     * A CA restricted to, say, email protection is a real refusal and does not count.
     */
    private static boolean refusedOnlyForServerMarking(VerificationResult r) {
        String allowed = r.reason().replace("not meant for client authentication", "")
                .replace("not for client authentication", "");
        return allowed.contains("server authentication");
    }

    /**
     * Whether the expected peer name is among the leaf's SANs, by the test's own reading of the SAN
     * bytes (DNS names case-insensitively, a leading "*." wildcard for one label; IP addresses by
     * their bytes), independent of the production matcher. False when the case names no peer.
     */
    static boolean peerNameInSans(JsonNode tc) {
        JsonNode name = tc.get("expected_peer_name");
        if (name == null || name.isNull()) {
            return true;
        }
        try {
            X509Certificate leaf = CertificateFiles.readCertificates(tc.get("peer_certificate").asText(), "peer").get(0);
            byte[] ext = leaf.getExtensionValue("2.5.29.17");
            if (ext == null) {
                return false;
            }
            GeneralNames names = GeneralNames.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            String value = name.path("value").asText();
            for (GeneralName g : names.getNames()) {
                if (name.path("kind").asText().equals("DNS") && g.getTagNo() == GeneralName.dNSName) {
                    String san = ASN1IA5String.getInstance(g.getName()).getString().toLowerCase(Locale.ROOT);
                    String host = value.toLowerCase(Locale.ROOT);
                    if (san.equals(host) || (san.startsWith("*.") && host.indexOf('.') > 0
                            && host.substring(host.indexOf('.')).equals(san.substring(1)))) {
                        return true;
                    }
                } else if (name.path("kind").asText().equals("IP") && g.getTagNo() == GeneralName.iPAddress) {
                    byte[] bytes = ASN1OctetString.getInstance(g.getName()).getOctets();
                    if (Arrays.equals(bytes, InetAddress.getByName(value).getAddress())) {
                        return true;
                    }
                }
            }
            return false;
        } catch (RuntimeException | UnknownHostException e) {
            return false;
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

    /** id → reason, from a known-differences resource ("## reason" lines, then ids). */
    static Map<String, String> knownDifferences(String resource) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        try (InputStream in = LimboHarness.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing test resource " + resource);
            }
            String reason = "";
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String l = line.strip();
                if (l.startsWith("## ")) {
                    reason = l.substring(3);
                } else if (!l.isEmpty() && !l.startsWith("#")) {
                    String[] parts = l.split("\\s+", 2);
                    out.put(parts[0], parts.length > 1 ? reason + " / " + parts[1] : reason);
                }
            }
        }
        return out;
    }

    static Set<String> unsupportedFeatures() {
        return UNSUPPORTED.keySet();
    }
}
