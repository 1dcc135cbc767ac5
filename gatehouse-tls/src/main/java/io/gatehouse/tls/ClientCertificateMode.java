package io.gatehouse.tls;

import java.util.Locale;

/**
 * What a hostname's TLS handshake asks of the client. APIM has one switch, "Negotiate client
 * certificate", which is {@link #REQUEST}; the stricter modes enforce in the handshake what a
 * policy would otherwise have to check.
 */
public enum ClientCertificateMode {
    /** No certificate requested; policies see null. */
    NONE("none"),
    /** Requested; any certificate, or none, is accepted and policies judge it. */
    REQUEST("request"),
    /** Requested; none fails the handshake; policies judge the one sent. */
    REQUIRE("require"),
    /** Requested; one that does not chain to a Root CA certificate fails the handshake. */
    VERIFY_IF_GIVEN("verify-if-given"),
    /** Requested; a missing or unverified certificate fails the handshake. */
    REQUIRE_AND_VERIFY("require-and-verify");

    private final String configName;

    ClientCertificateMode(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public boolean requestsCertificate() {
        return this != NONE;
    }

    public boolean requiresCertificate() {
        return this == REQUIRE || this == REQUIRE_AND_VERIFY;
    }

    public boolean verifiesInHandshake() {
        return this == VERIFY_IF_GIVEN || this == REQUIRE_AND_VERIFY;
    }

    /** The mode for a config value, or null when the value is not one of the five names. */
    public static ClientCertificateMode fromConfig(String value) {
        if (value == null) {
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (ClientCertificateMode m : values()) {
            if (m.configName.equals(v)) {
                return m;
            }
        }
        return null;
    }
}
