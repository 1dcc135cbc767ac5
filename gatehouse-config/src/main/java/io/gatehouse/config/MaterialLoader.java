package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;
import io.gatehouse.config.model.CaCertificateConfig;
import io.gatehouse.config.model.CertificateConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.config.model.NamedValueConfig;
import io.gatehouse.config.keyvault.KeyVaultItem;
import io.gatehouse.config.keyvault.KeyVaultReference;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.config.keyvault.SecretMaterial;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pkcs11Exception;
import io.gatehouse.tls.Pkcs11Tokens;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.TlsConfigException;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the certificates, keys, PFX files, CA certificates and CRLs a config names, through
 * {@link CertificateFiles}, and reports what cannot be read or does not fit (a key that does not
 * match its certificate, a wrong PFX password, a CRL file that holds no CRL). Warns about server
 * certificates that have expired or expire within {@code gateway.certificates.expiryWarningDays} and expired CA
 * certificates. Messages never include a password or key material.
 */
final class MaterialLoader {
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final ConfigReader reader;
    private final ConfigFiles files;
    private final Diagnostics diagnostics;
    private final Instant now;

    final Map<String, KeyMaterial> keyPairs = new LinkedHashMap<>();
    final Map<String, List<X509Certificate>> certificates = new LinkedHashMap<>();
    final Map<String, X509Certificate> caCertificates = new LinkedHashMap<>();
    private final List<X509Certificate> roots = new ArrayList<>();
    private final List<X509Certificate> intermediates = new ArrayList<>();
    private final List<X509CRL> crls = new ArrayList<>();
    /** Key Vault named values read by this load, by name (secret). */
    final Map<String, String> keyVaultNamedValues = new LinkedHashMap<>();
    /** Every entry this load read from Key Vault, with the version it used. */
    final List<KeyVaultItem> keyVaultItems = new ArrayList<>();
    /** Every subscription's keys by subscription id, read from the config or Key Vault (secret). */
    final Map<String, SubscriptionKeys> subscriptionKeys = new LinkedHashMap<>();
    private final KeyVaultSource keyVault;
    private KeyVaultSource.Access access;

    MaterialLoader(ConfigReader reader, ConfigFiles files, Diagnostics diagnostics, Instant now, KeyVaultSource keyVault) {
        this.reader = reader;
        this.files = files;
        this.diagnostics = diagnostics;
        this.now = now;
        this.keyVault = keyVault;
    }

    void load(GatehouseConfig config) {
        // CA certificates from files first: their Root entries are trusted for the vault's TLS too
        for (CaCertificateConfig ca : config.caCertificates()) {
            if (ca.keyVault() == null) {
                guarded(ca.position(), "CA certificate '" + ca.id() + "'", () -> caCertificate(ca));
            }
        }
        access = new KeyVaultSource.Access(config.gateway().keyVault(), config.gateway().managedIdentity(), roots);
        for (CaCertificateConfig ca : config.caCertificates()) {
            if (ca.keyVault() != null) {
                guarded(ca.position(), "CA certificate '" + ca.id() + "'", () -> caCertificate(ca));
            }
        }
        for (CertificateConfig c : config.certificates()) {
            guarded(c.position(), "certificate '" + c.id() + "'", () -> certificate(c));
        }
        for (NamedValueConfig nv : config.namedValues()) {
            if (nv.keyVault() != null) {
                guarded(nv.position(), "named value '" + nv.name() + "'", () -> namedValue(nv));
            }
        }
        subscriptionKeys(config);
        expiryWarnings(config);
        hostnameCoverage(config);
    }

