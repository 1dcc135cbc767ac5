package io.gatehouse.config;

import io.gatehouse.common.Secret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * One subscription's keys as this load read them (from the config, the environment, a file or Key
 * Vault); either may be null when the subscription has only the other.
 */
public record SubscriptionKeys(Secret primary, Secret secondary) {

    /**
     * A key's SHA-256: what a key table is indexed by, so that a look-up never compares the
     * presented key with a stored one byte by byte in a way its timing could tell.
     */
    public record Digest(byte[] bytes) {
        /** One SHA-256 per thread (the gateway's event loops): getInstance costs more than the hash of a key. */
        private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from the JDK", e);
            }
        });

        public static Digest of(Secret key) {
            char[] c = key.reveal();
            try {
                return of(new String(c).getBytes(StandardCharsets.UTF_8));
            } finally {
                Arrays.fill(c, '\0');
            }
        }

        public static Digest of(byte[] key) {
            return new Digest(SHA256.get().digest(key)); // digest() resets it for the next key
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Digest d && Arrays.equals(bytes, d.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "Digest[****]";
        }
    }

    /** Never shows a key. */
    @Override
    public String toString() {
        return "SubscriptionKeys[primary=" + (primary == null ? "none" : "****") + ", secondary="
                + (secondary == null ? "none" : "****") + "]";
    }
}
