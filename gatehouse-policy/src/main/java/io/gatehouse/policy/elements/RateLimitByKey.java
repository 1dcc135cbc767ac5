package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;

/**
 * {@code <rate-limit-by-key calls="10" renewal-period="60" counter-key="@(context.Request.IpAddress)"
 * [increment-condition="@(...)"] [increment-count="1"] .../>}: like {@code rate-limit}, but the
 * counter is chosen per request by {@code counter-key} (shared by every rate-limit-by-key with the
 * same key and period). {@code calls}, {@code renewal-period} and {@code increment-count} may be
 * expressions. Like rate-limit, it counts over a sliding window.
 *
 * <p>An {@code increment-condition} that reads {@code context.Response} (APIM's example:
 * {@code @(context.Response.StatusCode == 200)}) is evaluated on the response that finally leaves
 * (through {@link Exchange#onResponse}): the call is checked against the limit when the policy
 * runs and counted afterwards if the condition holds, so concurrent calls in flight may together
 * pass the limit by the number in flight. Any other condition is evaluated when the policy runs;
 * when false, the call is checked against the limit but not counted.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy">APIM rate-limit-by-key</a>
 */
public final class RateLimitByKey implements Policy {
    public static final PolicyType TYPE = new PolicyType("rate-limit-by-key", EnumSet.of(Section.INBOUND), RateLimitByKey::compile);

    private final Value<Integer> calls;
    private final Value<Integer> period;
    private final Value<String> key;
    private final Value<Boolean> condition;
    private final Value<Integer> increment;
    private final Limits.Reporting reporting;
    private final LimitCounters store;
    private final boolean conditionOnResponse;

    private RateLimitByKey(Value<Integer> calls, Value<Integer> period, Value<String> key, Value<Boolean> condition,
                           Value<Integer> increment, Limits.Reporting reporting, LimitCounters store) {
        this.calls = calls;
        this.period = period;
        this.key = key;
        this.condition = condition;
        this.increment = increment;
        this.reporting = reporting;
        this.store = store;
        this.conditionOnResponse = Limits.readsResponse(condition);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, Stream.concat(Stream.of("calls", "renewal-period", "counter-key", "increment-condition",
                "increment-count"), Stream.of(Limits.Reporting.ATTRIBUTES)).toArray(String[]::new));
        ctx.noContent(e);
        Value<Integer> calls = requiredInt(a, "calls", 1);
        Value<Integer> period = requiredInt(a, "renewal-period", 1);
        Value<String> key = a.requiredString("counter-key");
        Value<Boolean> condition = a.booleanValue("increment-condition", true);
        Value<Integer> increment = a.has("increment-count") ? a.integerValue("increment-count", 0, Integer.MAX_VALUE) : Value.constant(1);
        Limits.Reporting reporting = Limits.Reporting.read(a);
        if (calls == null || period == null || key == null || condition == null || increment == null) {
            return null;
        }
        return new RateLimitByKey(calls, period, key, condition, increment, reporting, ctx.environment().limitCounters());
    }

    static Value<Integer> requiredInt(Attributes a, String name, int min) {
        if (!a.has(name)) {
            a.missing(name);
            return null;
        }
        return a.integerValue(name, min, Integer.MAX_VALUE);
    }

    static int positive(Value<Integer> v, Exchange exchange, String policy, String attribute, int min) {
        Integer i = v.get(exchange);
        if (i == null || i < min) {
            throw new GatewayException(500, policy, GatewayException.EXPRESSION_FAILURE,
                    policy + ": " + attribute + " evaluated to " + i + " (expected: a whole number of at least " + min + ")");
        }
        return i;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        if (k == null) {
            throw new GatewayException(500, "rate-limit-by-key", GatewayException.EXPRESSION_FAILURE,
                    "rate-limit-by-key: counter-key evaluated to null");
        }
        int limit = positive(calls, exchange, "rate-limit-by-key", "calls", 1);
        int seconds = positive(period, exchange, "rate-limit-by-key", "renewal-period", 1);
        String counter = "rate-limit-by-key|" + seconds + "|" + k;
        Duration window = Duration.ofSeconds(seconds);
        if (conditionOnResponse) {
            // checked now (allowed while there is room for this call), counted once the response is known
            int amount = positive(increment, exchange, "rate-limit-by-key", "increment-count", 0);
            return Limits.then(store.tryAddSlidingAsync(counter, 0, Math.max(0, limit - Math.max(1, amount)), window), c -> {
                refuseUnless(c, exchange, limit);
                reporting.allowed(exchange, limit, c.count() + amount);
                exchange.onResponse(r -> {
                    if (Boolean.TRUE.equals(condition.get(exchange)) && amount > 0) {
                        store.tryAddSlidingAsync(counter, amount, Long.MAX_VALUE, window); // not waited for
                    }
                });
            });
        }
        Boolean counted = condition.get(exchange);
        int amount = counted != null && counted ? positive(increment, exchange, "rate-limit-by-key", "increment-count", 0) : 0;
        // not counted (increment-condition false): only checked, i.e. allowed while the counter is below the limit
        return Limits.then(store.tryAddSlidingAsync(counter, amount, amount == 0 ? limit - 1 : limit, window), c -> {
            refuseUnless(c, exchange, limit);
            reporting.allowed(exchange, limit, c.count());
        });
    }

    private void refuseUnless(CounterStore.Count c, Exchange exchange, int limit) {
        if (!c.allowed()) {
            long retry = c.secondsToReset();
            String msg = "Rate limit is exceeded. Try again in " + retry + " seconds.";
            throw new PolicyRejection(429, "rate-limit-by-key", "RateLimitExceeded", msg, msg, reporting.refused(exchange, limit, retry));
        }
    }
}
