package io.gatehouse.policy.elements;

import graphql.GraphQLContext;
import graphql.GraphQLError;
import graphql.execution.RawVariables;
import graphql.execution.ValuesResolver;
import graphql.language.AstPrinter;
import graphql.language.Definition;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.SourceLocation;
import graphql.language.VariableDefinition;
import graphql.language.VariableReference;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.parser.ParserEnvironment;
import graphql.parser.ParserOptions;
import graphql.schema.GraphQLCompositeType;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLObjectType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import graphql.schema.GraphQLTypeUtil;
import graphql.validation.ValidationError;
import graphql.validation.Validator;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.GraphqlApiSchema;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * APIM's {@code validate-graphql-request}
 * (https://learn.microsoft.com/azure/api-management/validate-graphql-request-policy): the request
 * must be a GraphQL request (POST with a JSON body {@code {query, operationName, variables}} or an
 * {@code application/graphql} body, or GET with {@code ?query=}) no larger than {@code max-size},
 * whose document parses, validates against the API's schema ({@code apis[].graphql.schema}, read
 * at load), selects one operation, has variables of the declared types, is at most
 * {@code max-depth} fields deep and has at most 250 fields; then the {@code <authorize>} rules run
 * on every field the operation selects.
 *
 * <p>Failures are request errors: a 400 (413 for the size) whose body is GraphQL's
 * {@code {"errors": [...]}} with no {@code data}, context.LastError with source
 * {@code validate-graphql-request}, and the errors in the {@code GraphQLErrors} variable (and in
 * {@code error-variable-name}'s when set). A {@code remove} rule is a field error: the field is
 * taken out of the query the backend gets, and the error is recorded in the same variables.
 *
 * <p>The schema and the rule paths are checked at load; per request the document is parsed and
 * validated once (graphql-java), and rule actions that are expressions are evaluated at most once.
 */
public final class ValidateGraphqlRequest implements Policy {
    public static final PolicyType TYPE = new PolicyType("validate-graphql-request", EnumSet.of(Section.INBOUND),
            ValidateGraphqlRequest::compile);

    static final String SOURCE = "validate-graphql-request";
    /** The variable APIM always puts the validation errors in. */
    static final String ERRORS_VARIABLE = "GraphQLErrors";
    /** APIM's ceiling for max-size. */
    static final int MAX_SIZE = 102_400;
    static final int DEFAULT_MAX_DEPTH = 6;
    /** APIM validates requests with up to 250 query fields across all levels. */
    static final int MAX_FIELDS = 250;
    private static final int MAX_REPORTED_ERRORS = 20;
    private static final Set<String> ACTIONS = Set.of("allow", "remove", "reject", "ignore");
    private static final Pattern PATH_SEGMENT = Pattern.compile("[A-Za-z_*][A-Za-z0-9_*]*");

    /**
     * One {@code <rule>}: {@code /Type/field} (type == null for {@code /field}, a field of the
     * operation's root type), each segment a name or a pattern with {@code *}.
     */
    record Rule(String path, Pattern type, Pattern field, Value<String> action) {
        /**
         * @param parentTypes the type the field is selected on and, when that is an interface, the
         *     object types implementing it: {@code /User/email} also covers {@code email} selected
         *     through an interface User implements, which the backend resolves on User
         */
        boolean matches(List<String> parentTypes, String fieldName, boolean root) {
            if (!field.matcher(fieldName).matches()) {
                return false;
            }
            if (type == null) {
                return root;
            }
            for (String t : parentTypes) {
                if (type.matcher(t).matches()) {
                    return true;
                }
            }
            return false;
        }
    }

    private final Value<String> errorVariable;
    private final Value<Integer> maxSize;
    private final Value<Integer> maxDepth;
    private final List<Rule> rules;
    /** The schema when the policy is in an API's own document; else null and {@link #schemas} by API id. */
    private final GraphqlApiSchema fixed;
    private final Map<String, GraphqlApiSchema> schemas;

    private ValidateGraphqlRequest(Value<String> errorVariable, Value<Integer> maxSize, Value<Integer> maxDepth,
                                   List<Rule> rules, GraphqlApiSchema fixed, Map<String, GraphqlApiSchema> schemas) {
        this.errorVariable = errorVariable;
        this.maxSize = maxSize;
        this.maxDepth = maxDepth;
        this.rules = List.copyOf(rules);
        this.fixed = fixed;
        this.schemas = Map.copyOf(schemas);
    }

    // ---- load ----

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "error-variable-name", "max-size", "max-depth");
        ctx.readsBody(true, false);
        boolean ok = true;
        Value<String> errorVariable = a.string("error-variable-name");
        if (a.has("error-variable-name") && errorVariable == null) {
            ok = false;
        }
        Value<Integer> maxSize = null;
        if (!a.has("max-size")) {
            a.missing("max-size");
            ok = false;
        } else {
            maxSize = a.integerValue("max-size", 1, MAX_SIZE);
            ok &= maxSize != null;
        }
        Value<Integer> maxDepth = Value.constant(DEFAULT_MAX_DEPTH);
        if (a.has("max-depth")) {
            maxDepth = a.integerValue("max-depth", 1, 1000);
            ok &= maxDepth != null;
        }
        ctx.onlyChildren(e, "authorize");

        PolicyEnvironment env = ctx.environment();
        GraphqlApiSchema fixed = null;
        Map<String, GraphqlApiSchema> schemas = Map.of();
        if (env.api() != null) {
            fixed = env.graphqlSchema(env.api());
            if (fixed == null && env.graphqlSchemaBroken(env.api())) {
                ok = false; // the schema file's errors are reported there
            } else if (fixed == null) {
                ctx.error(e.position(), "<validate-graphql-request> needs the API's GraphQL schema, and api '" + env.api()
                        + "' has none: set apis[].graphql.schema to its SDL file in the config");
                ok = false;
            }
        } else if (env.graphqlSchemas().isEmpty() && !env.anyGraphqlSchemaBroken()) {
            String msg = "<validate-graphql-request> needs the API's GraphQL schema, and no API in the config has one: "
                    + "set apis[].graphql.schema to the SDL file of each API this policy applies to";
            if (env.lenientReferences()) {
                ctx.warning(e.position(), msg + " (rule paths are not checked)");
            } else {
                ctx.error(e.position(), msg);
                ok = false;
            }
        } else if (!env.apisWithoutGraphqlSchema().isEmpty()) {
            ctx.error(e.position(), "<validate-graphql-request> at " + ctx.scope().label() + " scope runs for every API, and "
                    + "api " + String.join(", ", env.apisWithoutGraphqlSchema().stream().map(x -> "'" + x + "'").toList())
                    + " has no GraphQL schema: set apis[].graphql.schema for it, or move the policy into the GraphQL APIs' own policies");
            ok = false;
        } else if (env.anyGraphqlSchemaBroken()) {
            ok = false; // the schema files' errors are reported there
        } else {
            schemas = env.graphqlSchemas();
        }
        List<GraphqlApiSchema> checkAgainst = fixed != null ? List.of(fixed) : List.copyOf(schemas.values());

        List<Rule> rules = new ArrayList<>();
        List<XmlElement> authorize = e.elements().stream().filter(c -> c.name().equals("authorize")).toList();
        if (authorize.size() > 1) {
            ctx.error(authorize.get(1).position(), "<validate-graphql-request> has more than one <authorize>");
            ok = false;
        }
        for (XmlElement auth : authorize) {
            ctx.attributes(auth);
            ctx.onlyChildren(auth, "rule");
            for (XmlElement r : auth.elements()) {
                if (r.name().equals("rule")) {
                    Rule rule = rule(r, ctx, checkAgainst);
                    if (rule == null) {
                        ok = false;
                    } else {
                        rules.add(rule);
                    }
                }
            }
        }
        return ok ? new ValidateGraphqlRequest(errorVariable, maxSize, maxDepth, rules, fixed, schemas) : null;
    }

    private static Rule rule(XmlElement r, CompileContext ctx, List<GraphqlApiSchema> schemas) {
        Attributes a = ctx.attributes(r, "path", "action");
        ctx.noContent(r);
        String path = a.requiredText("path");
        Value<String> action = a.has("action") ? a.string("action") : Value.constant("allow");
        if (path == null || action == null) {
            return null;
        }
        String p = path.strip();
        String[] segments = p.startsWith("/") ? p.substring(1).split("/", -1) : new String[0];
        if (segments.length < 1 || segments.length > 2 || !PATH_SEGMENT.matcher(segments[0]).matches()
                || (segments.length == 2 && !PATH_SEGMENT.matcher(segments[1]).matches())) {
            ctx.error(a.position("path"), "rule path '" + path + "' (expected /type/field such as /Query/users, /field for a field "
                    + "of the operation's root type, or a pattern with * such as /__* for the introspection fields)");
            return null;
        }
        if (action.isConstant() && action.constant() != null) {
            String act = action.constant().strip().toLowerCase(Locale.ROOT);
            if (act.equals("deny")) {
                ctx.warning(a.position("action"), "rule action 'deny' is not one of APIM's actions (allow, remove, reject, ignore): "
                        + "it is taken as 'reject'");
                action = Value.constant("reject");
            } else if (!ACTIONS.contains(act)) {
                ctx.error(a.position("action"), "rule action '" + action.constant() + "' (expected: allow, remove, reject, ignore"
                        + " or a policy expression)" + Suggest.hint(act, ACTIONS));
                return null;
            }
        }
        String typeSegment = segments.length == 2 ? segments[0] : null;
        String fieldSegment = segments.length == 2 ? segments[1] : segments[0];
        if (!schemas.isEmpty()) {
            String problem = null;
            for (GraphqlApiSchema s : schemas) {
                problem = pathProblem(s.schema(), typeSegment, fieldSegment);
                if (problem == null) {
                    break;
                }
            }
            if (problem != null) {
                ctx.error(a.position("path"), "rule path '" + path + "': " + problem);
                return null;
            }
        }
        return new Rule(p, typeSegment == null ? null : glob(typeSegment), glob(fieldSegment), action);
    }

    /** Why the rule path names nothing in the schema, or null when it names something (patterns always do). */
    private static String pathProblem(GraphQLSchema schema, String typeName, String fieldName) {
        if (typeName == null) {
            if (fieldName.contains("*") || fieldName.startsWith("__")) {
                return null;
            }
            Set<String> rootFields = new TreeSet<>();
            for (GraphQLObjectType root : roots(schema)) {
                root.getFieldDefinitions().forEach(f -> rootFields.add(f.getName()));
            }
            return rootFields.contains(fieldName) ? null : "the schema's query, mutation and subscription types have no field '"
                    + fieldName + "'" + Suggest.hint(fieldName, rootFields);
        }
        if (typeName.contains("*")) {
            return null;
        }
        GraphQLType type = schema.getType(typeName);
        if (type == null) {
            Set<String> names = new TreeSet<>();
            schema.getAllTypesAsList().forEach(t -> names.add(t.getName()));
            return "the schema has no type '" + typeName + "'" + Suggest.hint(typeName, names);
        }
        if (!(type instanceof GraphQLObjectType object)) {
            return "'" + typeName + "' is " + kind(type) + ": rules apply to fields of object types (APIM applies no "
                    + "permissions to input types, unions, interfaces or scalars)";
        }
        if (fieldName.contains("*") || fieldName.equals("__typename")) {
            return null;
        }
        if (object.getFieldDefinition(fieldName) == null) {
            Set<String> names = new TreeSet<>();
            object.getFieldDefinitions().forEach(f -> names.add(f.getName()));
            return "type '" + typeName + "' has no field '" + fieldName + "'" + Suggest.hint(fieldName, names);
        }
        return null;
    }

    private static String kind(GraphQLType t) {
        return switch (t) {
            case graphql.schema.GraphQLInterfaceType i -> "an interface";
            case graphql.schema.GraphQLUnionType u -> "a union";
            case graphql.schema.GraphQLInputObjectType i -> "an input type";
            case graphql.schema.GraphQLEnumType en -> "an enum";
            default -> "a scalar";
        };
    }

    private static List<GraphQLObjectType> roots(GraphQLSchema schema) {
        List<GraphQLObjectType> out = new ArrayList<>();
        for (GraphQLObjectType t : new GraphQLObjectType[] {schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()}) {
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** A path segment as a pattern: {@code *} matches any run of characters, the rest literally. */
    private static Pattern glob(String segment) {
        String[] parts = segment.split("\\*", -1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) {
                sb.append(".*");
            }
            if (!parts[i].isEmpty()) {
                sb.append(Pattern.quote(parts[i]));
            }
        }
        return Pattern.compile(sb.toString());
    }

    // ---- per request ----

    /** A request error: the request stops with these errors (status 400, or 413 for the size). */
    private static final class RequestError extends RuntimeException {
        final int status;
        final String reason;
        final List<JToken> errors;

        RequestError(int status, String reason, List<JToken> errors) {
            super(reason, null, false, false);
            this.status = status;
            this.reason = reason;
            this.errors = errors;
        }

        RequestError(int status, String reason, String message) {
            this(status, reason, List.of(error(message, null, null)));
        }
    }

    /** The GraphQL request as the client sent it. */
    private record GraphqlRequest(String query, String operationName, JObject variables, JObject jsonBody,
                                  String contentType, boolean get) {
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        GraphqlApiSchema schema = fixed;
        if (schema == null) {
            String api = c.api() == null ? null : c.api().id();
            schema = schemas.get(api);
            if (schema == null) {
                throw new GatewayException(500, SOURCE, "GraphQLSchemaNotConfigured",
                        "api '" + api + "' has no GraphQL schema (apis[].graphql.schema) to validate the request against");
            }
        }
        List<JToken> fieldErrors = new ArrayList<>();
        try {
            check(exchange, schema.schema(), fieldErrors);
        } catch (RequestError err) {
            List<JToken> all = new ArrayList<>(fieldErrors);
            all.addAll(err.errors);
            String json = JToken.from(Map.of("errors", all)).toString(false);
            record(exchange, all);
            String first = messageOf(err.errors.get(0));
            throw new PolicyRejection(err.status, SOURCE, err.reason, first, first, Map.of(), json);
        }
        if (!fieldErrors.isEmpty()) {
            record(exchange, fieldErrors);
        }
        return DONE;
    }

    private void check(Exchange exchange, GraphQLSchema schema, List<JToken> fieldErrors) {
        PolicyContext c = exchange.context();
        Integer size = maxSize.get(exchange);
        int limit = size == null ? MAX_SIZE : size;
        GraphqlRequest req = read(c, limit);

        Document doc;
        try {
            doc = Parser.parse(ParserEnvironment.newParserEnvironment().document(req.query())
                    .parserOptions(ParserOptions.getDefaultOperationParserOptions()).build());
        } catch (InvalidSyntaxException ex) {
            SourceLocation at = ex.getLocation();
            throw new RequestError(400, "GraphQLSyntaxError", List.of(error(ex.getMessage(), at, null)));
        }
        List<ValidationError> invalid = new Validator().validateDocument(schema, doc, Locale.ENGLISH);
        if (!invalid.isEmpty()) {
            List<JToken> errs = new ArrayList<>();
            for (ValidationError v : invalid.subList(0, Math.min(MAX_REPORTED_ERRORS, invalid.size()))) {
                errs.add(error(v.getDescription() != null ? v.getDescription() : v.getMessage(),
                        v.getLocations() == null || v.getLocations().isEmpty() ? null : v.getLocations().get(0), "GRAPHQL_VALIDATION_FAILED"));
            }
            throw new RequestError(400, "GraphQLValidationFailed", errs);
        }
        OperationDefinition op = operation(doc, req.operationName());
        Map<String, FragmentDefinition> fragments = new HashMap<>();
        for (Definition<?> d : doc.getDefinitions()) {
            if (d instanceof FragmentDefinition f) {
                fragments.put(f.getName(), f);
            }
        }
        checkVariables(schema, op, req.variables());

        Integer depth = maxDepth.get(exchange);
        int depthLimit = depth == null ? DEFAULT_MAX_DEPTH : depth;
        Shape shape = new Shape(fragments);
        int d = shape.depth(op.getSelectionSet());
        if (d > depthLimit) {
            throw new RequestError(400, "GraphQLQueryTooDeep", List.of(error("The query is " + d + " levels deep, more than the "
                    + depthLimit + " this API allows (max-depth).", op.getSourceLocation(), "GRAPHQL_VALIDATION_FAILED")));
        }
        int fields = shape.fields(op.getSelectionSet());
        if (fields > MAX_FIELDS) {
            throw new RequestError(400, "GraphQLTooManyFields", List.of(error("The query selects more than " + MAX_FIELDS
                    + " fields across all levels.", op.getSourceLocation(), "GRAPHQL_VALIDATION_FAILED")));
        }
        if (rules.isEmpty()) {
            return;
        }
        Authorizer auth = new Authorizer(exchange, schema, fragments, fieldErrors);
        GraphQLObjectType root = switch (op.getOperation()) {
            case MUTATION -> schema.getMutationType();
            case SUBSCRIPTION -> schema.getSubscriptionType();
            default -> schema.getQueryType();
        };
        auth.walk(op.getSelectionSet(), root, true);
        if (!auth.removed.isEmpty()) {
            rewrite(c, req, doc, op, fragments, auth.removed);
        }
    }

    /** The request's query, operation name and variables; a request error when it is no GraphQL request. */
    private static GraphqlRequest read(PolicyContext c, int limit) {
        String method = c.request().method().toUpperCase(Locale.ROOT);
        if (method.equals("GET")) {
            String query = c.request().url().queryValueOrDefault("query", null);
            if (query == null) {
                throw new RequestError(400, "GraphQLBadRequest", "A GraphQL GET request needs the query in the 'query' parameter.");
            }
            String vars = c.request().url().queryValueOrDefault("variables", null);
            int size = query.getBytes(StandardCharsets.UTF_8).length + (vars == null ? 0 : vars.getBytes(StandardCharsets.UTF_8).length);
            if (size > limit) {
                throw tooLarge(size, limit);
            }
            JObject variables = null;
            if (vars != null && !vars.isBlank()) {
                variables = jsonObject(vars, "variables");
            }
            return new GraphqlRequest(query, c.request().url().queryValueOrDefault("operationName", null), variables, null, null, true);
        }
        if (!method.equals("POST")) {
            throw new RequestError(400, "GraphQLBadRequest", "A GraphQL request is a POST (or a GET with ?query=), not a " + method + ".");
        }
        MessageBody body = c.request().body();
        byte[] bytes = body == null ? new byte[0] : body.bytes();
        if (bytes.length > limit) {
            throw tooLarge(bytes.length, limit);
        }
        String contentType = c.request().headers().getValueOrDefault("Content-Type", body == null ? null : body.contentType());
        String text = new String(bytes, Bodies.charset(contentType));
        String media = contentType == null ? "" : contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (media.equals("application/graphql")) {
            return new GraphqlRequest(text, c.request().url().queryValueOrDefault("operationName", null), null, null, contentType, false);
        }
        if (!Bodies.isJson(contentType)) {
            throw new RequestError(400, "GraphQLBadRequest", "A GraphQL POST request needs a JSON body (Content-Type: application/json), "
                    + "found " + (contentType == null ? "no Content-Type" : "'" + contentType + "'") + ".");
        }
        JObject json = jsonObject(text, "body");
        JToken query = json.get("query");
        if (!(query instanceof JValue q) || !(q.value() instanceof String qs)) {
            throw new RequestError(400, "GraphQLBadRequest", "The request body has no 'query' string.");
        }
        String operationName = null;
        JToken name = json.get("operationName");
        if (name instanceof JValue n && n.value() instanceof String s) {
            operationName = s;
        } else if (name != null && name.type() != JToken.Type.Null) {
            throw new RequestError(400, "GraphQLBadRequest", "'operationName' must be a string.");
        }
        JObject variables = null;
        JToken vars = json.get("variables");
        if (vars instanceof JObject o) {
            variables = o;
        } else if (vars instanceof JValue v && v.value() instanceof String s && !s.isBlank()) {
            variables = jsonObject(s, "variables");
        } else if (vars != null && vars.type() != JToken.Type.Null) {
            throw new RequestError(400, "GraphQLBadRequest", "'variables' must be a JSON object.");
        }
        return new GraphqlRequest(qs, operationName, variables, json, contentType, false);
    }

    private static RequestError tooLarge(int size, int limit) {
        return new RequestError(413, "GraphQLRequestTooLarge", "The request payload is " + size + " bytes, more than the "
                + limit + " this API allows (max-size).");
    }

    private static JObject jsonObject(String text, String what) {
        JToken t;
        try {
            t = JToken.parse(text);
        } catch (IllegalArgumentException e) {
            throw new RequestError(400, "GraphQLBadRequest", "The request " + what + " is not valid JSON: " + e.getMessage());
        }
        if (!(t instanceof JObject o)) {
            throw new RequestError(400, "GraphQLBadRequest", "The request " + what + " must be a JSON object.");
        }
        return o;
    }

    private static OperationDefinition operation(Document doc, String name) {
        List<OperationDefinition> ops = doc.getDefinitionsOfType(OperationDefinition.class);
        if (name != null && !name.isEmpty()) {
            for (OperationDefinition op : ops) {
                if (name.equals(op.getName())) {
                    return op;
                }
            }
            throw new RequestError(400, "GraphQLValidationFailed", "Unknown operation named '" + name + "'.");
        }
        if (ops.size() != 1) {
            throw new RequestError(400, "GraphQLValidationFailed", ops.isEmpty() ? "The document has no operation."
                    : "The document has " + ops.size() + " operations: 'operationName' must say which one to run.");
        }
        return ops.get(0);
    }

    private static void checkVariables(GraphQLSchema schema, OperationDefinition op, JObject variables) {
        Map<String, Object> raw = variables == null ? Map.of() : plain(variables);
        try {
            ValuesResolver.coerceVariableValues(schema, op.getVariableDefinitions(), RawVariables.of(raw),
                    GraphQLContext.getDefault(), Locale.ENGLISH);
        } catch (RuntimeException e) {
            List<SourceLocation> at = e instanceof GraphQLError g ? g.getLocations() : null;
            throw new RequestError(400, "GraphQLValidationFailed", List.of(error(e.getMessage(),
                    at == null || at.isEmpty() ? null : at.get(0), "GRAPHQL_VALIDATION_FAILED")));
        }
    }

    /** JSON as the Java values graphql-java coerces variables from. */
    @SuppressWarnings("unchecked")
    private static <T> T plain(JToken t) {
        return (T) switch (t) {
            case JObject o -> {
                Map<String, Object> m = new LinkedHashMap<>();
                o.properties().forEach((k, v) -> m.put(k, plain(v)));
                yield m;
            }
            case JArray a -> {
                List<Object> l = new ArrayList<>();
                a.items().forEach(v -> l.add(plain(v)));
                yield l;
            }
            case JValue v -> v.value();
            default -> null;
        };
    }

    /** Depth and field counts of an operation, following fragment spreads (each fragment computed once). */
    private static final class Shape {
        private final Map<String, FragmentDefinition> fragments;
        private final Map<String, Integer> depths = new HashMap<>();
        private final Map<String, Integer> counts = new HashMap<>();

        Shape(Map<String, FragmentDefinition> fragments) {
            this.fragments = fragments;
        }

        int depth(SelectionSet ss) {
            int max = 0;
            if (ss == null) {
                return 0;
            }
            for (Selection<?> s : ss.getSelections()) {
                int d = switch (s) {
                    case Field f -> 1 + depth(f.getSelectionSet());
                    case InlineFragment i -> depth(i.getSelectionSet());
                    case FragmentSpread sp -> fragmentDepth(sp.getName());
                    default -> 0;
                };
                max = Math.max(max, d);
            }
            return max;
        }

        private int fragmentDepth(String name) {
            Integer known = depths.get(name);
            if (known != null) {
                return known;
            }
            depths.put(name, 0); // a cycle (already refused by validation) cannot recurse forever
            FragmentDefinition f = fragments.get(name);
            int d = f == null ? 0 : depth(f.getSelectionSet());
            depths.put(name, d);
            return d;
        }

        /** Fields across all levels, capped just above {@link #MAX_FIELDS} (fragment spreads count each time). */
        int fields(SelectionSet ss) {
            long n = 0;
            if (ss == null) {
                return 0;
            }
            for (Selection<?> s : ss.getSelections()) {
                n += switch (s) {
                    case Field f -> 1 + fields(f.getSelectionSet());
                    case InlineFragment i -> fields(i.getSelectionSet());
                    case FragmentSpread sp -> fragmentFields(sp.getName());
                    default -> 0;
                };
                if (n > MAX_FIELDS) {
                    return MAX_FIELDS + 1;
                }
            }
            return (int) n;
        }

        private int fragmentFields(String name) {
            Integer known = counts.get(name);
            if (known != null) {
                return known;
            }
            counts.put(name, 0);
            FragmentDefinition f = fragments.get(name);
            int n = f == null ? 0 : fields(f.getSelectionSet());
            counts.put(name, n);
            return n;
        }
    }

    /** Runs the rules over every field an operation selects; records removals and field errors. */
    private final class Authorizer {
        private final Exchange exchange;
        private final GraphQLSchema schema;
        private final Map<String, FragmentDefinition> fragments;
        private final List<JToken> fieldErrors;
        private final String[] actions = new String[rules.size()];
        private final Set<String> walkedFragments = new java.util.HashSet<>();
        final Set<Field> removed = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Map<String, List<String>> implementations = new HashMap<>();

        Authorizer(Exchange exchange, GraphQLSchema schema, Map<String, FragmentDefinition> fragments, List<JToken> fieldErrors) {
            this.exchange = exchange;
            this.schema = schema;
            this.fragments = fragments;
            this.fieldErrors = fieldErrors;
        }

        void walk(SelectionSet ss, GraphQLType parent, boolean root) {
            if (ss == null || !(parent instanceof GraphQLCompositeType composite)) {
                return;
            }
            for (Selection<?> s : ss.getSelections()) {
                switch (s) {
                    case Field f -> field(f, composite, root);
                    case InlineFragment i -> walk(i.getSelectionSet(), i.getTypeCondition() == null ? parent
                            : schema.getType(i.getTypeCondition().getName()), root);
                    case FragmentSpread sp -> {
                        FragmentDefinition def = fragments.get(sp.getName());
                        if (def != null && walkedFragments.add(sp.getName())) {
                            walk(def.getSelectionSet(), schema.getType(def.getTypeCondition().getName()), root);
                        }
                    }
                    default -> {
                    }
                }
            }
        }

        private void field(Field f, GraphQLCompositeType parent, boolean root) {
            String parentName = ((GraphQLNamedType) parent).getName();
            List<String> parentTypes = parentTypes(parent);
            for (int i = 0; i < rules.size(); i++) {
                Rule rule = rules.get(i);
                if (!rule.matches(parentTypes, f.getName(), root)) {
                    continue;
                }
                String action = action(i);
                switch (action) {
                    case "ignore" -> {
                        continue;
                    }
                    case "allow" -> {
                    }
                    case "remove" -> {
                        removed.add(f);
                        fieldErrors.add(error("The field '" + parentName + "." + f.getName() + "' was removed from the request "
                                + "(authorization rule " + rule.path() + ").", f.getSourceLocation(), "FIELD_REMOVED"));
                        return;
                    }
                    case "reject" -> throw new RequestError(400, "GraphQLUnauthorizedField", List.of(error("Access to the field '"
                            + parentName + "." + f.getName() + "' is denied (authorization rule " + rule.path() + ").",
                            f.getSourceLocation(), "UNAUTHORIZED")));
                    default -> throw new RequestError(400, "GraphQLUnauthorizedField", List.of(error("Access to the field '"
                            + parentName + "." + f.getName() + "' is denied: authorization rule " + rule.path()
                            + " gave the action '" + action + "' (expected allow, remove, reject or ignore).",
                            f.getSourceLocation(), "UNAUTHORIZED")));
                }
                break; // allow
            }
            GraphQLFieldDefinition def = parent instanceof GraphQLFieldsContainer fc ? fc.getFieldDefinition(f.getName()) : null;
            GraphQLType child = null;
            if (def != null) {
                child = GraphQLTypeUtil.unwrapAll(def.getType());
            } else if (f.getName().equals("__schema")) {
                child = schema.getType("__Schema");
            } else if (f.getName().equals("__type")) {
                child = schema.getType("__Type");
            }
            walk(f.getSelectionSet(), child, false);
        }

        private List<String> parentTypes(GraphQLCompositeType parent) {
            if (parent instanceof graphql.schema.GraphQLInterfaceType i) {
                return implementations.computeIfAbsent(i.getName(), k -> {
                    List<String> names = new ArrayList<>();
                    names.add(k);
                    schema.getImplementations(i).forEach(o -> names.add(o.getName()));
                    return names;
                });
            }
            return List.of(((GraphQLNamedType) parent).getName());
        }

        /** Rule {@code i}'s action for this request (an expression is evaluated once); unknown text stays as written. */
        private String action(int i) {
            String a = actions[i];
            if (a == null) {
                String v = rules.get(i).action().get(exchange);
                a = v == null ? "reject" : v.strip().toLowerCase(Locale.ROOT);
                if (a.equals("deny")) {
                    a = "reject";
                }
                actions[i] = a;
            }
            return a;
        }
    }

    // ---- removing fields ----

    /** Sends the backend the operation without the removed fields (and what only they used). */
    private static void rewrite(PolicyContext c, GraphqlRequest req, Document doc, OperationDefinition op,
                                Map<String, FragmentDefinition> fragments, Set<Field> removed) {
        Set<String> emptied = new LinkedHashSet<>();
        boolean changed = true;
        while (changed) {
            changed = false;
            for (FragmentDefinition f : fragments.values()) {
                if (!emptied.contains(f.getName()) && prune(f.getSelectionSet(), removed, emptied) == null) {
                    emptied.add(f.getName());
                    changed = true;
                }
            }
        }
        SelectionSet opSelection = prune(op.getSelectionSet(), removed, emptied);
        if (opSelection == null) {
            throw new RequestError(400, "GraphQLUnauthorizedField", "Every field the operation selects was removed by the authorization rules.");
        }
        // the fragments the pruned operation still uses, transitively
        Set<String> used = new LinkedHashSet<>();
        List<Node<?>> pending = new ArrayList<>(List.of(opSelection));
        Map<String, FragmentDefinition> kept = new LinkedHashMap<>();
        while (!pending.isEmpty()) {
            Node<?> n = pending.remove(pending.size() - 1);
            Set<String> spreads = new LinkedHashSet<>();
            collect(n, spreads, null);
            for (String s : spreads) {
                if (used.add(s)) {
                    FragmentDefinition f = fragments.get(s);
                    SelectionSet pruned = prune(f.getSelectionSet(), removed, emptied);
                    FragmentDefinition nf = f.transform(b -> b.selectionSet(pruned));
                    kept.put(s, nf);
                    pending.add(nf);
                }
            }
        }
        Set<String> variablesUsed = new LinkedHashSet<>();
        collect(opSelection, null, variablesUsed);
        op.getDirectives().forEach(d -> collect(d, null, variablesUsed));
        kept.values().forEach(f -> collect(f, null, variablesUsed));
        List<VariableDefinition> keptVariables = op.getVariableDefinitions().stream()
                .filter(v -> variablesUsed.contains(v.getName())).toList();
        OperationDefinition newOp = op.transform(b -> b.selectionSet(opSelection).variableDefinitions(keptVariables));
        List<Definition> defs = new ArrayList<>();
        defs.add(newOp);
        defs.addAll(kept.values());
        String query = AstPrinter.printAst(doc.transform(b -> b.definitions(defs)));

        JObject variables = req.variables() == null ? null : (JObject) req.variables().deepClone();
        if (variables != null) {
            for (String name : List.copyOf(variables.properties().keySet())) {
                if (!variablesUsed.contains(name)) {
                    variables.remove(name);
                }
            }
        }
        if (req.get()) {
            c.request().url().query().put("query", new ArrayList<>(List.of(query)));
            if (variables != null) {
                c.request().url().query().put("variables", new ArrayList<>(List.of(variables.toString(false))));
            }
        } else if (req.jsonBody() != null) {
            JObject body = (JObject) req.jsonBody().deepClone();
            body.set("query", JToken.from(query));
            if (variables != null) {
                body.set("variables", variables);
            }
            Bodies.replace(c, Message.REQUEST, body.toString(false).getBytes(StandardCharsets.UTF_8), req.contentType());
        } else {
            Bodies.replace(c, Message.REQUEST, query.getBytes(StandardCharsets.UTF_8), req.contentType());
        }
    }

    /** The selection set without removed fields, spreads of emptied fragments and emptied sub-selections; null if nothing is left. */
    private static SelectionSet prune(SelectionSet ss, Set<Field> removed, Set<String> emptied) {
        List<Selection> out = new ArrayList<>();
        for (Selection<?> s : ss.getSelections()) {
            switch (s) {
                case Field f -> {
                    if (removed.contains(f)) {
                        continue;
                    }
                    if (f.getSelectionSet() == null) {
                        out.add(f);
                    } else {
                        SelectionSet inner = prune(f.getSelectionSet(), removed, emptied);
                        if (inner != null) {
                            out.add(f.transform(b -> b.selectionSet(inner)));
                        }
                    }
                }
                case InlineFragment i -> {
                    SelectionSet inner = prune(i.getSelectionSet(), removed, emptied);
                    if (inner != null) {
                        out.add(i.transform(b -> b.selectionSet(inner)));
                    }
                }
                case FragmentSpread sp -> {
                    if (!emptied.contains(sp.getName())) {
                        out.add(sp);
                    }
                }
                default -> out.add(s);
            }
        }
        return out.isEmpty() ? null : ss.transform(b -> b.selections(out));
    }

    /** Collects the fragment spreads and variable references under {@code n} (either set may be null). */
    private static void collect(Node<?> n, Set<String> spreads, Set<String> variables) {
        if (n instanceof FragmentSpread sp && spreads != null) {
            spreads.add(sp.getName());
        } else if (n instanceof VariableReference v && variables != null) {
            variables.add(v.getName());
        }
        if (n instanceof FragmentSpread && spreads != null && variables == null) {
            return;
        }
        for (Node<?> child : n.getChildren()) {
            collect(child, spreads, variables);
        }
    }

    // ---- errors ----

    private static JToken error(String message, SourceLocation at, String code) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        if (at != null && at.getLine() > 0) {
            Map<String, Object> location = new LinkedHashMap<>();
            location.put("line", at.getLine());
            location.put("column", at.getColumn());
            e.put("locations", List.of(location));
        }
        if (code != null) {
            e.put("extensions", Map.of("code", code));
        }
        return JToken.from(e);
    }

    private static String messageOf(JToken error) {
        JToken m = error.get("message");
        return m instanceof JValue v ? String.valueOf(v.value()) : "GraphQL request error";
    }

    /** Puts the errors in GraphQLErrors and in error-variable-name's variable, as a JSON array. */
    private void record(Exchange exchange, List<JToken> errors) {
        String json = JToken.from(errors).toString(false);
        exchange.context().variables().set(ERRORS_VARIABLE, json);
        if (errorVariable != null) {
            String name = errorVariable.get(exchange);
            if (name != null && !name.isBlank()) {
                exchange.context().variables().set(name.strip(), json);
            }
        }
    }
}
