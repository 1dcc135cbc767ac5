package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.ForwardSettings;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

/** retry: re-runs its policies while the condition holds, with scheduled (not sleeping) waits. */
class RetryTest {
    /** Answers the queued statuses in order (the last one repeats); a status of -1 fails the connection. */
    static final class Scripted implements Forwarder {
        final AtomicInteger calls = new AtomicInteger();
        final Deque<Integer> statuses;

        Scripted(Integer... statuses) {
            this.statuses = new ArrayDeque<>(List.of(statuses));
        }

        @Override
        public CompletionStage<Void> forward(Exchange exchange, ForwardSettings settings) {
            calls.incrementAndGet();
            int s = statuses.size() > 1 ? statuses.poll() : statuses.peek();
            if (s < 0) {
                return CompletableFuture.failedFuture(new java.net.ConnectException("refused"));
            }
            exchange.context().response().statusCode(s);
            return CompletableFuture.completedFuture(null);
        }
    }

    private static EffectivePolicy backend(String retryAttributes) {
        return Policies.compile("<policies><inbound/><backend><retry " + retryAttributes
                + "><forward-request/></retry></backend></policies>");
    }

    @Test
    void retriesWhileTheConditionHoldsThenStops() {
        Scripted f = new Scripted(503, 503, 200);
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.run(backend("condition=\"@(context.Response.StatusCode == 503)\" count=\"5\" interval=\"0\""), c, f);
        assertThat(f.calls.get()).isEqualTo(3);
        assertThat(c.response().statusCode()).isEqualTo(200);
    }

    @Test
    void stopsAfterCountRetriesAndKeepsTheLastResponse() {
        Scripted f = new Scripted(503);
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.run(backend("condition=\"@(context.Response.StatusCode == 503)\" count=\"2\" interval=\"0\""), c, f);
        assertThat(f.calls.get()).isEqualTo(3);
        assertThat(c.response().statusCode()).isEqualTo(503);
    }

    @Test
    void aFailedAttemptIsRetriedAndTheWaitIsScheduled() {
        Scripted f = new Scripted(-1, 200);
        PolicyContext c = request("GET", "https://api.local/x");
        long start = System.nanoTime();
        Harness.run(backend("condition=\"true\" count=\"1\" interval=\"1\""), c, f);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(f.calls.get()).isEqualTo(2);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(c.lastError()).isNull();
        assertThat(ms).isGreaterThanOrEqualTo(900);
    }

    @Test
    void whenRetriesRunOutTheLastFailureIsReported() {
        Scripted f = new Scripted(-1);
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.run(backend("condition=\"true\" count=\"2\" interval=\"0\""), c, f);
        assertThat(f.calls.get()).isEqualTo(3);
        assertThat(c.lastError().source()).isEqualTo("forward-request");
        assertThat(c.lastError().reason()).isEqualTo("BackendConnectionFailure");
    }

    @Test
    void intervalsAreFixedLinearOrExponentialAndFirstFastRetryIsImmediate() {
        Retry fixed = (Retry) Retry.TYPE.compiler().compile(element("<retry condition=\"true\" count=\"3\" interval=\"2\"/>"), ctx());
        assertThat(List.of(fixed.delayMillis(1), fixed.delayMillis(3))).containsExactly(2000L, 2000L);
        Retry linear = (Retry) Retry.TYPE.compiler().compile(element(
                "<retry condition=\"true\" count=\"3\" interval=\"2\" delta=\"3\" first-fast-retry=\"true\"/>"), ctx());
        assertThat(List.of(linear.delayMillis(1), linear.delayMillis(2), linear.delayMillis(3))).containsExactly(0L, 5000L, 8000L);
        Retry exp = (Retry) Retry.TYPE.compiler().compile(element(
                "<retry condition=\"true\" count=\"9\" interval=\"1\" delta=\"2\" max-interval=\"30\"/>"), ctx());
        assertThat(exp.delayMillis(1)).isEqualTo(1000L);
        assertThat(exp.delayMillis(3)).isBetween(1000L + 4800L, 1000L + 7200L);
        assertThat(exp.delayMillis(9)).isEqualTo(30_000L);
    }

    @Test
    void reportsMissingAndBadAttributes() {
        assertThat(Policies.diagnostics("""
                <policies><inbound/><backend><retry count="0" interval="1" max-interval="5"><forward-request/></retry>
                <retry condition="true" interval="1"><forward-reqest/></retry></backend></policies>"""))
                .containsExactly(
                        "p.xml:1:30: error: <retry> is missing the required attribute 'condition'",
                        "p.xml:1:37: error: attribute 'count' on <retry>: '0' (expected: a whole number 1-50)",
                        "p.xml:1:60: error: <retry>: max-interval applies only with delta (exponential retry)",
                        "p.xml:2:1: error: <retry> is missing the required attribute 'count'",
                        "p.xml:2:38: error: unknown policy 'forward-reqest' (did you mean 'forward-request'?)");
    }

    private static io.gatehouse.policy.xml.XmlElement element(String xml) {
        return io.gatehouse.policy.xml.XmlReader.read(new io.gatehouse.common.SourceText("r.xml", xml), new io.gatehouse.common.Diagnostics());
    }

    private static io.gatehouse.policy.spi.CompileContext ctx() {
        return new io.gatehouse.policy.spi.CompileContext(new io.gatehouse.common.Diagnostics(), io.gatehouse.policy.PolicyEnvironment.empty(),
                io.gatehouse.policy.spi.PolicyRegistry.builtIn(), io.gatehouse.policy.Scope.API, io.gatehouse.policy.Section.BACKEND,
                (id, d) -> null);
    }
}
