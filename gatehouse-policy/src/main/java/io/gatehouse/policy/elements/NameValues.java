package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The shape {@code set-header} and {@code set-query-parameter} share: a {@code name}, an
 * {@code exists-action} and {@code <value>} children, checked the same way for both, wherever
 * they stand (a policy section, {@code return-response}, {@code send-request}). {@link #applyTo}
 * is {@code set-header}'s one implementation of {@code exists-action} on a header collection.
 */
public record NameValues(Value<String> name, ExistsAction action, List<Value<String>> values) {

    public enum ExistsAction { OVERRIDE, SKIP, APPEND, DELETE }

    /** Compiles the element; null (with diagnostics reported) when it is wrong. */
    public static NameValues compile(XmlElement e, CompileContext ctx) {
        String element = e.name();
        Attributes a = ctx.attributes(e, "name", "exists-action");
        ctx.onlyChildren(e, "value");
        Value<String> name = a.requiredString("name");
        ExistsAction action = ExistsAction.valueOf(a.choice("exists-action", "override", "override", "skip", "append", "delete")
                .toUpperCase(Locale.ROOT));
        List<Value<String>> values = new ArrayList<>();
        boolean ok = name != null;
        for (XmlElement v : e.elements()) {
            ctx.attributes(v);
            ctx.noElements(v);
            SourceValue text = v.textValue();
            Value<String> val = ctx.string(text == null ? SourceValue.synthetic("", v.position()) : text, element);
            ok &= val != null;
            values.add(val);
        }
        if (action == ExistsAction.DELETE && !values.isEmpty()) {
            ctx.error(e.elements().get(0).position(), "<" + element + " exists-action=\"delete\"> takes no <value>");
            ok = false;
        } else if (action != ExistsAction.DELETE && values.isEmpty()) {
            ctx.error(e.position(), "<" + element + "> needs at least one <value> (or exists-action=\"delete\")");
            ok = false;
        }
        return ok ? new NameValues(name, action, List.copyOf(values)) : null;
    }

    /**
     * Sets the header on {@code h} as {@code exists-action} says: override replaces every value,
     * skip leaves a header that is there, append adds, delete removes; a value that evaluates to
     * null is left out, and a name that evaluates to null or "" does nothing. Returns the header's
     * name, or null when nothing was done.
     */
    public String applyTo(Headers h, Exchange exchange) {
        String n = name.get(exchange);
        if (n == null || n.isEmpty()) {
            return null;
        }
        switch (action) {
            case DELETE -> h.remove(n);
            case SKIP -> {
                if (!h.containsKey(n)) {
                    add(h, n, exchange);
                }
            }
            case APPEND -> add(h, n, exchange);
            case OVERRIDE -> {
                h.remove(n);
                add(h, n, exchange);
            }
        }
        return n;
    }

    private void add(Headers h, String n, Exchange exchange) {
        for (Value<String> v : values) {
            String s = v.get(exchange);
            if (s != null) {
                h.add(n, s);
            }
        }
    }
}
