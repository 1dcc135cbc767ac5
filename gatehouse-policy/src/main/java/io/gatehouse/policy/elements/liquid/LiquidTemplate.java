package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;
import io.gatehouse.policy.elements.liquid.Ast.Node;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A Liquid template compiled once, at load, and rendered per request: the subset of DotLiquid
 * that APIM's {@code set-body template="liquid"} runs, in its "C# mode" (Pascal-case filter names,
 * .NET date formats).
 *
 * <p>Supported: {@code {{ value | Filter: arg, arg }}} output; tags {@code if/elsif/else},
 * {@code unless}, {@code case/when}, {@code for ... in ... [limit:n] [offset:n] [reversed]} with
 * {@code forloop.index/index0/rindex/rindex0/first/last/length}, {@code break}, {@code continue},
 * {@code assign}, {@code capture}, {@code comment}, {@code raw}, and APIM's {@code JSONArrayFor},
 * which writes a comma between iterations. Text is kept exactly as written (DotLiquid trims no
 * whitespace) unless a delimiter has a dash: {@code {%-}, {@code -%}}, {@code {{-}, {@code -}}}.
 * Conditions are evaluated right to left, as in Liquid. Output is not escaped: use
 * {@code Escape} when a value goes into XML or HTML.
 *
 * <p>Every syntax error is reported with its position, and an unknown filter or a filter given the
 * wrong number of arguments is a load error. Rendering is bounded ({@link #MAX_STEPS},
 * {@link #MAX_OUTPUT}) so a template cannot loop a request forever; nesting is bounded
 * ({@link #MAX_NESTING}) so one cannot overflow the stack.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-body-policy#using-liquid-templates-with-set-body">APIM: Liquid templates with set-body</a>
 */
public final class LiquidTemplate {
    /** Loop iterations plus rendered nodes allowed for one rendering. */
    public static final int MAX_STEPS = 1_000_000;
    /** Characters one rendering may produce. */
    public static final int MAX_OUTPUT = 16 * 1024 * 1024;
    /** Items a range such as {@code (1..n)} may have. */
    public static final int MAX_RANGE = 100_000;
    /**
     * Levels of blocks ({@code if}, {@code for}, {@code case}, ...) one inside another, and also
     * comparisons joined by {@code and} / {@code or} in one condition and ranges inside ranges:
     * a template beyond it is refused at load, so a hostile one cannot overflow the stack.
     */
    public static final int MAX_NESTING = 100;

    /** Where compile errors go. */
    @FunctionalInterface
    public interface Reporter {
        void error(Position at, String message);
    }

    private final List<Node> nodes;
    private final Set<String> roots;

    private LiquidTemplate(List<Node> nodes, Set<String> roots) {
        this.nodes = nodes;
        this.roots = Set.copyOf(roots);
    }

    /**
     * Compiles {@code source}. A bare {@code {{name}}} whose name is a defined named value (and not
     * a template variable such as {@code body} or {@code context}) is replaced by that value, as
     * APIM resolves named values before the template runs. Returns null after reporting when the
     * template has errors.
     */
    public static LiquidTemplate compile(LiquidSource source, Function<String, String> namedValues, Reporter reporter) {
        Parser p = new Parser(source, namedValues, reporter);
        List<Node> nodes = p.parse();
        return p.errors > 0 ? null : new LiquidTemplate(nodes, p.roots);
    }

    /** True if the template reads the variable {@code root} (e.g. {@code body}) anywhere. */
    public boolean reads(String root) {
        return roots.contains(root);
    }

    /** Renders with {@code globals} as the top-level variables. */
    public String render(Map<String, Object> globals) {
        Renderer r = new Renderer(globals);
        r.block(nodes);
        return r.out.toString();
    }
}
