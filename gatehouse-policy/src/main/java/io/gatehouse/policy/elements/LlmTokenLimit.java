package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <llm-token-limit counter-key="@(...)" [tokens-per-minute="5000"] [token-quota="100000"
 * token-quota-period="Hourly|Daily|Weekly|Monthly|Yearly"] [estimate-prompt-tokens="true|false"]
 * [retry-after-header-name] [retry-after-variable-name] [remaining-quota-tokens-header-name]
 * [remaining-quota-tokens-variable-name] [remaining-tokens-header-name] [remaining-tokens-variable-name]
 * [tokens-consumed-header-name] [tokens-consumed-variable-name]/>}, and {@code azure-openai-token-limit}
 * with the same attributes: limits the language-model tokens of the calls with the same
 * {@code counter-key}.
 *
 * <p>Tokens are counted from the {@code usage} the backend reports ({@link LlmTokens}): from the
 * JSON body, or from the usage chunk of a {@code text/event-stream}, read as the stream passes to
 * the client (never buffered). With {@code estimate-prompt-tokens="true"}, or when the request
 * asks for {@code "stream": true}, the prompt's tokens are estimated with OpenAI's encodings
 * before the call is forwarded and counted at once: a prompt that does not fit is refused without
 * reaching the backend; the estimate is replaced by the reported total when the response comes.
 * A long request body is read and estimated off the request's thread ({@link LlmTokens#withPrompt}).
 *
 * <p>{@code tokens-per-minute} counts over a sliding minute (the counter store's sliding window,
 * as rate-limit); going over is 429 with {@code Retry-After} and {@code context.LastError}
 * Reason {@code TokenLimitExceeded}. {@code token-quota} counts over a fixed window starting at
 * the UTC hour, day, week (Monday), month or year; going over is 403, Reason
 * {@code TokenQuotaExceeded}. A call is refused when the counter is already at the limit (or the
 * estimate does not fit): like APIM, concurrent calls may together pass the limit, since their
 * completions are only known afterwards.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/llm-token-limit-policy">APIM llm-token-limit</a>
 * @see <a href="https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy">APIM azure-openai-token-limit</a>
 */
public final class LlmTokenLimit implements Policy {
    public static final PolicyType TYPE = new PolicyType("llm-token-limit", EnumSet.of(Section.INBOUND),
            (e, ctx) -> compile("llm-token-limit", e, ctx));
    public static final PolicyType AZURE_OPENAI_TYPE = new PolicyType("azure-openai-token-limit", EnumSet.of(Section.INBOUND),
            (e, ctx) -> compile("azure-openai-token-limit", e, ctx));

    static final String[] ATTRIBUTES = {"counter-key", "tokens-per-minute", "token-quota", "token-quota-period",
            "estimate-prompt-tokens", "retry-after-header-name", "retry-after-variable-name",
            "remaining-quota-tokens-header-name", "remaining-quota-tokens-variable-name", "remaining-tokens-header-name",
            "remaining-tokens-variable-name", "tokens-consumed-header-name", "tokens-consumed-variable-name"};

    private static final Duration MINUTE = Duration.ofMinutes(1);

    /** A token-quota-period: its name and the window containing an instant. */
    enum Period {
        HOURLY("Hourly"), DAILY("Daily"), WEEKLY("Weekly"), MONTHLY("Monthly"), YEARLY("Yearly");

        final String label;

        Period(String label) {
            this.label = label;
        }

        static Period of(String label) {
            for (Period p : values()) {
                if (p.label.equals(label)) {
                    return p;
                }
            }
            throw new IllegalArgumentException(label);
        }

        /** The window's start, UTC, truncated to this period's unit. */
        ZonedDateTime start(Instant now) {
            ZonedDateTime t = now.atZone(ZoneOffset.UTC);
            return switch (this) {
                case HOURLY -> t.truncatedTo(ChronoUnit.HOURS);
                case DAILY -> t.truncatedTo(ChronoUnit.DAYS);
                case WEEKLY -> t.truncatedTo(ChronoUnit.DAYS).with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                case MONTHLY -> t.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
                case YEARLY -> t.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
            };
        }

