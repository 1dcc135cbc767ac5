package io.gatehouse.expr.lib;

import org.w3c.dom.Attr;
import org.w3c.dom.Document;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * LINQ to XML ({@code System.Xml.Linq}) as policy expressions use it to read SOAP and other XML
 * bodies: {@code XDocument.Parse}, {@code Root}, {@code Element(s)}, {@code Descendants},
 * {@code Attribute}, {@code Value}, {@code XNamespace + "local"}. Read-only: documents are parsed
 * once into these immutable trees.
 *
 * <p>Parsing refuses DOCTYPEs (no entity expansion, no external entities), as .NET's default
 * {@code XDocument.Parse} prohibits DTD processing.
 */
public final class Xml {
    private Xml() {
    }

    /** {@code XName}: a namespace URI ("" for none) and a local name. */
    public record XName(String namespace, String localName) {
        public XName {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(localName, "localName");
        }

        /** From .NET's string form: {@code local} or {@code {namespace}local}. */
        public static XName of(String expanded) {
            if (expanded == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'expandedName')");
            }
            if (expanded.startsWith("{")) {
                int close = expanded.indexOf('}');
                if (close < 0 || close == expanded.length() - 1) {
                    throw new IllegalArgumentException("The '{' character, hexadecimal value 0x7B, cannot be included in a name.");
                }
                return new XName(expanded.substring(1, close), expanded.substring(close + 1));
            }
            if (expanded.isEmpty()) {
                throw new IllegalArgumentException("The empty string '' is not a valid name.");
            }
            return new XName("", expanded);
        }

