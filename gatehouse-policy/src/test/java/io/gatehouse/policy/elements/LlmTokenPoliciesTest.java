package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.ResponseBodyTap;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.spi.PolicyRegistry;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** llm-token-limit / azure-openai-token-limit and llm-emit-token-metric / azure-openai-emit-token-metric. */
class LlmTokenPoliciesTest {
    /** 2027-01-15T10:20:00Z: a Friday, 20 minutes into the hour. */
    private final AtomicLong now = new AtomicLong(Instant.parse("2027-01-15T10:20:00Z").toEpochMilli());

    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now.get());
        }
    };

    record Point(String namespace, String name, double value, Map<String, String> dimensions) {
    }

    private final List<Point> points = new CopyOnWriteArrayList<>();
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
            .clock(clock)
            .counterStore(new InMemoryCounterStore(now::get))
            .metricSink((ns, name, value, dims) -> points.add(new Point(ns, name, value, Map.copyOf(dims))))
            .build());

    private final AtomicInteger backendCalls = new AtomicInteger();
    private String backendBody = usageJson(10, 50);

    private final Forwarder backend = (x, s) -> {
        backendCalls.incrementAndGet();
        x.context().response().statusCode(200).body(MessageBody.ofString(backendBody, "application/json"));
        return CompletableFuture.completedFuture(null);
    };

    static String usageJson(int prompt, int completion) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"hi\"},\"usage\":{\"total_tokens\":99999}}],\"usage\":{\"prompt_tokens\":" + prompt
                + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + (prompt + completion)
                + ",\"prompt_tokens_details\":{\"cached_tokens\":0}}}";
    }

    private EffectivePolicy policy(String inbound) {
        return Harness.compile(engine, "<policies><inbound>" + inbound + "</inbound><backend><forward-request/></backend>"
                + "<outbound/></policies>");
    }

    private static PolicyContext request(String body) {
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(Url.parse("https://gw.local/openai/chat/completions"));
        c.request().ipAddress("10.0.0.7");
        c.request().body(MessageBody.ofString(body, "application/json"));
        c.api(new ApiInfo("openai", "OpenAI", "openai", Url.parse("https://backend.local"), ""));
        c.operation(new OperationInfo("chat", "Chat", "POST", "/chat/completions"));
        return c;
    }

    private static final String SMALL_PROMPT = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";

    private PolicyContext call(EffectivePolicy p) {
        PolicyContext c = request(SMALL_PROMPT);
        Harness.run(p, c, backend);
        return c;
    }

    @Test
    void tokensPerMinuteCountsTheReportedUsageAndRefusesWith429OnceSpent() {
        EffectivePolicy p = policy("""
                <llm-token-limit counter-key="@(context.Request.IpAddress)" tokens-per-minute="100" estimate-prompt-tokens="false"
                    remaining-tokens-header-name="x-remaining" remaining-tokens-variable-name="remainingTokens"
                    tokens-consumed-header-name="x-consumed" retry-after-variable-name="retryAfter"/>""");
        PolicyContext first = call(p);
        assertThat(first.response().statusCode()).isEqualTo(200);
        assertThat(first.response().headers().getValueOrDefault("x-consumed", null)).isEqualTo("60");
        assertThat(first.response().headers().getValueOrDefault("x-remaining", null)).as("100 - 60 reported").isEqualTo("40");
        assertThat(first.variables().get("remainingTokens")).as("before the call: nothing spent yet").isEqualTo(100);
        PolicyContext second = call(p);
        assertThat(second.response().statusCode()).as("40 left: allowed, the completion is not known in advance").isEqualTo(200);
        assertThat(second.response().headers().getValueOrDefault("x-remaining", null)).isEqualTo("0");
        PolicyContext refused = call(p);
        assertThat(refused.response().statusCode()).isEqualTo(429);
        assertThat(backendCalls.get()).isEqualTo(2);
        assertThat(refused.lastError().source()).isEqualTo("llm-token-limit");
        assertThat(refused.lastError().reason()).isEqualTo("TokenLimitExceeded");
        String retry = refused.response().headers().getValueOrDefault("Retry-After", null);
        assertThat(Long.parseLong(retry)).isBetween(1L, 60L);
        assertThat(Harness.body(refused)).contains("Token limit is exceeded. Try again in " + retry + " seconds.");
        assertThat(refused.response().headers().getValueOrDefault("x-remaining", null)).isEqualTo("0");
        assertThat(refused.variables().get("retryAfter")).isEqualTo(Integer.parseInt(retry));

        now.addAndGet(61_000);
        assertThat(call(p).response().statusCode()).as("a minute later the tokens have left the window").isEqualTo(200);
    }

    @Test
    void azureOpenAiTokenLimitSharesTheCounterOfItsKeyAndCustomRetryAfterHeader() {
        EffectivePolicy a = policy("<azure-openai-token-limit counter-key=\"k\" tokens-per-minute=\"100\" estimate-prompt-tokens=\"false\""
                + " retry-after-header-name=\"x-retry\"/>");
        EffectivePolicy b = policy("<llm-token-limit counter-key=\"k\" tokens-per-minute=\"100\" estimate-prompt-tokens=\"false\"/>");
        backendBody = usageJson(50, 50);
        assertThat(call(b).response().statusCode()).isEqualTo(200);
        PolicyContext refused = call(a);
        assertThat(refused.response().statusCode()).as("one counter per key for all scopes").isEqualTo(429);
        assertThat(refused.lastError().source()).isEqualTo("azure-openai-token-limit");
        assertThat(refused.response().headers().getValueOrDefault("x-retry", null)).isNotNull();
        assertThat(refused.response().headers().getValueOrDefault("Retry-After", null)).isNull();
    }

    @Test
    void estimatePromptTokensRefusesAPromptThatCannotFitBeforeItReachesTheBackend() {
        EffectivePolicy p = policy("""
                <llm-token-limit counter-key="k" tokens-per-minute="50" estimate-prompt-tokens="true"
                    tokens-consumed-variable-name="consumed"/>""");
        String big = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "tell me more about apples ".repeat(40) + "\"}]}";
        PolicyContext refused = request(big);
        Harness.run(p, refused, backend);
        assertThat(refused.response().statusCode()).isEqualTo(429);
        assertThat(backendCalls.get()).as("never forwarded").isZero();
        assertThat(refused.response().headers().getValueOrDefault("Retry-After", null)).isEqualTo("60");

        PolicyContext small = request(SMALL_PROMPT);
        Harness.run(p, small, backend);
        assertThat(small.response().statusCode()).as("the refused estimate was not counted").isEqualTo(200);
        assertThat(small.variables().get("consumed")).as("the reported total replaces the estimate").isEqualTo(60);
    }

    @Test
    void aLongPromptIsEstimatedOffTheRequestsThreadAndStillRefusedOrCounted() {
        EffectivePolicy p = policy("""
                <llm-token-limit counter-key="long" tokens-per-minute="10000" estimate-prompt-tokens="true"
                    remaining-tokens-variable-name="left"/>""");
        // about 20 KB, over LlmTokens.OFF_THREAD_BYTES: read and estimated on the estimate threads
        String text = "the quick brown fox jumps over the lazy dog ".repeat(460);
        String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        assertThat(body.length()).isGreaterThan(LlmTokens.OFF_THREAD_BYTES);
        String[] thread = new String[1];
        Forwarder recording = (x, s) -> {
            thread[0] = Thread.currentThread().getName();
            return backend.forward(x, s);
        };
        backendBody = usageJson(4148, 3000);
        PolicyContext c = request(body);
        Harness.run(p, c, recording);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(thread[0]).as("the policies went on where the estimate was made").isEqualTo("gatehouse-token-estimate");
        // 9 tokens per repetition of the sentence, 1 for the trailing space, the message's role (1) and the overheads (3 + 3)
        assertThat(10000 - (Integer) c.variables().get("left")).isEqualTo(460 * 9 + 1 + 1 + 3 + 3);
        PolicyContext refused = request(body);
        Harness.run(p, refused, backend);
        assertThat(refused.response().statusCode()).as("7148 reported + this prompt's 4148 > 10000").isEqualTo(429);
        assertThat(backendCalls.get()).isEqualTo(1);
        assertThat(refused.lastError().reason()).isEqualTo("TokenLimitExceeded");
    }

    @Test
    void theEstimateCountsBeforeTheResponseAndIsReplacedByTheReportedTotal() {
        EffectivePolicy p = policy("""
                <llm-token-limit counter-key="k" tokens-per-minute="1000" estimate-prompt-tokens="true"
                    remaining-tokens-variable-name="left" remaining-tokens-header-name="x-left"/>""");
        PolicyContext c = call(p);
        int estimate = 1000 - (Integer) c.variables().get("left");
        // "Say hi" (2 tokens) + role "user" (1) + 3 per message + 3 for the reply
        assertThat(estimate).isEqualTo(9);
        assertThat(c.response().headers().getValueOrDefault("x-left", null)).as("1000 - 60 reported").isEqualTo("940");
        PolicyContext next = call(p);
        assertThat(next.variables().get("left")).as("60 counted, then this call's estimate").isEqualTo(1000 - 60 - 9);
    }

    @Test
    void tokenQuotaCountsPerUtcHourAndRefusesWith403() {
        EffectivePolicy p = policy("""
                <llm-token-limit counter-key="@(context.Request.IpAddress)" token-quota="100" token-quota-period="Hourly"
                    remaining-quota-tokens-header-name="x-quota-left" remaining-quota-tokens-variable-name="quotaLeft"/>""");
        assertThat(call(p).response().headers().getValueOrDefault("x-quota-left", null)).isEqualTo("40");
        assertThat(call(p).response().statusCode()).isEqualTo(200);
        PolicyContext refused = call(p);
        assertThat(refused.response().statusCode()).isEqualTo(403);
        assertThat(refused.lastError().reason()).isEqualTo("TokenQuotaExceeded");
        assertThat(refused.response().headers().getValueOrDefault("Retry-After", null)).as("40 minutes to the next hour").isEqualTo("2400");
        assertThat(Harness.body(refused)).contains("Token quota is exceeded. Try again in 00:40:00.");
        assertThat(refused.variables().get("quotaLeft")).isEqualTo(0);
        now.set(Instant.parse("2027-01-15T11:00:00Z").toEpochMilli());
        PolicyContext next = call(p);
        assertThat(next.response().statusCode()).as("a new hour, a new quota").isEqualTo(200);
        assertThat(next.variables().get("quotaLeft")).isEqualTo(100);
    }

    @Test
    void quotaPeriodsStartAtTheTruncatedUtcTime() {
        Instant t = Instant.parse("2027-01-15T10:20:30Z"); // a Friday
        assertThat(LlmTokenLimit.Period.DAILY.start(t).toInstant()).isEqualTo(Instant.parse("2027-01-15T00:00:00Z"));
        assertThat(LlmTokenLimit.Period.WEEKLY.start(t).toInstant()).isEqualTo(Instant.parse("2027-01-11T00:00:00Z"));
        assertThat(LlmTokenLimit.Period.MONTHLY.start(t).toInstant()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(LlmTokenLimit.Period.YEARLY.end(LlmTokenLimit.Period.YEARLY.start(t)).toInstant())
                .isEqualTo(Instant.parse("2028-01-01T00:00:00Z"));
    }

    /** A backend whose body the gateway streams: the policies see the placeholder and tap the body. */
    private final class StreamingBackend implements Forwarder {
        Exchange exchange;

        @Override
        public CompletableFuture<Void> forward(Exchange x, io.gatehouse.policy.ForwardSettings s) {
            backendCalls.incrementAndGet();
            MessageBody placeholder = new MessageBody(new byte[0], "text/event-stream");
            x.context().response().statusCode(200).body(placeholder);
            x.streamedResponseBody(placeholder);
            exchange = x;
            return CompletableFuture.completedFuture(null);
        }

        /** Feeds {@code body} to the taps in pieces of {@code piece} bytes, as a relay would. */
        void relay(String body, int piece) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            List<ResponseBodyTap> taps = exchange.responseBodyTaps();
            assertThat(taps).isNotEmpty();
            for (int i = 0; i < b.length; i += piece) {
                byte[] part = java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + piece));
                taps.forEach(t -> t.bytes(part, 0, part.length));
            }
            taps.forEach(t -> t.end(true));
        }
    }

    static String sse(boolean withUsage) {
        StringBuilder sb = new StringBuilder();
        for (String word : new String[] {"Hello", " there", ", friend"}) {
            sb.append("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").append(word)
                    .append("\"}}],\"usage\":null}\r\n\r\n");
        }
        if (withUsage) {
            sb.append("data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":40,"
                    + "\"total_tokens\":70}}\n\n");
        }
        return sb.append("data: [DONE]\n\n").toString();
    }

    @Test
    void aStreamedResponseIsCountedFromItsUsageChunkAsItPasses() {
        EffectivePolicy p = policy("<llm-token-limit counter-key=\"k\" tokens-per-minute=\"100\" estimate-prompt-tokens=\"false\""
                + " remaining-tokens-variable-name=\"left\"/>");
        StreamingBackend streaming = new StreamingBackend();
        PolicyContext c = request("{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}");
        Harness.run(p, c, streaming);
        assertThat(c.variables().get("left")).as("a streamed request's prompt is always estimated").isEqualTo(100 - 9);
        streaming.relay(sse(true), 7);
        PolicyContext next = request(SMALL_PROMPT);
        Harness.run(p, next, backend);
        assertThat(next.variables().get("left")).as("the 70 of the usage chunk replaced the estimate").isEqualTo(30);
        assertThat(call(p).response().statusCode()).as("70 + 60 spent").isEqualTo(429);
    }

    @Test
    void aStreamWithoutUsageIsEstimatedFromItsText() {
        EffectivePolicy p = policy("<llm-emit-token-metric namespace=\"llm\"><dimension name=\"API ID\"/></llm-emit-token-metric>");
        StreamingBackend streaming = new StreamingBackend();
        PolicyContext c = request("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}");
        Harness.run(p, c, streaming);
        assertThat(points).as("nothing before the stream has passed").isEmpty();
        streaming.relay(sse(false), 5);
        // "Hello" (1), " there" (1), ", friend" (2) under o200k_base
        assertThat(points).containsExactly(
                new Point("llm", "Prompt Tokens", 9, Map.of("API ID", "openai")),
                new Point("llm", "Completion Tokens", 4, Map.of("API ID", "openai")),
                new Point("llm", "Total Tokens", 13, Map.of("API ID", "openai")));
    }

    @Test
    void jsonUsageIsFoundWhateverTheChunkBoundaries() {
        String body = usageJson(12, 34);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        for (int piece = 1; piece <= b.length; piece += 13) {
            LlmTokens.Usage[] got = new LlmTokens.Usage[1];
            LlmTokens.UsageTap tap = LlmTokens.tap("application/json; charset=utf-8", null, null, u -> got[0] = u);
            for (int i = 0; i < b.length; i += piece) {
                tap.bytes(b, i, Math.min(piece, b.length - i));
            }
            tap.end(true);
            assertThat(got[0]).as("pieces of " + piece).isEqualTo(new LlmTokens.Usage(12, 34, 46));
        }
        assertThat(LlmTokens.usage("not json".getBytes(StandardCharsets.UTF_8), "application/json", null, null))
                .isEqualTo(LlmTokens.Usage.NONE);
        assertThat(LlmTokens.usage("{\"output\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":7}}".getBytes(StandardCharsets.UTF_8),
                "application/json", null, null).totalOr(-1)).as("Responses API names").isEqualTo(12);
    }

    @Test
    void emitTokenMetricRecordsPromptCompletionAndTotalWithItsDimensions() {
        EffectivePolicy p = policy("""
                <azure-openai-emit-token-metric namespace="openai-tokens">
                    <dimension name="API ID"/>
                    <dimension name="Client IP" value="@(context.Request.IpAddress)"/>
                </azure-openai-emit-token-metric>""");
        call(p);
        Map<String, String> dims = Map.of("API ID", "openai", "Client IP", "10.0.0.7");
        assertThat(points).containsExactly(
                new Point("openai-tokens", "Prompt Tokens", 10, dims),
                new Point("openai-tokens", "Completion Tokens", 50, dims),
                new Point("openai-tokens", "Total Tokens", 60, dims));
        points.clear();
        backendBody = "{\"error\":\"no usage here\"}";
        call(p);
        assertThat(points).as("no usage, not streamed: nothing to record").isEmpty();
    }

    @Test
    void reportsWhatIsWrongWithTheAttributesAndDimensions() {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("t.xml", "<policies><inbound>\n"
                + "<llm-token-limit tokens-per-minute=\"5\" estimate-prompt-tokens=\"false\"/>\n"
                + "<llm-token-limit counter-key=\"k\" estimate-prompt-tokens=\"false\"/>\n"
                + "<llm-token-limit counter-key=\"k\" token-quota=\"5\" token-quota-period=\"Fortnightly\"/>\n"
                + "<azure-openai-token-limit counter-key=\"k\" token-quota=\"5\"/>\n"
                + "<llm-emit-token-metric>" + java.util.stream.IntStream.range(0, 6).mapToObj(i -> "<dimension name=\"d" + i + "\" value=\"v\"/>")
                        .collect(java.util.stream.Collectors.joining()) + "</llm-emit-token-metric>\n"
                + "</inbound></policies>"), Scope.API, d);
        assertThat(d.all().stream().map(Object::toString).toList()).containsExactly(
                "t.xml:2:1: error: <llm-token-limit> is missing the required attribute 'counter-key'",
                "t.xml:3:1: error: <llm-token-limit> needs 'tokens-per-minute', or 'token-quota' with 'token-quota-period', or both",
                "t.xml:4:50: error: attribute 'token-quota-period' on <llm-token-limit>: 'Fortnightly' (expected one of: Hourly, Daily, Weekly, "
                        + "Monthly, Yearly)",
                "t.xml:5:1: error: <azure-openai-token-limit> needs 'token-quota' and 'token-quota-period' together (expected: both, e.g. "
                        + "token-quota=\"100000\" token-quota-period=\"Daily\")",
                "t.xml:6:184: error: <llm-emit-token-metric> has 6 dimensions (at most 5)");
    }

    @Test
    void theTokenPoliciesAreRegisteredAndNoLongerRefusedAsAzureOnly() {
        PolicyRegistry r = PolicyRegistry.builtIn();
        for (String name : List.of("llm-token-limit", "azure-openai-token-limit", "llm-emit-token-metric", "azure-openai-emit-token-metric")) {
            assertThat(r.find(name)).as(name).isNotNull();
            assertThat(r.isKnownButUnsupported(name)).isFalse();
            assertThat(AzureOnly.TYPES.stream().map(t -> t.name())).doesNotContain(name);
        }
    }
}
