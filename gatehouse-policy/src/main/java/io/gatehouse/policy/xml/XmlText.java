package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import static java.util.Objects.requireNonNull;

/**
 * Character data between tags, entities decoded (CDATA kept as is).
 *
 * @param value the text with a source position for every character
 * @param cdata whether it came from a {@code <![CDATA[...]]>} section
 */
public record XmlText(SourceValue value, boolean cdata) implements XmlNode {
    public XmlText {
        requireNonNull(value, "value");
    }

    @Override
    public Position position() {
        return value.start();
    }

    public boolean isBlank() {
        return !cdata && value.text().isBlank();
    }
}
