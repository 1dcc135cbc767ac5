package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-method>PUT</set-method>}: changes {@code context.Request.Method}, the method
 * {@code forward-request} uses. The text may be a policy expression.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-method-policy">APIM set-method</a>
 */
public final class SetMethod implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-method", EnumSet.of(Section.INBOUND, Section.ON_ERROR),
            SetMethod::compile);

    private final Value<String> method;

    private SetMethod(Value<String> method) {
        this.method = method;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        ctx.noElements(e);
        SourceValue text = e.textValue();
        if (text == null || text.text().isBlank()) {
            ctx.error(e.position(), "<set-method> needs the method as its text, e.g. <set-method>POST</set-method>");
            return null;
        }
        SourceValue stripped = text.strip();
        Value<String> v = ctx.value(text, String.class, "set-method", t -> {
            if (!isToken(t.strip())) {
                ctx.error(stripped.start(), "<set-method>: '" + t.strip() + "' is not an HTTP method (expected a token such as GET, POST, PUT, DELETE)");
                return null;
            }
            return t.strip();
        });
        return v == null ? null : new SetMethod(v);
    }

    /** RFC 9110 token characters. */
    static boolean isToken(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        exchange.context().request().method(method(exchange));
        return DONE;
    }

    /**
     * The method this element sets, evaluated against {@code exchange}'s context, for a request
     * other than the context's (the one {@code send-request} builds); fails as {@link #apply} does.
     */
    public String method(Exchange exchange) {
        String m = method.get(exchange);
        String s = m == null ? null : m.strip();
        if (!isToken(s)) {
            throw new GatewayException(500, "set-method", GatewayException.EXPRESSION_FAILURE,
                    "set-method: the expression returned " + (m == null ? "null" : "'" + m + "'") + " (expected an HTTP method)");
        }
        return s;
    }
}
