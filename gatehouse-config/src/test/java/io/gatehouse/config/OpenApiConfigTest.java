package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ParameterDefinition;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code apis[].openApi}: an API's operations and definition from its OpenAPI or Swagger 2.0 document. */
class OpenApiConfigTest {
    private static final String BASE = """
            gateway:
              listeners:
                - port: 8080
                  tls: false
            apis:
              - id: pets
                path: shop
            %s
            """;

    @TempDir
    Path dir;

    private ConfigResult load(String apiExtra) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, BASE.formatted(apiExtra.stripTrailing().indent(4).stripTrailing()));
        return ConfigLoader.load(file, Map.of());
    }

    private void copy(String resource, String as) throws IOException {
        Files.createDirectories(dir.resolve(as).getParent());
        Files.copy(Path.of("src/test/resources/openapi", resource), dir.resolve(as));
    }

    private Path writeDoc(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    /** The API of a load that went through without an error or a warning. */
    private static ApiConfig api(ConfigResult r) {
        assertThat(r.diagnostics().all()).as(r.diagnostics().render()).isEmpty();
        assertThat(r.ok()).isTrue();
        return r.config().model().apis().get(0);
    }

    private static Map<String, String> routes(ApiConfig api) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        api.operations().forEach(o -> out.put(o.id(), o.method() + " " + o.urlTemplate()));
        return out;
    }

    @Test
    void anOpenApi30YamlDocumentDefinesTheOperationsAndTheDefinition() throws IOException {
        copy("petstore-3.0.yaml", "specs/petstore.yaml");
        ApiConfig api = api(load("openApi: specs/petstore.yaml"));

        assertThat(routes(api)).containsExactly(
                Map.entry("listPets", "GET /pets"),
                Map.entry("createPet", "POST /pets"),
                Map.entry("showPet", "GET /pets/{petId}"),
                Map.entry("delete-pets-petid", "DELETE /pets/{petId}"),
                Map.entry("uploadPhoto", "PUT /pets/{petId}/photos/"));
        // the first absolute server, its variable at its default, without the trailing slash
        assertThat(api.serviceUrl()).isEqualTo(URI.create("https://eu.pets.example:8443/shop"));
        assertThat(api.openApi()).isEqualTo(dir.resolve("specs/petstore.yaml"));
        // operations from the document are placed at the document
        OperationConfig list = api.operations().get(0);
        assertThat(list.position().toString()).isEqualTo("%s:14:5".formatted(dir.resolve("specs/petstore.yaml")));

        ApiDefinition def = api.definition();
        assertThat(def.apiId()).isEqualTo("pets");
        assertThat(def.dialect()).isEqualTo(ApiDefinition.Dialect.OPENAPI_3_0);
        assertThat(def.components().path("schemas").path("Pet").path("allOf").get(0).path("$ref").asText())
                .isEqualTo("#/components/schemas/NewPet");

        OperationDefinition listPets = def.operation("listPets");
        // a $ref to a component parameter is resolved; a response header $ref too; schemas keep their $refs
        assertThat(listPets.parameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("limit");
            assertThat(p.in()).isEqualTo(ParameterDefinition.In.QUERY);
            assertThat(p.required()).isFalse();
            assertThat(p.schema().path("maximum").asInt()).isEqualTo(100);
        });
        assertThat(listPets.responses().get("200").headers().get("X-Next").required()).isTrue();
        assertThat(listPets.responses().get("200").content().get("application/json").schema().path("items")
                .path("$ref").asText()).isEqualTo("#/components/schemas/Pet");
        assertThat(listPets.responses().get("default").content()).containsOnlyKeys("application/problem+json");

        OperationDefinition create = def.operation("createPet");
        assertThat(create.requestBody().required()).isTrue();
        assertThat(create.requestBody().content().get("application/json").schema().path("$ref").asText())
                .isEqualTo("#/components/schemas/NewPet");
        assertThat(create.parameters()).isEmpty();

        // path-level parameters merged in; the operation's header of the same name (any case) overrides
        OperationDefinition show = def.operation("showPet");
        assertThat(show.parameters()).extracting(ParameterDefinition::name).containsExactly("petId", "x-trace");
        assertThat(show.parameters().get(0).required()).isTrue();
        assertThat(show.parameters().get(0).schema().path("format").asText()).isEqualTo("int64");
        assertThat(show.parameters().get(1).required()).isTrue();
        assertThat(show.parameters().get(1).schema().path("maxLength").asInt()).isEqualTo(32);
        assertThat(show.responses()).containsOnlyKeys("200", "4XX");
        assertThat(show.responses().get("4XX").content().get("application/problem+json").schema().path("$ref").asText())
                .isEqualTo("#/components/schemas/Problem");

        OperationDefinition delete = def.operation("delete-pets-petid");
        assertThat(delete.method()).isEqualTo("DELETE");
        assertThat(delete.parameters()).extracting(ParameterDefinition::name).containsExactly("petId", "X-Trace");
        assertThat(delete.requestBody()).isNull();

        assertThat(def.operation("uploadPhoto").requestBody().content().get("image/png").schema()).isNull();

        // the policies see it
        assertThat(loadedEnvironment(load("openApi: specs/petstore.yaml")).apiDefinition("pets")).isEqualTo(def);
    }

    private static io.gatehouse.policy.PolicyEnvironment loadedEnvironment(ConfigResult r) {
        assertThat(r.ok()).as(r.diagnostics().render()).isTrue();
        return r.config().policyEnvironment().build();
    }

    @Test
    void anOpenApi31JsonDocumentKeepsItsJsonSchema202012() throws IOException {
        copy("petstore-3.1.json", "petstore.json");
        ApiConfig api = api(load("openApi: petstore.json"));

        assertThat(routes(api)).containsExactly(Map.entry("listPets", "GET /pets"),
                Map.entry("showPet", "GET /pets/{petId}"));
        assertThat(api.serviceUrl()).isEqualTo(URI.create("http://pets.example/v2"));
        ApiDefinition def = api.definition();
        assertThat(def.dialect()).isEqualTo(ApiDefinition.Dialect.OPENAPI_3_1);
        assertThat(def.components().path("schemas").path("Pet").path("properties").path("tag").path("type").toString())
                .isEqualTo("[\"string\",\"null\"]");
        ParameterDefinition tags = def.operation("listPets").parameters().get(0);
        assertThat(tags.style()).isEqualTo("form");
        assertThat(tags.explode()).isFalse();
        assertThat(tags.schema().path("type").asText()).isEqualTo("array");
        // decimals are kept exact
        assertThat(def.operation("listPets").parameters().get(1).schema().path("multipleOf").isBigDecimal()).isTrue();
    }

    @Test
    void aSwagger20DocumentIsConvertedWithoutItsBasePathInTheTemplates() throws IOException {
        copy("petstore-swagger-2.0.yaml", "legacy.yaml");
        ApiConfig api = api(load("openApi: legacy.yaml"));

        assertThat(routes(api)).containsExactly(Map.entry("listPets", "GET /pets"),
                Map.entry("createPet", "POST /pets"), Map.entry("showPet", "GET /pets/{petId}"));
        // host, basePath and scheme make the service URL
        assertThat(api.serviceUrl()).isEqualTo(URI.create("https://legacy.pets.example/api"));
        ApiDefinition def = api.definition();
        assertThat(def.dialect()).isEqualTo(ApiDefinition.Dialect.OPENAPI_3_0);
        // the converted schema as JSON Schema, nothing of the parser's own model in it
        assertThat(def.components().path("schemas").path("Pet").toString()).isEqualTo("{\"required\":[\"name\"],"
                + "\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\",\"format\":\"int64\"},"
                + "\"name\":{\"type\":\"string\"}}}");
        // the body parameter became a request body; definitions refs point at components
        assertThat(def.operation("createPet").requestBody().required()).isTrue();
        assertThat(def.operation("createPet").requestBody().content().get("application/json").schema().path("$ref")
                .asText()).isEqualTo("#/components/schemas/Pet");
        assertThat(def.operation("createPet").responses().get("201").headers()).containsKey("Location");
        assertThat(def.operation("listPets").parameters().get(0).schema().path("maximum").asInt()).isEqualTo(100);
        // a path-level $ref parameter is resolved and merged
        assertThat(def.operation("showPet").parameters()).singleElement().satisfies(p -> {
            assertThat(p.name()).isEqualTo("petId");
            assertThat(p.in()).isEqualTo(ParameterDefinition.In.PATH);
        });
    }

    @Test
    void handWrittenOperationsAddPoliciesAndOperations() throws IOException {
        copy("petstore-3.0.yaml", "petstore.yaml");
        Files.writeString(dir.resolve("show.xml"), "<policies><inbound><base /></inbound><backend><base /></backend>"
                + "<outbound><base /></outbound><on-error><base /></on-error></policies>");
        ApiConfig api = api(load("""
                openApi: petstore.yaml
                serviceUrl: http://backend.local
                operations:
                  - id: showPet
                    policy: show.xml
                  - id: createPet
                    method: post
                    urlTemplate: /pets/
                  - id: health
                    method: GET
                    urlTemplate: /health
                """));
        assertThat(api.serviceUrl()).isEqualTo(URI.create("http://backend.local"));
        assertThat(routes(api)).containsExactly(
                Map.entry("listPets", "GET /pets"),
                Map.entry("createPet", "POST /pets"),
                Map.entry("showPet", "GET /pets/{petId}"),
                Map.entry("delete-pets-petid", "DELETE /pets/{petId}"),
                Map.entry("uploadPhoto", "PUT /pets/{petId}/photos/"),
                Map.entry("health", "GET /health"));
        assertThat(api.operations().get(2).policy()).isNotNull();
        assertThat(api.operations().get(0).policy()).isNull();
        // the definition is the document's alone
        assertThat(api.definition().operation("health")).isNull();
    }

    @Test
    void aHandWrittenOperationMayNotMoveADocumentOperation() throws IOException {
        copy("petstore-3.0.yaml", "petstore.yaml");
        ConfigResult r = load("""
                openApi: petstore.yaml
                operations:
                  - id: showPet
                    method: PUT
                    urlTemplate: /pets/{id}/x
                  - id: shwPet
                """);
        assertThat(r.ok()).isFalse();
        String config = dir.resolve("config.yaml").toString();
        assertThat(messages(r)).contains(
                config + ":11:17: error: operation 'showPet' has method PUT here but GET in the OpenAPI document at "
                        + dir.resolve("petstore.yaml") + ":51:5 (an operation the document defines keeps its method and "
                        + "urlTemplate: leave them out to add a policy, or use a new id for a new operation)",
                config + ":12:22: error: operation 'showPet' has urlTemplate '/pets/{id}/x' here but '/pets/{petId}' in the "
                        + "OpenAPI document at " + dir.resolve("petstore.yaml") + ":51:5 (an operation the document "
                        + "defines keeps its method and urlTemplate: leave them out to add a policy, or use a new id "
                        + "for a new operation)",
                config + ":13:13: error: operation 'shwPet' of api 'pets' is not in its OpenAPI document " + dir.resolve(
                        "petstore.yaml") + " (a new operation needs 'method' and 'urlTemplate') (did you mean 'showPet'?)");
    }

    private static List<String> messages(ConfigResult r) {
        return r.diagnostics().all().stream().map(Diagnostic::toString).toList();
    }

    @Test
    void withoutAnAbsoluteServerTheApiNeedsABackend() throws IOException {
        writeDoc("rel.yaml", """
                openapi: 3.0.3
                info: {title: t, version: '1'}
                servers:
                  - url: /v1
                paths:
                  /a:
                    get:
                      responses:
                        '200': {description: ok}
                """);
        ConfigResult r = load("openApi: rel.yaml");
        assertThat(r.ok()).isFalse();
        assertThat(messages(r)).anySatisfy(m -> assertThat(m).contains("config.yaml:6:5: error: api 'pets' needs 'backendId' "
                + "(a backend's id) or 'serviceUrl' (https://...): its OpenAPI document " + dir.resolve("rel.yaml")
                + " has no absolute http(s) server URL to use instead (its first is '/v1')"));

        // Swagger 2.0 without schemes: the converted server has no scheme
        writeDoc("noscheme.yaml", """
                swagger: "2.0"
                info: {title: t, version: "1"}
                host: svc.example:8080
                basePath: /base
                paths:
                  /x:
                    get:
                      responses:
                        200: {description: ok}
                """);
        assertThat(messages(load("openApi: noscheme.yaml"))).anySatisfy(m -> assertThat(m).endsWith(
                "has no absolute http(s) server URL to use instead (its first is '//svc.example:8080/base')"));
    }

    @Test
    void aMissingDocumentIsAnErrorAtTheKey() throws IOException {
        ConfigResult r = load("openApi: nowhere.yaml");
        assertThat(r.ok()).isFalse();
        assertThat(messages(r)).containsExactly(dir.resolve("config.yaml") + ":8:14: error: file not found: "
                + dir.resolve("nowhere.yaml"));
    }

    @Test
    void anInvalidDocumentIsPlacedAtItsLineAndColumn() throws IOException {
        Path doc = writeDoc("broken.yaml", """
                openapi: 3.0.3
                info:
                  title: broken
                  version: '1'
                paths:
                  /pets:
                    get:
                      operationId: listPets
                      tags: pets
                      parameters:
                        - name: limit
                          in: query
                          schema: {type: integer}
                  /pets/{petId}:
                    get:
                      operationId: listPets
                      responses:
                        '200': {description: ok}
                """);
        ConfigResult r = load("openApi: broken.yaml\nserviceUrl: http://b.local");
        assertThat(r.ok()).isFalse();
        List<String> m = messages(r);
        assertThat(m).anySatisfy(x -> assertThat(x).startsWith(doc + ":7:5: error: OpenAPI document: attribute "
                + "paths.'/pets'(get).responses is missing"));
        assertThat(m).anySatisfy(x -> assertThat(x).startsWith(doc + ":9:7: error: OpenAPI document: attribute "
                + "paths.'/pets'(get).tags is not of type `array`"));
        assertThat(m).anySatisfy(x -> assertThat(x).startsWith(doc + ":16:7: error: OpenAPI document: attribute "
                + "paths.'/pets/{petId}'(get).operationId is repeated"));
        // what does not stop the document's use is a warning
        assertThat(m).anySatisfy(x -> assertThat(x).isEqualTo(doc + ":14:3: warning: OpenAPI document: "
                + "paths.'/pets/{petId}'. Declared path parameter petId needs to be defined as a path parameter in path "
                + "or operation level (ignored)"));
    }

    @Test
    void unknownFormatsExternalReferencesAndBadPathsAreErrors() throws IOException {
        Path unknown = writeDoc("unknown.yaml", "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\n");
        ConfigResult r = load("openApi: unknown.yaml\nserviceUrl: http://b.local");
        assertThat(messages(r)).containsExactly(unknown + ":1:1: error: not an OpenAPI document: expected "
                + "'openapi: 3.0.x' or 'openapi: 3.1.x' (or 'swagger: \"2.0\"') at the top");

        Path v4 = writeDoc("v4.json", "{\"openapi\": \"4.0.0\"}");
        assertThat(messages(load("openApi: v4.json\nserviceUrl: http://b.local"))).containsExactly(v4
                + ":1:13: error: unsupported OpenAPI version '4.0.0' (expected 3.0.x or 3.1.x, or a Swagger 2.0 "
                + "document with 'swagger: \"2.0\"')");

        Path remote = writeDoc("remote.yaml", """
                openapi: 3.0.3
                info: {title: t, version: '1'}
                paths:
                  /a:
                    get:
                      responses:
                        '200':
                          $ref: 'https://schemas.example/common.yaml#/Ok'
                        '404':
                          $ref: '#/components/responses/Missing'
                """);
        List<String> m = messages(load("openApi: remote.yaml\nserviceUrl: http://b.local"));
        assertThat(m).containsExactly(
                remote + ":8:17: error: $ref 'https://schemas.example/common.yaml#/Ok' points outside the document: "
                        + "Gatehouse reads one self-contained OpenAPI document and fetches no file or URL at load "
                        + "(expected a reference within it, such as '#/components/schemas/Pet'; bundle the referenced "
                        + "parts into this file)",
                remote + ":10:17: error: $ref '#/components/responses/Missing' points to nothing in the document");

        Path wildcard = writeDoc("wildcard.yaml", """
                openapi: 3.0.3
                info: {title: t, version: '1'}
                paths:
                  /files/*:
                    get:
                      responses:
                        '200': {description: ok}
                  /files/{name}.{ext}:
                    get:
                      parameters:
                        - {name: name, in: path, required: true, schema: {type: string}}
                        - {name: ext, in: path, required: true, schema: {type: string}}
                      responses:
                        '200': {description: ok}
                """);
        assertThat(messages(load("openApi: wildcard.yaml\nserviceUrl: http://b.local"))).containsExactly(wildcard
                + ":4:3: error: path '/files/*' may not contain '*' (OpenAPI paths have no wildcards)");
    }

    @Test
    void aRefInsideAnExampleIsDataNotAReference() throws IOException {
        writeDoc("example.yaml", """
                openapi: 3.0.3
                info: {title: t, version: '1'}
                paths:
                  /schemas:
                    post:
                      requestBody:
                        content:
                          application/json:
                            schema: {type: object}
                            example: {$ref: 'https://json-schema.org/draft/2020-12/schema'}
                      responses:
                        '204': {description: stored}
                """);
        ApiConfig api = api(load("openApi: example.yaml\nserviceUrl: http://b.local"));
        assertThat(routes(api)).containsExactly(Map.entry("post-schemas", "POST /schemas"));
    }

    @Test
    void yamlAliasesMergeKeysAndScalarTypesReachTheDefinition() throws IOException {
        writeDoc("alias.yaml", """
                openapi: 3.0.3
                info: {title: t, version: '1'}
                servers: [{url: 'http://a.example'}]
                x-common: &page
                  name: page
                  in: query
                paths:
                  /a:
                    get:
                      parameters:
                        - <<: *page
                          schema: {type: integer, minimum: 1, maximum: 0x10, multipleOf: 0.5, default: '7'}
                          required: True
                      responses:
                        '200': &ok
                          description: ok
                          content:
                            application/json:
                              schema: {type: object, nullable: true, properties: {n: {type: integer, maximum: 1e3}}}
                  /b:
                    get:
                      responses:
                        200: *ok
                """);
        ApiDefinition def = api(load("openApi: alias.yaml")).definition();
        assertThat(def.operation("get-b").responses().get("200").content().get("application/json").schema())
                .isEqualTo(def.operation("get-a").responses().get("200").content().get("application/json").schema());
        com.fasterxml.jackson.databind.JsonNode body = def.operation("get-b").responses().get("200").content()
                .get("application/json").schema();
        assertThat(body.path("nullable").isBoolean()).isTrue();
        assertThat(body.path("properties").path("n").path("maximum").decimalValue()).isEqualByComparingTo("1000");
        ParameterDefinition page = def.operation("get-a").parameters().get(0);
        assertThat(page.name()).isEqualTo("page");
        assertThat(page.in()).isEqualTo(ParameterDefinition.In.QUERY);
        assertThat(page.required()).isTrue();
        assertThat(page.schema().path("minimum").isIntegralNumber()).isTrue();
        assertThat(page.schema().path("maximum").asInt()).isEqualTo(16);
        assertThat(page.schema().path("multipleOf").decimalValue()).isEqualByComparingTo("0.5");
        assertThat(page.schema().path("default").isTextual()).isTrue();
    }

    @Test
    void duplicateOperationIdsAreErrors() throws IOException {
        Path doc = writeDoc("dup.json", """
                {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                 "paths": {"/a": {"get": {"operationId": "same", "responses": {"200": {"description": "ok"}}}},
                           "/b": {"get": {"operationId": "same", "responses": {"200": {"description": "ok"}}}}}}
                """);
        assertThat(messages(load("openApi: dup.json\nserviceUrl: http://b.local"))).containsExactly(doc
                + ":3:27: error: OpenAPI document: attribute paths.'/b'(get).operationId is repeated");
    }
}
