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
 * written (parse-date is accepted). A body that is not JSON fails with 400 (request) or 502
 * (response), Reason {@code InvalidJson}.
 *
 * <p>For SOAP and other namespaced XML, as APIM documents:
 * <ul>
 *   <li>{@code namespace-prefix} (usually {@code xmlns}): properties whose names start with it
 *       ({@code "xmlns:soap": "http://..."}) become namespace declarations on their element;</li>
 *   <li>{@code namespace-separator} (e.g. {@code :}): a property named {@code soap:Body}, whose
 *       prefix is declared in scope, becomes the element {@code soap:Body};</li>
 *   <li>{@code attribute-block-name} (e.g. {@code #attrs}): the properties of the object with that
 *       name become attributes of their element.</li>
 * </ul>
 * When any of these is set and the JSON is an object with a single property, that property is
 * the document's root element (a SOAP envelope), as Json.NET does; otherwise the root is
 * {@code <Document>}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/json-to-xml-policy">APIM json-to-xml</a>
 */
public final class JsonToXml implements Policy {
    public static final PolicyType TYPE = new PolicyType("json-to-xml", EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR),
            JsonToXml::compile);

    /** The namespace and attribute conventions; all null for the basic layout. */
    record Layout(String separator, String namespacePrefix, String attributeBlock) {
        boolean basic() {
            return separator == null && namespacePrefix == null && attributeBlock == null;
        }
    }

    private final boolean onlyJson;
    private final boolean considerAccept;
    private final Message target;
    private final Layout layout;

    private JsonToXml(boolean onlyJson, boolean considerAccept, Message target, Layout layout) {
        this.onlyJson = onlyJson;
        this.considerAccept = considerAccept;
        this.target = target;
        this.layout = layout;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "apply", "consider-accept-header", "parse-date", "namespace-separator", "namespace-prefix",
                "attribute-block-name");
        ctx.noContent(e);
        boolean ok = true;
        String separator = a.text("namespace-separator", null);
        if (separator != null && separator.length() != 1) {
            ctx.error(a.position("namespace-separator"), "attribute 'namespace-separator' on <json-to-xml> must be one character, such as ':'");
            ok = false;
        }
        String prefix = a.text("namespace-prefix", null);
        String block = a.text("attribute-block-name", null);
        for (String name : new String[] {"namespace-prefix", "attribute-block-name"}) {
            String v = a.text(name, null);
            if (v != null && v.isBlank()) {
                ctx.error(a.position(name), "attribute '" + name + "' on <json-to-xml> is empty");
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
        return ok && apply != null ? new JsonToXml(apply.equals("content-type-json"), accept, target,
                new Layout(separator, prefix, block)) : null;
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
        Writer w = new Writer(xml, layout);
        if (!layout.basic() && json instanceof JObject o && o.properties().size() == 1) {
            Map.Entry<String, JToken> root = o.properties().entrySet().iterator().next();
            w.element(root.getKey(), root.getValue(), java.util.Set.of());
        } else {
            xml.append("<Document>");
            if (json instanceof JArray arr) {
                for (JToken item : arr.items()) {
                    w.element("Array", item, java.util.Set.of());
                }
            } else if (json instanceof JObject o) {
                w.content(o, java.util.Set.of());
            } else {
                text(xml, json);
            }
            xml.append("</Document>");
        }
        Bodies.replace(c, target, xml.toString().getBytes(StandardCharsets.UTF_8), "application/xml; charset=utf-8");
        return DONE;
    }

    /** Writes elements, applying the layout's namespace and attribute conventions. */
    private record Writer(StringBuilder xml, Layout layout) {
        void content(JObject o, java.util.Set<String> prefixes) {
            for (Map.Entry<String, JToken> p : o.properties().entrySet()) {
                if (special(p.getKey())) {
                    continue;
                }
                if (p.getValue() instanceof JArray arr) {
                    for (JToken item : arr.items()) {
                        element(p.getKey(), item, prefixes);
                    }
                } else {
                    element(p.getKey(), p.getValue(), prefixes);
                }
            }
        }

        /** A namespace declaration or the attribute block: written in the start tag, not as elements. */
        private boolean special(String name) {
            return (layout.attributeBlock() != null && name.equals(layout.attributeBlock())) || declaration(name) != null;
        }

        /** The prefix a declaration property declares ("" for the default namespace), or null. */
        private String declaration(String name) {
            String p = layout.namespacePrefix();
            if (p == null || !name.startsWith(p)) {
                return null;
            }
            if (name.length() == p.length()) {
                return "";
            }
            char sep = layout.separator() != null ? layout.separator().charAt(0) : ':';
            return name.charAt(p.length()) == sep ? name.substring(p.length() + 1) : null;
        }

        void element(String rawName, JToken value, java.util.Set<String> inScope) {
            java.util.Set<String> prefixes = inScope;
            StringBuilder attrs = new StringBuilder();
            if (value instanceof JObject o && !layout.basic()) {
                for (Map.Entry<String, JToken> p : o.properties().entrySet()) {
                    String declared = declaration(p.getKey());
                    if (declared != null) {
                        if (prefixes == inScope) {
                            prefixes = new java.util.HashSet<>(inScope);
                        }
                        prefixes.add(declared);
                        attrs.append(' ').append(declared.isEmpty() ? "xmlns" : "xmlns:" + encodeName(declared)).append("=\"");
                        escape(attrs, scalar(p.getValue()));
                        attrs.append('"');
                    } else if (layout.attributeBlock() != null && p.getKey().equals(layout.attributeBlock())
                            && p.getValue() instanceof JObject block) {
                        for (Map.Entry<String, JToken> at : block.properties().entrySet()) {
                            attrs.append(' ').append(name(at.getKey(), prefixes)).append("=\"");
                            escape(attrs, scalar(at.getValue()));
                            attrs.append('"');
                        }
                    }
                }
            }
            String name = name(rawName, prefixes);
            boolean empty = value == null || (value instanceof JValue v && v.value() == null)
                    || (!layout.basic() && value instanceof JObject o && o.properties().keySet().stream().allMatch(this::special));
            if (empty) {
                xml.append('<').append(name).append(attrs).append(" />");
                return;
            }
            xml.append('<').append(name).append(attrs).append('>');
            if (value instanceof JObject o) {
                content(o, prefixes);
            } else if (value instanceof JArray arr) {
                for (JToken item : arr.items()) {
                    element("Array", item, prefixes);
                }
            } else {
                text(xml, value);
            }
            xml.append("</").append(name).append('>');
        }

        /** {@code prefix:local} when the separator splits off a prefix in scope; otherwise the encoded name. */
        private String name(String raw, java.util.Set<String> prefixes) {
            if (layout.separator() != null) {
                int at = raw.indexOf(layout.separator().charAt(0));
                if (at > 0 && at < raw.length() - 1 && prefixes.contains(raw.substring(0, at))) {
                    return encodeName(raw.substring(0, at)) + ":" + encodeName(raw.substring(at + 1));
                }
            }
            return encodeName(raw);
        }

        private static String scalar(JToken t) {
            Object v = t instanceof JValue jv ? jv.value() : t == null ? "" : t.toString(false);
            return v instanceof Boolean b ? (b ? "true" : "false") : String.valueOf(v == null ? "" : v);
        }
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
