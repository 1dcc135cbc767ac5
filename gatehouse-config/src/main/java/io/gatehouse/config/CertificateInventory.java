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
 * (a URL), a file as its path.
 */
public final class CertificateInventory {

    /** What an entry is. */
    public enum Kind {
        /** {@code certificates[]}: a key pair the gateway presents, or a public certificate. */
        CERTIFICATE("certificate"),
        /** {@code caCertificates[]}. */
        CA("ca");

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
     *     the config), {@code keyVault}
     * @param location the file, or the Key Vault secret identifier
     * @param usedBy what refers to it, in words ("hostname 'api.contoso.com'", "backend 'labs'")
     * @param lastRefresh when it was last read from its source
     * @param lastError why the last attempt to read it again failed, or null
     */
    public record Entry(String id, Kind kind, String source, String location, String subject, String issuer,
            String thumbprint, String sha256, Instant notBefore, Instant notAfter, boolean hasPrivateKey,
            List<String> usedBy, Instant lastRefresh, String lastError) {

        public Entry {
            Objects.requireNonNull(id, "id");
            usedBy = List.copyOf(usedBy);
        }

        /** Whole days from {@code now} to notAfter; negative once expired. */
        public long daysLeft(Instant now) {
            return Math.floorDiv(Duration.between(now, notAfter).getSeconds(), 86_400L);
        }

        /** Expired, or expiring within {@code warning} of {@code now}. */
        public boolean expiresWithin(Duration warning, Instant now) {
            return notAfter.isBefore(now.plus(warning));
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
        Map<String, Set<String>> certUsers = new LinkedHashMap<>();
        Map<String, Set<String>> caUsers = new LinkedHashMap<>();
        for (HostnameConfig h : model.hostnames()) {
            if (h.certificateId() != null) {
                certUsers.computeIfAbsent(h.certificateId(), k -> new LinkedHashSet<>())
                        .add("hostname '" + h.hostName() + "'");
            }
            for (String ca : h.trustedCaCertificateIds()) {
                caUsers.computeIfAbsent(ca, k -> new LinkedHashSet<>())
                        .add("client certificates of hostname '" + h.hostName() + "'");
            }
        }
        for (BackendConfig b : model.backends()) {
            for (String id : b.certificateIds()) {
                certUsers.computeIfAbsent(id, k -> new LinkedHashSet<>()).add("backend '" + b.id() + "'");
            }
            for (String ca : b.tls().trustedCaCertificateIds()) {
                caUsers.computeIfAbsent(ca, k -> new LinkedHashSet<>()).add("backend '" + b.id() + "'");
            }
        }
        List<Entry> out = new ArrayList<>();
        for (CertificateConfig c : model.certificates()) {
            List<X509Certificate> chain = config.certificates().get(c.id());
            if (chain == null || chain.isEmpty()) {
                continue;
            }
            String source;
            String location;
            if (c.keyVault() != null) {
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
                    certUsers.getOrDefault(c.id(), Set.of()), loadedAt));
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
            out.add(entry(ca.id(), Kind.CA, ca.file() != null ? "file" : "inline",
                    ca.file() != null ? ca.file().toString() : "caCertificates[].pem", cert, false, users, loadedAt));
        }
        return new CertificateInventory(out, model.gateway().certificateExpiryWarning());
    }

    private static Entry entry(String id, Kind kind, String source, String location, X509Certificate leaf,
            boolean hasKey, Set<String> usedBy, Instant loadedAt) {
        return new Entry(id, kind, source, location, DotNetNames.format(leaf.getSubjectX500Principal()),
                DotNetNames.format(leaf.getIssuerX500Principal()), DotNetNames.thumbprint(leaf),
                DotNetNames.sha256(leaf), leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), hasKey,
                List.copyOf(usedBy), loadedAt, null);
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
            m.put("subject", e.subject());
            m.put("issuer", e.issuer());
            m.put("thumbprint", e.thumbprint());
            m.put("sha256", e.sha256());
            m.put("notBefore", e.notBefore().toString());
            m.put("notAfter", e.notAfter().toString());
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
