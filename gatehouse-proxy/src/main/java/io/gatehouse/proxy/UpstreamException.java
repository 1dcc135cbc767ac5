package io.gatehouse.proxy;

/** A failure talking to a backend, already explained in words a user can act on. */
final class UpstreamException extends RuntimeException {
    final FailureKind kind;
    final String tlsReason; // metric label for TLS failures, or null

    UpstreamException(FailureKind kind, String message, String tlsReason, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.tlsReason = tlsReason;
    }
}
