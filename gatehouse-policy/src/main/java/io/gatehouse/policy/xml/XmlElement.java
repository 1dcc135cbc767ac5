package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * An element of a policy document with the position of its {@code <}, its attributes in source
 * order and its children (elements and text, comments dropped).
 */
public record XmlElement(String name, Position position, List<XmlAttribute> attributes, List<XmlNode> children)
        implements XmlNode {
    public XmlElement {
        requireNonNull(name, "name");
        requireNonNull(position, "position");
        attributes = List.copyOf(attributes);
        children = List.copyOf(children);
    }

    /** The attribute with this exact name, or null. */
    public XmlAttribute attribute(String attributeName) {
        for (XmlAttribute a : attributes) {
            if (a.name().equals(attributeName)) {
                return a;
            }
        }
        return null;
    }

    /** Child elements only, in order. */
    public List<XmlElement> elements() {
        List<XmlElement> out = new ArrayList<>();
        for (XmlNode n : children) {
            if (n instanceof XmlElement e) {
                out.add(e);
            }
        }
        return out;
    }

    /** The text children that are not blank, in order. */
    public List<XmlText> texts() {
        List<XmlText> out = new ArrayList<>();
        for (XmlNode n : children) {
            if (n instanceof XmlText t && !t.isBlank()) {
                out.add(t);
            }
        }
        return out;
    }

    /** The concatenated text content of this element's direct text children, or null if none. */
    public SourceValue textValue() {
        SourceValue acc = null;
        for (XmlNode n : children) {
            if (n instanceof XmlText t) {
                acc = acc == null ? t.value() : acc.concat(t.value());
            }
        }
        return acc;
    }
}
