package io.gatehouse.policy.elements;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Where rate-limit, quota and limit-concurrency keep their counters. {@link #local()} is the
 * in-memory store of this process (counters are per node, as on one APIM unit); a store shared by
 * several gateway nodes (Redis, a database) can implement the same three operations.
 *
 * <p>Implementations must be thread-safe and must not serialize unrelated keys behind one lock.
 */
public interface CounterStore extends LimitCounters {
    /**
     * The outcome of {@link #tryAdd}.
     *
     * @param allowed whether the amount was added (false: it would have gone over the limit)
     * @param count the counter after the call
     * @param millisToReset fixed windows: how long until the current window ends and the counter
     *     starts again from 0; sliding windows: for a refused call, how long until it would fit
     */
    record Count(boolean allowed, long count, long millisToReset) {
        /** Whole seconds until the reset, at least 1: the {@code Retry-After} value. */
        public long secondsToReset() {
            return Math.max(1, (millisToReset + 999) / 1000);
        }
    }

    /**
     * Adds {@code amount} to the counter of {@code key} in its current fixed window of length
     * {@code period} (the window starts at the first call after the previous one ended), unless the
     * counter would then exceed {@code limit}; then nothing is added.
     */
    Count tryAdd(String key, long amount, long limit, Duration period);

    /**
     * Adds {@code amount} to the counter of {@code key} over a sliding window of length
     * {@code period} (the calls of the last {@code period}, as APIM's rate-limit counts), unless
     * that would exceed {@code limit}. Implementations may approximate the window with
     * sub-buckets (see {@link InMemoryCounterStore}), but must never count a call for longer than
     * {@code period}. For a refused call, {@link Count#millisToReset()} is how long until it would fit.
     * A sliding key must not also be used with {@link #tryAdd}.
     */
    Count tryAddSliding(String key, long amount, long limit, Duration period);

    /** {@link #tryAdd}, already completed: counting in memory never waits. */
    @Override
    default CompletionStage<Count> tryAddAsync(String key, long amount, long limit, Duration period) {
        return CompletableFuture.completedFuture(tryAdd(key, amount, limit, period));
    }

    /** {@link #tryAddSliding}, already completed: counting in memory never waits. */
    @Override
    default CompletionStage<Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
        return CompletableFuture.completedFuture(tryAddSliding(key, amount, limit, period));
    }

    /** Takes one of {@code max} slots of {@code key}; false when all are taken. */
    boolean tryAcquire(String key, int max);

    /** Gives back a slot taken with {@link #tryAcquire}. */
    void release(String key);

    /** The process-wide in-memory store the built-in policies use. */
    static CounterStore local() {
        return InMemoryCounterStore.SHARED;
    }
}
