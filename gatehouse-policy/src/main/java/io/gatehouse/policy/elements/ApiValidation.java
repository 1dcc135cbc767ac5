package io.gatehouse.policy.elements;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi30;
import com.networknt.schema.oas.OpenApi31;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ResponseDefinition;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What APIM's content validation policies ({@code validate-content}, {@code validate-parameters},
 * {@code validate-headers}, {@code validate-status-code}) share: the actions, finding the API's
 * definition at load, compiling JSON schemas with the document's {@code components} reachable,
 * APIM's error shape in {@code errors-variable-name} and the prevent-mode failure (400 in inbound,
 * 502 elsewhere; context.LastError reason "Bad request" or "Response not allowed").
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/validate-content-policy#validation-errors">APIM validation errors</a>
 */
final class ApiValidation {
    private ApiValidation() {
    }

    /** APIM's public response for anything about a response, or about the API's schema. */
    static final String INTERNAL = "The request could not be processed due to an internal error. Contact the API owner.";
    static final String BAD_REQUEST = "Bad request";
    static final String RESPONSE_NOT_ALLOWED = "Response not allowed";

    /** APIM's validation actions. */
    enum Action {
        IGNORE, PREVENT, DETECT;

        String written() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Action parse(String s) {
            if (s == null) {
                return null;
            }
            return switch (s.strip().toLowerCase(Locale.ROOT)) {
                case "ignore" -> IGNORE;
                case "prevent" -> PREVENT;
                case "detect" -> DETECT;
                default -> null;
            };
        }
    }

    private static final List<String> ACTIONS = List.of("ignore", "prevent", "detect");

