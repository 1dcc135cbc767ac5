package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.internal.Ast.Call;
import io.gatehouse.expr.internal.Ast.Expr;
import io.gatehouse.expr.internal.Ast.Lambda;
import io.gatehouse.expr.internal.Ast.Member;
import io.gatehouse.expr.internal.Checker.C;
import io.gatehouse.expr.internal.Planner.Fn;
import io.gatehouse.expr.internal.Planner.Node;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * {@code System.Linq}: the LINQ operators over arrays, lists, JArray and strings, with lambdas checked like any
 * expression: {@link #check} resolves a call for the checker, {@link #plan} builds what runs.
 */
final class NsSystemLinq {
    private NsSystemLinq() {
    }

    private static ExpressionException noElements() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains no elements");
    }

    private static ExpressionException noMatch() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains no matching element");
    }

    private static ExpressionException moreThanOne() {
        return new ExpressionException("System.InvalidOperationException", "Sequence contains more than one element");
    }

    /** An {@code IGrouping<K, E>}: a group's key and its elements in source order. */
    static final class Grouping extends ArrayList<Object> {
        final Object key;

        Grouping(Object key) {
            this.key = key;
        }
    }

    /** An {@code ILookup<K, E>} (also GroupBy's result): its groupings in order of first key, found by .NET's default equality. */
    static final class Lookup extends ArrayList<Object> {
        private final java.util.Map<Object, Grouping> byKey = new java.util.HashMap<>();
        private Grouping nullKey;

        Grouping find(Object key) {
            return key == null ? nullKey : byKey.get(Ops.hashKey(key));
        }

        void add(Object key, Object element) {
            Grouping g = find(key);
            if (g == null) {
                g = new Grouping(key);
                if (key == null) {
                    nullKey = g;
                } else {
                    byKey.put(Ops.hashKey(key), g);
                }
                super.add(g);
            }
            g.add(element);
        }

        /** The indexer: the key's elements, or an empty sequence (never KeyNotFoundException). */
        List<Object> get(Object key) {
            Grouping g = find(key);
            return g == null ? new ArrayList<>(0) : new ArrayList<>(g);
        }
    }

    private interface Op {
        Object run(Env env, List<Object> items);
    }

    /** Checks a LINQ call on a sequence of {@code elem}: its argument, lambda and result type. */
    static C check(Checker c, Call call, Member m, C recv, Type elem) {
        String name = m.name();
        int argc = call.args().size();
        if (name.equals("Cast") || name.equals("OfType")) {
            if (call.typeArgs().size() != 1 || argc != 0) {
                return c.failAt(m.namePos(), "'" + name + "' takes a type argument and no arguments, such as '" + name + "<string>()'");
            }
            Type to = c.resolveType(call.typeArgs().get(0));
            if (to == Type.ERROR) {
                return new C(Checker.NULL, Type.ERROR, null);
            }
            Type ret = Type.listOf(to);
            return new C(new Checked.LinqN(name, recv.e(), List.of(), List.of(), elem, ret, m.nullConditional()), ret, null);
        }
        if (!call.typeArgs().isEmpty()) {
            return c.failAt(m.namePos(), "'" + name + "' is used without type arguments here");
        }
        for (var a : call.args()) {
            if (a.out()) {
                return c.failAt(a.pos(), "'" + name + "' does not take 'out' arguments");
            }
        }
        Expr arg = argc == 1 ? call.args().get(0).expr() : null;
        if (MULTI.contains(name) || (name.equals("Select") || name.equals("Where")) && arg instanceof Lambda two && two.params().size() == 2) {
            return checkN(c, call, m, recv, elem);
        }
        boolean lambda = arg instanceof Lambda;
        if (argc > 1) {
            return c.failAt(m.namePos(), "'" + name + "' takes at most 1 argument here, not " + argc);
        }
        Checked.Lambda fn = lambda ? c.lambda(arg, elem) : null;
        Checked.Expr value = arg != null && !lambda ? c.valueOf(arg).e() : null;
        Type listOfElem = Type.listOf(elem);
        Type ret;
        if (lambda && needsBool(name) && fn.ret() != Type.BOOL && !fn.ret().isDynamic()) {
            return c.failAt(arg.pos(), "the lambda of '" + name + "' must return a bool but returns '" + fn.ret().name() + "'");
        }
        switch (name) {
            case "Any", "Count", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'" + name + "' takes a lambda such as 'x => " + (name.equals("Any") ? "x == 1" : "x > 0") + "'");
                }
                ret = name.equals("Any") ? Type.BOOL : name.equals("Count") ? Type.INT : elem;
            }
            case "All", "Where" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x > 0'");
                }
                ret = name.equals("All") ? Type.BOOL : listOfElem;
            }
            case "Select" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'Select' takes a lambda such as 'x => x.Name'");
                }
                if (fn.ret() == Type.VOID) {
                    return c.failAt(arg.pos(), "the lambda of 'Select' must produce a value");
                }
                ret = Type.listOf(fn.ret() == Type.NULL ? Type.OBJECT : fn.ret());
            }
            case "SelectMany" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'SelectMany' takes a lambda such as 'x => x.Items'");
                }
                Type inner = c.elementType(fn.ret());
                if (inner == null) {
                    return c.failAt(arg.pos(), "the lambda of 'SelectMany' must produce a collection");
                }
                ret = Type.listOf(inner);
            }
            case "OrderBy", "OrderByDescending" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x.Name'");
                }
                ret = listOfElem;
            }
            case "Contains" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Contains' takes the value to look for");
                }
                ret = Type.BOOL;
            }
            case "Skip", "Take", "ElementAt" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a count");
                }
                ret = name.equals("ElementAt") ? elem : listOfElem;
            }
            case "Concat" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Concat' takes another collection");
                }
                ret = listOfElem;
            }
            case "Distinct", "Reverse", "ToList", "ToArray", "ToHashSet" -> {
                if (argc != 0) {
                    return c.failAt(m.namePos(), "'" + name + "' takes no arguments");
                }
                ret = name.equals("ToArray") ? Type.arrayOf(elem) : name.equals("ToList") ? Type.realListOf(elem)
                        : name.equals("ToHashSet") ? Type.hashSetOf(elem) : listOfElem;
            }
            case "DistinctBy", "MaxBy", "MinBy" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a key selector such as 'x => x.Name'");
                }
                if (fn.ret() == Type.VOID) {
                    return c.failAt(arg.pos(), "the lambda of '" + name + "' must produce a value");
                }
                ret = name.equals("DistinctBy") ? listOfElem : elem;
            }
            case "Chunk" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'Chunk' takes the size of a chunk");
                }
                ret = Type.listOf(Type.arrayOf(elem));
            }
            case "Sum", "Max", "Min", "Average" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'" + name + "' takes a lambda such as 'x => x.Price'");
                }
                Type t = fn == null ? elem : fn.ret();
                boolean numeric = t.isNumeric() || t.isDynamic();
                boolean orderable = numeric || t == Type.STRING || t.name().equals("DateTime") || t.name().equals("TimeSpan");
                if (name.equals("Sum") || name.equals("Average") ? !numeric : !orderable) {
                    return c.failAt(m.namePos(), "'" + name + "' needs numbers but the values are '" + t.name() + "'");
                }
                ret = name.equals("Average") ? (t == Type.DECIMAL ? Type.DECIMAL : Type.DOUBLE)
                        : t.rank() == 0 && t != Type.INT ? Type.INT : t;
            }
            case "SkipWhile", "TakeWhile" -> {
                if (fn == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x > 0'");
                }
                ret = listOfElem;
            }
            case "LongCount" -> {
                if (value != null) {
                    return c.failAt(arg.pos(), "'LongCount' takes a lambda such as 'x => x > 0'");
                }
                ret = Type.LONG;
            }
            case "ElementAtOrDefault" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'ElementAtOrDefault' takes an index");
                }
                ret = elem;
            }
            case "DefaultIfEmpty" -> {
                if (fn != null) {
                    return c.failAt(arg.pos(), "'DefaultIfEmpty' takes the default value, not a lambda");
                }
                ret = listOfElem;
            }
            case "Union", "Intersect", "Except", "SequenceEqual" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes another collection");
                }
                ret = name.equals("SequenceEqual") ? Type.BOOL : listOfElem;
            }
            case "Append", "Prepend" -> {
                if (value == null) {
                    return c.failAt(m.namePos(), "'" + name + "' takes the element to add");
                }
                ret = listOfElem;
            }
            default -> {
                return c.failAt(m.namePos(), "unknown method '" + name + "'");
            }
        }
        return new C(new Checked.Linq(name, recv.e(), fn, value, elem, ret, m.nullConditional()), ret);
    }

    private static final java.util.Set<String> MULTI = java.util.Set.of("Aggregate", "Zip", "ToDictionary", "ThenBy", "ThenByDescending",
            "GroupBy", "ToLookup", "ExceptBy", "IntersectBy", "UnionBy");

    /**
     * The LINQ calls with several arguments or a lambda of two parameters: Aggregate(func),
     * Aggregate(seed, func[, resultSelector]), Zip(second, resultSelector), ToDictionary(keySelector[,
     * elementSelector]), ThenBy/ThenByDescending(keySelector) right after an ordering, and
     * Select/Where((x, index) => ...).
     */
    static C checkN(Checker c, Call call, Member m, C recv, Type elem) {
        String name = m.name();
        List<Expr> args = call.args().stream().map(a -> a.expr()).toList();
        int argc = args.size();
        List<Checked.Expr> values = new ArrayList<>();
        List<Checked.Lambda> fns = new ArrayList<>();
        Type ret;
        switch (name) {
            case "Select", "Where" -> {
                Checked.Lambda fn = c.lambda(args.get(0), elem, Type.INT);
                if (name.equals("Where") && fn.ret() != Type.BOOL && !fn.ret().isDynamic()) {
                    return c.failAt(args.get(0).pos(), "the lambda of 'Where' must return a bool but returns '" + fn.ret().name() + "'");
                }
                if (fn.ret() == Type.VOID) {
                    return c.failAt(args.get(0).pos(), "the lambda of 'Select' must produce a value");
                }
                fns.add(fn);
                ret = name.equals("Where") ? Type.listOf(elem) : Type.listOf(fn.ret() == Type.NULL ? Type.OBJECT : fn.ret());
            }
            case "Aggregate" -> {
                if (argc < 1 || argc > 3) {
                    return c.failAt(m.namePos(), "'Aggregate' takes a lambda such as '(a, x) => a + x', optionally after a seed and before a result selector");
                }
                if (argc == 1) {
                    fns.add(accumulator(c, args.get(0), elem, elem));
                    ret = elem;
                } else {
                    C seed = c.valueOf(args.get(0));
                    Type acc = seed.t() == Type.NULL ? Type.OBJECT : seed.t();
                    values.add(seed.e());
                    fns.add(accumulator(c, args.get(1), acc, elem));
                    ret = acc;
                    if (argc == 3) {
                        Checked.Lambda result = c.lambda(args.get(2), acc);
                        fns.add(result);
                        ret = result.ret() == Type.NULL ? Type.OBJECT : result.ret();
                    }
                }
            }
            case "Zip" -> {
                if (argc != 2) {
                    return c.failAt(m.namePos(), "'Zip' takes the other collection and a lambda such as '(a, b) => a + b'");
                }
                C second = c.valueOf(args.get(0));
                Type e2 = second.t().isDynamic() ? Type.OBJECT : c.elementTypeOf(second.t());
                if (e2 == null) {
                    return c.failAt(args.get(0).pos(), "'Zip' needs a collection but got '" + second.t().name() + "'");
                }
                values.add(second.e());
                Checked.Lambda fn = c.lambda(args.get(1), elem, e2);
                fns.add(fn);
                ret = Type.listOf(fn.ret() == Type.NULL ? Type.OBJECT : fn.ret());
            }
            case "ToDictionary" -> {
                if (argc < 1 || argc > 2) {
                    return c.failAt(m.namePos(), "'ToDictionary' takes a key selector such as 'x => x.Id' and optionally a value selector");
                }
                Checked.Lambda key = c.lambda(args.get(0), elem);
                fns.add(key);
                Type value = elem;
                if (argc == 2) {
                    Checked.Lambda v = c.lambda(args.get(1), elem);
                    fns.add(v);
                    value = v.ret() == Type.NULL ? Type.OBJECT : v.ret();
                }
                ret = Type.dictionaryOf(key.ret() == Type.NULL ? Type.OBJECT : key.ret(), value);
            }
            case "GroupBy", "ToLookup" -> {
                if (argc < 1 || argc > 2) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a key selector such as 'x => x.Id' and optionally an element selector");
                }
                Checked.Lambda key = c.lambda(args.get(0), elem);
                if (key.ret() == Type.VOID) {
                    return c.failAt(args.get(0).pos(), "the key selector of '" + name + "' must produce a value");
                }
                fns.add(key);
                Type keyType = key.ret() == Type.NULL ? Type.OBJECT : key.ret();
                Type value = elem;
                if (argc == 2) {
                    if (name.equals("GroupBy") && args.get(1) instanceof Lambda two && two.params().size() == 2) {
                        // GroupBy(keySelector, (key, elements) => result)
                        Checked.Lambda result = c.lambda(args.get(1), keyType, Type.listOf(elem));
                        if (result.ret() == Type.VOID) {
                            return c.failAt(args.get(1).pos(), "the result selector of 'GroupBy' must produce a value");
                        }
                        fns.add(result);
                        values.add(new Checked.Const(Boolean.TRUE));
                        ret = Type.listOf(result.ret() == Type.NULL ? Type.OBJECT : result.ret());
                        break;
                    }
                    Checked.Lambda v = c.lambda(args.get(1), elem);
                    if (v.ret() == Type.VOID) {
                        return c.failAt(args.get(1).pos(), "the element selector of '" + name + "' must produce a value");
                    }
                    fns.add(v);
                    value = v.ret() == Type.NULL ? Type.OBJECT : v.ret();
                }
                ret = name.equals("ToLookup") ? Type.lookupOf(keyType, value) : Type.listOf(Type.groupingOf(keyType, value));
            }
            case "ExceptBy", "IntersectBy", "UnionBy" -> {
                if (argc != 2) {
                    return c.failAt(m.namePos(), "'" + name + "' takes " + (name.equals("UnionBy") ? "another collection" : "a collection of keys")
                            + " and a key selector such as 'x => x.Id'");
                }
                C second = c.valueOf(args.get(0));
                Type e2 = second.t().isDynamic() ? Type.OBJECT : c.elementTypeOf(second.t());
                if (e2 == null) {
                    return c.failAt(args.get(0).pos(), "'" + name + "' needs a collection but got '" + second.t().name() + "'");
                }
                values.add(second.e());
                Checked.Lambda key = c.lambda(args.get(1), elem);
                if (key.ret() == Type.VOID) {
                    return c.failAt(args.get(1).pos(), "the key selector of '" + name + "' must produce a value");
                }
                fns.add(key);
                ret = Type.listOf(elem);
            }
            case "ThenBy", "ThenByDescending" -> {
                boolean ordered = recv.e() instanceof Checked.Linq l && l.name().startsWith("OrderBy")
                        || recv.e() instanceof Checked.LinqN n && n.name().startsWith("ThenBy");
                if (!ordered) {
                    return c.failAt(m.namePos(), "'" + name + "' must follow OrderBy, OrderByDescending or another ThenBy");
                }
                if (argc != 1) {
                    return c.failAt(m.namePos(), "'" + name + "' takes a lambda such as 'x => x.Name'");
                }
                fns.add(c.lambda(args.get(0), elem));
                ret = Type.listOf(elem);
            }
            default -> {
                return c.failAt(m.namePos(), "unknown method '" + name + "'");
            }
        }
        for (Checked.Lambda fn : fns) {
            if (fn.ret() == Type.ERROR) {
                return new C(Checker.NULL, Type.ERROR, null);
            }
        }
        return new C(new Checked.LinqN(name, recv.e(), values, fns, elem, ret, m.nullConditional()), ret, null);
    }

    /** An Aggregate lambda (accumulator, element) whose result converts to the accumulator's type. */
    private static Checked.Lambda accumulator(Checker c, Expr e, Type acc, Type elem) {
        Checked.Lambda fn = c.lambda(e, acc, elem);
        if (fn.ret() == Type.ERROR || fn.ret() == acc) {
            return fn;
        }
        Checked.Expr body = c.convert(new C(fn.body(), fn.ret(), null), acc, e.pos());
        return new Checked.Lambda(fn.slot(), body, acc);
    }

    /** A sequence sorted by OrderBy/ThenBy: its rows keep the keys, so a ThenBy sorts again by all of them. */
    private static final class Ordered extends ArrayList<Object> {
        final List<Object[]> rows;
        final List<Boolean> descending;

        Ordered(List<Object[]> rows, List<Boolean> descending) {
            super(rows.size());
            this.rows = rows;
            this.descending = descending;
            for (Object[] r : rows) {
                add(r[0]);
            }
        }
    }

    private static Ordered sortRows(List<Object[]> rows, List<Boolean> descending) {
        List<Object[]> sorted = new ArrayList<>(rows);
        sorted.sort((a, b) -> {
            for (int k = 1; k < a.length; k++) {
                int cmp = compare(a[k], b[k]);
                if (cmp != 0) {
                    return descending.get(k - 1) ? -cmp : cmp;
                }
            }
            return 0;
        });
        return new Ordered(sorted, descending);
    }

    static Node planN(Checked.LinqN l, Node source, List<Node> values, List<Fn> fns) {
        String name = l.name();
        boolean nc = l.nullConditional();
        Fn fn = fns.isEmpty() ? null : fns.get(0);
        return env -> {
            Object o = source.eval(env);
            if (o == null) {
                if (nc) {
                    return null;
                }
                throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'source')");
            }
            if (name.startsWith("ThenBy")) {
                Ordered prev = (Ordered) o;
                List<Object[]> rows = new ArrayList<>(prev.rows.size());
                for (Object[] r : prev.rows) {
                    Object[] next = java.util.Arrays.copyOf(r, r.length + 1);
                    next[r.length] = fn.apply(env, r[0]);
                    rows.add(next);
                }
                List<Boolean> desc = new ArrayList<>(prev.descending);
                desc.add(name.endsWith("Descending"));
                return sortRows(rows, desc);
            }
            List<Object> it = Ops.seq(o);
            switch (name) {
                case "Cast" -> {
                    // a reference or unboxing conversion only, as Enumerable.Cast does: no user-defined conversions
                    Type to = l.ret().elem();
                    List<Object> out = new ArrayList<>(it.size());
                    for (Object x : it) {
                        if (x == null && to.isValueType()) {
                            throw ExpressionException.nullReference();
                        }
                        if (x != null && !Conv.isInstance(x, to)) {
                            throw ExpressionException.invalidCast();
                        }
                        out.add(x);
                    }
                    return out;
                }
                case "OfType" -> {
                    Type to = l.ret().elem();
                    List<Object> out = new ArrayList<>();
                    for (Object x : it) {
                        if (x != null && Conv.isInstance(x, to)) {
                            out.add(x);
                        }
                    }
                    return out;
                }
                case "Select" -> {
                    List<Object> out = new ArrayList<>(it.size());
                    for (int k = 0; k < it.size(); k++) {
                        out.add(fn.apply(env, it.get(k), k));
                    }
                    return out;
                }
                case "Where" -> {
                    List<Object> out = new ArrayList<>();
                    for (int k = 0; k < it.size(); k++) {
                        if (Ops.truth(fn.apply(env, it.get(k), k))) {
                            out.add(it.get(k));
                        }
                    }
                    return out;
                }
                case "Aggregate" -> {
                    Object acc;
                    int from;
                    if (values.isEmpty()) {
                        if (it.isEmpty()) {
                            throw noElements();
                        }
                        acc = it.get(0);
                        from = 1;
                    } else {
                        acc = values.get(0).eval(env);
                        from = 0;
                    }
                    for (int k = from; k < it.size(); k++) {
                        acc = fn.apply(env, acc, it.get(k));
                    }
                    return fns.size() > 1 ? fns.get(1).apply(env, acc) : acc;
                }
                case "Zip" -> {
                    Object other = values.get(0).eval(env);
                    if (other == null) {
                        throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'second')");
                    }
                    List<Object> second = Ops.seq(other);
                    int n = Math.min(it.size(), second.size());
                    List<Object> out = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                        out.add(fn.apply(env, it.get(k), second.get(k)));
                    }
                    return out;
                }
                case "GroupBy", "ToLookup" -> {
                    boolean resultSelector = !values.isEmpty();
                    Fn element = fns.size() > 1 && !resultSelector ? fns.get(1) : null;
                    Lookup groups = new Lookup();
                    for (Object x : it) {
                        env.tick();
                        groups.add(fn.apply(env, x), element == null ? x : element.apply(env, x));
                    }
                    if (name.equals("ToLookup")) {
                        return groups;
                    }
                    if (resultSelector) {
                        List<Object> out = new ArrayList<>(groups.size());
                        for (Object g : groups) {
                            out.add(fns.get(1).apply(env, ((Grouping) g).key, g));
                        }
                        return out;
                    }
                    return new ArrayList<>(groups);
                }
                case "ExceptBy", "IntersectBy", "UnionBy" -> {
                    Object other = values.get(0).eval(env);
                    if (other == null) {
                        throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'second')");
                    }
                    List<Object> second = Ops.seq(other);
                    java.util.Set<Object> seen = new java.util.HashSet<>();
                    List<Object> out = new ArrayList<>();
                    if (name.equals("UnionBy")) {
                        for (List<Object> part : List.of(it, second)) {
                            for (Object x : part) {
                                env.tick();
                                if (seen.add(Ops.hashKey(fn.apply(env, x)))) {
                                    out.add(x);
                                }
                            }
                        }
                        return out;
                    }
                    java.util.Set<Object> keys = new java.util.HashSet<>();
                    for (Object k : second) {
                        keys.add(Ops.hashKey(k));
                    }
                    boolean keep = name.equals("IntersectBy");
                    for (Object x : it) {
                        env.tick();
                        Object k = Ops.hashKey(fn.apply(env, x));
                        if (keys.contains(k) == keep && seen.add(k)) {
                            out.add(x);
                        }
                    }
                    return out;
                }
                case "ToDictionary" -> {
                    java.util.LinkedHashMap<Object, Object> map = new java.util.LinkedHashMap<>();
                    for (Object x : it) {
                        Object key = fn.apply(env, x);
                        if (key == null) {
                            throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'key')");
                        }
                        if (map.containsKey(key)) {
                            throw new ExpressionException("System.ArgumentException",
                                    "An item with the same key has already been added. Key: " + io.gatehouse.expr.lib.Dotnet.toStr(key));
                        }
                        map.put(key, fns.size() > 1 ? fns.get(1).apply(env, x) : x);
                    }
                    return map;
                }
                default -> throw new IllegalStateException("unchecked LINQ method " + name);
            }
        };
    }

    /** Builds a checked LINQ call: its source, planned lambda (or null) and planned argument (or null). */
    static Node plan(Checked.Linq l, Node source, Fn fn, Node value) {
        Op op = op(l.name(), fn, value, l.elem(), l.ret());
        boolean nc = l.nullConditional();
        return env -> {
            Object o = source.eval(env);
            if (o == null) {
                if (nc) {
                    return null;
                }
                throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'source')");
            }
            return op.run(env, Ops.seq(o));
        };
    }

    private static Op op(String name, Fn fn, Node value, Type elem, Type rt) {
        return switch (name) {
            case "Any" -> fn == null ? (env, it) -> !it.isEmpty() : (env, it) -> {
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        return true;
                    }
                }
                return false;
            };
            case "All" -> (env, it) -> {
                for (Object x : it) {
                    if (!Ops.truth(fn.apply(env, x))) {
                        return false;
                    }
                }
                return true;
            };
            case "Count" -> fn == null ? (env, it) -> it.size() : (env, it) -> {
                int n = 0;
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        n++;
                    }
                }
                return n;
            };
            case "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault" -> {
                boolean orDefault = name.endsWith("OrDefault");
                boolean last = name.startsWith("Last");
                boolean single = name.startsWith("Single");
                Object zero = Conv.zero(elem);
                yield (env, it) -> {
                    List<Object> hits = new ArrayList<>();
                    for (Object x : it) {
                        if (fn == null || Ops.truth(fn.apply(env, x))) {
                            hits.add(x);
                            if (!last && !single) {
                                break;
                            }
                            if (single && hits.size() > 1) {
                                throw moreThanOne();
                            }
                        }
                    }
                    if (hits.isEmpty()) {
                        if (orDefault) {
                            return zero;
                        }
                        throw fn == null ? noElements() : noMatch();
                    }
                    return last ? hits.get(hits.size() - 1) : hits.get(0);
                };
            }
            case "Where" -> (env, it) -> {
                List<Object> out = new ArrayList<>();
                for (Object x : it) {
                    if (Ops.truth(fn.apply(env, x))) {
                        out.add(x);
                    }
                }
                return out;
            };
            case "Select" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it.size());
                for (Object x : it) {
                    out.add(fn.apply(env, x));
                }
                return out;
            };
            case "SelectMany" -> (env, it) -> {
                List<Object> out = new ArrayList<>();
                for (Object x : it) {
                    out.addAll(Ops.seq(fn.apply(env, x)));
                }
                return out;
            };
            case "OrderBy", "OrderByDescending" -> {
                boolean desc = name.endsWith("Descending");
                yield (env, it) -> {
                    List<Object[]> rows = new ArrayList<>(it.size());
                    for (Object x : it) {
                        rows.add(new Object[] {x, fn.apply(env, x)});
                    }
                    return sortRows(rows, List.of(desc));
                };
            }
            case "Contains" -> (env, it) -> {
                Object v = value.eval(env);
                for (Object x : it) {
                    env.tick();
                    if (Ops.equal(x, v)) {
                        return true;
                    }
                }
                return false;
            };
            case "ElementAt" -> (env, it) -> {
                int n = Ops.asInt(value.eval(env));
                if (n < 0 || n >= it.size()) {
                    throw new ExpressionException("System.ArgumentOutOfRangeException",
                            "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')");
                }
                return it.get(n);
            };
            case "Skip", "Take" -> {
                boolean skip = name.equals("Skip");
                yield (env, it) -> {
                    int n = Ops.asInt(value.eval(env));
                    int k = Math.max(0, Math.min(n, it.size()));
                    return new ArrayList<>(skip ? it.subList(k, it.size()) : it.subList(0, k));
                };
            }
            case "Concat" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it);
                out.addAll(Ops.seq(value.eval(env)));
                return out;
            };
            case "Distinct" -> (env, it) -> new ArrayList<>(new LinkedHashSet<>(it));
            case "Reverse" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it);
                java.util.Collections.reverse(out);
                return out;
            };
            case "ToArray" -> (env, it) -> Conv.toArray(it.toArray(), elem);
            case "ToList" -> (env, it) -> it;
            case "ToHashSet" -> (env, it) -> {
                java.util.LinkedHashSet<Object> set = new java.util.LinkedHashSet<>();
                for (Object x : it) {
                    set.add(x);
                }
                return set;
            };
            case "DistinctBy" -> (env, it) -> {
                java.util.Set<Object> seen = new java.util.HashSet<>();
                List<Object> out = new ArrayList<>();
                for (Object x : it) {
                    if (seen.add(Ops.hashKey(fn.apply(env, x)))) {
                        out.add(x);
                    }
                }
                return out;
            };
            case "MaxBy", "MinBy" -> {
                boolean max = name.equals("MaxBy");
                boolean valueType = elem.isValueType();
                yield (env, it) -> {
                    if (it.isEmpty()) {
                        if (valueType) {
                            throw noElements();
                        }
                        return null;
                    }
                    // as .NET: the first element with the greatest (least) key; null keys lose to any other key
                    Object best = it.get(0);
                    Object bestKey = fn.apply(env, best);
                    for (int k = 1; k < it.size(); k++) {
                        Object x = it.get(k);
                        Object key = fn.apply(env, x);
                        if (key == null) {
                            continue;
                        }
                        if (bestKey == null) {
                            best = x;
                            bestKey = key;
                            continue;
                        }
                        int cmp = compare(key, bestKey);
                        if (max ? cmp > 0 : cmp < 0) {
                            best = x;
                            bestKey = key;
                        }
                    }
                    return best;
                };
            }
            case "Chunk" -> (env, it) -> {
                int size = Ops.asInt(value.eval(env));
                if (size < 1) {
                    throw Ops.outOfRange("size", "Specified argument was out of the range of valid values.");
                }
                List<Object> out = new ArrayList<>();
                for (int k = 0; k < it.size(); k += size) {
                    env.tick();
                    out.add(Conv.toArray(it.subList(k, Math.min(it.size(), k + size)).toArray(), elem));
                }
                return out;
            };
            case "Sum" -> (env, it) -> {
                List<Object> vals = values(env, it, fn);
                Object acc = Conv.zero(rt.isDynamic() ? Type.INT : rt);
                for (Object v : vals) {
                    acc = Operator.ADD.apply(acc, v);
                }
                return acc;
            };
            case "Average" -> (env, it) -> {
                List<Object> vals = values(env, it, fn);
                if (vals.isEmpty()) {
                    throw noElements();
                }
                Object acc = rt == Type.DECIMAL ? (Object) java.math.BigDecimal.ZERO : (Object) 0.0;
                for (Object v : vals) {
                    acc = Operator.ADD.apply(acc, v);
                }
                return Operator.DIV.apply(acc, rt == Type.DECIMAL ? (Object) java.math.BigDecimal.valueOf(vals.size())
                        : (Object) (double) vals.size());
            };
            case "Max", "Min" -> {
                boolean max = name.equals("Max");
                yield (env, it) -> {
                    List<Object> vals = values(env, it, fn);
                    if (vals.isEmpty()) {
                        throw noElements();
                    }
                    Object best = vals.get(0);
                    for (Object v : vals) {
                        int cmp = compare(v, best);
                        if (max ? cmp > 0 : cmp < 0) {
                            best = v;
                        }
                    }
                    return best;
                };
            }
            case "SkipWhile", "TakeWhile" -> {
                boolean skip = name.equals("SkipWhile");
                yield (env, it) -> {
                    int k = 0;
                    while (k < it.size() && Ops.truth(fn.apply(env, it.get(k)))) {
                        k++;
                    }
                    return new ArrayList<>(skip ? it.subList(k, it.size()) : it.subList(0, k));
                };
            }
            case "LongCount" -> {
                Op count = op("Count", fn, value, elem, Type.INT);
                yield (env, it) -> (long) (Integer) count.run(env, it);
            }
            case "ElementAtOrDefault" -> {
                Object zero = Conv.zero(elem);
                yield (env, it) -> {
                    int n = Ops.asInt(value.eval(env));
                    return n < 0 || n >= it.size() ? zero : it.get(n);
                };
            }
            case "DefaultIfEmpty" -> {
                Object zero = Conv.zero(elem);
                yield (env, it) -> {
                    if (!it.isEmpty()) {
                        return it;
                    }
                    List<Object> one = new ArrayList<>(1);
                    one.add(value == null ? zero : value.eval(env));
                    return one;
                };
            }
            case "Union", "Intersect", "Except" -> (env, it) -> {
                Object other = value.eval(env);
                if (other == null) {
                    throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'second')");
                }
                List<Object> second = Ops.seq(other);
                List<Object> out = new ArrayList<>();
                if (name.equals("Union")) {
                    for (Object x : it) {
                        addDistinct(env, out, x);
                    }
                    for (Object x : second) {
                        addDistinct(env, out, x);
                    }
                    return out;
                }
                boolean keep = name.equals("Intersect");
                for (Object x : it) {
                    if (contains(env, second, x) == keep) {
                        addDistinct(env, out, x);
                    }
                }
                return out;
            };
            case "SequenceEqual" -> (env, it) -> {
                Object other = value.eval(env);
                if (other == null) {
                    throw new ExpressionException("System.ArgumentNullException", "Value cannot be null. (Parameter 'second')");
                }
                List<Object> second = Ops.seq(other);
                if (second.size() != it.size()) {
                    return false;
                }
                for (int k = 0; k < it.size(); k++) {
                    env.tick();
                    if (!Ops.equal(it.get(k), second.get(k))) {
                        return false;
                    }
                }
                return true;
            };
            case "Append", "Prepend" -> (env, it) -> {
                List<Object> out = new ArrayList<>(it.size() + 1);
                if (name.equals("Prepend")) {
                    out.add(value.eval(env));
                    out.addAll(it);
                } else {
                    out.addAll(it);
                    out.add(value.eval(env));
                }
                return out;
            };
            default -> throw new IllegalStateException("unchecked LINQ method " + name);
        };
    }

    /** Set semantics with .NET's default equality (Equals), element order kept: Distinct, Union, Intersect, Except. */
    private static boolean contains(Env env, List<Object> list, Object x) {
        for (Object y : list) {
            env.tick();
            if (Ops.equal(x, y)) {
                return true;
            }
        }
        return false;
    }

    private static void addDistinct(Env env, List<Object> out, Object x) {
        if (!contains(env, out, x)) {
            out.add(x);
        }
    }

    private static List<Object> values(Env env, List<Object> it, Fn fn) {
        List<Object> vals = new ArrayList<>();
        for (Object x : it) {
            vals.add(fn == null ? x : fn.apply(env, x));
        }
        return vals;
    }
    private static boolean needsBool(String name) {
        return switch (name) {
            case "Any", "All", "Count", "LongCount", "Where", "First", "FirstOrDefault", "Last", "LastOrDefault", "Single",
                "SingleOrDefault", "SkipWhile", "TakeWhile" -> true;
            default -> false;
        };
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static int compare(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        if (Ops.kind(a) >= 0 && Ops.kind(b) >= 0) {
            return Operator.LT.compare(a, b) ? -1 : Ops.equal(a, b) ? 0 : 1;
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        if (a instanceof Comparable ca && a.getClass() == b.getClass()) {
            return ca.compareTo(b);
        }
        throw new ExpressionException("System.InvalidOperationException", "Failed to compare two elements in the array.");
    }
}
