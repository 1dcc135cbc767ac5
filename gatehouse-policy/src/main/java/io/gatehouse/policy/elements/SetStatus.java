package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.concurrent.CompletionStage;

/** {@code <set-status code="403" reason="Forbidden"/>}: sets the response status (constants or expressions). */
public final class SetStatus implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-status", PolicyType.ALL, SetStatus::compile);

    private final Value<Integer> code;
    private final Value<String> reason;

    private SetStatus(Value<Integer> code, Value<String> reason) {
        this.code = code;
        this.reason = reason;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "code", "reason");
        ctx.noContent(e);
        if (!a.has("code")) {
            a.missing("code");
            return null;
        }
        Value<Integer> code = a.integerValue("code", 100, 599);
        Value<String> reason = a.has("reason") ? a.string("reason") : Value.constant(null);
        return code == null || reason == null ? null : new SetStatus(code, reason);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Integer c = code.get(exchange);
        if (c == null || c < 100 || c > 599) {
            throw new GatewayException(500, "set-status", GatewayException.EXPRESSION_FAILURE,
                    "set-status: code " + c + " (expected: 100-599)");
        }
        String r = reason.get(exchange);
        exchange.context().response().statusCode(c).statusReason(r == null ? "" : r);
        return DONE;
    }
}
