package io.gatehouse.expr.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The member tables the checker resolves names against: properties, methods (by arity) and
 * constructors per type, all as plain lambdas so that nothing is looked up reflectively when an
 * expression runs.
 */
public final class Members {
    @FunctionalInterface
    public interface Getter {
        Object get(Object target);
    }

    @FunctionalInterface
    public interface Invoker {
        Object call(Object target, Object[] args, Type typeArg);
    }

    @FunctionalInterface
    public interface RetFn {
        Type ret(Type target, List<Type> args, Type typeArg);
    }

    /** A property; {@code target} is null for static ones. */
    public record Prop(String name, Type type, Getter get) {
    }

    /**
     * A method overload of fixed arity. {@code generic} methods take one type argument; a parameter of
     * type {@link Type#OBJECT} accepts anything. {@code outIndex} names an {@code out} parameter.
     */
    public record Method(String name, Type[] params, RetFn ret, Invoker inv, boolean generic, int outIndex,
            Type outType) {
        int arity() {
            return params.length;
        }
    }

    private final Map<String, Map<String, Prop>> props = new HashMap<>();
    private final Map<String, Map<String, List<Method>>> methods = new HashMap<>();
    private final Map<String, Type> types = new LinkedHashMap<>();
    private final Map<Class<?>, Type> byClass = new LinkedHashMap<>();
    private final Map<String, String> parents = new HashMap<>();

    /** Registers a named type; {@code statics} names its static side (e.g. "String" for string). */
    public Type type(String name, Class<?> cls) {
        Type t = new Type(name, cls, null);
        types.put(name, t);
        byClass.putIfAbsent(cls, t);
        return t;
    }

    public void alias(String alias, Type t) {
        types.put(alias, t);
    }

    public void parent(Type child, Type parent) {
        parents.put(child.name(), parent.name());
    }

    public void registerClass(Class<?> cls, Type t) {
        byClass.put(cls, t);
    }

    public Type named(String name) {
        return types.get(name);
    }

    public java.util.Set<String> typeNames() {
        return types.keySet();
    }

    /** The static type for a run-time value (for members on dynamic receivers). */
    public Type forValue(Object v) {
        if (v == null) {
            return Type.NULL;
        }
        Class<?> c = v.getClass();
        Type t = byClass.get(c);
        if (t != null) {
            return t;
        }
        for (Map.Entry<Class<?>, Type> e : byClass.entrySet()) {
            if (e.getKey().isAssignableFrom(c) && e.getKey() != Object.class) {
                return e.getValue();
            }
        }
        return Type.OBJECT;
    }

    public void prop(String owner, String name, Type type, Getter get) {
        props.computeIfAbsent(owner, k -> new HashMap<>()).put(name, new Prop(name, type, get));
    }

    public void prop(Type owner, String name, Type type, Getter get) {
        prop(owner.name(), name, type, get);
    }

    public void method(String owner, String name, Type ret, Invoker inv, Type... params) {
        add(owner, new Method(name, params, (t, a, g) -> ret, inv, false, -1, null));
    }

    public void method(Type owner, String name, Type ret, Invoker inv, Type... params) {
        method(owner.name(), name, ret, inv, params);
    }

    public void methodR(String owner, String name, RetFn ret, Invoker inv, Type... params) {
        add(owner, new Method(name, params, ret, inv, false, -1, null));
    }

    public void generic(String owner, String name, RetFn ret, Invoker inv, Type... params) {
        add(owner, new Method(name, params, ret, inv, true, -1, null));
    }

    /** A method whose parameter at outIndex is {@code out outType}; the invoker stores into args[outIndex] (an Object[1]). */
    public void outMethod(String owner, String name, Type ret, int outIndex, Type outType, Invoker inv, Type... params) {
        add(owner, new Method(name, params, (t, a, g) -> ret, inv, false, outIndex, outType));
    }

    public void add(String owner, Method m) {
        methods.computeIfAbsent(owner, k -> new HashMap<>()).computeIfAbsent(m.name(), k -> new ArrayList<>()).add(m);
    }

    /** Looks a property up on the type and its registered parents. */
    public Prop findProp(String owner, String name) {
        for (String o = owner; o != null; o = parents.get(o)) {
            Map<String, Prop> m = props.get(o);
            if (m != null && m.containsKey(name)) {
                return m.get(name);
            }
        }
        return null;
    }

    /** All overloads of a method on the type and its parents (nearest first). */
    public List<Method> findMethods(String owner, String name) {
        List<Method> out = new ArrayList<>();
        for (String o = owner; o != null; o = parents.get(o)) {
            Map<String, List<Method>> m = methods.get(o);
            if (m != null && m.containsKey(name)) {
                out.addAll(m.get(name));
            }
        }
        if (!owner.equals("object") && !owner.startsWith("static:") && !owner.startsWith("new:")) {
            Map<String, List<Method>> m = methods.get("object");
            if (m != null && m.containsKey(name)) {
                out.addAll(m.get(name));
            }
        }
        return out;
    }

    public boolean hasMembers(String owner) {
        return props.containsKey(owner) || methods.containsKey(owner);
    }
}
