package io.gatehouse.expr.context;

import java.util.List;

/**
 * {@code context.Product}: the product whose context the request runs in (its subscription's
 * product, or the API's open product for a request without a key); null otherwise.
 *
 * @param state APIM's {@code ProductState}: {@code Published} or {@code NotPublished}
 * @param apis the product's APIs ({@code context.Product.Apis})
 */
public record Product(String id, String name, boolean subscriptionRequired, boolean approvalRequired, String state,
                      List<ApiInfo> apis) {

    public Product {
        apis = apis == null ? List.of() : List.copyOf(apis);
    }

    /** A published product requiring subscriptions, with no APIs listed. */
    public Product(String id, String name) {
        this(id, name, true, false, "Published", List.of());
    }
}