    /**
     * Reads each subscription's keys (Key Vault ones now) and checks that no key opens two
     * subscriptions: a request's key must name one. Messages never show a key.
     */
    private void subscriptionKeys(GatehouseConfig config) {
        Map<SubscriptionKeys.Digest, String> owners = new java.util.HashMap<>();
        for (io.gatehouse.config.model.SubscriptionConfig sub : config.subscriptions()) {
            Secret[] keys = new Secret[2];
            Position[] at = new Position[2];
            Section s = reader.origins.get(sub);
            String[] names = {"primaryKey", "secondaryKey"};
            CertificateConfig.KeyVaultRef[] refs = {sub.primaryKeyVault(), sub.secondaryKeyVault()};
            Secret[] literal = {sub.primaryKey(), sub.secondaryKey()};
            for (int i = 0; i < 2; i++) {
                if (refs[i] != null) {
                    at[i] = reader.origins.get(refs[i]).valuePosition("secretIdentifier");
                    CertificateConfig.KeyVaultRef ref = refs[i];
                    String what = "subscription '" + sub.id() + "' " + names[i];
                    String id = "'" + sub.id() + "' " + names[i];
                    Secret[] got = new Secret[1];
                    guarded(at[i], what, () -> {
                        KeyVaultSource.Fetched f = fromVault(ref, "subscriptionKey", id, what, false);
                        if (f != null) {
                            String v = f.value() == null ? "" : f.value().strip();
                            if (v.isEmpty()) {
                                diagnostics.add(reader.origins.get(ref).valuePosition("secretIdentifier")
                                        .error(what + ": the Key Vault secret is empty"));
                            } else {
                                got[0] = Secret.of(v);
                            }
                        }
                    });
                    keys[i] = got[0];
                } else if (literal[i] != null) {
                    keys[i] = literal[i];
                    at[i] = s.valuePosition(names[i]);
                }
            }
            for (int i = 0; i < 2; i++) {
                if (keys[i] == null) {
                    continue;
                }
                String other = owners.putIfAbsent(SubscriptionKeys.Digest.of(keys[i]), sub.id() + "' " + names[i]);
                if (other != null) {
                    diagnostics.add(at[i].error("subscription '" + sub.id() + "' " + names[i] + " is the same key as "
                            + "subscription '" + other + " (each key must identify one subscription; the key is not "
                            + "shown)"));
                }
            }
            subscriptionKeys.put(sub.id(), new SubscriptionKeys(keys[0], keys[1]));
        }
    }

    /**
     * Runs one entity's loading so that an unexpected failure in a lower layer becomes a
     * diagnostic for that entity instead of escaping the loader. The exception's message is not
     * shown: it is not known to be free of secrets.
     */
    private void guarded(Position at, String what, Runnable load) {
        try {
            load.run();
        } catch (RuntimeException e) {
            diagnostics.add(at.error(what + " could not be read (" + e.getClass().getSimpleName() + ")"));
        }
    }

    CaStore caStore() {
        return CaStore.of(roots, intermediates, crls);
    }

    RevocationMode revocation(GatehouseConfig config) {
        return switch (config.gateway().revocationMode()) {
            case OFF -> RevocationMode.OFF;
            case SOFT_FAIL -> RevocationMode.SOFT_FAIL;
            case HARD_FAIL -> RevocationMode.HARD_FAIL;
        };
    }

    /**
     * Reads a Key Vault reference: the version read now, or the last good one with a warning when
     * the vault cannot be read now; null with an error at the reference when there is neither.
     */
    private KeyVaultSource.Fetched fromVault(CertificateConfig.KeyVaultRef ref, String kind, String id, String what,
            boolean certificate) {
        Section s = reader.origins.get(ref);
        Position at = s.valuePosition("secretIdentifier");
        KeyVaultReference parsed = KeyVaultReference.parse(ref.secretIdentifier());
        KeyVaultSource.Outcome o = keyVault.read(parsed, ref.identityClientId(), access, what, certificate);
        keyVaultItems.add(new KeyVaultItem(kind, id, parsed, ref.identityClientId(),
                o.value() == null ? null : o.value().version()));
        if (o.value() == null) {
            diagnostics.add(at.error(o.error()));
            return null;
        }
        if (o.error() != null) {
            diagnostics.add(at.warning(o.error() + "; using the last version read (" + o.value().version() + ")"));
        }
        return o.value();
    }

    /** A Key Vault secret's text as the thing it holds, or an error at the reference naming the version. */
    private <T> T parseSecret(CertificateConfig.KeyVaultRef ref, KeyVaultSource.Fetched f, String what,
            java.util.function.Function<String, T> parse) {
        try {
            return parse.apply(what + " (Key Vault secret version " + f.version() + ")");
        } catch (TlsConfigException e) {
            diagnostics.add(reader.origins.get(ref).valuePosition("secretIdentifier").error(e.getMessage() == null
                    ? what + ": the Key Vault secret cannot be read" : e.getMessage()));
            return null;
        }
    }

    private void namedValue(NamedValueConfig nv) {
        KeyVaultSource.Fetched f = fromVault(nv.keyVault(), "namedValue", nv.name(), "named value '" + nv.name() + "'", false);
        if (f != null) {
            keyVaultNamedValues.put(nv.name(), f.value() == null ? "" : f.value());
        }
    }

