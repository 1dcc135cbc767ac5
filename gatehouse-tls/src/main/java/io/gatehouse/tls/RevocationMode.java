package io.gatehouse.tls;

import java.util.Locale;

/**
 * What a certificate without a usable CRL means. A certificate listed on a valid CRL from its
 * issuer fails in every mode except {@link #OFF}.
 */
public enum RevocationMode {
    /** CRLs are not consulted at all. */
    OFF,
    /** A certificate whose issuer has no (current) CRL in the store passes. */
    SOFT_FAIL,
    /** A certificate whose issuer has no (current) CRL in the store fails ("revocation-unknown"). */
    HARD_FAIL;

    /** The mode for a config value ({@code off}, {@code soft-fail}, {@code hard-fail}), or null. */
    public static RevocationMode fromConfig(String value) {
        if (value == null) {
            return null;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> OFF;
            case "soft-fail" -> SOFT_FAIL;
            case "hard-fail" -> HARD_FAIL;
            default -> null;
        };
    }
}
