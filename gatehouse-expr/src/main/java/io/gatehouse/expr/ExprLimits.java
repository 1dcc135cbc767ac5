package io.gatehouse.expr;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Bounds on what one policy expression may cost. Source length and nesting depth are checked when
 * the expression is compiled (a diagnostic); loop iterations and evaluation time are checked while
 * it runs (an {@link ExpressionException}).
 *
 * @param maxSourceLength characters in the expression text, {@code @(}/{@code @{} included
 * @param maxNestingDepth nested parentheses, blocks, calls and operators
 * @param maxLoopIterations loop bodies and LINQ lambda calls in one evaluation
 * @param maxEvaluationTime wall time for one evaluation
 */
public record ExprLimits(int maxSourceLength, int maxNestingDepth, long maxLoopIterations, Duration maxEvaluationTime) {
    public ExprLimits {
        requireNonNull(maxEvaluationTime, "maxEvaluationTime");
        if (maxSourceLength < 4) {
            throw new IllegalArgumentException("maxSourceLength: " + maxSourceLength + " (expected: >= 4)");
        }
        if (maxNestingDepth < 1) {
            throw new IllegalArgumentException("maxNestingDepth: " + maxNestingDepth + " (expected: >= 1)");
        }
        if (maxLoopIterations < 1) {
            throw new IllegalArgumentException("maxLoopIterations: " + maxLoopIterations + " (expected: >= 1)");
        }
        if (maxEvaluationTime.isNegative() || maxEvaluationTime.isZero()) {
            throw new IllegalArgumentException("maxEvaluationTime: " + maxEvaluationTime + " (expected: > 0)");
        }
    }

    /** 64 KiB of source, depth 100, one million iterations, 100 ms. */
    public static ExprLimits defaults() {
        return new ExprLimits(64 * 1024, 100, 1_000_000, Duration.ofMillis(100));
    }
}
