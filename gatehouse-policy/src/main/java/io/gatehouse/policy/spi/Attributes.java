package io.gatehouse.policy.spi;

import io.gatehouse.common.Position;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;

import java.util.Arrays;
import java.util.Locale;

/**
 * Reads one element's attributes with uniform diagnostics: missing required attributes, values
 * outside a fixed set, bad numbers and booleans. Named values are substituted first.
 */
public final class Attributes {
    private final XmlElement element;
    private final CompileContext context;

    Attributes(XmlElement element, CompileContext context) {
        this.element = element;
        this.context = context;
    }

    public XmlElement element() {
        return element;
    }

    public boolean has(String name) {
        return element.attribute(name) != null;
    }

    /** Where the attribute is written, or the element when absent. */
    public Position position(String name) {
        XmlAttribute a = element.attribute(name);
        return a == null ? element.position() : a.position();
    }

    /**
     * The value as written, for messages: named values stay as {@code {{name}}} so a secret named
     * value never reaches a diagnostic.
     */
    private String shown(String name) {
        XmlAttribute a = element.attribute(name);
        return a == null ? "" : a.value().written();
    }

    /** The value as read (named values substituted, positions as written), or null. */
    public SourceValue raw(String name) {
        XmlAttribute a = element.attribute(name);
        return a == null ? null : a.value();
    }

    /** The substituted constant text, or {@code fallback} when absent. Expressions are not allowed here. */
    public String text(String name, String fallback) {
        XmlAttribute a = element.attribute(name);
        if (a == null) {
            return fallback;
        }
        String v = context.literal(a.value());
        if (v == null) { // reported: an unknown named value
            return fallback;
        }
        if (CompileContext.isExpression(v)) {
            context.error(a.position(), "attribute '" + name + "' on <" + element.name() + "> does not accept a policy expression");
            return fallback;
        }
        return v;
    }

    /** Like {@link #text} but reports a missing attribute. */
    public String requiredText(String name) {
        String v = text(name, null);
        if (v == null && !has(name)) {
            missing(name);
        }
        return v;
    }

    public void missing(String name) {
        context.error(element.position(), "<" + element.name() + "> is missing the required attribute '" + name + "'");
    }

    /** One of {@code options} (case-insensitive), returned in the options' spelling. */
    public String choice(String name, String fallback, String... options) {
        String v = text(name, null);
        if (v == null) {
            return fallback;
        }
        for (String o : options) {
            if (o.equalsIgnoreCase(v.strip())) {
                return o;
            }
        }
        context.error(position(name), "attribute '" + name + "' on <" + element.name() + ">: '" + shown(name) + "' (expected one of: "
                + String.join(", ", options) + ")" + Suggest.hint(v, Arrays.asList(options)));
        return fallback;
    }

    public boolean bool(String name, boolean fallback) {
        String v = text(name, null);
        if (v == null) {
            return fallback;
        }
        return switch (v.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                context.error(position(name), "attribute '" + name + "' on <" + element.name() + ">: '" + shown(name) + "' (expected: true or false)");
                yield fallback;
            }
        };
    }

    public int integer(String name, int fallback, int min, int max) {
        String v = text(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(v.strip());
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        context.error(position(name), "attribute '" + name + "' on <" + element.name() + ">: '" + shown(name) + "' (expected: a whole number "
                + min + "-" + max + ")");
        return fallback;
    }

    /** A string constant or expression; null when absent (or broken, after reporting). */
    public Value<String> string(String name) {
        SourceValue raw = raw(name);
        return raw == null ? null : context.string(raw, element.name());
    }

    /** Like {@link #string} but reports a missing attribute. */
    public Value<String> requiredString(String name) {
        if (!has(name)) {
            missing(name);
            return null;
        }
        return string(name);
    }

    /** A boolean constant or expression; {@code fallback} when absent. */
    public Value<Boolean> booleanValue(String name, boolean fallback) {
        SourceValue raw = raw(name);
        if (raw == null) {
            return Value.constant(fallback);
        }
        return context.value(raw, Boolean.class, element.name(), t -> switch (t.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> {
                context.error(position(name), "attribute '" + name + "' on <" + element.name() + ">: '" + shown(name)
                        + "' (expected: true, false or a policy expression)");
                yield null;
            }
        });
    }

    /** An integer constant or expression within [min, max]; null when absent or broken. */
    public Value<Integer> integerValue(String name, int min, int max) {
        SourceValue raw = raw(name);
        if (raw == null) {
            return null;
        }
        return context.value(raw, Integer.class, element.name(), t -> {
            try {
                int i = Integer.parseInt(t.strip());
                if (i >= min && i <= max) {
                    return i;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            context.error(position(name), "attribute '" + name + "' on <" + element.name() + ">: '" + shown(name)
                    + "' (expected: a whole number " + min + "-" + max + " or a policy expression)");
            return null;
        });
    }
}
