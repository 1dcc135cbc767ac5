package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.Formatting;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Json;

import java.util.ArrayList;
import java.util.List;

import static io.gatehouse.expr.internal.Args.i;
import static io.gatehouse.expr.internal.Args.n;
import static io.gatehouse.expr.internal.Args.s;

/**
 * {@code Newtonsoft.Json.Linq}: {@code JToken}, {@code JObject}, {@code JArray}, {@code JValue},
 * {@code JProperty} and {@code JTokenType}.
 */
final class NsNewtonsoftJsonLinq {
    private NsNewtonsoftJsonLinq() {
    }

    /** Enum values as static members. */
    static void registerEnums(Library l) {
        l.enumType("JTokenType", l.tJTokenType, JToken.Type.values());
    }

    static void registerJson(Library l) {
        Members m = l.m;
        json(l, m);
    }

    /** JProperty.Remove(). */
    static void registerJPropertyRemove(Library l) {
        Members m = l.m;
        m.method(l.tJProperty, "Remove", Type.VOID, (o, a, x) -> change(((JToken) o)::remove));
    }

    private static JToken parseJson(Object s) {
        if (s == null) {
            throw Ops.argNull("json");
        }
        try {
            return Json.parse(s(s));
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonReaderException", e.getMessage());
        }
    }

