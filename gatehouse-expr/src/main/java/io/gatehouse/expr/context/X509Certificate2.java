package io.gatehouse.expr.context;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Rsa;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Collections;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * .NET's {@code X509Certificate2} over a JDK certificate: what {@code context.Request.Certificate}
 * returns. Members print as .NET prints them, because users paste those strings into policies:
 * Thumbprint is upper-case SHA-1 hex, Subject/Issuer use .NET's reversed "CN=a, O=b, C=US" form
 * with its quoting, SerialNumber is upper-case hex. NotBefore/NotAfter are Local-kind DateTimes in
 * .NET; Gatehouse's local time is UTC, so they hold the UTC instant.
 *
 * <p>Verify() and VerifyNoRevocation() ask the {@link CertificateVerifier} the gateway attached;
 * with none attached they return false.
 */
public final class X509Certificate2 {
    private static final Map<String, String> ATTRIBUTE_NAMES = Map.ofEntries(
            Map.entry("2.5.4.3", "CN"), Map.entry("2.5.4.6", "C"), Map.entry("2.5.4.7", "L"),
            Map.entry("2.5.4.8", "S"), Map.entry("2.5.4.9", "STREET"), Map.entry("2.5.4.10", "O"),
            Map.entry("2.5.4.11", "OU"), Map.entry("2.5.4.12", "T"), Map.entry("2.5.4.42", "G"),
            Map.entry("2.5.4.4", "SN"), Map.entry("2.5.4.5", "SERIALNUMBER"), Map.entry("2.5.4.43", "I"),
            Map.entry("1.2.840.113549.1.9.1", "E"), Map.entry("0.9.2342.19200300.100.1.25", "DC"),
            Map.entry("2.5.4.17", "PostalCode"), Map.entry("0.9.2342.19200300.100.1.1", "UID"));
    private static final String CRYPTO = "System.Security.Cryptography.CryptographicException";
    private static final String UPN_OID = "1.3.6.1.4.1.311.20.2.3";

    private final X509Certificate cert;
    /** The key a PFX/PKCS #12 carried ({@code new X509Certificate2(pfxBytes, password)}); null otherwise. */
    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;
    private final CertificateVerifier verifier;
    private final byte[] raw;
    private final String thumbprint;
    private final String subject;
    private final String issuer;

    /**
     * @param cert the leaf certificate
     * @param chain the rest of the chain the client sent (may be empty)
     * @param verifier chain checker for Verify(); null makes Verify() return false
     */
    public X509Certificate2(X509Certificate cert, List<X509Certificate> chain, CertificateVerifier verifier) {
        this(cert, chain, verifier, null);
    }

