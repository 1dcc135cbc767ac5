package io.gatehouse.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMDecryptorProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import io.gatehouse.common.x509.DotNetNames;

/**
 * Reads certificates, private keys, PFX (PKCS#12) files and CRLs in the formats users bring
 * from APIM, openssl and Windows: PEM (one or many blocks) or DER; PKCS#8, PKCS#1 RSA, SEC1 EC
 * and encrypted PKCS#8 keys. Every failure is a {@link TlsConfigException} in plain words naming
 * the file; no message ever contains key material or a password.
 */
public final class CertificateFiles {


    private static final Pattern PEM_BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);

    private CertificateFiles() {
    }

    /** The certificates in a PEM file (one or more {@code BEGIN CERTIFICATE} blocks) or a DER file. */
    public static List<X509Certificate> readCertificates(Path file) {
        byte[] bytes = read(file);
        if (looksLikePem(bytes)) {
            return readCertificates(new String(bytes, StandardCharsets.US_ASCII), file.toString());
        }
        try {
            return List.of(parseCertificate(bytes));
        } catch (CertificateException | RuntimeException e) {
            throw new TlsConfigException(noCertificateMessage(file.toString()));
        }
    }

    /** The certificates in PEM text; {@code sourceName} names it in messages. */
    public static List<X509Certificate> readCertificates(String pemText, String sourceName) {
        List<X509Certificate> out = new ArrayList<>();
        int block = 0;
        for (Pem pem : pemBlocks(pemText)) {
            if (!pem.label().equals("CERTIFICATE") && !pem.label().equals("X509 CERTIFICATE")
                    && !pem.label().equals("TRUSTED CERTIFICATE")) {
                continue;
            }
            block++;
            try {
                out.add(parseCertificate(pem.der(sourceName)));
            } catch (CertificateException | RuntimeException e) {
                throw new TlsConfigException("certificate " + block + " in " + sourceName
                        + " is not a valid X.509 certificate", e);
            }
        }
        if (out.isEmpty()) {
            throw new TlsConfigException(noCertificateMessage(sourceName));
        }
        return List.copyOf(out);
    }

    /**
     * The private key in a PEM file (PKCS#8 {@code BEGIN PRIVATE KEY}, PKCS#1
     * {@code BEGIN RSA PRIVATE KEY}, SEC1 {@code BEGIN EC PRIVATE KEY}, encrypted PKCS#8
     * {@code BEGIN ENCRYPTED PRIVATE KEY} or OpenSSL-encrypted PKCS#1/SEC1) or a DER PKCS#8 file.
     *
     * @param password for encrypted keys; null when the key is not encrypted
     */
    public static PrivateKey readPrivateKey(Path file, char[] password) {
        byte[] bytes = read(file);
        String source = file.toString();
        if (!looksLikePem(bytes)) {
            try {
                return keyConverter().getPrivateKey(PrivateKeyInfo.getInstance(bytes));
            } catch (PEMException | RuntimeException e) {
                throw new TlsConfigException(noKeyMessage(source));
            }
        }
        try (PEMParser parser = new PEMParser(new StringReader(new String(bytes, StandardCharsets.US_ASCII)))) {
            Object item;
            while ((item = readPemObject(parser, source)) != null) {
                PrivateKey key = toPrivateKey(item, password, source);
                if (key != null) {
                    return key;
                }
            }
        } catch (IOException e) {
            throw new TlsConfigException("cannot read private key file " + source + ": " + e.getMessage());
        }
        throw new TlsConfigException(noKeyMessage(source));
    }

    /**
     * A certificate chain and its key from two PEM/DER files; fails when the key does not belong
     * to the first certificate.
     */
    public static KeyMaterial readKeyPair(Path certificateFile, Path keyFile, char[] keyPassword) {
        List<X509Certificate> chain = readCertificates(certificateFile);
        PrivateKey key = readPrivateKey(keyFile, keyPassword);
        if (!keyMatches(key, chain.get(0))) {
            throw new TlsConfigException("the private key in " + keyFile + " does not match the certificate '"
                    + DotNetNames.format(chain.get(0).getSubjectX500Principal()) + "' in " + certificateFile);
        }
        return new KeyMaterial(key, chain);
    }

    /**
     * The key entry of a PKCS#12 (PFX) file and its chain. Wrong password gives
     * "wrong PFX password"; a PFX without a private key is refused.
     */
    public static KeyMaterial readPfx(Path pfx, char[] password) {
        return readPfx(read(pfx), password, pfx.toString());
    }

    /** As {@link #readPfx(Path, char[])}, from bytes (a Key Vault secret, for example). */
    public static KeyMaterial readPfx(byte[] pfxBytes, char[] password, String sourceName) {
        char[] pw = password == null ? new char[0] : password;
        KeyStore store;
        try {
            store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(pfxBytes), pw);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException
                    || (e.getMessage() != null && e.getMessage().toLowerCase().contains("password"))) {
                throw new TlsConfigException("wrong PFX password for " + sourceName);
            }
            throw new TlsConfigException(sourceName + " is not a PFX (PKCS#12) file: " + e.getMessage());
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot read PFX " + sourceName + ": " + e.getMessage());
        }
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (!store.isKeyEntry(alias)) {
                    continue;
                }
                java.security.Key key;
                try {
                    key = store.getKey(alias, pw);
                } catch (UnrecoverableKeyException e) {
                    throw new TlsConfigException("wrong PFX password for the private key in " + sourceName);
                }
                if (!(key instanceof PrivateKey privateKey)) {
                    continue;
                }
                Certificate[] chain = store.getCertificateChain(alias);
                if (chain == null || chain.length == 0) {
                    throw new TlsConfigException("the private key in " + sourceName + " has no certificate");
                }
                List<X509Certificate> certs = new ArrayList<>();
                for (Certificate c : chain) {
                    certs.add((X509Certificate) c);
                }
                return new KeyMaterial(privateKey, orderLeafFirst(certs));
            }
        } catch (GeneralSecurityException e) {
            throw new TlsConfigException("cannot read PFX " + sourceName + ": " + e.getMessage());
        }
        throw new TlsConfigException("no private key found in PFX " + sourceName
                + " (expected a PFX exported with its private key)");
    }

    /** The CRLs in a PEM file ({@code BEGIN X509 CRL} blocks) or a DER file. */
    public static List<X509CRL> readCrls(Path file) {
        byte[] bytes = read(file);
        String source = file.toString();
        List<byte[]> ders = new ArrayList<>();
        if (looksLikePem(bytes)) {
            for (Pem pem : pemBlocks(new String(bytes, StandardCharsets.US_ASCII))) {
                if (pem.label().equals("X509 CRL") || pem.label().equals("CRL")) {
                    ders.add(pem.der(source));
                }
            }
        } else {
            ders.add(bytes);
        }
        List<X509CRL> out = new ArrayList<>();
        for (byte[] der : ders) {
            try {
                out.add((X509CRL) CertificateFactory.getInstance("X.509")
                        .generateCRL(new ByteArrayInputStream(der)));
            } catch (CRLException | CertificateException | RuntimeException e) {
                throw new TlsConfigException(source + " is not a valid CRL", e);
            }
        }
        if (out.isEmpty()) {
            throw new TlsConfigException("no CRL found in " + source + " (expected PEM 'BEGIN X509 CRL' or DER)");
        }
        return List.copyOf(out);
    }

    /**
     * Whether the private key belongs to the certificate: compares the RSA modulus or the EC
     * public point when the key exposes them, otherwise signs a random challenge and verifies
     * it with the certificate's public key.
     */
    public static boolean keyMatches(PrivateKey key, X509Certificate certificate) {
        PublicKey pub = certificate.getPublicKey();
        if (key instanceof RSAPrivateCrtKey rsa && pub instanceof RSAPublicKey rsaPub) {
            return rsa.getModulus().equals(rsaPub.getModulus())
                    && rsa.getPublicExponent().equals(rsaPub.getPublicExponent());
        }
        if (key instanceof ECPrivateKey ec && pub instanceof ECPublicKey ecPub) {
            if (!ec.getParams().getCurve().equals(ecPub.getParams().getCurve())) {
                return false;
            }
        }
        String algorithm = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            case "DSA" -> "SHA256withDSA";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(pub.getAlgorithm())
                && !(key.getAlgorithm().startsWith("Ed") && pub.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(challenge);
            return verifier.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------

    /** Puts the certificate whose subject issues no other certificate in the list first. */
    static List<X509Certificate> orderLeafFirst(List<X509Certificate> certs) {
        if (certs.size() < 2) {
            return certs;
        }
        List<X509Certificate> remaining = new ArrayList<>(certs);
        X509Certificate leaf = certs.get(0);
        for (X509Certificate c : certs) {
            boolean issuesAnother = certs.stream().anyMatch(o -> o != c
                    && o.getIssuerX500Principal().equals(c.getSubjectX500Principal()));
            if (!issuesAnother) {
                leaf = c;
                break;
            }
        }
        List<X509Certificate> ordered = new ArrayList<>();
        X509Certificate current = leaf;
        while (current != null && remaining.remove(current)) {
            ordered.add(current);
            X509Certificate cur = current;
            current = remaining.stream()
                    .filter(o -> o.getSubjectX500Principal().equals(cur.getIssuerX500Principal()))
                    .findFirst().orElse(null);
        }
        ordered.addAll(remaining);
        return ordered;
    }

    private static Object readPemObject(PEMParser parser, String source) {
        try {
            return parser.readObject();
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException("the PEM data in " + source + " is damaged (cannot decode a block)");
        }
    }

    private static PrivateKey toPrivateKey(Object item, char[] password, String source) {
        JcaPEMKeyConverter converter = keyConverter();
        try {
            if (item instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (item instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(withCurve(pair));
            }
            if (item instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                requirePassword(password, source);
                InputDecryptorProvider decryptor = new JceOpenSSLPKCS8DecryptorProviderBuilder()
                        .setProvider(Bc.PROVIDER).build(password);
                try {
                    return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(decryptor));
                } catch (PKCSException e) {
                    throw new TlsConfigException("wrong password for the private key in " + source);
                }
            }
            if (item instanceof PEMEncryptedKeyPair encrypted) {
                requirePassword(password, source);
                PEMDecryptorProvider decryptor = new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(password);
                try {
                    return converter.getPrivateKey(withCurve(encrypted.decryptKeyPair(decryptor)));
                } catch (IOException e) {
                    throw new TlsConfigException("wrong password for the private key in " + source);
                }
            }
        } catch (IOException e) {
            throw new TlsConfigException("the private key in " + source + " uses an unsupported algorithm", e);
        } catch (OperatorCreationException e) {
            throw new TlsConfigException("the private key in " + source + " uses an unsupported encryption");
        }
        return null;
    }

    /**
     * SEC1 keys carry their curve inside the key, not in the algorithm identifier the JDK reads;
     * copy it from the public half (or the key's own parameters) so the JDK can load the key.
     */
    private static PrivateKeyInfo withCurve(PEMKeyPair pair) throws IOException {
        PrivateKeyInfo info = pair.getPrivateKeyInfo();
        var alg = info.getPrivateKeyAlgorithm();
        if (!alg.getAlgorithm().equals(org.bouncycastle.asn1.x9.X9ObjectIdentifiers.id_ecPublicKey)
                || (alg.getParameters() != null && !(alg.getParameters() instanceof org.bouncycastle.asn1.ASN1Null))) {
            return info;
        }
        org.bouncycastle.asn1.ASN1Encodable params = null;
        if (pair.getPublicKeyInfo() != null) {
            params = pair.getPublicKeyInfo().getAlgorithm().getParameters();
        }
        if (params == null) {
            params = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getParametersObject();
        }
        return new PrivateKeyInfo(new org.bouncycastle.asn1.x509.AlgorithmIdentifier(alg.getAlgorithm(), params),
                info.parsePrivateKey());
    }

    private static void requirePassword(char[] password, String source) {
        if (password == null || password.length == 0) {
            throw new TlsConfigException("the private key in " + source
                    + " is encrypted and no password is configured");
        }
    }

    private static JcaPEMKeyConverter keyConverter() {
        return new JcaPEMKeyConverter();
    }

    private static X509Certificate parseCertificate(byte[] der) throws CertificateException {
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
        if (cert == null) {
            throw new CertificateException("empty");
        }
        return cert;
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new TlsConfigException("file not found: " + file);
        } catch (IOException e) {
            throw new TlsConfigException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static boolean looksLikePem(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.ISO_8859_1);
        return head.contains("-----BEGIN ");
    }

    private static String noCertificateMessage(String source) {
        return "no certificate found in " + source + " (expected PEM 'BEGIN CERTIFICATE' or DER)";
    }

    private static String noKeyMessage(String source) {
        return "no private key found in " + source
                + " (expected PEM 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY', 'BEGIN EC PRIVATE KEY',"
                + " 'BEGIN ENCRYPTED PRIVATE KEY', or DER PKCS#8)";
    }

    private record Pem(String label, String body) {
        byte[] der(String source) {
            try {
                // drop RFC 1421 headers such as "Proc-Type:" before decoding
                String b64 = body.lines().filter(l -> !l.contains(":")).reduce("", String::concat);
                return Base64.getMimeDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                throw new TlsConfigException("the PEM block '" + label + "' in " + source + " is not valid base64");
            }
        }
    }

    private static List<Pem> pemBlocks(String text) {
        List<Pem> out = new ArrayList<>();
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            out.add(new Pem(m.group(1), m.group(2)));
        }
        return out;
    }
}
