package io.gatehouse.expr.context;

/**
 * Checks a client certificate's chain for {@code X509Certificate2.Verify()} and
 * {@code VerifyNoRevocation()}. The gateway supplies one backed by its CA store; without one, both
 * methods return false (never "trusted by default").
 */
@FunctionalInterface
public interface CertificateVerifier {
    boolean verify(X509Certificate2 cert, boolean checkRevocation);
}
