package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@code <quota calls="10000" bandwidth="40000" renewal-period="3600"/>}: at most {@code calls}
 * calls and/or {@code bandwidth} kilobytes per {@code renewal-period} seconds (0: never renewed),
 * counted where the policy is written, like {@code rate-limit}. Over quota is 403 with
 * {@code context.LastError} Source {@code quota}, Reason {@code QuotaExceeded}.
 *
 * <p>Bandwidth counts the request body when the policy runs and the response body when the
 * response leaves (by its {@code Content-Length} when the gateway streams it); the check happens
 * when the policy runs, so the response that crosses the quota is still delivered.
 *
 * <p>{@code <api name|id [calls] [bandwidth] renewal-period>} children, with {@code <operation .../>}
 * inside them, add quotas that apply only to the requests of that API or operation (APIM writes
 * them at product scope; here they work at any scope), each in its own counter in addition to
 * the policy's own quota (see {@link Limits.Child}). Every quota that applies is checked before
 * any of them counts the call, so a call one refuses (403) is counted by none.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/quota-policy">APIM quota</a>
 */
public final class Quota implements Policy {
    public static final PolicyType TYPE = new PolicyType("quota", EnumSet.of(Section.INBOUND), Quota::compile);

    /** renewal-period="0": the counter never starts again. */
    static final Duration FOREVER = Duration.ofDays(365L * 1000);

    /** What quota and quota-by-key share once the counter key is known. */
    record Limit(String source, long calls, long kilobytes, Duration period) {
        static Limit read(String source, Attributes a, CompileContext ctx) {
            return read(source, a, ctx, null);
        }

        /**
         * Reads a limit; an {@code <api>} or {@code <operation>} that names no renewal-period
         * takes {@code inherited}, the enclosing quota's (APIM's policy statement writes none on
         * them).
         */
        static Limit read(String source, Attributes a, CompileContext ctx, Duration inherited) {
            long calls = a.has("calls") ? a.integer("calls", -1, 1, Integer.MAX_VALUE) : 0;
            long kb = a.has("bandwidth") ? a.integer("bandwidth", -1, 1, Integer.MAX_VALUE) : 0;
            if (!a.has("calls") && !a.has("bandwidth")) {
                ctx.error(a.element().position(), "<" + a.element().name() + "> needs 'calls', 'bandwidth' (kilobytes) or both");
                return null;
            }
            int period;
            if (!a.has("renewal-period")) {
                if (inherited != null) {
                    return calls < 0 || kb < 0 ? null : new Limit(source, calls, kb, inherited);
                }
                a.missing("renewal-period");
                return null;
            }
            period = a.integer("renewal-period", -1, 0, Integer.MAX_VALUE);
            if (calls < 0 || kb < 0 || period < 0) {
                return null;
            }
            return new Limit(source, calls, kb, period == 0 ? FOREVER : Duration.ofSeconds(period));
        }

        /**
         * Checks the quota and, when {@code counted}, counts the call and the request body now and
         * the response body when it leaves. With {@code later} (an increment-condition on the
         * response), only checks now and counts everything when the response leaves, if
         * {@code later} then says so.
         */
        CompletionStage<Void> count(Exchange exchange, LimitCounters store, String key, boolean counted, Supplier<Boolean> later) {
            return count(exchange, store, key, counted, later, 1);
        }

