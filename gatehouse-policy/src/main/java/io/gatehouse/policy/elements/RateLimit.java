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
        if (!children.isEmpty()) {
            return withChildren(exchange, key);
        }
        java.util.concurrent.CompletableFuture<CounterStore.Count> f = store.tryAddSlidingAsync(key, 1, calls, period).toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return counted(exchange, f.getNow(null));
        }
        return f.thenCompose(c -> counted(exchange, c));
    }

    /** The policy's own counter answered {@code c}: refuse, or report. */
    private CompletionStage<Void> counted(Exchange exchange, CounterStore.Count c) {
        if (!c.allowed()) {
            throw refuse(exchange, calls, c);
        }
        reporting.allowed(exchange, calls, c.count());
        return DONE;
    }

    /**
     * The policy's counter and those of its API and operation limits that apply count the call
     * together (one round trip to a shared store, not one per counter).
     */
    private CompletionStage<Void> withChildren(Exchange exchange, String key) {
        List<Limits.Child<Calls>> matching = new ArrayList<>(2);
        for (Limits.Child<Calls> child : children) {
            if (child.matches(exchange.context())) {
                matching.add(child);
            }
        }
        int n = 1 + matching.size();
        String[] keys = new String[n];
        Duration[] periods = new Duration[n];
        java.util.concurrent.CompletableFuture<?>[] answers = new java.util.concurrent.CompletableFuture<?>[n];
        keys[0] = key;
        periods[0] = period;
        answers[0] = store.tryAddSlidingAsync(key, 1, calls, period).toCompletableFuture();
        boolean done = answers[0].isDone();
        for (int i = 1; i < n; i++) {
            Limits.Child<Calls> child = matching.get(i - 1);
            keys[i] = child.key(location, exchange.context());
            periods[i] = child.limit().period();
            answers[i] = store.tryAddSlidingAsync(keys[i], 1, child.limit().calls(), periods[i]).toCompletableFuture();
            done &= answers[i].isDone();
        }
        if (done) {
            return decided(exchange, matching, keys, periods, answers);
        }
        return java.util.concurrent.CompletableFuture.allOf(answers).handle((v, t) -> null)
                .thenCompose(x -> decided(exchange, matching, keys, periods, answers));
    }

    /**
     * Every counter has answered: the first that refused (or failed) in order, the policy's own
     * first, decides; a call refused anywhere is taken back from every counter that counted it.
     */
    private CompletionStage<Void> decided(Exchange exchange, List<Limits.Child<Calls>> matching, String[] keys, Duration[] periods,
                                          java.util.concurrent.CompletableFuture<?>[] answers) {
        int first = -1;
        for (int i = 0; i < answers.length && first < 0; i++) {
            if (answers[i].isCompletedExceptionally() || !((CounterStore.Count) answers[i].getNow(null)).allowed()) {
                first = i;
            }
        }
        if (first < 0) {
            reporting.allowed(exchange, calls, ((CounterStore.Count) answers[0].getNow(null)).count());
            return DONE;
        }
        for (int i = 0; i < answers.length; i++) {
            if (!answers[i].isCompletedExceptionally() && ((CounterStore.Count) answers[i].getNow(null)).allowed()) {
                store.tryAddSlidingAsync(keys[i], -1, Long.MAX_VALUE, periods[i]);
            }
        }
        if (answers[first].isCompletedExceptionally()) {
            return answers[first].thenApply(v -> (Void) null); // the store's failure (503 when it fails closed)
        }
        throw refuse(exchange, first == 0 ? calls : matching.get(first - 1).limit().calls(),
                (CounterStore.Count) answers[first].getNow(null));
    }

    private PolicyRejection refuse(Exchange exchange, int limit, CounterStore.Count c) {
        long retry = c.secondsToReset();
        String msg = "Rate limit is exceeded. Try again in " + retry + " seconds.";
        return new PolicyRejection(429, "rate-limit", "RateLimitExceeded", msg, msg, reporting.refused(exchange, limit, retry));
    }
}
