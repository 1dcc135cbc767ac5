package io.gatehouse.policy.elements.liquid;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.Json;

import java.util.HashMap;
import java.util.Map;

/** The top-level variables of a set-body template: {@code context} and {@code body}. */
public final class LiquidBindings {
    private LiquidBindings() {
    }

    /** {@code context} for {@code c}, and {@code body} (already converted by {@link #json} or {@link #xml}, or raw text, or null). */
    public static Map<String, Object> of(PolicyContext c, Object body) {
        Map<String, Object> m = new HashMap<>();
        m.put("context", new ContextDrop(c));
        m.put("body", body);
        return m;
    }

    /**
     * A JSON body as template values; with {@code parseDates} (set-body's {@code parse-date},
     * default true) date-time strings become dates, which print as {@code MM/dd/yyyy HH:mm:ss}.
     * Throws IllegalArgumentException when the text is not JSON.
     */
    public static Object json(String text, boolean parseDates) {
        return XmlBody.json(Json.parse(text), parseDates);
    }

    /** An XML body as template values; throws IllegalArgumentException when it is not well-formed XML. */
    public static Object xml(String text, boolean nilAsNull) {
        return XmlBody.parse(text, nilAsNull);
    }
}
