package io.gatehouse.expr.internal;

import io.gatehouse.expr.internal.Library.Indexer;
import io.gatehouse.expr.internal.Library.Setter;
import io.gatehouse.expr.internal.Members.Getter;
import io.gatehouse.expr.internal.Members.Invoker;

import java.util.List;

/**
 * The checked tree: what {@link Checker} makes of the syntax tree once every name, member, overload
 * and type is resolved. Nothing in it needs a lookup any more: locals are slots, members are their
 * getters and invokers, operators their resolved implementations, conversions name both types.
 * {@link Planner} turns it into the closures that run.
 */
public final class Checked {
    private Checked() {
    }

    /** A checked expression. Its static type travels beside it, in the checker's result. */
    public sealed interface Expr {
    }

    /** A checked statement. */
    sealed interface Stmt {
    }

    /** A checked pattern ({@code is}, {@code switch}). */
    sealed interface Pat {
    }

    // ---- values and names

    record Const(Object value) implements Expr {
    }

    /** {@code $"..."}: literal text and formatted holes, in order. */
    record Interp(List<Object> parts) implements Expr {
    }

    record Hole(Expr value, String format, int align) {
    }

    record Local(int slot) implements Expr {
    }

    record Context() implements Expr {
    }

    // ---- members, indexers, calls

    record DynamicProp(Expr target, String name, boolean nullConditional) implements Expr {
    }

    record Prop(Expr target, Getter getter, boolean nullConditional) implements Expr {
    }

    record StaticProp(Getter getter) implements Expr {
    }

    /** {@code target[key]}; {@code checked}: a null target is a NullReferenceException (else passed to the getter). */
    record IndexGet(Expr target, Expr key, Indexer.Get get, boolean nullConditional, boolean checked) implements Expr {
    }

    /** The current value of a settable property for compound assignment; a null getter reads null. */
    record PropRaw(Expr target, Getter getter) implements Expr {
    }

    record DynamicCall(Expr target, String name, List<Expr> args, Type typeArg, boolean nullConditional) implements Expr {
    }

    /** A library method or constructor; target is null for a static one; {@code outIndex} &gt;= 0 stores into {@code outSlot}. */
    record Invoke(Expr target, Invoker invoker, List<Expr> args, int outIndex, int outSlot, Type typeArg,
            boolean nullConditional) implements Expr {
    }

    record CallLocal(LocalFn fn, List<Expr> args) implements Expr {
    }

    /** A one-parameter lambda of a LINQ call: its parameter's slot and body. */
    record Lambda(int slot, Expr body, Type ret) {
    }

    record Linq(String name, Expr source, Lambda fn, Expr value, Type elem, Type ret, boolean nullConditional) implements Expr {
    }

    /**
     * A LINQ call with several arguments or a lambda of two parameters (Aggregate, Zip, ToDictionary,
     * ThenBy, Select/Where with the index): its values and lambdas in argument order.
     */
    record LinqN(String name, Expr source, List<Expr> values, List<Lambda> fns, Type elem, Type ret, boolean nullConditional)
            implements Expr {
    }

    /**
     * A library method that takes a lambda (Regex.Replace with a MatchEvaluator): its target (null for a static one),
     * its other arguments in order and its lambda; {@code impl} runs it.
     */
    record FnCall(Expr target, List<Expr> values, Lambda fn, FnImpl impl, boolean nullConditional) implements Expr {
    }

    /** What a {@link FnCall} does with its evaluated target and arguments and its planned lambda. */
    @FunctionalInterface
    interface FnImpl {
        Object run(Env env, Object target, Object[] values, Planner.Fn fn);
    }

    // ---- operators and conversions

    record Not(Expr operand) implements Expr {
    }

    record UnaryOp(PrefixOperator op, Expr operand) implements Expr {
    }

    record BinaryOp(Operator.Impl impl, Expr left, Expr right) implements Expr {
    }

    /** {@code &&} and {@code ||}. */
    record Logical(boolean and, Expr left, Expr right) implements Expr {
    }

    record Coalesce(Expr left, Expr right) implements Expr {
    }

    /** {@code x == null} ({@code negated}: {@code x != null}). */
    record IsNull(Expr operand, boolean negated) implements Expr {
    }

    record XNamePlus(Expr ns, Expr local) implements Expr {
    }

    record Conditional(Expr cond, Expr then, Expr otherwise) implements Expr {
    }

    /** A dynamic value used as a bool. */
    record Truth(Expr operand) implements Expr {
    }

    /** A value as a string (null stays null), for a string result. */
    record ToStr(Expr operand) implements Expr {
    }

    /** Numeric widening from one static type to another. */
    record Implicit(Expr operand, Type from, Type to) implements Expr {
    }

    record Cast(Expr operand, Type to, boolean unbox) implements Expr {
    }

    record As(Expr operand, Type to) implements Expr {
    }

