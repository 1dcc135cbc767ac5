package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.api.ApiDefinition;
import io.gatehouse.policy.api.OperationDefinition;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * APIM's {@code validate-status-code} (https://learn.microsoft.com/azure/api-management/validate-status-code-policy):
 * the response's status code must be one the operation declares in the API's definition, exactly,
 * by range ({@code 4XX}) or through {@code default}; otherwise {@code unspecified-status-code-action}
 * (or a {@code <status-code code= action=>} override for that code) says what happens: ignore,
 * detect (the error goes to {@code errors-variable-name}) or prevent (a 502 with APIM's internal-error
 * message; context.LastError reason "Response not allowed").
 *
 * <p>Requests to an operation the definition does not declare (a hand-written one), or to an API
 * without a definition when the policy is at global or product scope, are not checked.
 */
public final class ValidateStatusCode implements Policy {
    static final String NAME = "validate-status-code";
    public static final PolicyType TYPE = new PolicyType(NAME, EnumSet.of(Section.OUTBOUND, Section.ON_ERROR), ValidateStatusCode::compile);

    private final Value<String> unspecified;
    private final Map<Integer, Value<String>> overrides;
    private final String errorsVariable;
    private final Map<String, ApiDefinition> definitions;

    private ValidateStatusCode(Value<String> unspecified, Map<Integer, Value<String>> overrides, String errorsVariable,
                               Map<String, ApiDefinition> definitions) {
        this.unspecified = unspecified;
        this.overrides = Map.copyOf(overrides);
        this.errorsVariable = errorsVariable;
        this.definitions = Map.copyOf(definitions);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "unspecified-status-code-action", "errors-variable-name");
        Value<String> unspecified = ApiValidation.action(a, "unspecified-status-code-action", true, true, ctx);
        boolean ok = unspecified != null;
        String variable = ApiValidation.errorsVariable(a);
        ctx.onlyChildren(e, "status-code");
        Map<Integer, Value<String>> overrides = new HashMap<>();
        for (XmlElement sc : e.elements()) {
            if (!sc.name().equals("status-code")) {
                continue;
            }
            Attributes sa = ctx.attributes(sc, "code", "action");
            ctx.noContent(sc);
            int code = -1;
            if (!sa.has("code")) {
                sa.missing("code");
            } else {
                code = sa.integer("code", -1, 100, 599);
            }
            Value<String> action = ApiValidation.action(sa, "action", true, true, ctx);
            if (code < 0 || action == null) {
                ok = false;
                continue;
            }
            if (overrides.put(code, action) != null) {
                ctx.error(sa.position("code"), "<status-code code=\"" + code + "\"> appears more than once in <" + NAME + ">");
                ok = false;
            }
        }
        Map<String, ApiDefinition> defs = ApiValidation.definitions(e, ctx);
        return ok && defs != null ? new ValidateStatusCode(unspecified, overrides, variable, defs) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        OperationDefinition op = ApiValidation.operation(definitions, c);
        if (op == null) {
            return DONE;
        }
        int status = c.response().statusCode();
        if (ApiValidation.statusKey(op.responses().keySet(), status) != null) {
            return DONE;
        }
        Value<String> v = overrides.getOrDefault(status, unspecified);
        ApiValidation.Action action = ApiValidation.action(v, exchange, NAME);
        List<ApiValidation.Error> errors = new ArrayList<>();
        ApiValidation.add(errors, new ApiValidation.Error(Integer.toString(status), "StatusCode", "Unspecified",
                "Response status code " + status + " is not allowed.", ApiValidation.INTERNAL, action));
        ApiValidation.finish(exchange, NAME, errorsVariable, errors);
        return DONE;
    }
}
