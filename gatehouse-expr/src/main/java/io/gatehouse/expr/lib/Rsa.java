package io.gatehouse.expr.lib;

import io.gatehouse.expr.ExpressionException;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

/**
 * .NET's {@code System.Security.Cryptography.RSA} as policy expressions get it from a certificate
 * ({@code GetRSAPrivateKey()}, {@code GetRSAPublicKey()}): signing and verifying data with
 * {@code HashAlgorithmName} and {@code RSASignaturePadding} (PKCS #1 v1.5 or PSS with the salt as long
 * as the hash, as .NET does).
 *
 * <p>The key is held only inside this object and never printed: {@link #toString()} names the key size alone.
 */
public final class Rsa {
    private static final String CRYPTO = "System.Security.Cryptography.CryptographicException";

    /** {@code HashAlgorithmName}: a name .NET compares ordinally (SHA256, SHA384, SHA512, SHA1, MD5). */
    public record HashAlgorithmName(String name) {
        @Override
        public String toString() {
            return name == null ? "" : name;
        }
    }

    /** {@code RSASignaturePadding.Pkcs1} and {@code RSASignaturePadding.Pss}. */
    public enum SignaturePadding { Pkcs1, Pss }

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final int keySize;

    public Rsa(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        Object k = privateKey != null ? privateKey : publicKey;
        this.keySize = k instanceof RSAKey r ? r.getModulus().bitLength() : 0;
    }

    public int keySize() {
        return keySize;
    }

    /** {@code SignData(data, hashAlgorithm, padding)}: throws as .NET does when only the public key is held. */
    public byte[] signData(byte[] data, HashAlgorithmName hash, SignaturePadding padding) {
        if (privateKey == null) {
            throw new ExpressionException(CRYPTO, "The key does not exist.");
        }
        try {
            Signature s = signature(hash, padding);
            s.initSign(privateKey);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new ExpressionException(CRYPTO, "The data could not be signed: " + e.getClass().getSimpleName());
        }
    }

    /** {@code VerifyData(data, signature, hashAlgorithm, padding)}. */
    public boolean verifyData(byte[] data, byte[] signature, HashAlgorithmName hash, SignaturePadding padding) {
        try {
            Signature s = signature(hash, padding);
            s.initVerify(publicKey);
            s.update(data);
            return s.verify(signature);
        } catch (java.security.SignatureException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new ExpressionException(CRYPTO, "The signature could not be verified: " + e.getClass().getSimpleName());
        }
    }

    private static Signature signature(HashAlgorithmName hash, SignaturePadding padding) throws GeneralSecurityException {
        if (hash == null || hash.name() == null || hash.name().isEmpty()) {
            throw new ExpressionException("System.ArgumentException", "The hash algorithm name cannot be null or empty. (Parameter 'hashAlgorithm')");
        }
        if (padding == null) {
            throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'padding')");
        }
        String jca = switch (hash.name()) {
            case "SHA256" -> "SHA-256";
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            case "SHA1" -> "SHA-1";
            case "MD5" -> "MD5";
            default -> throw new ExpressionException(CRYPTO, "'" + hash.name() + "' is not a known hash algorithm.");
        };
        if (padding == SignaturePadding.Pkcs1) {
            return Signature.getInstance(jca.replace("-", "") + "withRSA");
        }
        if (jca.equals("MD5")) {
            throw new ExpressionException(CRYPTO, "'MD5' is not a known hash algorithm.");
        }
        Signature s = Signature.getInstance("RSASSA-PSS");
        int saltLength = switch (jca) {
            case "SHA-384" -> 48;
            case "SHA-512" -> 64;
            case "SHA-1" -> 20;
            default -> 32;
        };
        s.setParameter(new PSSParameterSpec(jca, "MGF1", new MGF1ParameterSpec(jca), saltLength, 1));
        return s;
    }

    @Override
    public String toString() {
        return "System.Security.Cryptography.RSA (" + keySize + " bits)";
    }
}
