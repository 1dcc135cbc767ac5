package io.gatehouse.tls;

/**
 * A PKCS#11 key that cannot be used, with the config key the problem is about ({@code library},
 * {@code tokenLabel}, {@code slot}, {@code pin}, {@code keyLabel}, {@code keyId},
 * {@code certificateFile}), so the config error can point at it. Never carries the PIN.
 */
public final class Pkcs11Exception extends TlsConfigException {
    private final String field;

    public Pkcs11Exception(String field, String message) {
        super(message);
        this.field = field;
    }

    public Pkcs11Exception(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The {@code pkcs11} key (or {@code certificateFile}) the problem is about. */
    public String field() {
        return field;
    }
}
