package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import static java.util.Objects.requireNonNull;

/**
 * One attribute of an element.
 *
 * @param name the attribute name as written
 * @param position where the name starts
 * @param value the value, entities decoded, with the source position of every character
 */
public record XmlAttribute(String name, Position position, SourceValue value) {
    public XmlAttribute {
        requireNonNull(name, "name");
        requireNonNull(position, "position");
        requireNonNull(value, "value");
    }

    public String text() {
        return value.text();
    }
}
