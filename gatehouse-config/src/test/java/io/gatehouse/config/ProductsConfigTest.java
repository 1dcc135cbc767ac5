package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.ProductConfig;
import io.gatehouse.config.model.SubscriptionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code products[]}, {@code subscriptions[]} and the APIs' subscription settings: reading and checks. */
class ProductsConfigTest {
    static final String KEY_A = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6";
    static final String KEY_B = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    @TempDir
    Path dir;

    private ConfigResult load(String extra) throws IOException {
        return load(extra, Map.of());
    }

    private ConfigResult load(String extra, Map<String, String> env) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                apis:
                  - id: orders
                    path: orders
                    serviceUrl: http://backend.local:9080
                    subscriptionRequired: true
                  - id: catalog
                    path: catalog
                    serviceUrl: http://backend.local:9080
                    subscriptionKeyParameterNames:
                      header: X-Api-Key
                      query: key
                %s""".formatted(extra));
        return ConfigLoader.load(file, env);
    }

    @Test
    void readsProductsSubscriptionsAndTheirDefaults() throws IOException {
        Files.writeString(dir.resolve("bob.key"), KEY_B + "\n");
        ConfigResult r = load("""
                products:
                  - id: gold
                    name: Gold tier
                    apis: [orders, catalog]
                    state: notPublished
                    policyXml: |
                      <policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound></policies>
                  - id: free
                    apis: [catalog]
                    subscriptionRequired: false
                subscriptions:
                  - id: alice
                    scope: /products/gold
                    primaryKey: ${env:ALICE_KEY}
                    owner: {id: u1, email: alice@contoso.test, firstName: Alice, lastName: Smith}
                  - id: bob
                    name: Bob's key
                    scope: /apis/orders
                    secondaryKey: ${file:bob.key}
                    state: suspended
                """, Map.of("ALICE_KEY", KEY_A));
        assertThat(r.diagnostics().render()).isEmpty();
        GatehouseConfig m = r.config().model();
        ApiConfig orders = m.apis().get(0);
        ApiConfig catalog = m.apis().get(1);
        assertThat(orders.subscription()).isEqualTo(new ApiConfig.SubscriptionKeys(true, "Ocp-Apim-Subscription-Key",
                "subscription-key"));
        assertThat(catalog.subscription()).isEqualTo(new ApiConfig.SubscriptionKeys(false, "X-Api-Key", "key"));
        ProductConfig gold = m.products().get(0);
        assertThat(gold.name()).isEqualTo("Gold tier");
        assertThat(gold.apis()).containsExactly("orders", "catalog");
        assertThat(gold.subscriptionRequired()).isTrue();
        assertThat(gold.state()).isEqualTo(ProductConfig.State.NOT_PUBLISHED);
        assertThat(gold.policy()).isNotNull();
        assertThat(m.products().get(1).subscriptionRequired()).isFalse();
        assertThat(m.products().get(1).name()).isEqualTo("free");
        SubscriptionConfig alice = m.subscriptions().get(0);
        assertThat(alice.scope()).isEqualTo(new SubscriptionConfig.Scope(SubscriptionConfig.Scope.Kind.PRODUCT, "gold"));
        assertThat(alice.state()).isEqualTo(SubscriptionConfig.State.ACTIVE);
        assertThat(alice.owner().email()).isEqualTo("alice@contoso.test");
        assertThat(alice.toString()).doesNotContain(KEY_A);
        SubscriptionConfig bob = m.subscriptions().get(1);
        assertThat(bob.name()).isEqualTo("Bob's key");
        assertThat(bob.state()).isEqualTo(SubscriptionConfig.State.SUSPENDED);
        assertThat(r.config().subscriptionKeys().get("alice").primary().revealString()).isEqualTo(KEY_A);
        assertThat(r.config().subscriptionKeys().get("alice").secondary()).isNull();
        assertThat(r.config().subscriptionKeys().get("bob").secondary().revealString()).isEqualTo(KEY_B);
        assertThat(r.config().subscriptionKeys().toString()).doesNotContain(KEY_A).doesNotContain(KEY_B);
        // the product policy composes global -> product -> API at load, per product and API
        assertThat(r.config().policies().forProduct("gold", "orders")).isNotNull();
        assertThat(r.config().policies().forProduct("gold", "catalog")).isNotNull();
        assertThat(r.config().policies().forProduct("free", "catalog")).isNull(); // no document: the API's own
    }

    @Test
    void referencesScopesAndIdsAreChecked() throws IOException {
        ConfigResult r = load("""
                products:
                  - id: gold
                    apis: [orders, ordrs]
                  - id: gold
                    apis: []
                subscriptions:
                  - id: s1
                    scope: /products/glod
                    primaryKey: %s
                  - id: s2
                    scope: /apis/nope
                    primaryKey: %s
                  - id: s3
                    scope: /tenants/x
                    primaryKey: 11112222333344445555
                  - id: s4
                    scope: /apis
                  - id: s1
                    scope: /apis
                    primaryKey: 99998888777766665555
                    state: activ
                """.formatted(KEY_A, KEY_B));
        String out = r.diagnostics().render();
        assertThat(r.config()).isNull();
        assertThat(out).contains("config.yaml:18:20:").contains("product 'gold' names api 'ordrs', which is not defined "
                + "under 'apis' (did you mean 'orders'?)");
        assertThat(out).contains("duplicate product id 'gold'");
        assertThat(out).contains("subscription 's1' is scoped to product 'glod', which is not defined under 'products' "
                + "(did you mean 'gold'?)");
        assertThat(out).contains("subscription 's2' is scoped to api 'nope'");
        assertThat(out).contains("subscription 's3' has scope '/tenants/x' (expected /apis for every API");
        assertThat(out).contains("subscription 's4' has no key");
        assertThat(out).contains("duplicate subscription id 's1'");
        assertThat(out).contains("unknown subscription state 'activ'").contains("did you mean 'active'?");
    }

    @Test
    void aSharedKeyIsAnErrorThatNeverShowsTheKeyAndAShortKeyAWarning() throws IOException {
        ConfigResult r = load("""
                subscriptions:
                  - id: s1
                    scope: /apis
                    primaryKey: %s
                  - id: s2
                    scope: /apis/orders
                    primaryKey: %s
                    secondaryKey: %s
                """.formatted(KEY_A, KEY_B, KEY_A));
        String out = r.diagnostics().render();
        assertThat(out).contains("config.yaml:23:19:").contains("subscription 's2' secondaryKey is the same key as subscription "
                + "'s1' primaryKey");
        assertThat(out).doesNotContain(KEY_A).doesNotContain(KEY_B);
        ConfigResult shortKey = load("""
                subscriptions:
                  - id: s1
                    scope: /apis
                    primaryKey: abc123
                """);
        assertThat(shortKey.config()).isNotNull();
        assertThat(shortKey.diagnostics().render()).contains("warning").contains("'primaryKey' is shorter than 16 characters")
                .doesNotContain(": abc123\n");
    }

    @Test
    void anApiInTwoOpenProductsIsAnErrorAndApprovalRequiredAWarning() throws IOException {
        ConfigResult r = load("""
                products:
                  - id: free1
                    apis: [orders]
                    subscriptionRequired: false
                    approvalRequired: true
                  - id: free2
                    apis: [orders]
                    subscriptionRequired: false
                    state: draft
                """);
        String out = r.diagnostics().render();
        assertThat(out).contains("api 'orders' is in two open products ('free1' and 'free2')");
        assertThat(out).contains("approvalRequired has no effect");
        assertThat(out).contains("unknown product state 'draft' (expected: published or notPublished)");
    }

    @Test
    void keyParameterNamesMustBeNames() throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                apis:
                  - id: orders
                    path: orders
                    serviceUrl: http://backend.local:9080
                    subscriptionRequired: maybe
                    subscriptionKeyParameterNames:
                      header: "X Api Key"
                      query: "a&b"
                      querry: x
                """);
        String out = ConfigLoader.load(file, Map.of()).diagnostics().render();
        assertThat(out).contains("expected true or false for 'subscriptionRequired'");
        assertThat(out).contains("subscription key header 'X Api Key' in api 'orders' is not a header name");
        assertThat(out).contains("subscription key query parameter 'a&b' in api 'orders' is not a query parameter name");
        assertThat(out).contains("querry").contains("did you mean 'query'");
    }

    /**
     * The README's "Products and subscriptions" example loads without a diagnostic. Its Key Vault
     * key is swapped for an environment variable (no vault can be reached here; Key Vault keys are
     * tested against a fake vault in gatehouse-proxy's SubscriptionKeyVaultTest).
     */
    @Test
    void theReadmeExampleLoads() throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "<!-- products-config -->\\s*```yaml\\n(.*?)```\\s*<!-- /products-config -->", java.util.regex.Pattern.DOTALL)
                .matcher(Files.readString(ReadmeWalkthroughConfigTest.repositoryRoot().resolve("README.md")));
        assertThat(m.find()).as("README.md has the products-config block").isTrue();
        String block = m.group(1);
        String vault = """
                    secondaryKey:
                      keyVault:
                        secretIdentifier: https://contoso-vault.vault.azure.net/secrets/clinic-app-key
                """;
        assertThat(block).contains(vault);
        block = block.replace(vault, "    secondaryKey: ${env:CLINIC_APP_KEY2}\n");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/partners.xml"), "<policies><inbound><base /></inbound><backend><base />"
                + "</backend><outbound><base /></outbound></policies>");
        Path file = dir.resolve("readme.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                """ + block);
        ConfigResult r = ConfigLoader.load(file, Map.of("CLINIC_APP_KEY", KEY_A, "CLINIC_APP_KEY2", KEY_B));
        // the one remark: the example has no hostnames section, so no handshake asks for the certificate
        assertThat(r.diagnostics().all()).as(r.diagnostics().render()).singleElement()
                .satisfies(d -> assertThat(d.message()).contains("api 'records' requires a client certificate"));
        assertThat(r.config().model().products()).hasSize(2);
        assertThat(r.config().policies().forProduct("partners", "records")).isNotNull();
    }
}
