package io.gatehouse.proxy;

import io.gatehouse.common.Secret;
import io.gatehouse.config.LoadedConfig;
import io.gatehouse.config.SubscriptionKeys;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.ProductConfig;
import io.gatehouse.config.model.SubscriptionConfig;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Product;
import io.gatehouse.expr.context.Subscription;
import io.gatehouse.expr.context.User;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscription key check, as APIM makes it (docs: "Subscriptions in Azure API Management"):
 * built once per config ({@link GatewaySnapshot}), asked once per request after routing and after
 * the client-certificate check.
 *
 * <ul>
 *   <li>The key is the API's header ({@code Ocp-Apim-Subscription-Key} by default), else its query
 *       parameter ({@code subscription-key}). Both stay on the request, as in APIM.</li>
 *   <li>With a key: it must be a key of an {@code active} subscription whose scope covers the API,
 *       whatever the API's {@code subscriptionRequired}; else 401 invalid. A product-scoped
 *       subscription puts the request in its product's context.</li>
 *   <li>Without a key: the API's open product (at most one) puts the request in its context; else
 *       an API with {@code subscriptionRequired: false} is served; else 401 missing.</li>
 * </ul>
 *
 * <p>Keys are found by their SHA-256 in a map made at load, then compared with the stored key in
 * constant time ({@link MessageDigest#isEqual}). No key is ever put in a message, a log line or a
 * metric: refusals name the subscription id at most.
 */
final class Subscriptions {
    /** Off: the config has no products, no subscriptions and no API that requires a key. */
    static final Subscriptions OFF = new Subscriptions(Map.of(), Map.of(), false);

    static final String MISSING_MESSAGE = "Access denied due to missing subscription key. Make sure to include "
            + "subscription key when making requests to an API.";
    static final String INVALID_MESSAGE = "Access denied due to invalid subscription key. Make sure to provide a valid "
            + "key for an active subscription.";

    /**
     * Who a request runs as: the {@code context.Subscription}, {@code context.Product} and
     * {@code context.User} its policies see (each may be null), and the product whose policy runs
     * (null: none, the API's own composition).
     */
    record Caller(Subscription subscription, Product product, User user, String productId) {
        static final Caller ANONYMOUS = new Caller(null, null, null, null);
    }

    /**
     * The answer for one request: {@code caller} when it may go on, else {@code refusal} with the
     * {@code WWW-Authenticate} challenge to send.
     */
    record Verdict(Caller caller, HostnameAccess.Refusal refusal, String challenge) {
        static final Verdict ANONYMOUS = new Verdict(Caller.ANONYMOUS, null, null);
    }

    /**
     * One subscription with what the policies see of it, made once per config: the answers for a
     * request with its primary and with its secondary key.
     */
    private record Entry(SubscriptionConfig config, Verdict primary, Verdict secondary) {
    }

    /** One stored key: the bytes compared in constant time, and which of its subscription's keys it is. */
    private record StoredKey(byte[] key, Entry entry, boolean primary) {
    }

    /** Per API: where it takes a key, whether it needs one, its open product, and who may call it. */
    private record ApiRule(ApiConfig.SubscriptionKeys names, Verdict open, java.util.Set<String> productIds) {
    }

    private final Map<SubscriptionKeys.Digest, StoredKey> byDigest;
    private final Map<String, ApiRule> byApi;
    private final boolean enabled;

    private Subscriptions(Map<SubscriptionKeys.Digest, StoredKey> byDigest, Map<String, ApiRule> byApi, boolean enabled) {
        this.byDigest = Map.copyOf(byDigest);
        this.byApi = Map.copyOf(byApi);
        this.enabled = enabled;
    }

    /** {@code context.Api.SubscriptionKeyParameterNames} of {@code api}: its header and query parameter names. */
    static io.gatehouse.expr.context.SubscriptionKeyParameterNames keyNames(ApiConfig api) {
        return new io.gatehouse.expr.context.SubscriptionKeyParameterNames(api.subscription().header(), api.subscription().query());
    }

    static Subscriptions of(LoadedConfig config) {
        var model = config.model();
        boolean any = !model.products().isEmpty() || !model.subscriptions().isEmpty()
                || model.apis().stream().anyMatch(a -> a.subscription().required());
        if (!any) {
            return OFF;
        }
        Map<String, ProductConfig> products = new LinkedHashMap<>();
        Map<String, Product> productViews = new HashMap<>();
        for (ProductConfig p : model.products()) {
            products.put(p.id(), p);
        }
        for (ProductConfig p : model.products()) {
            List<ApiInfo> apis = new ArrayList<>();
            for (String apiId : p.apis()) {
                model.api(apiId).ifPresent(a -> {
                    java.net.URI url = a.serviceUrl() != null ? a.serviceUrl()
                            : model.backend(a.backendId()).map(b -> b.url()).orElse(null);
                    apis.add(new ApiInfo(a.id(), a.id(), a.path(),
                            url == null ? null : io.gatehouse.expr.context.Url.parse(url.toString()), "", keyNames(a)));
                });
            }
            productViews.put(p.id(), new Product(p.id(), p.name(), p.subscriptionRequired(), p.approvalRequired(),
                    p.state() == ProductConfig.State.PUBLISHED ? "Published" : "NotPublished", apis));
        }
        Map<String, ApiRule> rules = new HashMap<>();
        for (ApiConfig api : model.apis()) {
            java.util.Set<String> in = new java.util.HashSet<>();
            Verdict open = null;
            for (ProductConfig p : model.products()) {
                if (p.apis().contains(api.id())) {
                    in.add(p.id());
                    if (!p.subscriptionRequired() && open == null) {
                        open = new Verdict(new Caller(null, productViews.get(p.id()), null, p.id()), null, null);
                    }
                }
            }
            rules.put(api.id(), new ApiRule(api.subscription(), open, java.util.Set.copyOf(in)));
        }
        Map<SubscriptionKeys.Digest, StoredKey> keys = new HashMap<>();
        for (SubscriptionConfig s : model.subscriptions()) {
            SubscriptionKeys k = config.subscriptionKeys().get(s.id());
            if (k == null) {
                continue;
            }
            Product product = s.scope().kind() == SubscriptionConfig.Scope.Kind.PRODUCT ? productViews.get(s.scope().id())
                    : null;
            User user = s.owner() == null ? null
                    : new User(s.owner().id(), s.owner().email(), s.owner().firstName(), s.owner().lastName());
            String productId = s.scope().kind() == SubscriptionConfig.Scope.Kind.PRODUCT ? s.scope().id() : null;
            Entry e = new Entry(s,
                    new Verdict(new Caller(new Subscription(s.id(), s.name(), k.primary(), k.secondary(), k.primary()),
                            product, user, productId), null, null),
                    new Verdict(new Caller(new Subscription(s.id(), s.name(), k.primary(), k.secondary(), k.secondary()),
                            product, user, productId), null, null));
            add(keys, k.primary(), e, true);
            add(keys, k.secondary(), e, false);
        }
        return new Subscriptions(keys, rules, true);
    }

    private static void add(Map<SubscriptionKeys.Digest, StoredKey> keys, Secret key, Entry e, boolean primary) {
        if (key == null) {
            return;
        }
        byte[] bytes = key.revealString().getBytes(StandardCharsets.UTF_8);
        // the config's checks refuse a key shared by two subscriptions: the first one stays if a caller skipped them
        keys.putIfAbsent(SubscriptionKeys.Digest.of(bytes), new StoredKey(bytes, e, primary));
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * Whether {@code api} may be called with what the request carries; see the class comment.
     * {@code scheme} and {@code host} make the challenge's realm.
     */
    Verdict check(ApiConfig api, HttpHeaders headers, String uri, String scheme, String host) {
        if (!enabled) {
            return Verdict.ANONYMOUS;
        }
        ApiRule rule = byApi.get(api.id());
        if (rule == null) {
            return Verdict.ANONYMOUS;
        }
        String key = presented(rule.names(), headers, uri);
        if (key == null) {
            if (rule.open() != null) {
                return rule.open();
            }
            if (!api.subscription().required()) {
                return Verdict.ANONYMOUS;
            }
            return refuse(FailureKind.SUBSCRIPTION_KEY_MISSING, "missing", "the API requires a subscription key and "
                    + "the request has none (header '" + rule.names().header() + "' or query parameter '"
                    + rule.names().query() + "')", api, rule, scheme, host);
        }
        byte[] presented = key.getBytes(StandardCharsets.UTF_8);
        StoredKey stored = byDigest.get(SubscriptionKeys.Digest.of(presented));
        if (stored == null || !MessageDigest.isEqual(stored.key(), presented)) {
            return refuse(FailureKind.SUBSCRIPTION_KEY_INVALID, "unknown_key", "the subscription key is not a key of "
                    + "any subscription", api, rule, scheme, host);
        }
        Entry e = stored.entry();
        SubscriptionConfig sub = e.config();
        if (sub.state() != SubscriptionConfig.State.ACTIVE) {
            return refuse(FailureKind.SUBSCRIPTION_KEY_INVALID, "not_active", "subscription '" + sub.id() + "' is "
                    + sub.state().label() + ", not active", api, rule, scheme, host);
        }
        var scope = sub.scope();
        boolean covers = switch (scope.kind()) {
            case ALL_APIS -> true;
            case API -> scope.id().equals(api.id());
            case PRODUCT -> rule.productIds().contains(scope.id());
        };
        if (!covers) {
            return refuse(FailureKind.SUBSCRIPTION_KEY_INVALID, "out_of_scope", "subscription '" + sub.id()
                    + "' (scope " + scope + ") does not cover api '" + api.id() + "'", api, rule, scheme, host);
        }
        return stored.primary() ? e.primary() : e.secondary();
    }

    /**
     * For {@code gatehouse explain}: whether the API needs a key, where it takes one, and which
     * products' policies can apply to it; null when subscriptions are off for the config.
     */
    static String describe(LoadedConfig config, ApiConfig api) {
        var model = config.model();
        boolean any = !model.products().isEmpty() || !model.subscriptions().isEmpty()
                || model.apis().stream().anyMatch(a -> a.subscription().required());
        if (!any) {
            return null;
        }
        ApiConfig.SubscriptionKeys names = api.subscription();
        StringBuilder out = new StringBuilder("subscription key: ");
        ProductConfig open = model.products().stream().filter(p -> !p.subscriptionRequired() && p.apis().contains(api.id()))
                .findFirst().orElse(null);
        out.append(api.subscription().required() ? "required" : "optional").append(" (header '").append(names.header())
                .append("', else query parameter '").append(names.query()).append("'); without one: ");
        if (open != null) {
            out.append("allowed, in the context of open product '").append(open.id()).append("'");
        } else if (api.subscription().required()) {
            out.append("401 SubscriptionKeyNotFound");
        } else {
            out.append("allowed");
        }
        out.append("; a key that opens no active subscription covering the API: 401 SubscriptionKeyInvalid\n");
        List<String> products = new ArrayList<>();
        for (ProductConfig p : model.products()) {
            if (p.apis().contains(api.id())) {
                products.add("'" + p.id() + "'" + (p.subscriptionRequired() ? "" : " (open)")
                        + (p.policy() == null ? "" : " (its policy runs for its requests)"));
            }
        }
        out.append("  products: ").append(products.isEmpty() ? "none" : String.join(", ", products)).append('\n');
        long subs = model.subscriptions().stream().filter(sub -> sub.state() == SubscriptionConfig.State.ACTIVE
                && switch (sub.scope().kind()) {
                    case ALL_APIS -> true;
                    case API -> sub.scope().id().equals(api.id());
                    case PRODUCT -> model.product(sub.scope().id()).map(p -> p.apis().contains(api.id())).orElse(false);
                }).count();
        out.append("  active subscriptions whose scope covers it: ").append(subs).append('\n');
        return out.toString();
    }

    private static Verdict refuse(FailureKind kind, String check, String message, ApiConfig api, ApiRule rule,
                                  String scheme, String host) {
        return new Verdict(null, new HostnameAccess.Refusal(kind, check, message), challenge(api, rule, scheme, host));
    }

    /**
     * APIM's challenge: {@code AzureApiManagementKey realm="https://HOST/PATH",name="HEADER",type="header"}.
     * The host is the request's, left out when it holds anything but host-name characters.
     */
    static String challenge(ApiConfig api, ApiRule rule, String scheme, String host) {
        String path = api.path() == null || api.path().isEmpty() ? "" : api.path();
        String realm = host != null && !host.isEmpty() && host.chars().allMatch(c -> c >= 'a' && c <= 'z'
                || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '['
                || c == ']') ? scheme + "://" + host + "/" + path : "/" + path;
        return "AzureApiManagementKey realm=\"" + realm + "\",name=\"" + rule.names().header() + "\",type=\"header\"";
    }

    /**
     * The key the request carries: the header's first value, else the query parameter's (decoded);
     * null when neither is there or both are empty.
     */
    static String presented(ApiConfig.SubscriptionKeys names, HttpHeaders headers, String uri) {
        String h = headers.get(names.header());
        if (h != null && !h.isBlank()) {
            return h.strip();
        }
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        String query = uri.substring(q + 1);
        int hash = query.indexOf('#');
        if (hash >= 0) {
            query = query.substring(0, hash);
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (decode(name).equals(names.query())) {
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                return v == null || v.isBlank() ? null : v;
            }
        }
        return null;
    }

    private static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException bad) {
            return s;
        }
    }

    /**
     * {@code uri} with the value of the key query parameter {@code name} (the API's, or the default
     * for a request that matched none) blanked, for the access log.
     */
    static String maskQueryKey(String uri, String name) {
        int q = uri == null ? -1 : uri.indexOf('?');
        if (q < 0 || uri.indexOf('%', q) < 0 && uri.indexOf(name, q) < 0) {
            return uri; // no query, or none that can name the key: nothing to copy (the access log's common case)
        }
        StringBuilder sb = new StringBuilder(uri.length()).append(uri, 0, q + 1);
        String[] pairs = uri.substring(q + 1).split("&", -1);
        for (int i = 0; i < pairs.length; i++) {
            String pair = pairs[i];
            int eq = pair.indexOf('=');
            if (eq >= 0 && decode(pair.substring(0, eq)).equals(name)) {
                pair = pair.substring(0, eq + 1) + RequestTrace.REDACTED;
            }
            sb.append(i == 0 ? "" : "&").append(pair);
        }
        return sb.toString();
    }
}
