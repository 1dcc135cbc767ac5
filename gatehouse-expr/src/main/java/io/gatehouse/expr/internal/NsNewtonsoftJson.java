package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.Formatting;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Json;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code Newtonsoft.Json}: {@code JsonConvert} and {@code Formatting}.
 */
final class NsNewtonsoftJson {
    private static final Type S = Type.STRING;

    private NsNewtonsoftJson() {
    }

    /** Enum values as static members. */
    static void registerEnums(Library l) {
        l.enumType("Formatting", l.tFormatting, Formatting.values());
    }

    /** Newtonsoft's JsonConvert. */
    static void registerJsonConvert(Library l) {
        Members m = l.m;
        l.staticName("JsonConvert", "JsonConvert");
        String jc = "static:JsonConvert";
        m.method(jc, "SerializeObject", S, (o, a, x) -> serialize(a[0], false), Type.OBJECT);
        m.method(jc, "SerializeObject", S, (o, a, x) -> serialize(a[0],
                a[1] == io.gatehouse.expr.lib.DotnetEnums.Formatting.Indented), Type.OBJECT, l.tFormatting);
        m.method(jc, "DeserializeObject", Type.OBJECT, (o, a, x) -> parseJsonArgument(a[0]), S);
        m.generic(jc, "DeserializeObject", (t, args, ta) -> ta, (o, a, ta) -> deserialize(parseJsonArgument(a[0]), ta), S);
    }

    private static String serialize(Object v, boolean indented) {
        if (v instanceof String str) {
            return io.gatehouse.expr.lib.JToken.from(str).toString(false);
        }
        return io.gatehouse.expr.lib.JToken.from(v).toString(indented);
    }

    private static io.gatehouse.expr.lib.JToken parseJsonArgument(Object text) {
        if (text == null) {
            throw Ops.argNull("value");
        }
        try {
            return io.gatehouse.expr.lib.Json.parse((String) text);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonReaderException", e.getMessage());
        }
    }

    /** {@code JsonConvert.DeserializeObject<T>}: JSON tokens as themselves, arrays and lists of values, plain values. */
    static Object deserialize(io.gatehouse.expr.lib.JToken tok, Type t) {
        if (t.isDynamic() && tok instanceof io.gatehouse.expr.lib.JValue jv) {
            // a JSON primitive read as object is its .NET value (long, double, string, bool, null); containers stay tokens
            return jv.value();
        }
        if (t.isDynamic() || t.cls().isInstance(tok)) {
            return tok;
        }
        if (t.isDictionary()) {
            if (tok instanceof io.gatehouse.expr.lib.JValue jv && jv.value() == null) {
                return null;
            }
            if (!(tok instanceof io.gatehouse.expr.lib.JObject obj)) {
                throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                        "Cannot deserialize the current JSON array into type '" + t.name() + "' because the type requires a JSON object.");
            }
            if (t.key() != Type.STRING && !t.key().isDynamic()) {
                throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                        "Could not convert string to " + t.key().name() + ".");
            }
            java.util.LinkedHashMap<Object, Object> map = new java.util.LinkedHashMap<>();
            for (var e : obj.properties().entrySet()) {
                io.gatehouse.expr.lib.JToken v = e.getValue();
                if (t.value() == Type.STRING && !(v instanceof io.gatehouse.expr.lib.JValue)) {
                    throw new ExpressionException("Newtonsoft.Json.JsonReaderException", "Error reading string. Unexpected token: "
                            + (v instanceof io.gatehouse.expr.lib.JArray ? "StartArray" : "StartObject") + ". Path '" + v.path() + "'.");
                }
                map.put(e.getKey(), deserialize(v, t.value()));
            }
            return map;
        }
        if (t.isArray() || t.isList()) {
            if (!(tok instanceof io.gatehouse.expr.lib.JArray arr)) {
                throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                        "Cannot deserialize the current JSON object into type '" + t.name() + "' because the type requires a JSON array.");
            }
            java.util.List<Object> items = new java.util.ArrayList<>();
            for (io.gatehouse.expr.lib.JToken item : arr.items()) {
                items.add(deserialize(item, t.elem()));
            }
            return t.isList() ? items : Conv.toArray(items.toArray(), t.elem());
        }
        Object v = tok instanceof io.gatehouse.expr.lib.JValue jv ? jv.value() : tok;
        if (v == null) {
            return Conv.zero(t);
        }
        if (t == Type.STRING) {
            return v instanceof Boolean b ? (b ? "True" : "False") : Dotnet.toStr(v);
        }
        try {
            return Conv.cast(v instanceof Long n && t == Type.INT ? (Object) (int) (long) n : v, t, false);
        } catch (ExpressionException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                    "Error converting value to type '" + t.name() + "'.");
        }
    }
}