        ZonedDateTime end(ZonedDateTime start) {
            return switch (this) {
                case HOURLY -> start.plusHours(1);
                case DAILY -> start.plusDays(1);
                case WEEKLY -> start.plusWeeks(1);
                case MONTHLY -> start.plusMonths(1);
                case YEARLY -> start.plusYears(1);
            };
        }
    }

    private final String source;
    private final Value<String> counterKey;
    private final Value<Integer> tokensPerMinute; // null: no rate limit
    private final long quota;                     // 0: no quota
    private final Period period;
    private final boolean estimate;
    private final LlmTokens.Tokenizer tokenizer;
    private final String retryAfterHeader;
    private final String retryAfterVariable;
    private final String remainingQuotaHeader;
    private final String remainingQuotaVariable;
    private final String remainingHeader;
    private final String remainingVariable;
    private final String consumedHeader;
    private final String consumedVariable;
    private final CounterStore store;
    private final Clock clock;

    private LlmTokenLimit(String source, Value<String> counterKey, Value<Integer> tokensPerMinute, long quota, Period period,
                          boolean estimate, LlmTokens.Tokenizer tokenizer, Attributes a, CounterStore store, Clock clock) {
        this.source = source;
        this.counterKey = counterKey;
        this.tokensPerMinute = tokensPerMinute;
        this.quota = quota;
        this.period = period;
        this.estimate = estimate;
        this.tokenizer = tokenizer;
        this.retryAfterHeader = a.text("retry-after-header-name", "Retry-After");
        this.retryAfterVariable = a.text("retry-after-variable-name", null);
        this.remainingQuotaHeader = a.text("remaining-quota-tokens-header-name", null);
        this.remainingQuotaVariable = a.text("remaining-quota-tokens-variable-name", null);
        this.remainingHeader = a.text("remaining-tokens-header-name", null);
        this.remainingVariable = a.text("remaining-tokens-variable-name", null);
        this.consumedHeader = a.text("tokens-consumed-header-name", null);
        this.consumedVariable = a.text("tokens-consumed-variable-name", null);
        this.store = store;
        this.clock = clock;
    }

