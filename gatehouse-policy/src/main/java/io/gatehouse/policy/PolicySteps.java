package io.gatehouse.policy;

import io.gatehouse.common.Position;

/**
 * Receives the decisions policies make while they run, with where in the document they were made:
 * which {@code <when>} of a {@code <choose>} fired, or that none did. Set on an {@link Exchange} by
 * {@code gatehouse explain} and by request tracing; null on the normal path, where asking costs one
 * field read.
 *
 * <p>Request tracing also hears of every policy as it starts, each condition evaluated, variables
 * and headers set, the failure that sends a request to on-error and each {@code trace} entry (the
 * default methods, which do nothing, so {@code explain} gives only {@link #step}).
 */
@FunctionalInterface
public interface PolicySteps {
    /**
     * @param at the element that decided, as written ({@code file:line:col})
     * @param element its name ({@code when}, {@code otherwise})
     * @param what the decision in words
     */
    void step(Position at, String element, String what);

    /** {@code item} starts running in {@code section}. */
    default void policy(io.gatehouse.policy.spi.Block.Item item, Section section) {
    }

    /** A {@code <when>} condition ({@code condition} as written) was evaluated to {@code value}. */
    default void condition(Position at, String condition, Boolean value) {
    }

    /** {@code set-variable} stored {@code value} under {@code name}. */
    default void variable(String name, Object value) {
    }

    /**
     * {@code set-header} changed header {@code name} of the request or the response ({@code message})
     * with {@code action} (override, skip, append, delete): {@code values} are its values afterwards.
     */
    default void header(String message, String name, String action, java.util.List<String> values) {
    }

    /** A failure sends the request to on-error. */
    default void failed(GatewayException failure) {
    }

    /** The {@code trace} policy, or the gateway, recorded {@code entry}. */
    default void traced(TraceEntry entry) {
    }
}
