package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend that answers with {@code Connection: close} gets its connection closed by the gateway
 * after the response, never pooled, also where the response is collected whole
 * ({@link UpstreamCollector}): on a route with policies and on a policy's outbound call. The
 * scripted backend keeps its side open after such an answer and reads on, so the connection ends
 * only if the gateway ends it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectionCloseEndToEndTest {
    private static final String CLOSING = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 6\r\n\r\nclosed";

    @TempDir
    static Path tmp;
    ScriptedBackend backend;
    GatewayHarness gw;
    int port;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        backend = new ScriptedBackend();
        backend.on("/policy-close", CLOSING);
        backend.on("/called-close", CLOSING);
        backend.on("/", "HTTP/1.1 204 No Content\r\n\r\n");
        // outbound policies: the route's response is collected, not relayed
        GatewayHarness.write(tmp.resolve("policy.xml"), """
                <policies>
                  <inbound />
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-header name="x-collected" exists-action="override"><value>yes</value></set-header>
                  </outbound>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("call.xml"), """
                <policies>
                  <inbound>
                    <send-request mode="new" response-variable-name="r" timeout="10">
                      <set-url>http://127.0.0.1:%d/called-close</set-url>
                    </send-request>
                    <return-response>
                      <set-status code="200" reason="OK" />
                      <set-body>@(((IResponse)context.Variables["r"]).Body.As<string>())</set-body>
                    </return-response>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """.formatted(backend.port()));
        port = Ports.free();
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: scripted
                    url: http://127.0.0.1:%d
                    timeout: 10
                apis:
                  - id: policy
                    path: policy
                    backendId: scripted
                    policy: policy.xml
                  - id: call
                    path: call
                    backendId: scripted
                    policy: call.xml
                """.formatted(port, backend.port()));
    }

    @AfterAll
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        backend.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The backend connection the last request for {@code target} came on. */
    private ScriptedBackend.Connection servedOn(String target) {
        int index = -1;
        for (ScriptedBackend.Request r : backend.requests) {
            if (r.target().equals(target)) {
                index = r.connection();
            }
        }
        assertThat(index).as("the backend saw " + target).isNotNegative();
        return backend.accepted.get(index);
    }

    @Test
    void aRouteWithPoliciesClosesTheConnectionOfABackendThatSaidConnectionClose() throws Exception {
        HttpResponse<String> r = get("/policy/policy-close");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("closed");
        assertThat(r.headers().firstValue("x-collected")).as("collected for the outbound policies").hasValue("yes");
        assertThat(servedOn("/policy-close").awaitEnd(Duration.ofSeconds(5)))
                .as("the gateway closed the connection instead of pooling it").isNotEqualTo(-1L);

        HttpResponse<String> again = get("/policy/policy-close");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    }

    @Test
    void anOutboundCallClosesTheConnectionOfAServerThatSaidConnectionClose() throws Exception {
        HttpResponse<String> r = get("/call/go");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("closed");
        assertThat(servedOn("/called-close").awaitEnd(Duration.ofSeconds(5)))
                .as("the gateway closed the connection instead of pooling it").isNotEqualTo(-1L);

        HttpResponse<String> again = get("/call/go");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    }
}
