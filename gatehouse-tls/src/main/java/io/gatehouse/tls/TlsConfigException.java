package io.gatehouse.tls;

/**
 * A certificate, key, PFX or CRL that cannot be used, in plain words ("wrong PFX password",
 * "file not found: certs/gw.pem"). Messages never contain key bytes or passwords.
 */
public class TlsConfigException extends RuntimeException {

    public TlsConfigException(String message) {
        super(message);
    }

    public TlsConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
