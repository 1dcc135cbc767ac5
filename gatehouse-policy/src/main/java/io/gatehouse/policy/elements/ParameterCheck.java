package io.gatehouse.policy.elements;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.ParameterDefinition;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One declared parameter or response header, ready to check: its schema compiled at load, and its
 * string values turned into the JSON values the schema describes (integers, numbers, booleans,
 * arrays and objects by the parameter's {@code style} and {@code explode}, as OpenAPI serializes
 * them) before they are validated.
 */
final class ParameterCheck {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final int MAX_MESSAGES = 10;

    /** Where the value was carried; decides the messages and the serialization defaults. */
    enum Kind {
        QUERY("query parameter", "Query parameter", "QueryParameter", "form"),
        PATH("path parameter", "Path parameter", "PathParameter", "simple"),
        REQUEST_HEADER("header", "Header", "RequestHeader", "simple"),
        RESPONSE_HEADER("header", "Header", "ResponseHeader", "simple");

        final String label;
        final String capitalLabel;
        final String type;
        final String defaultStyle;

        Kind(String label, String capitalLabel, String type, String defaultStyle) {
            this.label = label;
            this.capitalLabel = capitalLabel;
            this.type = type;
            this.defaultStyle = defaultStyle;
        }

        static Kind of(ParameterDefinition.In in) {
            return switch (in) {
                case QUERY -> QUERY;
                case PATH -> PATH;
                case HEADER -> REQUEST_HEADER;
                case COOKIE -> null;
            };
        }
    }

    final String name;
    final Kind kind;
    final boolean required;
    private final JsonNode resolved;
    private final JsonSchema schema;
    private final String style;
    private final boolean explode;
    /** The schema's shape (array, object, a scalar type, or null), and, resolved at load, its items' and properties' schemas. */
    private final String type;
    private final JsonNode items;
    private final Map<String, JsonNode> properties;
    /** The key overrides and declared-parameter sets use: a header's name in lower case, else the name. */
    final String key;

    private ParameterCheck(String name, Kind kind, boolean required, JsonNode resolved, JsonSchema schema, String style, boolean explode,
                           JsonNode components) {
        this.name = name;
        this.kind = kind;
        this.required = required;
        this.resolved = resolved;
        this.schema = schema;
        this.style = style;
        this.explode = explode;
        this.type = shape(resolved);
        this.items = resolved == null || resolved.get("items") == null ? null : ApiValidation.resolve(resolved.get("items"), components);
        Map<String, JsonNode> props = new java.util.HashMap<>();
        JsonNode declared = resolved == null ? null : resolved.get("properties");
        if (declared != null) {
            declared.fieldNames().forEachRemaining(k -> props.put(k, ApiValidation.resolve(declared.get(k), components)));
        }
        this.properties = java.util.Collections.unmodifiableMap(props);
        this.key = kind == Kind.REQUEST_HEADER || kind == Kind.RESPONSE_HEADER ? name.toLowerCase(Locale.ROOT) : name;
    }

    /**
     * Compiles one parameter's check.
     *
     * @throws IllegalArgumentException with the load error's text
     */
    static ParameterCheck of(ApiDefinition def, String operationId, String name, Kind kind, boolean required, JsonNode schema,
                             String style, Boolean explode) {
        String s = style == null ? kind.defaultStyle : style;
        boolean ex = explode != null ? explode : s.equals("form");
        String where = "the " + kind.label + " '" + name + "' of operation '" + operationId + "'";
        JsonSchema compiled = schema == null ? null : ApiValidation.compile(def, schema, ApiValidation.Transform.NONE, where);
        JsonNode resolved = schema == null ? null : ApiValidation.resolve(schema, def.components());
        if (!List.of("form", "simple", "label", "matrix", "spaceDelimited", "pipeDelimited", "deepObject").contains(s)) {
            throw new IllegalArgumentException(where + " in " + def.source() + " has style '" + s + "' (expected: form, simple, label, "
                    + "matrix, spaceDelimited, pipeDelimited or deepObject)");
        }
        if ("object".equals(shape(resolved)) && (s.equals("deepObject") || (s.equals("form") && ex))) {
            throw new IllegalArgumentException(where + " in " + def.source() + " is an object serialized with style '" + s + "'"
                    + (s.equals("form") ? " and explode" : "") + ", which this policy cannot read back: declare it with explode: false");
        }
        return new ParameterCheck(name, kind, required, resolved, compiled, s, ex, def.components());
    }

    private static String shape(JsonNode resolved) {
        String t = ApiValidation.type(resolved);
        if (t == null && resolved != null) {
            if (resolved.has("items")) {
                return "array";
            }
            if (resolved.has("properties")) {
                return "object";
            }
        }
        return t;
    }

    /** Why a value cannot be read, or a value the parameter cannot hold twice. */
    static final class Unreadable extends Exception {
        final boolean multiple;

        Unreadable(String message, boolean multiple) {
            super(message, null, false, false);
            this.multiple = multiple;
        }
    }

