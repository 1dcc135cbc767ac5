package io.gatehouse.policy.elements;

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
 * {@code exists-action} and {@code <value>} children, checked the same way for both.
 */
record NameValues(Value<String> name, ExistsAction action, List<Value<String>> values) {

    enum ExistsAction { OVERRIDE, SKIP, APPEND, DELETE }

    /** Compiles the element; null (with diagnostics reported) when it is wrong. */
    static NameValues compile(XmlElement e, CompileContext ctx) {
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
}
