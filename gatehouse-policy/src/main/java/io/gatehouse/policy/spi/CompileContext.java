package io.gatehouse.policy.spi;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.expr.ExpressionCompiler;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlText;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a policy compiler gets: the diagnostics sink, the environment (named values, fragments,
 * certificates, backends), where the element sits (scope, section, path), and helpers that read
 * attributes and values the same way for every policy, so every policy reports unknown
 * attributes, bad numbers and broken expressions alike.
 */
public final class CompileContext {

    private final Diagnostics diagnostics;
    private final PolicyEnvironment environment;
    private final PolicyRegistry registry;
    private final Scope scope;
    private final Section section;
    private final FragmentLoader fragments;
    private final List<String> fragmentStack;
    private final boolean inFragment;
    private String path = "";
    private boolean baseSeen;
    private boolean anySection;
    private boolean readsRequestBody;
    private boolean readsResponseBody;
    private final List<CompiledExpression> expressions;
    /** Unknown named values already warned about in this document (lenient mode). */
    private final Set<String> placeholders;

    /** Loads and compiles fragments by id; the engine supplies it so fragment files are read once. */
    public interface FragmentLoader {
        /** The fragment's root element, or null when the id is unknown (the caller reports it). */
        XmlElement fragment(String id, Diagnostics diagnostics);
    }

    public CompileContext(Diagnostics diagnostics, PolicyEnvironment environment, PolicyRegistry registry,
                          Scope scope, Section section, FragmentLoader fragments) {
        this(diagnostics, environment, registry, scope, section, fragments, List.of(), false, new ArrayList<>(), new HashSet<>());
    }

    /** A context for another section of the same document: it shares what was warned about once per document. */
    public CompileContext forSection(Scope scope, Section section) {
        return new CompileContext(diagnostics, environment, registry, scope, section, fragments, List.of(), false,
                new ArrayList<>(), placeholders);
    }

    private CompileContext(Diagnostics diagnostics, PolicyEnvironment environment, PolicyRegistry registry,
                           Scope scope, Section section, FragmentLoader fragments, List<String> fragmentStack,
                           boolean inFragment, List<CompiledExpression> expressions, Set<String> placeholders) {
        this.diagnostics = diagnostics;
        this.environment = environment;
        this.registry = registry;
        this.scope = scope;
        this.section = section;
        this.fragments = fragments;
        this.fragmentStack = fragmentStack;
        this.inFragment = inFragment;
        this.expressions = expressions;
        this.placeholders = placeholders;
    }

    /** A context for compiling fragment {@code id}'s content, sharing diagnostics and body flags. */
    public CompileContext forFragment(String id) {
        List<String> stack = new ArrayList<>(fragmentStack);
        stack.add(id);
        CompileContext c = new CompileContext(diagnostics, environment, registry, scope, section, fragments,
                List.copyOf(stack), true, expressions, placeholders);
        c.path = path;
        c.anySection = anySection;
        return c;
    }

    /**
     * Skips the "not allowed in this section" check: for checking a fragment on its own, when the
     * section it will be included into is not known.
     */
    public CompileContext allowAnySection() {
        this.anySection = true;
        return this;
    }

    public Diagnostics diagnostics() {
        return diagnostics;
    }

    public PolicyEnvironment environment() {
        return environment;
    }

    public Scope scope() {
        return scope;
    }

    public Section section() {
        return section;
    }

    public boolean inFragment() {
        return inFragment;
    }

    /** Fragment ids being included, outermost first, to detect cycles. */
    public List<String> fragmentStack() {
        return fragmentStack;
    }

    public FragmentLoader fragments() {
        return fragments;
    }

    /** Every expression compiled through this context (for the linter and body flags). */
    public List<CompiledExpression> expressions() {
        return List.copyOf(expressions);
    }

    public boolean readsRequestBody() {
        return readsRequestBody || expressions.stream().anyMatch(CompiledExpression::readsRequestBody);
    }

    public boolean readsResponseBody() {
        return readsResponseBody || expressions.stream().anyMatch(CompiledExpression::readsResponseBody);
    }

