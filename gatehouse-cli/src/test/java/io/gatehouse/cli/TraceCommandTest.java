package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.GatewayHarness;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.RecordingBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse trace ID} against a running gateway: a request sent with
 * {@code Apim-Debug-Authorization} and refused by a policy is printed step by step from the admin
 * port, as JSON with {@code --json}; an unknown id and an unreachable admin port exit 1 with a
 * message.
 */
class TraceCommandTest {
    private static final String KEY = "cli-trace-key-0123456789";

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static synchronized Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void printsTheStepsOfARefusedRequestFromTheAdminPort() throws Exception {
        Path policy = tmp.resolve("deny.xml");
        Files.writeString(policy, """
                <policies>
                  <inbound>
                    <choose>
                      <when condition="@(context.Request.Headers.GetValueOrDefault("X-Role", "") != "admin")">
                        <return-response><set-status code="403" reason="Forbidden" /></return-response>
                      </when>
                    </choose>
                  </inbound>
                </policies>
                """);
        int port = Ports.free();
        int admin = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
                GatewayHarness gw = GatewayHarness.start(tmp, """
                        gateway:
                          listeners:
                            - port: %d
                              bind: 127.0.0.1
                              tls: false
                          admin:
                            port: %d
                          trace:
                            keys:
                              - %s
                        backends:
                          - id: svc
                            url: %s
                        apis:
                          - id: guarded
                            path: guarded
                            backendId: svc
                            policy: deny.xml
                        """.formatted(port, admin, KEY, backend.url()))) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/guarded/x")).header("Apim-Debug-Authorization", KEY)
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(403);
            String id = r.headers().firstValue("Apim-Trace-Id").orElseThrow();

            Run shown = run("trace", id, "--admin", "127.0.0.1:" + admin);
            assertThat(shown.exit()).as(shown.err()).isZero();
            String out = shown.out();
            assertThat(out).contains("trace " + id).contains("GET /guarded/x -> 403")
                    .contains("response produced by <return-response> at ");
            // one line per step: +ms, scope/section, file:line, element, detail
            assertThat(out).containsPattern("\\+\\d+\\.\\d\\d ms\\s+api/inbound\\s+\\S*deny\\.xml:3\\s+choose\\s+choose")
                    .containsPattern("\\+\\d+\\.\\d\\d ms\\s+api/inbound\\s+\\S*deny\\.xml:4\\s+when\\s+.*!= \"admin\"\\) = true")
                    .containsPattern("\\+\\d+\\.\\d\\d ms\\s+api/inbound\\s+\\S*deny\\.xml:5\\s+return-response")
                    .containsPattern("\\+\\d+\\.\\d\\d ms\\s+-\\s+-\\s+response\\s+status 403");
            assertThat(out.indexOf("deny.xml:3")).isLessThan(out.indexOf("deny.xml:4"));
            assertThat(out.indexOf("deny.xml:4")).isLessThan(out.indexOf("deny.xml:5 "));
            assertThat(out).doesNotContain(KEY);

            Run asJson = run("trace", id, "--admin", "http://127.0.0.1:" + admin, "--json");
            assertThat(asJson.exit()).isZero();
            assertThat(asJson.out()).contains("\"id\" : \"" + id + "\"").contains("\"element\" : \"return-response\"");

            Run byConfig = run("trace", id, "-c", gw.configFile.toString());
            assertThat(byConfig.exit()).as(byConfig.err()).isZero();
            assertThat(byConfig.out()).contains("GET /guarded/x -> 403");

            Run unknown = run("trace", "0123456789abcdef0123456789abcdef", "--admin", "127.0.0.1:" + admin);
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).contains("no trace 0123456789abcdef0123456789abcdef").contains("gateway.trace.retention");
        }
        int closed = Ports.free();
        Run unreachable = run("trace", "0123456789abcdef0123456789abcdef", "--admin", "127.0.0.1:" + closed);
        assertThat(unreachable.exit()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach the admin port");
        Run neither = run("trace", "0123456789abcdef0123456789abcdef");
        assertThat(neither.exit()).isEqualTo(1);
        assertThat(neither.err()).contains("--admin HOST:PORT");
    }
}
