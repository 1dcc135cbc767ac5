package io.gatehouse.expr.context;

/**
 * {@code context.Api.SubscriptionKeyParameterNames}: the header and query parameter that carry an
 * API's subscription key ({@code apis[].subscriptionKeyParameterNames}).
 */
public record SubscriptionKeyParameterNames(String header, String query) {
    /** APIM's names, for an API that names none. */
    public static final SubscriptionKeyParameterNames DEFAULT =
            new SubscriptionKeyParameterNames("Ocp-Apim-Subscription-Key", "subscription-key");
}
