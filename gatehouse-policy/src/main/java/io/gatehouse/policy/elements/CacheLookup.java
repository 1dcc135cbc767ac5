package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.elements.cache.CacheAttributes;
import io.gatehouse.policy.elements.cache.Pending;
import io.gatehouse.policy.elements.cache.ResponseCache;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
 * [caching-type="prefer-external"] [downstream-caching-type="none"] [must-revalidate="true"]
 * [allow-private-response-caching="false"]>} with {@code <vary-by-header>} and
 * {@code <vary-by-query-parameter>} children (inbound): answers a GET from the response cache when
 * a {@code cache-store} in outbound stored one for the same key, without calling the backend (the
 * rest of the pipeline is skipped, as after return-response). On a miss the key is left on the
 * exchange for {@code cache-store}.
 *
 * <p>The key is the API, the operation, the URL path, and the values of the listed query
 * parameters (one name per element, or several separated by ';') and headers; query parameters
 * that are not listed are not part of it, as on APIM. With {@code vary-by-developer} it includes
 * the caller: {@code context.User.Id}, else the subscription, else the client certificate's
 * thumbprint (Gatehouse's callers are often known only by their certificate). Gatehouse has no
 * user groups, so {@code vary-by-developer-groups} varies by the same caller identity, which is
 * never less private. Keys are SHA-256 digests: header values never sit in the cache.
 *
 * <p>Only GET is looked up; a request with an {@code Authorization} header is neither looked up
 * nor stored unless {@code allow-private-response-caching} is true. {@code downstream-caching-type}
 * {@code private}/{@code public} gives the response {@code Cache-Control: private|public,
 * max-age=<seconds left>} (plus {@code must-revalidate} unless turned off); {@code public} is
 * lowered to {@code private} when the response varies by caller. {@code none} leaves the
 * backend's {@code Cache-Control} as it was. With {@code gateway.externalCache}, {@code caching-type}
 * external and prefer-external (the default) look up and store in Redis, shared by every gateway
 * (a lookup that fails or times out is a miss); without one, external is an error and
 * prefer-external uses the internal cache.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cache-lookup-policy">APIM cache-lookup</a>
 */
public final class CacheLookup implements Policy {
    public static final PolicyType TYPE = new PolicyType("cache-lookup", EnumSet.of(Section.INBOUND), CacheLookup::compile);

    private final Value<Boolean> varyByDeveloper;
    private final Value<Boolean> varyByGroups;
    private final Value<String> downstream;
    private final Value<Boolean> mustRevalidate;
    private final Value<Boolean> allowPrivate;
    private final List<String> headers;
    private final List<String> queryParameters;
    private final ResponseCache cache;
    /** The external cache when caching-type sends entries there; null for the internal cache. */
    private final io.gatehouse.policy.spi.ExternalCache external;

    private CacheLookup(Value<Boolean> varyByDeveloper, Value<Boolean> varyByGroups, Value<String> downstream,
                        Value<Boolean> mustRevalidate, Value<Boolean> allowPrivate, List<String> headers,
                        List<String> queryParameters, ResponseCache cache, io.gatehouse.policy.spi.ExternalCache external) {
        this.varyByDeveloper = varyByDeveloper;
        this.varyByGroups = varyByGroups;
        this.downstream = downstream;
        this.mustRevalidate = mustRevalidate;
        this.allowPrivate = allowPrivate;
        this.headers = List.copyOf(headers);
        this.queryParameters = List.copyOf(queryParameters);
        this.cache = cache;
        this.external = external;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "vary-by-developer", "vary-by-developer-groups", "caching-type",
                "downstream-caching-type", "must-revalidate", "allow-private-response-caching");
        ctx.onlyChildren(e, "vary-by-header", "vary-by-query-parameter");
        long errors = ctx.diagnostics().errorCount();
        if (!a.has("vary-by-developer")) {
            a.missing("vary-by-developer");
        }
        if (!a.has("vary-by-developer-groups")) {
            a.missing("vary-by-developer-groups");
        }
        Value<Boolean> developer = a.booleanValue("vary-by-developer", false);
        Value<Boolean> groups = a.booleanValue("vary-by-developer-groups", false);
        Value<Boolean> revalidate = a.booleanValue("must-revalidate", true);
        Value<Boolean> allowPrivate = a.booleanValue("allow-private-response-caching", false);
        Value<String> downstream = Value.constant("none");
        if (a.has("downstream-caching-type")) {
            Value<String> v = a.string("downstream-caching-type");
            if (v != null && v.isConstant()) {
                v = Value.constant(downstreamType(v.constant()));
                if (v.constant() == null) {
                    ctx.error(a.position("downstream-caching-type"), "attribute 'downstream-caching-type' on <cache-lookup>: '"
                            + a.raw("downstream-caching-type").written() + "' (expected one of: none, private, public)");
                }
            }
            downstream = v;
        }
        String cachingType = CacheAttributes.type(a, ctx); // null after reporting a wrong one
        io.gatehouse.policy.spi.ExternalCache external = cachingType != null && !cachingType.equals("internal")
                ? ctx.environment().externalCache() : null;
        List<String> headers = new ArrayList<>();
        List<String> params = new ArrayList<>();
        for (XmlElement c : e.elements()) {
            if (!c.name().equals("vary-by-header") && !c.name().equals("vary-by-query-parameter")) {
                continue;
            }
            ctx.attributes(c);
            ctx.noElements(c);
            String text = c.textValue() == null ? "" : ctx.literal(c.textValue());
            if (text == null) { // reported: an unknown named value
                continue;
            }
            text = text.strip();
            if (CompileContext.isExpression(text)) {
                ctx.error(c.position(), "<" + c.name() + "> takes a name, not a policy expression");
                continue;
            }
            List<String> names = new ArrayList<>();
            for (String n : c.name().equals("vary-by-header") ? List.of(text) : List.of(text.split(";"))) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
            if (names.isEmpty()) {
                ctx.error(c.position(), "<" + c.name() + "> is empty (expected: a " + (c.name().equals("vary-by-header") ? "header" : "query parameter") + " name)");
            }
            (c.name().equals("vary-by-header") ? headers : params).addAll(names);
        }
        if (allowPrivate != null && allowPrivate.isConstant() && Boolean.TRUE.equals(allowPrivate.constant())
                && developer != null && Boolean.FALSE.equals(developer.constant()) && groups != null && Boolean.FALSE.equals(groups.constant())
                && headers.stream().noneMatch(h -> h.equalsIgnoreCase("Authorization"))) {
            ctx.warning(a.position("allow-private-response-caching"), "<cache-lookup allow-private-response-caching=\"true\"> without "
                    + "<vary-by-header>Authorization</vary-by-header> or vary-by-developer: one caller's private response will be served to others");
        }
        if (ctx.diagnostics().errorCount() > errors || cachingType == null || developer == null || groups == null || revalidate == null
                || allowPrivate == null || downstream == null) {
            return null;
        }
        return new CacheLookup(developer, groups, downstream, revalidate, allowPrivate,
                headers.stream().map(h -> h.toLowerCase(Locale.ROOT)).distinct().sorted().toList(),
                new ArrayList<>(new TreeSet<>(params)), ctx.environment().responseCache(), external);
    }

    /** {@code none}, {@code private} or {@code public} in that spelling, or null. */
    static String downstreamType(String v) {
        if (v == null) {
            return null;
        }
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "none" -> "none";
            case "private" -> "private";
            case "public" -> "public";
            default -> null;
        };
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        exchange.pendingCacheStore(null);
        if (!c.request().method().equalsIgnoreCase("GET")) {
            return DONE; // APIM looks up (and stores) GET only
        }
        boolean privateAllowed = Boolean.TRUE.equals(allowPrivate.get(exchange));
        if (c.request().headers().containsKey("Authorization") && !privateAllowed) {
            return DONE;
        }
        boolean perCaller = Boolean.TRUE.equals(varyByDeveloper.get(exchange)) || Boolean.TRUE.equals(varyByGroups.get(exchange));
        String type = downstreamType(downstream.get(exchange));
        if (type == null) {
            throw new GatewayException(500, "cache-lookup", GatewayException.EXPRESSION_FAILURE,
                    "cache-lookup: downstream-caching-type evaluated to '" + downstream.get(exchange) + "' (expected: none, private or public)");
        }
        if (type.equals("public") && (perCaller || privateAllowed)) {
            type = "private"; // a shared cache must not hand one caller's answer to another
        }
        String key = key(c, perCaller);
        Pending pending = new Pending(cache, key, type, !Boolean.FALSE.equals(mustRevalidate.get(exchange)), external);
        if (external != null) {
            // a failure or a timeout is a miss (the store logs and counts it)
            return external.getResponse(key).handle((b, t) -> {
                long nanos = cache.nanoTime();
                found(exchange, pending, t == null ? ResponseCache.Entry.fromBytes(b, nanos, System.currentTimeMillis()) : null, nanos);
                return null;
            });
        }
        found(exchange, pending, cache.get(key), cache.nanoTime());
        return DONE;
    }

    private void found(Exchange exchange, Pending pending, ResponseCache.Entry hit, long now) {
        PolicyContext c = exchange.context();
        if (hit == null) {
            exchange.pendingCacheStore(pending);
            exchange.trace(new TraceEntry("cache-lookup", "information", "cache miss", Map.of()));
            return;
        }
        answer(c.response(), hit, pending, now);
        exchange.trace(new TraceEntry("cache-lookup", "information", "cache hit: " + hit.status() + " answered from the cache", Map.of()));
        exchange.markResponded();
    }

    private static void answer(Response r, ResponseCache.Entry hit, Pending pending, long now) {
        Headers h = r.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        for (Map.Entry<String, List<String>> e : hit.headers()) {
            h.set(e.getKey(), e.getValue().toArray(String[]::new));
        }
        h.set("Age", Long.toString(hit.age(now)));
        String cc = pending.cacheControl(hit.secondsLeft(now));
        if (cc != null) {
            h.set("Cache-Control", cc);
        }
        r.statusCode(hit.status()).statusReason(hit.reason()).body(new MessageBody(hit.body().clone(), hit.contentType()));
    }

    private String key(PolicyContext c, boolean perCaller) {
        StringBuilder sb = new StringBuilder(128);
        part(sb, c.api() == null ? "" : c.api().id());
        part(sb, c.operation() == null ? "" : c.operation().id());
        part(sb, c.request().url() == null ? "" : c.request().url().path());
        for (String q : queryParameters) {
            part(sb, q);
            part(sb, c.request().url() == null ? null : c.request().url().queryValueOrDefault(q, null));
        }
        for (String name : headers) {
            part(sb, name);
            part(sb, c.request().headers().getValueOrDefault(name, null));
        }
        if (perCaller) {
            part(sb, caller(c));
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** A length-prefixed part, so no choice of values can make two different keys the same text. */
    private static void part(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("-|");
        } else {
            sb.append(s.length()).append(':').append(s).append('|');
        }
    }

    /** The developer identity for vary-by-developer: user, subscription, client certificate, else anonymous. */
    static String caller(PolicyContext c) {
        if (c.user() != null && c.user().id() != null) {
            return "user:" + c.user().id();
        }
        if (c.subscription() != null && c.subscription().id() != null) {
            return "subscription:" + c.subscription().id();
        }
        if (c.request().certificate() != null) {
            return "certificate:" + c.request().certificate().thumbprint();
        }
        return "anonymous";
    }
}
