package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.ConfigWatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * An API defined by its OpenAPI document ({@code apis[].openApi}) through the gateway: a JDK
 * HttpClient sends real requests, and a {@link RecordingBackend} shows which operation each
 * reached (an API-scope policy writes {@code context.Operation.Id} into a header).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    static Path tmp;
    static RecordingBackend backend;
    static Gateway gateway;
    static ConfigWatcher watcher;
    static final LinkedBlockingQueue<ConfigResult> reloads = new LinkedBlockingQueue<>();
    static HttpClient http;
    static int port;
    static Path document;

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingBackend();
        port = Ports.free();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        document = tmp.resolve("specs/petstore.yaml");
        Files.createDirectories(document.getParent());
        Files.copy(Path.of("src/test/resources/openapi/petstore.yaml"), document);
        GatewayHarness.write(tmp.resolve("specs/empty.json"), """
                {"openapi": "3.1.0", "info": {"title": "Nothing yet", "version": "0"}, "paths": {}}
                """);
        GatewayHarness.write(tmp.resolve("api.xml"), """
                <policies>
                  <inbound>
                    <set-header name="x-operation" exists-action="override"><value>@(context.Operation.Id)</value></set-header>
                    <set-header name="x-template" exists-action="override"><value>@(context.Operation.UrlTemplate)</value></set-header>
                  </inbound>
                  <backend><base /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("show.xml"), """
                <policies>
                  <inbound>
                    <base />
                    <set-header name="x-show-only" exists-action="override"><value>yes</value></set-header>
                  </inbound>
                  <backend><base /></backend>
                </policies>
                """);
        Path config = tmp.resolve("gatehouse.yaml");
        GatewayHarness.write(config, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: recorder
                    url: %s
                apis:
                  - id: pets
                    path: shop
                    backendId: recorder
                    openApi: specs/petstore.yaml
                    policy: api.xml
                    operations:
                      - id: showPet
                        policy: show.xml
                      - id: health
                        method: GET
                        urlTemplate: /health
                  - id: empty
                    path: empty
                    backendId: recorder
                    openApi: specs/empty.json
                """.formatted(port, backend.url()));
        ConfigResult first = ConfigLoader.load(config);
        assertThat(first.diagnostics().all()).as(first.diagnostics().render()).extracting(Object::toString)
                .containsExactly(tmp.resolve("specs/empty.json") + ":1:72: warning: the OpenAPI document defines no "
                        + "operations: every request to the API is answered 404, unless the config adds operations of its own");
        assertThat(first.watchedFiles()).contains(document.toAbsolutePath().normalize());
        gateway = new Gateway(first.config(), 2).start();
        watcher = new ConfigWatcher(config, r -> {
            if (r.config() != null) {
                gateway.reload(r.config());
            }
            reloads.add(r); // after the swap, so a test that sees the result sees the new config serving
        }, Map.of());
        watcher.start(first.watchedFiles());
    }

    @AfterAll
    static void stop() throws Exception {
        if (watcher != null) {
            watcher.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static HttpResponse<String> send(String method, String target) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).timeout(WAIT);
        b.method(method, method.equals("POST") || method.equals("PUT")
                ? HttpRequest.BodyPublishers.ofString("{\"name\":\"Rex\"}") : HttpRequest.BodyPublishers.noBody());
        if (method.equals("POST") || method.equals("PUT")) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends the request and returns what the backend received for it. */
    private static RecordingBackend.Request through(String method, String target) throws Exception {
        int before = backend.requests.size();
        HttpResponse<String> r = send(method, target);
        assertThat(r.statusCode()).as(method + " " + target + ": " + r.body()).isEqualTo(200);
        assertThat(backend.requests).hasSize(before + 1);
        RecordingBackend.Request seen = backend.requests.get(before);
        assertThat(seen.method()).isEqualTo(method);
        assertThat(seen.target()).isEqualTo(target.substring("/shop".length()));
        return seen;
    }

    @Test
    void eachOperationOfTheDocumentIsRoutedWithItsId() throws Exception {
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("GET /shop/pets", "listPets");
        expected.put("GET /shop/pets?limit=3", "listPets");
        expected.put("POST /shop/pets", "createPet");
        expected.put("GET /shop/pets/42", "showPet");
        expected.put("DELETE /shop/pets/42", "deletePet");
        expected.put("PUT /shop/pets/42/photos/", "uploadPhoto");
        expected.put("PUT /shop/pets/42/photos", "uploadPhoto");
        expected.put("GET /shop/pets/mine", "myPets"); // the literal segment wins over {petId}
        expected.put("GET /shop/pets/42.xml", "exportPet"); // a parameter inside a segment
        expected.put("GET /shop/stores/7/pets/9", "get-stores-storeid-pets-petid"); // no operationId: derived
        expected.put("GET /shop/health", "health"); // a hand-written operation next to the document's
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String[] request = e.getKey().split(" ");
            RecordingBackend.Request seen = through(request[0], request[1]);
            assertThat(seen.header("x-operation")).as(e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(through("GET", "/shop/pets/42").header("x-template")).isEqualTo("/pets/{petId}");
        assertThat(through("GET", "/shop/pets/42.json").header("x-template")).isEqualTo("/pets/{petId}.{format}");
    }

    @Test
    void aHandWrittenOperationPolicyRunsForItsOperationOnly() throws Exception {
        RecordingBackend.Request show = through("GET", "/shop/pets/7");
        assertThat(show.header("x-show-only")).isEqualTo("yes");
        assertThat(show.header("x-operation")).isEqualTo("showPet"); // <base /> ran the API policy too
        for (String[] other : List.of(new String[] {"DELETE", "/shop/pets/7"}, new String[] {"GET", "/shop/pets"},
                new String[] {"POST", "/shop/pets"})) {
            assertThat(through(other[0], other[1]).header("x-show-only")).as(other[0] + " " + other[1]).isNull();
        }
    }

    @Test
    void whatTheDocumentDoesNotDeclareIsTheGatewaysUsual404() throws Exception {
        int before = backend.requests.size();
        for (String[] r : List.of(new String[] {"GET", "/shop/cats"}, new String[] {"PATCH", "/shop/pets"},
                new String[] {"GET", "/shop/pets/42/photos"}, new String[] {"GET", "/shop/pets/42/extra"},
                new String[] {"GET", "/shop"}, new String[] {"GET", "/empty"}, new String[] {"POST", "/empty/x"})) {
            HttpResponse<String> response = send(r[0], r[1]);
            assertThat(response.statusCode()).as(r[0] + " " + r[1]).isEqualTo(404);
            assertThat(response.body()).contains("Resource not found");
        }
        assertThat(backend.requests).hasSize(before);
    }

    @Test
    void aChangedDocumentReloadsAndABrokenOneKeepsTheRunningConfig() throws Exception {
        String original = Files.readString(document);
        try {
            reloads.clear();
            Files.writeString(document, original.replace("""
                    components:
                    """, """
                      /toys:
                        get:
                          operationId: listToys
                          responses:
                            '200':
                              description: the toys
                    components:
                    """));
            ConfigResult changed = reloads.poll(10, TimeUnit.SECONDS);
            assertThat(changed).as("a reload within 10 s").isNotNull();
            assertThat(changed.ok()).as(changed.diagnostics().render()).isTrue();
            assertThat(through("GET", "/shop/toys").header("x-operation")).isEqualTo("listToys");

            reloads.clear();
            Files.writeString(document, original.replace("operationId: deletePet\n      responses:", "operationId: deletePet\n      responsez:"));
            ConfigResult broken = reloads.poll(10, TimeUnit.SECONDS);
            assertThat(broken).as("a reload within 10 s").isNotNull();
            assertThat(broken.ok()).isFalse();
            assertThat(broken.diagnostics().render()).contains(document + ":42:5: error: OpenAPI document: attribute "
                    + "paths.'/pets/{petId}'(delete).responses is missing");
            // the running config (with /toys) serves on
            assertThat(through("GET", "/shop/toys").header("x-operation")).isEqualTo("listToys");
        } finally {
            reloads.clear();
            Files.writeString(document, original);
            ConfigResult restored = reloads.poll(10, TimeUnit.SECONDS);
            assertThat(restored).isNotNull();
            assertThat(restored.ok()).isTrue();
        }
    }
}
