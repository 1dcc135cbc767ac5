package io.gatehouse.expr.context;

/** {@code context.LastError}: the failure an on-error section is handling. */
public record LastError(String source, String reason, String message, String scope, String section, String path,
        String policyId) {
}
