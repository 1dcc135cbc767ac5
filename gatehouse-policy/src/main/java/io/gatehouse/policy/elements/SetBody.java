package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.elements.liquid.LiquidBindings;
import io.gatehouse.policy.elements.liquid.LiquidException;
import io.gatehouse.policy.elements.liquid.LiquidSource;
import io.gatehouse.policy.elements.liquid.LiquidTemplate;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlText;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-body>text or @(expression)</set-body>}: replaces the request body (inbound,
 * backend) or the response body (outbound, on-error, return-response). An expression's result is
 * written as text, or as bytes when it returns {@code byte[]}; the content type stays.
 *
 * <p>With {@code template="liquid"} the content is a Liquid template ({@link LiquidTemplate})
 * compiled at load, reading {@code body} (the current message body, bound as JSON or XML by its
 * Content-Type, otherwise as text) and {@code context}. The content may be written as XML
 * elements (a SOAP envelope, say): it is used as the markup it is, with {@code {{ }}} and
 * {@code {% %}} inside text and attribute values. {@code xsi-nil} says whether an XML element
 * marked {@code xsi:nil="true"} reads as "" ({@code blank}) or nil ({@code null});
 * {@code parse-date} (default true) reads JSON date-time strings as dates, which print as
 * {@code MM/dd/yyyy HH:mm:ss} as on APIM ({@code false} keeps them as written). Inside
 * {@code return-response} the template's body is empty, as on APIM. A template that fails while
 * rendering (a filter on a value it cannot take, a limit) fails the request with 500,
 * {@code ExpressionValueEvaluationFailure}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-body-policy">APIM set-body</a>
 */
