package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.elements.cache.CacheAttributes;
import io.gatehouse.policy.elements.cache.AsyncValueCache;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * {@code <cache-store-value key="..." value="..." duration="seconds" caching-type="prefer-external"/>}:
 * caches {@code value} under {@code key} for {@code duration} seconds. {@code key}, {@code value}
 * and {@code duration} may be policy expressions; a null value is not stored. Allowed in every
 * section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cache-store-value-policy">APIM cache-store-value</a>
 */
public final class CacheStoreValue implements Policy {
    public static final PolicyType TYPE = new PolicyType("cache-store-value", PolicyType.ALL, CacheStoreValue::compile);

    private final Value<String> key;
    private final Value<Object> value;
    private final Value<Integer> duration;
    private final AsyncValueCache cache;

    private CacheStoreValue(Value<String> key, Value<Object> value, Value<Integer> duration, AsyncValueCache cache) {
        this.key = key;
        this.value = value;
        this.duration = duration;
        this.cache = cache;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "key", "value", "duration", "caching-type");
        ctx.noContent(e);
        Value<String> key = a.requiredString("key");
        Value<Object> value = null;
        if (!a.has("value")) {
            a.missing("value");
        } else {
            value = ctx.value(a.raw("value"), Object.class, e.name(), t -> t);
        }
        Value<Integer> duration = null;
        if (!a.has("duration")) {
            a.missing("duration");
        } else {
            duration = a.integerValue("duration", 1, Integer.MAX_VALUE);
        }
        AsyncValueCache cache = CacheAttributes.store(a, ctx);
        if (key == null || value == null || duration == null || cache == null) {
            return null;
        }
        return new CacheStoreValue(key, value, duration, cache);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        Object v = value.get(exchange);
        Integer seconds = duration.get(exchange);
        if (seconds == null || seconds < 1) {
            throw new GatewayException(500, "cache-store-value", GatewayException.EXPRESSION_FAILURE,
                    "cache-store-value: duration " + seconds + " (expected: a whole number of seconds, at least 1)");
        }
        if (k != null && v != null) {
            // the external cache: waited for (at most its timeout), so a read that follows, here or on another
            // gateway, finds it; a failure is logged by the store, and the request goes on
            return Limits.settled(cache.putAsync(k, v, Duration.ofSeconds(seconds)));
        }
        return DONE;
    }
}
