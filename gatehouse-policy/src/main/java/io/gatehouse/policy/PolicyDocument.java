package io.gatehouse.policy;

import io.gatehouse.common.Position;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.policy.spi.Block;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One compiled {@code <policies>} document at one scope. Sections it does not contain inherit the
 * parent scope's section unchanged; sections it contains replace the parent's, which runs only
 * where the section has {@code <base/>}.
 */
public final class PolicyDocument {
    /** A compiled section and where it was written. */
    public record CompiledSection(Block block, Position position, boolean hasBase) {
    }

    private final String name;
    private final Scope scope;
    private final Map<Section, CompiledSection> sections;
    private final List<CompiledExpression> expressions;
    private final boolean readsRequestBody;
    private final boolean readsResponseBody;

    PolicyDocument(String name, Scope scope, Map<Section, CompiledSection> sections, List<CompiledExpression> expressions,
                   boolean readsRequestBody, boolean readsResponseBody) {
        this.name = requireNonNull(name, "name");
        this.scope = requireNonNull(scope, "scope");
        this.sections = sections.isEmpty() ? Map.of() : new EnumMap<>(sections);
        this.expressions = List.copyOf(expressions);
        this.readsRequestBody = readsRequestBody;
        this.readsResponseBody = readsResponseBody;
    }

    /** The file name the document was read from. */
    public String name() {
        return name;
    }

    public Scope scope() {
        return scope;
    }

    /** The section as written, or null when the document does not contain it. */
    public CompiledSection section(Section s) {
        return sections.get(s);
    }

    /** Every expression in the document (and the fragments it includes), in source order. */
    public List<CompiledExpression> expressions() {
        return expressions;
    }

    public boolean readsRequestBody() {
        return readsRequestBody;
    }

    public boolean readsResponseBody() {
        return readsResponseBody;
    }
}
