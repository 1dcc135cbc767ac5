package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.proxy.Gateway;
import io.gatehouse.proxy.LogCapture;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.TestBackend;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backends named by host name, looked up while the gateway's one event loop goes on serving:
 * names under {@code slow-dns.test} answer as a slow or broken DNS server would ({@link SlowDns},
 * this JVM's resolver), so a lookup that held the loop would hold every other request with it.
 */
final class HostLookupTest {
    @TempDir
    Path tmp;

    private static String config(int port, int backendPort, String host, int timeoutSeconds) {
        return """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: by-name
                    url: http://%3$s:%2$d
                    timeout: %4$d
                  - id: by-address
                    url: http://127.0.0.1:%2$d
                    timeout: 5
                apis:
                  - id: slow
                    path: slow
                    backendId: by-name
                  - id: fast
                    path: fast
                    backendId: by-address
                """.formatted(port, backendPort, host, timeoutSeconds);
    }

    /** One event loop, so a lookup on it would stall the next request for as long as the lookup takes. */
    private Gateway start(String yaml) throws Exception {
        Path file = tmp.resolve("gatehouse.yaml");
        Files.writeString(file, yaml);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result.diagnostics().hasErrors()).as(result.diagnostics().render()).isFalse();
        return new Gateway(result.config(), 1).start();
    }

    /** A new client, so a new connection, for each call. */
    private static CompletableFuture<HttpResponse<String>> get(int port, String path) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aSlowLookupHoldsOnlyItsOwnRequest() throws Exception {
        String host = "held-2500.first.slow-dns.test";
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null);
             Gateway gw = start(config(port, backend.port(), host, 5))) {
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<String>> slow = get(port, "/slow/x");
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (SlowDns.LOOKUPS.stream().noneMatch(l -> l.startsWith(host)) && System.nanoTime() < waitUntil) {
                Thread.sleep(10);
            }
            assertThat(SlowDns.LOOKUPS).as("the lookup has begun").anyMatch(l -> l.startsWith(host));

            long fastStart = System.nanoTime();
            HttpResponse<String> fast = get(port, "/fast/x").get(10, TimeUnit.SECONDS);
            long fastMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fastStart);
            assertThat(fast.statusCode()).as(fast.body()).isEqualTo(200);
            assertThat(fastMillis).as("a request to a backend by address while the other's lookup runs").isLessThan(1_500);
            assertThat(slow).as("the lookup is still running").isNotDone();

            HttpResponse<String> r = slow.get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(2_500);
            assertThat(SlowDns.LOOKUPS).filteredOn(l -> l.startsWith(host))
                    .singleElement().asString().contains(" on gatehouse-dns-");
        }
    }

    /**
     * Six new connections to a backend whose name takes 3 s share one lookup, so the lookup
     * threads (four) are not all held by that name, and another name is looked up at once.
     */
    @Test
    void connectionsWaitingForOneNameShareItsLookup() throws Exception {
        String slowHost = "held-3000.shared.slow-dns.test";
        String otherHost = "held-50.other.slow-dns.test";
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null);
             Gateway gw = start(config(port, backend.port(), slowHost, 5).replace("url: http://127.0.0.1:", "url: http://" + otherHost + ":"))) {
            java.util.List<CompletableFuture<HttpResponse<String>>> slow = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                slow.add(get(port, "/slow/" + i));
            }
            long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (SlowDns.LOOKUPS.stream().noneMatch(l -> l.startsWith(slowHost)) && System.nanoTime() < waitUntil) {
                Thread.sleep(10);
            }
            Thread.sleep(300); // the six requests have reached the gateway and wait for the name
            long otherStart = System.nanoTime();
            HttpResponse<String> other = get(port, "/fast/x").get(10, TimeUnit.SECONDS);
            assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - otherStart)).as("another name, looked up meanwhile")
                    .isLessThan(2_000);
            for (CompletableFuture<HttpResponse<String>> f : slow) {
                assertThat(f.get(15, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            }
            assertThat(SlowDns.LOOKUPS).filteredOn(l -> l.startsWith(slowHost + " ")).hasSize(1);
        }
    }

    @Test
    void aLookupLongerThanTheConnectTimeIs504AndSaysSo() throws Exception {
        String host = "held-4000.second.slow-dns.test";
        int port = Ports.free();
        try (LogCapture logs = new LogCapture();
             TestBackend backend = new TestBackend(null);
             Gateway gw = start(config(port, backend.port(), host, 1))) {
            long start = System.nanoTime();
            HttpResponse<String> r = get(port, "/slow/x").get(10, TimeUnit.SECONDS);
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
            assertThat(took).as("the backend's 1 s connect time").isBetween(800L, 3_000L);
            assertThat(r.body()).doesNotContain("slow-dns");
            String line = logs.await(l -> l.contains("504") && l.contains("backend 'by-name'"), Duration.ofSeconds(5));
            assertThat(line).contains("backend 'by-name'").contains("looking up " + host + " took longer than 1000 ms");
        }
    }

    /**
     * {@code IPAddress.Parse}/{@code TryParse} in a policy read literals only: a client's header
     * such as {@code zz:zz} (a colon, letters that are no hex digits) used to go to the JVM's name
     * service, on the event loop, with a name the client chose.
     */
    @Test
    void anAddressInAnExpressionIsNeverLookedUp() throws Exception {
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null);
             Gateway gw = start(config(port, backend.port(), "127.0.0.1", 5) + """
                    policyXml: |
                      <policies>
                        <inbound>
                          <return-response>
                            <set-status code="200" reason="OK" />
                            <set-body>@(IPAddress.TryParse(context.Request.Headers.GetValueOrDefault("X-Address", ""), out var a) ? "address" : "not an address")</set-body>
                          </return-response>
                        </inbound>
                        <backend><forward-request /></backend>
                      </policies>
                """)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            for (String value : new String[] {"zz:zz", "cafe:babe", ".:1", "[.:1]", "2001:db8::1", "fe80::1%eth0"}) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/fast/x"))
                        .header("X-Address", value).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).as(value + " " + SlowDns.LOOKUPS).isEqualTo(value.startsWith("2001") || value.startsWith("fe80") ? "address" : "not an address");
            }
            assertThat(SlowDns.LOOKUPS).noneMatch(l -> l.contains(":") && !l.contains("slow-dns.test"));
        }
    }

    @Test
    void aNameThatDoesNotResolveIs502AndSaysSo() throws Exception {
        int port = Ports.free();
        try (LogCapture logs = new LogCapture();
             TestBackend backend = new TestBackend(null);
             Gateway gw = start(config(port, backend.port(), "nowhere.slow-dns.test", 5))) {
            HttpResponse<String> r = get(port, "/slow/x").get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
            assertThat(r.body()).doesNotContain("slow-dns");
            String line = logs.await(l -> l.contains("502") && l.contains("backend 'by-name'"), Duration.ofSeconds(5));
            assertThat(line).contains("backend 'by-name'").contains("nowhere.slow-dns.test").contains("host name could not be resolved");
            assertThat(SlowDns.LOOKUPS).anyMatch(l -> l.startsWith("nowhere.slow-dns.test on gatehouse-dns-"));
        }
    }
}
