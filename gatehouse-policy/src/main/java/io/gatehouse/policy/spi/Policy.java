package io.gatehouse.policy.spi;

import io.gatehouse.policy.Exchange;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One policy element, compiled once at load into an immutable object. {@link #apply} runs it for
 * one request and may be called from many threads at once.
 *
 * <p>Most policies finish synchronously and return {@link #DONE}; a policy that waits (for the
 * backend) returns a stage that completes when it is finished. A failure is thrown (or completes
 * the stage) as a {@link io.gatehouse.policy.GatewayException}.
 */
public interface Policy {
    /** The shared "finished synchronously" result; compare by identity to skip async plumbing. */
    CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

    CompletionStage<Void> apply(Exchange exchange);

    /**
     * This policy with every {@code <base/>} inside it replaced by the parent scope's section. Leaf
     * policies return themselves; containers rebuild with their children rewritten.
     */
    default Policy withBase(Policy parentSection) {
        return this;
    }
}
