package io.gatehouse.expr.lib;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The hashing and encryption that APIM policy expressions reach through
 * {@code System.Security.Cryptography} and APIM's {@code byte[].Encrypt/Decrypt} extensions.
 *
 * <p>Key bytes are held only inside these objects and never printed: {@link #toString()} names the
 * algorithm alone.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/api-management-policy-expressions">APIM policy expressions</a>
 */
public final class Crypto {
    private Crypto() {
    }

    /** {@code HMACSHA256} and friends: a keyed hash whose {@code Key} may be set after construction. */
    public static final class Hmac {
        private final String dotnetName;
        private final String jcaName;
        private byte[] key;

        public Hmac(String dotnetName, byte[] key) {
            this.dotnetName = dotnetName;
            this.jcaName = switch (dotnetName) {
                case "HMACSHA1" -> "HmacSHA1";
                case "HMACSHA384" -> "HmacSHA384";
                case "HMACSHA512" -> "HmacSHA512";
                case "HMACMD5" -> "HmacMD5";
                default -> "HmacSHA256";
            };
            this.key = key == null ? new byte[0] : key.clone();
        }

        public byte[] key() {
            return key.clone();
        }

        public void key(byte[] key) {
            if (key == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'value')");
            }
            this.key = key.clone();
        }

        public byte[] computeHash(byte[] data, int offset, int count) {
            try {
                Mac mac = Mac.getInstance(jcaName);
                // JCA refuses an empty key; .NET accepts it and HMAC pads it with zeros, as does one zero byte.
                mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, jcaName));
                mac.update(data, offset, count);
                return mac.doFinal();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        public int hashSize() {
            return switch (jcaName) {
                case "HmacSHA1" -> 160;
                case "HmacSHA384" -> 384;
                case "HmacSHA512" -> 512;
                case "HmacMD5" -> 128;
                default -> 256;
            };
        }

        @Override
        public String toString() {
            return "System.Security.Cryptography." + dotnetName;
        }
    }

    /** {@code SHA256.Create()} and friends. */
    public static final class Hash {
        private final String dotnetName;

        public Hash(String dotnetName) {
            this.dotnetName = dotnetName;
        }

        public byte[] computeHash(byte[] data, int offset, int count) {
            return digest(dotnetName, data, offset, count);
        }

        @Override
        public String toString() {
            return "System.Security.Cryptography." + dotnetName;
        }
    }

    /** One-shot digest; {@code name} is the .NET class name (SHA256, SHA1, SHA384, SHA512, MD5). */
    public static byte[] digest(String name, byte[] data, int offset, int count) {
        String jca = switch (name) {
            case "SHA1" -> "SHA-1";
            case "SHA384" -> "SHA-384";
            case "SHA512" -> "SHA-512";
            case "MD5" -> "MD5";
            default -> "SHA-256";
        };
        try {
            MessageDigest md = MessageDigest.getInstance(jca);
            md.update(data, offset, count);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * APIM's {@code input.Encrypt(alg, key, iv)} / {@code Decrypt}: the symmetric algorithm by its .NET
     * name, in .NET's defaults (CBC mode, PKCS#7 padding). Throws IllegalArgumentException with .NET's
     * wording for a bad algorithm name, key or IV size, and for bytes that do not decrypt.
     */
    public static byte[] symmetric(boolean encrypt, byte[] input, String alg, byte[] key, byte[] iv) {
        String a = alg == null ? "" : alg.toLowerCase(Locale.ROOT);
        String jca;
        int block;
        int[] keySizes;
        switch (a) {
            case "aes", "rijndael", "aesmanaged", "rijndaelmanaged", "aescryptoserviceprovider" -> {
                jca = "AES";
                block = 16;
                keySizes = new int[] {16, 24, 32};
            }
            case "tripledes", "tripledescryptoserviceprovider" -> {
                jca = "DESede";
                block = 8;
                keySizes = new int[] {16, 24};
            }
            default -> throw new IllegalArgumentException("Requested algorithm '" + alg
                    + "' is not supported: use \"Aes\" (or \"Rijndael\") or \"TripleDES\"");
        }
        boolean keyOk = false;
        for (int k : keySizes) {
            keyOk |= key != null && key.length == k;
        }
        if (!keyOk) {
            throw new IllegalArgumentException("Specified key is not a valid size for this algorithm.");
        }
        if (iv == null || iv.length != block) {
            throw new IllegalArgumentException("Specified initialization vector (IV) does not match the block size for this algorithm.");
        }
        byte[] k = key;
        if (jca.equals("DESede") && key.length == 16) {
            k = new byte[24];
            System.arraycopy(key, 0, k, 0, 16);
            System.arraycopy(key, 0, k, 16, 8);
        }
        try {
            Cipher c = Cipher.getInstance(jca + "/CBC/PKCS5Padding");
            c.init(encrypt ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(k, jca), new IvParameterSpec(iv));
            return c.doFinal(input);
        } catch (javax.crypto.BadPaddingException | javax.crypto.IllegalBlockSizeException e) {
            throw new IllegalArgumentException("Padding is invalid and cannot be removed.");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code System.Random}. Seeded instances repeat .NET's sequence for the same seed (the
     * subtractive generator .NET keeps for seeded {@code Random}); unseeded ones are unpredictable.
     */
    public static final class DotnetRandom {
        private static final int MBIG = Integer.MAX_VALUE;
        private static final int MSEED = 161803398;
        private final int[] seedArray = new int[56];
        private int inext;
        private int inextp;

        public DotnetRandom() {
            this(new java.security.SecureRandom().nextInt());
        }

        public DotnetRandom(int seed) {
            int subtraction = seed == Integer.MIN_VALUE ? Integer.MAX_VALUE : Math.abs(seed);
            int mj = MSEED - subtraction;
            seedArray[55] = mj;
            int mk = 1;
            for (int i = 1; i < 55; i++) {
                int ii = (21 * i) % 55;
                seedArray[ii] = mk;
                mk = mj - mk;
                if (mk < 0) {
                    mk += MBIG;
                }
                mj = seedArray[ii];
            }
            for (int k = 1; k < 5; k++) {
                for (int i = 1; i < 56; i++) {
                    seedArray[i] -= seedArray[1 + (i + 30) % 55];
                    if (seedArray[i] < 0) {
                        seedArray[i] += MBIG;
                    }
                }
            }
            inext = 0;
            inextp = 21;
        }

        private int internalSample() {
            int locINext = inext + 1;
            int locINextp = inextp + 1;
            if (locINext >= 56) {
                locINext = 1;
            }
            if (locINextp >= 56) {
                locINextp = 1;
            }
            int ret = seedArray[locINext] - seedArray[locINextp];
            if (ret == MBIG) {
                ret--;
            }
            if (ret < 0) {
                ret += MBIG;
            }
            seedArray[locINext] = ret;
            inext = locINext;
            inextp = locINextp;
            return ret;
        }

        private double sample() {
            return internalSample() * (1.0 / MBIG);
        }

        private double largeRangeSample() {
            int result = internalSample();
            if (internalSample() % 2 == 0) {
                result = -result;
            }
            double d = result;
            d += Integer.MAX_VALUE - 1;
            d /= 2.0 * Integer.MAX_VALUE - 1;
            return d;
        }

        public int next() {
            return internalSample();
        }

        public int next(int max) {
            if (max < 0) {
                throw new IllegalArgumentException("'maxValue' must be greater than or equal to zero.");
            }
            return (int) (sample() * max);
        }

        public int next(int min, int max) {
            if (min > max) {
                throw new IllegalArgumentException("'minValue' cannot be greater than maxValue.");
            }
            long range = (long) max - min;
            if (range <= Integer.MAX_VALUE) {
                return (int) (sample() * range) + min;
            }
            return (int) ((long) (largeRangeSample() * range) + min);
        }

        public double nextDouble() {
            return sample();
        }

        @Override
        public String toString() {
            return "System.Random";
        }
    }
}
