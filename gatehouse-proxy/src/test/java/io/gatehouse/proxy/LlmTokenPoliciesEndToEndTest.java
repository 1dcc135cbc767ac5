package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * llm-token-limit and llm-emit-token-metric through the gateway, with the JDK's HttpClient and a
 * backend that answers as OpenAI's chat completions do: JSON with {@code usage}, or, for
 * {@code "stream": true}, an event stream ending with a usage chunk. Also rate-limit and quota
 * with {@code <api>}/{@code <operation>} limits, on an API with two operations of which one is
 * limited. Each test uses its own tenant (the counter key), so they do not share counters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlmTokenPoliciesEndToEndTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static GatewayHarness gw;
    static int port;
    static int admin;
    static HttpServer backend;
    static HttpClient client;

    /** What the backend received: "TENANT PATH BODY". */
    static final List<String> received = new CopyOnWriteArrayList<>();
    /** Released by a test to let a held stream finish (x-hold: 1). */
    static volatile CountDownLatch release = new CountDownLatch(0);

    static final String SAY_HI = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";

    @BeforeAll
    static void start() throws IOException {
        world = new TestWorld(tmp.resolve("pki"));
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.setExecutor(Executors.newCachedThreadPool());
        backend.createContext("/", LlmTokenPoliciesEndToEndTest::answer);
        backend.start();
        port = Ports.free();
        admin = Ports.free();
        GatewayHarness.write(tmp.resolve("llm.xml"), """
                <policies>
                  <inbound>
                    <llm-token-limit counter-key="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;, &quot;anonymous&quot;))"
                        tokens-per-minute="120" estimate-prompt-tokens="true"
                        remaining-tokens-header-name="x-ratelimit-remaining-tokens" tokens-consumed-header-name="x-tokens-consumed" />
                    <llm-emit-token-metric namespace="llm">
                      <dimension name="API ID" />
                      <dimension name="Tenant" value="@(context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;, &quot;anonymous&quot;))" />
                    </llm-emit-token-metric>
                  </inbound>
                  <backend><forward-request timeout="20" /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("long.xml"), """
                <policies>
                  <inbound>
                    <azure-openai-token-limit counter-key="long" tokens-per-minute="100000" estimate-prompt-tokens="true"
                        remaining-tokens-header-name="x-remaining" />
                  </inbound>
                  <backend><forward-request timeout="20" /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("shop.xml"), """
                <policies>
                  <inbound>
                    <rate-limit calls="100" renewal-period="60">
                      <api id="shop" calls="50" renewal-period="60">
                        <operation id="get-item" calls="2" renewal-period="60" />
                      </api>
                    </rate-limit>
                    <quota calls="1000" renewal-period="3600">
                      <api name="shop" calls="500" renewal-period="3600">
                        <operation name="list-items" calls="3" renewal-period="3600" />
                      </api>
                    </quota>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s
                backends:
                  - id: openai
                    url: http://127.0.0.1:%d/v1
                apis:
                  - id: llm
                    path: llm
                    backendId: openai
                    policy: llm.xml
                  - id: long
                    path: long
                    backendId: openai
                    policy: long.xml
                  - id: shop
                    path: shop
                    backendId: openai
                    policy: shop.xml
                    operations:
                      - id: get-item
                        method: GET
                        urlTemplate: /items/{id}
                      - id: list-items
                        method: GET
                        urlTemplate: /items
                """.formatted(port, admin, E2e.gatewayCertificate(world), backend.getAddress().getPort()));
        client = HttpClient.newBuilder().sslContext(DownstreamMtlsTestSupport.trusting(world)).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    /** The backend: OpenAI-shaped answers, usage 20 + 30 for JSON; 30 + 40 in the stream's last chunk. */
    private static void answer(HttpExchange x) throws IOException {
        byte[] in;
        try (InputStream is = x.getRequestBody()) {
            in = is.readAllBytes();
        }
        String body = new String(in, StandardCharsets.UTF_8);
        String tenant = x.getRequestHeaders().getFirst("x-tenant");
        received.add(tenant + " " + x.getRequestURI().getPath() + " " + body);
        if (body.contains("\"stream\":true")) {
            x.getResponseHeaders().set("Content-Type", "text/event-stream");
            x.sendResponseHeaders(200, 0); // chunked: the gateway streams it
            try (OutputStream out = x.getResponseBody()) {
                out.write(chunk("Hello"));
                out.flush();
                if ("1".equals(x.getRequestHeaders().getFirst("x-hold"))) {
                    try {
                        release.await(15, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                out.write(chunk(" there"));
                out.write(("data: {\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":30,"
                        + "\"completion_tokens\":40,\"total_tokens\":70}}\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            }
            return;
        }
        byte[] json = ("{\"id\":\"chatcmpl-e2e\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"Hi!\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":30,\"total_tokens\":50}}").getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(200, json.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(json);
        }
    }

    private static byte[] chunk(String text) {
        return ("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text
                + "\"}}],\"usage\":null}\n\n").getBytes(StandardCharsets.UTF_8);
    }

    private static HttpResponse<String> chat(String tenant, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/llm/chat/completions"))
                .header("x-tenant", tenant).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long backendCallsOf(String tenant) {
        return received.stream().filter(r -> r.startsWith(tenant + " ")).count();
    }

    private static String metrics() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The value of the sample of {@code metric} whose labels include {@code label}, or null. */
    private static String sample(String scrape, String metric, String label) {
        return scrape.lines().filter(l -> l.startsWith(metric + "{") && l.contains(label))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).findFirst().orElse(null);
    }

    @Test
    void theTokenLimitIsHitAcrossRequestsWith429RetryAfterAndRemainingTokens() throws Exception {
        String[] remaining = new String[3];
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = chat("tenant-a", SAY_HI);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(ok.body()).contains("chatcmpl-e2e");
            assertThat(ok.headers().firstValue("x-tokens-consumed")).hasValue("50");
            remaining[i] = ok.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow();
        }
        assertThat(remaining).as("120 per minute, 50 reported per call").containsExactly("70", "20", "0");
        HttpResponse<String> refused = chat("tenant-a", SAY_HI);
        assertThat(refused.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        assertThat(refused.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("0");
        assertThat(refused.body()).contains("\"statusCode\": 429").contains("Token limit is exceeded. Try again in " + retryAfter + " seconds.");
        assertThat(backendCallsOf("tenant-a")).as("the refused call never reached the backend").isEqualTo(3);

        String scrape = metrics();
        assertThat(sample(scrape, "llm_total_tokens_sum", "tenant=\"tenant-a\"")).as(scrape).isEqualTo("150.0");
        assertThat(sample(scrape, "llm_prompt_tokens_sum", "tenant=\"tenant-a\"")).isEqualTo("60.0");
        assertThat(sample(scrape, "llm_completion_tokens_sum", "tenant=\"tenant-a\"")).isEqualTo("90.0");
        assertThat(sample(scrape, "llm_total_tokens_count", "tenant=\"tenant-a\"")).as("the refused call records nothing").isEqualTo("3");
        assertThat(scrape.lines().filter(l -> l.startsWith("llm_total_tokens_sum{") && l.contains("tenant=\"tenant-a\"")).findFirst().orElseThrow())
                .contains("api_id=\"llm\"");
    }

    @Test
    void estimatePromptTokensRefusesATooLargePromptBeforeItReachesTheBackend() throws Exception {
        String big = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "please summarise the history of tea ".repeat(40)
                + "\"}]}";
        HttpResponse<String> refused = chat("tenant-b", big);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("60");
        assertThat(backendCallsOf("tenant-b")).isZero();
        HttpResponse<String> small = chat("tenant-b", SAY_HI);
        assertThat(small.statusCode()).as("the refused prompt was not counted").isEqualTo(200);
        assertThat(backendCallsOf("tenant-b")).isEqualTo(1);
    }

    @Test
    void aStreamedCompletionPassesUnbufferedAndItsUsageChunkIsCounted() throws Exception {
        release = new CountDownLatch(1);
        String streamed = "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hi\"}]}";
        HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/llm/chat/completions"))
                .header("x-tenant", "tenant-c").header("x-hold", "1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(streamed)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
        StringBuilder got = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String first = lines.readLine();
            // the backend holds the rest of the stream until the first event has reached the client
            assertThat(first).contains("\"content\":\"Hello\"");
            release.countDown();
            for (String l; (l = lines.readLine()) != null; ) {
                got.append(l).append('\n');
            }
        }
        assertThat(got.toString()).contains("\"content\":\" there\"").contains("\"total_tokens\":70").endsWith("data: [DONE]\n\n");
        // the 70 tokens of the usage chunk (not the prompt estimate) are now spent: 120 - 70 - 50
        HttpResponse<String> next = chat("tenant-c", SAY_HI);
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.headers().firstValue("x-ratelimit-remaining-tokens")).hasValue("0");
        assertThat(chat("tenant-c", SAY_HI).statusCode()).isEqualTo(429);

        String scrape = metrics();
        assertThat(sample(scrape, "llm_total_tokens_sum", "tenant=\"tenant-c\"")).as(scrape).isEqualTo("120.0");
        assertThat(sample(scrape, "llm_completion_tokens_sum", "tenant=\"tenant-c\"")).isEqualTo("70.0");
    }

    private static int shop(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/shop" + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void rateLimitAndQuotaOperationLimitsApplyOnlyToTheirOperation() throws Exception {
        assertThat(shop("/items/1")).isEqualTo(200);
        assertThat(shop("/items/2")).isEqualTo(200);
        HttpResponse<String> limited = client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/shop/items/3"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(limited.statusCode()).as("get-item's own limit of 2 per minute").isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.body()).contains("Rate limit is exceeded");
        for (int i = 0; i < 3; i++) {
            assertThat(shop("/items")).as("list-items is not rate-limited past 2: call " + (i + 1)).isEqualTo(200);
        }
        HttpResponse<String> quota = client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/shop/items"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(quota.statusCode()).as("list-items' quota of 3").isEqualTo(403);
        assertThat(quota.body()).contains("Out of call volume quota");
        assertThat(received.stream().filter(r -> r.contains(" /v1/items")).count()).as("refused calls never reach the backend").isEqualTo(5);
    }

    @Test
    void aLongPromptIsEstimatedOffTheEventLoopAndForwardedWhole() throws Exception {
        String text = "the quick brown fox jumps over the lazy dog ".repeat(2000); // about 88 KB
        String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://api.gatehouse.test:" + port + "/long/chat/completions"))
                .header("x-tenant", "tenant-long").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-remaining")).as("the 50 reported replaced the estimate").hasValue("99950");
        assertThat(received).contains("tenant-long /v1/chat/completions " + body);
    }
}
