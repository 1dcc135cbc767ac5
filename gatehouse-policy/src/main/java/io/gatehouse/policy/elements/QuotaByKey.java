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

import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <quota-by-key calls="100" bandwidth="1024" renewal-period="86400" counter-key="@(...)" [increment-condition="@(...)"]
 * [increment-count="1"]/>}: (increment-count, a number or an expression, is how many calls one request counts as)
 * {@code quota} with the counter chosen per request by {@code counter-key}. As with
 * rate-limit-by-key, an {@code increment-condition} that reads {@code context.Response} is
 * evaluated on the response that leaves (the call is checked first, counted after); any other
 * condition when the policy runs.
 * {@code first-period-start} is accepted with a warning: windows start at the first counted call.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/quota-by-key-policy">APIM quota-by-key</a>
 */
public final class QuotaByKey implements Policy {
    public static final PolicyType TYPE = new PolicyType("quota-by-key", EnumSet.of(Section.INBOUND), QuotaByKey::compile);

    private final Quota.Limit limit;
    private final Value<String> key;
    private final Value<Boolean> condition;
    private final Value<Integer> increment;
    private final LimitCounters store;
    private final boolean conditionOnResponse;

    private QuotaByKey(Quota.Limit limit, Value<String> key, Value<Boolean> condition, Value<Integer> increment, LimitCounters store) {
        this.limit = limit;
        this.key = key;
        this.condition = condition;
        this.increment = increment;
        this.store = store;
        this.conditionOnResponse = Limits.readsResponse(condition);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "calls", "bandwidth", "renewal-period", "counter-key", "increment-condition", "increment-count",
                "first-period-start");
        ctx.noContent(e);
        Quota.Limit limit = Quota.Limit.read("quota-by-key", a, ctx);
        Value<String> key = a.requiredString("counter-key");
        Value<Boolean> condition = a.booleanValue("increment-condition", true);
        Value<Integer> increment = a.has("increment-count") ? a.integerValue("increment-count", 0, Integer.MAX_VALUE) : Value.constant(1);
        if (a.has("first-period-start")) {
            ctx.warning(a.position("first-period-start"), "first-period-start on <quota-by-key> is not supported yet: quota windows start at the first counted call");
        }
        return limit == null || key == null || condition == null || increment == null ? null
                : new QuotaByKey(limit, key, condition, increment, ctx.environment().limitCounters());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = key.get(exchange);
        if (k == null) {
            throw new GatewayException(500, "quota-by-key", GatewayException.EXPRESSION_FAILURE, "quota-by-key: counter-key evaluated to null");
        }
        String counter = "quota-by-key|" + limit.period().toSeconds() + "|" + k;
        if (conditionOnResponse) {
            int n = RateLimitByKey.positive(increment, exchange, "quota-by-key", "increment-count", 0);
            return limit.count(exchange, store, counter, false, () -> condition.get(exchange), n);
        }
        Boolean counted = condition.get(exchange);
        return limit.count(exchange, store, counter, counted != null && counted, null,
                RateLimitByKey.positive(increment, exchange, "quota-by-key", "increment-count", 0));
    }
}
