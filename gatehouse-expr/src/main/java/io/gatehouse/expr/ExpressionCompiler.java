package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.internal.Ast;
import io.gatehouse.expr.internal.Checked;
import io.gatehouse.expr.internal.Checker;
import io.gatehouse.expr.internal.Evaluator;
import io.gatehouse.expr.internal.Lexer;
import io.gatehouse.expr.internal.Library;
import io.gatehouse.expr.internal.Parser;
import io.gatehouse.expr.internal.Planner;
import io.gatehouse.expr.internal.Type;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Compiles APIM policy expressions — {@code @( expression )} and {@code @{ statements }} — once,
 * when a policy loads: parses the C# subset, checks every name and type against the context model
 * and the .NET-like library into a checked tree ({@code Checker}), and plans that into a tree of
 * closures ({@code Planner}) that later runs per request without lookups. Problems become {@link io.gatehouse.common.Diagnostic}s whose line and column point into
 * the expression. Thread-safe; share one instance.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/api-management-policy-expressions">APIM policy expressions</a>
 */
public final class ExpressionCompiler {
    private final ExprLimits limits;

    public ExpressionCompiler() {
        this(ExprLimits.defaults());
    }

    public ExpressionCompiler(ExprLimits limits) {
        this.limits = requireNonNull(limits, "limits");
    }

    public ExprLimits limits() {
        return limits;
    }

    /** True when text is a policy expression: starts with "@(" or "@{" after trimming. */
    public static boolean isExpression(String text) {
        if (text == null) {
            return false;
        }
        String t = text.strip();
        return t.startsWith("@(") || t.startsWith("@{");
    }

    /**
     * Parses and checks one expression.
     *
     * @param text exactly as written, starting with "@(" or "@{"
     * @param origin file and 1-based line/column of the '@'
     * @param expected what the caller needs: Boolean.class for conditions, String.class for values
     *     (any result is converted with .NET's ToString), Object.class for anything, or
     *     Integer/Long/Double.class for numbers
     * @param diagnostics receives every problem, positioned inside the expression
     * @return the compiled expression, or null when there were errors; never throws for bad input
     */
    public CompiledExpression compile(String text, Position origin, Class<?> expected, Diagnostics diagnostics) {
        return compile(text, origin, null, expected, diagnostics);
    }

    /**
     * Like {@link #compile(String, Position, Class, Diagnostics)}, with where each character of
     * {@code text} is written: {@code positions} maps an offset into {@code text} to its place in
     * the document, for a text that is not the document's characters one for one (entities such
     * as {@code &lt;} decoded, named values substituted). Null: offsets count from {@code origin}.
     */
    public CompiledExpression compile(String text, Position origin, java.util.function.IntFunction<Position> positions,
                                      Class<?> expected, Diagnostics diagnostics) {
        requireNonNull(origin, "origin");
        requireNonNull(diagnostics, "diagnostics");
        Type want = expectedType(expected);
        if (text == null) {
            diagnostics.error(origin.file(), origin.line(), origin.column(), "expected an expression starting with '@(' or '@{' but found nothing");
            return null;
        }
        Checker checker = new Checker(text, origin, positions, diagnostics);
        try {
            return compile(text, origin, want, checker);
        } catch (StackOverflowError e) {
            checker.error(0, "the expression is nested too deeply to compile");
            return null;
        } catch (RuntimeException e) {
            checker.error(0, "internal error while compiling the expression (" + e.getClass().getSimpleName()
                    + "); please report this expression");
            return null;
        }
    }

    /** parse → check → plan: the planner runs only on an expression that checked without errors. */
    private CompiledExpression compile(String text, Position origin, Type want, Checker compiler) {
        int start = 0;
        while (start < text.length() && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        int end = text.length();
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        if (!text.startsWith("@(", start) && !text.startsWith("@{", start)) {
            compiler.error(start, "a policy expression must start with '@(' or '@{'");
            return null;
        }
        if (text.length() > limits.maxSourceLength()) {
            compiler.error(start, "the expression is " + text.length() + " characters long; the limit is "
                    + limits.maxSourceLength());
            return null;
        }
        boolean block = text.charAt(start + 1) == '{';
        Checked.Expr checked;
        try {
            List<io.gatehouse.expr.internal.Token> tokens = new Lexer(text, start + 1, end).tokens();
            Parser parser = new Parser(text, tokens, Library.INSTANCE.typeNameSet(), limits.maxNestingDepth());
            if (block) {
                Ast.Block b = parser.parseBlockText();
                checked = compiler.checkBlock(b, want);
            } else {
                Ast.Expr e = parser.parseParenthesized();
                checked = compiler.checkExpression(e, want);
            }
        } catch (RuntimeException e) {
            Integer offset = Evaluator.syntaxOffset(e);
            if (offset == null) {
                throw e;
            }
            compiler.error(offset, e.getMessage());
            return null;
        }
        if (compiler.errors() > 0) {
            return null;
        }
        Planner.Node node = new Planner().plan(checked);
        return new Evaluator(text, origin, node, compiler.slots(), compiler.readsRequestBody(),
                compiler.readsResponseBody(), limits);
    }

    private static Type expectedType(Class<?> expected) {
        if (expected == null || expected == Object.class) {
            return Type.OBJECT;
        }
        if (expected == Boolean.class || expected == boolean.class) {
            return Type.BOOL;
        }
        if (expected == String.class) {
            return Type.STRING;
        }
        if (expected == Integer.class || expected == int.class) {
            return Type.INT;
        }
        if (expected == Long.class || expected == long.class) {
            return Type.LONG;
        }
        if (expected == Double.class || expected == double.class) {
            return Type.DOUBLE;
        }
        throw new IllegalArgumentException("expected: " + expected.getName()
                + " (expected: Boolean, String, Object, Integer, Long or Double)");
    }
}
