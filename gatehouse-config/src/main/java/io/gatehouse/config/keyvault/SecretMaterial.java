package io.gatehouse.config.keyvault;

import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.TlsConfigException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Turns a Key Vault secret's value into certificates and keys, by its content type, as Key Vault
 * stores a certificate's secret: {@code application/x-pkcs12} is a base64 PFX without a password,
 * {@code application/x-pem-file} is PEM text with the certificate chain and the private key. A
 * secret without a content type is tried as PEM, then as base64 PFX or DER. Messages name the
 * secret, never its value.
 */
public final class SecretMaterial {
    public static final String PKCS12 = "application/x-pkcs12";
    public static final String PEM = "application/x-pem-file";

    private SecretMaterial() {
    }

    /** A certificate with its private key (a server or client certificate). */
    public static KeyMaterial keyPair(String value, String contentType, String what) {
        String type = contentType == null ? "" : contentType.strip().toLowerCase(Locale.ROOT);
        if (type.equals(PKCS12) || (!type.equals(PEM) && !value.contains("-----BEGIN"))) {
            byte[] pfx = base64(value, what, type.equals(PKCS12) ? "a base64 PFX (" + PKCS12 + ")" : "PEM or a base64 PFX");
            return CertificateFiles.readPfx(pfx, new char[0], what);
        }
        List<X509Certificate> chain = CertificateFiles.readCertificates(value, what);
        if (chain.isEmpty()) {
            throw new TlsConfigException(what + " holds no certificate (expected PEM with the certificate and its key)");
        }
        PrivateKey key = pemKey(value, what);
        if (!CertificateFiles.keyMatches(key, chain.get(0))) {
            throw new TlsConfigException("the private key in " + what + " does not match its first certificate");
        }
        return new KeyMaterial(key, chain);
    }

    /** One certificate alone (a CA certificate): PEM, base64 DER, or the certificate of a PFX. */
    public static X509Certificate certificate(String value, String contentType, String what) {
        String type = contentType == null ? "" : contentType.strip().toLowerCase(Locale.ROOT);
        List<X509Certificate> certs;
        if (type.equals(PKCS12)) {
            certs = CertificateFiles.readPfx(base64(value, what, "a base64 PFX"), new char[0], what).chain();
            certs = List.of(certs.get(0));
        } else if (value.contains("-----BEGIN")) {
            certs = CertificateFiles.readCertificates(value, what);
        } else {
            byte[] der = base64(value, what, "PEM or a base64 DER certificate");
            try {
                certs = new ArrayList<>();
                for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(der))) {
                    certs.add((X509Certificate) c);
                }
            } catch (CertificateException e) {
                throw new TlsConfigException(what + " is not a certificate (expected PEM or base64 DER)");
            }
        }
        if (certs.size() != 1) {
            throw new TlsConfigException(what + ": expected exactly one certificate, found " + certs.size());
        }
        return certs.get(0);
    }

    private static byte[] base64(String value, String what, String expected) {
        try {
            return Base64.getDecoder().decode(value.replaceAll("\\s+", "")); // line breaks allowed, nothing else
        } catch (IllegalArgumentException e) {
            throw new TlsConfigException(what + " is not " + expected);
        }
    }

    private static PrivateKey pemKey(String pem, String what) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object item;
            while ((item = parser.readObject()) != null) {
                if (item instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (item instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigException(what + " holds a private key that cannot be read (expected an unencrypted "
                    + "PKCS#8, PKCS#1 or SEC1 key)");
        }
        throw new TlsConfigException(what + " holds no private key (expected PEM with the certificate and its key, "
                + "as Key Vault stores a certificate's secret)");
    }
}
