package io.gatehouse.tls;

import java.util.Locale;

/**
 * Whether revocation is checked, and what a certificate whose status no source gave means. A
 * certificate that a current CRL (configured or from its distribution point) or its OCSP
 * responder shows as revoked fails in every mode except {@link #OFF}; the sources are in
 * {@link CrlChecks}.
 */
public enum RevocationMode {
    /** Nothing is consulted or downloaded. */
    OFF,
    /** A certificate whose status no source gave (none named, responder down, CRL stale or badly signed) passes. */
    SOFT_FAIL,
    /** A certificate whose status no source gave fails ("revocation-unknown"). */
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
