package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code System.Collections.Generic}: {@code Dictionary}, {@code HashSet}, {@code List}, and the
 * members arrays and lists share.
 */
final class NsSystemCollectionsGeneric {
    private static final Type I = Type.INT;

    private NsSystemCollectionsGeneric() {
    }

    static void registerArraysAndLists(Library l) {
        Members m = l.m;
        collections(l, m);
    }

    /** {@code Dictionary<K, V>} (types per instantiation: the Checker types Keys/Values/Key/Value and the indexer). */
    static void registerDictionary(Library l) {
        Members m = l.m;
        String dc = "Dictionary";
        m.method(dc, "Add", Type.VOID, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            if (a[0] == null) {
                throw Ops.argNull("key");
            }
            if (map.containsKey(a[0])) {
                throw new ExpressionException("System.ArgumentException", "An item with the same key has already been added. Key: " + a[0]);
            }
            map.put(a[0], a[1]);
            return null;
        }, Type.OBJECT, Type.OBJECT);
        m.method(dc, "ContainsKey", Type.BOOL, (o, a, x) -> mapOf(o).containsKey(a[0]), Type.OBJECT);
        m.method(dc, "ContainsValue", Type.BOOL, (o, a, x) -> mapOf(o).values().stream().anyMatch(v -> Ops.equal(v, a[0])), Type.OBJECT);
        m.method(dc, "Remove", Type.BOOL, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            boolean had = map.containsKey(a[0]);
            map.remove(a[0]);
            return had;
        }, Type.OBJECT);
        m.method(dc, "Clear", Type.VOID, (o, a, x) -> {
            mapOf(o).clear();
            return null;
        });
        m.methodR(dc, "GetValueOrDefault", (t, args, ta) -> t.value(), (o, a, x) -> mapOf(o).get(a[0]), Type.OBJECT);
        m.methodR(dc, "GetValueOrDefault", (t, args, ta) -> t.value(), (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            return map.containsKey(a[0]) ? map.get(a[0]) : a[1];
        }, Type.OBJECT, Type.OBJECT);
        m.outMethod(dc, "TryGetValue", Type.BOOL, 1, Type.OBJECT, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            ((Object[]) a[1])[0] = map.get(a[0]);
            return map.containsKey(a[0]);
        }, Type.OBJECT, Type.OBJECT);
        m.prop(dc, "Count", I, o -> mapOf(o).size());
        m.prop(dc, "Keys", Type.listOf(Type.OBJECT), o -> new java.util.ArrayList<Object>(mapOf(o).keySet()));
        m.prop(dc, "Values", Type.listOf(Type.OBJECT), o -> new java.util.ArrayList<Object>(mapOf(o).values()));
        m.prop("KeyValuePair", "Key", Type.OBJECT, o -> ((java.util.Map.Entry<?, ?>) o).getKey());
        m.prop("KeyValuePair", "Value", Type.OBJECT, o -> ((java.util.Map.Entry<?, ?>) o).getValue());
        Type cmp = m.type("StringComparer", String.class);
        l.staticName("StringComparer", "StringComparer");
        for (String c : new String[] {"Ordinal", "OrdinalIgnoreCase", "InvariantCulture", "InvariantCultureIgnoreCase",
            "CurrentCulture", "CurrentCultureIgnoreCase"}) {
            l.staticProp("StringComparer", c, cmp, o -> "StringComparer." + c);
        }
    }

    /** {@code HashSet<T>}. */
    static void registerHashSet(Library l) {
        Members m = l.m;
        m.method("HashSet", "Add", Type.BOOL, (o, a, x) -> setOf(o).add(a[0]), Type.OBJECT);
        m.method("HashSet", "Contains", Type.BOOL, (o, a, x) -> setOf(o).contains(a[0]), Type.OBJECT);
        m.method("HashSet", "Remove", Type.BOOL, (o, a, x) -> setOf(o).remove(a[0]), Type.OBJECT);
        m.method("HashSet", "Clear", Type.VOID, (o, a, x) -> {
            setOf(o).clear();
            return null;
        });
        m.method("HashSet", "UnionWith", Type.VOID, (o, a, x) -> {
            setOf(o).addAll(Ops.seq(a[0]));
            return null;
        }, Type.OBJECT);
        m.method("HashSet", "IntersectWith", Type.VOID, (o, a, x) -> {
            setOf(o).retainAll(new java.util.HashSet<>(Ops.seq(a[0])));
            return null;
        }, Type.OBJECT);
        m.method("HashSet", "ExceptWith", Type.VOID, (o, a, x) -> {
            setOf(o).removeAll(new java.util.HashSet<>(Ops.seq(a[0])));
            return null;
        }, Type.OBJECT);
        m.prop("HashSet", "Count", I, o -> setOf(o).size());
    }

    /** {@code List<T>} members beyond Count and the indexer. */
    static void registerList(Library l) {
        Members m = l.m;
        m.method("List", "Add", Type.VOID, (o, a, x) -> {
            listOf(o).add(a[0]);
            return null;
        }, Type.OBJECT);
        m.method("List", "AddRange", Type.VOID, (o, a, x) -> {
            if (a[0] == null) {
                throw Ops.argNull("collection");
            }
            listOf(o).addAll(Ops.seq(a[0]));
            return null;
        }, Type.OBJECT);
        m.method("List", "Insert", Type.VOID, (o, a, x) -> {
            int at = Ops.asInt(a[0]);
            if (at < 0 || at > listOf(o).size()) {
                throw Ops.outOfRange("index", "Index must be within the bounds of the List.");
            }
            listOf(o).add(at, a[1]);
            return null;
        }, I, Type.OBJECT);
        m.method("List", "Remove", Type.BOOL, (o, a, x) -> {
            java.util.List<Object> list = listOf(o);
            for (int k = 0; k < list.size(); k++) {
                if (Ops.equal(list.get(k), a[0])) {
                    list.remove(k);
                    return true;
                }
            }
            return false;
        }, Type.OBJECT);
        m.method("List", "RemoveAt", Type.VOID, (o, a, x) -> {
            int at = Ops.asInt(a[0]);
            if (at < 0 || at >= listOf(o).size()) {
                throw Ops.outOfRange("index", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            listOf(o).remove(at);
            return null;
        }, I);
        m.method("List", "Clear", Type.VOID, (o, a, x) -> {
            listOf(o).clear();
            return null;
        });
        m.method("List", "IndexOf", I, (o, a, x) -> {
            java.util.List<Object> list = listOf(o);
            for (int k = 0; k < list.size(); k++) {
                if (Ops.equal(list.get(k), a[0])) {
                    return k;
                }
            }
            return -1;
        }, Type.OBJECT);
    }

    private static void collections(Library l, Members m) {
        m.prop("Array", "Length", Type.INT, o -> o instanceof byte[] b ? b.length : ((Object[]) o).length);
        m.prop("List", "Count", Type.INT, o -> ((List<?>) o).size());
    }

    @SuppressWarnings("unchecked")
    private static java.util.Set<Object> setOf(Object o) {
        return (java.util.Set<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static java.util.Map<Object, Object> mapOf(Object o) {
        return (java.util.Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static java.util.List<Object> listOf(Object o) {
        if (!(o instanceof java.util.ArrayList<?>)) {
            throw new ExpressionException("System.NotSupportedException", "Collection was of a fixed size.");
        }
        return (java.util.List<Object>) o;
    }

    /** {@code System.Linq.Enumerable}'s generators: Range(start, count) and Repeat(element, count). */
    static void registerEnumerable(Library l) {
        Members m = l.m;
        l.staticName("Enumerable", "Enumerable");
        m.method("static:Enumerable", "Range", Type.listOf(Type.INT), (o, a, x) -> {
            int start = Ops.asInt(a[0]);
            int count = Ops.asInt(a[1]);
            if (count < 0 || (long) start + count - 1 > Integer.MAX_VALUE) {
                throw Ops.outOfRange("count", "Specified argument was out of the range of valid values.");
            }
            if (count > Ops.MAX_STRING) {
                throw Ops.tooLong();
            }
            List<Object> out = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                out.add(start + k);
            }
            return out;
        }, Type.INT, Type.INT);
        m.methodR("static:Enumerable", "Repeat", (t, args, ta) -> Type.listOf(args.get(0) == Type.NULL ? Type.OBJECT : args.get(0)), (o, a, x) -> {
            int count = Ops.asInt(a[1]);
            if (count < 0) {
                throw Ops.outOfRange("count", "Specified argument was out of the range of valid values.");
            }
            if (count > Ops.MAX_STRING) {
                throw Ops.tooLong();
            }
            List<Object> out = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                out.add(a[0]);
            }
            return out;
        }, Type.OBJECT, Type.INT);
        m.generic("static:Enumerable", "Empty", (t, args, ta) -> Type.listOf(ta), (o, a, ta) -> new ArrayList<Object>(0), new Type[0]);
        // GroupBy's IGrouping<K, E> and ToLookup's ILookup<K, E> (the checker types Key and the lookup's indexer)
        m.prop("IGrouping", "Key", Type.OBJECT, o -> ((NsSystemLinq.Grouping) o).key);
        m.prop("ILookup", "Count", Type.INT, o -> ((NsSystemLinq.Lookup) o).size());
        m.method("ILookup", "Contains", Type.BOOL, (o, a, x) -> ((NsSystemLinq.Lookup) o).find(a[0]) != null, Type.OBJECT);
    }
}
