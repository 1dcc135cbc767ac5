package io.gatehouse.policy;

/** The four sections of a {@code <policies>} document, in the order a request meets them. */
public enum Section {
    INBOUND("inbound"), BACKEND("backend"), OUTBOUND("outbound"), ON_ERROR("on-error");

    private final String element;

    Section(String element) {
        this.element = element;
    }

    /** The XML element name, also shown in {@code context.LastError.Section}. */
    public String element() {
        return element;
    }

    public static Section byElement(String name) {
        for (Section s : values()) {
            if (s.element.equals(name)) {
                return s;
            }
        }
        return null;
    }
}
