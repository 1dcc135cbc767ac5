package io.gatehouse.config.keyvault;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.identity.AzureCliCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.EnvironmentCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import io.gatehouse.config.model.KeyVaultSettings;
import io.gatehouse.config.model.ManagedIdentityConfig;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Key Vault secrets through the Azure SDK and remembers, for each reference, the last
 * version that could be read (the "last good" one) and how the last attempt went. One instance
 * lives as long as the process, across config reloads, so a reload or refresh that cannot reach
 * the vault keeps serving what was read before; a new instance (as {@code gatehouse validate}
 * uses) has nothing to fall back on.
 *
 * <p>A failure while a last good version serves is logged once when it starts or changes, and once
 * when it clears, in words a user can act on ({@link KeyVaultProblems}); never with a token or a
 * secret's value. A failure with nothing to fall back on is not logged here: the load reports it
 * as an error at the reference, which stops the start or refuses the reload.
 *
 * <p>Calls block: they run while a config loads or on the refresher's thread, never on an event loop.
 */
public final class KeyVaultSource {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.keyvault");

    /** How a load reaches the vaults: from the config being loaded. */
    public record Access(KeyVaultSettings settings, ManagedIdentityConfig managedIdentity, List<X509Certificate> extraRoots) {
        public Access {
            Objects.requireNonNull(settings, "settings");
            extraRoots = List.copyOf(extraRoots);
        }
    }

    /** A secret version as read. {@link #toString()} leaves out the value. */
    public record Fetched(String version, String contentType, String value, Instant readAt) {
        @Override
        public String toString() {
            return "Fetched[version=" + version + ", contentType=" + contentType + ", readAt=" + readAt + "]";
        }
    }

    /**
     * What a read gave.
     *
     * @param value the version read now, or the last good one when {@code error} is set; null when
     *     there is none
     * @param error why the vault could not be read now, or null
     */
    public record Outcome(Fetched value, String error) {
    }

    private static final class State {
        volatile Fetched lastGood;
        volatile Instant lastRefresh;
        volatile String lastError;
    }

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, SecretClient> clients = new ConcurrentHashMap<>();
    private final Clock clock;

    public KeyVaultSource() {
        this(Clock.systemUTC());
    }

    KeyVaultSource(Clock clock) {
        this.clock = clock;
    }

    /**
     * Reads {@code ref} (its latest enabled version when it is not pinned).
     *
     * @param what the config entry, for messages ("certificate 'api-cert'")
     * @param identityClientId the reference's own user-assigned identity, or null for the default
     * @param certificate whether the secret is a certificate's (for the role a 403 names)
     */
    public Outcome read(KeyVaultReference ref, String identityClientId, Access access, String what, boolean certificate) {
        String clientId = identityClientId != null ? identityClientId : access.settings().identityClientId();
        State state = states.computeIfAbsent(key(ref, identityClientId), k -> new State());
        Instant now = clock.instant();
        try {
            SecretClient client = client(ref, clientId, access);
            Fetched f = latest(client, ref, now);
            String before = state.lastError;
            state.lastGood = f;
            state.lastRefresh = now;
            state.lastError = null;
            if (before != null) {
                log.info("Key Vault: {} read again from {} (version {}); the earlier problem has cleared", what,
                        ref.identifier(), f.version());
            }
            return new Outcome(f, null);
        } catch (RuntimeException e) {
            String message = what + ": " + KeyVaultProblems.explain(e, ref, identityDescription(clientId, access), certificate);
            String before = state.lastError;
            state.lastRefresh = now;
            state.lastError = message;
            Fetched good = state.lastGood;
            if (good == null) {
                log.debug("{} (nothing read before: the load reports it)", message);
            } else if (!message.equals(before)) {
                log.warn("{}; still serving version {}", message, good.version());
            } else {
                log.debug("{} (unchanged)", message);
            }
            return new Outcome(good, message);
        }
    }

    /** The last attempt's time and failure for {@code ref}, or nulls when it was never read. */
    public KeyVaultStatus status(KeyVaultItem item) {
        State s = states.get(key(item.reference(), item.identityClientId()));
        return new KeyVaultStatus(item.kind(), item.id(), item.reference().vaultUrl(), item.reference().name(),
                item.reference().version(), item.version(), s == null ? null : s.lastRefresh, s == null ? null : s.lastError);
    }