    /**
     * Checks the values the message carries for this parameter; adds APIM's errors.
     *
     * @return true when a prevent error was added (the caller stops)
     */
    boolean check(List<String> values, ApiValidation.Action action, List<ApiValidation.Error> errors) {
        boolean response = kind == Kind.RESPONSE_HEADER;
        String subject = response ? "Response" : "Request";
        if (values == null || values.isEmpty()) {
            if (!required) {
                return false;
            }
            String d = subject + " must contain the " + kind.label + " " + name + ", which the definition requires.";
            return ApiValidation.add(errors, error("IncorrectMessage", d, d, action));
        }
        if (schema == null) {
            return false;
        }
        JsonNode value;
        try {
            value = read(values);
        } catch (Unreadable u) {
            if (u.multiple) {
                String d = subject + " cannot contain multiple values for the " + kind.label + " " + name + ".";
                return ApiValidation.add(errors, error("IncorrectMessage", d, d, action));
            }
            String d = "Value of the " + kind.label + " " + name + (response ? " couldn't" : " cannot")
                    + " be parsed according to the definition." + (response ? "" : " " + u.getMessage());
            String p = "Value of the " + kind.label + " " + name + " couldn't be parsed according to the definition. " + u.getMessage();
            return ApiValidation.add(errors, error("IncorrectMessage", d, p, action));
        }
        List<String> problems = ApiValidation.messages(schema, value, MAX_MESSAGES);
        if (problems.isEmpty()) {
            return false;
        }
        String msg = String.join(" ", problems);
        String d = "Value of the " + kind.label + " " + name + " does not conform to the definition. " + msg;
        String p = "The value of the " + kind.label + " " + name + " does not conform to the definition. " + msg;
        return ApiValidation.add(errors, error("IncorrectMessage", d, p, action));
    }

    private ApiValidation.Error error(String rule, String details, String publicMessage, ApiValidation.Action action) {
        return new ApiValidation.Error(name, kind.type, rule, details,
                kind == Kind.RESPONSE_HEADER ? ApiValidation.INTERNAL : publicMessage, action);
    }

    /** The values as the JSON value the schema describes. */
    JsonNode read(List<String> values) throws Unreadable {
        if ("array".equals(type)) {
            ArrayNode out = JSON.arrayNode();
            for (String part : arrayParts(values)) {
                out.add(scalar(part, items));
            }
            return out;
        }
        String v = single(values);
        if ("object".equals(type)) {
            return object(v);
        }
        return scalar(unprefixed(v), resolved);
    }

    private String single(List<String> values) throws Unreadable {
        if (values.size() > 1) {
            throw new Unreadable("", true);
        }
        return values.get(0);
    }

    private String unprefixed(String v) {
        if (kind == Kind.PATH && style.equals("label") && v.startsWith(".")) {
            return v.substring(1);
        }
        if (kind == Kind.PATH && style.equals("matrix") && v.startsWith(";") && v.startsWith(name, 1) && v.startsWith("=", name.length() + 1)) {
            return v.substring(name.length() + 2);
        }
        return v;
    }

    private List<String> arrayParts(List<String> values) throws Unreadable {
        if (kind == Kind.QUERY) {
            if (style.equals("form") && explode) {
                return values;
            }
            String sep = switch (style) {
                case "spaceDelimited" -> " ";
                case "pipeDelimited" -> "\\|";
                default -> ",";
            };
            return split(single(values), sep);
        }
        if (kind == Kind.REQUEST_HEADER || kind == Kind.RESPONSE_HEADER) {
            List<String> parts = new ArrayList<>();
            for (String v : values) {
                for (String p : split(v, ",")) {
                    parts.add(p.strip());
                }
            }
            return parts;
        }
        String v = single(values);
        if (style.equals("label")) {
            String body = v.startsWith(".") ? v.substring(1) : v;
            return split(body, explode ? "\\." : ",");
        }
        if (style.equals("matrix")) {
            if (explode) {
                List<String> parts = new ArrayList<>();
                for (String p : v.split(";", -1)) {
                    if (!p.isEmpty()) {
                        parts.add(p.startsWith(name) && p.startsWith("=", name.length()) ? p.substring(name.length() + 1) : p);
                    }
                }
                return parts;
            }
            return split(unprefixed(v), ",");
        }
        return split(v, ",");
    }

    /** {@code v} split at {@code sep}, a regex String.split runs without compiling (one character, escaped when special). */
    private static List<String> split(String v, String sep) {
        if (v.isEmpty()) {
            return List.of();
        }
        return List.of(v.split(sep, -1));
    }

    private JsonNode object(String v) throws Unreadable {
        ObjectNode o = JSON.objectNode();
        List<String> parts = split(unprefixed(v), ",");
        if (explode) {
            for (String p : parts) {
                int eq = p.indexOf('=');
                if (eq <= 0) {
                    throw new Unreadable("A part is not a name=value pair.", false);
                }
                String k = p.substring(0, eq);
                o.set(k, scalar(p.substring(eq + 1), properties.get(k)));
            }
        } else {
            if (parts.size() % 2 != 0) {
                throw new Unreadable("The value does not hold name,value pairs.", false);
            }
            for (int i = 0; i < parts.size(); i += 2) {
                String k = parts.get(i);
                o.set(k, scalar(parts.get(i + 1), properties.get(k)));
            }
        }
        return o;
    }

    /** One string as the scalar its schema's type says. */
    private static JsonNode scalar(String s, JsonNode schema) throws Unreadable {
        String type = ApiValidation.type(schema);
        if (type == null) {
            return JSON.textNode(s);
        }
        try {
            return switch (type) {
                case "integer" -> JSON.numberNode(new BigInteger(s));
                case "number" -> JSON.numberNode(new BigDecimal(s));
                case "boolean" -> switch (s.toLowerCase(Locale.ROOT)) {
                    case "true" -> JSON.booleanNode(true);
                    case "false" -> JSON.booleanNode(false);
                    default -> throw new Unreadable("It is not a boolean (true or false).", false);
                };
                default -> JSON.textNode(s);
            };
        } catch (NumberFormatException e) {
            throw new Unreadable("It is not " + (type.equals("integer") ? "an integer." : "a number."), false);
        }
    }
}