    private static JToken jget(Object o, Object key) {
        try {
            return ((JToken) o).get(key instanceof Character c ? c.toString() : key);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.InvalidOperationException", e.getMessage());
        } catch (IndexOutOfBoundsException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    /** Newtonsoft's Value&lt;T&gt;: converts a JValue; null stays null for reference types. */
    static Object valueAs(JToken tok, Type t) {
        if (tok == null) {
            return Conv.zero(t) == null ? null : Conv.zero(t);
        }
        if (t.isDynamic() || JToken.class.isAssignableFrom(t.cls())) {
            return tok instanceof JValue jv && t.isDynamic() ? jv.value() : tok;
        }
        if (!(tok instanceof JValue)) {
            throw new ExpressionException("System.InvalidCastException", "Cannot cast " + tok.getClass().getSimpleName()
                    + " to " + tok.getClass().getSimpleName().replace("JObject", "JToken") + ".");
        }
        return Conv.cast(tok, t, false);
    }

    /** {@code SelectToken(path)}: the one token the path selects, or null; more than one fails as Newtonsoft does. */
    static JToken selectToken(JToken root, String path) {
        return selectToken(root, path, false);
    }

    static JToken selectToken(JToken root, String path, boolean errorWhenNoMatch) {
        List<JToken> found = JsonPath.select(root, path, errorWhenNoMatch);
        if (found.size() > 1) {
            throw new ExpressionException("Newtonsoft.Json.JsonException", "Path returned multiple tokens.");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /** Runs a change of the token model, with Newtonsoft's exception types. */
    private static Object change(Runnable r) {
        try {
            r.run();
        } catch (IllegalStateException e) {
            throw new ExpressionException("System.InvalidOperationException", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentException", e.getMessage());
        } catch (JToken.JsonException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonException", e.getMessage());
        }
        return null;
    }

    /** Parent, Root, Path, Next, Previous, Replace, Remove, AddAfterSelf, AddBeforeSelf, AddFirst, Merge, Descendants, SelectTokens. */
    static void registerTree(Library l) {
        Members m = l.m;
        Type T = l.tJToken;
        Type O = Type.OBJECT;
        Type V = Type.VOID;
        String t = T.name();
        m.prop(t, "Parent", T, o -> ((JToken) o).parent());
        m.prop(t, "Root", T, o -> ((JToken) o).root());
        m.prop(t, "Path", Type.STRING, o -> ((JToken) o).path());
        m.prop(t, "Next", T, o -> ((JToken) o).next());
        m.prop(t, "Previous", T, o -> ((JToken) o).previous());
        m.method(t, "Remove", V, (o, a, x) -> change(((JToken) o)::remove));
        m.method(t, "Replace", V, (o, a, x) -> change(() -> ((JToken) o).replace(a[0])), O);
        m.method(t, "AddAfterSelf", V, (o, a, x) -> change(() -> ((JToken) o).addBeside(a[0], true)), O);
        m.method(t, "AddBeforeSelf", V, (o, a, x) -> change(() -> ((JToken) o).addBeside(a[0], false)), O);
        m.method(t, "SelectTokens", Type.listOf(T), (o, a, x) -> new ArrayList<Object>(JsonPath.select((JToken) o, s(a[0]), false)), Type.STRING);
        m.method(t, "SelectTokens", Type.listOf(T), (o, a, x) -> new ArrayList<Object>(JsonPath.select((JToken) o, s(a[0]), (Boolean) a[1])),
                Type.STRING, Type.BOOL);
        m.method(t, "SelectToken", T, (o, a, x) -> selectToken((JToken) o, s(a[0]), (Boolean) a[1]), Type.STRING, Type.BOOL);
        // JContainer's members, on the three containers
        for (Type c : new Type[] {l.tJObject, l.tJArray, l.tJProperty}) {
            m.method(c.name(), "Descendants", Type.listOf(T), (o, a, x) -> new ArrayList<Object>(((JToken) o).descendants()));
            m.method(c.name(), "AddFirst", V, (o, a, x) -> change(() -> {
                switch ((JToken) o) {
                    case JObject obj -> obj.insert(0, a[0]);
                    case JArray arr -> arr.insert(0, a[0]);
                    default -> throw new JToken.JsonException("Newtonsoft.Json.Linq.JProperty cannot have multiple values.");
                }
            }), O);
            m.method(c.name(), "Merge", V, (o, a, x) -> change(() -> merge((JToken) o, a[0])), O);
        }
    }

    /**
     * JContainer.Merge(content) with default settings. Content of another kind merges nothing, as Newtonsoft's
     * MergeItem ignores it (an object into an array, an array into an object).
     */
    private static void merge(JToken target, Object content) {
        if (content == null) {
            return;
        }
        JToken c = JToken.from(content);
        if (target instanceof JObject o && c instanceof JObject co) {
            o.merge(co);
        } else if (target instanceof JArray a && c instanceof JArray ca) {
            a.merge(ca);
        } else if (target instanceof JProperty p && c instanceof JProperty cp) {
            // JProperty.MergeItem: the content property's value replaces this one unless it is null
            if (cp.value().type() != JToken.Type.Null) {
                p.value(cp.value());
            }
        }
    }

    private static void json(Library l, Members m) {
        Type S = Type.STRING;
        Type O = Type.OBJECT;
        Type T = l.tJToken;
        Type JO = l.tJObject;
        Type JA = l.tJArray;
        m.method("static:JObject", "Parse", JO, (o, a, t) -> {
            JToken tok = parseJson(a[0]);
            if (!(tok instanceof JObject)) {
                throw new ExpressionException("Newtonsoft.Json.JsonReaderException",
                        "Error reading JObject from JsonReader. Current JsonReader item is not an object: " + tok.type() + ". Path '', line 1, position 1.");
            }
            return tok;
        }, S);
        m.method("static:JArray", "Parse", JA, (o, a, t) -> {
            JToken tok = parseJson(a[0]);
            if (!(tok instanceof JArray)) {
                throw new ExpressionException("Newtonsoft.Json.JsonReaderException",
                        "Error reading JArray from JsonReader. Current JsonReader item is not an array: " + tok.type() + ". Path '', line 1, position 1.");
            }
            return tok;
        }, S);
        m.method("static:JToken", "Parse", T, (o, a, t) -> parseJson(a[0]), S);
        m.method("static:JObject", "FromObject", T, (o, a, t) -> JToken.from(a[0]), O);
        m.method("static:JToken", "FromObject", T, (o, a, t) -> JToken.from(a[0]), O);
        m.method("static:JArray", "FromObject", JA, (o, a, t) -> {
            JToken tok = JToken.from(a[0]);
            if (!(tok instanceof JArray)) {
                throw new ExpressionException("System.ArgumentException",
                        "Object serialized to " + (tok == null ? "Null" : tok.type()) + ". JArray instance expected.");
            }
            return tok;
        }, O);
        l.indexer(T, O, T, NsNewtonsoftJsonLinq::jget, (o, k, v) -> {
            try {
                ((JToken) o).set(k instanceof Character c ? c.toString() : k, JToken.from(v));
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.InvalidOperationException", e.getMessage());
            } catch (IndexOutOfBoundsException e) {
                throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
            }
        });
        l.element(T, T);
        String t = T.name();
        m.generic(t, "Value", (x, args, ta) -> ta, (o, a, ta) -> valueAs(jget(o, a[0]), ta), O);
        m.generic(t, "Value", (x, args, ta) -> ta, (o, a, ta) -> valueAs((JToken) o, ta));
        m.generic(t, "ToObject", (x, args, ta) -> ta, (o, a, ta) -> ta.isDictionary() || ta.isArray() || ta.isList()
                ? NsNewtonsoftJson.deserialize((JToken) o, ta) : valueAs((JToken) o, ta));
        // Values<T>(): the children of an array, or the property values of an object, each converted to T
        m.generic(t, "Values", (x, args, ta) -> Type.listOf(ta), (o, a, ta) -> {
            List<Object> out = new ArrayList<>();
            for (JToken c : ((JToken) o).children()) {
                out.add(valueAs(c instanceof JProperty p ? p.value() : c, ta));
            }
            return out;
        });
        m.method(t, "ToString", S, (o, a, x) -> ((JToken) o) instanceof JValue jv ? Dotnet.toStr(jv) : ((JToken) o).toString(true));
        m.method(t, "ToString", S, (o, a, x) -> ((JToken) o).toString(a[0] == Formatting.Indented), l.tFormatting);
        m.method(t, "SelectToken", T, (o, a, x) -> selectToken((JToken) o, s(a[0])), S);
        m.method(t, "DeepClone", T, (o, a, x) -> ((JToken) o).deepClone());
        m.method(t, "Children", Type.listOf(T), (o, a, x) -> new ArrayList<Object>(((JToken) o).children()));
        m.prop(t, "Type", l.tJTokenType, o -> ((JToken) o).type());
        m.prop(t, "HasValues", Type.BOOL, o -> !((JToken) o).children().isEmpty());
        m.prop(t, "First", T, o -> {
            List<JToken> c = ((JToken) o).children();
            return c.isEmpty() ? null : c.get(0);
        });
        m.prop(t, "Last", T, o -> {
            List<JToken> c = ((JToken) o).children();
            return c.isEmpty() ? null : c.get(c.size() - 1);
        });
        String jo = JO.name();
        m.prop(jo, "Count", Type.INT, o -> ((JObject) o).count());
        m.method(jo, "Add", Type.VOID, (o, a, x) -> {
            try {
                ((JObject) o).add(s(a[0]), a[1]);
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.ArgumentException", e.getMessage());
            }
            return null;
        }, S, O);
        m.method(jo, "Add", Type.VOID, (o, a, x) -> {
            try {
                ((JObject) o).addToken(a[0]);
            } catch (IllegalArgumentException e) {
                throw new ExpressionException("System.ArgumentException", e.getMessage());
            }
            return null;
        }, O);
        m.method(jo, "Remove", Type.BOOL, (o, a, x) -> ((JObject) o).remove(s(a[0])), S);
        m.method(jo, "ContainsKey", Type.BOOL, (o, a, x) -> ((JObject) o).properties().containsKey(s(a[0])), S);
        m.method(jo, "Property", l.tJProperty, (o, a, x) -> ((JObject) o).property(s(a[0])), S);
        // JObject.GetValue(name[, comparison]): the exact name first, then (ignoring case) the first that matches
        m.method(jo, "GetValue", T, (o, a, x) -> a[0] == null ? null : ((JObject) o).properties().get(s(a[0])), S);
        m.method(jo, "GetValue", T, (o, a, x) -> {
            if (a[0] == null) {
                return null;
            }
            JObject obj = (JObject) o;
            JToken exact = obj.properties().get(s(a[0]));
            if (exact != null || a[1] == null || !((io.gatehouse.expr.lib.DotnetEnums.StringComparison) a[1]).ignoreCase()) {
                return exact;
            }
            for (var e : obj.properties().entrySet()) {
                if (e.getKey().equalsIgnoreCase(s(a[0]))) {
                    return e.getValue();
                }
            }
            return null;
        }, S, l.tComparison);
        m.method(jo, "Properties", Type.listOf(l.tJProperty), (o, a, x) -> new ArrayList<Object>(((JObject) o).children()));
        m.outMethod(jo, "TryGetValue", Type.BOOL, 1, T, (o, a, x) -> {
            JToken v = ((JObject) o).get(s(a[0]));
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, S, O);
        l.element(JO, l.tJProperty);
        String ja = JA.name();
        m.prop(ja, "Count", Type.INT, o -> ((JArray) o).count());
        m.method(ja, "Add", Type.VOID, (o, a, x) -> {
            ((JArray) o).add(a[0]);
            return null;
        }, O);
        m.method(ja, "Insert", Type.VOID, (o, a, x) -> {
            JArray arr = (JArray) o;
            int idx = i(a[0]);
            if (idx < 0 || idx > arr.count()) {
                throw Ops.outOfRange("index", "Index must be within the bounds of the List.");
            }
            arr.items().add(idx, JToken.from(a[1]));
            return null;
        }, Type.INT, O);
        m.method(ja, "Clear", Type.VOID, (o, a, x) -> {
            ((JArray) o).items().clear();
            return null;
        });
        m.method(ja, "IndexOf", Type.INT, (o, a, x) -> {
            List<JToken> items = ((JArray) o).items();
            for (int k = 0; k < items.size(); k++) {
                if (items.get(k) == a[0]) {
                    return k;
                }
            }
            return -1;
        }, T);
        m.method(ja, "RemoveAt", Type.VOID, (o, a, x) -> {
            JArray arr = (JArray) o;
            int idx = i(a[0]);
            if (idx < 0 || idx >= arr.count()) {
                throw Ops.outOfRange("index", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            arr.items().remove(idx);
            return null;
        }, Type.INT);
        m.prop(l.tJProperty, "Name", S, o -> ((JProperty) o).name());
        m.prop(l.tJProperty, "Value", T, o -> ((JProperty) o).value());
        m.prop(l.tJValue, "Value", O, o -> ((JValue) o).value());
        m.method("new:JObject", ".ctor", JO, (o, a, x) -> new JObject());
        for (int n = 1; n <= Ops.MAX_PARAMS; n++) {
            Type[] ps = new Type[n];
            java.util.Arrays.fill(ps, O);
            m.method("new:JObject", ".ctor", JO, (o, a, x) -> {
                JObject obj = new JObject();
                try {
                    for (Object c : a) {
                        obj.addToken(c);
                    }
                } catch (IllegalArgumentException e) {
                    throw new ExpressionException("System.ArgumentException", e.getMessage());
                }
                return obj;
            }, ps);
            m.method("new:JArray", ".ctor", JA, (o, a, x) -> {
                JArray arr = new JArray();
                for (Object c : a) {
                    if (n(a) == 1 && (c instanceof Object[] || c instanceof List<?> || c instanceof String[])) {
                        for (Object item : Ops.seq(c)) {
                            arr.add(item);
                        }
                    } else {
                        arr.add(c);
                    }
                }
                return arr;
            }, ps);
        }
        m.method("new:JArray", ".ctor", JA, (o, a, x) -> new JArray());
        m.method("new:JProperty", ".ctor", l.tJProperty, (o, a, x) -> {
            if (a[0] == null) {
                throw Ops.argNull("name");
            }
            return new JProperty(s(a[0]), a[1]);
        }, S, O);
        m.method("new:JValue", ".ctor", l.tJValue, (o, a, x) -> new JValue(a[0] instanceof Integer v ? (long) v : a[0]), O);
    }

}
