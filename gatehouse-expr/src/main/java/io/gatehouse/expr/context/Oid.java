package io.gatehouse.expr.context;

import java.util.Map;

/** .NET {@code Oid}: Value (dotted) and FriendlyName. */
public record Oid(String value, String friendlyName) {
    private static final Map<String, String> NAMES = Map.ofEntries(
            Map.entry("2.5.29.14", "Subject Key Identifier"),
            Map.entry("2.5.29.15", "Key Usage"),
            Map.entry("2.5.29.17", "Subject Alternative Name"),
            Map.entry("2.5.29.18", "Issuer Alternative Name"),
            Map.entry("2.5.29.19", "Basic Constraints"),
            Map.entry("2.5.29.31", "CRL Distribution Points"),
            Map.entry("2.5.29.32", "Certificate Policies"),
            Map.entry("2.5.29.35", "Authority Key Identifier"),
            Map.entry("2.5.29.37", "Enhanced Key Usage"),
            Map.entry("1.3.6.1.5.5.7.1.1", "Authority Information Access"),
            Map.entry("1.2.840.113549.1.1.5", "sha1RSA"),
            Map.entry("1.2.840.113549.1.1.11", "sha256RSA"),
            Map.entry("1.2.840.113549.1.1.12", "sha384RSA"),
            Map.entry("1.2.840.113549.1.1.13", "sha512RSA"),
            Map.entry("1.2.840.113549.1.1.10", "RSASSA-PSS"),
            Map.entry("1.2.840.10045.4.3.2", "sha256ECDSA"),
            Map.entry("1.2.840.10045.4.3.3", "sha384ECDSA"),
            Map.entry("1.2.840.10045.4.3.4", "sha512ECDSA"),
            Map.entry("1.3.101.112", "Ed25519"),
            Map.entry("1.2.840.113549.1.1.1", "RSA"),
            Map.entry("1.2.840.10045.2.1", "ECC"));

    public static Oid of(String value) {
        return new Oid(value, NAMES.getOrDefault(value, ""));
    }

    @Override
    public String toString() {
        return value;
    }
}