public final class SetBody implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-body", PolicyType.ALL, (e, ctx) -> compile(e, ctx, null));

    private final Value<Object> content;
    private final LiquidTemplate template;
    private final boolean bindsBody;
    private final boolean nilAsNull;
    private final boolean parseDates;
    private final Message target;

    private SetBody(Value<Object> content, LiquidTemplate template, boolean bindsBody, boolean nilAsNull, boolean parseDates,
                    Message target) {
        this.content = content;
        this.template = template;
        this.bindsBody = bindsBody;
        this.nilAsNull = nilAsNull;
        this.parseDates = parseDates;
        this.target = target;
    }

    /**
     * Compiles a {@code <set-body>} for a request other than the context's (the one
     * {@code send-request} builds): the same attributes, templates and checks as everywhere; a
     * Liquid template's {@code body} is that request's body. Apply it with {@link #bodyFor}.
     */
    public static SetBody compileDetached(XmlElement e, CompileContext ctx) {
        return compile(e, ctx, Message.REQUEST, true);
    }

    static SetBody compile(XmlElement e, CompileContext ctx, Message forced) {
        return compile(e, ctx, forced, false);
    }

    private static SetBody compile(XmlElement e, CompileContext ctx, Message forced, boolean detached) {
        Attributes a = ctx.attributes(e, "template", "xsi-nil", "parse-date");
        String template = a.choice("template", "none", "none", "liquid");
        String nil = a.choice("xsi-nil", "blank", "blank", "null");
        boolean parseDates = a.bool("parse-date", true);
        Message target = forced != null ? forced : Message.of(ctx.section());
        if (template.equals("liquid")) {
            return liquid(e, ctx, target, forced == null || detached, nil.equals("null"), parseDates, detached);
        }
        return plain(e, ctx, target, nil.equals("null"));
    }

    private static SetBody plain(XmlElement e, CompileContext ctx, Message target, boolean emptyAsNull) {
        ctx.noElements(e);
        SourceValue text = e.textValue();
        if (text == null) {
            text = SourceValue.synthetic("", e.position());
        }
        Value<Object> v;
        if (CompileContext.isExpression(text.text())) {
            v = ctx.value(text, Object.class, e.name(), t -> t);
        } else {
            String literal = ctx.literal(text);
            v = Value.constant(literal == null ? text.text() : literal); // unknown names reported, kept as written
        }
        if (v == null) {
            return null;
        }
        if (emptyAsNull && v.isConstant() && v.constant() instanceof String str && str.isEmpty()) {
            v = Value.constant(null);
        }
        return new SetBody(v, null, false, false, false, target);
    }

    /**
     * Compiles the content of {@code e}, an element other than {@code <set-body>} whose attributes
     * the caller has checked ({@code publish-to-dapr}, {@code invoke-dapr-binding}'s
     * {@code <data>}), as set-body compiles its own: text, a policy expression, or with
     * {@code liquid} a Liquid template whose {@code body} is the message of {@code message}
     * ({@code REQUEST} in inbound and backend, else {@code RESPONSE}), which is then buffered for
     * the route. Apply it with {@link #bodyFor}, giving that message's body; null after reporting.
     */
    static SetBody content(XmlElement e, CompileContext ctx, boolean liquid) {
        Message message = Message.of(ctx.section());
        if (!liquid) {
            return plain(e, ctx, message, false);
        }
        SetBody b = liquid(e, ctx, message, true, false, true, true);
        if (b != null && b.bindsBody) {
            ctx.readsBody(message == Message.REQUEST, message == Message.RESPONSE);
        }
        return b;
    }

    /** The body of the current section's message ({@link #content}'s templates read it). */
    MessageBody currentBody(PolicyContext c) {
        return target.body(c);
    }

    private static SetBody liquid(XmlElement e, CompileContext ctx, Message target, boolean bindsBody, boolean nilAsNull,
                                  boolean parseDates, boolean detached) {
        LiquidSource.Builder src = new LiquidSource.Builder(e.position());
        boolean markup = !e.elements().isEmpty();
        for (XmlNode n : e.children()) {
            serialize(n, markup, src);
        }
        LiquidSource source = src.build();
        if (markup) {
            // the whitespace around the markup is indentation of the policy file, not part of the body
            source = strip(source);
        }
        LiquidTemplate t = LiquidTemplate.compile(source, ctx.environment()::namedValue, ctx::error);
        if (t == null) {
            return null;
        }
        boolean readsBody = bindsBody && t.reads("body");
        if (readsBody && !detached) {
            ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        }
        return new SetBody(null, t, readsBody, nilAsNull, parseDates, target);
    }

    private static LiquidSource strip(LiquidSource s) {
        String text = s.text();
        int b = 0;
        int end = text.length();
        while (b < end && Character.isWhitespace(text.charAt(b))) {
            b++;
        }
        while (end > b && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        LiquidSource.Builder out = new LiquidSource.Builder(s.positionAt(0));
        for (int i = b; i < end; i++) {
            out.append(text.charAt(i), s.positionAt(i));
        }
        return out.build();
    }

    /** Writes a node back as the template text: text as written, elements as markup, CDATA kept as CDATA inside markup. */
    private static void serialize(XmlNode n, boolean markup, LiquidSource.Builder out) {
        if (n instanceof XmlText t) {
            SourceValue v = t.value();
            if (t.cdata() && markup) {
                out.append("<![CDATA[", v.start());
                copy(v, out, false, false);
                out.append("]]>", v.positionAt(v.text().length()));
            } else {
                copy(v, out, markup && !t.cdata(), false);
            }
            return;
        }
        XmlElement e = (XmlElement) n;
        out.append("<" + e.name(), e.position());
        for (XmlAttribute a : e.attributes()) {
            out.append(" " + a.name() + "=\"", a.position());
            copy(a.value(), out, true, true);
            out.append("\"", a.position());
        }
        if (e.children().isEmpty()) {
            out.append("/>", e.position());
            return;
        }
        out.append(">", e.position());
        for (XmlNode c : e.children()) {
            serialize(c, true, out);
        }
        out.append("</" + e.name() + ">", e.position());
    }

    /**
     * Copies {@code v}; with {@code escape}, the characters outside {@code {{ }}} and
     * {@code {% %}} that XML needs escaped are written as entities again.
     */
    private static void copy(SourceValue v, LiquidSource.Builder out, boolean escape, boolean attribute) {
        String s = v.text();
        int i = 0;
        while (i < s.length()) {
            if (escape && (s.startsWith("{{", i) || s.startsWith("{%", i))) {
                int end = s.indexOf(s.charAt(i + 1) == '{' ? "}}" : "%}", i + 2);
                end = end < 0 ? s.length() : end + 2;
                for (; i < end; i++) {
                    out.append(s.charAt(i), v.positionAt(i));
                }
                continue;
            }
            char c = s.charAt(i);
            String rep = !escape ? null : switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> attribute ? null : "&gt;";
                case '"' -> attribute ? "&quot;" : null;
                default -> null;
            };
            if (rep == null) {
                out.append(c, v.positionAt(i));
            } else {
                out.append(rep, v.positionAt(i));
            }
            i++;
        }
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        MessageBody old = target.body(c);
        String contentType = old == null ? null : old.contentType();
        byte[] bytes = bytes(exchange, bindsBody ? () -> body(c) : () -> null);
        target.body(c, new MessageBody(bytes, contentType));
        return DONE;
    }

    /**
     * The body this element gives a request other than the context's (the one
     * {@code send-request} builds), whose body now is {@code current} (null for none) with
     * Content-Type {@code contentType}; values are evaluated against {@code exchange}'s context.
     */
    public byte[] bodyFor(Exchange exchange, MessageBody current, String contentType) {
        String type = contentType != null ? contentType : current == null ? null : current.contentType();
        return bytes(exchange, bindsBody ? () -> body(current, type, true) : () -> null);
    }

    private byte[] bytes(Exchange exchange, java.util.function.Supplier<Object> templateBody) {
        byte[] bytes;
        if (template != null) {
            bytes = render(exchange.context(), templateBody.get()).getBytes(StandardCharsets.UTF_8);
        } else {
            Object o = content.get(exchange);
            if (o == null) {
                bytes = new byte[0];
            } else if (o instanceof byte[] b) {
                bytes = b.clone();
            } else {
                bytes = io.gatehouse.expr.lib.Dotnet.toStr(o).getBytes(StandardCharsets.UTF_8);
            }
        }
        return bytes;
    }

    private String render(PolicyContext c, Object body) {
        Map<String, Object> globals = LiquidBindings.of(c, body);
        try {
            return template.render(globals);
        } catch (LiquidException | ArithmeticException e) {
            throw new GatewayException(500, "set-body", GatewayException.EXPRESSION_FAILURE,
                    "set-body liquid template: " + e.getMessage());
        }
    }

    /** The current body for the template: parsed by Content-Type as JSON or XML, else the text; null when empty. */
    private Object body(PolicyContext c) {
        return body(target.body(c), Bodies.contentType(c, target), target == Message.REQUEST);
    }

    private Object body(MessageBody b, String type, boolean request) {
        if (b == null) {
            return null;
        }
        String text = new String(b.bytes(), Bodies.charset(b.contentType()));
        if (text.isBlank()) {
            return null;
        }
        String which = request ? "request" : "response";
        try {
            if (Bodies.isJson(type)) {
                return LiquidBindings.json(text, parseDates);
            }
            if (Bodies.isXml(type)) {
                return LiquidBindings.xml(text, nilAsNull);
            }
        } catch (IllegalArgumentException e) {
            boolean json = Bodies.isJson(type);
            throw new PolicyRejection(request ? 400 : 502, "set-body", json ? "InvalidJson" : "InvalidXml",
                    "set-body liquid template: the " + which + " body is not " + (json ? "JSON" : "XML") + " although its Content-Type is '"
                            + type + "': " + e.getMessage(), null, Map.of());
        }
        return text;
    }
}
