package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.elements.cache.CacheAttributes;
import io.gatehouse.policy.elements.cache.AsyncValueCache;
import io.gatehouse.policy.xml.XmlElement;

import java.util.concurrent.CompletionStage;

/**
 * {@code <cache-lookup-value key="..." variable-name="..." default-value="..." caching-type="prefer-external"/>}:
 * sets {@code context.Variables[variable-name]} to the value cached under {@code key}; on a miss
 * to {@code default-value} when given, otherwise the variable is left as it was. {@code key} and
 * {@code default-value} may be policy expressions. Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cache-lookup-value-policy">APIM cache-lookup-value</a>
 */
public final class CacheLookupValue implements Policy {
    public static final PolicyType TYPE = new PolicyType("cache-lookup-value", PolicyType.ALL, CacheLookupValue::compile);

    private final Value<String> key;
    private final Value<Object> defaultValue;
    private final String variable;
    private final AsyncValueCache cache;

    private CacheLookupValue(Value<String> key, Value<Object> defaultValue, String variable, AsyncValueCache cache) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.variable = variable;
        this.cache = cache;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "key", "default-value", "variable-name", "caching-type");
        ctx.noContent(e);
        Value<String> key = a.requiredString("key");
        String variable = a.requiredText("variable-name");
        Value<Object> def = a.has("default-value") ? ctx.value(a.raw("default-value"), Object.class, e.name(), t -> t) : null;
        AsyncValueCache cache = CacheAttributes.store(a, ctx);
        if (key == null || variable == null || variable.isBlank() || cache == null || (a.has("default-value") && def == null)) {
            return null;
        }
        return new CacheLookupValue(key, def, variable, cache);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        if (k == null) {
            found(exchange, null);
            return DONE;
        }
        java.util.concurrent.CompletableFuture<Object> got = cache.getAsync(k).toCompletableFuture();
        if (got.isDone() && !got.isCompletedExceptionally()) { // the in-memory cache: answered already
            found(exchange, got.getNow(null));
            return DONE;
        }
        // the external cache: a failure or a timeout is a miss (the store logs and counts it)
        return got.handle((v, t) -> {
            found(exchange, t == null ? v : null);
            return null;
        });
    }

    private void found(Exchange exchange, Object cached) {
        Object v = cached;
        if (v == null && defaultValue != null) {
            v = defaultValue.get(exchange);
        }
        if (v != null) {
            exchange.context().variables().set(variable, v);
        }
    }
}
