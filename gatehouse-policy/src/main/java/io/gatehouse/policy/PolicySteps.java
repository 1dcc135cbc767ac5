package io.gatehouse.policy;

import io.gatehouse.common.Position;

/**
 * Receives the decisions policies make while they run, with where in the document they were made:
 * which {@code <when>} of a {@code <choose>} fired, or that none did. Set on an {@link Exchange} by
 * {@code gatehouse explain} (and request tracing); null on the normal path, where asking costs one
 * field read.
 */
@FunctionalInterface
public interface PolicySteps {
    /**
     * @param at the element that decided, as written ({@code file:line:col})
     * @param element its name ({@code when}, {@code otherwise})
     * @param what the decision in words
     */
    void step(Position at, String element, String what);
}