        @Override
        public String toString() {
            return namespace.isEmpty() ? localName : "{" + namespace + "}" + localName;
        }
    }

    /** {@code XNamespace}; {@code ns + "local"} makes an {@link XName}. */
    public record XNamespace(String uri) {
        public XName plus(String local) {
            return new XName(uri, local);
        }

        @Override
        public String toString() {
            return uri;
        }
    }

    public record XAttribute(XName name, String value) {
        @Override
        public String toString() {
            return name.localName() + "=\"" + escape(value, true) + "\"";
        }
    }

    /** An element: its name, attributes, and children (elements and text, as {@code String}). */
    public static final class XElement {
        private final XName name;
        private final String prefix;
        private final List<XAttribute> attributes;
        private final List<Object> nodes = new ArrayList<>();
        private XElement parent;

        XElement(XName name, String prefix, List<XAttribute> attributes) {
            this.name = name;
            this.prefix = prefix;
            this.attributes = List.copyOf(attributes);
        }

        public XName name() {
            return name;
        }

        /** The name as written, with its prefix ({@code soap:Body}). */
        public String qualifiedName() {
            return prefix == null || prefix.isEmpty() ? name.localName() : prefix + ":" + name.localName();
        }

        public XElement parent() {
            return parent;
        }

        public List<XAttribute> attributes() {
            return attributes;
        }

        public XAttribute attribute(XName n) {
            for (XAttribute a : attributes) {
                if (a.name().equals(n)) {
                    return a;
                }
            }
            return null;
        }

        public List<XElement> elements() {
            List<XElement> out = new ArrayList<>();
            for (Object o : nodes) {
                if (o instanceof XElement e) {
                    out.add(e);
                }
            }
            return out;
        }

        public List<XElement> elements(XName n) {
            List<XElement> out = new ArrayList<>();
            for (XElement e : elements()) {
                if (e.name.equals(n)) {
                    out.add(e);
                }
            }
            return out;
        }

        public XElement element(XName n) {
            for (XElement e : elements()) {
                if (e.name.equals(n)) {
                    return e;
                }
            }
            return null;
        }

        /** Descendant elements in document order, not including this one. */
        public List<XElement> descendants() {
            List<XElement> out = new ArrayList<>();
            collect(this, out);
            return out;
        }

        private static void collect(XElement e, List<XElement> out) {
            for (XElement c : e.elements()) {
                out.add(c);
                collect(c, out);
            }
        }

        public boolean hasElements() {
            return !elements().isEmpty();
        }

        public boolean isEmpty() {
            return nodes.isEmpty();
        }

        /** The concatenated text of this element and its descendants. */
        public String value() {
            StringBuilder sb = new StringBuilder();
            text(this, sb);
            return sb.toString();
        }

        private static void text(XElement e, StringBuilder sb) {
            for (Object o : e.nodes) {
                if (o instanceof String s) {
                    sb.append(s);
                } else {
                    text((XElement) o, sb);
                }
            }
        }

        /** The element as indented XML, like .NET's {@code XElement.ToString()}. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            write(sb, 0);
            return sb.toString();
        }

        void write(StringBuilder sb, int indent) {
            String tag = prefix == null || prefix.isEmpty() ? name.localName() : prefix + ":" + name.localName();
            sb.append('<').append(tag);
            for (XAttribute a : attributes) {
                sb.append(' ').append(a.name().namespace().equals(XMLConstants.XMLNS_ATTRIBUTE_NS_URI)
                        ? (a.name().localName().equals("xmlns") ? "xmlns" : "xmlns:" + a.name().localName())
                        : a.name().localName()).append("=\"").append(escape(a.value(), true)).append('"');
            }
            if (nodes.isEmpty()) {
                sb.append(" />");
                return;
            }
            sb.append('>');
            boolean onlyElements = nodes.stream().allMatch(o -> o instanceof XElement);
            for (Object o : nodes) {
                if (o instanceof String s) {
                    sb.append(escape(s, false));
                } else {
                    if (onlyElements) {
                        sb.append('\n').append("  ".repeat(indent + 1));
                    }
                    ((XElement) o).write(sb, indent + 1);
                }
            }
            if (onlyElements) {
                sb.append('\n').append("  ".repeat(indent));
            }
            sb.append("</").append(tag).append('>');
        }
    }

    /** {@code XDocument}: the root element. */
    public record XDocument(XElement root) {
        public List<XElement> descendants() {
            List<XElement> out = new ArrayList<>();
            out.add(root);
            out.addAll(root.descendants());
            return out;
        }

        public List<XElement> elements() {
            return List.of(root);
        }

        @Override
        public String toString() {
            return root.toString();
        }
    }

    /**
     * {@code System.Xml.XmlReader} over a parsed document: a forward-only cursor over element starts,
     * text and element ends, enough for the read-until-found loops policies use. Not thread-safe (one
     * per expression run, as in .NET).
     */
    public static final class XmlReader {
        /** One node the reader stops at: a start (el set, end false), an end (el set, end true) or text. */
        private record Event(XElement el, boolean end, String text) {
        }

        private final List<Event> events = new ArrayList<>();
        private int at = -1;

        public XmlReader(XDocument doc) {
            flatten(doc.root());
        }

        private void flatten(XElement e) {
            events.add(new Event(e, false, null));
            if (e.isEmpty()) {
                return;
            }
            for (Object n : e.nodes) {
                if (n instanceof XElement c) {
                    flatten(c);
                } else {
                    events.add(new Event(null, false, (String) n));
                }
            }
            events.add(new Event(e, true, null));
        }

        public boolean read() {
            if (at < events.size()) {
                at++;
            }
            return at < events.size();
        }

        public boolean eof() {
            return at >= events.size();
        }

        private Event current() {
            return at >= 0 && at < events.size() ? events.get(at) : null;
        }

        /** .NET XmlNodeType name of the current node: Element, Text, EndElement or None. */
        public String nodeType() {
            Event e = current();
            if (e == null) {
                return "None";
            }
            return e.text() != null ? "Text" : e.end() ? "EndElement" : "Element";
        }

        public String moveToContent() {
            if (at < 0) {
                read();
            }
            return nodeType();
        }

        public String name() {
            Event e = current();
            return e == null || e.el() == null ? "" : e.el().qualifiedName();
        }

        public String localName() {
            Event e = current();
            return e == null || e.el() == null ? "" : e.el().name().localName();
        }

        public String namespaceUri() {
            Event e = current();
            return e == null || e.el() == null ? "" : e.el().name().namespace();
        }

        public String value() {
            Event e = current();
            return e == null || e.text() == null ? "" : e.text();
        }

        public boolean isEmptyElement() {
            Event e = current();
            return e != null && e.el() != null && !e.end() && e.el().isEmpty();
        }

        public int depth() {
            Event e = current();
            if (e == null) {
                return 0;
            }
            int d = 0;
            for (XElement p = e.el() == null ? null : e.el().parent(); p != null; p = p.parent()) {
                d++;
            }
            return e.el() == null ? depthOfText() : d;
        }

        private int depthOfText() {
            int d = 0;
            for (int k = 0; k < at; k++) {
                Event e = events.get(k);
                if (e.el() != null && !e.el().isEmpty()) {
                    d += e.end() ? -1 : 1;
                }
            }
            return d;
        }

        public String getAttribute(String name) {
            Event e = current();
            if (e == null || e.el() == null || e.end()) {
                return null;
            }
            XAttribute a = e.el().attribute(XName.of(name));
            return a == null ? null : a.value();
        }

        /** {@code XNode.ReadFrom(reader)} on an element: returns it and moves past its end. */
        public XElement readElement() {
            Event e = current();
            if (e == null || e.el() == null || e.end()) {
                throw new IllegalStateException("The XmlReader should be on a node of type Element.");
            }
            XElement el = e.el();
            if (el.isEmpty()) {
                at++;
            } else {
                while (at < events.size() && !(events.get(at).end() && events.get(at).el() == el)) {
                    at++;
                }
                at++;
            }
            return el;
        }

        /** {@code ReadElementContentAsString()}: the element's text, moving past its end. */
        public String readElementContentAsString() {
            return readElement().value();
        }

        @Override
        public String toString() {
            return "System.Xml.XmlReader";
        }
    }

    private static String escape(String s, boolean attr) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append(attr ? "&quot;" : "\"");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Parses a document; IllegalArgumentException carries a message like .NET's XmlException. */
    public static XDocument parse(String text) {
        return new XDocument(convert(dom(text).getDocumentElement(), null));
    }

    /**
     * {@code System.Xml.XmlDocument}: a DOM loaded with {@code LoadXml} and queried with XPath
     * ({@code SelectSingleNode}, {@code SelectNodes}). Namespace-aware like .NET: an unprefixed name
     * in an XPath matches only elements in no namespace.
     */
    public static final class XmlDocument {
        private Document doc;

        public void loadXml(String text) {
            this.doc = dom(text);
        }

        public org.w3c.dom.Element documentElement() {
            return doc == null ? null : doc.getDocumentElement();
        }

        public Node node() {
            return doc;
        }

        @Override
        public String toString() {
            return "System.Xml.XmlDocument";
        }
    }

    /** XPath over a DOM node: the first match, or null. */
    public static Node selectSingleNode(Node context, String xpath) {
        List<Node> all = selectNodes(context, xpath);
        return all.isEmpty() ? null : all.get(0);
    }

    public static List<Node> selectNodes(Node context, String xpath) {
        if (context == null) {
            return List.of();
        }
        try {
            javax.xml.xpath.XPath xp = javax.xml.xpath.XPathFactory.newInstance().newXPath();
            org.w3c.dom.NodeList list = (org.w3c.dom.NodeList) xp.evaluate(xpath, context, javax.xml.xpath.XPathConstants.NODESET);
            List<Node> out = new ArrayList<>(list.getLength());
            for (int k = 0; k < list.getLength(); k++) {
                out.add(list.item(k));
            }
            return out;
        } catch (javax.xml.xpath.XPathExpressionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new IllegalStateException("'" + xpath + "' has an invalid token or is not a valid XPath expression: "
                    + (c.getMessage() == null ? "" : c.getMessage()));
        }
    }

    private static Document dom(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Value cannot be null. (Parameter 'text')");
        }
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler());
            return b.parse(new InputSource(new StringReader(text)));
        } catch (SAXException e) {
            String msg = e.getMessage() == null ? "The XML is not well-formed." : e.getMessage();
            if (msg.contains("DOCTYPE")) {
                msg = "For security reasons DTD is prohibited in this XML document.";
            }
            throw new IllegalArgumentException(msg);
        } catch (ParserConfigurationException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static XElement convert(org.w3c.dom.Element el, XElement parent) {
        List<XAttribute> attrs = new ArrayList<>();
        NamedNodeMap map = el.getAttributes();
        for (int k = 0; k < map.getLength(); k++) {
            Attr a = (Attr) map.item(k);
            String ns = a.getNamespaceURI() == null ? "" : a.getNamespaceURI();
            String local = a.getLocalName() == null ? a.getName() : a.getLocalName();
            attrs.add(new XAttribute(new XName(ns, local), a.getValue()));
        }
        String ns = el.getNamespaceURI() == null ? "" : el.getNamespaceURI();
        String local = el.getLocalName() == null ? el.getTagName() : el.getLocalName();
        XElement x = new XElement(new XName(ns, local), el.getPrefix(), attrs);
        x.parent = parent;
        for (Node c = el.getFirstChild(); c != null; c = c.getNextSibling()) {
            if (c instanceof org.w3c.dom.Element ce) {
                x.nodes.add(convert(ce, x));
            } else if (c.getNodeType() == Node.TEXT_NODE || c.getNodeType() == Node.CDATA_SECTION_NODE) {
                String t = c.getNodeValue();
                boolean whitespace = t.isBlank() && c.getNodeType() == Node.TEXT_NODE;
                if (!whitespace) {
                    x.nodes.add(t);
                }
            }
        }
        return x;
    }
}
