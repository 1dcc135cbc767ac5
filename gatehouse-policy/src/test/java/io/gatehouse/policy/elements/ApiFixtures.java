package io.gatehouse.policy.elements;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.HeaderDefinition;
import io.gatehouse.policy.api.MediaTypeDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ParameterDefinition;
import io.gatehouse.policy.api.RequestBodyDefinition;
import io.gatehouse.policy.api.ResponseDefinition;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * ApiDefinition records built by hand from a JSON description shaped like an OpenAPI document's
 * paths (what gatehouse-config's loader produces), and helpers to run the validation policies.
 */
final class ApiFixtures {
    private ApiFixtures() {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /** {@code {"components": {...}, "paths": {"/pets": {"post": {"operationId": ..., "parameters": [...], "requestBody": ..., "responses": ...}}}}}. */
    static ApiDefinition definition(String apiId, ApiDefinition.Dialect dialect, String json) {
        try {
            JsonNode doc = JSON.readTree(json);
            List<OperationDefinition> ops = new ArrayList<>();
            doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(m -> {
                JsonNode op = m.getValue();
                List<ParameterDefinition> params = new ArrayList<>();
                if (op.has("parameters")) {
                    for (JsonNode p : op.get("parameters")) {
                        params.add(new ParameterDefinition(p.get("name").asText(),
                                ParameterDefinition.In.valueOf(p.get("in").asText().toUpperCase(Locale.ROOT)),
                                p.path("required").asBoolean(false), p.get("schema"),
                                p.has("style") ? p.get("style").asText() : null, p.has("explode") ? p.get("explode").asBoolean() : null));
                    }
                }
                RequestBodyDefinition body = null;
                if (op.has("requestBody")) {
                    body = new RequestBodyDefinition(op.get("requestBody").path("required").asBoolean(false),
                            content(op.get("requestBody").get("content")));
                }
                Map<String, ResponseDefinition> responses = new LinkedHashMap<>();
                if (op.has("responses")) {
                    op.get("responses").properties().forEach(r -> {
                        Map<String, HeaderDefinition> headers = new LinkedHashMap<>();
                        if (r.getValue().has("headers")) {
                            r.getValue().get("headers").properties().forEach(h -> headers.put(h.getKey(),
                                    new HeaderDefinition(h.getKey(), h.getValue().path("required").asBoolean(false), h.getValue().get("schema"))));
                        }
                        responses.put(r.getKey(), new ResponseDefinition(r.getKey(), headers, content(r.getValue().get("content"))));
                    });
                }
                ops.add(new OperationDefinition(op.get("operationId").asText(), m.getKey().toUpperCase(Locale.ROOT), path.getKey(),
                        params, body, responses));
            }));
            JsonNode components = doc.has("components") ? doc.get("components") : JsonNodeFactory.instance.objectNode();
            return new ApiDefinition(apiId, apiId + ".openapi.json", dialect, components, ops);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static Map<String, MediaTypeDefinition> content(JsonNode content) {
        Map<String, MediaTypeDefinition> m = new LinkedHashMap<>();
        if (content != null) {
            content.properties().forEach(c -> m.put(c.getKey(), new MediaTypeDefinition(c.getKey(), c.getValue().get("schema"))));
        }
        return m;
    }

    /** A petstore-like API: create, get, list pets; recursive categories; headers; formats. */
    static final String PETSTORE = """
            {
              "components": {"schemas": {
                "Pet": {"type": "object", "required": ["name", "photoUrls"], "additionalProperties": false,
                  "properties": {
                    "id": {"type": "integer", "format": "int64", "minimum": 1},
                    "name": {"type": "string", "minLength": 1, "maxLength": 40},
                    "status": {"type": "string", "enum": ["available", "pending", "sold"]},
                    "tag": {"type": "string", "nullable": true},
                    "born": {"type": "string", "format": "date"},
                    "ownerEmail": {"type": "string", "format": "email"},
                    "photoUrls": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                    "category": {"$ref": "#/components/schemas/Category"}
                  }},
                "Category": {"type": "object", "required": ["name"],
                  "properties": {"name": {"type": "string"}, "parent": {"$ref": "#/components/schemas/Category"}}},
                "Error": {"type": "object", "required": ["code"], "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}
              }},
              "paths": {
                "/pets": {
                  "post": {"operationId": "createPet",
                    "parameters": [{"name": "X-Request-Id", "in": "header", "required": false, "schema": {"type": "string", "format": "uuid"}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                    "responses": {
                      "201": {"headers": {"Location": {"required": true, "schema": {"type": "string"}},
                                          "X-Rate-Remaining": {"schema": {"type": "integer", "minimum": 0}}},
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                      "4XX": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                    }},
                  "get": {"operationId": "listPets",
                    "parameters": [
                      {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
                      {"name": "status", "in": "query", "schema": {"type": "array", "items": {"type": "string", "enum": ["available", "pending", "sold"]}}},
                      {"name": "ids", "in": "query", "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "integer"}}},
                      {"name": "fields", "in": "query", "style": "pipeDelimited", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
                      {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                      {"name": "X-Tenant", "in": "header", "required": true, "schema": {"type": "string", "pattern": "^[a-z]+$"}}
                    ],
                    "responses": {"200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}}}},
                                  "default": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
                },
                "/pets/{petId}": {
                  "get": {"operationId": "getPet",
                    "parameters": [{"name": "petId", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}],
                    "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                                  "404": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
                }
              }
            }
            """;

    static final ApiDefinition PETS = definition("pets", ApiDefinition.Dialect.OPENAPI_3_0, PETSTORE);
    static final PolicyEnvironment ENV = PolicyEnvironment.builder().apiDefinition(PETS).build();
    static final PolicyEngine ENGINE = new PolicyEngine(ENV).forApi("pets");

    static EffectivePolicy inbound(String inner) {
        return Harness.compile(ENGINE, "<policies><inbound>" + inner + "</inbound><backend><forward-request/></backend></policies>");
    }

    static EffectivePolicy outbound(String inner) {
        return Harness.compile(ENGINE, "<policies><inbound/><backend><forward-request/></backend><outbound>" + inner
                + "</outbound></policies>");
    }

    /** The rendered diagnostics of a document compiled with {@code engine} at API scope. */
    static List<String> diagnostics(PolicyEngine engine, String xml) {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("p.xml", xml), Scope.API, d);
        return d.all().stream().map(Object::toString).toList();
    }

    /** A request routed to {@code operationId} of the pets API. */
    static PolicyContext request(String operationId, String method, String url) {
        PolicyContext c = new PolicyContext();
        c.request().method(method).url(Url.parse(url));
        c.api(new ApiInfo("pets", "Pets", "/", null, null));
        OperationDefinition op = PETS.operation(operationId);
        c.operation(new OperationInfo(operationId, operationId, op == null ? method : op.method(), op == null ? "/" : op.urlTemplate()));
        return c;
    }

    static PolicyContext post(String json) {
        PolicyContext c = request("createPet", "POST", "https://gw.local/pets");
        if (json != null) {
            c.request().headers().set("Content-Type", "application/json");
            c.request().body(new MessageBody(json.getBytes(StandardCharsets.UTF_8), "application/json"));
        }
        return c;
    }

    /** A backend answering with this status, headers and body, counting its calls. */
    static final class Backend implements Forwarder {
        final int status;
        final Map<String, String> headers;
        final String contentType;
        final String body;
        int calls;

        Backend(int status, Map<String, String> headers, String contentType, String body) {
            this.status = status;
            this.headers = headers;
            this.contentType = contentType;
            this.body = body;
        }

        @Override
        public CompletableFuture<Void> forward(io.gatehouse.policy.Exchange exchange, io.gatehouse.policy.ForwardSettings settings) {
            calls++;
            PolicyContext c = exchange.context();
            c.response().statusCode(status).statusReason("Backend");
            headers.forEach((k, v) -> c.response().headers().add(k, v));
            if (body != null) {
                c.response().headers().set("Content-Type", contentType);
                c.response().body(new MessageBody(body.getBytes(StandardCharsets.UTF_8), contentType));
            }
            return CompletableFuture.completedFuture(null);
        }
    }

    static Backend ok() {
        return new Backend(200, Map.of(), null, null);
    }

    /** The errors variable as a list of maps (Name, Type, ValidationRule, Details, Action). */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> errors(PolicyContext c, String variable) {
        Object v = c.variables().get(variable);
        if (v == null) {
            return List.of();
        }
        try {
            return JSON.readValue(v.toString(), List.class);
        } catch (Exception e) {
            throw new AssertionError("errors variable is not a JSON list: " + v, e);
        }
    }
}
