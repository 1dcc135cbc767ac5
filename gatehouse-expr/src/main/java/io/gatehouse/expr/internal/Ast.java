package io.gatehouse.expr.internal;

import java.util.List;

/** The syntax tree. Every node carries {@code pos}, the offset of its first character in the text. */
public final class Ast {
    private Ast() {
    }

    /** A type as written: {@code int}, {@code string[]}, {@code JObject}, {@code int?}. */
    public record TypeRef(int pos, String name, List<TypeRef> args, int rank, boolean nullable) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(name);
            if (!args.isEmpty()) {
                sb.append('<');
                for (int k = 0; k < args.size(); k++) {
                    sb.append(k > 0 ? "," : "").append(args.get(k));
                }
                sb.append('>');
            }
            if (nullable) {
                sb.append('?');
            }
            sb.append("[]".repeat(rank));
            return sb.toString();
        }
    }

    public sealed interface Expr permits Lit, Interp, Name, Member, Call, Index, Unary, IncDec, Binary, Assign, Cond,
            Cast, As, Is, Lambda, New, TypeExpr, InitList, AnonNew, SwitchExpr, DefaultOf, ThrowExpr, IsPattern {
        int pos();
    }

    public record Lit(int pos, Object value) implements Expr {
    }

    public record Hole(Expr expr, int align, String format) {
    }

    /** parts are String or Hole. */
    public record Interp(int pos, List<Object> parts) implements Expr {
    }

    public record Name(int pos, String name) implements Expr {
    }

    public record Member(int pos, Expr target, String name, int namePos, boolean nullConditional, int end) implements Expr {
    }

    /** An argument; for {@code out var x} / {@code out T x} / {@code out x}, outType/outName are set. */
    public record Arg(Expr expr, boolean out, TypeRef outType, String outName, int pos) {
    }

    public record Call(int pos, Expr target, List<TypeRef> typeArgs, List<Arg> args, int end) implements Expr {
    }

    public record Index(int pos, Expr target, List<Expr> args, boolean nullConditional, int end) implements Expr {
    }

    public record Unary(int pos, String op, Expr operand) implements Expr {
    }

    public record IncDec(int pos, String op, boolean prefix, Expr target) implements Expr {
    }

    public record Binary(int pos, String op, int opPos, Expr left, Expr right) implements Expr {
    }

    public record Assign(int pos, String op, int opPos, Expr target, Expr value) implements Expr {
    }

    public record Cond(int pos, Expr cond, Expr then, Expr otherwise) implements Expr {
    }

    public record Cast(int pos, TypeRef type, Expr operand) implements Expr {
    }

    public record As(int pos, Expr operand, TypeRef type) implements Expr {
    }

    /** {@code x is null}, {@code x is not null}, {@code x is T}, {@code x is T name}. type null means the null pattern. */
    public record Is(int pos, Expr operand, TypeRef type, boolean negated, String bind, int bindPos) implements Expr {
    }

    /** A lambda; exactly one of body and block is set. */
    public record Lambda(int pos, List<String> params, Expr body, Block block) implements Expr {
    }

    /** {@code new T(args)}, {@code new T[] {..}}, {@code new T[n]}, {@code new[] {..}} (type null). */
    public record New(int pos, TypeRef type, List<Expr> args, List<Expr> init, boolean array, Expr size) implements Expr {
    }

    /** {@code { a, b }} inside a collection initializer: the arguments of one {@code Add(a, b)}. */
    public record InitList(int pos, List<Expr> items) implements Expr {
    }

    /** {@code new { a = 1, b }}: an anonymous object; {@code names} are the member names. */
    public record AnonNew(int pos, List<String> names, List<Expr> values) implements Expr {
    }

    /** {@code subject switch { pattern [when guard] => result, ... }}. */
    public record SwitchExpr(int pos, Expr subject, List<Arm> arms) implements Expr {
    }

    public record Arm(int pos, Pattern pattern, Expr guard, Expr result) {
    }

    /** {@code x is <pattern>} for patterns beyond a type or null: constants, relational, and/or/not. */
    public record IsPattern(int pos, Expr operand, Pattern pattern) implements Expr {
    }

    /** {@code default(T)}, or the {@code default} literal when type is null. */
    public record DefaultOf(int pos, TypeRef type) implements Expr {
    }

    /** {@code throw e} used as an expression ({@code x ?? throw new Exception(..)}). */
    public record ThrowExpr(int pos, Expr value) implements Expr {
    }

    /** Patterns of {@code switch} and {@code case}: constants, relational, type, {@code _}, and/or/not. */
    public sealed interface Pattern permits ConstPat, RelPat, TypePat, Discard, NotPat, AndPat, OrPat {
        int pos();
    }

    public record ConstPat(int pos, Expr value) implements Pattern {
    }

    public record RelPat(int pos, String op, Expr value) implements Pattern {
    }

    /** {@code string s} or {@code int}: matches values of the type, optionally binding them. */
    public record TypePat(int pos, TypeRef type, String bind, int bindPos) implements Pattern {
    }

    public record Discard(int pos) implements Pattern {
    }

    public record NotPat(int pos, Pattern inner) implements Pattern {
    }

    public record AndPat(int pos, Pattern left, Pattern right) implements Pattern {
    }

    public record OrPat(int pos, Pattern left, Pattern right) implements Pattern {
    }

    /** A type used as a value in a member access, e.g. {@code string} in {@code string.IsNullOrEmpty}. */
    public record TypeExpr(int pos, TypeRef type) implements Expr {
    }

    public sealed interface Stmt permits Block, Local, ExprStmt, If, While, DoWhile, For, Foreach, Return, Break,
            Continue, Empty, LocalFunc, Try, Throw, Switch {
        int pos();
    }

    public record Block(int pos, List<Stmt> stmts, int end) implements Stmt {
    }

    public record Declarator(String name, int pos, Expr init) {
    }

    /** type null means {@code var}. */
    public record Local(int pos, TypeRef type, List<Declarator> vars) implements Stmt {
    }

    public record ExprStmt(int pos, Expr expr) implements Stmt {
    }

    public record If(int pos, Expr cond, Stmt then, Stmt otherwise) implements Stmt {
    }

    public record While(int pos, Expr cond, Stmt body) implements Stmt {
    }

    public record DoWhile(int pos, Stmt body, Expr cond) implements Stmt {
    }

    public record For(int pos, List<Stmt> init, Expr cond, List<Expr> step, Stmt body) implements Stmt {
    }

    public record Foreach(int pos, TypeRef type, String name, int namePos, Expr source, Stmt body) implements Stmt {
    }

    public record Return(int pos, Expr value) implements Stmt {
    }

    public record Break(int pos) implements Stmt {
    }

    public record Continue(int pos) implements Stmt {
    }

    public record Empty(int pos) implements Stmt {
    }

    public record Param(TypeRef type, String name, int pos) {
    }

    /** A local function; ret is null for {@code void}; exactly one of body and expr is set. */
    public record LocalFunc(int pos, TypeRef ret, String name, int namePos, List<Param> params, Block body, Expr expr)
            implements Stmt {
    }

    /** {@code catch (T name) when (filter) { }}; type, name and filter may be null. */
    public record Catch(int pos, TypeRef type, String name, int namePos, Expr filter, Block body) {
    }

    public record Try(int pos, Block body, List<Catch> catches, Block fin) implements Stmt {
    }

    /** {@code throw e;} or, inside a catch, {@code throw;} (value null). */
    public record Throw(int pos, Expr value) implements Stmt {
    }

    /** One {@code case}/{@code default} label; pattern null means {@code default}. */
    public record CaseLabel(int pos, Pattern pattern, Expr guard) {
    }

    public record Section(List<CaseLabel> labels, List<Stmt> stmts) {
    }

    public record Switch(int pos, Expr subject, List<Section> sections) implements Stmt {
    }
}
