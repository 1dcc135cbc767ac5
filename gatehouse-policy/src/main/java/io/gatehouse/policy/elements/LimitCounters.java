package io.gatehouse.policy.elements;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The counters {@code rate-limit}, {@code rate-limit-by-key}, {@code quota} and
 * {@code quota-by-key} count in, asked without blocking. {@link CounterStore} (this process's
 * memory) answers at once with a completed stage; a store shared by several gateways (Redis,
 * {@code gateway.externalCache}) answers when the server has, on the calling request's event loop.
 *
 * <p>The semantics are {@link CounterStore#tryAdd} and {@link CounterStore#tryAddSliding}'s. A
 * shared store that cannot reach its server completes with {@link CounterStore.Count} per its
 * failure mode (allowed when it fails open), or exceptionally with a
 * {@link io.gatehouse.policy.GatewayException} (503 when it fails closed); it never waits longer
 * than its timeout.
 */
public interface LimitCounters {
    /** {@link CounterStore#tryAdd}, asynchronously. */
    CompletionStage<CounterStore.Count> tryAddAsync(String key, long amount, long limit, Duration period);

    /** {@link CounterStore#tryAddSliding}, asynchronously. */
    CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period);
}
