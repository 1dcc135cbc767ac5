package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code <limit-concurrency key="@(...)" max-count="3"> policies </limit-concurrency>}: at most
 * {@code max-count} requests with the same key run the enclosed policies at once (typically
 * around {@code forward-request}); one more fails at once with 429 and {@code context.LastError}
 * Source {@code limit-concurrency}, Reason {@code ConcurrencyLimitExceeded} (Gatehouse's name; APIM
 * documents only the status). The slot is given back when the enclosed policies finish, however
 * they finish. Slots are per gateway node ({@link CounterStore#local()}).
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/limit-concurrency-policy">APIM limit-concurrency</a>
 */
public final class LimitConcurrency implements Policy {
    public static final PolicyType TYPE = new PolicyType("limit-concurrency", PolicyType.ALL, LimitConcurrency::compile);

    private final Value<String> key;
    private final int max;
    private final Block body;
    private final CounterStore store;

    private LimitConcurrency(Value<String> key, int max, Block body, CounterStore store) {
        this.key = key;
        this.max = max;
        this.body = body;
        this.store = store;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "key", "max-count");
        Value<String> key = a.requiredString("key");
        int max = -1;
        if (!a.has("max-count")) {
            a.missing("max-count");
        } else {
            max = a.integer("max-count", -1, 1, Integer.MAX_VALUE);
        }
        Block body = ctx.block(e);
        return key == null || max < 1 ? null : new LimitConcurrency(key, max, body, CounterStore.local());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        if (k == null) {
            throw new GatewayException(500, "limit-concurrency", GatewayException.EXPRESSION_FAILURE, "limit-concurrency: key evaluated to null");
        }
        String slot = "limit-concurrency|" + k;
        if (!store.tryAcquire(slot, max)) {
            throw new PolicyRejection(429, "limit-concurrency", "ConcurrencyLimitExceeded",
                    "More than " + max + " concurrent requests for this key. Try again later.", null, Map.of());
        }
        CompletionStage<Void> stage;
        try {
            stage = body.apply(exchange);
        } catch (RuntimeException | Error t) {
            store.release(slot);
            throw t;
        }
        if (stage == DONE) {
            store.release(slot);
            return DONE;
        }
        CompletableFuture<Void> f = stage.toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            store.release(slot);
            return stage;
        }
        return stage.whenComplete((v, t) -> store.release(slot));
    }

    @Override
    public Policy withBase(Policy parentSection) {
        Block b = body.withBase(parentSection);
        return b == body ? this : new LimitConcurrency(key, max, b, store);
    }
}
