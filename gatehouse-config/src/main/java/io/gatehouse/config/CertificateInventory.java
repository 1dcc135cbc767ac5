package io.gatehouse.config;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.CaCertificateConfig;
import io.gatehouse.config.model.CertificateConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.HostnameConfig;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Every certificate and CA certificate a loaded config holds, as an operator asks about them:
 * where each comes from, what it is (subject, issuer, the SHA-1 thumbprint APIM shows, SHA-256),
 * when it expires, what uses it, and when it was last read. Built once per load; immutable. Served
 * by the admin port's {@code GET /certificates} and printed by {@code gatehouse certificates}.
 *
 * <p>Holds no key material and no secret: a Key Vault reference appears as its secret identifier
 * (a URL), a file as its path; a Key Vault named value shows where it comes from, never its value.
 */
public final class CertificateInventory {

    /** What an entry is. */
    public enum Kind {
        /** {@code certificates[]}: a key pair the gateway presents, or a public certificate. */
        CERTIFICATE("certificate"),
        /** {@code caCertificates[]}. */
        CA("ca"),
        /** {@code namedValues[]} read from Key Vault: no certificate fields, only where it comes from and its refresh. */
        NAMED_VALUE("namedValue");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One certificate.
     *
     * @param source {@code file} (PEM/DER certificate file), {@code pfx}, {@code inline} (PEM in
     *     the config), {@code keyVault}, {@code pkcs11}
     * @param location the file, or the Key Vault secret identifier
     * @param usedBy what refers to it, in words ("hostname 'api.contoso.com'", "backend 'labs'")
     * @param lastRefresh when it was last read from its source
     * @param lastError why the last attempt to read it again failed, or null
     * @param version the Key Vault secret version in service, or null for other sources
     *
     * <p>A {@link Kind#NAMED_VALUE} has no subject, issuer, thumbprints or dates (all null).
     */
    public record Entry(String id, Kind kind, String source, String location, String subject, String issuer,
            String thumbprint, String sha256, Instant notBefore, Instant notAfter, boolean hasPrivateKey,
            List<String> usedBy, Instant lastRefresh, String lastError, String version) {

        public Entry {
            Objects.requireNonNull(id, "id");
            usedBy = List.copyOf(usedBy);
        }

        /** Whole days from {@code now} to notAfter; negative once expired; 0 for a named value. */
        public long daysLeft(Instant now) {
            return notAfter == null ? 0 : Math.floorDiv(Duration.between(now, notAfter).getSeconds(), 86_400L);
        }

        /** Expired, or expiring within {@code warning} of {@code now} (never for a named value). */
        public boolean expiresWithin(Duration warning, Instant now) {
            return notAfter != null && notAfter.isBefore(now.plus(warning));
        }

        Entry refreshed(Instant at, String error, String inService) {
            return new Entry(id, kind, source, location, subject, issuer, thumbprint, sha256, notBefore, notAfter,
                    hasPrivateKey, usedBy, at == null ? lastRefresh : at, error, inService == null ? version : inService);
        }
    }

    private final List<Entry> entries;
    private final Duration expiryWarning;

    private CertificateInventory(List<Entry> entries, Duration expiryWarning) {
        this.entries = List.copyOf(entries);
        this.expiryWarning = expiryWarning;
    }

    /** The inventory of {@code config}, whose sources were read at {@code loadedAt}. */
    public static CertificateInventory of(LoadedConfig config, Instant loadedAt) {
        GatehouseConfig model = config.model();
        Map<String, Set<String>> certUsers = certificateUsers(model);
        Map<String, Set<String>> caUsers = new LinkedHashMap<>();
        for (HostnameConfig h : model.hostnames()) {
            for (String ca : h.trustedCaCertificateIds()) {
                caUsers.computeIfAbsent(ca, k -> new LinkedHashSet<>())
                        .add("client certificates of hostname '" + h.hostName() + "'");
            }
        }
        for (BackendConfig b : model.backends()) {
            for (String ca : b.tls().trustedCaCertificateIds()) {
                caUsers.computeIfAbsent(ca, k -> new LinkedHashSet<>()).add("backend '" + b.id() + "'");
            }
        }
        Map<String, String> versions = new LinkedHashMap<>();
        for (io.gatehouse.config.keyvault.KeyVaultItem item : config.keyVaultItems()) {
            versions.put(item.kind() + '\u0000' + item.id(), item.version());
        }
        List<Entry> out = new ArrayList<>();
        for (CertificateConfig c : model.certificates()) {
            List<X509Certificate> chain = config.certificates().get(c.id());
            if (chain == null || chain.isEmpty()) {
                continue;
            }
            String source;
            String location;
            if (c.pkcs11() != null) {
                source = "pkcs11";
                location = c.pkcs11().library() + ", " + c.pkcs11().describeToken() + ", " + c.pkcs11().describeKey();
            } else if (c.keyVault() != null) {
                source = "keyVault";
                location = c.keyVault().secretIdentifier();
            } else if (c.pfx() != null) {
                source = "pfx";
                location = c.pfx().toString();
            } else {
                source = "file";
                location = String.valueOf(c.certificateFile());
            }
            out.add(entry(c.id(), Kind.CERTIFICATE, source, location, chain.get(0), config.keyPairs().containsKey(c.id()),
                    certUsers.getOrDefault(c.id(), Set.of()), loadedAt, versions.get("certificate\u0000" + c.id())));
        }
        for (CaCertificateConfig ca : model.caCertificates()) {
            X509Certificate cert = config.caCertificates().get(ca.id());
            if (cert == null) {
                continue;
            }
            Set<String> users = new LinkedHashSet<>();
            if (ca.storeName() == CaCertificateConfig.StoreName.ROOT) {
                users.add("trusted root (storeName Root)");
            } else {
                users.add("intermediate for path building (storeName CertificateAuthority)");
            }
            users.addAll(caUsers.getOrDefault(ca.id(), Set.of()));
            String source = ca.keyVault() != null ? "keyVault" : ca.file() != null ? "file" : "inline";
            String location = ca.keyVault() != null ? ca.keyVault().secretIdentifier()
                    : ca.file() != null ? ca.file().toString() : "caCertificates[].pem";
            out.add(entry(ca.id(), Kind.CA, source, location, cert, false, users, loadedAt,
                    versions.get("caCertificate\u0000" + ca.id())));
        }
        for (io.gatehouse.config.keyvault.KeyVaultItem item : config.keyVaultItems()) {
            if (item.kind().equals("namedValue")) {
                out.add(new Entry(item.id(), Kind.NAMED_VALUE, "keyVault", item.reference().identifier(), null, null,
                        null, null, null, null, false, List.of("policies ({{" + item.id() + "}})"), loadedAt, null,
                        item.version()));
            }
        }
        return new CertificateInventory(out, model.gateway().certificateExpiryWarning());
    }

    /**
     * What presents each certificate, in words, by certificate id: the hostnames that serve it and
     * the backends it may be presented to ({@code hostname 'api.contoso.com'}, {@code backend 'labs'}).
     */
    static Map<String, Set<String>> certificateUsers(GatehouseConfig model) {
        Map<String, Set<String>> users = new LinkedHashMap<>();
        for (HostnameConfig h : model.hostnames()) {
            if (h.certificateId() != null) {
                users.computeIfAbsent(h.certificateId(), k -> new LinkedHashSet<>()).add("hostname '" + h.hostName() + "'");
            }
        }
        for (BackendConfig b : model.backends()) {
            for (String id : b.certificateIds()) {
                users.computeIfAbsent(id, k -> new LinkedHashSet<>()).add("backend '" + b.id() + "'");
            }
        }
        return users;
    }

    private static Entry entry(String id, Kind kind, String source, String location, X509Certificate leaf,
            boolean hasKey, Set<String> usedBy, Instant loadedAt, String version) {
        return new Entry(id, kind, source, location, DotNetNames.format(leaf.getSubjectX500Principal()),
                DotNetNames.format(leaf.getIssuerX500Principal()), DotNetNames.thumbprint(leaf),
                DotNetNames.sha256(leaf), leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), hasKey,
                List.copyOf(usedBy), loadedAt, null, version);
    }

