package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ParameterDefinition;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

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
 * APIM's {@code validate-parameters} (https://learn.microsoft.com/azure/api-management/validate-parameters-policy):
 * the request's path, query and header parameters against the parameters the operation declares.
 * A declared parameter's values are read as its schema's type (integers, numbers, booleans, arrays and
 * objects by OpenAPI's {@code style}/{@code explode}) and validated against its schema, compiled at load;
 * a required one must be there; one that is not an array may not be repeated. Query parameters and
 * headers the operation does not declare are "unspecified". The actions ({@code specified-parameter-action},
 * {@code unspecified-parameter-action}, overridden per location by {@code <headers>}, {@code <query>},
 * {@code <path>} and per name by {@code <parameter name= action=>}) say what happens: ignore, detect
 * (logged in {@code errors-variable-name}) or prevent (400 with APIM's message; context.LastError reason
 * "Bad request").
 *
 * <p>Cookie parameters are not checked. The framing {@code Content-Length} and the hop-by-hop headers of the
 * connection ({@code Connection}, {@code Keep-Alive}, {@code TE}, {@code Transfer-Encoding}, {@code Upgrade}) do
 * not count as unspecified.
 */
public final class ValidateParameters implements Policy {
    static final String NAME = "validate-parameters";
    public static final PolicyType TYPE = new PolicyType(NAME, EnumSet.of(Section.INBOUND), ValidateParameters::compile);

    private static final Set<String> NOT_UNSPECIFIED = Set.of("content-length", "connection", "keep-alive", "te", "transfer-encoding", "upgrade",
            "trailer", "proxy-connection");

    /** One of {@code <headers>}, {@code <query>}, {@code <path>}: location-wide actions and per-name overrides. */
    private record Location(Value<String> specified, Value<String> unspecified, Map<String, Value<String>> overrides) {
        static final Location NONE = new Location(null, null, Map.of());
    }

    private final Value<String> specified;
    private final Value<String> unspecified;
    private final Location headers;
    private final Location query;
    private final Location path;
    private final String errorsVariable;
    private final Map<String, ApiDefinition> definitions;
    /** api id → operation id → declared parameters. */
    private final Map<String, Map<String, Declared>> checks;

    private ValidateParameters(Value<String> specified, Value<String> unspecified, Location headers, Location query, Location path,
                               String errorsVariable, Map<String, ApiDefinition> definitions, Map<String, Map<String, Declared>> checks) {
        this.specified = specified;
        this.unspecified = unspecified;
        this.headers = headers;
        this.query = query;
        this.path = path;
        this.errorsVariable = errorsVariable;
        this.definitions = Map.copyOf(definitions);
        this.checks = checks;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "specified-parameter-action", "unspecified-parameter-action", "errors-variable-name");
        Value<String> specified = ApiValidation.action(a, "specified-parameter-action", true, true, ctx);
        Value<String> unspecified = ApiValidation.action(a, "unspecified-parameter-action", true, true, ctx);
        boolean ok = specified != null && unspecified != null;
        ok &= ApiValidation.onceInSection(e, ctx);
        String variable = ApiValidation.errorsVariable(a);
        ctx.onlyChildren(e, "headers", "query", "path");
        Map<String, Location> locations = new HashMap<>();
        for (XmlElement child : e.elements()) {
            if (!Set.of("headers", "query", "path").contains(child.name())) {
                continue;
            }
            if (locations.containsKey(child.name())) {
                ctx.error(child.position(), "<" + child.name() + "> appears more than once in <" + NAME + ">");
                ok = false;
                continue;
            }
            Location loc = location(child, ctx);
            if (loc == null) {
                ok = false;
            } else {
                locations.put(child.name(), loc);
            }
        }
        Map<String, ApiDefinition> defs = ApiValidation.definitions(e, ctx);
        if (defs == null) {
            return null;
        }
        Map<String, Map<String, Declared>> checks = new HashMap<>();
        for (ApiDefinition def : defs.values()) {
            Map<String, Declared> byOp = new HashMap<>();
            for (OperationDefinition op : def.operations()) {
                List<ParameterCheck> list = new ArrayList<>();
                for (ParameterDefinition p : op.parameters()) {
                    ParameterCheck.Kind kind = ParameterCheck.Kind.of(p.in());
                    if (kind == null) {
                        continue; // cookies: not checked
                    }
                    try {
                        list.add(ParameterCheck.of(def, op.id(), p.name(), kind, p.required() || kind == ParameterCheck.Kind.PATH,
                                p.schema(), p.style(), p.explode()));
                    } catch (IllegalArgumentException ex) {
                        ctx.error(e.position(), "<" + NAME + ">: " + ex.getMessage());
                        ok = false;
                    }
                }
                byOp.put(op.id(), Declared.of(list));
            }
            checks.put(def.apiId(), byOp);
        }
        return ok ? new ValidateParameters(specified, unspecified, locations.getOrDefault("headers", Location.NONE),
                locations.getOrDefault("query", Location.NONE), locations.getOrDefault("path", Location.NONE), variable, defs, checks) : null;
    }

    private static Location location(XmlElement child, CompileContext ctx) {
        boolean isPath = child.name().equals("path");
        Attributes a = isPath ? ctx.attributes(child, "specified-parameter-action")
                : ctx.attributes(child, "specified-parameter-action", "unspecified-parameter-action");
        boolean ok = true;
        Value<String> specified = ApiValidation.action(a, "specified-parameter-action", false, true, ctx);
        ok &= !a.has("specified-parameter-action") || specified != null;
        Value<String> unspecified = null;
        if (!isPath) {
            unspecified = ApiValidation.action(a, "unspecified-parameter-action", false, true, ctx);
            ok &= !a.has("unspecified-parameter-action") || unspecified != null;
        }
        Map<String, Value<String>> overrides = ApiValidation.namedOverrides(child, "parameter", child.name().equals("headers"), ctx);
        ok &= overrides != null;
        return ok ? new Location(specified, unspecified, Map.copyOf(overrides)) : null;
    }

    private Location location(ParameterCheck.Kind kind) {
        return switch (kind) {
            case QUERY -> query;
            case PATH -> path;
            default -> headers;
        };
    }

    /** An operation's declared parameters, and the names of its query parameters and (lower case) headers: made at load. */
    private record Declared(List<ParameterCheck> checks, Set<String> query, Set<String> headers) {
        static Declared of(List<ParameterCheck> checks) {
            Set<String> query = new HashSet<>();
            Set<String> headers = new HashSet<>();
            for (ParameterCheck p : checks) {
                if (p.kind == ParameterCheck.Kind.QUERY) {
                    query.add(p.key);
                } else if (p.kind == ParameterCheck.Kind.REQUEST_HEADER) {
                    headers.add(p.key);
                }
            }
            return new Declared(List.copyOf(checks), Set.copyOf(query), Set.copyOf(headers));
        }
    }

    /** The action for a parameter of {@code kind} named {@code key}: its override, else its location's, else the policy's. */
    private ApiValidation.Action action(ParameterCheck.Kind kind, String key, boolean declared, Exchange exchange) {
        Location loc = location(kind);
        Value<String> v = loc.overrides().get(key);
        if (v == null) {
            Value<String> forLocation = declared ? loc.specified() : loc.unspecified();
            v = forLocation != null ? forLocation : declared ? specified : unspecified;
        }
        return ApiValidation.action(v, exchange, NAME);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        OperationDefinition op = ApiValidation.operation(definitions, c);
        if (op == null) {
            return DONE;
        }
        Declared declared = checks.get(c.api().id()).get(op.id());
        List<ApiValidation.Error> errors = new ArrayList<>();
        for (ParameterCheck p : declared.checks()) {
            ApiValidation.Action action = action(p.kind, p.key, true, exchange);
            if (action == ApiValidation.Action.IGNORE) {
                continue;
            }
            List<String> values = switch (p.kind) {
                case QUERY -> c.request().url().query().get(p.name);
                case PATH -> {
                    String v = c.request().matchedParameters().get(p.name);
                    yield v == null ? null : List.of(v);
                }
                default -> {
                    String[] v = c.request().headers().values(p.name);
                    yield v == null ? null : List.of(v);
                }
            };
            if (p.check(values, action, errors)) {
                ApiValidation.finish(exchange, NAME, errorsVariable, errors);
                return DONE;
            }
        }
        for (String q : c.request().url().query().keySet()) {
            if (!declared.query().contains(q) && unspecified(ParameterCheck.Kind.QUERY, q, q, exchange, errors)) {
                ApiValidation.finish(exchange, NAME, errorsVariable, errors);
                return DONE;
            }
        }
        for (String h : c.request().headers().keys()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (!declared.headers().contains(lower) && !NOT_UNSPECIFIED.contains(lower)
                    && unspecified(ParameterCheck.Kind.REQUEST_HEADER, h, lower, exchange, errors)) {
                break;
            }
        }
        ApiValidation.finish(exchange, NAME, errorsVariable, errors);
        return DONE;
    }

    private boolean unspecified(ParameterCheck.Kind kind, String name, String key, Exchange exchange, List<ApiValidation.Error> errors) {
        ApiValidation.Action action = action(kind, key, false, exchange);
        if (action == ApiValidation.Action.IGNORE) {
            return false;
        }
        String d = "Unspecified " + kind.label + " " + name + " is not allowed.";
        return ApiValidation.add(errors, new ApiValidation.Error(name, kind.type, "Unspecified", d, d, action));
    }
}
