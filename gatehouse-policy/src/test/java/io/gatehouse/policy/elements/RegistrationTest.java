package io.gatehouse.policy.elements;

import io.gatehouse.policy.spi.PolicyRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every policy implemented here is reachable from the built-in registry, and none is still listed as "not yet". */
class RegistrationTest {
    private static final List<String> IMPLEMENTED = List.of("set-query-parameter", "set-method", "rewrite-uri", "check-header",
            "ip-filter", "mock-response", "authentication-basic", "cors", "rate-limit", "rate-limit-by-key", "quota", "quota-by-key",
            "limit-concurrency", "find-and-replace", "json-to-xml", "xml-to-json",
            "validate-jwt", "validate-azure-ad-token", "validate-graphql-request", "validate-odata-request",
            "validate-content", "validate-parameters", "validate-headers", "validate-status-code", "cache-lookup-value", "cache-store-value", "cache-remove-value",
            "send-request", "send-one-way-request", "retry", "wait",
            "cache-lookup", "cache-store", "emit-metric", "redirect-content-urls", "jsonp", "cross-domain",
            "authentication-managed-identity", "xsl-transform", "proxy", "publish-to-dapr", "invoke-dapr-binding",
            "llm-token-limit", "azure-openai-token-limit", "llm-emit-token-metric", "azure-openai-emit-token-metric");

    @Test
    void everyImplementedPolicyIsRegistered() {
        PolicyRegistry r = PolicyRegistry.builtIn();
        for (String name : IMPLEMENTED) {
            assertThat(r.find(name)).as(name).isNotNull();
            assertThat(r.find(name).name()).isEqualTo(name);
            assertThat(r.isKnownButUnsupported(name)).as(name).isFalse();
        }
    }

    @Test
    void stillUnimplementedPoliciesStayLoadTimeErrors() {
        PolicyRegistry r = PolicyRegistry.builtIn();
        for (String name : List.of("set-graphql-resolver", "sql-data-source")) {
            assertThat(r.find(name)).as(name).isNull();
            assertThat(r.isKnownButUnsupported(name)).as(name).isTrue();
        }
    }
}
