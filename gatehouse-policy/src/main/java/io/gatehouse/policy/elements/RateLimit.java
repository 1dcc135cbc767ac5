package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
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
 * Counters live in the environment's {@link CounterStore}, one per gateway node by default. The
 * {@code <api>}/{@code <operation>} children (product scope) are not supported.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/rate-limit-policy">APIM rate-limit</a>
 */
public final class RateLimit implements Policy {
    public static final PolicyType TYPE = new PolicyType("rate-limit", EnumSet.of(Section.INBOUND), RateLimit::compile);

    private final int calls;
    private final Duration period;
    private final Limits.Location location;
    private final Limits.Reporting reporting;
    private final CounterStore store;

    private RateLimit(int calls, Duration period, Limits.Location location, Limits.Reporting reporting, CounterStore store) {
        this.calls = calls;
        this.period = period;
        this.location = location;
        this.reporting = reporting;
        this.store = store;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, Stream.concat(Stream.of("calls", "renewal-period"), Stream.of(Limits.Reporting.ATTRIBUTES))
                .toArray(String[]::new));
        boolean ok = Limits.noProductChildren(e, ctx);
        int calls = required(a, "calls");
        int period = required(a, "renewal-period");
        Limits.Reporting reporting = Limits.Reporting.read(a);
        if (!ok || calls < 0 || period < 0) {
            return null;
        }
        return new RateLimit(calls, Duration.ofSeconds(period), Limits.Location.of("rate-limit", ctx), reporting, ctx.environment().counterStore());
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
        CounterStore.Count c = store.tryAddSliding(location.key(exchange.context()), 1, calls, period);
        if (!c.allowed()) {
            long retry = c.secondsToReset();
            String msg = "Rate limit is exceeded. Try again in " + retry + " seconds.";
            throw new PolicyRejection(429, "rate-limit", "RateLimitExceeded", msg, msg, reporting.refused(exchange, calls, retry));
        }
        reporting.allowed(exchange, calls, c.count());
        return DONE;
    }
}
