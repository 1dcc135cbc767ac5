package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One trace's memory is bounded: at most {@link RequestTrace#MAX_STEPS} steps and
 * {@link RequestTrace#MAX_VALUE} characters per value, each cut marked; and a value containing a
 * secret's text is redacted whatever step it is in.
 */
class RequestTraceBoundsTest {
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> steps(RequestTrace t) {
        return (List<Map<String, Object>>) t.toJson().get("steps");
    }

    @Test
    void stepsAreCappedAndTheCutIsNoted() {
        RequestTrace t = new RequestTrace("r-1", System.nanoTime(), List.of());
        for (int i = 0; i < RequestTrace.MAX_STEPS + 500; i++) {
            t.variable("v" + i, i);
        }
        List<Map<String, Object>> steps = steps(t);
        assertThat(steps).hasSize(RequestTrace.MAX_STEPS);
        assertThat(t.toJson().get("truncated")).isEqualTo(true);
        assertThat(steps.get(0).get("detail")).isEqualTo("v0 = 0");
        assertThat(steps.get(RequestTrace.MAX_STEPS - 1).get("kind")).isEqualTo("truncated");
        t.finish(200); // the end is not recorded past the cap, but the trace is complete
        assertThat(steps(t)).hasSize(RequestTrace.MAX_STEPS);
        assertThat(t.toJson().get("complete")).isEqualTo(true);
        assertThat(t.toJson().get("status")).isEqualTo(200);
    }

    @Test
    void longValuesAreCutAndSecretsRedacted() {
        RequestTrace t = new RequestTrace("r-2", System.nanoTime(), List.of("hunter2-secret"));
        t.variable("long", "x".repeat(5_000));
        t.variable("copied", "Bearer hunter2-secret");
        t.header("request", "X-Key", "override", List.of("prefix-hunter2-secret-suffix", "plain"));
        t.header("request", "Authorization", "override", List.of("Basic abc"));
        List<Map<String, Object>> steps = steps(t);
        String cut = (String) ((Map<String, Object>) steps.get(0).get("data")).get("value");
        assertThat(cut).startsWith("x".repeat(RequestTrace.MAX_VALUE)).contains("truncated, 5000 characters")
                .hasSizeLessThan(RequestTrace.MAX_VALUE + 60);
        assertThat(t.toJson().get("truncated")).isEqualTo(true);
        assertThat(steps.get(1).get("detail")).isEqualTo("copied = [redacted]");
        assertThat(((Map<String, Object>) steps.get(2).get("data")).get("values")).isEqualTo(List.of("[redacted]", "plain"));
        assertThat(((Map<String, Object>) steps.get(3).get("data")).get("values")).isEqualTo(List.of("[redacted]"));
        assertThat(String.valueOf(t.toJson())).doesNotContain("hunter2").doesNotContain("Basic abc");
    }
}
