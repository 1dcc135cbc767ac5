package io.gatehouse.proxy;

import io.gatehouse.common.Position;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.OperationConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Per-request data-plane pieces: routing among 50 APIs with operations, the header rules, request ids. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RoutingBenchmark {
    private Router router;

    @Setup
    public void setUp() {
        Position p = new Position("bench.yaml", 1, 1);
        List<Router.ApiRoute> apis = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            List<OperationConfig> ops = List.of(
                    new OperationConfig("list", "GET", "/", null, p),
                    new OperationConfig("get", "GET", "/{id}", null, p),
                    new OperationConfig("history", "GET", "/{id}/history/*", null, p),
                    new OperationConfig("create", "POST", "/", null, p));
            ApiConfig api = new ApiConfig("api" + i, "service" + i + "/v1", "b", null, null, ops, p);
            apis.add(Router.api(api, null, Router.Policies.NONE));
        }
        router = new Router(apis);
    }

    @Benchmark
    public Object routeWithTemplateParameter() {
        return router.route("GET", "/service37/v1/12345/history/2024/01");
    }

    @Benchmark
    public Object routeMiss() {
        return router.route("DELETE", "/service37/v1/12345");
    }

    @Benchmark
    public HttpHeaders headerRules() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("host", "api.contoso.local:8443").add("user-agent", "curl/7.88").add("accept", "*/*")
                .add("connection", "keep-alive").add("x-forwarded-client-cert", "forged").add("authorization", "Bearer x")
                .add("content-type", "application/json").add("x-correlation-id", "abc").add("te", "trailers");
        IdentityHeaders.DEFAULT.strip(h, false);
        ForwardedHeaders.stripHopByHop(h);
        ForwardedHeaders.addForwarded(h, "10.1.2.3", true, "api.contoso.local:8443", false);
        return h;
    }

    @Benchmark
    public HttpHeaders responseHeaderRules() {
        HttpHeaders h = new DefaultHttpHeaders();
        h.add("server", "nginx").add("date", "Fri, 27 Nov 2026 12:00:00 GMT").add("content-type", "application/json")
                .add("content-length", "200").add("connection", "keep-alive");
        ForwardedHeaders.stripHopByHop(h);
        h.set(ForwardedHeaders.REQUEST_ID, "0f8fad5b-d9cb-469f-a165-70867728950e");
        return h;
    }

    @Benchmark
    public String requestId() {
        return RequestIds.next();
    }
}