    private X509Certificate2(X509Certificate cert, List<X509Certificate> chain, CertificateVerifier verifier, PrivateKey privateKey) {
        this.privateKey = privateKey;
        this.cert = requireNonNull(cert, "cert");
        this.chain = chain == null ? List.of() : List.copyOf(chain);
        this.verifier = verifier;
        try {
            this.raw = cert.getEncoded();
            this.thumbprint = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(raw));
        } catch (CertificateEncodingException | NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("certificate: cannot encode (" + e.getMessage() + ")", e);
        }
        this.subject = formatName(cert.getSubjectX500Principal().getEncoded());
        this.issuer = formatName(cert.getIssuerX500Principal().getEncoded());
    }

    /** The chain checker {@code Verify()} uses, or null. */
    public CertificateVerifier verifier() {
        return verifier;
    }

    public X509Certificate2(X509Certificate cert) {
        this(cert, List.of(), null);
    }

    public X509Certificate certificate() {
        return cert;
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public String thumbprint() {
        return thumbprint;
    }

    public String subject() {
        return subject;
    }

    public String issuer() {
        return issuer;
    }

    public X500DistinguishedName subjectName() {
        return new X500DistinguishedName(subject, cert.getSubjectX500Principal().getEncoded());
    }

    public X500DistinguishedName issuerName() {
        return new X500DistinguishedName(issuer, cert.getIssuerX500Principal().getEncoded());
    }

    public DateTime notBefore() {
        return DateTime.ofInstant(cert.getNotBefore().toInstant(), DateTime.Kind.Local);
    }

    public DateTime notAfter() {
        return DateTime.ofInstant(cert.getNotAfter().toInstant(), DateTime.Kind.Local);
    }

    public String serialNumber() {
        return HexFormat.of().withUpperCase().formatHex(cert.getSerialNumber().toByteArray());
    }

    public int version() {
        return cert.getVersion();
    }

    public Oid signatureAlgorithm() {
        return Oid.of(cert.getSigAlgOID());
    }

    public byte[] rawData() {
        return raw.clone();
    }

    public boolean hasPrivateKey() {
        return privateKey != null;
    }

    /**
     * {@code new X509Certificate2(rawData)} and {@code new X509Certificate2(rawData, password)}: a
     * certificate from DER or PEM bytes, or from PKCS #12 (PFX) bytes with its private key. A null
     * password reads a PFX without one (as .NET does, with the empty password too). Failures are
     * .NET's CryptographicException; the message never holds the password or the bytes.
     */
    public static X509Certificate2 load(byte[] rawData, String password) {
        if (rawData == null) {
            throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'rawData')");
        }
        if (rawData.length == 0) {
            throw new ExpressionException("System.ArgumentException", "Array may not be empty or null. (Parameter 'rawData')");
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            return new X509Certificate2((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(rawData)));
        } catch (CertificateException | ClassCastException notX509) {
            // not DER/PEM: try PKCS #12 below
        }
        KeyStore ks;
        try {
            ks = KeyStore.getInstance("PKCS12");
        } catch (KeyStoreException e) {
            throw new IllegalStateException("PKCS12 key stores are not available", e);
        }
        char[] pw = password == null ? new char[0] : password.toCharArray();
        try {
            ks.load(new ByteArrayInputStream(rawData), pw);
        } catch (IOException e) {
            boolean badPassword = e.getCause() instanceof java.security.UnrecoverableKeyException;
            throw new ExpressionException(CRYPTO, badPassword
                    ? "The certificate data cannot be read with the provided password, the password may be incorrect."
                    : "ASN1 corrupted data.");
        } catch (GeneralSecurityException e) {
            throw new ExpressionException(CRYPTO, "ASN1 corrupted data.");
        }
        try {
            X509Certificate withoutKey = null;
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias) && ks.getCertificate(alias) instanceof X509Certificate c) {
                    Key k = ks.getKey(alias, pw);
                    return new X509Certificate2(c, List.of(), null, k instanceof PrivateKey pk ? pk : null);
                }
                if (withoutKey == null && ks.getCertificate(alias) instanceof X509Certificate c) {
                    withoutKey = c;
                }
            }
            if (withoutKey != null) {
                return new X509Certificate2(withoutKey);
            }
        } catch (GeneralSecurityException e) {
            throw new ExpressionException(CRYPTO, "The certificate data cannot be read with the provided password, the password may be incorrect.");
        }
        throw new ExpressionException(CRYPTO, "The PKCS#12 data holds no certificate.");
    }

    /** {@code GetCertHash()}: the SHA-1 hash of the DER encoding (the thumbprint's bytes). */
    public byte[] getCertHash() {
        return HexFormat.of().parseHex(thumbprint);
    }

    /** {@code GetCertHash(hashAlgorithm)}: SHA256, SHA384, SHA512, SHA1 or MD5 of the DER encoding. */
    public byte[] getCertHash(Rsa.HashAlgorithmName hash) {
        String name = hash == null ? null : hash.name();
        if (name == null || name.isEmpty()) {
            throw new ExpressionException("System.ArgumentException", "The hash algorithm name cannot be null or empty. (Parameter 'hashAlgorithm')");
        }
        String jca = switch (name) {
            case "SHA256" -> "SHA-256";
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            case "SHA1" -> "SHA-1";
            case "MD5" -> "MD5";
            default -> throw new ExpressionException(CRYPTO, "'" + name + "' is not a known hash algorithm.");
        };
        try {
            return MessageDigest.getInstance(jca).digest(raw);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jca + " is not available", e);
        }
    }

    /** {@code GetRSAPrivateKey()}: the RSA private key of a certificate read from a PFX; null when there is none (or it is not RSA). */
    public Rsa getRSAPrivateKey() {
        return privateKey instanceof RSAPrivateKey && cert.getPublicKey() instanceof RSAPublicKey pub ? new Rsa(privateKey, pub) : null;
    }

    /** {@code GetRSAPublicKey()}: the RSA public key; null when the certificate's key is not RSA. */
    public Rsa getRSAPublicKey() {
        return cert.getPublicKey() instanceof RSAPublicKey pub ? new Rsa(null, pub) : null;
    }

    public List<X509Extension> extensions() {
        List<X509Extension> out = new ArrayList<>();
        addExtensions(out, cert.getCriticalExtensionOIDs(), true);
        addExtensions(out, cert.getNonCriticalExtensionOIDs(), false);
        return out;
    }

    private void addExtensions(List<X509Extension> out, Set<String> oids, boolean critical) {
        if (oids == null) {
            return;
        }
        for (String oid : oids.stream().sorted().toList()) {
            out.add(new X509Extension(Oid.of(oid), critical, cert.getExtensionValue(oid)));
        }
    }

    public boolean verify() {
        return verifier != null && verifier.verify(this, true);
    }

    public boolean verifyNoRevocation() {
        return verifier != null && verifier.verify(this, false);
    }

    /** .NET {@code GetNameInfo}: "" when the name is not present, as .NET returns. */
    public String getNameInfo(X509NameType type, boolean forIssuer) {
        List<String[]> attrs = attributes(forIssuer ? cert.getIssuerX500Principal().getEncoded()
                : cert.getSubjectX500Principal().getEncoded());
        List<Object[]> sans = forIssuer ? altNames(true) : altNames(false);
        return switch (type) {
            case SimpleName -> firstOf(attrs, "CN", "OU", "O", "E");
            case EmailName -> {
                String e = firstOf(attrs, "E");
                yield e.isEmpty() ? san(sans, 1) : e;
            }
            case DnsName, DnsFromAlternativeName -> {
                String d = san(sans, 2);
                yield d.isEmpty() && type == X509NameType.DnsName ? firstOf(attrs, "CN") : d;
            }
            case UrlName -> san(sans, 6);
            case UpnName -> upn(sans);
        };
    }

    private static String firstOf(List<String[]> attrs, String... keys) {
        for (String k : keys) {
            for (int i = attrs.size() - 1; i >= 0; i--) {
                if (attrs.get(i)[0].equals(k)) {
                    return attrs.get(i)[1];
                }
            }
        }
        return "";
    }

    private List<Object[]> altNames(boolean issuerSide) {
        try {
            Collection<List<?>> names = issuerSide ? cert.getIssuerAlternativeNames() : cert.getSubjectAlternativeNames();
            List<Object[]> out = new ArrayList<>();
            if (names != null) {
                for (List<?> n : names) {
                    out.add(new Object[] {n.get(0), n.get(1)});
                }
            }
            return out;
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }

    private static String san(List<Object[]> sans, int type) {
        for (Object[] s : sans) {
            if (((Integer) s[0]) == type && s[1] instanceof String v) {
                return v;
            }
        }
        return "";
    }

    private static String upn(List<Object[]> sans) {
        for (Object[] s : sans) {
            if (((Integer) s[0]) == 0 && s[1] instanceof byte[] der) {
                String v = Der.upn(der, UPN_OID);
                if (v != null) {
                    return v;
                }
            }
        }
        return "";
    }

    public String getCertHashString() {
        return thumbprint;
    }

    public String getSerialNumberString() {
        return serialNumber();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof X509Certificate2 c && c.thumbprint.equals(thumbprint);
    }

    @Override
    public int hashCode() {
        return thumbprint.hashCode();
    }

    /** .NET's {@code X509Certificate.ToString()} first line form: "[Subject]\n  CN=..". Kept short. */
    @Override
    public String toString() {
        return "[Subject]\n  " + subject + "\n\n[Issuer]\n  " + issuer + "\n\n[Serial Number]\n  " + serialNumber()
                + "\n\n[Thumbprint]\n  " + thumbprint + "\n";
    }

    /** Formats a DER Name as .NET does by default: last RDN first, ", " between, " + " inside one RDN. */
    static String formatName(byte[] der) {
        List<List<String[]>> rdns = Der.rdns(der);
        StringBuilder sb = new StringBuilder();
        for (int i = rdns.size() - 1; i >= 0; i--) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            List<String[]> rdn = rdns.get(i);
            for (int j = 0; j < rdn.size(); j++) {
                if (j > 0) {
                    sb.append(" + ");
                }
                String oid = rdn.get(j)[0];
                String key = ATTRIBUTE_NAMES.getOrDefault(oid, "OID." + oid);
                sb.append(key).append('=').append(quote(rdn.get(j)[1]));
            }
        }
        return sb.toString();
    }

    private static List<String[]> attributes(byte[] der) {
        List<String[]> out = new ArrayList<>();
        for (List<String[]> rdn : Der.rdns(der)) {
            for (String[] a : rdn) {
                out.add(new String[] {ATTRIBUTE_NAMES.getOrDefault(a[0], "OID." + a[0]), a[1]});
            }
        }
        return out;
    }

    private static String quote(String v) {
        boolean needs = v.isEmpty() || Character.isWhitespace(v.charAt(0))
                || Character.isWhitespace(v.charAt(v.length() - 1));
        for (int i = 0; i < v.length() && !needs; i++) {
            needs = ",=+<>#;\"\n\r".indexOf(v.charAt(i)) >= 0;
        }
        return needs ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    /** The smallest DER reader that can walk an X.500 Name. */
    static final class Der {
        private final byte[] b;
        private int p;

        private Der(byte[] b, int p) {
            this.b = b;
            this.p = p;
        }

        private int tag() {
            return b[p++] & 0xff;
        }

        private int len() {
            int l = b[p++] & 0xff;
            if (l < 0x80) {
                return l;
            }
            int n = l & 0x7f;
            int v = 0;
            for (int i = 0; i < n; i++) {
                v = (v << 8) | (b[p++] & 0xff);
            }
            return v;
        }

        static List<List<String[]>> rdns(byte[] der) {
            List<List<String[]>> out = new ArrayList<>();
            try {
                Der d = new Der(der, 0);
                d.tag();
                int end = d.len() + d.p;
                while (d.p < end) {
                    d.tag();
                    int setEnd = d.len() + d.p;
                    List<String[]> rdn = new ArrayList<>();
                    while (d.p < setEnd) {
                        d.tag();
                        d.len();
                        d.tag();
                        int ol = d.len();
                        String oid = oid(der, d.p, ol);
                        d.p += ol;
                        int vt = d.tag();
                        int vl = d.len();
                        rdn.add(new String[] {oid, string(vt, der, d.p, vl)});
                        d.p += vl;
                    }
                    out.add(rdn);
                }
            } catch (RuntimeException e) {
                // malformed names print as far as they parsed
            }
            return out;
        }

        static String upn(byte[] der, String upnOid) {
            try {
                Der d = new Der(der, 0);
                d.tag();
                d.len();
                if ((b0(der, d.p)) == 0x06) {
                    d.tag();
                    int ol = d.len();
                    String oid = oid(der, d.p, ol);
                    d.p += ol;
                    if (!oid.equals(upnOid)) {
                        return null;
                    }
                    d.tag();
                    d.len();
                    int vt = d.tag();
                    int vl = d.len();
                    return string(vt, der, d.p, vl);
                }
            } catch (RuntimeException e) {
                return null;
            }
            return null;
        }

        private static int b0(byte[] der, int p) {
            return der[p] & 0xff;
        }

        static String oid(byte[] der, int off, int len) {
            StringBuilder sb = new StringBuilder();
            long v = 0;
            boolean first = true;
            for (int i = off; i < off + len; i++) {
                v = (v << 7) | (der[i] & 0x7f);
                if ((der[i] & 0x80) == 0) {
                    if (first) {
                        long a = Math.min(v / 40, 2);
                        sb.append(a).append('.').append(v - a * 40);
                        first = false;
                    } else {
                        sb.append('.').append(v);
                    }
                    v = 0;
                }
            }
            return sb.toString();
        }

        static String string(int tag, byte[] der, int off, int len) {
            return switch (tag) {
                case 0x1e -> new String(der, off, len, StandardCharsets.UTF_16BE);
                case 0x14 -> new String(der, off, len, StandardCharsets.ISO_8859_1);
                case 0x1c -> {
                    ByteArrayOutputStream o = new ByteArrayOutputStream();
                    o.write(der, off, len);
                    yield new String(o.toByteArray(), java.nio.charset.Charset.forName("UTF-32BE"));
                }
                default -> new String(der, off, len, StandardCharsets.UTF_8);
            };
        }
    }
}
