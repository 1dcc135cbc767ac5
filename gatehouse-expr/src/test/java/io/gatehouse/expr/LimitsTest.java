package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LimitsTest {
    private static final Position AT = new Position("p.xml", 1, 1);

    @Test
    void stopsARunawayLoopAtTheTimeLimit() {
        ExpressionCompiler c = new ExpressionCompiler(new ExprLimits(1000, 50, Long.MAX_VALUE, Duration.ofMillis(50)));
        CompiledExpression e = c.compile("@{ var i = 0; while (true) { i++; } }", AT, Object.class, new Diagnostics());
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> e.evaluate(new PolicyContext())).isInstanceOf(ExpressionException.class)
                .hasMessage("The expression took longer than its limit of 50 ms.");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void stopsCatastrophicRegexBacktrackingAtTheTimeLimit() {
        ExpressionCompiler c = new ExpressionCompiler(new ExprLimits(1000, 50, 1000, Duration.ofMillis(50)));
        CompiledExpression e = c.compile("@(Regex.IsMatch(\"" + "a".repeat(30) + "\", \"(.*a){10}x\"))", AT,
                Object.class, new Diagnostics());
        assertThatThrownBy(() -> e.evaluate(new PolicyContext())).isInstanceOf(ExpressionException.class)
                .hasMessageContaining("took longer than its limit");
    }

    @Test
    void countsLambdaCallsAsIterations() {
        ExpressionCompiler c = new ExpressionCompiler(new ExprLimits(1000, 50, 5, Duration.ofSeconds(10)));
        CompiledExpression e = c.compile("@(new[] { 1, 2, 3, 4, 5, 6 }.Count(x => x > 0))", AT, Object.class, new Diagnostics());
        assertThatThrownBy(() -> e.evaluate(new PolicyContext())).hasMessage("The expression exceeded the limit of 5 loop iterations.");
    }

    @Test
    void refusesSourceLongerThanTheLimit() {
        Diagnostics d = new Diagnostics();
        ExpressionCompiler c = new ExpressionCompiler(new ExprLimits(20, 50, 5, Duration.ofSeconds(1)));
        assertThat(c.compile("@(\"" + "x".repeat(30) + "\")", AT, Object.class, d)).isNull();
        assertThat(d.all().get(0).message()).isEqualTo("the expression is 35 characters long; the limit is 20");
    }

    @Test
    void refusesNestingDeeperThanTheLimit() {
        Diagnostics d = new Diagnostics();
        ExpressionCompiler c = new ExpressionCompiler(new ExprLimits(100_000, 20, 5, Duration.ofSeconds(1)));
        assertThat(c.compile("@(" + "(".repeat(30) + "1" + ")".repeat(30) + ")", AT, Object.class, d)).isNull();
        assertThat(d.all().get(0).message()).isEqualTo("the expression is nested too deeply (limit 20)");
        Diagnostics d2 = new Diagnostics();
        assertThat(new ExpressionCompiler().compile("@(" + "!".repeat(5000) + "true)", AT, Object.class, d2)).isNull();
        assertThat(d2.all().get(0).message()).contains("nested too deeply");
    }

    @Test
    void flagsExpressionsThatReadTheRequestOrResponseBody() {
        ExpressionCompiler c = new ExpressionCompiler();
        CompiledExpression req = c.compile("@(context.Request.Body.As<string>())", AT, String.class, new Diagnostics());
        CompiledExpression resp = c.compile("@(context.Response.Body?.As<string>(true))", AT, String.class, new Diagnostics());
        CompiledExpression none = c.compile("@(context.Request.Method)", AT, String.class, new Diagnostics());
        assertThat(req.readsRequestBody()).isTrue();
        assertThat(req.readsResponseBody()).isFalse();
        assertThat(resp.readsResponseBody()).isTrue();
        assertThat(none.readsRequestBody()).isFalse();
        assertThat(none.source()).isEqualTo("@(context.Request.Method)");
        assertThat(none.origin()).isEqualTo(AT);
    }

    @Test
    void aConsumedBodyReadsEmpty() {
        CompiledExpression e = new ExpressionCompiler().compile("@(context.Request.Body.As<string>())", AT, String.class,
                new Diagnostics());
        PolicyContext ctx = new PolicyContext();
        ctx.request().body(MessageBody.ofString("abc", "text/plain"));
        assertThat(e.evaluate(ctx)).isEqualTo("abc");
        assertThat(e.evaluate(ctx)).isEqualTo("");
        assertThat(ctx.request().body().consumed()).isTrue();
    }

    @Test
    void recognisesExpressionText() {
        assertThat(ExpressionCompiler.isExpression("  @(1)")).isTrue();
        assertThat(ExpressionCompiler.isExpression("@{ return 1; }")).isTrue();
        assertThat(ExpressionCompiler.isExpression("plain")).isFalse();
        assertThat(ExpressionCompiler.isExpression("@@")).isFalse();
        assertThat(ExpressionCompiler.isExpression(null)).isFalse();
    }

    @Test
    void tracesReachTheContext() {
        CompiledExpression e = new ExpressionCompiler().compile("@{ context.Trace(\"src\", 42); return true; }", AT,
                Boolean.class, new Diagnostics());
        PolicyContext ctx = new PolicyContext();
        e.evaluate(ctx);
        assertThat(ctx.traces()).containsExactly(new PolicyContext.TraceEntry("src", "42"));
    }

    @Test
    void oneCompiledExpressionServesManyThreads() throws Exception {
        CompiledExpression e = new ExpressionCompiler().compile(
                "@{ var s = 0; for (var i = 0; i < 100; i++) { s += i; } return s + context.Request.Method.Length; }", AT,
                Object.class, new Diagnostics());
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<Object>>();
            for (int i = 0; i < 200; i++) {
                futures.add(pool.submit(() -> e.evaluate(new PolicyContext())));
            }
            for (var f : futures) {
                assertThat(f.get()).isEqualTo(4953);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