    /** Marks that a policy reads the body itself (not through an expression). */
    public void readsBody(boolean request, boolean response) {
        readsRequestBody |= request;
        readsResponseBody |= response;
    }

    /** Records a {@code <base/>}; returns false (after reporting) when it is not allowed here. */
    public boolean noteBase(Position at) {
        if (inFragment) {
            error(at, "<base/> is not allowed inside a fragment: fragments are included into a section, which decides where <base/> goes");
            return false;
        }
        if (baseSeen) {
            error(at, "<base/> appears more than once in the " + section.element() + " section");
            return false;
        }
        baseSeen = true;
        return true;
    }

    /** True if the section compiled with this context contains {@code <base/>}. */
    public boolean baseSeen() {
        return baseSeen;
    }

    public void error(Position at, String message) {
        diagnostics.add(at.error(message));
    }

    public void warning(Position at, String message) {
        diagnostics.add(at.warning(message));
    }

    // ---- policies and blocks ----

    /**
     * Compiles child policy elements into a block. Text that is not blank is an error. Each child
     * is looked up in the registry; an unsupported APIM policy or an unknown element is an error.
     */
    public Block block(XmlElement parent) {
        return block(parent.children());
    }

    public Block block(List<XmlNode> nodes) {
        List<Block.Item> items = new ArrayList<>();
        String saved = path;
        java.util.Map<String, Integer> counts = new java.util.HashMap<>();
        for (XmlNode n : nodes) {
            if (n instanceof XmlText t) {
                if (!t.isBlank()) {
                    error(t.value().strip().start(), "unexpected text '" + abbreviate(t.value().text().strip())
                            + "': expected policy elements here");
                }
                continue;
            }
            XmlElement e = (XmlElement) n;
            int index = counts.merge(e.name(), 1, Integer::sum);
            path = (saved.isEmpty() ? "" : saved + "/") + e.name() + (index > 1 ? "[" + index + "]" : "");
            Policy p = policy(e);
            if (p != null) {
                XmlAttribute id = e.attribute("id");
                items.add(new Block.Item(p, scope, path, id == null ? null : id.text(), e.name(), e.position(),
                        inFragment ? fragmentStack.get(fragmentStack.size() - 1) : null));
            }
            path = saved;
        }
        return new Block(items);
    }

    /** Runs {@code body} with {@code segment} appended to the path (for branches such as {@code when[2]}). */
    public <T> T nested(String segment, java.util.function.Supplier<T> body) {
        String saved = path;
        path = saved.isEmpty() ? segment : saved + "/" + segment;
        try {
            return body.get();
        } finally {
            path = saved;
        }
    }

    /** The path of the element being compiled inside its section, e.g. {@code choose/when[2]/set-header}. */
    public String path() {
        return path;
    }

    /**
     * A policy Gatehouse cannot run, for {@code why}: a load error saying so, or with
     * {@code gateway.unsupportedPolicies: skip} a warning and a policy that does nothing but count
     * that it was reached ({@code gatehouse_policy_skipped_total}). Returns null after an error.
     */
    public Policy unsupported(XmlElement e, String why) {
        if (!environment.skipUnsupportedPolicies()) {
            error(e.position(), "policy '" + e.name() + "' is not supported: " + why
                    + " (gateway.unsupportedPolicies: skip loads it as a no-op)");
            return null;
        }
        warning(e.position(), "policy '" + e.name() + "' is not supported: " + why
                + "; skipped (gateway.unsupportedPolicies: skip): it does nothing when a request reaches it");
        String name = e.name();
        MetricSink metrics = environment.metricSink();
        return exchange -> {
            MetricSink target = exchange != null && exchange.metricSink() != null ? exchange.metricSink() : metrics;
            target.policySkipped(name);
            return Policy.DONE;
        };
    }

