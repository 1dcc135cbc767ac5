package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.HeaderDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.api.ResponseDefinition;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * APIM's {@code validate-headers} (https://learn.microsoft.com/azure/api-management/validate-headers-policy):
 * the response's headers against the headers the operation declares for the response's status (exact,
 * {@code 4XX} range or {@code default}): a declared header must hold one value (unless its schema is an
 * array) that conforms to its schema, a required one must be there, and a header the definition does not
 * declare is "unspecified". {@code specified-header-action} and {@code unspecified-header-action} (or a
 * {@code <header name= action=>} override) say what happens: ignore, detect (logged in
 * {@code errors-variable-name}) or prevent (502 with APIM's internal-error message, context.LastError
 * reason "Response not allowed").
 *
 * <p>Schemas are compiled at load. Not counted as unspecified: {@code Content-Type} (OpenAPI describes it
 * with the response's content, and ignores a header definition of it), the framing {@code Content-Length}
 * and the hop-by-hop headers of the connection ({@code Connection}, {@code Keep-Alive}, {@code Transfer-Encoding}, ...). A response whose
 * status the operation does not declare is left to {@code validate-status-code}.
 */
public final class ValidateHeaders implements Policy {
    static final String NAME = "validate-headers";
    public static final PolicyType TYPE = new PolicyType(NAME, EnumSet.of(Section.OUTBOUND, Section.ON_ERROR), ValidateHeaders::compile);

    static final Set<String> NOT_UNSPECIFIED = Set.of("content-type", "content-length", "connection", "keep-alive", "transfer-encoding",
            "te", "trailer", "upgrade", "proxy-connection");

    private final Value<String> specified;
    private final Value<String> unspecified;
    private final Map<String, Value<String>> overrides; // lower-case name
    private final String errorsVariable;
    private final Map<String, ApiDefinition> definitions;
    /** api id → operation id → status key → lower-case header name → check. */
    private final Map<String, Map<String, Map<String, Map<String, ParameterCheck>>>> checks;

    private ValidateHeaders(Value<String> specified, Value<String> unspecified, Map<String, Value<String>> overrides, String errorsVariable,
                            Map<String, ApiDefinition> definitions, Map<String, Map<String, Map<String, Map<String, ParameterCheck>>>> checks) {
        this.specified = specified;
        this.unspecified = unspecified;
        this.overrides = Map.copyOf(overrides);
        this.errorsVariable = errorsVariable;
        this.definitions = Map.copyOf(definitions);
        this.checks = checks;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "specified-header-action", "unspecified-header-action", "errors-variable-name");
        Value<String> specified = ApiValidation.action(a, "specified-header-action", true, true, ctx);
        Value<String> unspecified = ApiValidation.action(a, "unspecified-header-action", true, true, ctx);
        boolean ok = specified != null && unspecified != null;
        ok &= ApiValidation.onceInSection(e, ctx);
        String variable = ApiValidation.errorsVariable(a);
        Map<String, Value<String>> overrides = ApiValidation.namedOverrides(e, "header", true, ctx);
        ok &= overrides != null;
        Map<String, ApiDefinition> defs = ApiValidation.definitions(e, ctx);
        if (defs == null) {
            return null;
        }
        Map<String, Map<String, Map<String, Map<String, ParameterCheck>>>> checks = new HashMap<>();
        for (ApiDefinition def : defs.values()) {
            Map<String, Map<String, Map<String, ParameterCheck>>> byOp = new HashMap<>();
            for (OperationDefinition op : def.operations()) {
                Map<String, Map<String, ParameterCheck>> byStatus = new HashMap<>();
                for (ResponseDefinition r : op.responses().values()) {
                    Map<String, ParameterCheck> byName = new LinkedHashMap<>();
                    for (HeaderDefinition hd : r.headers().values()) {
                        try {
                            byName.put(hd.name().toLowerCase(Locale.ROOT), ParameterCheck.of(def, op.id(), hd.name(),
                                    ParameterCheck.Kind.RESPONSE_HEADER, hd.required(), hd.schema(), "simple", false));
                        } catch (IllegalArgumentException ex) {
                            ctx.error(e.position(), "<" + NAME + ">: " + ex.getMessage());
                            ok = false;
                        }
                    }
                    byStatus.put(r.status(), byName);
                }
                byOp.put(op.id(), byStatus);
            }
            checks.put(def.apiId(), byOp);
        }
        return ok ? new ValidateHeaders(specified, unspecified, overrides, variable, defs, checks) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        OperationDefinition op = ApiValidation.operation(definitions, c);
        if (op == null) {
            return DONE;
        }
        String status = ApiValidation.statusKey(op.responses().keySet(), c.response().statusCode());
        if (status == null) {
            return DONE;
        }
        Map<String, ParameterCheck> declared = checks.get(c.api().id()).get(op.id()).get(status);
        List<ApiValidation.Error> errors = new ArrayList<>();
        boolean stop = false;
        for (Map.Entry<String, ParameterCheck> d : declared.entrySet()) {
            if (d.getKey().equals("content-type")) {
                continue;
            }
            ApiValidation.Action action = ApiValidation.action(overrides.getOrDefault(d.getKey(), specified), exchange, NAME);
            if (action == ApiValidation.Action.IGNORE) {
                continue;
            }
            String[] values = c.response().headers().values(d.getValue().name);
            if (d.getValue().check(values == null ? List.of() : List.of(values), action, errors)) {
                stop = true;
                break;
            }
        }
        if (!stop) {
            for (Map.Entry<String, List<String>> h : c.response().headers().entries()) {
                String lower = h.getKey().toLowerCase(Locale.ROOT);
                if (declared.containsKey(lower) || NOT_UNSPECIFIED.contains(lower)) {
                    continue;
                }
                ApiValidation.Action action = ApiValidation.action(overrides.getOrDefault(lower, unspecified), exchange, NAME);
                if (ApiValidation.add(errors, new ApiValidation.Error(h.getKey(), "ResponseHeader", "Unspecified",
                        "Unspecified header " + h.getKey() + " is not allowed.", ApiValidation.INTERNAL, action))) {
                    break;
                }
            }
        }
        ApiValidation.finish(exchange, NAME, errorsVariable, errors);
        return DONE;
    }
}
