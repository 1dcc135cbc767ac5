package io.gatehouse.tls;

import java.util.Objects;
import java.util.Set;

/**
 * The outcome of checking a certificate chain. When not valid, {@code failedCheck} says which
 * check failed ("chain", "expired", "not-yet-valid", "revoked", "purpose", "revocation-unknown",
 * "missing", and the path rules: "weak-crypto" (a broken signature hash or a weak key),
 * "not-end-entity" (a CA certificate, or one that may sign certificates, as the leaf),
 * "name-constraints" (a name outside what a CA on the path may vouch for)) and {@code reason} says
 * why in plain words, naming the certificate.
 */
public record VerificationResult(boolean valid, String failedCheck, String reason) {

    /** The values {@code failedCheck} takes. */
    public static final Set<String> CHECKS = Set.of("chain", "expired", "not-yet-valid", "revoked", "purpose",
            "revocation-unknown", "missing", "weak-crypto", "not-end-entity", "name-constraints");

    private static final VerificationResult OK = new VerificationResult(true, null, null);

    public VerificationResult {
        if (valid && (failedCheck != null || reason != null)) {
            throw new IllegalArgumentException("a valid result has no failedCheck or reason");
        }
        if (!valid) {
            Objects.requireNonNull(reason, "reason");
            if (!CHECKS.contains(failedCheck)) {
                throw new IllegalArgumentException("failedCheck: " + failedCheck + " (expected one of " + CHECKS + ")");
            }
        }
    }

    public static VerificationResult ok() {
        return OK;
    }

    public static VerificationResult failed(String failedCheck, String reason) {
        return new VerificationResult(false, failedCheck, reason);
    }

    @Override
    public String toString() {
        return valid ? "valid" : failedCheck + ": " + reason;
    }
}