    /** Compiles one policy element, or reports why it cannot be. Returns null on errors. */
    public Policy policy(XmlElement e) {
        PolicyType type = registry.find(e.name());
        if (type == null) {
            if (registry.isKnownButUnsupported(e.name())) {
                return unsupported(e, "Gatehouse does not have it yet");
            } else if (Section.byElement(e.name()) != null) {
                error(e.position(), "<" + e.name() + "> is a section: it belongs directly under <policies>");
            } else {
                String s = registry.suggest(e.name());
                error(e.position(), "unknown policy '" + e.name() + "'" + (s == null ? "" : " (did you mean '" + s + "'?)"));
            }
            return null;
        }
        if (!anySection && !type.sections().contains(section)) {
            error(e.position(), "policy '" + e.name() + "' is not allowed in the " + section.element() + " section (allowed in: "
                    + String.join(", ", type.sections().stream().sorted().map(Section::element).toList()) + ")");
            return null;
        }
        try {
            return type.compiler().compile(e, this);
        } catch (RuntimeException | StackOverflowError failure) {
            // a checker bug or hostile input must not stop the load, a reload or a check: the
            // document is refused with the element being read, and the rest is still checked
            error(e.position(), "internal error while reading <" + e.name() + ">: " + failure.getClass().getSimpleName()
                    + (failure.getMessage() == null ? "" : " (" + failure.getMessage() + ")")
                    + "; the policy was not loaded (please report this)");
            return null;
        }
    }

    // ---- attributes ----

    /** Checks that {@code e} has only the given attributes (plus {@code id}) and returns a reader for them. */
    public Attributes attributes(XmlElement e, String... allowed) {
        Set<String> names = Set.of(allowed);
        for (XmlAttribute a : e.attributes()) {
            if (!names.contains(a.name()) && !a.name().equals("id") && !a.name().startsWith("xmlns")) {
                error(a.position(), "unknown attribute '" + a.name() + "' on <" + e.name() + ">"
                        + Suggest.hint(a.name(), names) + (names.isEmpty() ? "" : "; expected one of: "
                        + String.join(", ", new java.util.TreeSet<>(names))));
            }
        }
        return new Attributes(e, this);
    }

    /** Reports any child element or text: for policies that take no content. */
    public void noContent(XmlElement e) {
        for (XmlNode n : e.children()) {
            if (n instanceof XmlElement c) {
                error(c.position(), "<" + e.name() + "> takes no child elements, found <" + c.name() + ">");
            } else if (n instanceof XmlText t && !t.isBlank()) {
                error(t.value().strip().start(), "<" + e.name() + "> takes no text, found '" + abbreviate(t.value().text().strip()) + "'");
            }
        }
    }

    /** Reports any child element (text is fine): for elements whose content is a value. */
    public void noElements(XmlElement e) {
        for (XmlElement c : e.elements()) {
            error(c.position(), "<" + e.name() + "> takes text or a policy expression, not elements: found <" + c.name() + ">"
                    + " (in rawxml, write the expression as @(...) or @{...} so '<' inside it is read as code)");
        }
    }

    /** Reports child elements other than {@code allowed}; text is reported too. */
    public void onlyChildren(XmlElement e, String... allowed) {
        Set<String> names = Set.of(allowed);
        for (XmlNode n : e.children()) {
            if (n instanceof XmlElement c && !names.contains(c.name())) {
                error(c.position(), "unexpected <" + c.name() + "> inside <" + e.name() + ">"
                        + Suggest.hint(c.name(), names) + "; expected: " + String.join(", ", names.stream().sorted().map(x -> "<" + x + ">").toList()));
            } else if (n instanceof XmlText t && !t.isBlank()) {
                error(t.value().strip().start(), "<" + e.name() + "> takes no text, found '" + abbreviate(t.value().text().strip()) + "'");
            }
        }
    }

    // ---- values ----

    /**
     * The text of a value that must be a literal (an element's text such as a key or a header
     * name), named values already substituted when the document was read
     * ({@link io.gatehouse.policy.xml.XmlReader}); null when it holds a {@code {{name}}} no named
     * value has, after reporting that (see {@link #reportUnresolved}): the caller leaves the value
     * out, as what it stands for cannot be checked.
     */
    public String literal(SourceValue v) {
        reportUnresolved(v);
        return v.hasUnresolved() ? null : v.text();
    }

