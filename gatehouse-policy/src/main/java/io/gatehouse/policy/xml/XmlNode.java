package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

/** A node of a policy document as read by {@link XmlReader}: an element or a run of text. */
public sealed interface XmlNode permits XmlElement, XmlText {
    Position position();
}
