package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Crypto.Hash;
import io.gatehouse.expr.lib.Crypto.Hmac;
import io.gatehouse.expr.lib.Crypto;

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
