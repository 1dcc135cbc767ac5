package io.gatehouse.expr.internal;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * A static type known to the checker: its C# name, the Java class values of it have at run time,
 * and for sequences the element type. {@link #OBJECT} is the dynamic type: members and operators
 * on it are resolved when the expression runs.
 */
public final class Type {
    public static final Type INT = new Type("int", Integer.class, null);
    public static final Type LONG = new Type("long", Long.class, null);
    public static final Type DOUBLE = new Type("double", Double.class, null);
    public static final Type DECIMAL = new Type("decimal", BigDecimal.class, null);
    public static final Type BOOL = new Type("bool", Boolean.class, null);
    public static final Type CHAR = new Type("char", Character.class, null);
    public static final Type BYTE = new Type("byte", Integer.class, null);
    public static final Type STRING = new Type("string", String.class, null);
    public static final Type OBJECT = new Type("object", Object.class, null);
    public static final Type NULL = new Type("null", Object.class, null);
    public static final Type VOID = new Type("void", Void.class, null);
    /** The type of an expression that already failed to check; suppresses follow-on errors. */
    public static final Type ERROR = new Type("?", Object.class, null);
    public static final Type STRING_ARRAY = new Type("string[]", String[].class, STRING);
    public static final Type BYTE_ARRAY = new Type("byte[]", byte[].class, BYTE);

    private final String name;
    private final Class<?> cls;
    private final Type elem;
    private final Type key;
    private final Type value;

    public Type(String name, Class<?> cls, Type elem) {
        this(name, cls, elem, null, null);
    }

    private Type(String name, Class<?> cls, Type elem, Type key, Type value) {
        this.name = name;
        this.cls = cls;
        this.elem = elem;
        this.key = key;
        this.value = value;
    }

    /** {@code Dictionary<K, V>}: a mutable map; enumerates {@code KeyValuePair<K, V>}. */
    public static Type dictionaryOf(Type key, Type value) {
        Type pair = new Type("KeyValuePair<" + key.name + ", " + value.name + ">", java.util.Map.Entry.class, null, key, value);
        return new Type("Dictionary<" + key.name + ", " + value.name + ">", java.util.LinkedHashMap.class, pair, key, value);
    }

    /** {@code IGrouping<K, E>} (GroupBy's groups): enumerates its elements and has a Key. */
    public static Type groupingOf(Type key, Type elem) {
        return new Type("IGrouping<" + key.name + ", " + elem.name + ">", NsSystemLinq.Grouping.class, elem, key, null);
    }

    /** {@code ILookup<K, E>} (ToLookup): enumerates its groupings; its indexer gives a key's elements. */
    public static Type lookupOf(Type key, Type elem) {
        return new Type("ILookup<" + key.name + ", " + elem.name + ">", NsSystemLinq.Lookup.class, groupingOf(key, elem), key, null);
    }

    /** {@code HashSet<T>}. */
    public static Type hashSetOf(Type elem) {
        return new Type("HashSet<" + elem.name + ">", java.util.LinkedHashSet.class, elem);
    }

    public boolean isGrouping() {
        return cls == NsSystemLinq.Grouping.class;
    }

    public boolean isLookup() {
        return cls == NsSystemLinq.Lookup.class;
    }

    public boolean isDictionary() {
        return cls == java.util.LinkedHashMap.class && name.startsWith("Dictionary<");
    }

    public boolean isPair() {
        return key != null && name.startsWith("KeyValuePair<");
    }

    /** The key type of a dictionary or pair, else null. */
    public Type key() {
        return key;
    }

    /** The value type of a dictionary or pair, else null. */
    public Type value() {
        return value;
    }

    public static Type arrayOf(Type elem) {
        if (elem == STRING) {
            return STRING_ARRAY;
        }
        if (elem == BYTE) {
            return BYTE_ARRAY;
        }
        return new Type(elem.name + "[]", Object[].class, elem);
    }

    /** A lazy-looking sequence (LINQ results): enumerable, no Count property, no indexer. */
    public static Type listOf(Type elem) {
        return new Type("IEnumerable<" + elem.name + ">", List.class, elem);
    }

    /** A materialised list ({@code ToList()}, collections): Count and an indexer. */
    public static Type realListOf(Type elem) {
        return new Type("List<" + elem.name + ">", List.class, elem);
    }

    public boolean isRealList() {
        return cls == List.class && name.startsWith("List<");
    }

    public String name() {
        return name;
    }

    public Class<?> cls() {
        return cls;
    }

    public Type elem() {
        return elem;
    }

    public boolean isArray() {
        return cls.isArray();
    }

    public boolean isList() {
        return cls == List.class;
    }

    public boolean isDynamic() {
        return this == OBJECT || this == ERROR;
    }

    public boolean isNumeric() {
        return this == INT || this == LONG || this == DOUBLE || this == DECIMAL || this == CHAR || this == BYTE;
    }

    public boolean isIntegral() {
        return this == INT || this == LONG || this == CHAR || this == BYTE;
    }

    public boolean isValueType() {
        return isNumeric() || this == BOOL || name.equals("DateTime") || name.equals("TimeSpan") || name.equals("Guid");
    }

    /** Numeric promotion rank: int 0, long 1, double 2, decimal 3; -1 when not numeric. */
    public int rank() {
        if (this == INT || this == CHAR || this == BYTE) {
            return 0;
        }
        if (this == LONG) {
            return 1;
        }
        if (this == DOUBLE) {
            return 2;
        }
        if (this == DECIMAL) {
            return 3;
        }
        return -1;
    }

    public static Type ofRank(int rank) {
        return switch (rank) {
            case 0 -> INT;
            case 1 -> LONG;
            case 2 -> DOUBLE;
            default -> DECIMAL;
        };
    }

    /** Is a value of this static type implicitly convertible to {@code to}? */
    public boolean convertibleTo(Type to) {
        if (this == to || to.isDynamic() || this == ERROR || to == ERROR) {
            return true;
        }
        if (this == OBJECT) {
            return true;
        }
        if (this == NULL) {
            return true;
        }
        if (isNumeric() && to.isNumeric()) {
            int a = rank();
            int b = to.rank();
            if (to == CHAR || to == BYTE) {
                return false;
            }
            if (a == 2 && b == 3 || a == 3 && b == 2) {
                return false;
            }
            return a <= b;
        }
        if (name.equals(to.name)) {
            return true;
        }
        if ((isArray() || isList()) && (to.isArray() || to.isList())) {
            return to.isList() && !to.isRealList() && (elem.convertibleTo(to.elem));
        }
        return to.cls != Object.class && to.cls.isAssignableFrom(cls) && !to.isNumeric() && to != BOOL
                && to != STRING;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Type t && t.name.equals(name) && t.cls == cls;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, cls);
    }

    @Override
    public String toString() {
        return name;
    }
}
