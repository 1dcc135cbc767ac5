package io.gatehouse.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Objects;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import io.gatehouse.common.x509.DotNetNames;

/**
 * A development PKI: CAs, intermediates, server and client certificates, CRLs, PEM and PFX
 * files. Used by {@code gatehouse pki}, {@code gatehouse quickstart} and every TLS test, so that
 * test certificates are made in code rather than committed as fixtures.
 *
 * <p>Not for production CAs: keys live in memory and in files with mode 600, nothing more.
 */
public final class Pki {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Pki() {
    }

    /** Key types the PKI can make. */
    public enum KeyAlgorithm {
        EC_P256, RSA_2048
    }

    /**
     * A key pair and its certificate; {@code chain} is the certificate followed by its issuers up
     * to, not including, the self-signed root (a root's chain is just itself) — what a server or
     * client sends in its handshake.
     */
    public record Issued(KeyPair keyPair, X509Certificate certificate, List<X509Certificate> chain) {
        public Issued {
            Objects.requireNonNull(keyPair, "keyPair");
            Objects.requireNonNull(certificate, "certificate");
            chain = List.copyOf(chain);
        }

        /** The key and the chain, as the loaders return them. */
        public KeyMaterial keyMaterial() {
            return new KeyMaterial(keyPair.getPrivate(), chain);
        }

        @Override
        public String toString() {
            return "Issued[" + DotNetNames.format(certificate.getSubjectX500Principal()) + "]";
        }
    }

    /**
     * What to put in an end-entity certificate. Subject DNs are RFC 2253 strings
     * ({@code "CN=clinic-app,O=Contoso,C=US"}). Start from {@link #server} or {@link #client}.
     */
    public record IssueRequest(String subjectDn, List<String> dnsNames, List<String> ipAddresses, boolean server,
            boolean client, Instant notBefore, Instant notAfter, KeyAlgorithm keyAlgorithm) {

        public IssueRequest {
            Objects.requireNonNull(subjectDn, "subjectDn");
            dnsNames = List.copyOf(dnsNames == null ? List.of() : dnsNames);
            ipAddresses = List.copyOf(ipAddresses == null ? List.of() : ipAddresses);
            notBefore = notBefore == null ? Instant.now().minus(1, ChronoUnit.HOURS) : notBefore;
            notAfter = notAfter == null ? notBefore.plus(Duration.ofDays(397)) : notAfter;
            keyAlgorithm = keyAlgorithm == null ? KeyAlgorithm.EC_P256 : keyAlgorithm;
            if (!notAfter.isAfter(notBefore)) {
                throw new IllegalArgumentException("notAfter: " + notAfter + " (expected: after notBefore " + notBefore + ")");
            }
        }

        /**
         * A TLS server certificate for {@code CN=cn}; each SAN is an IP address when it parses as
         * one, a DNS name otherwise. With no SANs, {@code cn} itself becomes the DNS SAN.
         */
        public static IssueRequest server(String cn, String... sans) {
            List<String> dns = new ArrayList<>();
            List<String> ips = new ArrayList<>();
            List<String> all = sans.length == 0 ? List.of(cn) : Arrays.asList(sans);
            for (String san : all) {
                (isIpLiteral(san) ? ips : dns).add(san);
            }
            return new IssueRequest("CN=" + cn, dns, ips, true, false, null, null, null);
        }

        /** A TLS client certificate with the given RFC 2253 subject. */
        public static IssueRequest client(String subjectDn) {
            return new IssueRequest(subjectDn, List.of(), List.of(), false, true, null, null, null);
        }

        public IssueRequest withValidity(Instant from, Instant until) {
            return new IssueRequest(subjectDn, dnsNames, ipAddresses, server, client, from, until, keyAlgorithm);
        }

        /** Valid from an hour ago for {@code validity}. */
        public IssueRequest withValidity(Duration validity) {
            Instant from = Instant.now().minus(1, ChronoUnit.HOURS);
            return withValidity(from, from.plus(validity));
        }

        public IssueRequest withKeyAlgorithm(KeyAlgorithm algorithm) {
            return new IssueRequest(subjectDn, dnsNames, ipAddresses, server, client, notBefore, notAfter, algorithm);
        }

        /** Adds the clientAuth purpose (or serverAuth) to this request. */
        public IssueRequest withPurposes(boolean serverAuth, boolean clientAuth) {
            return new IssueRequest(subjectDn, dnsNames, ipAddresses, serverAuth, clientAuth, notBefore, notAfter,
                    keyAlgorithm);
        }
    }