        /** Like the above, a counted call adding {@code increment} calls ({@code quota-by-key increment-count}). */
        CompletionStage<Void> count(Exchange exchange, LimitCounters store, String key, boolean counted, Supplier<Boolean> later,
                                    int increment) {
            boolean now = counted && later == null;
            CompletionStage<Void> checked = calls <= 0 ? DONE
                    : Limits.then(store.tryAddAsync(key + "|calls", now ? increment : 0, now ? calls : calls - Math.max(1, increment), period), c -> {
                        if (!c.allowed()) {
                            throw refuse("Out of call volume quota. Quota will be replenished in " + Limits.timeSpan(c.secondsToReset()) + ".",
                                    c.secondsToReset());
                        }
                    });
            long requestKb = kilobytes(exchange.context().request().body(), null);
            if (kilobytes > 0) {
                long kb = now ? requestKb : 0;
                checked = Limits.andThen(checked, () -> Limits.then(store.tryAddAsync(key + "|kb", kb, kb == 0 ? kilobytes - 1 : kilobytes, period), c -> {
                    if (!c.allowed()) {
                        throw refuse("Out of bandwidth quota. Quota will be replenished in " + Limits.timeSpan(c.secondsToReset()) + ".",
                                c.secondsToReset());
                    }
                }));
            }
            return Limits.then(checked, v -> {
                // counted when the response leaves, not waited for
                if (now && kilobytes > 0) {
                    exchange.onResponse(r -> store.tryAddAsync(key + "|kb", kilobytes(r.body(), r.headers().getValueOrDefault("Content-Length", null)),
                            Long.MAX_VALUE, period));
                } else if (later != null) {
                    exchange.onResponse(r -> {
                        if (!Boolean.TRUE.equals(later.get())) {
                            return;
                        }
                        if (calls > 0) {
                            store.tryAddAsync(key + "|calls", increment, Long.MAX_VALUE, period);
                        }
                        if (kilobytes > 0) {
                            store.tryAddAsync(key + "|kb", requestKb + kilobytes(r.body(), r.headers().getValueOrDefault("Content-Length", null)),
                                    Long.MAX_VALUE, period);
                        }
                    });
                }
            });
        }

        /** A body's size in whole kilobytes, rounded up; a streamed body (not buffered) by its Content-Length. */
        private static long kilobytes(MessageBody b, String contentLength) {
            long bytes = 0;
            if (b != null) {
                bytes = b.bytes().length;
            } else if (contentLength != null) {
                try {
                    bytes = Math.max(0, Long.parseLong(contentLength.strip()));
                } catch (NumberFormatException e) {
                    bytes = 0;
                }
            }
            return (bytes + 1023) / 1024;
        }

        /** 403 with {@code Retry-After}: the seconds until the quota is replenished, as APIM documents (none when it never is). */
        private PolicyRejection refuse(String msg, long secondsToReset) {
            Map<String, String> headers = !period.equals(FOREVER) && secondsToReset > 0 ? Map.of("Retry-After", Long.toString(secondsToReset)) : Map.of();
            return new PolicyRejection(403, source, "QuotaExceeded", msg, msg, headers);
        }
    }

    private final Limit limit;
    private final Limits.Location location;
    private final LimitCounters store;
    private final List<Limits.Child<Limit>> children;

    private Quota(Limit limit, Limits.Location location, LimitCounters store, List<Limits.Child<Limit>> children) {
        this.limit = limit;
        this.location = location;
        this.store = store;
        this.children = List.copyOf(children);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "calls", "bandwidth", "renewal-period");
        Limit limit = Limit.read("quota", a, ctx);
        List<Limits.Child<Limit>> children = Limits.children(e, ctx,
                ca -> Limit.read("quota", ca, ctx, limit == null ? null : limit.period()), "calls", "bandwidth", "renewal-period");
        return children != null && limit != null
                ? new Quota(limit, Limits.Location.of("quota", ctx), ctx.environment().limitCounters(), children) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String key = location.key(exchange.context());
        if (children.isEmpty()) {
            return limit.count(exchange, store, key, true, null);
        }
        List<Limits.Child<Limit>> matching = new ArrayList<>(2);
        for (Limits.Child<Limit> child : children) {
            if (child.matches(exchange.context())) {
                matching.add(child);
            }
        }
        // every quota that applies is checked before any counts the call: one that refuses leaves the others
        // untouched. The checks go together, then the counts (two round trips to a shared store, not one per quota).
        return Limits.andThen(together(exchange, key, matching, false), () -> together(exchange, key, matching, true));
    }

    /** The policy's quota and its children's that apply, checked ({@code counted} false) or counted, all at once. */
    private CompletionStage<Void> together(Exchange exchange, String key, List<Limits.Child<Limit>> matching, boolean counted) {
        List<CompletionStage<Void>> started = new ArrayList<>(1 + matching.size());
        started.add(limit.count(exchange, store, key, counted, null));
        for (Limits.Child<Limit> child : matching) {
            started.add(child.limit().count(exchange, store, child.key(location, exchange.context()), counted, null));
        }
        return Limits.together(started);
    }
}
