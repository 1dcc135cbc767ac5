package io.gatehouse.policy.elements;

import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Json;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <json-to-xml apply="always|content-type-json" consider-accept-header="true|false" parse-date="true|false"/>}:
 * converts the request body (inbound) or the response body (outbound, on-error) from JSON to XML.
 * With {@code content-type-json} only a JSON body is converted; with consider-accept-header (the
 * default) only when the request's {@code Accept} asks for XML.
 *
 * <p>The layout is the basic one: a {@code <Document>} root; each property an element; an array
 * repeats its property's element (a top-level array gives {@code <Array>} elements); null is an
 * empty element; names that are not XML names are encoded as {@code _xHHHH_}. Dates stay as
 * written (parse-date is accepted); namespace-separator, namespace-prefix and
 * attribute-block-name are not supported yet. A body that is not JSON fails with 400 (request)
 * or 502 (response), Reason {@code InvalidJson}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/json-to-xml-policy">APIM json-to-xml</a>
 */
public final class JsonToXml implements Policy {
    public static final PolicyType TYPE = new PolicyType("json-to-xml", EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR),
            JsonToXml::compile);

    private final boolean onlyJson;
    private final boolean considerAccept;
    private final Message target;

    private JsonToXml(boolean onlyJson, boolean considerAccept, Message target) {
        this.onlyJson = onlyJson;
        this.considerAccept = considerAccept;
        this.target = target;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "apply", "consider-accept-header", "parse-date", "namespace-separator", "namespace-prefix",
                "attribute-block-name");
        ctx.noContent(e);
        boolean ok = true;
        for (String unsupported : new String[] {"namespace-separator", "namespace-prefix", "attribute-block-name"}) {
            if (a.has(unsupported)) {
                ctx.error(a.position(unsupported), "attribute '" + unsupported + "' on <json-to-xml> is not supported yet");
                ok = false;
            }
        }
        if (!a.has("apply")) {
            a.missing("apply");
            ok = false;
        }
        String apply = a.choice("apply", null, "always", "content-type-json");
        boolean accept = a.bool("consider-accept-header", true);
        a.bool("parse-date", true);
        Message target = Message.of(ctx.section());
        ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        return ok && apply != null ? new JsonToXml(apply.equals("content-type-json"), accept, target) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        MessageBody body = target.body(c);
        if (body == null) {
            return DONE;
        }
        if (onlyJson && !Bodies.isJson(Bodies.contentType(c, target))) {
            return DONE;
        }
        if (considerAccept && !Bodies.accepts(c, Bodies::isXml)) {
            return DONE;
        }
        String text = new String(body.bytes(), Bodies.charset(body.contentType()));
        if (text.isBlank()) {
            return DONE;
        }
        JToken json;
        try {
            json = Json.parse(text);
        } catch (IllegalArgumentException e) {
            int status = target == Message.REQUEST ? 400 : 502;
            throw new PolicyRejection(status, "json-to-xml", "InvalidJson",
                    "json-to-xml: the " + (target == Message.REQUEST ? "request" : "response") + " body is not JSON: " + e.getMessage(),
                    null, Map.of());
        }
        StringBuilder xml = new StringBuilder(text.length() + 64);
        xml.append("<Document>");
        if (json instanceof JArray arr) {
            for (JToken item : arr.items()) {
                element(xml, "Array", item);
            }
        } else if (json instanceof JObject o) {
            content(xml, o);
        } else {
            text(xml, json);
        }
        xml.append("</Document>");
        Bodies.replace(c, target, xml.toString().getBytes(StandardCharsets.UTF_8), "application/xml; charset=utf-8");
        return DONE;
    }

    private static void content(StringBuilder xml, JObject o) {
        for (Map.Entry<String, JToken> p : o.properties().entrySet()) {
            if (p.getValue() instanceof JArray arr) {
                for (JToken item : arr.items()) {
                    element(xml, p.getKey(), item);
                }
            } else {
                element(xml, p.getKey(), p.getValue());
            }
        }
    }

    private static void element(StringBuilder xml, String rawName, JToken value) {
        String name = encodeName(rawName);
        if (value == null || (value instanceof JValue v && v.value() == null)) {
            xml.append('<').append(name).append(" />");
            return;
        }
        xml.append('<').append(name).append('>');
        if (value instanceof JObject o) {
            content(xml, o);
        } else if (value instanceof JArray arr) {
            for (JToken item : arr.items()) {
                element(xml, "Array", item);
            }
        } else {
            text(xml, value);
        }
        xml.append("</").append(name).append('>');
    }

    private static void text(StringBuilder xml, JToken t) {
        Object v = t instanceof JValue jv ? jv.value() : t.toString(false);
        String s = v instanceof Boolean b ? (b ? "true" : "false") : String.valueOf(v);
        escape(xml, s);
    }

    static void escape(StringBuilder xml, String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> xml.append("&lt;");
                case '>' -> xml.append("&gt;");
                case '&' -> xml.append("&amp;");
                case '"' -> xml.append("&quot;");
                default -> {
                    if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
                        xml.append("&#x").append(Integer.toHexString(ch)).append(';');
                    } else {
                        xml.append(ch);
                    }
                }
            }
        }
    }

    /** An XML name for a JSON property: characters not allowed become {@code _xHHHH_} (as .NET's XmlConvert.EncodeName). */
    static String encodeName(String name) {
        if (name.isEmpty()) {
            return "_x0000_";
        }
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            boolean ok = Character.isLetter(ch) || ch == '_' || (i > 0 && (Character.isDigit(ch) || ch == '-' || ch == '.'));
            if (ok) {
                sb.append(ch);
            } else {
                sb.append(String.format("_x%04X_", (int) ch));
            }
        }
        return sb.toString();
    }
}