    /**
     * Reports each {@code {{name}}} in {@code v} that no named value has: an error, or in lenient
     * mode ({@code gatehouse policy check} without a config) one warning per name and document,
     * the name then standing for a value unknown at load, as an expression does.
     */
    private void reportUnresolved(SourceValue v) {
        for (SourceValue.Unresolved u : v.unresolved()) {
            String msg = "unknown named value '" + u.name() + "'" + Suggest.hint(u.name(), environment.namedValueNames());
            if (!environment.lenientReferences()) {
                error(u.position(), msg);
            } else if (placeholders.add(u.name())) {
                warning(u.position(), msg + ": checked as a placeholder whose value is unknown here"
                        + " (check with the config's named values: gatehouse policy check -c CONFIG FILE...)");
            }
        }
    }

    /** True if the (substituted) value is a policy expression {@code @(...)} or {@code @{...}}. */
    public static boolean isExpression(String text) {
        return ExpressionCompiler.isExpression(text.strip());
    }

    /**
     * A constant or an expression of {@code type}, from a value as read (named values substituted). Returns
     * null after reporting when the expression does not compile.
     */
    public <T> Value<T> value(SourceValue v, Class<T> type, String policy, java.util.function.Function<String, T> parseConstant) {
        reportUnresolved(v);
        SourceValue s = v.strip();
        if (v.hasUnresolved()) {
            // an unknown named value, reported above: in lenient mode what it stands for cannot be
            // checked here, so the value is taken as one known only when the policy runs
            if (!environment.lenientReferences()) {
                return null;
            }
            if (isExpression(s.text())) {
                checkAroundPlaceholders(v, type);
            }
            return Value.placeholder(v.written(), policy);
        }
        if (isExpression(s.text())) {
            CompiledExpression ce;
            // an expression holding a secret named value: the compiler's messages quote pieces of
            // the code (a name, a literal) that may be pieces of the secret, so they are withheld
            boolean secret = environment.secretValues().stream().anyMatch(s.text()::contains);
            Diagnostics target = secret ? new Diagnostics() : diagnostics;
            long errorsBefore = target.errorCount();
            try {
                ce = environment.expressionCompiler().compile(s.text(), s.start(), s::positionAt, type, target);
            } catch (RuntimeException | StackOverflowError e) {
                // the compiler must never take a config load down; report it like any other problem
                error(s.start(), "this expression could not be compiled (internal error: " + e.getClass().getSimpleName() + ")");
                return null;
            }
            if (ce == null) {
                if (secret) {
                    error(s.start(), "this expression does not compile; what the compiler says is withheld, as the expression"
                            + " holds a secret named value (check it with a stand-in value)");
                } else if (diagnostics.errorCount() == errorsBefore) {
                    error(s.start(), "this expression does not compile");
                }
                return null;
            }
            expressions.add(ce);
            return Value.expression(ce, type, policy);
        }
        T c = parseConstant.apply(v.text());
        return c == null ? null : Value.constant(c);
    }

    /**
     * Compiles an expression holding unknown named values with a stand-in for each, so the code
     * around them is still checked: its errors are reported unless one is where a stand-in is
     * (then what the name stands for decides, and nothing is said).
     */
    private void checkAroundPlaceholders(SourceValue v, Class<?> type) {
        Set<Position> standIns = new HashSet<>();
        SourceValue s = v.withStandIns(standIns).strip();
        Diagnostics scratch = new Diagnostics();
        try {
            environment.expressionCompiler().compile(s.text(), s.start(), s::positionAt, type, scratch);
        } catch (RuntimeException | StackOverflowError e) {
            return; // reported when the document is loaded with its named values
        }
        // the compiler reports where each character is written, so an error about a stand-in
        // ("the name '_____' does not exist") is at one of the stand-ins' positions
        boolean atStandIn = scratch.all().stream().filter(io.gatehouse.common.Diagnostic::isError)
                .anyMatch(x -> standIns.contains(new Position(x.file(), x.line(), x.column())));
        if (!atStandIn) {
            scratch.all().forEach(diagnostics::add);
        }
    }

    public Value<String> string(SourceValue raw, String policy) {
        return value(raw, String.class, policy, t -> t);
    }

    static String abbreviate(String s) {
        return s.length() <= 30 ? s : s.substring(0, 27) + "...";
    }
}
