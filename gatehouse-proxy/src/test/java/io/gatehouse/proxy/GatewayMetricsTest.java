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
            java.util.regex.Matcher v = java.util.regex.Pattern.compile("(?m)^gatehouse_buffer_pool_direct_bytes (\\S+)$").matcher(scrape);
            assertThat(v.find()).as(scrape).isTrue();
            assertThat(Double.parseDouble(v.group(1))).isGreaterThanOrEqualTo(256 * 1024);
            assertThat(scrape).contains("gatehouse_buffer_pool_heap_bytes");
            java.util.regex.Matcher used = java.util.regex.Pattern.compile("(?m)^gatehouse_buffer_pool_direct_in_use_bytes (\\S+)$").matcher(scrape);
            assertThat(used.find()).as(scrape).isTrue();
            double whileHeld = Double.parseDouble(used.group(1));
            assertThat(whileHeld).isGreaterThanOrEqualTo(256 * 1024);
            held.release();
            held = null;
            java.util.regex.Matcher after = java.util.regex.Pattern.compile("(?m)^gatehouse_buffer_pool_direct_in_use_bytes (\\S+)$")
                    .matcher(new GatewayMetrics().scrape());
            assertThat(after.find()).isTrue();
            assertThat(Double.parseDouble(after.group(1))).as("released buffers are no longer in use")
                    .isLessThanOrEqualTo(whileHeld - 256 * 1024);
        } finally {
            if (held != null) {
                held.release();
            }
        }
    }
}