    /**
     * One validation error as APIM logs it: Name, Type, ValidationRule, Details (for the errors
     * variable and context.LastError) and the public response the client sees.
     */
    record Error(String name, String type, String rule, String details, String publicMessage, Action action) {
        Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("Name", name == null ? "" : name);
            m.put("Type", type);
            m.put("ValidationRule", rule == null ? "" : rule);
            m.put("Details", details);
            m.put("Action", action.written());
            return m;
        }
    }

    // ---- load ----

    /**
     * An action attribute: a constant (checked here) or, where {@code expressions}, a policy
     * expression checked when it runs. Null when absent (after reporting, if {@code required}) or broken.
     */
    static Value<String> action(Attributes a, String attribute, boolean required, boolean expressions, CompileContext ctx) {
        if (!a.has(attribute)) {
            if (required) {
                a.missing(attribute);
            }
            return null;
        }
        if (!expressions) {
            String text = a.text(attribute, null);
            if (text == null) {
                return null;
            }
            if (Action.parse(text) == null) {
                ctx.error(a.position(attribute), "attribute '" + attribute + "' on <" + a.element().name() + ">: '" + text
                        + "' (expected one of: ignore, prevent, detect)" + Suggest.hint(text, ACTIONS));
                return null;
            }
            return Value.constant(text.strip());
        }
        Value<String> v = a.string(attribute);
        if (v != null && v.isConstant() && v.constant() != null && Action.parse(v.constant()) == null) {
            ctx.error(a.position(attribute), "attribute '" + attribute + "' on <" + a.element().name() + ">: '" + v.constant()
                    + "' (expected one of: ignore, prevent, detect, or a policy expression)" + Suggest.hint(v.constant(), ACTIONS));
            return null;
        }
        return v;
    }

    /** The action a (possibly expression) value names when it runs; an expression naming none is a 500. */
    static Action action(Value<String> v, Exchange exchange, String policy) {
        String s = v.get(exchange);
        Action a = Action.parse(s);
        if (a == null) {
            throw new GatewayException(500, policy, GatewayException.EXPRESSION_FAILURE,
                    "the action expression returned '" + s + "' (expected one of: ignore, prevent, detect)");
        }
        return a;
    }

    /**
     * The {@code <child name="..." action="..."/>} overrides of {@code parent} (validate-headers'
     * {@code <header>}, validate-parameters' {@code <parameter>}), by name (lower-cased when names
     * compare without case); null after reporting a missing name or action, or a name given twice.
     */
    static Map<String, Value<String>> namedOverrides(XmlElement parent, String child, boolean ignoreCase, CompileContext ctx) {
        ctx.onlyChildren(parent, child);
        Map<String, Value<String>> overrides = new java.util.HashMap<>();
        boolean ok = true;
        for (XmlElement c : parent.elements()) {
            if (!c.name().equals(child)) {
                continue;
            }
            Attributes ca = ctx.attributes(c, "name", "action");
            ctx.noContent(c);
            String name = ca.requiredText("name");
            Value<String> action = action(ca, "action", true, true, ctx);
            if (name == null || action == null) {
                ok = false;
                continue;
            }
            String key = ignoreCase ? name.strip().toLowerCase(Locale.ROOT) : name.strip();
            if (overrides.put(key, action) != null) {
                ctx.error(ca.position("name"), "<" + child + " name=\"" + name + "\"> appears more than once in <" + parent.name() + ">");
                ok = false;
            }
        }
        return ok ? overrides : null;
    }

    /** The errors-variable-name attribute: a literal (APIM allows no expression there), or null. */
    static String errorsVariable(Attributes a) {
        return a.text("errors-variable-name", null);
    }

    /**
     * The API definitions the policy checks against, by API id: the API's own when the document
     * belongs to an API (or one of its operations), else every definition in the config (global
     * and product scope: requests to APIs without one pass unchecked). Null after reporting an error.
     */
    static Map<String, ApiDefinition> definitions(XmlElement e, CompileContext ctx) {
        PolicyEnvironment env = ctx.environment();
        if (env.api() != null) {
            ApiDefinition def = env.apiDefinition(env.api());
            if (def == null) {
                ctx.error(e.position(), "<" + e.name() + "> checks messages against the API's definition, and api '" + env.api()
                        + "' has none: set apis[].openApi to its OpenAPI document in the config");
                return null;
            }
            return Map.of(def.apiId(), def);
        }
        if (env.apiDefinitions().isEmpty() && !env.lenientReferences()) {
            ctx.error(e.position(), "<" + e.name() + "> at " + ctx.scope().label() + " scope checks messages against the API's "
                    + "definition, and no API in the config has one: set apis[].openApi to the OpenAPI document of each API it applies to");
            return null;
        }
        return env.apiDefinitions();
    }

    /** Which once-only policies each section being compiled has seen (by the section's compile context). */
    private static final Map<CompileContext, Set<String>> SEEN = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /**
     * APIM's "this policy can only be used once in a policy section" (validate-parameters,
     * validate-headers): false, after reporting, for a second one in the same section.
     */
    static boolean onceInSection(XmlElement e, CompileContext ctx) {
        Set<String> seen = SEEN.computeIfAbsent(ctx, k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
        if (!seen.add(e.name())) {
            ctx.error(e.position(), "<" + e.name() + "> appears more than once in the " + ctx.section().element()
                    + " section: APIM allows it once per section");
            return false;
        }
        return true;
    }

    /** The operation the request was routed to, when its API has a definition that declares it; else null. */
    static OperationDefinition operation(Map<String, ApiDefinition> defs, PolicyContext c) {
        if (c.api() == null || c.operation() == null) {
            return null;
        }
        ApiDefinition def = defs.get(c.api().id());
        return def == null ? null : def.operation(c.operation().id());
    }

    /** The declared response for a status: exact, then its range ({@code 4XX}), then {@code default}; null if none. */
    static ResponseDefinition response(OperationDefinition op, int status) {
        String key = statusKey(op.responses().keySet(), status);
        return key == null ? null : op.responses().get(key);
    }

    static String statusKey(Set<String> declared, int status) {
        String exact = Integer.toString(status);
        String range = (status / 100) + "XX";
        String def = null;
        String ranged = null;
        for (String k : declared) {
            String s = k.strip();
            if (s.equals(exact)) {
                return k;
            }
            if (s.equalsIgnoreCase(range)) {
                ranged = k;
            } else if (s.equalsIgnoreCase("default")) {
                def = k;
            }
        }
        return ranged != null ? ranged : def;
    }

    // ---- schemas ----

    /** How a schema is changed at load before it is compiled (content element overrides). */
    record Transform(Boolean additionalProperties, boolean caseInsensitive) {
        static final Transform NONE = new Transform(null, false);
    }

    private static final JsonSchemaFactory OAS30;
    private static final JsonSchemaFactory OAS31;
    private static final SchemaValidatorsConfig CONFIG = SchemaValidatorsConfig.builder()
            .formatAssertionsEnabled(true)
            .pathType(PathType.JSON_PATH)
            .build();

    static {
        // keywords the dialect does not know (x- extensions, and the compiled root's own
        // x-gatehouse-schema and components) take no part in validation, without a warning each
        com.networknt.schema.KeywordFactory ignored = (keyword, context) -> new com.networknt.schema.NonValidationKeyword(keyword);
        JsonMetaSchema oas30 = JsonMetaSchema.builder(OpenApi30.getInstance()).unknownKeywordFactory(ignored).build();
        OAS30 = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4,
                b -> b.metaSchema(oas30).defaultMetaSchemaIri(oas30.getIri()).enableSchemaCache(false));
        JsonMetaSchema oas31 = JsonMetaSchema.builder(OpenApi31.getInstance()).unknownKeywordFactory(ignored).build();
        OAS31 = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.metaSchema(oas31).defaultMetaSchemaIri(oas31.getIri()).enableSchemaCache(false));
    }

    private static final String SCHEMA_KEY = "x-gatehouse-schema";

    /**
     * Compiles {@code schema} so that its {@code $ref}s into the document's components resolve: the
     * compiled root is a document {@code {"$ref": "#/x-gatehouse-schema", "x-gatehouse-schema":
     * schema, "components": components}}. Only local references are allowed (nothing is fetched).
     *
     * @throws IllegalArgumentException with a message for the load error
     */
    static JsonSchema compile(ApiDefinition def, JsonNode schema, Transform t, String where) {
        List<String> remote = new ArrayList<>();
        remoteRefs(schema, remote);
        remoteRefs(def.components(), remote);
        if (!remote.isEmpty()) {
            throw new IllegalArgumentException(where + " in " + def.source() + " has $ref '" + remote.get(0)
                    + "' outside the document: only local references (#/components/...) are supported, nothing is fetched");
        }
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("$ref", "#/" + SCHEMA_KEY);
        root.set(SCHEMA_KEY, schema.deepCopy());
        root.set("components", def.components().deepCopy());
        if (t.additionalProperties() != null || t.caseInsensitive()) {
            transformSchema(root.get(SCHEMA_KEY), t);
            JsonNode schemas = root.get("components").get("schemas");
            if (schemas instanceof ObjectNode o) {
                o.properties().forEach(en -> transformSchema(en.getValue(), t));
            }
        }
        JsonSchemaFactory factory = def.dialect() == ApiDefinition.Dialect.OPENAPI_3_1 ? OAS31 : OAS30;
        try {
            JsonSchema s = factory.getSchema(SchemaLocation.of("urn:gatehouse:api:" + urnPart(def.apiId())), root, CONFIG);
            s.initializeValidators();
            return s;
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(where + " in " + def.source() + " cannot be compiled: " + ex.getMessage(), ex);
        }
    }

    private static String urnPart(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(Character.isLetterOrDigit(ch) || ch == '-' || ch == '.' ? ch : '_');
        }
        return sb.toString();
    }

    private static void remoteRefs(JsonNode n, List<String> out) {
        if (n == null) {
            return;
        }
        if (n.isObject()) {
            JsonNode ref = n.get("$ref");
            if (ref != null && ref.isTextual() && !ref.asText().startsWith("#")) {
                out.add(ref.asText());
            }
            n.forEach(c -> remoteRefs(c, out));
        } else if (n.isArray()) {
            n.forEach(c -> remoteRefs(c, out));
        }
    }

    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "definitions", "$defs", "dependentSchemas");
    private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
    private static final Set<String> SCHEMA_ONE = Set.of("items", "additionalItems", "additionalProperties", "not", "if", "then",
            "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties");

    /** Applies the content element's overrides to one schema node and the schemas inside it. */
    private static void transformSchema(JsonNode node, Transform t) {
        if (!(node instanceof ObjectNode s)) {
            return;
        }
        for (String k : SCHEMA_MAPS) {
            if (s.get(k) instanceof ObjectNode map) {
                map.properties().forEach(en -> transformSchema(en.getValue(), t));
            }
        }
        for (String k : SCHEMA_LISTS) {
            if (s.get(k) instanceof ArrayNode list) {
                list.forEach(c -> transformSchema(c, t));
            }
        }
        for (String k : SCHEMA_ONE) {
            JsonNode c = s.get(k);
            if (c instanceof ArrayNode list) {
                list.forEach(x -> transformSchema(x, t));
            } else {
                transformSchema(c, t);
            }
        }
        if (t.caseInsensitive()) {
            if (s.get("properties") instanceof ObjectNode props) {
                ObjectNode lower = JsonNodeFactory.instance.objectNode();
                props.properties().forEach(en -> lower.set(en.getKey().toLowerCase(Locale.ROOT), en.getValue()));
                s.set("properties", lower);
            }
            if (s.get("required") instanceof ArrayNode req) {
                ArrayNode lower = JsonNodeFactory.instance.arrayNode();
                req.forEach(r -> lower.add(r.isTextual() ? JsonNodeFactory.instance.textNode(r.asText().toLowerCase(Locale.ROOT)) : r));
                s.set("required", lower);
            }
        }
        if (Boolean.TRUE.equals(t.additionalProperties())) {
            JsonNode ap = s.get("additionalProperties");
            if (ap != null && ap.isBoolean() && !ap.asBoolean()) {
                s.remove("additionalProperties");
            }
            JsonNode up = s.get("unevaluatedProperties");
            if (up != null && up.isBoolean() && !up.asBoolean()) {
                s.remove("unevaluatedProperties");
            }
        } else if (Boolean.FALSE.equals(t.additionalProperties())) {
            boolean object = s.has("properties") || (s.get("type") != null && s.get("type").asText("").equals("object"));
            JsonNode ap = s.get("additionalProperties");
            if (object && (ap == null || (ap.isBoolean() && ap.asBoolean()))) {
                s.put("additionalProperties", false);
            }
        }
    }

    /** Object keys in lower case, at every level: the body side of case-insensitive-property-names. */
    static JsonNode lowerCaseKeys(JsonNode n) {
        if (n instanceof ObjectNode o) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            o.properties().forEach(en -> out.set(en.getKey().toLowerCase(Locale.ROOT), lowerCaseKeys(en.getValue())));
            return out;
        }
        if (n instanceof ArrayNode a) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            a.forEach(x -> out.add(lowerCaseKeys(x)));
            return out;
        }
        return n;
    }

    /** The schema with {@code $ref}s into the components followed (for a parameter's type); null-safe. */
    static JsonNode resolve(JsonNode schema, JsonNode components) {
        JsonNode s = schema;
        for (int i = 0; i < 32 && s != null && s.has("$ref"); i++) {
            String ref = s.get("$ref").asText();
            if (!ref.startsWith("#/components/")) {
                return s;
            }
            s = components.at(ref.substring("#/components".length()));
            if (s.isMissingNode()) {
                return null;
            }
        }
        return s;
    }

    /** The schema's type ({@code integer}, {@code array}...), the first that is not "null" when it lists several; null if untyped. */
    static String type(JsonNode schema) {
        if (schema == null) {
            return null;
        }
        JsonNode t = schema.get("type");
        if (t == null) {
            return null;
        }
        if (t.isArray()) {
            for (JsonNode x : t) {
                if (!x.asText().equals("null")) {
                    return x.asText();
                }
            }
            return null;
        }
        return t.asText();
    }

    /** The definition's name for messages: the component a {@code $ref} names, else {@code fallback}. */
    static String definitionName(JsonNode schema, String fallback) {
        if (schema != null && schema.get("$ref") != null) {
            String ref = schema.get("$ref").asText();
            return ref.substring(ref.lastIndexOf('/') + 1);
        }
        return fallback;
    }

    /** The validator's messages, at most {@code max}, in instance order, each "{message}". */
    static List<String> messages(JsonSchema schema, JsonNode value, int max) {
        List<String> out = new ArrayList<>();
        Iterator<ValidationMessage> it = schema.validate(value).iterator();
        while (it.hasNext() && out.size() < max) {
            out.add(it.next().getMessage());
        }
        return out;
    }

    // ---- run ----

    /** True when the policy runs on the request (inbound), so a failure is the client's 400. */
    static boolean onRequest(Exchange exchange) {
        return exchange.section() == Section.INBOUND;
    }

    /**
     * Records {@code errors} in the errors variable (appending to a list an earlier validation
     * policy left there) and, if one is a prevent error, stops with it.
     */
    static void finish(Exchange exchange, String policy, String variable, List<Error> errors) {
        if (errors.isEmpty()) {
            return;
        }
        if (variable != null) {
            PolicyContext c = exchange.context();
            JArray list = new JArray();
            if (c.variables().get(variable) instanceof JArray earlier) {
                for (JToken t : earlier.children()) {
                    list.add(t);
                }
            }
            errors.forEach(e -> list.add(JToken.from(e.asMap())));
            c.variables().set(variable, list);
        }
        for (Error e : errors) {
            if (e.action() == Action.PREVENT) {
                boolean request = onRequest(exchange);
                throw new PolicyRejection(request ? 400 : 502, policy, request ? BAD_REQUEST : RESPONSE_NOT_ALLOWED, e.details(),
                        request ? e.publicMessage() : INTERNAL, Map.of());
            }
        }
    }

    /** Adds {@code e} unless its action is ignore; true when it is a prevent error (stop checking). */
    static boolean add(List<Error> errors, Error e) {
        if (e.action() == Action.IGNORE) {
            return false;
        }
        errors.add(e);
        return e.action() == Action.PREVENT;
    }
}
