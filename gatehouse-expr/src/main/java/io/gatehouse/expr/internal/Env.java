package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.context.PolicyContext;

/** The state of one evaluation: the context, local slots, and the loop/time budget. */
public final class Env {
    final PolicyContext ctx;
    final Object[] locals;
    private final long maxIterations;
    private final long maxNanos;
    private long deadline;      // set at the first time check: most evaluations never make one
    private final long maxMillis;
    private long iterations;
    Object returned;

    private static final ThreadLocal<Env> CURRENT = new ThreadLocal<>();
    private static final Object[] NO_LOCALS = new Object[0];

    /** The evaluation running on this thread, for library code that must honour the time limit (Regex). */
    static Env current() {
        return CURRENT.get();
    }

    Env enter() {
        CURRENT.set(this);
        return this;
    }

    static void exit() {
        CURRENT.set(null); // not remove(): the thread's entry stays for its next evaluation, nothing made per request
    }

    Env(PolicyContext ctx, int slots, long maxIterations, long maxNanos) {
        this.ctx = ctx;
        this.locals = slots == 0 ? NO_LOCALS : new Object[slots];
        this.maxIterations = maxIterations;
        this.maxMillis = maxNanos / 1_000_000;
        this.maxNanos = maxNanos;
    }

    /** Counts one loop iteration or lambda call; enforces the iteration and time limits. */
    void tick() {
        long n = ++iterations;
        if (n > maxIterations) {
            throw new LimitExceededException("System.InvalidOperationException",
                    "The expression exceeded the limit of " + maxIterations + " loop iterations.");
        }
        if ((n & 255) == 0) {
            checkTime();
        }
    }

    /**
     * Enforces the time limit. The clock starts at the first check (the 256th loop iteration, or a
     * regular expression about to run), not at the evaluation's start: what runs before it is loop-free
     * and short, and an evaluation without loops or regular expressions then reads no clock at all.
     */
    void checkTime() {
        long now = System.nanoTime();
        if (deadline == 0) {
            deadline = now + maxNanos | 1;
        } else if (now - deadline > 0) {
            throw timeout();
        }
    }

    private ExpressionException timeout() {
        return new LimitExceededException("System.TimeoutException",
                "The expression took longer than its limit of " + maxMillis + " ms.");
    }
}
