package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Xml;
import io.gatehouse.expr.lib.Xml.XAttribute;
import io.gatehouse.expr.lib.Xml.XDocument;
import io.gatehouse.expr.lib.Xml.XElement;
import io.gatehouse.expr.lib.Xml.XName;
import io.gatehouse.expr.lib.Xml.XNamespace;

import java.util.ArrayList;
import java.util.List;

/**
 * LINQ to XML members: {@code XDocument}, {@code XElement}, {@code XAttribute}, {@code XName},
 * {@code XNamespace}. Names are accepted as strings ({@code "local"} or {@code "{ns}local"}) or
 * {@code XName}s, as .NET's implicit conversion allows.
 */
final class NsSystemXml {
    private static final Type B = Type.BOOL;
    private static final Type O = Type.OBJECT;
    private static final Type S = Type.STRING;

    private NsSystemXml() {
    }

    static XDocument parse(String s) {
        try {
            return Xml.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.Xml.XmlException", e.getMessage());
        }
    }

    static XElement parseElement(String s) {
        try {
            return Xml.parseElement(s);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.Xml.XmlException", e.getMessage());
        }
    }

    /** Runs a change of the XML tree, with .NET's exception types. */
    private static Object change(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalStateException e) {
            throw new ExpressionException("System.InvalidOperationException", e.getMessage());
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            throw new ExpressionException(msg != null && msg.startsWith("Value cannot be null.") ? "System.ArgumentNullException"
                    : "System.ArgumentException", msg);
        }
    }

    /** {@code System.Xml.Linq.SaveOptions}. */
    enum SaveOptions { None, DisableFormatting, OmitDuplicateNamespaces }

    /**
     * Building and changing trees: the XElement, XAttribute, XText, XCData, XComment and XDocument constructors,
     * Add/AddFirst, Remove/RemoveAll/RemoveAttributes/RemoveNodes, SetAttributeValue/SetElementValue,
     * ReplaceWith/ReplaceNodes, AddAfterSelf/AddBeforeSelf, Nodes/FirstNode/LastNode/NextNode/PreviousNode,
     * Document, GetNamespaceOfPrefix, Value setters, ToString(SaveOptions).
     */
    static void registerTree(Library l) {
        Members m = l.m;
        Type el = l.tXElement;
        Type doc = l.tXDocument;
        Type attr = m.named("XAttribute");
        Type ns = l.tXNamespace;
        Type node = m.type("XNode", Xml.XNode.class);
        Type text = m.type("XText", Xml.XText.class);
        Type cdata = m.type("XCData", Xml.XCData.class);
        Type comment = m.type("XComment", Xml.XComment.class);
        m.parent(el, node);
        m.parent(cdata, text);
        m.parent(text, node);
        m.parent(comment, node);
        Type save = m.type("SaveOptions", SaveOptions.class);
        l.enumType("SaveOptions", save, SaveOptions.values());
        l.staticName("SaveOptions", "SaveOptions");
        Type V = Type.VOID;
        String n = node.name();
        m.prop(n, "Parent", el, o -> ((Xml.XNode) o).parent());
        m.prop(n, "Document", doc, o -> ((Xml.XNode) o).document());
        m.prop(n, "NextNode", node, o -> ((Xml.XNode) o).nextNode());
        m.prop(n, "PreviousNode", node, o -> ((Xml.XNode) o).previousNode());
        m.method(n, "Remove", V, (o, a, x) -> change(() -> {
            ((Xml.XNode) o).remove();
            return null;
        }));
        m.method(n, "ReplaceWith", V, (o, a, x) -> change(() -> {
            ((Xml.XNode) o).replaceWith(a.length == 1 ? a[0] : a);
            return null;
        }), O);
        for (boolean after : new boolean[] {true, false}) {
            m.method(n, after ? "AddAfterSelf" : "AddBeforeSelf", V, (o, a, x) -> change(() -> {
                ((Xml.XNode) o).addBeside(a[0], after);
                return null;
            }), O);
        }
        m.method(n, "ToString", S, (o, a, x) -> ((Xml.XNode) o).toString(a[0] != SaveOptions.DisableFormatting), save);
        m.method(doc, "ToString", S, (o, a, x) -> {
            XElement r = ((XDocument) o).root();
            return r == null ? "" : r.toString(a[0] != SaveOptions.DisableFormatting);
        }, save);
        m.prop(text, "Value", S, o -> ((Xml.XText) o).value());
        m.prop(comment, "Value", S, o -> ((Xml.XComment) o).value());
        m.method("new:XText", ".ctor", text, (o, a, x) -> change(() -> new Xml.XText((String) a[0])), S);
        m.method("new:XCData", ".ctor", cdata, (o, a, x) -> change(() -> new Xml.XCData((String) a[0])), S);
        m.method("new:XComment", ".ctor", comment, (o, a, x) -> change(() -> new Xml.XComment((String) a[0])), S);
        m.method("new:XAttribute", ".ctor", attr, (o, a, x) -> change(() -> {
            if (a[1] == null) {
                throw new IllegalArgumentException("Value cannot be null. (Parameter 'value')");
            }
            return new XAttribute(name(a[0]), Xml.stringValue(a[1]));
        }), O, O);
        m.prop(attr, "Parent", el, o -> ((XAttribute) o).parent());
        m.method(attr, "Remove", V, (o, a, x) -> change(() -> {
            ((XAttribute) o).remove();
            return null;
        }));
        l.setter(attr, "Value", S, (o, v) -> change(() -> {
            ((XAttribute) o).value((String) v);
            return null;
        }));
        l.setter(el, "Value", S, (o, v) -> change(() -> {
            ((XElement) o).value((String) v);
            return null;
        }));
        // new XElement(other) copies; new XElement(name, content...) builds
        m.method("new:XElement", ".ctor", el, (o, a, x) -> a[0] instanceof XElement other ? other.deepCopy()
                : change(() -> new XElement(name(a[0]), null)), O);
        m.method("new:XDocument", ".ctor", doc, (o, a, x) -> new XDocument(null));
        for (int k = 1; k < Ops.MAX_PARAMS; k++) {
            Type[] ps = new Type[k + 1];
            java.util.Arrays.fill(ps, O);
            m.method("new:XElement", ".ctor", el, (o, a, x) -> change(() -> new XElement(name(a[0]),
                    java.util.Arrays.copyOfRange(a, 1, a.length))), ps);
            Type[] content = java.util.Arrays.copyOf(ps, k);
            m.method("new:XDocument", ".ctor", doc, (o, a, x) -> change(() -> document(a)), content);
            m.method(el, "Add", V, (o, a, x) -> change(() -> {
                ((XElement) o).add(a);
                return null;
            }), content);
            m.method(el, "AddFirst", V, (o, a, x) -> change(() -> {
                ((XElement) o).insert(0, a);
                return null;
            }), content);
            m.method(el, "ReplaceNodes", V, (o, a, x) -> change(() -> {
                List<Object> snapshot = new ArrayList<>();
                for (Object c : a) {
                    snapshot.add(c instanceof Iterable<?> || c instanceof Object[] ? new ArrayList<>(Ops.seq(c)) : c);
                }
                ((XElement) o).removeNodes();
                ((XElement) o).add(snapshot);
                return null;
            }), content);
        }
        m.method(el, "Attributes", Type.listOf(attr), (o, a, x) -> {
            XName an = name(a[0]);
            return new ArrayList<Object>(((XElement) o).attributes().stream().filter(at -> at.name().equals(an)).toList());
        }, O);
        // Extensions.Attributes([name]) on a sequence of elements
        for (String owner : new String[] {"IEnumerable", "List", "Array"}) {
            m.methodR(owner, "Attributes", (t, args, ta) -> t.elem() != null && t.elem().cls() == XElement.class ? Type.listOf(attr) : null,
                    (o, a, x) -> {
                        List<Object> out = new ArrayList<>();
                        for (Object e : Ops.seq(o)) {
                            out.addAll(((XElement) e).attributes());
                        }
                        return out;
                    });
            m.methodR(owner, "Attributes", (t, args, ta) -> t.elem() != null && t.elem().cls() == XElement.class ? Type.listOf(attr) : null,
                    (o, a, x) -> {
                        XName an = name(a[0]);
                        List<Object> out = new ArrayList<>();
                        for (Object e : Ops.seq(o)) {
                            for (XAttribute at : ((XElement) e).attributes()) {
                                if (at.name().equals(an)) {
                                    out.add(at);
                                }
                            }
                        }
                        return out;
                    }, O);
        }
        // Extensions.Remove() on a sequence of nodes or attributes: each one that still has a parent leaves it
        for (String owner : new String[] {"IEnumerable", "List", "Array"}) {
            m.methodR(owner, "Remove", (t, args, ta) -> t.elem() != null && (t.elem().cls() == XElement.class
                    || Xml.XNode.class.isAssignableFrom(t.elem().cls()) || t.elem().cls() == XAttribute.class) ? V : null, (o, a, x) -> {
                        for (Object item : Ops.seq(o)) {
                            if (item instanceof Xml.XNode xn && (xn.parent() != null || xn instanceof XElement xe && xe.document() != null)) {
                                xn.remove();
                            } else if (item instanceof XAttribute xa && xa.parent() != null) {
                                xa.remove();
                            }
                        }
                        return null;
                    });
        }
        m.method(el, "Nodes", Type.listOf(node), (o, a, x) -> new ArrayList<Object>(((XElement) o).nodes()));
        m.prop(el, "FirstNode", node, o -> {
            List<Xml.XNode> c = ((XElement) o).nodes();
            return c.isEmpty() ? null : c.get(0);
        });
        m.prop(el, "LastNode", node, o -> {
            List<Xml.XNode> c = ((XElement) o).nodes();
            return c.isEmpty() ? null : c.get(c.size() - 1);
        });
        m.method(el, "RemoveAll", V, (o, a, x) -> {
            ((XElement) o).removeAttributes();
            ((XElement) o).removeNodes();
            return null;
        });
        m.method(el, "RemoveAttributes", V, (o, a, x) -> {
            ((XElement) o).removeAttributes();
            return null;
        });
        m.method(el, "RemoveNodes", V, (o, a, x) -> {
            ((XElement) o).removeNodes();
            return null;
        });
        m.method(el, "SetAttributeValue", V, (o, a, x) -> change(() -> {
            ((XElement) o).setAttributeValue(name(a[0]), a[1]);
            return null;
        }), O, O);
        m.method(el, "SetElementValue", V, (o, a, x) -> change(() -> {
            ((XElement) o).setElementValue(name(a[0]), a[1]);
            return null;
        }), O, O);
        m.method(el, "GetNamespaceOfPrefix", ns, (o, a, x) -> change(() -> ((XElement) o).namespaceOfPrefix((String) a[0])), S);
    }

    /** {@code new XDocument(content...)}: one root element; comments and whitespace aside, anything else is refused. */
    private static XDocument document(Object[] content) {
        List<Object> items = new ArrayList<>();
        for (Object c : content) {
            if (c instanceof Iterable<?> || c instanceof Object[]) {
                items.addAll(Ops.seq(c));
            } else if (c != null) {
                items.add(c);
            }
        }
        XElement root = null;
        for (Object c : items) {
            if (c instanceof XElement e) {
                if (root != null) {
                    throw new IllegalStateException("This operation would create an incorrectly structured document.");
                }
                root = e.parent() != null || e.document() != null ? e.deepCopy() : e;
            } else if (!(c instanceof Xml.XComment) && !(c instanceof String s && s.isBlank())) {
                throw new IllegalArgumentException("Non-whitespace characters cannot be added to content.");
            }
        }
        return new XDocument(root);
    }

    static XName name(Object v) {
        if (v instanceof XName n) {
            return n;
        }
        if (v == null) {
            throw Ops.argNull("name");
        }
        try {
            return XName.of((String) v);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.Xml.XmlException", e.getMessage());
        } catch (ClassCastException e) {
            throw ExpressionException.invalidCast();
        }
    }

    private static List<Object> objects(List<XElement> l) {
        return new ArrayList<>(l);
    }

    static void register(Library l) {
        Members m = l.m;
        Type name = m.type("XName", XName.class);
        Type ns = m.type("XNamespace", XNamespace.class);
        Type doc = m.type("XDocument", XDocument.class);
        Type el = m.type("XElement", XElement.class);
        Type attr = m.type("XAttribute", XAttribute.class);
        l.tXName = name;
        l.tXNamespace = ns;
        l.tXDocument = doc;
        l.tXElement = el;
        Type els = Type.listOf(el);
        for (String st : new String[] {"XDocument", "XElement", "XName", "XNamespace"}) {
            l.staticName(st, st);
        }

        m.method("static:XDocument", "Parse", doc, (o, a, x) -> parse((String) a[0]), S);
        m.method("static:XElement", "Parse", el, (o, a, x) -> parseElement((String) a[0]), S);
        m.method("static:XNamespace", "Get", ns, (o, a, x) -> new XNamespace((String) a[0]), S);
        l.staticProp("XNamespace", "None", ns, o -> new XNamespace(""));
        m.method("static:XName", "Get", name, (o, a, x) -> name(a[0]), S);
        m.method("static:XName", "Get", name, (o, a, x) -> new XName((String) a[1], (String) a[0]), S, S);

        m.prop(name, "LocalName", S, o -> ((XName) o).localName());
        m.prop(name, "NamespaceName", S, o -> ((XName) o).namespace());
        m.prop(name, "Namespace", ns, o -> new XNamespace(((XName) o).namespace()));
        m.prop(ns, "NamespaceName", S, o -> ((XNamespace) o).uri());
        m.method(ns, "GetName", name, (o, a, x) -> ((XNamespace) o).plus((String) a[0]), S);
        m.prop(attr, "Name", name, o -> ((XAttribute) o).name());
        m.prop(attr, "Value", S, o -> ((XAttribute) o).value());

        m.prop(doc, "Root", el, o -> ((XDocument) o).root());
        m.method(doc, "Descendants", els, (o, a, x) -> objects(((XDocument) o).descendants()));
        m.method(doc, "Descendants", els, (o, a, x) -> {
            XName n = name(a[0]);
            return objects(((XDocument) o).descendants().stream().filter(e -> e.name().equals(n)).toList());
        }, O);
        m.method(doc, "Elements", els, (o, a, x) -> objects(((XDocument) o).elements()));
        m.method(doc, "Elements", els, (o, a, x) -> {
            XName n = name(a[0]);
            return objects(((XDocument) o).elements().stream().filter(e -> e.name().equals(n)).toList());
        }, O);
        m.method(doc, "Element", el, (o, a, x) -> {
            XElement r = ((XDocument) o).root();
            return r.name().equals(name(a[0])) ? r : null;
        }, O);

        m.prop(el, "Name", name, o -> ((XElement) o).name());
        m.prop(el, "Value", S, o -> ((XElement) o).value());
        m.prop(el, "Parent", el, o -> ((XElement) o).parent());
        m.prop(el, "HasElements", B, o -> ((XElement) o).hasElements());
        m.prop(el, "HasAttributes", B, o -> !((XElement) o).attributes().isEmpty());
        m.prop(el, "IsEmpty", B, o -> ((XElement) o).isEmpty());
        m.method(el, "Attribute", attr, (o, a, x) -> ((XElement) o).attribute(name(a[0])), O);
        m.method(el, "Attributes", Type.listOf(attr), (o, a, x) -> new ArrayList<Object>(((XElement) o).attributes()));
        m.method(el, "Element", el, (o, a, x) -> ((XElement) o).element(name(a[0])), O);
        m.method(el, "Elements", els, (o, a, x) -> objects(((XElement) o).elements()));
        m.method(el, "Elements", els, (o, a, x) -> objects(((XElement) o).elements(name(a[0]))), O);
        m.method(el, "Descendants", els, (o, a, x) -> objects(((XElement) o).descendants()));
        m.method(el, "Descendants", els, (o, a, x) -> {
            XName n = name(a[0]);
            return objects(((XElement) o).descendants().stream().filter(e -> e.name().equals(n)).toList());
        }, O);

        // the axes over the parent links: Ancestors, AncestorsAndSelf, DescendantsAndSelf, ElementsAfterSelf,
        // ElementsBeforeSelf, each with an optional name filter (document order, ancestors nearest first)
        java.util.Map<String, java.util.function.Function<XElement, List<XElement>>> axes = new java.util.LinkedHashMap<>();
        axes.put("Ancestors", e -> {
            List<XElement> out = new ArrayList<>();
            for (XElement p = e.parent(); p != null; p = p.parent()) {
                out.add(p);
            }
            return out;
        });
        axes.put("AncestorsAndSelf", e -> {
            List<XElement> out = new ArrayList<>();
            for (XElement p = e; p != null; p = p.parent()) {
                out.add(p);
            }
            return out;
        });
        axes.put("DescendantsAndSelf", e -> {
            List<XElement> out = new ArrayList<>();
            out.add(e);
            out.addAll(e.descendants());
            return out;
        });
        axes.put("ElementsAfterSelf", e -> siblings(e, true));
        axes.put("ElementsBeforeSelf", e -> siblings(e, false));
        axes.forEach((axis, f) -> {
            m.method(el, axis, els, (o, a, x) -> objects(f.apply((XElement) o)));
            m.method(el, axis, els, (o, a, x) -> {
                XName n = name(a[0]);
                return objects(f.apply((XElement) o).stream().filter(e -> e.name().equals(n)).toList());
            }, O);
        });

        // LINQ to XML's extension methods on sequences of elements: docs.Elements(name), docs.Descendants(name)
        for (String owner : new String[] {"IEnumerable", "List"}) {
            m.methodR(owner, "Elements", (t, args, ta) -> t.elem() != null && t.elem().name().equals("XElement") ? els : null,
                    (o, a, x) -> {
                        XName n = name(a[0]);
                        List<Object> out = new ArrayList<>();
                        for (Object e : Ops.seq(o)) {
                            out.addAll(((XElement) e).elements(n));
                        }
                        return out;
                    }, O);
            m.methodR(owner, "Descendants", (t, args, ta) -> t.elem() != null && t.elem().name().equals("XElement") ? els : null,
                    (o, a, x) -> {
                        XName n = name(a[0]);
                        List<Object> out = new ArrayList<>();
                        for (Object e : Ops.seq(o)) {
                            for (XElement d : ((XElement) e).descendants()) {
                                if (d.name().equals(n)) {
                                    out.add(d);
                                }
                            }
                        }
                        return out;
                    }, O);
        }
        l.element(doc, el);

        // XmlReader.Create(new StringReader(xml)): a forward-only cursor; XNode.ReadFrom(reader) takes an element
        Type sr = m.type("StringReader", StringText.class);
        m.method("new:StringReader", ".ctor", sr, (o, a, x) -> {
            if (a[0] == null) {
                throw Ops.argNull("s");
            }
            return new StringText((String) a[0]);
        }, S);
        m.method(sr, "ReadToEnd", S, (o, a, x) -> ((StringText) o).text());
        m.method(sr, "Dispose", Type.VOID, (o, a, x) -> null);
        Type nodeType = m.type("XmlNodeType", XmlNodeType.class);
        l.enumType("XmlNodeType", nodeType, XmlNodeType.values());
        l.staticName("XmlNodeType", "XmlNodeType");
        Type xr = m.type("XmlReader", Xml.XmlReader.class);
        l.staticName("XmlReader", "XmlReader");
        m.method("static:XmlReader", "Create", xr, (o, a, x) -> new Xml.XmlReader(parse(((StringText) a[0]).text())), sr);
        m.method(xr, "Read", B, (o, a, x) -> ((Xml.XmlReader) o).read());
        m.method(xr, "MoveToContent", nodeType, (o, a, x) -> XmlNodeType.valueOf(((Xml.XmlReader) o).moveToContent()));
        m.prop(xr, "EOF", B, o -> ((Xml.XmlReader) o).eof());
        m.prop(xr, "Name", S, o -> ((Xml.XmlReader) o).name());
        m.prop(xr, "LocalName", S, o -> ((Xml.XmlReader) o).localName());
        m.prop(xr, "NamespaceURI", S, o -> ((Xml.XmlReader) o).namespaceUri());
        m.prop(xr, "Value", S, o -> ((Xml.XmlReader) o).value());
        m.prop(xr, "NodeType", nodeType, o -> XmlNodeType.valueOf(((Xml.XmlReader) o).nodeType()));
        m.prop(xr, "IsEmptyElement", B, o -> ((Xml.XmlReader) o).isEmptyElement());
        m.prop(xr, "Depth", Type.INT, o -> ((Xml.XmlReader) o).depth());
        m.method(xr, "GetAttribute", S, (o, a, x) -> ((Xml.XmlReader) o).getAttribute((String) a[0]), S);
        m.method(xr, "ReadElementContentAsString", S, (o, a, x) -> readerCall(() -> ((Xml.XmlReader) o).readElementContentAsString()));
        m.method(xr, "Dispose", Type.VOID, (o, a, x) -> null);
        m.method(xr, "Close", Type.VOID, (o, a, x) -> null);
        xmlDocument(l, m);
        registerTree(l);
        l.staticName("XNode", "XNode");
        m.method("static:XNode", "ReadFrom", el, (o, a, x) -> readerCall(() -> ((Xml.XmlReader) a[0]).readElement()), xr);
    }

    private static void xmlDocument(Library l, Members m) {
        Type S = Type.STRING;
        Type doc = m.type("XmlDocument", Xml.XmlDocument.class);
        Type node = m.type("XmlNode", org.w3c.dom.Node.class);
        m.alias("XmlElement", node);
        m.alias("XmlAttribute", node);
        Type nodes = Type.realListOf(node);
        m.alias("XmlNodeList", nodes);
        Type attrs = new Type("XmlAttributeCollection", org.w3c.dom.NamedNodeMap.class, null);
        m.method("new:XmlDocument", ".ctor", doc, (o, a, x) -> new Xml.XmlDocument());
        m.method(doc, "LoadXml", Type.VOID, (o, a, x) -> {
            try {
                ((Xml.XmlDocument) o).loadXml((String) a[0]);
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.Xml.XmlException", e.getMessage());
            }
            return null;
        }, S);
        m.prop(doc, "DocumentElement", node, o -> ((Xml.XmlDocument) o).documentElement());
        m.method(doc, "SelectSingleNode", node, (o, a, x) -> xpath(() -> Xml.selectSingleNode(((Xml.XmlDocument) o).node(), (String) a[0])), S);
        m.method(doc, "SelectNodes", nodes, (o, a, x) -> xpath(() -> new ArrayList<Object>(Xml.selectNodes(((Xml.XmlDocument) o).node(), (String) a[0]))), S);
        m.prop(doc, "InnerText", S, o -> {
            org.w3c.dom.Element e = ((Xml.XmlDocument) o).documentElement();
            return e == null ? "" : e.getTextContent();
        });
        m.method(node, "SelectSingleNode", node, (o, a, x) -> xpath(() -> Xml.selectSingleNode((org.w3c.dom.Node) o, (String) a[0])), S);
        m.method(node, "SelectNodes", nodes, (o, a, x) -> xpath(() -> new ArrayList<Object>(Xml.selectNodes((org.w3c.dom.Node) o, (String) a[0]))), S);
        m.prop(node, "InnerText", S, o -> ((org.w3c.dom.Node) o).getTextContent());
        m.prop(node, "Name", S, o -> ((org.w3c.dom.Node) o).getNodeName());
        m.prop(node, "LocalName", S, o -> {
            org.w3c.dom.Node n = (org.w3c.dom.Node) o;
            return n.getLocalName() == null ? n.getNodeName() : n.getLocalName();
        });
        m.prop(node, "NamespaceURI", S, o -> {
            String ns = ((org.w3c.dom.Node) o).getNamespaceURI();
            return ns == null ? "" : ns;
        });
        m.prop(node, "Value", S, o -> {
            org.w3c.dom.Node n = (org.w3c.dom.Node) o;
            return n.getNodeType() == org.w3c.dom.Node.ELEMENT_NODE ? null : n.getNodeValue();
        });
        m.prop(node, "ParentNode", node, o -> ((org.w3c.dom.Node) o).getParentNode());
        m.prop(node, "HasChildNodes", Type.BOOL, o -> ((org.w3c.dom.Node) o).hasChildNodes());
        m.prop(node, "ChildNodes", nodes, o -> {
            org.w3c.dom.NodeList c = ((org.w3c.dom.Node) o).getChildNodes();
            List<Object> out = new ArrayList<>();
            for (int k = 0; k < c.getLength(); k++) {
                out.add(c.item(k));
            }
            return out;
        });
        m.method(node, "GetAttribute", S, (o, a, x) -> o instanceof org.w3c.dom.Element e ? e.getAttribute((String) a[0]) : "", S);
        m.prop(node, "Attributes", attrs, o -> ((org.w3c.dom.Node) o).getAttributes());
        l.indexer(attrs, S, node, (o, k) -> ((org.w3c.dom.NamedNodeMap) o).getNamedItem((String) k), null);
        m.prop(attrs.name(), "Count", Type.INT, o -> ((org.w3c.dom.NamedNodeMap) o).getLength());
    }

    private static Object xpath(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalStateException e) {
            throw new ExpressionException("System.Xml.XPath.XPathException", e.getMessage());
        }
    }

    /** {@code System.Xml.XmlNodeType}, the kinds of node this reader stops at. */
    enum XmlNodeType { None, Element, Text, EndElement }

    /** {@code System.IO.StringReader}: only as the source of an XmlReader. */
    record StringText(String text) {
        @Override
        public String toString() {
            return "System.IO.StringReader";
        }
    }

    private static Object readerCall(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalStateException e) {
            throw new ExpressionException("System.InvalidOperationException", e.getMessage());
        }
    }

    /** The parent's child elements after (or before) {@code e}, in document order; none for a root. */
    private static List<XElement> siblings(XElement e, boolean after) {
        XElement p = e.parent();
        if (p == null) {
            return List.of();
        }
        List<XElement> all = p.elements();
        int at = -1;
        for (int k = 0; k < all.size(); k++) {
            if (all.get(k) == e) {
                at = k;
                break;
            }
        }
        return after ? all.subList(at + 1, all.size()) : all.subList(0, Math.max(at, 0));
    }
}
