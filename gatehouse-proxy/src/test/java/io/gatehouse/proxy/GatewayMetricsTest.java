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
}