    /**
     * The pinned version, or the latest enabled one: Key Vault's "current" version, or, when that
     * one is disabled (403 SecretDisabled), the newest enabled version in the version list.
     */
    private static Fetched latest(SecretClient client, KeyVaultReference ref, Instant now) {
        try {
            KeyVaultSecret s = client.getSecret(ref.name(), ref.version() == null ? "" : ref.version());
            return new Fetched(s.getProperties().getVersion(), s.getProperties().getContentType(), s.getValue(), now);
        } catch (HttpResponseException e) {
            if (ref.pinned() || !KeyVaultProblems.disabled(e)) {
                throw e;
            }
            SecretProperties newest = null;
            for (SecretProperties p : client.listPropertiesOfSecretVersions(ref.name())) {
                if (Boolean.TRUE.equals(p.isEnabled()) && (newest == null || created(p).isAfter(created(newest)))) {
                    newest = p;
                }
            }
            if (newest == null) {
                throw e;
            }
            KeyVaultSecret s = client.getSecret(ref.name(), newest.getVersion());
            return new Fetched(s.getProperties().getVersion(), s.getProperties().getContentType(), s.getValue(), now);
        }
    }

    private static OffsetDateTime created(SecretProperties p) {
        return p.getCreatedOn() != null ? p.getCreatedOn() : OffsetDateTime.MIN;
    }

    private static String key(KeyVaultReference ref, String identityClientId) {
        return ref.identifier() + "|" + (identityClientId == null ? "" : identityClientId);
    }

    /** Which identity signs in, in words (for a 403). */
    static String identityDescription(String clientId, Access access) {
        String who = clientId == null ? "the system-assigned managed identity" : "the managed identity with client id " + clientId;
        if (access.managedIdentity() != null) {
            return who + " (token endpoint " + access.managedIdentity().endpoint() + ")";
        }
        return switch (access.settings().credential()) {
            case "managed-identity" -> who;
            case "workload-identity" -> clientId == null ? "the workload identity (AZURE_CLIENT_ID)"
                    : "the workload identity with client id " + clientId;
            case "environment" -> "the service principal in AZURE_CLIENT_ID";
            case "azure-cli" -> "the Azure CLI's signed-in account";
            default -> "the identity DefaultAzureCredential found (" + who + " on Azure; else the environment's service "
                    + "principal, workload identity or Azure CLI account)";
        };
    }

    private SecretClient client(KeyVaultReference ref, String clientId, Access access) {
        ManagedIdentityConfig mi = access.managedIdentity();
        String key = ref.vaultUrl() + "|" + clientId + "|" + access.settings().credential() + "|"
                + (mi == null ? "" : mi.style() + " " + mi.endpoint() + " "
                        + (mi.identityHeader() == null ? 0 : mi.identityHeader().revealString().hashCode()))
                + "|" + KeyVaultTrust.fingerprint(access.extraRoots());
        return clients.computeIfAbsent(key, k -> build(ref, clientId, access));
    }

    private static SecretClient build(KeyVaultReference ref, String clientId, Access access) {
        HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                .sslContext(KeyVaultTrust.sslContext(access.extraRoots())))
                .connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(Duration.ofSeconds(30))
                .build();
        // the challenge's resource is checked against the vault's host (the SDK's default): a server that is
        // not a vault cannot obtain a token for another resource
        return new SecretClientBuilder()
                .vaultUrl(ref.vaultUrl())
                .httpClient(http)
                .credential(credential(clientId, access, http))
                // one quick retry: the refresher polls again anyway, and a load must not hang on a dead vault
                .retryOptions(new RetryOptions(new FixedDelayOptions(1, Duration.ofMillis(500))))
                .buildClient();
    }

    /**
     * The identity that signs in: the token endpoint {@code gateway.managedIdentity} names; else the
     * credential {@code gateway.keyVault.credential} chooses from azure-identity (which finds its
     * endpoints and secrets in the process environment).
     */
    private static TokenCredential credential(String clientId, Access access, HttpClient http) {
        ManagedIdentityConfig mi = access.managedIdentity();
        if (mi != null) {
            return new EndpointTokenCredential(mi.style().equals("imds"), mi.endpoint(), mi.identityHeader(), clientId, http);
        }
        return switch (access.settings().credential()) {
            case "managed-identity" -> new ManagedIdentityCredentialBuilder().clientId(clientId).httpClient(http).build();
            case "workload-identity" -> {
                WorkloadIdentityCredentialBuilder b = new WorkloadIdentityCredentialBuilder().httpClient(http);
                if (clientId != null) {
                    b.clientId(clientId);
                }
                yield b.build();
            }
            case "environment" -> new EnvironmentCredentialBuilder().httpClient(http).build();
            case "azure-cli" -> new AzureCliCredentialBuilder().build();
            default -> {
                DefaultAzureCredentialBuilder b = new DefaultAzureCredentialBuilder().httpClient(http);
                if (clientId != null) {
                    b.managedIdentityClientId(clientId).workloadIdentityClientId(clientId);
                }
                yield b.build();
            }
        };
    }

    /** Every reference's state, for tests. */
    List<String> keys() {
        return new ArrayList<>(states.keySet());
    }
}
