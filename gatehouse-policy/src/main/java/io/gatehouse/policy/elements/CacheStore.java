package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.elements.cache.Pending;
import io.gatehouse.policy.elements.cache.ResponseCache;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code <cache-store duration="seconds" [cache-response="false"]/>} (outbound): stores the
 * response (status, headers, body) for {@code duration} seconds under the key the
 * {@code cache-lookup} of this request left after a miss; without such a lookup (or after a hit,
 * or for a request the lookup does not cache) it does nothing. Both attributes may be policy
 * expressions; a duration of 0 stores nothing (so the documented expression that copies the
 * backend's {@code max-age} works for {@code max-age=0} too).
 *
 * <p>Only a 200 is stored unless {@code cache-response} is true. A response whose
 * {@code Cache-Control} says {@code no-store} or {@code private} is never stored: the gateway's
 * cache is shared. {@code Set-Cookie} and hop-by-hop headers are not stored. The policy reads the
 * response body, so the gateway buffers it.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cache-store-policy">APIM cache-store</a>
 */
public final class CacheStore implements Policy {
    public static final PolicyType TYPE = new PolicyType("cache-store", EnumSet.of(Section.OUTBOUND), CacheStore::compile);

    /** Headers that belong to one connection or one caller, never to a stored response. */
    private static final Set<String> NOT_STORED = Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding",
            "te", "trailer", "upgrade", "set-cookie", "age");

    private final Value<Integer> duration;
    private final Value<Boolean> cacheResponse;

    private CacheStore(Value<Integer> duration, Value<Boolean> cacheResponse) {
        this.duration = duration;
        this.cacheResponse = cacheResponse;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "duration", "cache-response");
        ctx.noContent(e);
        Value<Integer> duration = null;
        if (!a.has("duration")) {
            a.missing("duration");
        } else {
            duration = a.integerValue("duration", 0, Integer.MAX_VALUE);
        }
        Value<Boolean> cacheResponse = a.booleanValue("cache-response", false);
        if (duration == null || cacheResponse == null) {
            return null;
        }
        ctx.readsBody(false, true);
        return new CacheStore(duration, cacheResponse);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Pending p = exchange.pendingCacheStore();
        if (p == null) {
            return DONE;
        }
        exchange.pendingCacheStore(null);
        Integer seconds = duration.get(exchange);
        if (seconds == null || seconds < 0) {
            throw new GatewayException(500, "cache-store", GatewayException.EXPRESSION_FAILURE,
                    "cache-store: duration evaluated to " + seconds + " (expected: a whole number of seconds, 0 or more)");
        }
        Response r = exchange.context().response();
        String why = refusal(r, seconds, Boolean.TRUE.equals(cacheResponse.get(exchange)));
        if (why == null) {
            MessageBody b = r.body();
            byte[] body = b == null ? new byte[0] : b.bytes();
            String contentType = b != null && b.contentType() != null ? b.contentType() : r.headers().getValueOrDefault("Content-Type", null);
            List<Map.Entry<String, List<String>>> kept = new ArrayList<>();
            for (Map.Entry<String, List<String>> h : r.headers().entries()) {
                if (!NOT_STORED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                    kept.add(h);
                }
            }
            String cc = p.cacheControl(seconds);
            if (cc != null) {
                kept.removeIf(h -> h.getKey().equalsIgnoreCase("Cache-Control"));
                r.headers().set("Cache-Control", cc);
            }
            if (p.external() != null) {
                ResponseCache.Entry e = new ResponseCache.Entry(r.statusCode(), r.statusReason() == null ? "" : r.statusReason(), kept, body,
                        contentType, 0, Duration.ofSeconds(seconds).toNanos());
                if (e.weight() > p.cache().maxEntryBytes()) {
                    why = "the response is larger than the cache takes per entry (" + p.cache().maxEntryBytes() + " bytes)";
                } else {
                    exchange.trace(new TraceEntry("cache-store", "information", "stored for " + seconds + " seconds (external cache)", Map.of()));
                    // waited for (at most the external cache's timeout), so the next lookup, on any gateway, finds it
                    java.util.concurrent.CompletableFuture<Void> put = p.external()
                            .putResponse(p.key(), e.toBytes(System.currentTimeMillis()), Duration.ofSeconds(seconds)).toCompletableFuture();
                    return put.isDone() ? DONE : put.handle((v, t) -> null);
                }
            } else if (!p.cache().put(p.key(), r.statusCode(), r.statusReason() == null ? "" : r.statusReason(), kept, body, contentType,
                    Duration.ofSeconds(seconds))) {
                why = "the response is larger than the cache takes per entry (" + p.cache().maxEntryBytes() + " bytes)";
            }
        }
        exchange.trace(new TraceEntry("cache-store", "information",
                why == null ? "stored for " + seconds + " seconds" : "not stored: " + why, Map.of()));
        return DONE;
    }

    /** Why this response is not stored, or null when it is. */
    private static String refusal(Response r, int seconds, boolean anyStatus) {
        if (seconds == 0) {
            return "duration is 0";
        }
        if (r.statusCode() != 200 && !anyStatus) {
            return "status " + r.statusCode() + " (only 200 is stored unless cache-response is true)";
        }
        for (String directive : r.headers().getValueOrDefault("Cache-Control", "").split(",")) {
            String d = directive.strip().toLowerCase(Locale.ROOT);
            int eq = d.indexOf('=');
            String name = eq < 0 ? d : d.substring(0, eq).strip();
            if (name.equals("no-store") || name.equals("private")) {
                return "the backend's Cache-Control says " + name;
            }
        }
        return null;
    }
}