    private void certificate(CertificateConfig c) {
        Section s = reader.origins.get(c);
        String what = "certificate '" + c.id() + "'";
        if (c.pkcs11() != null) {
            tokenCertificate(c, s, what);
            return;
        }
        if (c.keyVault() != null) {
            KeyVaultSource.Fetched f = fromVault(c.keyVault(), "certificate", c.id(), what, true);
            KeyMaterial km = f == null ? null : parseSecret(c.keyVault(), f, what,
                    name -> SecretMaterial.keyPair(f.value(), f.contentType(), name));
            if (km != null) {
                keyPairs.put(c.id(), km);
                certificates.put(c.id(), km.chain());
            }
            return;
        }
        if (c.pfx() != null) {
            char[] password = c.password() == null ? new char[0] : c.password().reveal();
            try {
                KeyMaterial km = CertificateFiles.readPfx(c.pfx(), password);
                keyPairs.put(c.id(), km);
                certificates.put(c.id(), km.chain());
            } catch (TlsConfigException e) {
                boolean aboutPassword = e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("password");
                Position at = aboutPassword && s.has("password") ? s.valuePosition("password") : s.valuePosition("pfx");
                diagnostics.add(at.error(what + ": " + message(e, c.password())));
            } finally {
                Arrays.fill(password, '\0');
            }
            return;
        }
        if (c.certificateFile() == null) {
            return;
        }
        List<X509Certificate> chain;
        try {
            chain = CertificateFiles.readCertificates(c.certificateFile());
        } catch (TlsConfigException e) {
            diagnostics.add(s.valuePosition("certificateFile").error(what + ": " + message(e, null)));
            return;
        }
        if (chain.isEmpty()) {
            diagnostics.add(s.valuePosition("certificateFile").error(what + ": no certificate found in "
                    + files.display(c.certificateFile())));
            return;
        }
        if (c.keyFile() == null) {
            certificates.put(c.id(), chain);
            return;
        }
        char[] password = c.keyPassword() == null ? null : c.keyPassword().reveal();
        try {
            KeyMaterial km = CertificateFiles.readKeyPair(c.certificateFile(), c.keyFile(), password);
            keyPairs.put(c.id(), km);
            certificates.put(c.id(), km.chain());
        } catch (TlsConfigException e) {
            boolean aboutPassword = e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("password");
            Position at = aboutPassword && s.has("keyPassword") ? s.valuePosition("keyPassword") : s.valuePosition("keyFile");
            diagnostics.add(at.error(what + ": " + message(e, c.keyPassword())));
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    /** A key on a PKCS#11 token, with its certificate from the token or from certificateFile. */
    private void tokenCertificate(CertificateConfig c, Section s, String what) {
        List<X509Certificate> chain = null;
        if (c.certificateFile() != null) {
            try {
                chain = CertificateFiles.readCertificates(c.certificateFile());
            } catch (TlsConfigException e) {
                diagnostics.add(s.valuePosition("certificateFile").error(what + ": " + message(e, c.pkcs11().pin())));
                return;
            }
            if (chain.isEmpty()) {
                diagnostics.add(s.valuePosition("certificateFile").error(what + ": no certificate found in "
                        + files.display(c.certificateFile())));
                return;
            }
        }
        try {
            KeyMaterial km = Pkcs11Tokens.load(c.pkcs11(), chain);
            keyPairs.put(c.id(), km);
            certificates.put(c.id(), km.chain());
        } catch (Pkcs11Exception e) {
            Section p = reader.origins.get(c.pkcs11());
            Position at = e.field().equals("certificateFile") ? s.valuePosition("certificateFile")
                    : p != null && p.has(e.field()) ? p.valuePosition(e.field()) : s.valuePosition("pkcs11");
            diagnostics.add(at.error(what + ": " + message(e, c.pkcs11().pin())));
        }
    }

    private void caCertificate(CaCertificateConfig ca) {
        Section s = reader.origins.get(ca);
        String what = "CA certificate '" + ca.id() + "'";
        String key = ca.file() != null ? "file" : ca.pem() != null ? "pem" : "keyVault";
        List<X509Certificate> certs;
        if (ca.keyVault() != null) {
            KeyVaultSource.Fetched f = fromVault(ca.keyVault(), "caCertificate", ca.id(), what, true);
            X509Certificate cert = f == null ? null : parseSecret(ca.keyVault(), f, what,
                    name -> SecretMaterial.certificate(f.value(), f.contentType(), name));
            certs = cert == null ? null : List.of(cert);
            if (certs == null) {
                return;
            }
        } else {
            try {
                certs = ca.file() != null ? CertificateFiles.readCertificates(ca.file())
                        : CertificateFiles.readCertificates(ca.pem(), what);
            } catch (TlsConfigException e) {
                diagnostics.add(s.valuePosition(key).error(what + ": " + message(e, null)));
                certs = null;
            }
        }
        if (certs != null && certs.size() != 1) {
            diagnostics.add(s.valuePosition(key).error(what + ": expected exactly one certificate, found " + certs.size()
                    + (certs.size() > 1 ? " (give each CA certificate its own entry)" : "")));
            certs = null;
        }
        if (certs != null) {
            X509Certificate cert = certs.get(0);
            caCertificates.put(ca.id(), cert);
            if (ca.storeName() == CaCertificateConfig.StoreName.ROOT) {
                roots.add(cert);
            } else {
                intermediates.add(cert);
            }
            if (cert.getNotAfter().toInstant().isBefore(now)) {
                diagnostics.add(s.valuePosition(key).warning(what + " expired on " + DATE.format(cert.getNotAfter().toInstant())
                        + "; certificates issued by it will not verify"));
            }
        }
        if (ca.crlFile() != null) {
            try {
                List<X509CRL> read = CertificateFiles.readCrls(ca.crlFile());
                if (read.isEmpty()) {
                    diagnostics.add(s.valuePosition("crlFile").error(what + ": no CRL found in " + files.display(ca.crlFile())));
                } else {
                    crls.addAll(read);
                }
            } catch (TlsConfigException e) {
                diagnostics.add(s.valuePosition("crlFile").error(what + ": " + message(e, null)));
            }
        }
    }

    /** Server certificates (used by a hostname) and client certificates (used by a backend) near or past expiry. */
    private void expiryWarnings(GatehouseConfig config) {
        Map<String, Set<String>> users = CertificateInventory.certificateUsers(config);
        for (CertificateConfig c : config.certificates()) {
            List<X509Certificate> chain = certificates.get(c.id());
            Set<String> usedBy = users.get(c.id());
            if (chain == null || chain.isEmpty() || usedBy == null) {
                continue;
            }
            Section s = reader.origins.get(c);
            Position at = c.keyVault() != null ? reader.origins.get(c.keyVault()).valuePosition("secretIdentifier")
                    : s.valuePosition(c.pfx() != null ? "pfx"
                    : c.pkcs11() != null && c.certificateFile() == null ? "pkcs11" : "certificateFile");
            X509Certificate leaf = chain.get(0);
            Instant notAfter = leaf.getNotAfter().toInstant();
            Instant notBefore = leaf.getNotBefore().toInstant();
            String who = " (used by " + String.join(", ", usedBy) + ")";
            if (notAfter.isBefore(now)) {
                diagnostics.add(at.warning("certificate '" + c.id() + "' expired on " + DATE.format(notAfter) + who
                        + "; clients will reject it"));
            } else if (notAfter.isBefore(now.plus(config.gateway().certificateExpiryWarning()))) {
                long days = Duration.between(now, notAfter).toDays();
                diagnostics.add(at.warning("certificate '" + c.id() + "' expires in " + days + (days == 1 ? " day" : " days")
                        + " on " + DATE.format(notAfter) + who));
            } else if (notBefore.isAfter(now)) {
                diagnostics.add(at.warning("certificate '" + c.id() + "' is not valid until " + DATE.format(notBefore) + who));
            }
        }
    }

    /**
     * Warns when a hostname's certificate does not name that hostname in its DNS subject
     * alternative names (RFC 6125: clients check SANs, not the CN), since clients that verify
     * names will refuse the handshake.
     */
    private void hostnameCoverage(GatehouseConfig config) {
        for (HostnameConfig h : config.hostnames()) {
            List<X509Certificate> chain = h.certificateId() == null ? null : certificates.get(h.certificateId());
            if (chain == null || chain.isEmpty()) {
                continue;
            }
            List<String> names = dnsNames(chain.get(0));
            if (names.stream().anyMatch(n -> covers(n, h.hostName()))) {
                continue;
            }
            Position at = reader.origins.get(h).valuePosition("certificateId");
            diagnostics.add(at.warning("certificate '" + h.certificateId() + "' does not cover hostname '" + h.hostName()
                    + "' (" + (names.isEmpty() ? "it has no DNS names" : "it is for " + String.join(", ", names))
                    + "); clients that check names will refuse it"));
        }
    }

    private static List<String> dnsNames(X509Certificate c) {
        List<String> out = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String s) {
                        out.add(s);
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // no readable SANs: treated as none
        }
        return out;
    }

    /** Whether a certificate name (possibly {@code *.domain}) covers a configured hostname (possibly wildcard). */
    static boolean covers(String certificateName, String hostName) {
        String n = certificateName.toLowerCase(Locale.ROOT);
        String h = hostName.toLowerCase(Locale.ROOT);
        if (n.equals(h)) {
            return true;
        }
        if (n.startsWith("*.") && !h.startsWith("*.")) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot).equals(n.substring(1));
        }
        return false;
    }

    /**
     * The exception's message with absolute paths shown as the user named them, and with the
     * secret removed should a lower layer ever have put it there.
     */
    private String message(TlsConfigException e, Secret secret) {
        String m = e.getMessage() == null ? "cannot be read" : e.getMessage();
        for (Path p : files.watched()) {
            m = m.replace(p.toString(), files.display(p));
        }
        if (secret != null && !secret.isEmpty()) {
            m = m.replace(secret.revealString(), "******");
        }
        return m;
    }
}
