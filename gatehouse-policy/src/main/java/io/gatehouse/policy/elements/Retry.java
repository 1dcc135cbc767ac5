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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code <retry condition="@(...)" count="3" interval="1" [max-interval] [delta] first-fast-retry="false">}
 * policies {@code </retry>}: runs its policies, then, while {@code condition} is true and fewer than
 * {@code count} retries were made, waits and runs them again. The wait (seconds) is
 * {@code interval} (fixed); with {@code delta}, {@code interval + (n-1)*delta} (linear); with
 * {@code delta} and {@code max-interval}, {@code interval + (2^(n-1)-1) * delta * random(0.8, 1.2)}
 * capped at {@code max-interval} (exponential); {@code first-fast-retry} makes the first retry
 * immediate. Waits are scheduled (no thread sleeps), so the request's thread is never blocked.
 *
 * <p>An attempt whose policies fail (e.g. the backend cannot be reached) is retried like one
 * whose condition holds, as long as the condition is true and retries remain; the last failure is
 * then reported as usual. Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/retry-policy">APIM retry</a>
 */
public final class Retry implements Policy {
    public static final PolicyType TYPE = new PolicyType("retry", PolicyType.ALL, Retry::compile);

    private final Value<Boolean> condition;
    private final int count;
    private final int interval;
    private final int maxInterval;
    private final int delta;
    private final boolean firstFastRetry;
    private final Block body;

    private Retry(Value<Boolean> condition, int count, int interval, int maxInterval, int delta, boolean firstFastRetry, Block body) {
        this.condition = condition;
        this.count = count;
        this.interval = interval;
        this.maxInterval = maxInterval;
        this.delta = delta;
        this.firstFastRetry = firstFastRetry;
        this.body = body;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "condition", "count", "interval", "max-interval", "delta", "first-fast-retry");
        Value<Boolean> condition = null;
        if (!a.has("condition")) {
            a.missing("condition");
        } else {
            condition = a.booleanValue("condition", false);
        }
        int count = required(a, "count", 1, 50);
        int interval = required(a, "interval", 0, 300);
        int maxInterval = a.integer("max-interval", -1, 0, 300);
        int delta = a.integer("delta", -1, 0, 300);
        boolean fast = a.bool("first-fast-retry", false);
        if (a.has("max-interval") && !a.has("delta")) {
            ctx.error(a.position("max-interval"), "<retry>: max-interval applies only with delta (exponential retry)");
            return null;
        }
        Block body = ctx.block(e);
        if (condition == null || count < 0 || interval < 0) {
            return null;
        }
        return new Retry(condition, count, interval, maxInterval, delta, fast, body);
    }

    private static int required(Attributes a, String name, int min, int max) {
        if (!a.has(name)) {
            a.missing(name);
            return -1;
        }
        return a.integer(name, -1, min, max);
    }

    /** The wait before retry {@code n} (1-based), in milliseconds. */
    long delayMillis(int n) {
        if (n == 1 && firstFastRetry) {
            return 0;
        }
        if (delta < 0) {
            return interval * 1000L;
        }
        if (maxInterval < 0) {
            return (interval + (long) (n - 1) * delta) * 1000L;
        }
        double jitter = delta * ThreadLocalRandom.current().nextDouble(0.8, 1.2);
        double seconds = interval + (Math.pow(2, n - 1) - 1) * jitter;
        return (long) (Math.min(seconds, maxInterval) * 1000);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return attempt(exchange, 0);
    }

    private CompletionStage<Void> attempt(Exchange exchange, int retriesDone) {
        CompletionStage<Void> stage;
        try {
            stage = body.apply(exchange);
        } catch (GatewayException g) {
            stage = CompletableFuture.failedStage(g);
        }
        return stage.handle((v, t) -> {
            boolean again = retriesDone < count && !exchange.isResponded() && holds(exchange);
            if (!again) {
                return t == null ? DONE : CompletableFuture.<Void>failedStage(unwrap(t));
            }
            int n = retriesDone + 1;
            long delay = delayMillis(n);
            if (delay == 0) {
                return attempt(exchange, n);
            }
            Executor later = CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS);
            return CompletableFuture.supplyAsync(() -> null, later).thenCompose(x -> attempt(exchange, n));
        }).thenCompose(s -> s);
    }

    private boolean holds(Exchange exchange) {
        Boolean b = condition.get(exchange);
        return b != null && b;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    @Override
    public Policy withBase(Policy parentSection) {
        Block b = body.withBase(parentSection);
        return b == body ? this : new Retry(condition, count, interval, maxInterval, delta, firstFastRetry, b);
    }
}
