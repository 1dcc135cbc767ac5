package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.EnumSet;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;

/**
 * {@code <rate-limit calls="20" renewal-period="90" [retry-after-header-name] [retry-after-variable-name]
 * [remaining-calls-header-name] [remaining-calls-variable-name] [total-calls-header-name]/>}: at most
 * {@code calls} calls per {@code renewal-period} seconds, counted where the policy is written (per
 * API below global scope; per subscription once Gatehouse has them). A call over the limit fails
 * with 429, {@code Retry-After}, and {@code context.LastError} Source {@code rate-limit}, Reason
 * {@code RateLimitExceeded}.
 *
 * <p>Calls are counted over a sliding window, as on APIM: at any moment, the calls of the last
 * {@code renewal-period} seconds (in tenths of the period, see {@link InMemoryCounterStore}),
 * so a burst at the end of one period cannot be followed by a full burst at the start of the next.
 * Counters live in the environment's {@link CounterStore}, one per gateway node by default.
 *
 * <p>{@code <api name|id calls renewal-period>} children, with {@code <operation name|id calls
 * renewal-period/>} inside them, add limits that apply only to the requests of that API or
 * operation (APIM writes them at product scope; here they work at any scope), each counted
 * in its own counter in addition to the policy's own limit (see {@link Limits.Child}). A call
 * one of them refuses gets that limit's 429 and {@code Retry-After}, and is not counted by the others.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/rate-limit-policy">APIM rate-limit</a>
 */
public final class RateLimit implements Policy {
    public static final PolicyType TYPE = new PolicyType("rate-limit", EnumSet.of(Section.INBOUND), RateLimit::compile);

    /** An {@code <api>} or {@code <operation>} child's limit: calls per sliding period. */
    record Calls(int calls, Duration period) {
    }

    private final int calls;
    private final Duration period;
    private final Limits.Location location;
    private final Limits.Reporting reporting;
    private final LimitCounters store;
    private final List<Limits.Child<Calls>> children;

    private RateLimit(int calls, Duration period, Limits.Location location, Limits.Reporting reporting, LimitCounters store,
                      List<Limits.Child<Calls>> children) {
        this.calls = calls;
        this.period = period;
        this.location = location;
        this.reporting = reporting;
        this.store = store;
        this.children = List.copyOf(children);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, Stream.concat(Stream.of("calls", "renewal-period"), Stream.of(Limits.Reporting.ATTRIBUTES))
                .toArray(String[]::new));
        int calls = required(a, "calls");
        int period = required(a, "renewal-period");
        Limits.Reporting reporting = Limits.Reporting.read(a);
        List<Limits.Child<Calls>> children = Limits.children(e, ctx, ca -> {
            int c = required(ca, "calls");
            int p = required(ca, "renewal-period");
            return c < 0 || p < 0 ? null : new Calls(c, Duration.ofSeconds(p));
        }, "calls", "renewal-period");
        if (children == null || calls < 0 || period < 0) {
            return null;
        }
        return new RateLimit(calls, Duration.ofSeconds(period), Limits.Location.of("rate-limit", ctx), reporting, ctx.environment().limitCounters(),
                children);
    }

    /** A required whole number of at least 1, or -1 after reporting. */
    static int required(Attributes a, String name) {
        if (!a.has(name)) {
            a.missing(name);
            return -1;
        }
        return a.integer(name, -1, 1, Integer.MAX_VALUE);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String key = location.key(exchange.context());
        java.util.concurrent.CompletableFuture<CounterStore.Count> f = store.tryAddSlidingAsync(key, 1, calls, period).toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return counted(exchange, key, f.getNow(null));
        }
        return f.thenCompose(c -> counted(exchange, key, c));
    }

    /** The policy's own counter answered {@code c}: refuse, or check the API's and operation's limits, then report. */
    private CompletionStage<Void> counted(Exchange exchange, String key, CounterStore.Count c) {
        if (!c.allowed()) {
            throw refuse(exchange, calls, c);
        }
        CompletionStage<Void> rest = children.isEmpty() ? DONE : children(exchange, key, 0, null);
        return Limits.then(rest, v -> reporting.allowed(exchange, calls, c.count()));
    }

    /**
     * The API's and operation's limits from {@code from} on, each counting the call in its own
     * counter; a call one of them refuses is taken back from those that had counted it
     * ({@code counted}) and from the policy's own counter.
     */
    private CompletionStage<Void> children(Exchange exchange, String key, int from, List<Object[]> counted) {
        for (int i = from; i < children.size(); i++) {
            Limits.Child<Calls> child = children.get(i);
            if (!child.matches(exchange.context())) {
                continue;
            }
            String childKey = child.key(location, exchange.context());
            int next = i + 1;
            CompletionStage<CounterStore.Count> answer = store.tryAddSlidingAsync(childKey, 1, child.limit().calls(), child.limit().period());
            java.util.concurrent.CompletableFuture<CounterStore.Count> f = answer.toCompletableFuture();
            if (f.isDone() && !f.isCompletedExceptionally()) {
                CounterStore.Count cc = f.getNow(null);
                counted = childCounted(exchange, key, childKey, child, cc, counted);
                continue;
            }
            List<Object[]> sofar = counted;
            return f.thenCompose(cc -> children(exchange, key, next, childCounted(exchange, key, childKey, child, cc, sofar)));
        }
        return DONE;
    }

    private List<Object[]> childCounted(Exchange exchange, String key, String childKey, Limits.Child<Calls> child, CounterStore.Count cc,
                                        List<Object[]> counted) {
        if (!cc.allowed()) {
            store.tryAddSlidingAsync(key, -1, Long.MAX_VALUE, period);
            for (int j = 0; counted != null && j < counted.size(); j++) {
                store.tryAddSlidingAsync((String) counted.get(j)[0], -1, Long.MAX_VALUE, (Duration) counted.get(j)[1]);
            }
            throw refuse(exchange, child.limit().calls(), cc);
        }
        List<Object[]> out = counted == null ? new ArrayList<>(2) : counted;
        out.add(new Object[] {childKey, child.limit().period()});
        return out;
    }

    private PolicyRejection refuse(Exchange exchange, int limit, CounterStore.Count c) {
        long retry = c.secondsToReset();
        String msg = "Rate limit is exceeded. Try again in " + retry + " seconds.";
        return new PolicyRejection(429, "rate-limit", "RateLimitExceeded", msg, msg, reporting.refused(exchange, limit, retry));
    }
}
