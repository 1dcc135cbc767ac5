package io.gatehouse.config.keyvault;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config with Key Vault references whose vault cannot be reached and that has nothing read
 * before: the load fails at each reference's file:line:col with the host and the network error,
 * never with a secret; the token endpoint's secret header stays out of the output.
 */
class KeyVaultLoadTest {
    @TempDir
    Path tmp;

    @Test
    void anUnreachableVaultWithNothingReadBeforeIsAnErrorAtEachReference() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Path file = tmp.resolve("gatehouse.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8443
                  managedIdentity:
                    style: app-service
                    endpoint: http://127.0.0.1:%1$d/msi/token
                    identityHeader: Hdr-S3cret
                  keyVault:
                    refreshInterval: 600
                certificates:
                  - id: gw
                    keyVault:
                      secretIdentifier: https://127.0.0.1:%1$d/secrets/gateway-tls
                namedValues:
                  - name: api-key
                    keyVault:
                      secretIdentifier: https://127.0.0.1:%1$d/secrets/api-key/00aa11bb22cc33dd44ee55ff66778899
                      identityClientId: 11111111-2222-3333-4444-555555555555
                """.formatted(closed));
        KeyVaultSource source = new KeyVaultSource();
        ConfigResult r = ConfigLoader.load(file, Map.of(), source);
        String out = r.diagnostics().render();
        assertThat(r.config()).isNull();
        assertThat(out).contains(file + ":13:25: error: certificate 'gw': cannot reach the vault host 127.0.0.1: connection refused");
        assertThat(out).contains(file + ":17:25: error: named value 'api-key': cannot reach the vault host 127.0.0.1: connection refused");
        assertThat(out).doesNotContain("Hdr-S3cret");
        assertThat(source.keys()).hasSize(2);
    }
}
