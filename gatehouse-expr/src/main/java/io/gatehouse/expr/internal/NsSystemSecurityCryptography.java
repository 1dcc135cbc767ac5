package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Crypto.Hash;
import io.gatehouse.expr.lib.Crypto.Hmac;
import io.gatehouse.expr.lib.Crypto;
import io.gatehouse.expr.lib.Rsa;
import io.gatehouse.expr.context.X509Certificate2;

/**
 * {@code System.Security.Cryptography}: keyed hashes (HMAC) and hashes.
 */
final class NsSystemSecurityCryptography {
    private static final Type BA = Type.BYTE_ARRAY;
    private static final Type I = Type.INT;

    private NsSystemSecurityCryptography() {
    }

    /** Keyed hashes: new HMACSHA256(key), new HMACSHA256 { Key = key }, ComputeHash. */
    static void registerHmac(Library l) {
        Members m = l.m;
        for (String name : HMACS) {
            Type t = m.type(name, Hmac.class);
            l.staticName(name, name);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hmac(name, bytes(a[0], "key")), BA);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hmac(name, randomKey(name)));
            hashMethods(m, t.name(), true);
            m.prop(t, "Key", BA, o -> ((Hmac) o).key());
            l.setter(t, "Key", BA, (o, v) -> {
                if (v == null) {
                    throw Ops.argNull("value");
                }
                ((Hmac) o).key((byte[]) v);
            });
            m.prop(t, "HashSize", I, o -> ((Hmac) o).hashSize());
        }
    }

    /** Hashes: SHA256.Create(), new SHA256Managed(), SHA256.HashData(bytes). */
    static void registerHashes(Library l) {
        Members m = l.m;
        for (String name : HASHES) {
            Type t = m.type(name, Hash.class);
            l.staticName(name, name);
            m.method("static:" + name, "Create", t, (o, a, x) -> new Hash(name));
            m.method("static:" + name, "HashData", BA, (o, a, x) -> {
                byte[] b = bytes(a[0], "source");
                return Crypto.digest(name, b, 0, b.length);
            }, BA);
            m.alias(name + "Managed", t);
            m.alias(name + "CryptoServiceProvider", t);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hash(name));
            hashMethods(m, t.name(), false);
        }
    }

    /**
     * Certificates made in an expression and their RSA keys: {@code new X509Certificate2(bytes[, password])},
     * {@code GetCertHash([hashAlgorithm])}, {@code GetRSAPrivateKey()}, {@code GetRSAPublicKey()},
     * {@code RSA.SignData/VerifyData} with {@code HashAlgorithmName} and {@code RSASignaturePadding}
     * (all on APIM's list of allowed types: X509Certificate2, RSACertificateExtensions, RSA,
     * HashAlgorithmName, RSASignaturePadding).
     */
    static void registerCertificatesAndRsa(Library l) {
        Members m = l.m;
        Type cert = l.tCert;
        Type hashName = m.type("HashAlgorithmName", Rsa.HashAlgorithmName.class);
        Type padding = m.type("RSASignaturePadding", Rsa.SignaturePadding.class);
        Type rsa = m.type("RSA", Rsa.class);
        for (String n : new String[] {"HashAlgorithmName", "RSASignaturePadding", "X509Certificate2"}) {
            l.staticName(n, n);
        }
        for (String n : new String[] {"SHA256", "SHA384", "SHA512", "SHA1", "MD5"}) {
            Rsa.HashAlgorithmName v = new Rsa.HashAlgorithmName(n);
            l.staticProp("HashAlgorithmName", n, hashName, x -> v);
        }
        m.method("new:HashAlgorithmName", ".ctor", hashName, (o, a, x) -> new Rsa.HashAlgorithmName((String) a[0]), Type.STRING);
        m.prop(hashName, "Name", Type.STRING, o -> ((Rsa.HashAlgorithmName) o).name());
        m.method(hashName, "ToString", Type.STRING, (o, a, x) -> o.toString());
        l.enumType("RSASignaturePadding", padding, Rsa.SignaturePadding.values());

        m.method("new:X509Certificate2", ".ctor", cert, (o, a, x) -> X509Certificate2.load((byte[]) a[0], null), BA);
        m.method("new:X509Certificate2", ".ctor", cert, (o, a, x) -> X509Certificate2.load((byte[]) a[0], (String) a[1]), BA, Type.STRING);
        m.method(cert, "GetCertHash", BA, (o, a, x) -> ((X509Certificate2) o).getCertHash());
        m.method(cert, "GetCertHash", BA, (o, a, x) -> ((X509Certificate2) o).getCertHash((Rsa.HashAlgorithmName) a[0]), hashName);
        m.method(cert, "GetRSAPrivateKey", rsa, (o, a, x) -> ((X509Certificate2) o).getRSAPrivateKey());
        m.method(cert, "GetRSAPublicKey", rsa, (o, a, x) -> ((X509Certificate2) o).getRSAPublicKey());

        m.prop(rsa, "KeySize", I, o -> ((Rsa) o).keySize());
        m.method(rsa, "SignData", BA, (o, a, x) -> ((Rsa) o).signData(bytes(a[0], "data"),
                (Rsa.HashAlgorithmName) a[1], (Rsa.SignaturePadding) a[2]), BA, hashName, padding);
        m.method(rsa, "VerifyData", Type.BOOL, (o, a, x) -> ((Rsa) o).verifyData(bytes(a[0], "data"), bytes(a[1], "signature"),
                (Rsa.HashAlgorithmName) a[2], (Rsa.SignaturePadding) a[3]), BA, BA, hashName, padding);
        m.method(rsa, "Dispose", Type.VOID, (o, a, x) -> null);
    }

    static final String[] HMACS = {"HMACSHA256", "HMACSHA1", "HMACSHA384", "HMACSHA512", "HMACMD5"};

    static final String[] HASHES = {"SHA256", "SHA1", "SHA384", "SHA512", "MD5"};

    static byte[] bytes(Object o, String param) {
        if (o == null) {
            throw Ops.argNull(param);
        }
        return (byte[]) o;
    }

    private static void hashMethods(Members m, String owner, boolean keyed) {
        m.method(owner, "ComputeHash", Type.BYTE_ARRAY, (o, a, x) -> {
            byte[] b = bytes(a[0], "buffer");
            return hash(o, b, 0, b.length);
        }, Type.BYTE_ARRAY);
        m.method(owner, "ComputeHash", Type.BYTE_ARRAY, (o, a, x) -> {
            byte[] b = bytes(a[0], "buffer");
            int off = Ops.asInt(a[1]);
            int n = Ops.asInt(a[2]);
            if (off < 0 || n < 0 || off + n > b.length) {
                throw new ExpressionException("System.ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.");
            }
            return hash(o, b, off, n);
        }, Type.BYTE_ARRAY, Type.INT, Type.INT);
        m.method(owner, "Dispose", Type.VOID, (o, a, x) -> null);
        m.method(owner, "Clear", Type.VOID, (o, a, x) -> null);
    }

    private static byte[] hash(Object o, byte[] b, int off, int n) {
        return o instanceof Hmac h ? h.computeHash(b, off, n) : ((Hash) o).computeHash(b, off, n);
    }

    private static byte[] randomKey(String name) {
        byte[] k = new byte[name.equals("HMACSHA384") || name.equals("HMACSHA512") ? 128 : 64];
        new java.security.SecureRandom().nextBytes(k);
        return k;
    }
}
