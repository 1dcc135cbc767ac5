package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatehouse explain} says whether a route needs a subscription key and which products apply to it. */
class ExplainSubscriptionsTest {
    @TempDir
    Path tmp;

    @Test
    void theReportNamesTheKeyRuleAndTheProducts() {
        TestWorld world = new TestWorld(tmp.resolve("pki"));
        GatewayHarness.write(tmp.resolve("gatehouse.yaml"), """
                gateway:
                  listeners:
                    - port: 8443
                %s%s%s
                products:
                  - id: gold
                    apis: [orders]
                    policyXml: <policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound></policies>
                  - id: public
                    apis: [catalog]
                    subscriptionRequired: false
                subscriptions:
                  - id: a
                    scope: /products/gold
                    primaryKey: 0123456789abcdef0123456789abcdef
                  - id: b
                    scope: /apis
                    primaryKey: fedcba9876543210fedcba9876543210
                    state: suspended
                apis:
                  - id: orders
                    path: orders
                    serviceUrl: http://127.0.0.1:9
                    subscriptionRequired: true
                    subscriptionKeyParameterNames: {header: X-Key, query: k}
                  - id: catalog
                    path: catalog
                    serviceUrl: http://127.0.0.1:9
                    subscriptionRequired: true
                """.formatted(E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world)));
        ConfigResult r = ConfigLoader.load(tmp.resolve("gatehouse.yaml"));
        assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
        String orders = Explainer.explain(r.config(), List.of(), null, "GET", "/orders/1").text();
        assertThat(orders).contains("subscription key: required (header 'X-Key', else query parameter 'k'); without one: "
                + "401 SubscriptionKeyNotFound").contains("products: 'gold' (its policy runs for its requests)")
                .contains("active subscriptions whose scope covers it: 1");
        String catalog = Explainer.explain(r.config(), List.of(), null, "GET", "/catalog/1").text();
        assertThat(catalog).contains("without one: allowed, in the context of open product 'public'")
                .contains("products: 'public' (open)").contains("active subscriptions whose scope covers it: 0");
    }
}
