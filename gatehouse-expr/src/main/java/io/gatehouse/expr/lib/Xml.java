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
            Document d = b.parse(new InputSource(new StringReader(text)));
            return new XDocument(convert(d.getDocumentElement(), null));
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
