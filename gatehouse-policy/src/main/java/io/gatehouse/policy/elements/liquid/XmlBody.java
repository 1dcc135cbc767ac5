package io.gatehouse.policy.elements.liquid;

import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import java.io.StringReader;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a JSON or XML message body into the values a template reads as {@code body}.
 *
 * <p>XML: the root element is {@code body} itself; each element is reached by its local name (the
 * namespace prefix dropped, so {@code soap:Envelope/soap:Body} is {@code body.Body}); an element
 * that repeats becomes a list; an element with only text is that text; attributes are members of
 * their element. An element with {@code xsi:nil="true"} is "" or null, as set-body's
 * {@code xsi-nil} says. DTDs are refused (no entity expansion, no external fetches).
 */
final class XmlBody {
    private static final String XSI = "http://www.w3.org/2001/XMLSchema-instance";

    private XmlBody() {
    }

    /** An XML element's members; a {@code for} loop over one element walks it as a single item. */
    static final class Element extends LinkedHashMap<String, Object> {
        private String text = "";

        @Override
        public String toString() {
            return text;
        }
    }

    /** The body as values; throws IllegalArgumentException when the text is not well-formed XML. */
    static Object parse(String text, boolean nilAsNull) {
        Document doc = SafeXml.parse(new InputSource(new StringReader(text)));
        return value(doc.getDocumentElement(), nilAsNull);
    }

    private static Object value(org.w3c.dom.Element e, boolean nilAsNull) {
        if ("true".equals(e.getAttributeNS(XSI, "nil"))) {
            return nilAsNull ? null : "";
        }
        Element out = new Element();
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            Attr a = (Attr) attrs.item(i);
            String ns = a.getNamespaceURI();
            if (XMLConstants.XMLNS_ATTRIBUTE_NS_URI.equals(ns) || XSI.equals(ns)) {
                continue;
            }
            out.put(localName(a), a.getValue());
        }
        StringBuilder text = new StringBuilder();
        boolean hasElements = false;
        NodeList children = e.getChildNodes();
        for (int i = 0; i < children.getLength(); i++) {
            Node n = children.item(i);
            if (n instanceof org.w3c.dom.Element c) {
                hasElements = true;
                String name = localName(c);
                Object v = value(c, nilAsNull);
                if (out.containsKey(name)) {
                    Object prev = out.get(name);
                    if (prev instanceof Repeated r) {
                        r.add(v);
                    } else {
                        Repeated r = new Repeated();
                        r.add(prev);
                        r.add(v);
                        out.put(name, r);
                    }
                } else {
                    out.put(name, v);
                }
            } else if (n.getNodeType() == Node.TEXT_NODE || n.getNodeType() == Node.CDATA_SECTION_NODE) {
                text.append(n.getNodeValue());
            }
        }
        if (!hasElements && out.isEmpty()) {
            return text.toString();
        }
        out.text = hasElements ? "" : text.toString();
        return out;
    }

    /** The list made when an element name repeats. */
    private static final class Repeated extends ArrayList<Object> {
    }

    private static String localName(Node n) {
        String l = n.getLocalName();
        return l != null ? l : n.getNodeName();
    }

    /**
     * A JSON token as plain values: objects as ordered maps, arrays as lists. With
     * {@code parseDates}, strings that are ISO 8601 date-times ({@code 2012-03-21T05:40Z}) or
     * Microsoft JSON dates ({@code /Date(1198908717056)/}) become DateTime values, as Json.NET
     * reads them for APIM; an offset is converted to UTC.
     */
    static Object json(JToken t, boolean parseDates) {
        if (t == null) {
            return null;
        }
        if (t instanceof JObject o) {
            Map<String, Object> m = new LinkedHashMap<>();
            o.properties().forEach((k, v) -> m.put(k, json(v, parseDates)));
            return m;
        }
        if (t instanceof JArray a) {
            List<Object> l = new ArrayList<>(a.items().size());
            for (JToken i : a.items()) {
                l.add(json(i, parseDates));
            }
            return l;
        }
        if (t instanceof JValue v) {
            return parseDates && v.value() instanceof String s ? date(s) : v.value();
        }
        if (t instanceof JProperty p) {
            return json(p.value(), parseDates);
        }
        return null;
    }

    private static final Pattern ISO = Pattern.compile(
            "(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,7}))?)?(Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern MS_DATE = Pattern.compile("/Date\\((-?\\d{1,15})([+-]\\d{4})?\\)/");

    /** {@code s} as a DateTime when it is written as one, else {@code s}. */
    private static Object date(String s) {
        if (s.length() < 16 || s.length() > 40) {
            return s;
        }
        try {
            Matcher ms = MS_DATE.matcher(s);
            if (ms.matches()) {
                return DateTime.ofInstant(Instant.ofEpochMilli(Long.parseLong(ms.group(1))), DateTime.Kind.Utc);
            }
            Matcher m = ISO.matcher(s);
            if (!m.matches()) {
                return s;
            }
            LocalDateTime local = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
                    Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), m.group(6) == null ? 0 : Integer.parseInt(m.group(6)),
                    m.group(7) == null ? 0 : Integer.parseInt((m.group(7) + "000000000").substring(0, 9)));
            String zone = m.group(8);
            if (zone == null) {
                return DateTime.ofInstant(local.toInstant(ZoneOffset.UTC), DateTime.Kind.Unspecified);
            }
            ZoneOffset offset = zone.equals("Z") ? ZoneOffset.UTC : ZoneOffset.of(zone.length() == 5 ? zone.substring(0, 3) + ":" + zone.substring(3) : zone);
            return DateTime.ofInstant(local.toInstant(offset), DateTime.Kind.Utc);
        } catch (RuntimeException e) {
            return s; // 2024-02-30T...: not a date after all
        }
    }
}
