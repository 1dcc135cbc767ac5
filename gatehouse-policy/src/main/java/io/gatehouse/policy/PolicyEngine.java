package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.elements.ForwardRequest;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlReader;
import io.gatehouse.policy.xml.XmlText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Reads, checks and composes APIM policy documents for one config load. Build one per load, call
 * {@link #parse} for each scope's document and {@link #compose} for each API operation; the
 * resulting {@link EffectivePolicy} runs per request without parsing or reflection.
 *
 * <p>Scope semantics follow APIM: a section written at an inner scope replaces the outer scope's
 * section, and the outer section runs only where the inner one says {@code <base/>}. The outermost
 * parent is APIM's default policy, {@code <backend><forward-request/></backend>}.
 */
public final class PolicyEngine {
    private static final List<String> SECTION_NAMES = Arrays.stream(Section.values()).map(Section::element).toList();
    private static final EffectivePolicy DEFAULT = new EffectivePolicy(defaultSections(), false, false);

    private final PolicyEnvironment environment;
    private final Map<String, Fragment> fragments;

    private record Fragment(XmlElement root, Diagnostics diagnostics) {
    }

    public PolicyEngine(PolicyEnvironment environment) {
        this(environment, new ConcurrentHashMap<>());
    }

    private PolicyEngine(PolicyEnvironment environment, Map<String, Fragment> fragments) {
        this.environment = requireNonNull(environment, "environment");
        this.fragments = fragments;
    }

    /**
     * An engine for the documents of API {@code apiId} (see {@link PolicyEnvironment#forApi}); it
     * shares this engine's fragments, so each fragment file is still read, and its problems
     * reported, once.
     */
    public PolicyEngine forApi(String apiId) {
        return new PolicyEngine(environment.forApi(apiId), fragments);
    }

    public PolicyEnvironment environment() {
        return environment;
    }

    /**
     * Reads and compiles one {@code <policies>} document. Problems, with file:line:column, go to
     * {@code d}; the returned document holds whatever compiled (check {@code d.hasErrors()}).
     */
    public PolicyDocument parse(SourceText source, Scope scope, Diagnostics d) {
        requireNonNull(source, "source");
        requireNonNull(scope, "scope");
        try {
            return parseDocument(source, scope, d);
        } catch (Throwable t) { // a bug or hostile input must not stop the load: Diagnostics.internalError
            d.internalError(source.name(), t);
            return new PolicyDocument(source.name(), scope, new EnumMap<>(Section.class), List.of(), false, false);
        }
    }

    private PolicyDocument parseDocument(SourceText source, Scope scope, Diagnostics d) {
        d.conceal(environment.secretValues());
        XmlElement root = XmlReader.read(source, d, environment::namedValue);
        Map<Section, PolicyDocument.CompiledSection> sections = new EnumMap<>(Section.class);
        List<io.gatehouse.expr.CompiledExpression> expressions = new ArrayList<>();
        boolean readsRequest = false;
        boolean readsResponse = false;
        if (root == null) {
            return new PolicyDocument(source.name(), scope, sections, expressions, false, false);
        }
        if (!root.name().equals("policies")) {
            d.add(root.position().error(root.name().equals("fragment")
                    ? "this is a policy fragment: list it under 'fragments' in the config and include it with <include-fragment>; expected <policies> here"
                    : "expected <policies> as the root element, found <" + root.name() + ">"));
            return new PolicyDocument(source.name(), scope, sections, expressions, false, false);
        }
        for (XmlAttribute a : root.attributes()) {
            if (!a.name().startsWith("xmlns")) {
                d.add(a.position().error("unknown attribute '" + a.name() + "' on <policies>"));
            }
        }
        PolicyLinter.lint(root, d);
        CompileContext document = new CompileContext(d, environment, environment.registry(), scope, Section.INBOUND, this::fragmentRoot);
        for (XmlNode n : root.children()) {
            if (n instanceof XmlText t) {
                if (!t.isBlank()) {
                    d.add(t.value().strip().start().error("unexpected text under <policies>: expected <inbound>, <backend>, <outbound> or <on-error>"));
                }
                continue;
            }
            XmlElement e = (XmlElement) n;
            Section section = Section.byElement(e.name());
            if (section == null) {
                if (environment.registry().find(e.name()) != null || environment.registry().isKnownButUnsupported(e.name())) {
                    d.add(e.position().error("policy <" + e.name() + "> must be inside a section (<inbound>, <backend>, <outbound> or <on-error>)"));
                } else {
                    d.add(e.position().error("unknown section <" + e.name() + ">" + Suggest.hint(e.name(), SECTION_NAMES)
                            + "; expected <inbound>, <backend>, <outbound> or <on-error>"));
                }
                continue;
            }
            if (sections.containsKey(section)) {
                d.add(e.position().error("section <" + e.name() + "> appears more than once"));
                continue;
            }
            for (XmlAttribute a : e.attributes()) {
                d.add(a.position().error("unknown attribute '" + a.name() + "' on <" + e.name() + ">: sections take no attributes"));
            }
            CompileContext ctx = document.forSection(scope, section);
            Block block = ctx.block(e);
            sections.put(section, new PolicyDocument.CompiledSection(block, e.position(), ctx.baseSeen()));
            expressions.addAll(ctx.expressions());
            readsRequest |= ctx.readsRequestBody();
            readsResponse |= ctx.readsResponseBody();
        }
        return new PolicyDocument(source.name(), scope, sections, expressions, readsRequest, readsResponse);
    }

    /**
     * The fragment's {@code <fragment>} element, read once per engine; null when the id is not
     * configured. Read problems are reported to {@code d} the first time.
     */
    XmlElement fragmentRoot(String id, Diagnostics d) {
        SourceText src = environment.fragment(id);
        if (src == null) {
            return null;
        }
        boolean[] fresh = {false};
        Fragment f = fragments.computeIfAbsent(id, k -> {
            fresh[0] = true;
            Diagnostics fd = new Diagnostics();
            try {
                return readFragment(id, src, fd, environment);
            } catch (Throwable t) { // as in parse
                fd.internalError(src.name(), t);
                return new Fragment(null, fd);
            }
        });
        if (fresh[0]) {
            d.addAll(f.diagnostics());
        }
        return f.root() == null ? EMPTY_FRAGMENT : f.root();
    }

    private static Fragment readFragment(String id, SourceText src, Diagnostics fd, PolicyEnvironment environment) {
        fd.conceal(environment.secretValues());
        XmlElement root = XmlReader.read(src, fd, environment::namedValue);
        if (root != null && !root.name().equals("fragment")) {
            fd.add(root.position().error("expected <fragment> as the root element of fragment '" + id + "', found <" + root.name() + ">"));
            root = null;
        }
        if (root != null) {
            for (XmlAttribute a : root.attributes()) {
                if (!a.name().startsWith("xmlns")) {
                    fd.add(a.position().error("unknown attribute '" + a.name() + "' on <fragment>"));
                }
            }
            PolicyLinter.lint(root, fd);
        }
        return new Fragment(root, fd);
    }

    private static final XmlElement EMPTY_FRAGMENT = new XmlElement("fragment", Position.unknown("<fragment>"), List.of(), List.of());

    /**
     * Checks a fragment file on its own (for {@code gatehouse policy check}): XML, the root, and
     * its policies as if included into a section that allows them all.
     */
    public void checkFragment(SourceText source, Diagnostics d) {
        try {
            checkFragmentDocument(source, d);
        } catch (Throwable t) { // as in parse
            d.internalError(source.name(), t);
        }
    }

    private void checkFragmentDocument(SourceText source, Diagnostics d) {
        d.conceal(environment.secretValues());
        XmlElement root = XmlReader.read(source, d, environment::namedValue);
        if (root == null) {
            return;
        }
        if (!root.name().equals("fragment")) {
            d.add(root.position().error("expected <fragment> as the root element, found <" + root.name() + ">"));
            return;
        }
        PolicyLinter.lint(root, d);
        String id = source.name().replaceFirst("^.*[/\\\\]", "").replaceFirst("\\.xml$", "");
        CompileContext ctx = new CompileContext(d, environment, environment.registry(), Scope.API, Section.INBOUND,
                this::fragmentRoot).allowAnySection().forFragment(id);
        ctx.block(root);
    }

    /**
     * Reads every configured fragment on its own, so a fragment nobody includes is still checked
     * for XML errors. A fragment's read problems are reported once, to the first diagnostics that
     * meet it: call this first on a config load so they all land in {@code d}.
     */
    public void checkFragments(Diagnostics d) {
        for (String id : environment.fragmentIds()) {
            fragmentRoot(id, d);
        }
    }

    /**
     * The policy that runs for one operation: global, then product, API and operation documents,
     * any of which may be null. Warns where an inner section drops the outer one's policies by
     * leaving out {@code <base/>}.
     */
    public EffectivePolicy compose(PolicyDocument global, PolicyDocument api, PolicyDocument operation, Diagnostics d) {
        List<PolicyDocument> docs = new ArrayList<>(3);
        for (PolicyDocument doc : new PolicyDocument[] {global, api, operation}) {
            if (doc != null) {
                docs.add(doc);
            }
        }
        return compose(docs, d);
    }

    /** Like {@link #compose(PolicyDocument, PolicyDocument, PolicyDocument, Diagnostics)} for any scopes, outermost first. */
    public EffectivePolicy compose(List<PolicyDocument> outerToInner, Diagnostics d) {
        Block[] current = defaultSections();
        boolean readsRequest = false;
        boolean readsResponse = false;
        for (PolicyDocument doc : outerToInner) {
            for (Section s : Section.values()) {
                PolicyDocument.CompiledSection cs = doc.section(s);
                if (cs == null) {
                    continue;
                }
                Block parent = current[s.ordinal()];
                if (!cs.hasBase() && doc.scope() != Scope.GLOBAL && !parent.isEmpty()) {
                    d.add(cs.position().warning("<" + s.element() + "> at " + doc.scope().label() + " scope has no <base/>: the "
                            + s.element() + " policies of the enclosing scopes will not run (add <base/> where they should run)"));
                }
                current[s.ordinal()] = cs.block().withBase(parent);
            }
            readsRequest |= doc.readsRequestBody();
            readsResponse |= doc.readsResponseBody();
        }
        return new EffectivePolicy(current, readsRequest, readsResponse);
    }

    /** APIM's built-in policy, used when no scope has a document: forward every request to its backend. */
    public static EffectivePolicy defaultPolicy() {
        return DEFAULT;
    }

    private static Block[] defaultSections() {
        Block[] b = new Block[Section.values().length];
        Arrays.fill(b, Block.EMPTY);
        b[Section.BACKEND.ordinal()] = new Block(List.of(new Block.Item(ForwardRequest.DEFAULT, Scope.GLOBAL, "forward-request", null)));
        return b;
    }
}