    record IsType(Expr operand, Type to, boolean negated) implements Expr {
    }

    record IsBind(Expr operand, Type to, int slot) implements Expr {
    }

    record IsPattern(Expr operand, Pat pattern) implements Expr {
    }

    record ToJToken(Expr operand) implements Expr {
    }

    /** A string as an XName ({@code name}) or an XNamespace. */
    record ToXName(Expr operand, boolean name) implements Expr {
    }

    // ---- assignment

    record StoreLocal(int slot, Expr value) implements Expr {
    }

    record IndexSet(Expr target, Expr key, Expr value, Indexer.Set set) implements Expr {
    }

    record PropSet(Expr target, Expr value, Setter.Set set) implements Expr {
    }

    record IncDec(int slot, Type type, int delta, boolean prefix) implements Expr {
    }

    // ---- creation

    record NewArray(List<Expr> items, Expr size, Type elem) implements Expr {
    }

    enum CollectionKind { LIST, LIST_FROM, SET, SET_FROM, MAP, MAP_COPY, MAP_WITH_COMPARER }

    record NewCollection(CollectionKind kind, Expr source) implements Expr {
    }

    /** Object and collection initializers: the made object in {@code slot}, then each step. */
    record Initialize(Expr made, int slot, List<Expr> steps) implements Expr {
    }

    record NewException(String dotnetType, Expr message, String paramPrefix) implements Expr {
    }

    record Anonymous(List<String> names, List<Expr> values) implements Expr {
    }

    // ---- exceptions, switch, blocks as values

    /** The value of {@code throw x}: x as the exception to throw. */
    record Thrown(Expr value) implements Expr {
    }

    record ThrowExpr(Thrown thrown) implements Expr {
    }

    record SwitchExpr(Expr subject, List<Pat> patterns, List<Expr> results) implements Expr {
    }

    /** The body of a {@code @{ }} expression: must end in a return. */
    record BlockResult(Stmt body) implements Expr {
    }

    /** A block used as a value (lambda, local function): its returned value, or null. */
    record BlockValue(Stmt body) implements Expr {
    }

    // ---- statements

    record Seq(List<Stmt> stmts) implements Stmt {
    }

    record Nop() implements Stmt {
    }

    record Eval(Expr expr) implements Stmt {
    }

    record If(Expr cond, Stmt then, Stmt otherwise) implements Stmt {
    }

    record While(Expr cond, Stmt body) implements Stmt {
    }

    record DoWhile(Stmt body, Expr cond) implements Stmt {
    }

    record For(List<Stmt> init, Expr cond, List<Expr> step, Stmt body) implements Stmt {
    }

    record Foreach(Expr source, int slot, Type cast, Stmt body) implements Stmt {
    }

    record Return(Expr value) implements Stmt {
    }

    record Break() implements Stmt {
    }

    record Continue() implements Stmt {
    }

    record Catch(String type, int varSlot, int rethrowSlot, Expr filter, Stmt handler) {
    }

    record Try(Stmt body, List<Catch> catches, Stmt fin) implements Stmt {
    }

    record Rethrow(int slot) implements Stmt {
    }

    record Throw(Thrown thrown) implements Stmt {
    }

    /** {@code switch}: each section's patterns, its body; {@code defaultSection} or -1. */
    record Switch(Expr subject, List<List<Pat>> patterns, List<Stmt> bodies, int defaultSection) implements Stmt {
    }

    /** Where a local function is declared: the planner plans its body here. */
    record LocalFunction(LocalFn fn) implements Stmt {
    }

    // ---- patterns

    record AnyPat() implements Pat {
    }

    record NotPat(Pat inner) implements Pat {
    }

    record AndPat(Pat left, Pat right) implements Pat {
    }

    record OrPat(Pat left, Pat right) implements Pat {
    }

    record NullPat() implements Pat {
    }

    record ConstPat(Expr value) implements Pat {
    }

    record RelPat(Operator op, Expr value) implements Pat {
    }

    /** A type test ({@code any}: none, as for {@code var x}) binding into {@code slot} unless -1. */
    record TypePat(Type type, boolean any, int slot) implements Pat {
    }

    record GuardPat(Pat pattern, Expr guard) implements Pat {
    }

    /**
     * A local function. Its parameters live in fixed slots, so a call stores the arguments there and
     * runs the body; {@code guardSlot} marks it active while it runs, which refuses recursion (the
     * slots would be shared between the calls).
     */
    static final class LocalFn {
        final String name;
        final Type ret;
        final Type[] params;
        final int[] slots;
        final int guardSlot;
        Expr body;
        boolean checking;

        LocalFn(String name, Type ret, Type[] params, int[] slots, int guardSlot) {
            this.name = name;
            this.ret = ret;
            this.params = params;
            this.slots = slots;
            this.guardSlot = guardSlot;
        }
    }
}
