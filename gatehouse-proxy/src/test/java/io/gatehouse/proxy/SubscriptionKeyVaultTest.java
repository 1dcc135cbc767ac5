package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.ConfigWatcher;
import io.gatehouse.config.keyvault.KeyVaultRefresher;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.config.keyvault.KeyVaultStatus;
import io.gatehouse.tls.Pki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A subscription key kept in Key Vault, through the real Azure SDK against {@link FakeKeyVault}:
 * read at load, and refreshed like named values: after a new version is put in the vault and the
 * refresher runs, the new key opens the API and the old one is refused. No key reaches the log.
 */
class SubscriptionKeyVaultTest {
    static final String V1 = "vault-key-version-one-0123456789abcdef";
    static final String V2 = "vault-key-version-two-fedcba9876543210";

    @TempDir
    Path tmp;

    @Test
    void aKeyFromTheVaultWorksAndANewVersionReplacesIt() throws Exception {
        Duration year = Duration.ofDays(365);
        Pki.Issued vaultCa = Pki.ca("CN=Test Vault CA", year);
        Pki.Issued vaultServer = Pki.issue(vaultCa, Pki.IssueRequest.server(FakeKeyVault.HOST, FakeKeyVault.HOST)
                .withValidity(year));
        Files.writeString(tmp.resolve("vault-ca.pem"), Pki.pem(vaultCa.certificate()));
        try (FakeKeyVault vault = new FakeKeyVault(vaultServer); RecordingBackend backend = new RecordingBackend();
             LogCapture logs = new LogCapture()) {
            vault.put("partner-key", V1, null);
            int port = Ports.free();
            Path configFile = tmp.resolve("gatehouse.yaml");
            Files.writeString(configFile, """
                    gateway:
                      listeners:
                        - port: %d
                          bind: 127.0.0.1
                          tls: false
                      managedIdentity:
                        style: imds
                        endpoint: %s
                    caCertificates:
                      - id: vault-ca
                        file: %s
                        storeName: Root
                    subscriptions:
                      - id: partner
                        scope: /apis/orders
                        primaryKey:
                          keyVault:
                            secretIdentifier: %s/secrets/partner-key
                    apis:
                      - id: orders
                        path: orders
                        serviceUrl: %s
                        subscriptionRequired: true
                    """.formatted(port, vault.imdsEndpoint(), tmp.resolve("vault-ca.pem"), vault.vaultUrl(), backend.url()));
            KeyVaultSource source = new KeyVaultSource();
            ConfigResult first = ConfigLoader.load(configFile, Map.of(), source);
            assertThat(first.diagnostics().hasErrors()).as(first.diagnostics().render()).isFalse();
            assertThat(first.config().keyVaultItems()).anySatisfy(i -> assertThat(i.kind()).isEqualTo("subscriptionKey"));
            try (Gateway gateway = new Gateway(first.config(), 2).start()) {
                ConfigWatcher watcher = new ConfigWatcher(configFile, r -> {
                    if (r.config() != null) {
                        gateway.reload(r.config());
                    }
                }, Map.of(), source);
                try (KeyVaultRefresher refresher = new KeyVaultRefresher(source, watcher::reloadNow)) {
                    gateway.keyVault(refresher);
                    assertThat(status(port, V1)).isEqualTo(200);
                    assertThat(status(port, V2)).isEqualTo(401);

                    vault.put("partner-key", V2, null);
                    List<KeyVaultStatus> after = refresher.refreshNow().get(30, TimeUnit.SECONDS);
                    assertThat(after).isNotEmpty();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (status(port, V2) != 200 && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    assertThat(status(port, V2)).isEqualTo(200);
                    assertThat(status(port, V1)).isEqualTo(401);
                }
            }
            for (String line : logs.lines()) {
                assertThat(line).doesNotContain(V1).doesNotContain(V2);
            }
        }
    }

    private static int status(int port, String key) throws Exception {
        HttpClient c = HttpClient.newHttpClient();
        return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders/1"))
                .header("Ocp-Apim-Subscription-Key", key).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
