package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <return-response [response-variable-name="v"]>} with nested set-status, set-header and
 * set-body: ends the pipeline and answers with that response. The response starts empty (200), or
 * as a copy of the {@code Response} held in variable {@code v}; the nested policies then change it.
 */
public final class ReturnResponse implements Policy {
    public static final PolicyType TYPE = new PolicyType("return-response", PolicyType.ALL, ReturnResponse::compile);

    private final String variable;
    private final Policy[] steps;

    private ReturnResponse(String variable, List<Policy> steps) {
        this.variable = variable;
        this.steps = steps.toArray(new Policy[0]);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "response-variable-name");
        ctx.onlyChildren(e, "set-status", "set-header", "set-body");
        String variable = a.text("response-variable-name", null);
        List<Policy> steps = new ArrayList<>();
        boolean ok = true;
        for (XmlElement c : e.elements()) {
            Policy p = switch (c.name()) {
                case "set-status" -> SetStatus.TYPE.compiler().compile(c, ctx);
                case "set-header" -> SetHeader.compile(c, ctx, Message.RESPONSE);
                case "set-body" -> SetBody.compile(c, ctx, Message.RESPONSE);
                default -> null;
            };
            if (p == null) {
                ok = false;
            } else {
                steps.add(p);
            }
        }
        return ok ? new ReturnResponse(variable, steps) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Response r = exchange.context().response();
        Headers h = r.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        r.statusCode(200).statusReason("OK").body(null);
        if (variable != null) {
            Object v = exchange.context().variables().get(variable);
            if (!(v instanceof Response src)) {
                throw new GatewayException(500, "return-response", "ResponseVariableNotFound",
                        "variable '" + variable + "' does not hold a response (found "
                                + (v == null ? "nothing" : v.getClass().getSimpleName()) + ")");
            }
            r.statusCode(src.statusCode()).statusReason(src.statusReason()).body(src.body());
            for (Map.Entry<String, List<String>> e : src.headers().entries()) {
                h.set(e.getKey(), e.getValue().toArray(String[]::new));
            }
        }
        for (Policy p : steps) {
            p.apply(exchange);
        }
        exchange.markResponded();
        return DONE;
    }
}
