package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-body>text or @(expression)</set-body>}: replaces the request body (inbound,
 * backend) or the response body (outbound, on-error, return-response). An expression's result is
 * written as text, or as bytes when it returns {@code byte[]}; the content type stays.
 */
public final class SetBody implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-body", PolicyType.ALL, (e, ctx) -> compile(e, ctx, null));

    private final Value<Object> content;
    private final Message target;

    private SetBody(Value<Object> content, Message target) {
        this.content = content;
        this.target = target;
    }

    static SetBody compile(XmlElement e, CompileContext ctx, Message forced) {
        Attributes a = ctx.attributes(e, "template", "xsi-nil", "parse-date");
        ctx.noElements(e);
        String template = a.choice("template", "none", "none", "liquid");
        if (template.equals("liquid")) {
            ctx.error(a.position("template"), "set-body template=\"liquid\" is not supported yet");
            return null;
        }
        String nil = a.choice("xsi-nil", "blank", "blank", "null");
        a.bool("parse-date", true);
        SourceValue text = e.textValue();
        if (text == null) {
            text = SourceValue.synthetic("", e.position());
        }
        Value<Object> v;
        if (CompileContext.isExpression(ctx.substitute(text).text())) {
            v = ctx.value(text, Object.class, "set-body", t -> t);
        } else {
            v = Value.constant(ctx.substitute(text).text());
        }
        if (v == null) {
            return null;
        }
        if (nil.equals("null") && v.isConstant() && ((String) v.constant()).isEmpty()) {
            v = Value.constant(null);
        }
        return new SetBody(v, forced != null ? forced : Message.of(ctx.section()));
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Object o = content.get(exchange);
        MessageBody old = target.body(exchange.context());
        String contentType = old == null ? null : old.contentType();
        byte[] bytes;
        if (o == null) {
            bytes = new byte[0];
        } else if (o instanceof byte[] b) {
            bytes = b.clone();
        } else {
            bytes = io.gatehouse.expr.lib.Dotnet.toStr(o).getBytes(StandardCharsets.UTF_8);
        }
        target.body(exchange.context(), new MessageBody(bytes, contentType));
        return DONE;
    }
}
