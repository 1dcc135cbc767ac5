package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.util.List;

/**
 * One APIM product ({@code products[]}): a group of APIs that subscriptions can be scoped to, with
 * a policy at product scope (global, product, API, operation).
 *
 * @param name the display name (the id when not given)
 * @param apis the ids of the APIs in the product
 * @param subscriptionRequired false makes an "open" product: a request without a key to one of its
 *     APIs is served in the product's context (its policy runs), as APIM does
 * @param approvalRequired accepted for APIM exports; it has no effect (there is no developer portal)
 * @param policy the product-scope policy document, or null
 */
public record ProductConfig(
        String id,
        String name,
        String description,
        List<String> apis,
        boolean subscriptionRequired,
        boolean approvalRequired,
        State state,
        PolicyRef policy,
        Position position) {

    public ProductConfig {
        apis = List.copyOf(apis);
    }

    /** {@code products[].state}: APIM's; access to the product's APIs is the same in both, as in APIM. */
    public enum State {
        PUBLISHED("published"), NOT_PUBLISHED("notPublished");

        private final String label;

        State(String label) {
            this.label = label;
        }

        /** As written in the config (and APIM's ARM templates). */
        public String label() {
            return label;
        }
    }
}
