package io.gatehouse.expr.internal;

import java.util.HashMap;
import java.util.Map;

/** A dictionary made with StringComparer.OrdinalIgnoreCase: keys compare without case, keep their first spelling. */
final class IgnoreCaseMap extends java.util.LinkedHashMap<Object, Object> {
    private final Map<String, Object> canonical = new HashMap<>();

    private Object canon(Object k) {
        if (k instanceof String s) {
            Object c = canonical.get(s.toLowerCase(java.util.Locale.ROOT));
            return c == null ? s : c;
        }
        return k;
    }

    @Override
    public Object get(Object k) {
        return super.get(canon(k));
    }

    @Override
    public boolean containsKey(Object k) {
        return super.containsKey(canon(k));
    }

    @Override
    public Object put(Object k, Object v) {
        Object c = canon(k);
        if (c instanceof String s) {
            canonical.putIfAbsent(s.toLowerCase(java.util.Locale.ROOT), s);
        }
        return super.put(c, v);
    }

    @Override
    public Object remove(Object k) {
        Object c = canon(k);
        if (c instanceof String s) {
            canonical.remove(s.toLowerCase(java.util.Locale.ROOT));
        }
        return super.remove(c);
    }
}
