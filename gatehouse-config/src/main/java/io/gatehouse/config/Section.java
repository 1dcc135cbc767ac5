package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One mapping of the config file read as an entity of a known kind ("hostname", "backend"):
 * reports keys the kind does not have, with a suggestion, and gives each key's node and position.
 */
final class Section {
    /** Keys that users put one level too high or low, and the section they belong to. */
    private static final Map<String, String> HOMES = Map.ofEntries(
            Map.entry("listeners", "gateway"), Map.entry("revocation", "gateway"), Map.entry("admin", "gateway"),
            Map.entry("drainTimeout", "gateway"), Map.entry("minimumProtocolVersion", "gateway tls"),
            Map.entry("global", "policies"), Map.entry("operations", "api"),
            Map.entry("certificateIds", "backend credentials"), Map.entry("trustedCaCertificateIds", "backend tls"),
            Map.entry("validateCertificateChain", "backend tls"), Map.entry("validateCertificateName", "backend tls"),
            Map.entry("serverName", "backend tls"), Map.entry("secretIdentifier", "keyVault"),
            Map.entry("timeouts", "gateway"), Map.entry("limits", "gateway"),
            Map.entry("requestHeader", "gateway timeouts"), Map.entry("keepAliveIdle", "gateway timeouts"),
            Map.entry("bodyIdle", "gateway timeouts"), Map.entry("writeIdle", "gateway timeouts"),
            Map.entry("maxRequestsPerConnection", "gateway limits"),
            Map.entry("expiryWarningDays", "gateway certificates"));

    private final YamlNode.Mapping mapping;
    private final String kind;
    private final Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();

    Section(YamlNode.Mapping mapping, String kind, List<String> knownKeys, Diagnostics diagnostics) {
        this.mapping = mapping;
        this.kind = kind;
        for (YamlNode.Entry e : mapping.entries()) {
            String key = e.key().value() == null ? "" : e.key().value();
            if (!knownKeys.contains(key)) {
                String hint = Suggestions.didYouMean(key, knownKeys);
                String home = HOMES.get(key);
                if (hint.isEmpty() && home != null && !home.equals(kind)) {
                    hint = " (it belongs under '" + home + "')";
                }
                diagnostics.add(e.key().position().error("unknown key '" + key + "' in " + kind + hint));
                continue;
            }
            entries.put(key, e);
        }
    }

    String kind() {
        return kind;
    }

    Position position() {
        return mapping.position();
    }

    /** The value node for a key, or null when the key is absent or its value is null. */
    YamlNode node(String key) {
        YamlNode.Entry e = entries.get(key);
        if (e == null || (e.value() instanceof YamlNode.Scalar s && s.isNull())) {
            return null;
        }
        return e.value();
    }

    boolean has(String key) {
        return node(key) != null;
    }

    /** Where the key's value is, or the key itself when it has none; the section when absent. */
    Position valuePosition(String key) {
        YamlNode.Entry e = entries.get(key);
        if (e == null) {
            return mapping.position();
        }
        YamlNode v = e.value();
        if (v instanceof YamlNode.Scalar s && s.isNull()) {
            return e.key().position();
        }
        return v.position();
    }

    Position keyPosition(String key) {
        YamlNode.Entry e = entries.get(key);
        return e == null ? mapping.position() : e.key().position();
    }
}
