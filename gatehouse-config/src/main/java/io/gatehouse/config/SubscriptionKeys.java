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
        public static Digest of(Secret key) {
            char[] c = key.reveal();
            try {
                return of(new String(c).getBytes(StandardCharsets.UTF_8));
            } finally {
                Arrays.fill(c, '\0');
            }
        }

        public static Digest of(byte[] key) {
            try {
                return new Digest(MessageDigest.getInstance("SHA-256").digest(key));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from the JDK", e);
            }
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