    private static Policy compile(String name, XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, ATTRIBUTES);
        ctx.noContent(e);
        long errors = ctx.diagnostics().errorCount();
        Value<String> key = a.requiredString("counter-key");
        Value<Integer> tpm = a.has("tokens-per-minute") ? a.integerValue("tokens-per-minute", 1, Integer.MAX_VALUE) : null;
        long quota = a.has("token-quota") ? a.integer("token-quota", -1, 1, Integer.MAX_VALUE) : 0;
        String periodName = a.choice("token-quota-period", null, "Hourly", "Daily", "Weekly", "Monthly", "Yearly");
        if (a.has("token-quota") != a.has("token-quota-period")) {
            ctx.error(e.position(), "<" + name + "> needs 'token-quota' and 'token-quota-period' together (expected: both, e.g. "
                    + "token-quota=\"100000\" token-quota-period=\"Daily\")");
        }
        if (!a.has("tokens-per-minute") && !a.has("token-quota")) {
            ctx.error(e.position(), "<" + name + "> needs 'tokens-per-minute', or 'token-quota' with 'token-quota-period', or both");
        }
        // APIM lists estimate-prompt-tokens as required, but its own quota example leaves it out: false then
        boolean estimate = a.bool("estimate-prompt-tokens", false);
        if (ctx.diagnostics().errorCount() > errors || key == null || (a.has("tokens-per-minute") && tpm == null)) {
            return null;
        }
        // the request body tells whether the call streams (its prompt is then always estimated)
        ctx.readsBody(true, false);
        LlmTokens.Tokenizer tokenizer;
        try {
            tokenizer = LlmTokens.Tokenizer.load(); // once per process, at load: requests never read the BPE ranks
        } catch (RuntimeException | LinkageError x) {
            ctx.error(e.position(), "<" + name + ">: the tokenizer's encodings (cl100k_base, o200k_base) could not be loaded: " + x);
            return null;
        }
        return new LlmTokenLimit(name, key, tpm, quota, periodName == null ? null : Period.of(periodName), estimate, tokenizer, a,
                ctx.environment().counterStore(), ctx.environment().clock());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String k = counterKey.get(exchange);
        if (k == null) {
            throw new GatewayException(500, source, GatewayException.EXPRESSION_FAILURE, source + ": counter-key evaluated to null");
        }
        int tpm = tokensPerMinute == null ? 0 : RateLimitByKey.positive(tokensPerMinute, exchange, source, "tokens-per-minute", 1);
        return LlmTokens.withPrompt(LlmTokens.bytes(exchange.context().request().body()), estimate, tokenizer, p -> limit(exchange, k, tpm, p));
    }

    /** Checks and counts the call once its prompt is known; throws the refusal. */
    private void limit(Exchange exchange, String k, int tpm, LlmTokens.Prompt prompt) {
        long estimated = Math.max(0, prompt.estimate());
        String model = prompt.model();

        // the key is shared by llm-token-limit and azure-openai-token-limit: one counter per key "for all scopes"
        String rateKey = "llm-token-limit|tpm|" + k;
        CounterStore.Count rate = null;
        if (tpm > 0) {
            rate = estimated > 0 ? store.tryAddSliding(rateKey, estimated, tpm, MINUTE) : store.tryAddSliding(rateKey, 0, tpm - 1, MINUTE);
            if (!rate.allowed()) {
                long retry = rate.secondsToReset();
                throw refuse(exchange, 429, "TokenLimitExceeded", "Token limit is exceeded. Try again in " + retry + " seconds.", retry,
                        true);
            }
        }
        String quotaKey = null;
        Duration quotaLeft = null;
        CounterStore.Count q = null;
        if (quota > 0) {
            Instant now = clock.instant();
            ZonedDateTime start = period.start(now);
            quotaKey = "llm-token-limit|quota|" + period.label + "|" + start.toEpochSecond() + "|" + k;
            quotaLeft = Duration.between(now, period.end(start));
            q = estimated > 0 ? store.tryAdd(quotaKey, estimated, quota, quotaLeft) : store.tryAdd(quotaKey, 0, quota - 1, quotaLeft);
            if (!q.allowed()) {
                if (rate != null && estimated > 0) {
                    store.tryAddSliding(rateKey, -estimated, Long.MAX_VALUE, MINUTE); // not sent: the minute keeps nothing of it
                }
                long retry = q.secondsToReset();
                throw refuse(exchange, 403, "TokenQuotaExceeded", "Token quota is exceeded. Try again in " + Limits.timeSpan(retry) + ".",
                        retry, false);
            }
        }
        long remaining = rate == null ? -1 : Math.max(0, tpm - rate.count());
        long remainingQuota = q == null ? -1 : Math.max(0, quota - q.count());
        if (remainingVariable != null && remaining >= 0) {
            exchange.context().variables().set(remainingVariable, (int) Math.min(Integer.MAX_VALUE, remaining));
        }
        if (remainingQuotaVariable != null && remainingQuota >= 0) {
            exchange.context().variables().set(remainingQuotaVariable, (int) Math.min(Integer.MAX_VALUE, remainingQuota));
        }
        if (consumedVariable != null) {
            exchange.context().variables().set(consumedVariable, (int) Math.min(Integer.MAX_VALUE, estimated));
        }
        Accounting acc = new Accounting(exchange, tpm, rateKey, quotaKey, quotaLeft, estimated, remaining, remainingQuota);
        exchange.onResponse(r -> acc.response(r, model));
    }

    /** One call's tokens: counted when its usage is known (at once for a whole body, at the end of a streamed one). */
    private final class Accounting {
        private final Exchange exchange;
        private final int tpm;
        private final String rateKey;
        private final String quotaKey;
        private final Duration quotaLeft;
        private final long estimated;
        private long remaining;
        private long remainingQuota;

        Accounting(Exchange exchange, int tpm, String rateKey, String quotaKey, Duration quotaLeft, long estimated, long remaining,
                   long remainingQuota) {
            this.exchange = exchange;
            this.tpm = tpm;
            this.rateKey = rateKey;
            this.quotaKey = quotaKey;
            this.quotaLeft = quotaLeft;
            this.estimated = estimated;
            this.remaining = remaining;
            this.remainingQuota = remainingQuota;
        }

        void response(Response r, String model) {
            MessageBody body = r.body();
            if (exchange.isStreamedResponseBody(body)) {
                // headers go now, with what is known; the usage is counted when the stream has passed
                headers(r, estimated);
                exchange.tapResponseBody(LlmTokens.tap(body.contentType(), tokenizer, model, this::count));
                return;
            }
            if (exchange.failure() == null && body != null && r.statusCode() < 400) {
                LlmTokens.Usage u = LlmTokens.usage(body.bytes(), body.contentType(), tokenizer, model);
                long total = count(u);
                if (consumedVariable != null) {
                    exchange.context().variables().set(consumedVariable, (int) Math.min(Integer.MAX_VALUE, total));
                }
                headers(r, total);
            } else {
                headers(r, estimated);
            }
        }

        /** Replaces the estimate with the reported total in both counters; returns the tokens counted for the call. */
        long count(LlmTokens.Usage u) {
            LlmTokens.Usage usage = u.withPromptEstimate(estimated > 0 ? estimated : -1);
            long total = usage.totalOr(estimated);
            long delta = total - estimated;
            try {
                if (delta != 0 && tpm > 0) {
                    CounterStore.Count c = store.tryAddSliding(rateKey, delta, Long.MAX_VALUE, MINUTE);
                    remaining = Math.max(0, tpm - c.count());
                }
                if (delta != 0 && quotaKey != null) {
                    CounterStore.Count c = store.tryAdd(quotaKey, delta, Long.MAX_VALUE, quotaLeft);
                    remainingQuota = Math.max(0, quota - c.count());
                }
            } catch (RuntimeException e) {
                exchange.trace(new TraceEntry(source, "error", "counting tokens failed: " + e, Map.of()));
            }
            return total;
        }

        private void headers(Response r, long consumed) {
            if (remainingHeader != null && remaining >= 0 && !r.headers().containsKey(remainingHeader)) {
                r.headers().set(remainingHeader, Long.toString(remaining));
            }
            if (remainingQuotaHeader != null && remainingQuota >= 0 && !r.headers().containsKey(remainingQuotaHeader)) {
                r.headers().set(remainingQuotaHeader, Long.toString(remainingQuota));
            }
            if (consumedHeader != null && exchange.failure() == null && !r.headers().containsKey(consumedHeader)) {
                r.headers().set(consumedHeader, Long.toString(consumed));
            }
        }
    }

    private PolicyRejection refuse(Exchange exchange, int status, String reason, String msg, long retryAfter, boolean rate) {
        if (retryAfterVariable != null) {
            exchange.context().variables().set(retryAfterVariable, (int) Math.min(Integer.MAX_VALUE, retryAfter));
        }
        if (rate && remainingVariable != null) {
            exchange.context().variables().set(remainingVariable, 0);
        }
        if (!rate && remainingQuotaVariable != null) {
            exchange.context().variables().set(remainingQuotaVariable, 0);
        }
        Map<String, String> h = new LinkedHashMap<>();
        h.put(retryAfterHeader, Long.toString(retryAfter));
        if (rate && remainingHeader != null) {
            h.put(remainingHeader, "0");
        }
        if (!rate && remainingQuotaHeader != null) {
            h.put(remainingQuotaHeader, "0");
        }
        return new PolicyRejection(status, source, reason, msg, msg, h);
    }
}
