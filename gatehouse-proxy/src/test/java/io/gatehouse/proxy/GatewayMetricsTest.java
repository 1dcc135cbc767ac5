package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** emit-metric's data points in the gateway's Prometheus registry. */
class GatewayMetricsTest {
    @Test
    void emitMetricDataPointsBecomeASummaryPerLabelSet() {
        GatewayMetrics m = new GatewayMetrics();
        Map<String, String> alice = new LinkedHashMap<>();
        alice.put("API ID", "records");
        alice.put("Client IP", "10.0.0.1");
        m.emit("API Management", "Tokens Used", 120, alice);
        m.emit("API Management", "Tokens Used", 30, alice);
        m.emit("API Management", "Tokens Used", 5, Map.of("API ID", "records", "Client IP", "10.0.0.2"));
        String scrape = m.scrape();
        assertThat(scrape)
                .contains("api_management_tokens_used_count{api_id=\"records\",client_ip=\"10.0.0.1\"} 2")
                .contains("api_management_tokens_used_sum{api_id=\"records\",client_ip=\"10.0.0.1\"} 150")
                .contains("api_management_tokens_used_count{api_id=\"records\",client_ip=\"10.0.0.2\"} 1");
    }

    @Test
    void theBufferPoolsMemoryIsAGauge() {
        io.netty.buffer.ByteBuf held = Buffers.ALLOCATOR.directBuffer(256 * 1024);
        try {
            String scrape = new GatewayMetrics().scrape();
            assertThat(gauge(scrape, "gatehouse_buffer_pool_direct_bytes")).isGreaterThanOrEqualTo(256 * 1024);
            assertThat(gauge(scrape, "gatehouse_buffer_pool_heap_bytes")).isGreaterThanOrEqualTo(0);
            double whileHeld = gauge(scrape, "gatehouse_buffer_pool_direct_in_use_bytes");
            assertThat(whileHeld).isGreaterThanOrEqualTo(256 * 1024);
            held.release();
            held = null;
            assertThat(gauge(new GatewayMetrics().scrape(), "gatehouse_buffer_pool_direct_in_use_bytes"))
                    .as("released buffers are no longer in use").isLessThanOrEqualTo(whileHeld - 256 * 1024);
        } finally {
            if (held != null) {
                held.release();
            }
        }
    }

    private static double gauge(String scrape, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(scrape);
        assertThat(m.find()).as("%s in:%n%s", name, scrape).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aMetricKeepsAtMostItsBoundOfLabelSetsAndFoldsTheRestIntoOther() {
        GatewayMetrics m = new GatewayMetrics();
        for (int i = 0; i < GatewayMetrics.MAX_SERIES_PER_METRIC + 25; i++) {
            m.emit("llm", "Total Tokens", 10, Map.of("Tenant", "t" + i));
        }
        m.emit("llm", "Total Tokens", 10, Map.of("Tenant", "t3"));
        String scrape = m.scrape();
        assertThat(scrape.lines().filter(l -> l.startsWith("llm_total_tokens_count{")).count())
                .isEqualTo(GatewayMetrics.MAX_SERIES_PER_METRIC + 1);
        assertThat(scrape).contains("llm_total_tokens_sum{tenant=\"_other\"} 250.0")
                .contains("llm_total_tokens_sum{tenant=\"t3\"} 20.0")
                .contains("gatehouse_policy_metric_points_folded_total 25.0");
    }
}
