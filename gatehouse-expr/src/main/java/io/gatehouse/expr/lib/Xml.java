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

    /** An attribute: its name and value; its parent is the element holding it (null when it stands alone). */
    public static final class XAttribute {
        private final XName name;
        private String value;
        XElement parent;

        public XAttribute(XName name, String value) {
            this.name = Objects.requireNonNull(name, "name");
            this.value = Objects.requireNonNull(value, "value");
        }

        public XName name() {
            return name;
        }

        public String value() {
            return value;
        }

        public void value(String v) {
            if (v == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'value')");
            }
            this.value = v;
        }

        public XElement parent() {
            return parent;
        }

        /** {@code XAttribute.Remove()}: takes it off its element. */
        public void remove() {
            if (parent == null) {
                throw new IllegalStateException("The parent is missing.");
            }
            parent.attributes.remove(this);
            parent = null;
        }

        @Override
        public String toString() {
            return name.localName() + "=\"" + escape(value, true) + "\"";
        }
    }

    /**
     * {@code XNode}: what an element holds (elements, text, CDATA, comments); {@code parent} is the element that holds
     * it, null for a root or a node standing alone.
     */
    public abstract static sealed class XNode permits XElement, XText, XComment {
        XElement parent;

        public XElement parent() {
            return parent;
        }

        /** The document of the tree this node is in (through its root), or null. */
        public XDocument document() {
            XNode n = this;
            while (n.parent != null) {
                n = n.parent;
            }
            return n instanceof XElement e ? e.document : null;
        }

        abstract XNode copy();

        abstract void write(StringBuilder sb, int indent, boolean indented, java.util.Map<String, String> scope,
                java.util.Map<String, String> written);

        private int index() {
            List<XNode> sib = parent.nodes;
            for (int k = 0; k < sib.size(); k++) {
                if (sib.get(k) == this) {
                    return k;
                }
            }
            return -1;
        }

        public XNode nextNode() {
            if (parent == null) {
                return null;
            }
            int k = index();
            return k + 1 < parent.nodes.size() ? parent.nodes.get(k + 1) : null;
        }

        public XNode previousNode() {
            if (parent == null) {
                return null;
            }
            int k = index();
            return k > 0 ? parent.nodes.get(k - 1) : null;
        }

        /** {@code XNode.Remove()}: takes the node out of its parent (a document's root leaves the document). */
        public void remove() {
            if (parent == null) {
                if (this instanceof XElement e && e.document != null) {
                    e.document.root = null;
                    e.document = null;
                    return;
                }
                throw new IllegalStateException("The parent is missing.");
            }
            parent.nodes.remove(index());
            parent = null;
        }

        /** {@code XNode.ReplaceWith(content)}: the content (nodes copied when they have a parent) where this node is. */
        public void replaceWith(Object content) {
            if (parent == null) {
                if (this instanceof XElement e && e.document != null) {
                    List<Object> items = new ArrayList<>();
                    flatten(content, items);
                    XDocument d = e.document;
                    if (items.size() != 1 || !(items.get(0) instanceof XElement r)) {
                        throw new IllegalStateException("This operation would create an incorrectly structured document.");
                    }
                    XElement nr = r.parent != null || r.document != null ? (XElement) r.copy() : r;
                    e.document = null;
                    d.root = nr;
                    nr.document = d;
                    return;
                }
                throw new IllegalStateException("The parent is missing.");
            }
            XElement p = parent;
            int at = index();
            p.nodes.remove(at);
            parent = null;
            p.insert(at, content);
        }

        /** {@code AddAfterSelf}/{@code AddBeforeSelf}. */
        public void addBeside(Object content, boolean after) {
            if (parent == null) {
                throw new IllegalStateException("The parent is missing.");
            }
            parent.insert(index() + (after ? 1 : 0), content);
        }

        /** The node's XML; {@code indented} as .NET's ToString(), false as ToString(SaveOptions.DisableFormatting). */
        public String toString(boolean indented) {
            StringBuilder sb = new StringBuilder();
            write(sb, 0, indented, inScope(parent), new java.util.HashMap<>());
            return sb.toString();
        }

        @Override
        public String toString() {
            return toString(true);
        }
    }

    /** {@code XText}: character data (kept apart from {@link XCData}, which writes as a CDATA section). */
    public static sealed class XText extends XNode permits XCData {
        String value;

        public XText(String value) {
            this.value = Objects.requireNonNull(value, "value");
        }

        public String value() {
            return value;
        }

        @Override
        XNode copy() {
            return new XText(value);
        }

        @Override
        void write(StringBuilder sb, int indent, boolean indented, java.util.Map<String, String> scope,
                java.util.Map<String, String> written) {
            sb.append(escape(value, false));
        }
    }

    /** {@code XCData}: a CDATA section. */
    public static final class XCData extends XText {
        public XCData(String value) {
            super(value);
        }

        @Override
        XNode copy() {
            return new XCData(value);
        }

        @Override
        void write(StringBuilder sb, int indent, boolean indented, java.util.Map<String, String> scope,
                java.util.Map<String, String> written) {
            sb.append("<![CDATA[").append(value.replace("]]>", "]]]]><![CDATA[>")).append("]]>");
        }
    }

    /** {@code XComment}. */
    public static final class XComment extends XNode {
        final String value;

        public XComment(String value) {
            this.value = Objects.requireNonNull(value, "value");
        }

        public String value() {
            return value;
        }

        @Override
        XNode copy() {
            return new XComment(value);
        }

        @Override
        void write(StringBuilder sb, int indent, boolean indented, java.util.Map<String, String> scope,
                java.util.Map<String, String> written) {
            sb.append("<!--").append(value).append("-->");
        }
    }

    /** The namespace prefixes declared on an element and its ancestors (prefix to URI; "" is the default namespace). */
    static java.util.Map<String, String> inScope(XElement e) {
        java.util.Map<String, String> scope = new java.util.HashMap<>();
        List<XElement> chain = new ArrayList<>();
        for (XElement p = e; p != null; p = p.parent) {
            chain.add(p);
        }
        for (int k = chain.size() - 1; k >= 0; k--) {
            chain.get(k).declare(scope);
        }
        return scope;
    }

    /**
     * The text .NET's XContainer stores for a value that is not a node: XmlConvert's forms for bool, numbers and
     * dates, else its string.
     */
    public static String stringValue(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (v instanceof Double d) {
            return d.isNaN() ? "NaN" : d.isInfinite() ? (d > 0 ? "INF" : "-INF") : Dotnet.toStr(d);
        }
        if (v instanceof Float f) {
            return stringValue(f.doubleValue());
        }
        if (v instanceof DateTime dt) {
            return dt.format("o");
        }
        return Dotnet.toStr(v);
    }

    /** Content as .NET's XContainer.Add takes it: nested collections flattened, null dropped. */
    static void flatten(Object content, List<Object> out) {
        if (content == null) {
            return;
        }
        if (content instanceof String || content instanceof XNode || content instanceof XAttribute) {
            out.add(content);
        } else if (content instanceof Object[] arr) {
            for (Object o : arr) {
                flatten(o, out);
            }
        } else if (content instanceof Iterable<?> it) {
            for (Object o : it) {
                flatten(o, out);
            }
        } else if (content instanceof XDocument) {
            throw new IllegalArgumentException("An XDocument cannot be added as content.");
        } else {
            out.add(stringValue(content));
        }
    }

    /** An element: its name, attributes, and child nodes (elements, text, CDATA, comments). */
    public static final class XElement extends XNode {
        private final XName name;
        private final String prefix;
        final List<XAttribute> attributes;
        final List<XNode> nodes = new ArrayList<>();
        XDocument document;

        XElement(XName name, String prefix, List<XAttribute> attributes) {
            this.name = name;
            this.prefix = prefix;
            this.attributes = new ArrayList<>(attributes);
            for (XAttribute a : this.attributes) {
                a.parent = this;
            }
        }

        /** {@code new XElement(name, content...)}. */
        public XElement(XName name, Object content) {
            this(name, null, List.of());
            add(content);
        }

        public XName name() {
            return name;
        }

        /** The name as written, with its prefix ({@code soap:Body}). */
        public String qualifiedName() {
            return prefix == null || prefix.isEmpty() ? name.localName() : prefix + ":" + name.localName();
        }

        public List<XAttribute> attributes() {
            return attributes;
        }

        public List<XNode> nodes() {
            return new ArrayList<>(nodes);
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

        /** The concatenated text (and CDATA) of this element and its descendants. */
        public String value() {
            StringBuilder sb = new StringBuilder();
            text(this, sb);
            return sb.toString();
        }

        private static void text(XElement e, StringBuilder sb) {
            for (XNode o : e.nodes) {
                if (o instanceof XText t) {
                    sb.append(t.value);
                } else if (o instanceof XElement c) {
                    text(c, sb);
                }
            }
        }

        /** {@code Value = v}: the content becomes one text node ("" leaves an empty, non-self-closing element). */
        public void value(String v) {
            if (v == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'value')");
            }
            removeNodes();
            nodes.add(text(v));
        }

        private XText text(String s) {
            XText t = new XText(s);
            t.parent = this;
            return t;
        }

        /** {@code Add(content)}. */
        public void add(Object content) {
            insert(nodes.size(), content);
        }

        /**
         * Inserts content at a node position as XContainer does: attributes join the attributes (a duplicate name
         * fails), nodes that already have a parent are copied, strings join a text node just before them.
         */
        public void insert(int index, Object content) {
            List<Object> items = new ArrayList<>();
            flatten(content, items);
            int at = index;
            for (Object o : items) {
                if (o instanceof XAttribute a) {
                    if (attribute(a.name()) != null) {
                        throw new IllegalStateException("Duplicate attribute.");
                    }
                    XAttribute b = a.parent != null ? new XAttribute(a.name(), a.value()) : a;
                    b.parent = this;
                    attributes.add(b);
                } else if (o instanceof String s) {
                    if (at > 0 && nodes.get(at - 1) instanceof XText t && !(t instanceof XCData)) {
                        t.value = t.value + s;
                    } else if (!s.isEmpty() || nodes.isEmpty()) {
                        nodes.add(at++, text(s));
                    }
                } else {
                    XNode n = (XNode) o;
                    boolean ancestor = false;
                    for (XElement p = this; p != null; p = p.parent) {
                        ancestor |= p == n;
                    }
                    if (n.parent != null || ancestor || n instanceof XElement e && e.document != null) {
                        n = n.copy();
                    }
                    n.parent = this;
                    nodes.add(at++, n);
                }
            }
        }

        public void removeNodes() {
            for (XNode n : nodes) {
                n.parent = null;
            }
            nodes.clear();
        }

        public void removeAttributes() {
            for (XAttribute a : attributes) {
                a.parent = null;
            }
            attributes.clear();
        }

        /** {@code SetAttributeValue(name, value)}: null removes the attribute, else it is set or added. */
        public void setAttributeValue(XName n, Object v) {
            XAttribute a = attribute(n);
            if (v == null) {
                if (a != null) {
                    a.remove();
                }
            } else if (a != null) {
                a.value(stringValue(v));
            } else {
                XAttribute b = new XAttribute(n, stringValue(v));
                b.parent = this;
                attributes.add(b);
            }
        }

        /** {@code SetElementValue(name, value)}: null removes the first such child element, else its value is set or the element added. */
        public void setElementValue(XName n, Object v) {
            XElement e = element(n);
            if (v == null) {
                if (e != null) {
                    e.remove();
                }
            } else if (e != null) {
                e.value(stringValue(v));
            } else {
                add(new XElement(n, stringValue(v)));
            }
        }

        /** {@code GetNamespaceOfPrefix(prefix)}: the namespace a prefix stands for here, or null. */
        public XNamespace namespaceOfPrefix(String p) {
            if (p == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'prefix')");
            }
            if (p.isEmpty()) {
                throw new IllegalArgumentException("'' is an invalid prefix.");
            }
            if (p.equals("xml")) {
                return new XNamespace(XMLConstants.XML_NS_URI);
            }
            if (p.equals("xmlns")) {
                return new XNamespace(XMLConstants.XMLNS_ATTRIBUTE_NS_URI);
            }
            String uri = inScope(this).get(p);
            return uri == null ? null : new XNamespace(uri);
        }

        /** Adds this element's namespace declarations (and its own parsed prefix) to a scope. */
        void declare(java.util.Map<String, String> scope) {
            for (XAttribute a : attributes) {
                if (a.name().namespace().equals(XMLConstants.XMLNS_ATTRIBUTE_NS_URI)) {
                    scope.put(a.name().localName().equals("xmlns") ? "" : a.name().localName(), a.value());
                } else if (a.name().namespace().isEmpty() && a.name().localName().equals("xmlns")) {
                    scope.put("", a.value());
                }
            }
        }

        @Override
        XNode copy() {
            XElement c = new XElement(name, prefix, List.of());
            for (XAttribute a : attributes) {
                XAttribute b = new XAttribute(a.name(), a.value());
                b.parent = c;
                c.attributes.add(b);
            }
            for (XNode n : nodes) {
                XNode k = n.copy();
                k.parent = c;
                c.nodes.add(k);
            }
            return c;
        }

        /** A deep copy with no parent ({@code new XElement(other)}). */
        public XElement deepCopy() {
            return (XElement) copy();
        }

        @Override
        void write(StringBuilder sb, int indent, boolean indented, java.util.Map<String, String> outer,
                java.util.Map<String, String> outerWritten) {
            java.util.Map<String, String> scope = new java.util.HashMap<>(outer);
            declare(scope);
            // the declarations the written text has so far: an element written out of its tree (ToString of a child)
            // declares the prefix it uses, as .NET's writer does
            java.util.Map<String, String> written = new java.util.HashMap<>(outerWritten);
            declare(written);
            StringBuilder decls = new StringBuilder();
            String tag;
            String used = null;
            if (prefix != null && !prefix.isEmpty() && name.namespace().equals(scope.get(prefix))) {
                tag = prefix + ":" + name.localName();
                used = prefix;
            } else if (name.namespace().equals(scope.getOrDefault("", ""))) {
                tag = name.localName();
                used = "";
            } else {
                String found = null;
                for (var e : scope.entrySet()) {
                    if (!e.getKey().isEmpty() && e.getValue().equals(name.namespace())) {
                        found = e.getKey();
                    }
                }
                if (found != null) {
                    tag = found + ":" + name.localName();
                    used = found;
                } else {
                    // an element whose namespace is not declared in scope declares it as the default namespace
                    decls.append(" xmlns=\"").append(escape(name.namespace(), true)).append('"');
                    scope.put("", name.namespace());
                    written.put("", name.namespace());
                    tag = name.localName();
                }
            }
            if (used != null && !name.namespace().equals(written.getOrDefault(used, used.isEmpty() ? "" : null))) {
                decls.append(used.isEmpty() ? " xmlns" : " xmlns:" + used).append("=\"").append(escape(name.namespace(), true)).append('"');
                written.put(used, name.namespace());
            }
            sb.append('<').append(tag);
            int generated = 0;
            for (XAttribute a : attributes) {
                String ns = a.name().namespace();
                String attrName;
                if (ns.equals(XMLConstants.XMLNS_ATTRIBUTE_NS_URI)) {
                    attrName = a.name().localName().equals("xmlns") ? "xmlns" : "xmlns:" + a.name().localName();
                } else if (ns.isEmpty()) {
                    attrName = a.name().localName();
                } else if (ns.equals(XMLConstants.XML_NS_URI)) {
                    attrName = "xml:" + a.name().localName();
                } else {
                    String p = null;
                    for (var e : scope.entrySet()) {
                        if (!e.getKey().isEmpty() && e.getValue().equals(ns)) {
                            p = e.getKey();
                        }
                    }
                    if (p == null) {
                        p = "p" + (++generated);
                        while (scope.containsKey(p)) {
                            p = "p" + (++generated);
                        }
                        scope.put(p, ns);
                        written.put(p, ns);
                        decls.append(" xmlns:").append(p).append("=\"").append(escape(ns, true)).append('"');
                    } else if (!ns.equals(written.get(p))) {
                        written.put(p, ns);
                        decls.append(" xmlns:").append(p).append("=\"").append(escape(ns, true)).append('"');
                    }
                    attrName = p + ":" + a.name().localName();
                }
                sb.append(' ').append(attrName).append("=\"").append(escape(a.value(), true)).append('"');
            }
            sb.append(decls);
            if (nodes.isEmpty()) {
                sb.append(" />");
                return;
            }
            sb.append('>');
            boolean indentChildren = indented && nodes.stream().noneMatch(o -> o instanceof XText);
            for (XNode o : nodes) {
                if (indentChildren) {
                    sb.append('\n').append("  ".repeat(indent + 1));
                }
                o.write(sb, indent + 1, indented && indentChildren, scope, written);
            }
            if (indentChildren) {
                sb.append('\n').append("  ".repeat(indent));
            }
            sb.append("</").append(tag).append('>');
        }
    }

    /** {@code XDocument}: the root element (null once removed). */
    public static final class XDocument {
        XElement root;

        public XDocument(XElement root) {
            this.root = root;
            if (root != null) {
                root.document = this;
            }
        }

        public XElement root() {
            return root;
        }

        public List<XElement> descendants() {
            List<XElement> out = new ArrayList<>();
            if (root != null) {
                out.add(root);
                out.addAll(root.descendants());
            }
            return out;
        }

        public List<XElement> elements() {
            return root == null ? List.of() : List.of(root);
        }

        @Override
        public String toString() {
            return root == null ? "" : root.toString();
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
            for (XNode n : e.nodes) {
                if (n instanceof XElement c) {
                    flatten(c);
                } else if (n instanceof XText t) {
                    events.add(new Event(null, false, t.value));
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

    /** {@code XElement.Parse}: the element, in no document. */
    public static XElement parseElement(String text) {
        return convert(dom(text).getDocumentElement(), null);
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
                    XText node = c.getNodeType() == Node.CDATA_SECTION_NODE ? new XCData(t) : new XText(t);
                    node.parent = x;
                    x.nodes.add(node);
                }
            } else if (c.getNodeType() == Node.COMMENT_NODE) {
                XComment node = new XComment(c.getNodeValue());
                node.parent = x;
                x.nodes.add(node);
            }
        }
        return x;
    }
}
