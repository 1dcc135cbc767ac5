package io.gatehouse.expr.context;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.expr.ExpressionCompiler;
import io.gatehouse.expr.lib.DateTime;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A context filled from a {@link PolicyContext.Source}: nothing is asked of the source until an
 * expression reads it, and what expressions then see is what an eagerly filled context showed.
 */
class LazyContextTest {
    private static final Position AT = new Position("p.xml", 1, 1);

    /** A source that records what it was asked. */
    private static final class Counting implements PolicyContext.Source {
        final List<String> asked = new ArrayList<>();

        @Override
        public ApiInfo api() {
            asked.add("api");
            return new ApiInfo("patients", "patients", "patients", Url.parse("https://backend:8443/v1"), "");
        }

        @Override
        public OperationInfo operation() {
            asked.add("operation");
            return null;
        }

        @Override
        public String receivedUrl() {
            asked.add("url");
            return "https://gw.example.com/patients/42?x=1";
        }

        @Override
        public Map<String, String> matchedParameters() {
            asked.add("parameters");
            return Map.of("id", "42");
        }
    }

    private static Object eval(String expr, PolicyContext ctx) {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(expr, AT, Object.class, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        return e.evaluate(ctx);
    }

    @Test
    void asksTheSourceNothingUntilAnExpressionReadsIt() {
        Counting source = new Counting();
        PolicyContext ctx = new PolicyContext(System.nanoTime()).source(source);
        assertThat(eval("@(context.Request.Method)", ctx)).isEqualTo("GET");
        assertThat(source.asked).isEmpty();
        assertThat(ctx.request().urlUnread()).isTrue();

        assertThat(eval("@(context.Api.ServiceUrl.Host)", ctx)).isEqualTo("backend");
        assertThat(eval("@(context.Api.Name)", ctx)).isEqualTo("patients");
        assertThat(source.asked).containsExactly("api"); // once, then kept
        assertThat(ctx.request().urlUnread()).isTrue();
    }

    @Test
    void theUrlIsReadOnceAndTheOriginalStaysWhenAPolicyReplacesIt() {
        Counting source = new Counting();
        PolicyContext ctx = new PolicyContext(System.nanoTime()).source(source);
        ctx.request().url(Url.parse("https://other/rewritten")); // as rewrite-uri does, before anything read it
        assertThat(ctx.request().urlUnread()).isFalse();
        assertThat(eval("@(context.Request.Url.Path)", ctx)).isEqualTo("/rewritten");
        assertThat(eval("@(context.Request.OriginalUrl.Path + context.Request.OriginalUrl.Query.GetValueOrDefault(\"x\", \"\"))", ctx))
                .isEqualTo("/patients/421");
        assertThat(source.asked).containsExactly("url");
    }

    @Test
    void matchedParametersComeFromTheSourceAndStayTheContextsOwn() {
        Counting source = new Counting();
        PolicyContext ctx = new PolicyContext(System.nanoTime()).source(source);
        ctx.request().receivedUrl("https://gw/other"); // an explicit URL does not drop the source's parameters
        assertThat(eval("@(context.Request.MatchedParameters[\"id\"])", ctx)).isEqualTo("42");
        ctx.request().matchedParameters().put("extra", "1"); // the gateway may add; the source's map is untouched
        assertThat(eval("@(context.Request.MatchedParameters.Count)", ctx)).isEqualTo(2);
        assertThat(eval("@(context.Request.Url.Path)", ctx)).isEqualTo("/other");
        assertThat(source.asked).containsExactly("parameters");
    }

    @Test
    void theTimestampIsWhenTheRequestCameNotWhenFirstRead() {
        long received = System.nanoTime() - Duration.ofSeconds(3).toNanos();
        PolicyContext ctx = new PolicyContext(received);
        DateTime ts = (DateTime) eval("@(context.Timestamp)", ctx);
        Duration ago = Duration.between(ts.toInstant(), Instant.now());
        assertThat(ago).isBetween(Duration.ofMillis(2900), Duration.ofSeconds(10));
        assertThat(eval("@(context.Timestamp)", ctx)).isSameAs(ts);
        assertThat(ctx.elapsed().totalSeconds()).isGreaterThanOrEqualTo(3.0);
    }

    @Test
    void contextTraceWithOnlyAMessageIsRecordedUnderTheContextTraceSource() {
        // APIM's context reference: void Trace(message: string)
        PolicyContext ctx = new PolicyContext(System.nanoTime());
        assertThat(eval("@{ context.Trace($\"id={1 + 1}\"); return \"ok\"; }", ctx)).isEqualTo("ok");
        assertThat(ctx.traces()).containsExactly(new PolicyContext.TraceEntry("context.Trace", "id=2"));
    }

    @Test
    void anUnreadContextHasNoTracesAndNoVariablesMade() {
        PolicyContext ctx = new PolicyContext(System.nanoTime());
        assertThat(ctx.traces()).isEmpty();
        assertThat(ctx.response().headers().count()).isZero();
        ctx.trace("a", "b");
        assertThat(ctx.traces()).containsExactly(new PolicyContext.TraceEntry("a", "b"));
        assertThat(eval("@(context.Variables.ContainsKey(\"x\"))", ctx)).isEqualTo(false);
    }
}
