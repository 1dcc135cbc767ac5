package io.gatehouse.config.keyvault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyVaultReferenceTest {
    @Test
    void aVersionlessIdentifierFollowsTheLatestVersion() {
        KeyVaultReference r = KeyVaultReference.parse("https://Contoso-Vault.vault.azure.net/secrets/gateway-tls");
        assertThat(r.vaultUrl()).isEqualTo("https://contoso-vault.vault.azure.net");
        assertThat(r.name()).isEqualTo("gateway-tls");
        assertThat(r.version()).isNull();
        assertThat(r.pinned()).isFalse();
        assertThat(KeyVaultReference.parse("https://contoso-vault.vault.azure.net/secrets/gateway-tls/").version()).isNull();
    }

    @Test
    void aVersionedIdentifierIsPinnedAndAPortIsKept() {
        KeyVaultReference r = KeyVaultReference.parse(
                "https://kv.privatelink.example:8443/secrets/api-key/0123456789abcdef0123456789abcdef");
        assertThat(r.vaultUrl()).isEqualTo("https://kv.privatelink.example:8443");
        assertThat(r.version()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(r.pinned()).isTrue();
        assertThat(r.identifier()).isEqualTo("https://kv.privatelink.example:8443/secrets/api-key/0123456789abcdef0123456789abcdef");
        assertThat(r.host()).isEqualTo("kv.privatelink.example");
    }

    @Test
    void whatIsNotASecretIdentifierSaysWhatWasExpected() {
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/certificates/gw"))
                .contains("names a Key Vault certificate", "https://kv.vault.azure.net/secrets/gw");
        assertThat(KeyVaultReference.problem("http://kv.vault.azure.net/secrets/gw")).contains("not an https URL");
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/keys/gw")).contains("does not name a secret");
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets")).contains("does not name a secret");
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets/a/b/c")).contains("does not name a secret");
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets/under_score")).contains("not a Key Vault secret name");
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets/gw/not-hex!")).isNotNull();
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets/gw?api-version=7.4")).contains("query");
        assertThat(KeyVaultReference.problem("not a url at all")).isNotNull();
        assertThat(KeyVaultReference.problem("https://kv.vault.azure.net/secrets/gw")).isNull();
        assertThatThrownBy(() -> KeyVaultReference.parse("ftp://x/secrets/y")).isInstanceOf(IllegalArgumentException.class);
    }
}
