package io.gatehouse.policy.elements;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.MediaTypeDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ResponseDefinition;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * APIM's {@code validate-content} (https://learn.microsoft.com/azure/api-management/validate-content-policy):
 * the request body (inbound) or the response body (outbound, on-error) against the operation's
 * declared content. In order: the body's size against {@code max-size} ({@code size-exceeded-action});
 * its content type (after {@code <content-type-map>}) against the media types the operation declares
 * for the request or for the response's status ({@code unspecified-content-type-action}); then, when a
 * {@code <content>} element names that type (or has no type), the body parsed as JSON and validated
 * against the media type's schema with that element's {@code action}, {@code allow-additional-properties}
 * and {@code case-insensitive-property-names}. Schemas are compiled at load, for every operation and
 * media type the policy may meet.
 *
 * <p>Prevent errors stop the request with 400 and APIM's message (context.LastError reason
 * "Bad request"), or the response with 502 and APIM's internal-error message ("Response not allowed");
 * detect errors go to {@code errors-variable-name}. {@code validate-as="xml"} and {@code "soap"} and
 * {@code schema-id}/{@code schema-ref} (schemas added to the APIM instance) are load errors: Gatehouse
 * validates JSON bodies against the API's OpenAPI definition only.
 */
public final class ValidateContent implements Policy {
    static final String NAME = "validate-content";
    public static final PolicyType TYPE = new PolicyType(NAME, EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR),
            ValidateContent::compile);

    /** APIM's ceiling for max-size: 100 KiB. */
    static final int MAX_SIZE = 102_400;
    private static final int MAX_MESSAGES = 10;
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String REQUEST = "\u0000request";

    /** One {@code <type>} of the content-type map: {@code from} (a media type) or {@code when} (an expression), and {@code to}. */
    private record TypeMapping(String from, Value<Boolean> when, String to) {
    }

    /** One {@code <content>} element, with its schemas compiled by "operation id, request or status key, declared media type". */
    private record Content(String type, Value<String> action, boolean caseInsensitive, Map<String, JsonSchema> schemas,
                           Map<String, String> definitionNames) {
    }

    private final Value<String> unspecifiedAction;
    private final int maxSize;
    private final Value<String> sizeAction;
    private final String errorsVariable;
    private final String anyContentType;
    private final String missingContentType;
    private final List<TypeMapping> mappings;
    private final List<Content> contents;
    private final Map<String, ApiDefinition> definitions;

    private ValidateContent(Value<String> unspecifiedAction, int maxSize, Value<String> sizeAction, String errorsVariable,
                            String anyContentType, String missingContentType, List<TypeMapping> mappings, List<Content> contents,
                            Map<String, ApiDefinition> definitions) {
        this.unspecifiedAction = unspecifiedAction;
        this.maxSize = maxSize;
        this.sizeAction = sizeAction;
        this.errorsVariable = errorsVariable;
        this.anyContentType = anyContentType;
        this.missingContentType = missingContentType;
        this.mappings = List.copyOf(mappings);
        this.contents = List.copyOf(contents);
        this.definitions = Map.copyOf(definitions);
    }

    // ---- load ----

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "unspecified-content-type-action", "max-size", "size-exceeded-action", "errors-variable-name");
        boolean inbound = ctx.section() == Section.INBOUND;
        ctx.readsBody(inbound, !inbound);
        Value<String> unspecified = ApiValidation.action(a, "unspecified-content-type-action", true, true, ctx);
        Value<String> sizeAction = ApiValidation.action(a, "size-exceeded-action", true, true, ctx);
        boolean ok = unspecified != null && sizeAction != null;
        int maxSize = -1;
        if (!a.has("max-size")) {
            a.missing("max-size");
        } else {
            maxSize = a.integer("max-size", -1, 0, MAX_SIZE);
        }
        ok &= maxSize >= 0;
        String variable = ApiValidation.errorsVariable(a);
        ctx.onlyChildren(e, "content-type-map", "content");

        String any = null;
        String missing = null;
        List<TypeMapping> mappings = new ArrayList<>();
        List<XmlElement> maps = e.elements().stream().filter(c -> c.name().equals("content-type-map")).toList();
        if (maps.size() > 1) {
            ctx.error(maps.get(1).position(), "<content-type-map> appears more than once in <" + NAME + ">");
            ok = false;
        }
        for (XmlElement m : maps) {
            Attributes ma = ctx.attributes(m, "any-content-type-value", "missing-content-type-value");
            any = ma.text("any-content-type-value", null);
            missing = ma.text("missing-content-type-value", null);
            ctx.onlyChildren(m, "type");
            for (XmlElement t : m.elements()) {
                if (!t.name().equals("type")) {
                    continue;
                }
                Attributes ta = ctx.attributes(t, "from", "when", "to");
                ctx.noContent(t);
                String to = ta.requiredText("to");
                if (ta.has("from") == ta.has("when")) {
                    ctx.error(t.position(), "<type> needs exactly one of 'from' (a content type) and 'when' (a policy expression)");
                    ok = false;
                    continue;
                }
                String from = ta.has("from") ? ta.text("from", null) : null;
                Value<Boolean> when = ta.has("when") ? ta.booleanValue("when", false) : null;
                if (to == null || (ta.has("from") && from == null) || (ta.has("when") && when == null)) {
                    ok = false;
                    continue;
                }
                mappings.add(new TypeMapping(from == null ? null : mediaType(from), when, mediaType(to)));
            }
        }

        Map<String, ApiDefinition> defs = ApiValidation.definitions(e, ctx);
        List<Content> contents = new ArrayList<>();
        Set<String> seenTypes = new HashSet<>();
        for (XmlElement c : e.elements()) {
            if (!c.name().equals("content")) {
                continue;
            }
            Attributes ca = ctx.attributes(c, "type", "validate-as", "schema-id", "schema-ref", "action", "allow-additional-properties",
                    "case-insensitive-property-names");
            ctx.noContent(c);
            String type = ca.text("type", "");
            String validateAs = ca.has("validate-as") ? ca.choice("validate-as", null, "json", "xml", "soap") : null;
            if (!ca.has("validate-as")) {
                ca.missing("validate-as");
            }
            Value<String> action = ApiValidation.action(ca, "action", true, true, ctx);
            boolean cok = validateAs != null && action != null;
            if ("xml".equals(validateAs) || "soap".equals(validateAs)) {
                ctx.error(ca.position("validate-as"), "validate-as=\"" + validateAs + "\": Gatehouse validates JSON bodies only (against the "
                        + "API's OpenAPI definition); it has no XML schemas (XSD) or WSDL to check " + validateAs.toUpperCase(Locale.ROOT)
                        + " against. Use validate-as=\"json\", or leave XML bodies unchecked");
                cok = false;
            }
            if (ca.has("schema-id")) {
                ctx.error(ca.position("schema-id"), "schema-id '" + ca.text("schema-id", "") + "' on <content> names a schema added to "
                        + "the APIM instance, and Gatehouse has no such schemas: leave schema-id out to validate against the API's "
                        + "definition (apis[].openApi)");
                cok = false;
            }
            if (ca.has("schema-ref")) {
                ctx.error(ca.position("schema-ref"), "schema-ref '" + ca.text("schema-ref", "") + "' on <content> points into a schema "
                        + "given by schema-id, which Gatehouse does not support: leave it out to validate against the operation's own schema");
                cok = false;
            }
            Boolean additional = null;
            if (ca.has("allow-additional-properties")) {
                long before = ctx.diagnostics().errorCount();
                boolean v = ca.bool("allow-additional-properties", false);
                cok &= ctx.diagnostics().errorCount() == before;
                additional = v;
            }
            long before = ctx.diagnostics().errorCount();
            boolean caseInsensitive = ca.bool("case-insensitive-property-names", false);
            cok &= ctx.diagnostics().errorCount() == before;
            String key = mediaType(type);
            if (!seenTypes.add(key)) {
                ctx.error(c.position(), "<content" + (type.isEmpty() ? "" : " type=\"" + type + "\"") + "> appears more than once in <"
                        + NAME + ">");
                cok = false;
            }
            if (!cok || defs == null) {
                ok = false;
                continue;
            }
            Map<String, JsonSchema> schemas = new HashMap<>();
            Map<String, String> names = new HashMap<>();
            ApiValidation.Transform t = new ApiValidation.Transform(additional, caseInsensitive);
            for (ApiDefinition def : defs.values()) {
                for (OperationDefinition op : def.operations()) {
                    if (inbound && op.requestBody() != null) {
                        ok &= compileFor(e, ctx, def, op, REQUEST, op.requestBody().content(), key, t, schemas, names);
                    } else if (!inbound) {
                        for (ResponseDefinition r : op.responses().values()) {
                            ok &= compileFor(e, ctx, def, op, r.status(), r.content(), key, t, schemas, names);
                        }
                    }
                }
            }
            contents.add(new Content(key, action, caseInsensitive, Map.copyOf(schemas), Map.copyOf(names)));
        }
        return ok && defs != null ? new ValidateContent(unspecified, maxSize, sizeAction, variable, any == null ? null : mediaType(any),
                missing == null ? null : mediaType(missing), mappings, contents, defs) : null;
    }

    /** Compiles the schemas of one request or response's media types that a content element of type {@code key} applies to. */
    private static boolean compileFor(XmlElement e, CompileContext ctx, ApiDefinition def, OperationDefinition op, String which,
                                      Map<String, MediaTypeDefinition> declared, String key, ApiValidation.Transform t,
                                      Map<String, JsonSchema> schemas, Map<String, String> names) {
        String only = key.isEmpty() ? null : declaredKey(declared.keySet(), key);
        boolean ok = true;
        for (MediaTypeDefinition m : declared.values()) {
            if (m.schema() == null || (only != null ? !only.equals(m.contentType()) : !key.isEmpty())) {
                continue;
            }
            String label = which.equals(REQUEST) ? "request" : which + " response";
            try {
                String k = schemaKey(def.apiId(), op.id(), which, m.contentType());
                schemas.put(k, ApiValidation.compile(def, m.schema(), t, "the " + m.contentType() + " schema of operation '" + op.id()
                        + "' (" + label + ")"));
                names.put(k, ApiValidation.definitionName(m.schema(), op.id() + (which.equals(REQUEST) ? "-request" : "-" + which)));
            } catch (IllegalArgumentException ex) {
                ctx.error(e.position(), "<" + NAME + ">: " + ex.getMessage());
                ok = false;
            }
        }
        return ok;
    }

    private static String schemaKey(String api, String op, String which, String mediaType) {
        return api + '\u0000' + op + '\u0000' + which + '\u0000' + mediaType;
    }

    /** A content type without parameters, in lower case ("" for none). */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        return (semi >= 0 ? contentType.substring(0, semi) : contentType).strip().toLowerCase(Locale.ROOT);
    }

    /** The declared media type (as written) a content type falls under: exact, then {@code type/*}, then {@code *}{@code /*}; or null. */
    static String declaredKey(Set<String> declared, String mediaType) {
        String wildcard = null;
        String any = null;
        int slash = mediaType.indexOf('/');
        String major = slash > 0 ? mediaType.substring(0, slash) : mediaType;
        for (String d : declared) {
            String m = mediaType(d);
            if (m.equals(mediaType)) {
                return d;
            }
            if (m.equals(major + "/*")) {
                wildcard = d;
            } else if (m.equals("*/*")) {
                any = d;
            }
        }
        return wildcard != null ? wildcard : any;
    }

    // ---- per request ----

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        OperationDefinition op = ApiValidation.operation(definitions, c);
        if (op == null) {
            return DONE;
        }
        boolean request = ApiValidation.onRequest(exchange);
        String which;
        Map<String, MediaTypeDefinition> declared;
        Headers headers;
        MessageBody body;
        if (request) {
            which = REQUEST;
            declared = op.requestBody() == null ? Map.of() : op.requestBody().content();
            headers = c.request().headers();
            body = c.request().body();
        } else {
            String status = ApiValidation.statusKey(op.responses().keySet(), c.response().statusCode());
            if (status == null) {
                return DONE; // an undeclared status: validate-status-code's business
            }
            which = status;
            ResponseDefinition r = op.responses().get(status);
            declared = r.content();
            headers = c.response().headers();
            body = c.response().body();
        }
        String subject = request ? "request" : "response";
        String type = request ? "RequestBody" : "ResponseBody";
        byte[] bytes = body == null ? new byte[0] : body.bytes();
        String rawContentType = headers.getValueOrDefault("Content-Type", body == null ? null : body.contentType());
        List<ApiValidation.Error> errors = new ArrayList<>();

        long size = Math.max(bytes.length, contentLength(headers));
        if (size > maxSize) {
            ApiValidation.Action action = ApiValidation.action(sizeAction, exchange, NAME);
            String d = (request ? "Request's" : "Response's") + " body is " + size + " bytes long and it exceeds the configured limit of "
                    + maxSize + " bytes.";
            String p = request ? "Request's body is " + size + " bytes long and it exceeds the limit of " + maxSize + " bytes." : ApiValidation.INTERNAL;
            if (ApiValidation.add(errors, new ApiValidation.Error("", type, "SizeLimit", d, p, action))) {
                ApiValidation.finish(exchange, NAME, errorsVariable, errors);
                return DONE;
            }
        }

        String contentType = mapped(exchange, mediaType(rawContentType));
        if (bytes.length == 0) { // nothing sent, whatever Content-Type says: only a required request body is missing
            if (request && op.requestBody() != null && op.requestBody().required()) {
                String d = "Body of the request is missing, and the definition requires one.";
                ApiValidation.add(errors, new ApiValidation.Error("", type, "IncorrectMessage", d, d,
                        ApiValidation.action(unspecifiedAction, exchange, NAME)));
            }
            ApiValidation.finish(exchange, NAME, errorsVariable, errors);
            return DONE;
        }
        String declaredType = declaredKey(declared.keySet(), contentType);
        if (declaredType == null) {
            ApiValidation.Action action = ApiValidation.action(unspecifiedAction, exchange, NAME);
            String d = "Unspecified content type " + contentType + " is not allowed.";
            ApiValidation.add(errors, new ApiValidation.Error(contentType, type, "Unspecified", d, request ? d : ApiValidation.INTERNAL, action));
            ApiValidation.finish(exchange, NAME, errorsVariable, errors);
            return DONE;
        }
        Content content = content(contentType);
        if (content != null) {
            ApiValidation.Action action = ApiValidation.action(content.action(), exchange, NAME);
            String key = schemaKey(c.api().id(), op.id(), which, declaredType);
            JsonSchema schema = content.schemas().get(key);
            if (action != ApiValidation.Action.IGNORE && schema != null) {
                String definition = content.definitionNames().get(key);
                String head = "Body of the " + subject + " does not conform to the definition " + definition
                        + ", which is associated with the content type " + contentType + ". ";
                String problem = validate(schema, bytes, rawContentType, content.caseInsensitive());
                if (problem != null) {
                    ApiValidation.add(errors, new ApiValidation.Error(contentType, type, "IncorrectMessage", head + problem,
                            request ? head + problem : ApiValidation.INTERNAL, action));
                }
            }
        }
        ApiValidation.finish(exchange, NAME, errorsVariable, errors);
        return DONE;
    }

    /** What is wrong with the body, or null when it conforms. */
    private static String validate(JsonSchema schema, byte[] bytes, String contentType, boolean caseInsensitive) {
        JsonNode value;
        try {
            Charset cs = Bodies.charset(contentType);
            value = cs.equals(StandardCharsets.UTF_8) ? JSON.readTree(bytes) : JSON.readTree(new String(bytes, cs));
            if (value == null || value.isMissingNode()) {
                return "The body is empty, and not JSON.";
            }
        } catch (JsonProcessingException ex) {
            JsonLocation at = ex.getLocation();
            // where, not what: Jackson's own text quotes the body's tokens, and this reaches logs and traces
            return "The body is not valid JSON." + (at == null ? "" : " Line: " + at.getLineNr() + ", Position: " + at.getColumnNr());
        } catch (IOException ex) {
            return ex.getMessage();
        }
        if (caseInsensitive) {
            value = ApiValidation.lowerCaseKeys(value);
        }
        List<String> problems = ApiValidation.messages(schema, value, MAX_MESSAGES);
        return problems.isEmpty() ? null : String.join(" ", problems);
    }

    /** The content type validation uses: the content-type map's, else the message's media type. */
    private String mapped(Exchange exchange, String mediaType) {
        for (TypeMapping m : mappings) {
            if (m.from() != null ? m.from().equals(mediaType) : Boolean.TRUE.equals(m.when().get(exchange))) {
                return m.to();
            }
        }
        if (mediaType.isEmpty() && missingContentType != null) {
            return missingContentType;
        }
        if (anyContentType != null) {
            return anyContentType;
        }
        return mediaType;
    }

    /** The content element for a content type: the one naming it, else the one without a type; null if none. */
    private Content content(String contentType) {
        Content untyped = null;
        for (Content ct : contents) {
            if (ct.type().equals(contentType)) {
                return ct;
            }
            if (ct.type().isEmpty()) {
                untyped = ct;
            }
        }
        return untyped;
    }

    private static long contentLength(Headers headers) {
        String v = headers.getValueOrDefault("Content-Length", null);
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
