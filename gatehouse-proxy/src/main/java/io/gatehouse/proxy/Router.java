package io.gatehouse.proxy;

import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.policy.EffectivePolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Picks the API by the longest {@code path} prefix (on segment boundaries), then the operation by
 * method and URL template. Built once per config; {@link #route} allocates only for template
 * parameters.
 */
final class Router {

    /** A matched route: the API, the operation (null when the API lists none) and the rest of the path. */
    record Match(ApiRoute api, OperationRoute operation, String remainder, Map<String, String> parameters,
                 EffectivePolicy productPolicy) {
        Match(ApiRoute api, OperationRoute operation, String remainder, Map<String, String> parameters) {
            this(api, operation, remainder, parameters, null);
        }

        /** The effective policy for this request, or null when no scope has one. */
        EffectivePolicy policy() {
            if (productPolicy != null) {
                return productPolicy;
            }
            return operation != null ? operation.policy() : api.policy();
        }

        /**
         * This match in product {@code productId}'s context: the product's composition (global,
         * product, API and operation, made at load and kept on the route) runs instead of the API's
         * own; unchanged when the product has no policy document.
         */
        Match inProduct(String productId) {
            EffectivePolicy policy = operation != null ? operation.productPolicies().get(productId)
                    : api.productPolicies().get(productId);
            return policy == null ? this : new Match(api, operation, remainder, parameters, policy);
        }
    }

    /**
     * One API with its compiled operations and the target it forwards to.
     *
     * @param policy the API-scope effective policy (null: none at any scope, stream straight through)
     * @param productPolicies by product id, the compositions for requests in a product's context
     *     (only products with a policy document)
     */
    record ApiRoute(ApiConfig config, String prefix, List<OperationRoute> operations, UpstreamTarget target,
                    EffectivePolicy policy, Map<String, EffectivePolicy> productPolicies) {
    }

    /** One operation; {@code productPolicies} as on {@link ApiRoute}, for this operation. */
    record OperationRoute(OperationConfig config, String method, UrlTemplate template, EffectivePolicy policy,
                          Map<String, EffectivePolicy> productPolicies) {
    }

    /** Where a route's policies come from: the config's compositions, looked up once when the routes are built. */
    interface Policies {
        Policies NONE = new Policies() {
            @Override
            public EffectivePolicy api() {
                return null;
            }

            @Override
            public EffectivePolicy operation(OperationConfig op) {
                return null;
            }

            @Override
            public Map<String, EffectivePolicy> products(OperationConfig op) {
                return Map.of();
            }
        };

        /** The API's own composition (global and API), or null. */
        EffectivePolicy api();

        /** The operation's own composition, or null. */
        EffectivePolicy operation(OperationConfig op);

        /** By product id, the product compositions for the API ({@code op} null) or one operation. */
        Map<String, EffectivePolicy> products(OperationConfig op);
    }

    private final List<ApiRoute> apis; // longest prefix first

    Router(List<ApiRoute> apis) {
        List<ApiRoute> sorted = new ArrayList<>(apis);
        sorted.sort(Comparator.comparingInt((ApiRoute a) -> a.prefix().length()).reversed());
        this.apis = List.copyOf(sorted);
    }

    static ApiRoute api(ApiConfig config, UpstreamTarget target, Policies policies) {
        String path = config.path() == null ? "" : config.path();
        String prefix = path.isEmpty() ? "" : "/" + path;
        List<OperationRoute> ops = new ArrayList<>();
        for (OperationConfig op : config.operations()) {
            String m = op.method() == null ? "*" : op.method().toUpperCase(Locale.ROOT);
            ops.add(new OperationRoute(op, m, UrlTemplate.compile(op.urlTemplate()), policies.operation(op),
                    Map.copyOf(policies.products(op))));
        }
        ops.sort(Comparator.comparingInt((OperationRoute o) -> o.template().specificity()).reversed());
        return new ApiRoute(config, prefix, List.copyOf(ops), target, policies.api(), Map.copyOf(policies.products(null)));
    }

    /**
     * Routes a request path (no query string) and method; null when no API or operation matches
     * (404 OperationNotFound).
     */
    Match route(String method, String path) {
        for (ApiRoute api : apis) {
            String remainder = remainder(path, api.prefix());
            if (remainder == null) {
                continue;
            }
            if (api.operations().isEmpty() && api.config().openApi() == null) {
                return new Match(api, null, remainder, Map.of()); // no operations listed: everything under the API
            }
            for (OperationRoute op : api.operations()) {
                if (!op.method().equals("*") && !op.method().equals(method)) {
                    continue;
                }
                Map<String, String> params = op.template().match(remainder);
                if (params != null) {
                    return new Match(api, op, remainder, params);
                }
            }
            return null; // the API matched by path but none of its operations did
        }
        return null;
    }

    /** The path after the prefix ("" or starting with '/'), or null when the prefix does not apply. */
    private static String remainder(String path, String prefix) {
        if (prefix.isEmpty()) {
            return path;
        }
        if (!path.startsWith(prefix)) {
            return null;
        }
        if (path.length() == prefix.length()) {
            return "";
        }
        return path.charAt(prefix.length()) == '/' ? path.substring(prefix.length()) : null;
    }
}
