package io.gatehouse.config;

import io.gatehouse.common.SourceText;
import io.gatehouse.config.keyvault.KeyVaultItem;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.PolicyRef;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * A config that loaded without errors, with everything it refers to read and checked: key pairs,
 * certificates, the CA store, named values and the text of every policy and fragment. The data
 * plane builds its TLS contexts and routes from this; a reload builds a new one and swaps it.
 *
 * <p>Holds private keys: never log it. {@link #toString()} shows only counts.
 */
public final class LoadedConfig {
    private final GatehouseConfig model;
    private final Map<String, KeyMaterial> keyPairs;
    private final Map<String, List<X509Certificate>> certificates;
    private final Map<String, X509Certificate> caCertificates;
    private final CaStore caStore;
    private final RevocationMode revocation;
    private final Map<String, String> namedValues;
    private final Map<String, SourceText> fragments;
    private final Map<PolicyRef, SourceText> policySources;
    private final CompiledPolicies policies;
    private final List<KeyVaultItem> keyVaultItems;
    private final Map<String, SubscriptionKeys> subscriptionKeys;

    LoadedConfig(GatehouseConfig model, Map<String, KeyMaterial> keyPairs, Map<String, List<X509Certificate>> certificates,
            Map<String, X509Certificate> caCertificates, CaStore caStore, RevocationMode revocation,
            Map<String, String> namedValues, Map<String, SourceText> fragments, Map<PolicyRef, SourceText> policySources,
            CompiledPolicies policies, List<KeyVaultItem> keyVaultItems, Map<String, SubscriptionKeys> subscriptionKeys) {
        this.model = requireNonNull(model, "model");
        this.keyPairs = Map.copyOf(keyPairs);
        this.certificates = Map.copyOf(certificates);
        this.caCertificates = Map.copyOf(caCertificates);
        this.caStore = requireNonNull(caStore, "caStore");
        this.revocation = requireNonNull(revocation, "revocation");
        this.namedValues = Map.copyOf(namedValues);
        this.fragments = Map.copyOf(fragments);
        this.policySources = Map.copyOf(policySources);
        this.policies = requireNonNull(policies, "policies");
        this.keyVaultItems = List.copyOf(keyVaultItems);
        this.subscriptionKeys = Map.copyOf(subscriptionKeys);
    }

    /** Every subscription's keys, by subscription id (secret: never log them). */
    public Map<String, SubscriptionKeys> subscriptionKeys() {
        return subscriptionKeys;
    }

    /**
     * Every certificate, CA certificate and named value this config read from Key Vault, with the
     * secret version it uses (the one in service once the gateway serves this config). Live
     * status (last refresh, last error) is {@link io.gatehouse.config.keyvault.KeyVaultRefresher#status()}.
     */
    public List<KeyVaultItem> keyVaultItems() {
        return keyVaultItems;
    }

    /**
     * How this config reaches its vaults: {@code gateway.keyVault}, {@code gateway.managedIdentity}
     * and the Root CA certificates read from files (trusted for the vaults' TLS as well as the JDK's).
     */
    public KeyVaultSource.Access keyVaultAccess() {
        List<X509Certificate> roots = new java.util.ArrayList<>();
        for (var ca : model.caCertificates()) {
            if (ca.keyVault() == null && ca.storeName() == io.gatehouse.config.model.CaCertificateConfig.StoreName.ROOT
                    && caCertificates.containsKey(ca.id())) {
                roots.add(caCertificates.get(ca.id()));
            }
        }
        return new KeyVaultSource.Access(model.gateway().keyVault(), model.gateway().managedIdentity(), roots);
    }

    /**
     * What this config's policies may refer to (named values, certificates, backends, fragments),
     * for checking other documents against it: {@code gatehouse policy check -c CONFIG FILE...}.
     */
    public io.gatehouse.policy.PolicyEnvironment.Builder policyEnvironment() {
        io.gatehouse.policy.PolicyEnvironment.Builder env = CompiledPolicies.environment(model, namedValues, fragments,
                keyPairs, certificates, caStore, policies.chainCheck(), System.getenv());
        policies.graphql(env, model);
        return env;
    }

    /** Every policy compiled and composed per API and operation. */
    public CompiledPolicies policies() {
        return policies;
    }

    /** The config as written, with defaults applied and paths resolved. */
    public GatehouseConfig model() {
        return model;
    }

    /** Certificates that have a private key, by certificate id: what hostnames and backends present. */
    public Map<String, KeyMaterial> keyPairs() {
        return keyPairs;
    }

    /** Every certificate entry by id, leaf first, including public-only ones (for matching). */
    public Map<String, List<X509Certificate>> certificates() {
        return certificates;
    }

    /** Every CA certificate entry by id. */
    public Map<String, X509Certificate> caCertificates() {
        return caCertificates;
    }

    /**
     * Root entries as trust anchors, CertificateAuthority entries as intermediates, and the CRLs
     * of every entry that names a {@code crlFile}.
     */
    public CaStore caStore() {
        return caStore;
    }

    /** What an unreachable CRL or OCSP source means ({@code gateway.revocation.mode}). */
    public RevocationMode revocation() {
        return revocation;
    }

    /** Named values by name, for {@code {{name}}} in policies; secret ones included (never log them). */
    public Map<String, String> namedValues() {
        return namedValues;
    }

    /** The text of every policy fragment, by fragment id. */
    public Map<String, SourceText> fragments() {
        return fragments;
    }

    /**
     * The text of every policy the config names (global, per API, per operation), from its file
     * or inline XML. A file's text is named as the user would name the file; inline XML is named
     * {@code <config>#<owner>-policy@<line>}, and the {@link PolicyRef#position()} says where in
     * the config it starts.
     */
    public Map<PolicyRef, SourceText> policySources() {
        return policySources;
    }

    @Override
    public String toString() {
        return "LoadedConfig[" + model.file() + ": " + model.hostnames().size() + " hostnames, " + model.apis().size()
                + " apis, " + keyPairs.size() + " key pairs, " + caCertificates.size() + " CA certificates]";
    }
}
