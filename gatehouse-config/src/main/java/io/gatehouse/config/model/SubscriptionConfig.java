package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;

/**
 * One APIM subscription ({@code subscriptions[]}): a named pair of keys a caller presents in the
 * API's subscription key header or query parameter, valid for the APIs of its scope.
 *
 * @param name the display name (the id when not given)
 * @param scope what the keys open, as APIM writes it ({@code /apis}, {@code /apis/{id}},
 *     {@code /products/{id}})
 * @param primaryKey the primary key, or null when it is read from Key Vault ({@code primaryKeyVault})
 *     or not given
 * @param primaryKeyVault the Key Vault secret holding the primary key, or null
 * @param state only {@link State#ACTIVE} subscriptions admit calls
 * @param allowTracing accepted for APIM exports ({@code gateway.trace} keys turn tracing on here)
 * @param owner the user the subscription belongs to ({@code context.User}), or null
 */
public record SubscriptionConfig(
        String id,
        String name,
        Scope scope,
        Secret primaryKey,
        CertificateConfig.KeyVaultRef primaryKeyVault,
        Secret secondaryKey,
        CertificateConfig.KeyVaultRef secondaryKeyVault,
        State state,
        boolean allowTracing,
        Owner owner,
        Position position) {

    /** A subscription's scope: every API, one API, or the APIs of one product. */
    public record Scope(Kind kind, String id) {
        public enum Kind { ALL_APIS, API, PRODUCT }

        /** As APIM writes it. */
        @Override
        public String toString() {
            return switch (kind) {
                case ALL_APIS -> "/apis";
                case API -> "/apis/" + id;
                case PRODUCT -> "/products/" + id;
            };
        }
    }

    /** {@code subscriptions[].owner}: fills {@code context.User}. */
    public record Owner(String id, String email, String firstName, String lastName) {
    }

    /** APIM's subscription states; only {@link #ACTIVE} admits calls. */
    public enum State {
        ACTIVE("active"), SUSPENDED("suspended"), CANCELLED("cancelled"), EXPIRED("expired"), REJECTED("rejected"),
        SUBMITTED("submitted");

        private final String label;

        State(String label) {
            this.label = label;
        }

        /** As written in the config (and APIM's exports). */
        public String label() {
            return label;
        }
    }

    /** Never shows a key. */
    @Override
    public String toString() {
        return "SubscriptionConfig[id=" + id + ", scope=" + scope + ", state=" + (state == null ? null : state.label())
                + ", position=" + position + "]";
    }
}