    /**
     * This inventory with the Key Vault refresher's view: when each Key Vault item was last asked
     * for, the version in service, and why the last refresh failed (while the last good version
     * keeps serving).
     */
    public CertificateInventory withKeyVault(List<io.gatehouse.config.keyvault.KeyVaultStatus> statuses) {
        if (statuses.isEmpty()) {
            return this;
        }
        Map<String, io.gatehouse.config.keyvault.KeyVaultStatus> byKey = new LinkedHashMap<>();
        for (io.gatehouse.config.keyvault.KeyVaultStatus st : statuses) {
            byKey.put(st.kind() + '\u0000' + st.id(), st);
        }
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            String kind = switch (e.kind()) {
                case CERTIFICATE -> "certificate";
                case CA -> "caCertificate";
                case NAMED_VALUE -> "namedValue";
            };
            io.gatehouse.config.keyvault.KeyVaultStatus st = "keyVault".equals(e.source())
                    ? byKey.get(kind + '\u0000' + e.id()) : null;
            out.add(st == null ? e : e.refreshed(st.lastRefresh(), st.lastError(), st.versionInService()));
        }
        return new CertificateInventory(out, expiryWarning);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** {@code gateway.certificates.expiryWarningDays} of the config this was built from. */
    public Duration expiryWarning() {
        return expiryWarning;
    }

    /** The entries expired or expiring within the warning period at {@code now}, soonest first. */
    public List<Entry> expiring(Instant now) {
        return entries.stream().filter(e -> e.expiresWithin(expiryWarning, now))
                .sorted(Comparator.comparing(Entry::notAfter)).toList();
    }

    /** The inventory as the admin port serves it ({@code GET /certificates}), judged at {@code now}. */
    public Map<String, Object> toJson(Instant now) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("kind", e.kind().label());
            m.put("source", e.source());
            m.put("location", e.location());
            if (e.version() != null) {
                m.put("version", e.version());
            }
            m.put("subject", e.subject());
            m.put("issuer", e.issuer());
            m.put("thumbprint", e.thumbprint());
            m.put("sha256", e.sha256());
            m.put("notBefore", e.notBefore() == null ? null : e.notBefore().toString());
            m.put("notAfter", e.notAfter() == null ? null : e.notAfter().toString());
            m.put("daysLeft", e.daysLeft(now));
            m.put("expiringSoon", e.expiresWithin(expiryWarning, now));
            m.put("hasPrivateKey", e.hasPrivateKey());
            m.put("usedBy", e.usedBy());
            m.put("lastRefresh", e.lastRefresh().toString());
            m.put("lastError", e.lastError());
            list.add(m);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("time", now.toString());
        root.put("expiryWarningDays", expiryWarning.toDays());
        root.put("certificates", list);
        return root;
    }
}
