package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.io.IOException;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate-content, validate-parameters, validate-headers and validate-status-code through a
 * running gateway, against an API defined by its OpenAPI document ({@code apis[].openApi}): a JDK
 * HttpClient sends real requests; the backend is a JDK HttpServer that answers each path with a
 * chosen status, headers and body and records what reached it. API "strict" uses prevent mode
 * everywhere, API "lenient" the same checks in detect mode, with later policies that read the
 * errors variables into headers.
 */
class ValidationPoliciesEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String INTERNAL = "The request could not be processed due to an internal error. Contact the API owner.";

    @TempDir
    static Path tmp;
    static HttpServer backend;
    static final List<String> reached = new CopyOnWriteArrayList<>();
    static final List<String> bodyErrorHeaders = new CopyOnWriteArrayList<>();
    static Gateway gateway;
    static HttpClient http;
    static int port;

    private static void answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        reached.add(ex.getRequestMethod() + " " + ex.getRequestURI());
        String errs = ex.getRequestHeaders().getFirst("x-body-errors");
        if (errs != null) {
            bodyErrorHeaders.add(errs);
        }
        ex.getRequestBody().readAllBytes();
        int status = 200;
        String body = "{\"id\": 1, \"name\": \"Rex\"}";
        switch (path) {
            case "/pets" -> {
                if (ex.getRequestMethod().equals("POST")) {
                    status = 201;
                } else {
                    body = "[{\"id\": 1, \"name\": \"Rex\"}]";
                }
            }
            case "/pets/1" -> ex.getResponseHeaders().add("X-Rate-Remaining", "5");
            case "/pets/2" -> body = "{\"id\": \"one\"}";
            case "/pets/3" -> status = 418;
            case "/pets/4" -> ex.getResponseHeaders().add("X-Rate-Remaining", "plenty");
            case "/pets/5" -> status = 500;
            default -> status = 200;
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static final String CHECKS = """
              <inbound>
                <base />
                <validate-parameters specified-parameter-action="%1$s" unspecified-parameter-action="%1$s" errors-variable-name="paramErrors">
                  <headers specified-parameter-action="%1$s" unspecified-parameter-action="ignore" />
                </validate-parameters>
                <validate-content unspecified-content-type-action="%1$s" max-size="1024" size-exceeded-action="%1$s" errors-variable-name="bodyErrors">
                  <content type="application/json" validate-as="json" action="%1$s" />
                </validate-content>
                %2$s
              </inbound>
              <backend><base /></backend>
              <outbound>
                <base />
                <validate-status-code unspecified-status-code-action="%1$s" errors-variable-name="responseErrors" />
                <validate-headers specified-header-action="%1$s" unspecified-header-action="ignore" errors-variable-name="responseErrors" />
                <validate-content unspecified-content-type-action="%1$s" max-size="102400" size-exceeded-action="%1$s" errors-variable-name="responseErrors">
                  <content validate-as="json" action="%1$s" />
                </validate-content>
                %3$s
              </outbound>
            """;

    @BeforeAll
    static void start() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", ValidationPoliciesEndToEndTest::answer);
        backend.start();
        port = Ports.free();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(WAIT).build();
        GatewayHarness.write(tmp.resolve("pets.yaml"), """
                openapi: 3.0.3
                info: {title: Pets, version: '1'}
                paths:
                  /pets:
                    get:
                      operationId: listPets
                      parameters:
                        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
                        - {name: status, in: query, schema: {type: array, items: {type: string, enum: [available, sold]}}}
                      responses:
                        '200': {description: pets, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Pet'}}}}}
                    post:
                      operationId: createPet
                      requestBody:
                        required: true
                        content: {application/json: {schema: {$ref: '#/components/schemas/NewPet'}}}
                      responses:
                        '201': {description: created, content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}}
                  /pets/{petId}:
                    get:
                      operationId: showPet
                      parameters:
                        - {name: petId, in: path, required: true, schema: {type: integer, minimum: 1}}
                      responses:
                        '200':
                          description: one pet
                          headers:
                            X-Rate-Remaining: {schema: {type: integer, minimum: 0}}
                          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
                        4XX: {description: client error, content: {application/json: {schema: {type: object}}}}
                components:
                  schemas:
                    NewPet:
                      type: object
                      required: [name]
                      additionalProperties: false
                      properties:
                        name: {type: string, minLength: 1}
                        tag: {type: string, nullable: true}
                    Pet:
                      type: object
                      required: [id, name]
                      properties:
                        id: {type: integer}
                        name: {type: string}
                """);
        GatewayHarness.write(tmp.resolve("strict.xml"), "<policies>" + CHECKS.formatted("prevent", "", "") + "</policies>");
        GatewayHarness.write(tmp.resolve("lenient.xml"), "<policies>" + CHECKS.formatted("detect", """
                <set-header name="x-body-errors" exists-action="override">
                  <value>@(context.Variables.ContainsKey("bodyErrors") ? ((JArray)context.Variables["bodyErrors"]).Count.ToString() : "0")</value>
                </set-header>""", """
                <set-header name="x-response-errors" exists-action="override">
                  <value>@(context.Variables.ContainsKey("responseErrors") ? (string)((JArray)context.Variables["responseErrors"])[0]["Details"] : "none")</value>
                </set-header>""") + "</policies>");
        java.nio.file.Path config = tmp.resolve("gatehouse.yaml");
        GatewayHarness.write(config, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: pets-backend
                    url: http://127.0.0.1:%d
                apis:
                  - id: strict
                    path: strict
                    backendId: pets-backend
                    openApi: pets.yaml
                    policy: strict.xml
                  - id: lenient
                    path: lenient
                    backendId: pets-backend
                    openApi: pets.yaml
                    policy: lenient.xml
                """.formatted(port, backend.getAddress().getPort()));
        ConfigResult loaded = ConfigLoader.load(config);
        assertThat(loaded.diagnostics().hasErrors()).as(loaded.diagnostics().render()).isFalse();
        gateway = new Gateway(loaded.config(), 2).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.stop(0);
        }
    }

    private static HttpResponse<String> send(String method, String target, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).timeout(WAIT);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String target) throws Exception {
        return send("GET", target, null, null);
    }

    private static String error(int status, String message) {
        return "{\"statusCode\": " + status + ", \"message\": \"" + message + "\"}";
    }

    @Test
    void conformingRequestsAndResponsesPassInPreventMode() throws Exception {
        HttpResponse<String> created = send("POST", "/strict/pets", "application/json", "{\"name\": \"Rex\", \"tag\": null}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(created.body()).isEqualTo("{\"id\": 1, \"name\": \"Rex\"}");
        HttpResponse<String> list = get("/strict/pets?limit=10&status=available&status=sold");
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        HttpResponse<String> one = get("/strict/pets/1");
        assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
        assertThat(one.headers().firstValue("X-Rate-Remaining")).contains("5");
    }

    @Test
    void preventModeRefusesBadRequestsWith400AndApimsMessages() throws Exception {
        int before = reached.size();
        HttpResponse<String> body = send("POST", "/strict/pets", "application/json", "{\"name\": \"\", \"colour\": \"red\"}");
        assertThat(body.statusCode()).isEqualTo(400);
        assertThat(body.body()).startsWith("{\"statusCode\": 400, \"message\": \"Body of the request does not conform to the definition "
                + "NewPet, which is associated with the content type application/json. ").contains("$.name").contains("colour");

        HttpResponse<String> text = send("POST", "/strict/pets", "text/plain", "Rex");
        assertThat(text.statusCode()).isEqualTo(400);
        assertThat(text.body()).isEqualTo(error(400, "Unspecified content type text/plain is not allowed."));

        String big = "{\"name\": \"" + "x".repeat(2000) + "\"}";
        HttpResponse<String> large = send("POST", "/strict/pets", "application/json", big);
        assertThat(large.statusCode()).isEqualTo(400);
        assertThat(large.body()).isEqualTo(error(400, "Request's body is " + big.length() + " bytes long and it exceeds the limit of 1024 bytes."));

        HttpResponse<String> limit = get("/strict/pets?limit=500");
        assertThat(limit.statusCode()).isEqualTo(400);
        assertThat(limit.body()).startsWith("{\"statusCode\": 400, \"message\": \"The value of the query parameter limit does not conform to the definition.");

        HttpResponse<String> unknown = get("/strict/pets?debug=1");
        assertThat(unknown.body()).isEqualTo(error(400, "Unspecified query parameter debug is not allowed."));

        HttpResponse<String> path = get("/strict/pets/abc");
        assertThat(path.statusCode()).isEqualTo(400);
        assertThat(path.body()).isEqualTo(error(400, "Value of the path parameter petId couldn't be parsed according to the definition. "
                + "It is not an integer."));
        assertThat(reached.size()).as("no refused request reaches the backend: " + reached).isEqualTo(before);
    }

    @Test
    void preventModeRefusesBadResponsesWith502() throws Exception {
        HttpResponse<String> badBody = get("/strict/pets/2");
        assertThat(badBody.statusCode()).isEqualTo(502);
        assertThat(badBody.body()).isEqualTo(error(502, INTERNAL));

        HttpResponse<String> teapot = get("/strict/pets/3");
        assertThat(teapot.statusCode()).as("418 is declared by 4XX").isEqualTo(418);

        HttpResponse<String> badHeader = get("/strict/pets/4");
        assertThat(badHeader.statusCode()).isEqualTo(502);
        assertThat(badHeader.body()).isEqualTo(error(502, INTERNAL));

        HttpResponse<String> undeclared = get("/strict/pets/5");
        assertThat(undeclared.statusCode()).isEqualTo(502);
        assertThat(undeclared.body()).isEqualTo(error(502, INTERNAL));
    }

    @Test
    void detectModeLetsEverythingThroughAndLaterPoliciesReadTheErrors() throws Exception {
        int before = bodyErrorHeaders.size();
        HttpResponse<String> body = send("POST", "/lenient/pets", "application/json", "{\"name\": 5}");
        assertThat(body.statusCode()).as(body.body()).isEqualTo(201);
        assertThat(bodyErrorHeaders.subList(before, bodyErrorHeaders.size())).containsExactly("1");

        HttpResponse<String> badBody = get("/lenient/pets/2");
        assertThat(badBody.statusCode()).isEqualTo(200);
        assertThat(badBody.body()).isEqualTo("{\"id\": \"one\"}");
        assertThat(badBody.headers().firstValue("x-response-errors").orElseThrow())
                .startsWith("Body of the response does not conform to the definition Pet").contains("$.id");

        HttpResponse<String> badHeader = get("/lenient/pets/4");
        assertThat(badHeader.statusCode()).isEqualTo(200);
        assertThat(badHeader.headers().firstValue("x-response-errors"))
                .contains("Value of the header X-Rate-Remaining couldn't be parsed according to the definition.");

        HttpResponse<String> undeclared = get("/lenient/pets/5");
        assertThat(undeclared.statusCode()).isEqualTo(500);
        assertThat(undeclared.headers().firstValue("x-response-errors")).contains("Response status code 500 is not allowed.");

        HttpResponse<String> fine = get("/lenient/pets/1");
        assertThat(fine.headers().firstValue("x-response-errors")).contains("none");
    }
}
