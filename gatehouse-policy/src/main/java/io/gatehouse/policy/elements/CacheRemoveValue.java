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
 * {@code <cache-remove-value key="..." caching-type="prefer-external"/>}: removes the value cached
 * under {@code key} (a policy expression allowed). Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cache-remove-value-policy">APIM cache-remove-value</a>
 */
public final class CacheRemoveValue implements Policy {
    public static final PolicyType TYPE = new PolicyType("cache-remove-value", PolicyType.ALL, CacheRemoveValue::compile);

    private final Value<String> key;
    private final AsyncValueCache cache;

    private CacheRemoveValue(Value<String> key, AsyncValueCache cache) {
        this.key = key;
        this.cache = cache;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "key", "caching-type");
        ctx.noContent(e);
        Value<String> key = a.requiredString("key");
        AsyncValueCache cache = CacheAttributes.store(a, ctx);
        return key == null || cache == null ? null : new CacheRemoveValue(key, cache);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        if (k != null) {
            return Limits.settled(cache.removeAsync(k)); // as cache-store-value
        }
        return DONE;
    }
}
