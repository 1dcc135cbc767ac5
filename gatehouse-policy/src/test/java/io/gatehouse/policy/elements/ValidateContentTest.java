package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.api.ApiDefinition;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.gatehouse.policy.elements.ApiFixtures.errors;
import static io.gatehouse.policy.elements.ApiFixtures.post;
import static org.assertj.core.api.Assertions.assertThat;

class ValidateContentTest {
    private static final String PREVENT = """
            <validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent" errors-variable-name="bodyErrors">
              <content type="application/json" validate-as="json" action="prevent" />
            </validate-content>""";
    private static final String DETECT = PREVENT.replace("action=\"prevent\" />", "action=\"detect\" />");
    private static final String VALID = "{\"name\": \"Rex\", \"photoUrls\": [\"http://x/1.png\"], \"status\": \"available\", "
            + "\"tag\": null, \"born\": \"2020-02-29\", \"category\": {\"name\": \"dogs\", \"parent\": {\"name\": \"animals\"}}}";

    @Test
    void aBodyThatConformsReachesTheBackend() {
        PolicyContext c = post(VALID);
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT), c, backend);
        assertThat(backend.calls).isEqualTo(1);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(c.variables().containsKey("bodyErrors")).isFalse();
    }

    @Test
    void preventStopsANonConformingRequestWith400AndApimsMessage() {
        PolicyContext c = post("{\"name\": \"\", \"photoUrls\": \"none\", \"status\": \"lost\"}");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT), c, backend);
        assertThat(backend.calls).isZero();
        assertThat(c.response().statusCode()).isEqualTo(400);
        String body = Harness.body(c);
        assertThat(body).startsWith("{\"statusCode\": 400, \"message\": \"Body of the request does not conform to the definition Pet, "
                + "which is associated with the content type application/json. ");
        assertThat(body).contains("$.name").contains("$.photoUrls").contains("$.status");
        assertThat(c.lastError().source()).isEqualTo("validate-content");
        assertThat(c.lastError().reason()).isEqualTo("Bad request");
        List<Map<String, Object>> errs = errors(c, "bodyErrors");
        assertThat(errs).hasSize(1);
        assertThat(errs.get(0)).containsEntry("Name", "application/json").containsEntry("Type", "RequestBody")
                .containsEntry("ValidationRule", "IncorrectMessage").containsEntry("Action", "prevent");
        assertThat((String) errs.get(0).get("Details")).contains("$.photoUrls");
    }

    @Test
    void detectLetsTheRequestThroughAndLogsTheErrors() {
        PolicyContext c = post("{\"name\": \"Rex\"}");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(DETECT), c, backend);
        assertThat(backend.calls).isEqualTo(1);
        assertThat(c.response().statusCode()).isEqualTo(200);
        List<Map<String, Object>> errs = errors(c, "bodyErrors");
        assertThat(errs).singleElement().satisfies(e -> {
            assertThat(e).containsEntry("Action", "detect").containsEntry("ValidationRule", "IncorrectMessage");
            assertThat((String) e.get("Details")).contains("photoUrls");
        });
    }

    @Test
    void aLaterPolicyReadsTheErrorsVariable() {
        String doc = DETECT + """
                <set-header name="X-Body-Errors" exists-action="override">
                  <value>@(((JArray)context.Variables["bodyErrors"]).Count + " " + (string)((JArray)context.Variables["bodyErrors"])[0]["ValidationRule"])</value>
                </set-header>""";
        PolicyContext c = post("{\"name\": \"Rex\"}");
        Harness.run(ApiFixtures.inbound(doc), c, ApiFixtures.ok());
        assertThat(c.request().headers().getValueOrDefault("X-Body-Errors", null)).isEqualTo("1 IncorrectMessage");
    }

    @Test
    void ignoreSkipsTheBody() {
        PolicyContext c = post("{\"name\": 5}");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT.replace("action=\"prevent\" />", "action=\"ignore\" />")), c, backend);
        assertThat(backend.calls).isEqualTo(1);
        assertThat(c.variables().containsKey("bodyErrors")).isFalse();
    }

    @Test
    void formatsEnumsRecursionAndNullableAreChecked() {
        String[] bad = {
            "{\"name\": \"Rex\", \"photoUrls\": [], \"born\": \"2020-02-30\"}",
            "{\"name\": \"Rex\", \"photoUrls\": [], \"ownerEmail\": \"not-an-email\"}",
            "{\"name\": \"Rex\", \"photoUrls\": [], \"category\": {\"name\": \"a\", \"parent\": {\"parent\": {\"name\": \"b\"}}}}",
            "{\"name\": \"Rex\", \"photoUrls\": [], \"id\": 0}",
            "{\"name\": \"Rex\", \"photoUrls\": [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\"]}",
        };
        for (String json : bad) {
            PolicyContext c = post(json);
            Harness.run(ApiFixtures.inbound(PREVENT), c, ApiFixtures.ok());
            assertThat(c.response().statusCode()).as(json).isEqualTo(400);
        }
        PolicyContext nested = post("{\"name\": \"Rex\", \"photoUrls\": [], \"category\": {\"name\": \"a\", \"parent\": {\"parent\": {\"name\": \"b\"}}}}");
        Harness.run(ApiFixtures.inbound(PREVENT), nested, ApiFixtures.ok());
        assertThat(Harness.body(nested)).contains("$.category.parent: required property 'name' not found");
    }

    @Test
    void malformedJsonIsAnIncorrectMessageWithLineAndPosition() {
        PolicyContext c = post("{\"name\": \"Rex\",\n  \"photoUrls\": [}");
        Harness.run(ApiFixtures.inbound(PREVENT), c, ApiFixtures.ok());
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(c)).contains("The body is not valid JSON. Line: 2, Position: ");
    }

    @Test
    void aBodyOverMaxSizeIsASizeLimitError() {
        String big = "{\"name\": \"" + "x".repeat(2000) + "\", \"photoUrls\": []}";
        PolicyContext c = post(big);
        Harness.run(ApiFixtures.inbound(PREVENT), c, ApiFixtures.ok());
        assertThat(c.response().statusCode()).isEqualTo(400);
        int size = big.getBytes(StandardCharsets.UTF_8).length;
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 400, \"message\": \"Request's body is " + size
                + " bytes long and it exceeds the limit of 1024 bytes.\"}");
        assertThat(errors(c, "bodyErrors").get(0)).containsEntry("ValidationRule", "SizeLimit")
                .containsEntry("Details", "Request's body is " + size + " bytes long and it exceeds the configured limit of 1024 bytes.");

        PolicyContext detected = post(big);
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT.replace("size-exceeded-action=\"prevent\"", "size-exceeded-action=\"detect\"")), detected, backend);
        // the size is only logged (detect); validation goes on, and the 2000-character name breaks maxLength 40 (prevent)
        assertThat(backend.calls).isZero();
        assertThat(errors(detected, "bodyErrors")).extracting(e -> e.get("ValidationRule")).containsExactly("SizeLimit", "IncorrectMessage");
    }

    @Test
    void anEmptyBodyIsNotCheckedUnlessARequiredOneIsMissing() {
        PolicyContext get = ApiFixtures.request("listPets", "GET", "https://gw.local/pets");
        get.request().headers().set("Content-Type", "application/json");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT), get, backend);
        assertThat(backend.calls).isEqualTo(1);

        PolicyContext missing = post(null);
        Harness.run(ApiFixtures.inbound(PREVENT), missing, ApiFixtures.ok());
        assertThat(missing.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(missing)).isEqualTo("{\"statusCode\": 400, \"message\": \"Body of the request is missing, and the "
                + "definition requires one.\"}");
    }

    @Test
    void anUndeclaredContentTypeIsUnspecified() {
        PolicyContext c = post(null);
        c.request().headers().set("Content-Type", "text/plain; charset=utf-8");
        c.request().body(MessageBody.ofString("hello", "text/plain"));
        Harness.run(ApiFixtures.inbound(PREVENT), c, ApiFixtures.ok());
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 400, \"message\": \"Unspecified content type text/plain is not allowed.\"}");
        assertThat(errors(c, "bodyErrors").get(0)).containsEntry("Name", "text/plain").containsEntry("ValidationRule", "Unspecified");
    }

    @Test
    void theContentTypeMapDecidesWhichTypeIsValidated() {
        String mapped = """
                <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                  <content-type-map missing-content-type-value="application/json">
                    <type from="application/hal+json" to="application/json" />
                  </content-type-map>
                  <content type="application/json" validate-as="json" action="prevent" />
                </validate-content>""";
        PolicyContext noType = post(null);
        noType.request().body(new MessageBody("{\"name\": 1}".getBytes(StandardCharsets.UTF_8), null));
        Harness.run(ApiFixtures.inbound(mapped), noType, ApiFixtures.ok());
        assertThat(noType.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(noType)).contains("content type application/json");

        PolicyContext hal = post(VALID);
        hal.request().headers().set("Content-Type", "application/hal+json");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(mapped), hal, backend);
        assertThat(backend.calls).isEqualTo(1);
    }

    @Test
    void typeMappingsByExpressionAndAnyContentType() {
        String byWhen = """
                <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
                  <content-type-map>
                    <type when="@(context.Request.Headers.GetValueOrDefault(&quot;X-Kind&quot;, &quot;&quot;) == &quot;json&quot;)" to="application/json" />
                  </content-type-map>
                  <content type="application/json" validate-as="json" action="prevent" />
                </validate-content>""";
        PolicyContext marked = post("{\"name\": 1}");
        marked.request().headers().set("Content-Type", "text/plain");
        marked.request().headers().set("X-Kind", "json");
        Harness.run(ApiFixtures.inbound(byWhen), marked, ApiFixtures.ok());
        assertThat(marked.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(marked)).contains("does not conform to the definition Pet");
        PolicyContext unmarked = post("{\"name\": 1}");
        unmarked.request().headers().set("Content-Type", "text/plain");
        Harness.run(ApiFixtures.inbound(byWhen), unmarked, ApiFixtures.ok());
        assertThat(Harness.body(unmarked)).contains("Unspecified content type text/plain is not allowed.");

        String any = byWhen.replace("<content-type-map>", "<content-type-map any-content-type-value=\"application/json\">");
        PolicyContext xml = post(VALID);
        xml.request().headers().set("Content-Type", "application/xml");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(any), xml, backend);
        assertThat(backend.calls).isEqualTo(1);
    }

    @Test
    void allowAdditionalPropertiesOverridesTheSchema() {
        String extra = "{\"name\": \"Rex\", \"photoUrls\": [], \"nickname\": \"R\"}";
        PolicyContext strict = post(extra);
        Harness.run(ApiFixtures.inbound(PREVENT), strict, ApiFixtures.ok());
        assertThat(strict.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(strict)).contains("nickname");

        PolicyContext allowed = post(extra);
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT.replace("action=\"prevent\" />", "action=\"prevent\" allow-additional-properties=\"true\" />")),
                allowed, backend);
        assertThat(backend.calls).isEqualTo(1);

        // Category allows extra properties; false forbids them
        PolicyContext category = post("{\"name\": \"Rex\", \"photoUrls\": [], \"category\": {\"name\": \"a\", \"colour\": \"red\"}}");
        ApiFixtures.Backend b2 = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT), category, b2);
        assertThat(b2.calls).isEqualTo(1);
        PolicyContext forbidden = post("{\"name\": \"Rex\", \"photoUrls\": [], \"category\": {\"name\": \"a\", \"colour\": \"red\"}}");
        Harness.run(ApiFixtures.inbound(PREVENT.replace("action=\"prevent\" />", "action=\"prevent\" allow-additional-properties=\"false\" />")),
                forbidden, ApiFixtures.ok());
        assertThat(forbidden.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(forbidden)).contains("colour");
    }

    @Test
    void caseInsensitivePropertyNames() {
        String shouting = "{\"NAME\": \"Rex\", \"PhotoUrls\": []}";
        PolicyContext exact = post(shouting);
        Harness.run(ApiFixtures.inbound(PREVENT), exact, ApiFixtures.ok());
        assertThat(exact.response().statusCode()).isEqualTo(400);
        PolicyContext relaxed = post(shouting);
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(PREVENT.replace("action=\"prevent\" />", "action=\"prevent\" case-insensitive-property-names=\"true\" />")),
                relaxed, backend);
        assertThat(backend.calls).isEqualTo(1);
    }

    @Test
    void aNonConformingResponseIsA502WithTheInternalErrorMessage() {
        String outbound = """
                <validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent" errors-variable-name="resp">
                  <content validate-as="json" action="prevent" />
                </validate-content>""";
        PolicyContext c = ApiFixtures.request("getPet", "GET", "https://gw.local/pets/1");
        Harness.run(ApiFixtures.outbound(outbound), c, new ApiFixtures.Backend(200, Map.of(), "application/json", "{\"name\": 7}"));
        assertThat(c.response().statusCode()).isEqualTo(502);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 502, \"message\": \"" + ApiValidation.INTERNAL + "\"}");
        assertThat(c.lastError().reason()).isEqualTo("Response not allowed");
        assertThat(c.lastError().message()).startsWith("Body of the response does not conform to the definition Pet");
        assertThat(errors(c, "resp").get(0)).containsEntry("Type", "ResponseBody");

        // 404 has its own schema (Error)
        PolicyContext missing = ApiFixtures.request("getPet", "GET", "https://gw.local/pets/9");
        Harness.run(ApiFixtures.outbound(outbound), missing, new ApiFixtures.Backend(404, Map.of(), "application/json", "{\"code\": 404}"));
        assertThat(missing.response().statusCode()).isEqualTo(404);

        PolicyContext html = ApiFixtures.request("getPet", "GET", "https://gw.local/pets/1");
        Harness.run(ApiFixtures.outbound(outbound), html, new ApiFixtures.Backend(200, Map.of(), "text/html", "<html/>"));
        assertThat(html.response().statusCode()).isEqualTo(502);
        assertThat(html.lastError().message()).isEqualTo("Unspecified content type text/html is not allowed.");
    }

    @Test
    void openApi31SchemasUseJsonSchema2020() {
        ApiDefinition def = ApiFixtures.definition("v31", ApiDefinition.Dialect.OPENAPI_3_1, """
                {"components": {"schemas": {"Thing": {"type": "object", "required": ["label"],
                   "properties": {"label": {"type": ["string", "null"]}, "tags": {"type": "array", "prefixItems": [{"type": "integer"}]}}}}},
                 "paths": {"/things": {"post": {"operationId": "make",
                   "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}}}
                """);
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().apiDefinition(def).build()).forApi("v31");
        EffectivePolicy p = Harness.compile(engine, "<policies><inbound>" + PREVENT + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext ok = thing("{\"label\": null, \"tags\": [1, \"x\"]}");
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(p, ok, backend);
        assertThat(backend.calls).isEqualTo(1);
        PolicyContext bad = thing("{\"label\": 3, \"tags\": [\"x\"]}");
        Harness.run(p, bad, ApiFixtures.ok());
        assertThat(bad.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(bad)).contains("$.label").contains("$.tags[0]");
    }

    private static PolicyContext thing(String json) {
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(io.gatehouse.expr.context.Url.parse("https://gw.local/things"));
        c.api(new io.gatehouse.expr.context.ApiInfo("v31", "v31", "/", null, null));
        c.operation(new io.gatehouse.expr.context.OperationInfo("make", "make", "POST", "/things"));
        c.request().headers().set("Content-Type", "application/json");
        c.request().body(new MessageBody(json.getBytes(StandardCharsets.UTF_8), "application/json"));
        return c;
    }

    @Test
    void loadErrorsNameTheAttributeAndWhatWasExpected() {
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><inbound>\n<validate-content max-size=\"200000\" "
                + "size-exceeded-action=\"block\" colour=\"red\">\n  <content validate-as=\"xml\" action=\"prevent\" schema-id=\"s\"/>\n"
                + "</validate-content></inbound></policies>"))
                .anyMatch(d -> d.startsWith("p.xml:2:1: error: <validate-content> is missing the required attribute 'unspecified-content-type-action'"))
                .anyMatch(d -> d.matches("p\\.xml:2:\\d+: error: attribute 'max-size' on <validate-content>: '200000' \\(expected: a whole number 0-102400\\)"))
                .anyMatch(d -> d.matches("p\\.xml:2:\\d+: error: attribute 'size-exceeded-action' on <validate-content>: 'block' \\(expected one of: ignore, prevent, detect.*"))
                .anyMatch(d -> d.matches("p\\.xml:2:\\d+: error: unknown attribute 'colour' on <validate-content>.*"))
                .anyMatch(d -> d.matches("p\\.xml:3:\\d+: error: validate-as=\"xml\": Gatehouse validates JSON bodies only.*"))
                .anyMatch(d -> d.matches("p\\.xml:3:\\d+: error: schema-id 's' on <content> names a schema added to the APIM instance.*"));
    }

    @Test
    void anApiWithoutADefinitionIsALoadError() {
        PolicyEngine noDef = new PolicyEngine(PolicyEnvironment.builder().apiDefinition(ApiFixtures.PETS).build()).forApi("plain");
        assertThat(ApiFixtures.diagnostics(noDef, "<policies><inbound>\n  " + PREVENT + "</inbound></policies>"))
                .containsExactly("p.xml:2:3: error: <validate-content> checks messages against the API's definition, and api 'plain' "
                        + "has none: set apis[].openApi to its OpenAPI document in the config");
    }

    @Test
    void atGlobalScopeRequestsToApisWithoutADefinitionPass() {
        PolicyEngine global = new PolicyEngine(ApiFixtures.ENV);
        EffectivePolicy p = Harness.compile(global, "<policies><inbound>" + PREVENT + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext other = post("{\"name\": 5}");
        other.api(new io.gatehouse.expr.context.ApiInfo("plain", "plain", "/", null, null));
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(p, other, backend);
        assertThat(backend.calls).isEqualTo(1);
        PolicyContext pets = post("{\"name\": 5}");
        Harness.run(p, pets, ApiFixtures.ok());
        assertThat(pets.response().statusCode()).isEqualTo(400);
    }

    @Test
    void remoteReferencesAreALoadErrorNotAFetch() {
        ApiDefinition def = ApiFixtures.definition("remote", ApiDefinition.Dialect.OPENAPI_3_0, """
                {"paths": {"/x": {"post": {"operationId": "x",
                   "requestBody": {"content": {"application/json": {"schema": {"$ref": "https://example.invalid/schemas/x.json"}}}}}}}}
                """);
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().apiDefinition(def).build()).forApi("remote");
        assertThat(ApiFixtures.diagnostics(engine, "<policies><inbound>" + PREVENT + "</inbound></policies>"))
                .singleElement().asString().contains("has $ref 'https://example.invalid/schemas/x.json' outside the document");
    }
}
