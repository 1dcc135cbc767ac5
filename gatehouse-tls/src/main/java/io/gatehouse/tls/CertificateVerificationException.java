package io.gatehouse.tls;

import java.security.cert.CertificateException;
import java.util.List;
import java.util.Objects;

/**
 * A peer certificate chain refused during a handshake, carrying the {@link VerificationResult}
 * so that {@link TlsFailures#explain} can say which check failed and why.
 */
public final class CertificateVerificationException extends CertificateException {

    private final transient VerificationResult result;

    public CertificateVerificationException(VerificationResult result) {
        super(Objects.requireNonNull(result, "result").reason());
        if (result.valid()) {
            throw new IllegalArgumentException("result: valid (expected: a failed verification)");
        }
        this.result = result;
    }

    public VerificationResult result() {
        return result;
    }

    /** Thrown when the peer's certificate does not carry the name the gateway connected to. */
    public static final class NameMismatch extends CertificateException {
        private final String expectedName;
        private final transient List<String> certificateNames;

        public NameMismatch(String expectedName, List<String> certificateNames) {
            super("certificate does not match the name " + expectedName + " (it is for: "
                    + (certificateNames.isEmpty() ? "no names" : String.join(", ", certificateNames)) + ")");
            this.expectedName = expectedName;
            this.certificateNames = List.copyOf(certificateNames);
        }

        public String expectedName() {
            return expectedName;
        }

        public List<String> certificateNames() {
            return certificateNames;
        }
    }
}
