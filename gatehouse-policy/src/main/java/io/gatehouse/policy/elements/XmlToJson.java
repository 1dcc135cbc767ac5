package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <xml-to-json kind="javascript-friendly|direct" apply="always|content-type-xml" consider-accept-header="true|false" always-array-child-elements="false"/>}:
 * converts the request body (inbound) or the response body (outbound, on-error) from XML to JSON.
 * With {@code content-type-xml} only an XML body is converted; with consider-accept-header (the
 * default) only when the request's {@code Accept} asks for JSON.
 *
 * <p>The layout is the basic one: {@code {"root": {...}}}; child elements become properties, repeated
 * ones (or all, with always-array-child-elements) arrays; text-only elements strings; empty
 * elements null; text next to attributes or children {@code "#text"}. {@code direct} writes
 * attributes as {@code "@name"} and keeps {@code xmlns} declarations; {@code javascript-friendly}
 * writes them as plain properties and drops namespace declarations. Values stay strings.
 *
 * <p>The parser refuses DTDs, so no entity expansion or external fetch can happen (XXE). A body
 * that is not XML fails with 400 (request) or 502 (response), Reason {@code InvalidXml}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/xml-to-json-policy">APIM xml-to-json</a>
 */
public final class XmlToJson implements Policy {
    public static final PolicyType TYPE = new PolicyType("xml-to-json", EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR),
            XmlToJson::compile);

    /** Deeper documents are refused rather than risk the stack (JSON's own parser stops at 64 too). */
    static final int MAX_DEPTH = 64;

    private final boolean direct;
    private final boolean onlyXml;
    private final boolean considerAccept;
    private final boolean alwaysArray;
    private final Message target;

    private XmlToJson(boolean direct, boolean onlyXml, boolean considerAccept, boolean alwaysArray, Message target) {
        this.direct = direct;
        this.onlyXml = onlyXml;
        this.considerAccept = considerAccept;
        this.alwaysArray = alwaysArray;
        this.target = target;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "kind", "apply", "consider-accept-header", "always-array-child-elements");
        ctx.noContent(e);
        boolean ok = true;
        for (String required : new String[] {"kind", "apply"}) {
            if (!a.has(required)) {
                a.missing(required);
                ok = false;
            }
        }
        String kind = a.choice("kind", null, "javascript-friendly", "direct");
        String apply = a.choice("apply", null, "always", "content-type-xml");
        boolean accept = a.bool("consider-accept-header", true);
        boolean always = a.bool("always-array-child-elements", false);
        Message target = Message.of(ctx.section());
        ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        return ok && kind != null && apply != null
                ? new XmlToJson(kind.equals("direct"), apply.equals("content-type-xml"), accept, always, target) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        MessageBody body = target.body(c);
        if (body == null) {
            return DONE;
        }
        if (onlyXml && !Bodies.isXml(Bodies.contentType(c, target))) {
            return DONE;
        }
        if (considerAccept && !Bodies.accepts(c, Bodies::isJson)) {
            return DONE;
        }
        byte[] bytes = body.bytes();
        if (bytes.length == 0) {
            return DONE;
        }
        Document doc;
        try {
            doc = io.gatehouse.policy.elements.liquid.SafeXml.parse(new org.xml.sax.InputSource(new ByteArrayInputStream(bytes)));
        } catch (IllegalArgumentException e) {
            int status = target == Message.REQUEST ? 400 : 502;
            throw new PolicyRejection(status, "xml-to-json", "InvalidXml",
                    "xml-to-json: the " + (target == Message.REQUEST ? "request" : "response") + " body is not XML: " + e.getMessage(),
                    null, Map.of());
        }
        Element root = doc.getDocumentElement();
        JObject out = new JObject();
        out.set(root.getTagName(), convert(root, 0));
        Bodies.replace(c, target, out.toString(false).getBytes(StandardCharsets.UTF_8), "application/json; charset=utf-8");
        return DONE;
    }

    private JToken convert(Element e, int depth) {
        if (depth > MAX_DEPTH) {
            int status = target == Message.REQUEST ? 400 : 502;
            throw new PolicyRejection(status, "xml-to-json", "InvalidXml",
                    "xml-to-json: the " + (target == Message.REQUEST ? "request" : "response") + " body nests elements deeper than "
                            + MAX_DEPTH + " levels", null, Map.of());
        }
        Map<String, List<JToken>> children = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        NodeList nodes = e.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element child) {
                children.computeIfAbsent(child.getTagName(), k -> new ArrayList<>()).add(convert(child, depth + 1));
            } else if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                text.append(n.getNodeValue());
            }
        }
        List<Attr> attrs = new ArrayList<>();
        NamedNodeMap map = e.getAttributes();
        for (int i = 0; i < map.getLength(); i++) {
            Attr a = (Attr) map.item(i);
            boolean namespaceDecl = a.getName().equals("xmlns") || a.getName().startsWith("xmlns:");
            if (!namespaceDecl || direct) {
                attrs.add(a);
            }
        }
        String t = text.toString().strip();
        if (children.isEmpty() && attrs.isEmpty()) {
            return t.isEmpty() ? JValue.NULL_VALUE() : new JValue(t);
        }
        JObject o = new JObject();
        for (Attr a : attrs) {
            o.set((direct ? "@" : "") + a.getName(), new JValue(a.getValue()));
        }
        if (!t.isEmpty()) {
            o.set("#text", new JValue(t));
        }
        for (Map.Entry<String, List<JToken>> ch : children.entrySet()) {
            if (ch.getValue().size() == 1 && !alwaysArray) {
                o.set(ch.getKey(), ch.getValue().get(0));
            } else {
                JArray arr = new JArray();
                ch.getValue().forEach(arr::add);
                o.set(ch.getKey(), arr);
            }
        }
        return o;
    }
}
