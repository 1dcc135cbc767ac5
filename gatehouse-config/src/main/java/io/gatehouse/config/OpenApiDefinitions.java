package io.gatehouse.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.SourceText;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.HeaderDefinition;
import io.gatehouse.policy.api.MediaTypeDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ParameterDefinition;
import io.gatehouse.policy.api.RequestBodyDefinition;
import io.gatehouse.policy.api.ResponseDefinition;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.converter.SwaggerConverter;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads an API's OpenAPI document ({@code apis[].openApi}): OpenAPI 3.0 and 3.1, or Swagger 2.0
 * (converted to OpenAPI 3.0 by swagger-parser's converter), in JSON or YAML. It gives the API's
 * operations for routing, its {@link ApiDefinition} for the validation policies, and the first
 * absolute server URL.
 *
 * <p>swagger-parser checks the document against the specification; its messages carry no
 * position, so each is placed back on the file by the attribute path it names, read with the
 * project's YAML reader (which keeps lines and columns). Only references within the document
 * ({@code #/...}) are followed: nothing is fetched at load, and a reference to another file or a URL
 * is an error.
 */
public final class OpenApiDefinitions {
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
    private static final int MAX_REF_HOPS = 32;
    /** Keys whose values are literal JSON, where a {@code $ref} member is data rather than a reference. */
    private static final Set<String> LITERAL_KEYS = Set.of("example", "default", "const", "enum");

    /**
     * What a document gives an API.
     *
     * @param operations the operations in document order (id, method, template; no policy), placed at the document
     * @param definition the definition the validation policies read
     * @param serverUrl the first absolute http(s) server URL, or null when the document has none
     * @param firstServer the first server URL as the document gives it (Swagger 2.0: as converted), or
     *     null when it has none; for saying why {@code serverUrl} is null
     */
    public record Loaded(List<OperationConfig> operations, ApiDefinition definition, URI serverUrl, String firstServer) {
        public Loaded {
            operations = List.copyOf(operations);
        }
    }

    private enum Version { SWAGGER_2, OPENAPI_3_0, OPENAPI_3_1 }

    private final String apiId;
    private final String file;
    private final String text;
    private final Diagnostics diagnostics;
    private YamlNode tree;
    private JsonNode root;
    private Version version;
    /** Whether a {@code $ref} points outside the document, or to nothing in it (both reported). */
    private boolean externalReference;
    private boolean danglingReference;
    /** Whether a path cannot be routed (reported). */
    private boolean badPath;

    private OpenApiDefinitions(String apiId, String file, String text, Diagnostics diagnostics) {
        this.apiId = apiId;
        this.file = file;
        this.text = text;
        this.diagnostics = diagnostics;
    }

    /**
     * Reads a document; problems go to {@code diagnostics} at {@code file}'s lines and columns.
     *
     * @param apiId the API the document defines
     * @param file the document's name as shown in diagnostics
     * @param text the document's text
     * @return what it defines, or null when it has errors (all reported)
     */
    public static Loaded load(String apiId, String file, String text, Diagnostics diagnostics) {
        diagnostics.source(new SourceText(file, text));
        return new OpenApiDefinitions(apiId, file, text, diagnostics).load();
    }

    private Loaded load() {
        Diagnostics syntax = new Diagnostics();
        tree = new YamlParser(file, syntax).parse(text);
        diagnostics.addAll(syntax);
        if (tree == null || syntax.hasErrors()) {
            if (!syntax.hasErrors()) {
                diagnostics.error(file, 1, 1, "the OpenAPI document is empty (expected 'openapi: 3.0.x', "
                        + "'openapi: 3.1.x' or 'swagger: \"2.0\"' and the API's paths)");
            }
            return null;
        }
        if (!(tree instanceof YamlNode.Mapping top)) {
            diagnostics.add(tree.position().error("expected an OpenAPI document (a mapping with 'openapi' or "
                    + "'swagger', 'info' and 'paths'), found " + tree.describe()));
            return null;
        }
        version = version(top);
        if (version == null) {
            return null;
        }
        checkReferences(tree);
        checkPaths(top);
        if (externalReference) {
            return null; // nothing outside the document is read, not even by the parser
        }
        SwaggerParseResult parsed;
        try {
            ParseOptions options = new ParseOptions();
            options.setResolve(false); // references are followed below, within the document only
            options.setValidateExternalRefs(false);
            options.setValidateInternalRefs(true);
            parsed = version == Version.SWAGGER_2
                    ? new SwaggerConverter().readContents(text, null, options)
                    : new OpenAPIV3Parser().readContents(text, null, options);
        } catch (RuntimeException e) {
            diagnostics.error(file, 1, 1, "cannot read the OpenAPI document: " + java.util.Objects.toString(e.getMessage(), e.getClass().getSimpleName()));
            return null;
        }
        boolean errors = false;
        if (parsed.getMessages() != null) {
            for (String message : parsed.getMessages()) {
                if (message == null || message.isBlank()) {
                    continue;
                }
                boolean error = parsed.getOpenAPI() == null || isError(message);
                Position at = locate(message);
                String m = "OpenAPI document: " + message + (error ? "" : " (ignored)");
                diagnostics.add(error ? at.error(m) : at.warning(m));
                errors |= error;
            }
        }
        if (parsed.getOpenAPI() == null) {
            if (!errors) {
                diagnostics.error(file, 1, 1, "the OpenAPI document could not be read");
            }
            return null;
        }
        if (errors || danglingReference || badPath) {
            return null;
        }
        try {
            root = version == Version.SWAGGER_2
                    ? io.swagger.v3.core.util.Json.mapper().valueToTree(parsed.getOpenAPI())
                    : jsonTree();
        } catch (java.io.IOException | IllegalArgumentException e) {
            diagnostics.error(file, 1, 1, "cannot read the OpenAPI document: " + java.util.Objects.toString(e.getMessage(), e.getClass().getSimpleName()));
            return null;
        }
        return build();
    }

    /**
     * The document as a JSON tree: JSON through Jackson; YAML from the tree {@link YamlParser}
     * read (its aliases and merge keys expanded, within its limits), plain scalars typed as YAML
     * 1.2's core schema types them.
     */
    private JsonNode jsonTree() throws java.io.IOException {
        String t = text.startsWith("\uFEFF") ? text.substring(1) : text;
        // decimals stay exact (multipleOf: 0.1), as from YAML
        return looksLikeJson(t) ? new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature
                .USE_BIG_DECIMAL_FOR_FLOATS).readTree(t) : json(tree);
    }

    private static final java.util.regex.Pattern YAML_INT = java.util.regex.Pattern.compile("[-+]?[0-9]+");
    private static final java.util.regex.Pattern YAML_FLOAT =
            java.util.regex.Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

    private static JsonNode json(YamlNode node) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (node) {
            case YamlNode.Mapping m -> {
                com.fasterxml.jackson.databind.node.ObjectNode o = f.objectNode();
                for (YamlNode.Entry e : m.entries()) {
                    o.set(e.key().value() == null ? "" : e.key().value(), json(e.value()));
                }
                yield o;
            }
            case YamlNode.Sequence s -> {
                com.fasterxml.jackson.databind.node.ArrayNode a = f.arrayNode();
                s.items().forEach(item -> a.add(json(item)));
                yield a;
            }
            case YamlNode.Scalar sc -> scalar(sc, f);
        };
    }

    private static JsonNode scalar(YamlNode.Scalar sc, JsonNodeFactory f) {
        String v = sc.value();
        if (v == null) {
            return f.nullNode();
        }
        if (sc.quoted()) {
            return f.textNode(v);
        }
        switch (v) {
            case "true", "True", "TRUE" -> {
                return f.booleanNode(true);
            }
            case "false", "False", "FALSE" -> {
                return f.booleanNode(false);
            }
            default -> {
            }
        }
        if (YAML_INT.matcher(v).matches()) {
            java.math.BigInteger i = new java.math.BigInteger(v.startsWith("+") ? v.substring(1) : v);
            return i.bitLength() < 64 ? f.numberNode(i.longValue()) : f.numberNode(i);
        }
        if (v.startsWith("0x") && v.length() > 2 && v.substring(2).chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return f.numberNode(new java.math.BigInteger(v.substring(2), 16));
        }
        if (v.startsWith("0o") && v.length() > 2 && v.substring(2).chars().allMatch(c -> c >= '0' && c <= '7')) {
            return f.numberNode(new java.math.BigInteger(v.substring(2), 8));
        }
        if (YAML_FLOAT.matcher(v).matches()) {
            return f.numberNode(new java.math.BigDecimal(v.startsWith("+") ? v.substring(1) : v));
        }
        return f.textNode(v);
    }

    private boolean looksLikeJson(String t) {
        if (file.toLowerCase(Locale.ROOT).endsWith(".json")) {
            return true;
        }
        String s = t.stripLeading();
        return s.startsWith("{");
    }

    /** Which specification the document follows, or null (reported) when none Gatehouse reads. */
    private Version version(YamlNode.Mapping top) {
        YamlNode openapi = value(top, "openapi");
        YamlNode swagger = value(top, "swagger");
        if (openapi instanceof YamlNode.Scalar sc && sc.value() != null) {
            String v = sc.value().trim();
            if (v.startsWith("3.0.") || v.equals("3.0")) {
                return Version.OPENAPI_3_0;
            }
            if (v.startsWith("3.1.") || v.equals("3.1")) {
                return Version.OPENAPI_3_1;
            }
            diagnostics.add(sc.position().error("unsupported OpenAPI version '" + v
                    + "' (expected 3.0.x or 3.1.x, or a Swagger 2.0 document with 'swagger: \"2.0\"')"));
            return null;
        }
        if (swagger instanceof YamlNode.Scalar sc && sc.value() != null) {
            if (sc.value().trim().equals("2.0")) {
                return Version.SWAGGER_2;
            }
            diagnostics.add(sc.position().error("unsupported Swagger version '" + sc.value().trim()
                    + "' (expected \"2.0\", or an OpenAPI 3.0.x or 3.1.x document with 'openapi:')"));
            return null;
        }
        Position at = openapi != null ? openapi.position() : swagger != null ? swagger.position() : top.position();
        diagnostics.add(at.error("not an OpenAPI document: expected 'openapi: 3.0.x' or 'openapi: 3.1.x' (or "
                + "'swagger: \"2.0\"') at the top"));
        return null;
    }

    /** Reports every path that cannot be an operation's URL template. */
    private void checkPaths(YamlNode.Mapping top) {
        if (!(value(top, "paths") instanceof YamlNode.Mapping paths)) {
            return; // the parser says what is wrong
        }
        for (YamlNode.Entry e : paths.entries()) {
            String template = e.key().value();
            if (template == null || template.startsWith("x-")) {
                continue;
            }
            String problem = templateProblem(template);
            if (problem != null) {
                diagnostics.add(e.key().position().error("path '" + template + "' " + problem));
                badPath = true;
            }
        }
    }

    // ---------------------------------------------------------------- references

    /** Reports every {@code $ref} Gatehouse cannot follow. */
    private void checkReferences(YamlNode node) {
        if (node instanceof YamlNode.Mapping m) {
            for (YamlNode.Entry e : m.entries()) {
                if ("$ref".equals(e.key().value()) && e.value() instanceof YamlNode.Scalar sc && sc.value() != null) {
                    String ref = sc.value().trim();
                    if (!ref.startsWith("#")) {
                        diagnostics.add(sc.position().error("$ref '" + ref + "' points outside the document: "
                                + "Gatehouse reads one self-contained OpenAPI document and fetches no file or URL at load "
                                + "(expected a reference within it, such as '#/components/schemas/Pet'; bundle the "
                                + "referenced parts into this file)"));
                        externalReference = true;
                    } else if (!resolvesInSource(ref)) {
                        diagnostics.add(sc.position().error("$ref '" + ref + "' points to nothing in the document"));
                        danglingReference = true;
                    }
                } else if (!LITERAL_KEYS.contains(e.key().value())
                        && !(e.key().value() != null && e.key().value().startsWith("x-"))) {
                    checkReferences(e.value()); // not into examples, defaults and extensions: any JSON, not references
                }
            }
        } else if (node instanceof YamlNode.Sequence s) {
            for (YamlNode item : s.items()) {
                checkReferences(item);
            }
        }
    }

    private boolean resolvesInSource(String ref) {
        List<String> tokens = pointerTokens(ref);
        if (tokens == null) {
            return false;
        }
        YamlNode n = tree;
        for (String t : tokens) {
            if (n instanceof YamlNode.Mapping m) {
                n = value(m, t);
            } else if (n instanceof YamlNode.Sequence s && t.matches("\\d{1,9}") && Integer.parseInt(t) < s.items().size()) {
                n = s.items().get(Integer.parseInt(t));
            } else {
                n = null;
            }
            if (n == null) {
                return false;
            }
        }
        return true;
    }

    /** The JSON pointer tokens of a local reference ({@code #/a/b~1c}), or null when it is not one. */
    private static List<String> pointerTokens(String ref) {
        String fragment;
        try {
            fragment = URLDecoder.decode(ref.substring(1).replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (fragment.isEmpty()) {
            return List.of();
        }
        if (!fragment.startsWith("/")) {
            return null;
        }
        List<String> tokens = new ArrayList<>();
        for (String t : fragment.substring(1).split("/", -1)) {
            tokens.add(t.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    /** Follows {@code $ref}s (within the document) until a node without one. */
    private JsonNode deref(JsonNode node, String what, Position at) {
        JsonNode n = node;
        Set<String> seen = new HashSet<>();
        for (int hops = 0; n != null && n.has("$ref") && n.get("$ref").isTextual(); hops++) {
            String ref = n.get("$ref").asText();
            if (hops >= MAX_REF_HOPS || !seen.add(ref)) {
                diagnostics.add(at.error(what + ": $ref '" + ref + "' refers back to itself"));
                return null;
            }
            List<String> tokens = ref.startsWith("#") ? pointerTokens(ref) : null;
            JsonNode target = null;
            if (tokens != null) {
                StringBuilder pointer = new StringBuilder();
                for (String t : tokens) {
                    pointer.append('/').append(t.replace("~", "~0").replace("/", "~1"));
                }
                target = root.at(JsonPointer.compile(pointer.toString()));
            }
            if (target == null || target.isMissingNode()) {
                diagnostics.add(at.error(what + ": $ref '" + ref + "' points to nothing in the document"));
                return null;
            }
            n = target;
        }
        return n;
    }

    // ---------------------------------------------------------------- the definition

    private Loaded build() {
        JsonNode components = root.path("components");
        if (!components.isObject()) {
            components = JsonNodeFactory.instance.objectNode();
        }
        List<OperationConfig> operations = new ArrayList<>();
        List<OperationDefinition> definitions = new ArrayList<>();
        Map<String, Position> ids = new LinkedHashMap<>();
        boolean ok = true;
        JsonNode paths = root.path("paths");
        for (Map.Entry<String, JsonNode> pathEntry : paths.properties()) {
            String template = pathEntry.getKey();
            if (template.startsWith("x-")) {
                continue;
            }
            Position pathAt = keyPosition("paths", template);
            JsonNode item = deref(pathEntry.getValue(), "path '" + template + "'", pathAt);
            if (item == null || !item.isObject()) {
                ok = false;
                continue;
            }
            List<ParameterDefinition> pathParameters = parameters(item.path("parameters"), List.of(), pathAt, template);
            for (String method : METHODS) {
                JsonNode op = item.get(method);
                if (op == null || !op.isObject()) {
                    continue;
                }
                Position opAt = keyPosition("paths", template, method);
                String id;
                Position idAt = opAt;
                if (op.path("operationId").isTextual() && !op.get("operationId").asText().isBlank()) {
                    id = op.get("operationId").asText().trim();
                    idAt = valuePosition("paths", template, method, "operationId");
                } else {
                    id = derivedId(method, template);
                }
                Position first = ids.putIfAbsent(id, idAt);
                if (first != null) {
                    diagnostics.add(idAt.error("duplicate operation id '" + id + "' (first at line " + first.line()
                            + "): each operation of an API needs its own operationId"));
                    ok = false;
                    continue;
                }
                String upper = method.toUpperCase(Locale.ROOT);
                List<ParameterDefinition> params = parameters(op.path("parameters"), pathParameters, opAt, id);
                RequestBodyDefinition body = requestBody(op.get("requestBody"), opAt, id);
                Map<String, ResponseDefinition> responses = responses(op.path("responses"), opAt, id);
                operations.add(new OperationConfig(id, upper, template, null, opAt));
                definitions.add(new OperationDefinition(id, upper, template, params, body, responses));
            }
        }
        if (!ok) {
            return null;
        }
        if (operations.isEmpty()) {
            diagnostics.add(keyPosition("paths").warning("the OpenAPI document defines no operations: every request "
                    + "to the API is answered 404, unless the config adds operations of its own"));
        }
        ApiDefinition.Dialect dialect = version == Version.OPENAPI_3_1
                ? ApiDefinition.Dialect.OPENAPI_3_1 : ApiDefinition.Dialect.OPENAPI_3_0;
        ApiDefinition definition = new ApiDefinition(apiId, file, dialect, components.deepCopy(), definitions);
        JsonNode first = root.path("servers").path(0).path("url");
        return new Loaded(operations, definition, serverUrl(), first.isTextual() ? first.asText() : null);
    }

    /** What is wrong with a path for routing, or null: the config's template rules, without its wildcard. */
    static String templateProblem(String template) {
        String problem = ConfigReader.templateProblem(template);
        if (problem != null) {
            return problem;
        }
        if (template.indexOf('*') >= 0) {
            return "may not contain '*' (OpenAPI paths have no wildcards)";
        }
        return null;
    }

    /** {@code get /pets/{petId}} gives {@code get-pets-petid}. */
    static String derivedId(String method, String template) {
        String s = (method + "-" + template).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        s = s.replaceAll("^-+|-+$", "");
        return s;
    }

    private List<ParameterDefinition> parameters(JsonNode list, List<ParameterDefinition> inherited, Position at,
                                                 String owner) {
        Map<String, ParameterDefinition> byKey = new LinkedHashMap<>();
        for (ParameterDefinition p : inherited) {
            byKey.put(p.in() + "\u0000" + key(p), p);
        }
        if (list.isArray()) {
            for (JsonNode raw : list) {
                JsonNode p = deref(raw, "a parameter of '" + owner + "'", at);
                if (p == null || !p.isObject() || !p.path("name").isTextual() || !p.path("in").isTextual()) {
                    continue;
                }
                ParameterDefinition.In in;
                switch (p.get("in").asText()) {
                    case "path" -> in = ParameterDefinition.In.PATH;
                    case "query" -> in = ParameterDefinition.In.QUERY;
                    case "header" -> in = ParameterDefinition.In.HEADER;
                    case "cookie" -> in = ParameterDefinition.In.COOKIE;
                    default -> {
                        continue; // reported by the parser
                    }
                }
                JsonNode schema = p.get("schema");
                if (schema == null && p.path("content").isObject() && p.get("content").size() > 0) {
                    schema = p.get("content").elements().next().get("schema");
                }
                String style = p.path("style").isTextual() ? p.get("style").asText() : null;
                Boolean explode = p.path("explode").isBoolean() ? p.get("explode").asBoolean() : null;
                boolean required = in == ParameterDefinition.In.PATH || p.path("required").asBoolean(false);
                ParameterDefinition def = new ParameterDefinition(p.get("name").asText(), in, required,
                        schema == null ? null : schema.deepCopy(), style, explode);
                byKey.put(in + "\u0000" + key(def), def);
            }
        }
        return List.copyOf(byKey.values());
    }

    private static String key(ParameterDefinition p) {
        return p.in() == ParameterDefinition.In.HEADER ? p.name().toLowerCase(Locale.ROOT) : p.name();
    }

    private RequestBodyDefinition requestBody(JsonNode raw, Position at, String owner) {
        if (raw == null) {
            return null;
        }
        JsonNode body = deref(raw, "the request body of '" + owner + "'", at);
        if (body == null || !body.isObject()) {
            return null;
        }
        return new RequestBodyDefinition(body.path("required").asBoolean(false), content(body.path("content")));
    }

    private Map<String, ResponseDefinition> responses(JsonNode responses, Position at, String owner) {
        Map<String, ResponseDefinition> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : responses.properties()) {
            if (e.getKey().startsWith("x-")) {
                continue;
            }
            JsonNode r = deref(e.getValue(), "response " + e.getKey() + " of '" + owner + "'", at);
            if (r == null || !r.isObject()) {
                continue;
            }
            Map<String, HeaderDefinition> headers = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> h : r.path("headers").properties()) {
                if (h.getKey().equalsIgnoreCase("Content-Type")) {
                    continue; // OpenAPI: a response header named Content-Type is ignored
                }
                JsonNode header = deref(h.getValue(), "header " + h.getKey() + " of '" + owner + "'", at);
                if (header == null || !header.isObject()) {
                    continue;
                }
                JsonNode schema = header.get("schema");
                if (schema == null && header.path("content").isObject() && header.get("content").size() > 0) {
                    schema = header.get("content").elements().next().get("schema");
                }
                headers.put(h.getKey(), new HeaderDefinition(h.getKey(), header.path("required").asBoolean(false),
                        schema == null ? null : schema.deepCopy()));
            }
            out.put(e.getKey(), new ResponseDefinition(e.getKey(), headers, content(r.path("content"))));
        }
        return out;
    }

    private static Map<String, MediaTypeDefinition> content(JsonNode content) {
        Map<String, MediaTypeDefinition> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : content.properties()) {
            JsonNode schema = e.getValue().get("schema");
            out.put(e.getKey(), new MediaTypeDefinition(e.getKey(), schema == null ? null : schema.deepCopy()));
        }
        return out;
    }

    /** The first server URL that is absolute http(s), its variables replaced by their defaults; null when none. */
    private URI serverUrl() {
        for (JsonNode server : root.path("servers")) {
            if (!server.path("url").isTextual()) {
                continue;
            }
            String url = server.get("url").asText().trim();
            for (Map.Entry<String, JsonNode> v : server.path("variables").properties()) {
                if (v.getValue().path("default").isValueNode()) {
                    url = url.replace("{" + v.getKey() + "}", v.getValue().get("default").asText());
                }
            }
            try {
                URI uri = new URI(url);
                String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
                if (("http".equals(scheme) || "https".equals(scheme)) && uri.getHost() != null
                        && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null) {
                    String s = uri.toString();
                    return s.endsWith("/") ? URI.create(s.substring(0, s.length() - 1)) : uri;
                }
            } catch (URISyntaxException e) {
                // not usable: the next one may be
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- positions

    private static YamlNode value(YamlNode.Mapping m, String key) {
        for (YamlNode.Entry e : m.entries()) {
            if (key.equals(e.key().value())) {
                return e.value();
            }
        }
        return null;
    }

    /** The position of the key at the end of {@code keys}, or of the deepest one found. */
    private Position keyPosition(String... keys) {
        YamlNode n = tree;
        Position at = tree.position();
        for (String k : keys) {
            if (!(n instanceof YamlNode.Mapping m)) {
                return at;
            }
            YamlNode.Entry found = null;
            for (YamlNode.Entry e : m.entries()) {
                if (k.equals(e.key().value())) {
                    found = e;
                }
            }
            if (found == null) {
                return at;
            }
            at = found.key().position();
            n = found.value();
        }
        return at;
    }

    private Position valuePosition(String... keys) {
        YamlNode n = tree;
        for (String k : keys) {
            if (!(n instanceof YamlNode.Mapping m) || value(m, k) == null) {
                return keyPosition(keys);
            }
            n = value(m, k);
        }
        return n.position();
    }

    /**
     * Whether a swagger-parser message means the document is not usable: a required attribute
     * missing, a value of the wrong type, a repeated operationId. Unknown and reserved attributes,
     * unsupported features and hints are warnings.
     */
    private static boolean isError(String message) {
        return message.contains(" is missing") || message.contains(" is not of type") || message.contains(" is repeated")
                || message.contains("Could not find") || message.contains("unable to resolve");
    }

    /**
     * Places a swagger-parser message, such as {@code attribute paths.'/pets'(get).responses is
     * missing}, at the deepest part of the path it names that the document has.
     */
    Position locate(String message) {
        String m = message.startsWith("attribute ") ? message.substring("attribute ".length()) : message;
        int end = m.indexOf(' ');
        String path = end < 0 ? m : m.substring(0, end);
        List<String> keys = new ArrayList<>();
        int i = 0;
        while (i < path.length()) {
            char c = path.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '\'') {
                int close = path.indexOf('\'', i + 1);
                if (close < 0) {
                    break;
                }
                keys.add(path.substring(i + 1, close));
                i = close + 1;
            } else if (c == '(' || c == '[') {
                int close = path.indexOf(c == '(' ? ')' : ']', i + 1);
                if (close < 0) {
                    break;
                }
                keys.add((c == '[' ? "\u0000" : "") + path.substring(i + 1, close));
                i = close + 1;
            } else {
                int next = i;
                while (next < path.length() && ".'([".indexOf(path.charAt(next)) < 0) {
                    next++;
                }
                keys.add(path.substring(i, next));
                i = next;
            }
        }
        YamlNode n = tree;
        Position at = tree.position();
        for (String k : keys) {
            YamlNode next = null;
            Position nextAt = null;
            if (k.startsWith("\u0000") && n instanceof YamlNode.Sequence s) {
                String name = k.substring(1);
                for (YamlNode item : s.items()) {
                    if (item instanceof YamlNode.Mapping im && value(im, "name") instanceof YamlNode.Scalar sc
                            && name.equals(sc.value())) {
                        next = item;
                        nextAt = item.position();
                    }
                }
            } else if (n instanceof YamlNode.Mapping mm) {
                for (YamlNode.Entry e : mm.entries()) {
                    if (k.equals(e.key().value())) {
                        next = e.value();
                        nextAt = e.key().position();
                    }
                }
            }
            if (next == null) {
                break;
            }
            n = next;
            at = nextAt;
        }
        return at;
    }
}
