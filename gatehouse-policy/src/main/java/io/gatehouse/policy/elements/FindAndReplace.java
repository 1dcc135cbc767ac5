package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.Charset;
import java.util.concurrent.CompletionStage;

/**
 * {@code <find-and-replace from="http://internal" to="https://api.contoso.com"/>}: replaces every
 * occurrence of a literal string in the request body (inbound, backend) or the response body
 * (outbound, on-error), keeping the body's charset and content type. Both attributes may be
 * expressions; an empty {@code from} changes nothing.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/find-and-replace-policy">APIM find-and-replace</a>
 */
public final class FindAndReplace implements Policy {
    public static final PolicyType TYPE = new PolicyType("find-and-replace", PolicyType.ALL, FindAndReplace::compile);

    private final Value<String> from;
    private final Value<String> to;
    private final Message target;

    private FindAndReplace(Value<String> from, Value<String> to, Message target) {
        this.from = from;
        this.to = to;
        this.target = target;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "from", "to");
        ctx.noContent(e);
        Value<String> from = a.requiredString("from");
        Value<String> to = a.requiredString("to");
        if (from != null && from.isConstant() && from.constant() != null && from.constant().isEmpty()) {
            ctx.error(a.position("from"), "attribute 'from' on <find-and-replace> is empty (expected the text to find)");
            return null;
        }
        Message target = Message.of(ctx.section());
        ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        return from == null || to == null ? null : new FindAndReplace(from, to, target);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        MessageBody body = target.body(exchange.context());
        String f = from.get(exchange);
        if (body == null || f == null || f.isEmpty()) {
            return DONE;
        }
        String t = to.get(exchange);
        Charset cs = Bodies.charset(body.contentType());
        String text = new String(body.bytes(), cs);
        if (!text.contains(f)) {
            return DONE;
        }
        String replaced = text.replace(f, t == null ? "" : t);
        target.body(exchange.context(), new MessageBody(replaced.getBytes(cs), body.contentType()));
        return DONE;
    }
}
