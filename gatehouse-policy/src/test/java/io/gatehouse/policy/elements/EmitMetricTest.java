package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.User;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.spi.MetricSink;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** emit-metric and the MetricSink it sends to. */
class EmitMetricTest {
    record Point(String namespace, String name, double value, Map<String, String> dimensions) {
    }

    private final List<Point> points = new CopyOnWriteArrayList<>();
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
            .metricSink((ns, name, value, dims) -> points.add(new Point(ns, name, value, Map.copyOf(dims))))
            .build());

    private static PolicyContext call() {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://gw.local/patients/7"));
        c.request().ipAddress("10.1.2.3");
        c.api(new ApiInfo("patients", "Patients", "patients", Url.parse("https://backend.local"), ""));
        c.operation(new OperationInfo("get-patient", "Get patient", "GET", "/patients/{id}"));
        c.user(new User("u-42", "u@x", "U", "X"));
        return c;
    }

    /** APIM's documented example: count requests with the API ID as a default dimension. */
    @Test
    void apimExampleCountsRequestsByApiId() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies>
                  <inbound>
                    <emit-metric name="Request" value="1" namespace="my-metrics">
                      <dimension name="API ID" />
                    </emit-metric>
                  </inbound>
                  <outbound>
                  </outbound>
                </policies>""");
        Harness.run(p, call(), new Harness.RecordingForwarder());
        assertThat(points).containsExactly(new Point("my-metrics", "Request", 1.0, Map.of("API ID", "patients")));
    }

    @Test
    void fillsDefaultDimensionsAndEvaluatesExpressions() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound /><backend><forward-request/></backend><outbound>
                  <emit-metric name="Response bytes" value="@(context.Response.StatusCode * 2)">
                    <dimension name="operation id" />
                    <dimension name="User ID" />
                    <dimension name="Subscription ID" />
                    <dimension name="Location" />
                    <dimension name="Backend ID" />
                    <dimension name="Client IP" value="@(context.Request.IpAddress)" />
                  </emit-metric>
                </outbound></policies>""");
        PolicyContext c = call();
        Exchange x = new Exchange(c).backendId("patients-backend");
        p.execute(x, new Harness.RecordingForwarder()).toCompletableFuture().join();
        assertThat(points).hasSize(1);
        Point pt = points.get(0);
        assertThat(pt.namespace()).as("APIM's default namespace").isEqualTo("API Management");
        assertThat(pt.value()).isEqualTo(400.0);
        assertThat(pt.dimensions()).containsExactlyInAnyOrderEntriesOf(Map.of("operation id", "get-patient", "User ID", "u-42",
                "Subscription ID", "", "Location", "local", "Backend ID", "patients-backend", "Client IP", "10.1.2.3"));
    }

    @Test
    void aValueThatIsNotANumberFailsTheRequestAsAnExpressionFailure() {
        EffectivePolicy p = Harness.compile(engine, """
                <policies><inbound>
                  <emit-metric name="m" value="@(context.Request.IpAddress)"><dimension name="API ID" /></emit-metric>
                </inbound><backend><forward-request/></backend></policies>""");
        PolicyContext c = call();
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("emit-metric");
        assertThat(c.lastError().reason()).isEqualTo("ExpressionValueEvaluationFailure");
        assertThat(points).isEmpty();
    }

    @Test
    void withoutASinkThePolicyStillLoadsAndRuns() {
        EffectivePolicy p = Harness.compile(new PolicyEngine(PolicyEnvironment.empty()), """
                <policies><inbound><emit-metric name="m"><dimension name="API ID" /></emit-metric></inbound>
                <backend><forward-request/></backend></policies>""");
        PolicyContext c = call();
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(Harness.body(c)).isEqualTo("from backend");
    }

    @Test
    void reportsMissingNamesValuesAndTooManyDimensions() {
        StringBuilder eleven = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            eleven.append("<dimension name=\"d").append(i).append("\" value=\"v\" />");
        }
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("m.xml", "<policies><inbound>\n"
                + "<emit-metric value=\"lots\"><dimension name=\"Client\" /><dimensions /></emit-metric>\n"
                + "<emit-metric name=\"m\" />\n"
                + "<emit-metric name=\"m\"><dimension name=\"API ID\" /><dimension name=\"api-id\" value=\"x\" /></emit-metric>\n"
                + "<emit-metric name=\"m\">" + eleven + "</emit-metric>\n"
                + "</inbound></policies>"), Scope.API, d);
        assertThat(d.all().stream().map(Object::toString).toList()).containsExactly(
                "m.xml:2:54: error: unexpected <dimensions> inside <emit-metric> (did you mean 'dimension'?); expected: <dimension>",
                "m.xml:2:1: error: <emit-metric> is missing the required attribute 'name'",
                "m.xml:2:14: error: attribute 'value' on <emit-metric>: 'lots' (expected: a number or a policy expression)",
                "m.xml:2:27: error: <dimension name=\"Client\"> needs a value: only the default dimensions (API ID, Operation ID, Product ID, "
                        + "User ID, Subscription ID, Location, Gateway ID, Backend ID) may leave it out",
                "m.xml:3:1: error: <emit-metric> needs at least one <dimension name=\"...\"/> (for example <dimension name=\"API ID\"/>)",
                "m.xml:4:61: error: <emit-metric> has dimension 'api-id' twice (as 'API ID': both are label 'api_id')",
                "m.xml:5:353: error: <emit-metric> has 11 dimensions (at most 10)");
    }

    @Test
    void aFailingSinkDoesNotFailTheRequest() {
        PolicyEngine broken = new PolicyEngine(PolicyEnvironment.builder().metricSink((ns, n, v, d) -> {
            throw new IllegalStateException("registry closed");
        }).build());
        EffectivePolicy p = Harness.compile(broken, """
                <policies><inbound><emit-metric name="m"><dimension name="API ID" /></emit-metric></inbound>
                <backend><forward-request/></backend></policies>""");
        PolicyContext c = call();
        Exchange x = Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(Harness.body(c)).isEqualTo("from backend");
        assertThat(x.traces()).anyMatch(t -> t.message().contains("metric sink failed") && t.message().contains("registry closed"));
    }

    @Test
    void prometheusNamesAreSanitised() {
        assertThat(MetricSink.prometheusName("API Management", "Request")).isEqualTo("api_management_request");
        assertThat(MetricSink.prometheusName("my-metrics", "2xx count")).isEqualTo("my_metrics_2xx_count");
        assertThat(MetricSink.prometheusName("", "9 lives")).isEqualTo("_9_lives");
        assertThat(MetricSink.prometheusLabel("API ID")).isEqualTo("api_id");
        assertThat(MetricSink.prometheusLabel("  Client IP (v4) ")).isEqualTo("client_ip_v4");
        assertThat(MetricSink.prometheusLabel("ß")).isEqualTo("_");
    }
}