    /** A self-signed root CA valid from an hour ago for {@code validity}. */
    public static Issued ca(String subjectDn, Duration validity) {
        Instant from = Instant.now().minus(1, ChronoUnit.HOURS);
        return ca(subjectDn, from, from.plus(validity), KeyAlgorithm.EC_P256);
    }

    /** A self-signed root CA with explicit validity and key type. */
    public static Issued ca(String subjectDn, Instant notBefore, Instant notAfter, KeyAlgorithm algorithm) {
        KeyPair keys = generate(algorithm);
        X500Principal subject = new X500Principal(subjectDn);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()));
            X509Certificate cert = sign(b, keys.getPrivate());
            return new Issued(keys, cert, List.of(cert));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make CA " + subjectDn, e);
        }
    }

    /** An intermediate CA issued by {@code parent}, valid from an hour ago for {@code validity}. */
    public static Issued intermediate(Issued parent, String subjectDn, Duration validity) {
        Instant from = Instant.now().minus(1, ChronoUnit.HOURS);
        KeyPair keys = generate(KeyAlgorithm.EC_P256);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(parent.certificate(), serial(),
                    Date.from(from), Date.from(from.plus(validity)), new X500Principal(subjectDn), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(parent.certificate()));
            X509Certificate cert = sign(b, parent.keyPair().getPrivate());
            return new Issued(keys, cert, chainFor(cert, parent));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make intermediate CA " + subjectDn, e);
        }
    }

    /** An end-entity certificate issued by {@code ca}. */
    public static Issued issue(Issued ca, IssueRequest r) {
        return issue(ca, r, List.of(), List.of());
    }

    /**
     * An end-entity certificate issued by {@code ca} that names where its revocation status is
     * published: {@code crlUrls} as cRLDistributionPoints, {@code ocspUrls} as OCSP responders in
     * authorityInfoAccess (either may be empty).
     */
    public static Issued issue(Issued ca, IssueRequest r, List<java.net.URI> crlUrls, List<java.net.URI> ocspUrls) {
        KeyPair keys = generate(r.keyAlgorithm());
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                    Date.from(r.notBefore()), Date.from(r.notAfter()), new X500Principal(r.subjectDn()),
                    keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keys.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(ca.certificate()));
            int usage = KeyUsage.digitalSignature
                    | (r.keyAlgorithm() == KeyAlgorithm.RSA_2048 ? KeyUsage.keyEncipherment : 0);
            b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            List<KeyPurposeId> purposes = new ArrayList<>();
            if (r.server()) {
                purposes.add(KeyPurposeId.id_kp_serverAuth);
            }
            if (r.client()) {
                purposes.add(KeyPurposeId.id_kp_clientAuth);
            }
            if (!purposes.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
            }
            List<GeneralName> names = new ArrayList<>();
            r.dnsNames().forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
            r.ipAddresses().forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
            if (!names.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            addRevocationUrls(b, crlUrls, ocspUrls);
            X509Certificate cert = sign(b, ca.keyPair().getPrivate());
            return new Issued(keys, cert, chainFor(cert, ca));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot issue " + r.subjectDn(), e);
        }
    }

    /**
     * A delegated OCSP responder certificate (RFC 6960 4.2.2.2): issued by {@code ca}, extended key
     * usage id-kp-OCSPSigning only, with id-pkix-ocsp-nocheck.
     */
    public static Issued ocspResponder(Issued ca, String subjectDn, Duration validity) {
        KeyPair keys = generate(KeyAlgorithm.EC_P256);
        Instant from = Instant.now().minus(1, ChronoUnit.HOURS);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                    Date.from(from), Date.from(from.plus(validity)), new X500Principal(subjectDn), keys.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning))
                    .addExtension(org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers.id_pkix_ocsp_nocheck, false,
                            org.bouncycastle.asn1.DERNull.INSTANCE)
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            utils.createAuthorityKeyIdentifier(ca.certificate()));
            X509Certificate cert = sign(b, ca.keyPair().getPrivate());
            return new Issued(keys, cert, chainFor(cert, ca));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make OCSP responder " + subjectDn, e);
        }
    }

    private static void addRevocationUrls(X509v3CertificateBuilder b, List<java.net.URI> crlUrls,
            List<java.net.URI> ocspUrls) throws IOException {
        if (!crlUrls.isEmpty()) {
            List<org.bouncycastle.asn1.x509.DistributionPoint> points = new ArrayList<>();
            for (java.net.URI u : crlUrls) {
                points.add(new org.bouncycastle.asn1.x509.DistributionPoint(
                        new org.bouncycastle.asn1.x509.DistributionPointName(new GeneralNames(
                                new GeneralName(GeneralName.uniformResourceIdentifier, u.toString()))), null, null));
            }
            b.addExtension(Extension.cRLDistributionPoints, false, new org.bouncycastle.asn1.x509.CRLDistPoint(
                    points.toArray(org.bouncycastle.asn1.x509.DistributionPoint[]::new)));
        }
        if (!ocspUrls.isEmpty()) {
            List<org.bouncycastle.asn1.x509.AccessDescription> access = new ArrayList<>();
            for (java.net.URI u : ocspUrls) {
                access.add(new org.bouncycastle.asn1.x509.AccessDescription(
                        org.bouncycastle.asn1.x509.AccessDescription.id_ad_ocsp,
                        new GeneralName(GeneralName.uniformResourceIdentifier, u.toString())));
            }
            b.addExtension(Extension.authorityInfoAccess, false, new org.bouncycastle.asn1.x509.AuthorityInformationAccess(
                    access.toArray(org.bouncycastle.asn1.x509.AccessDescription[]::new)));
        }
    }

    /** A CRL signed by {@code ca} listing {@code revokedSerials} as revoked at {@code thisUpdate}. */
    public static X509CRL crl(Issued ca, List<BigInteger> revokedSerials, Instant thisUpdate, Instant nextUpdate) {
        try {
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(ca.certificate().getSubjectX500Principal(),
                    Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            for (BigInteger serial : revokedSerials) {
                b.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
            }
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    utils.createAuthorityKeyIdentifier(ca.certificate()));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(thisUpdate.getEpochSecond())));
            return new JcaX509CRLConverter().getCRL(b.build(signer(ca.keyPair().getPrivate())));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a CRL", e);
        }
    }

    /** PEM text of the certificates, in order. */
    public static String pem(X509Certificate... certificates) {
        return pemOf((Object[]) certificates);
    }

    /** PKCS#8 PEM ({@code BEGIN PRIVATE KEY}) of the key: handle as a secret. */
    public static String pem(PrivateKey key) {
        return pemOf(key);
    }

    /** PEM of a CRL. */
    public static String pem(X509CRL crl) {
        return pemOf(crl);
    }

    /**
     * Writes certificates, CRLs and private keys as PEM. A file holding a private key is created
     * with mode 600 (owner read/write) before the key is written.
     */
    public static void writePem(Path file, Object... items) {
        boolean secret = Arrays.stream(items).anyMatch(i -> i instanceof PrivateKey);
        byte[] bytes = pemOf(items).getBytes(StandardCharsets.US_ASCII);
        writeFile(file, bytes, secret);
    }

    /**
     * A PKCS#12 file the JDK, openssl and Windows read: the key with its chain under the alias
     * "1", protected by {@code password} (AES-256, HMAC-SHA256 as the JDK writes by default).
     */
    public static byte[] pfx(KeyMaterial km, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("1", km.key(), password, km.chain().toArray(X509Certificate[]::new));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot write a PFX", e);
        }
    }

    /** Writes a file; {@code secret} files get mode 600 before any byte is written. */
    public static void writeFile(Path file, byte[] bytes, boolean secret) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (secret) {
                Files.deleteIfExists(file);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(file);
                }
            }
            Files.write(file, bytes, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** What {@code gatehouse pki inspect} shows, with names and thumbprints as APIM shows them. */
    public record Inspection(String subject, String issuer, List<String> dnsNames, List<String> ipAddresses,
            List<String> otherNames, String serialNumber, Instant notBefore, Instant notAfter, String thumbprint,
            String sha256, boolean ca, String keyAlgorithm, List<String> extendedKeyUsages) {

        public Inspection {
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
            otherNames = List.copyOf(otherNames);
            extendedKeyUsages = List.copyOf(extendedKeyUsages);
        }

        /** Aligned "label: value" lines for the CLI. */
        public String toText() {
            StringBuilder s = new StringBuilder();
            line(s, "Subject", subject);
            line(s, "Issuer", issuer);
            if (!dnsNames.isEmpty()) {
                line(s, "DNS names", String.join(", ", dnsNames));
            }
            if (!ipAddresses.isEmpty()) {
                line(s, "IP addresses", String.join(", ", ipAddresses));
            }
            if (!otherNames.isEmpty()) {
                line(s, "Other names", String.join(", ", otherNames));
            }
            line(s, "Serial number", serialNumber);
            line(s, "Not before", notBefore.toString());
            line(s, "Not after", notAfter.toString());
            line(s, "Thumbprint", thumbprint + "  (SHA-1, as APIM shows it)");
            line(s, "SHA-256", sha256);
            line(s, "Key", keyAlgorithm);
            line(s, "CA", ca ? "yes" : "no");
            if (!extendedKeyUsages.isEmpty()) {
                line(s, "Purposes", String.join(", ", extendedKeyUsages));
            }
            return s.toString();
        }

        private static void line(StringBuilder s, String label, String value) {
            s.append(String.format("%-14s %s%n", label + ":", value));
        }
    }

    public static Inspection inspect(X509Certificate c) {
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        List<String> other = new ArrayList<>();
        try {
            Collection<List<?>> sans = c.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    Object value = san.get(1);
                    switch (type) {
                        case 2 -> dns.add(String.valueOf(value));
                        case 7 -> ips.add(String.valueOf(value));
                        case 1 -> other.add("email:" + value);
                        case 6 -> other.add("URI:" + value);
                        default -> other.add("type " + type);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            other.add("(unreadable subject alternative names)");
        }
        List<String> ekus = new ArrayList<>();
        try {
            List<String> oids = c.getExtendedKeyUsage();
            if (oids != null) {
                for (String oid : oids) {
                    ekus.add(switch (oid) {
                        case "1.3.6.1.5.5.7.3.1" -> "serverAuth";
                        case "1.3.6.1.5.5.7.3.2" -> "clientAuth";
                        case "2.5.29.37.0" -> "any";
                        default -> oid;
                    });
                }
            }
        } catch (CertificateParsingException e) {
            ekus.add("(unreadable)");
        }
        return new Inspection(DotNetNames.format(c.getSubjectX500Principal()),
                DotNetNames.format(c.getIssuerX500Principal()), dns, ips, other, DotNetNames.serialNumber(c),
                c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), DotNetNames.thumbprint(c),
                DotNetNames.sha256(c), c.getBasicConstraints() >= 0, keyDescription(c), ekus);
    }

    // ---------------------------------------------------------------------------------------

    private static String keyDescription(X509Certificate c) {
        if (c.getPublicKey() instanceof java.security.interfaces.RSAKey rsa) {
            return "RSA " + rsa.getModulus().bitLength();
        }
        if (c.getPublicKey() instanceof java.security.interfaces.ECKey ec) {
            return "EC " + ec.getParams().getCurve().getField().getFieldSize();
        }
        return c.getPublicKey().getAlgorithm();
    }

    private static List<X509Certificate> chainFor(X509Certificate cert, Issued issuer) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(cert);
        for (X509Certificate c : issuer.chain()) {
            if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                chain.add(c);
            }
        }
        return chain;
    }

    private static String pemOf(Object... items) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object item : items) {
                if (item instanceof PrivateKey key) {
                    w.writeObject(new PemObject("PRIVATE KEY", key.getEncoded()));
                } else {
                    w.writeObject(item);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws GeneralSecurityException {
        try {
            X509CertificateHolder holder = b.build(signer(key));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
        String alg = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaContentSignerBuilder(alg).setProvider(Bc.PROVIDER).build(key);
    }

    private static KeyPair generate(KeyAlgorithm algorithm) {
        try {
            if (algorithm == KeyAlgorithm.RSA_2048) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + algorithm + " key", e);
        }
    }

    private static BigInteger serial() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[15] |= 1; // never zero; about half of all serials need a leading 00 byte in DER
        return new BigInteger(1, b);
    }

    private static boolean isIpLiteral(String s) {
        if (s.contains(":")) {
            return true;
        }
        return s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    static InetAddress ipAddress(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an IP address: " + literal);
        }
    }
}
