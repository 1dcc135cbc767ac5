package io.gatehouse.proxy;

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

/**
 * The per-request pieces of the plain path besides TLS and the codec: routing among 40 APIs (half
 * of them with operations and URL templates), and the header rules applied to a typical request
 * and response (identity headers stripped, hop-by-hop removed, X-Forwarded-* added, request id).
 * In the package of the classes it measures, which are not public.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestPathBenchmark {
    private Router router;
    private HttpHeaders requestTemplate;
    private HttpHeaders responseTemplate;

    @Setup
    public void setUp() {
        List<Router.ApiRoute> apis = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            List<OperationConfig> ops = i % 2 == 0 ? List.of() : List.of(
                    new OperationConfig("list", "GET", "/records", null, null),
                    new OperationConfig("get", "GET", "/records/{id}", null, null),
                    new OperationConfig("put", "PUT", "/records/{id}", null, null),
                    new OperationConfig("notes", "GET", "/records/{id}/notes/{note}", null, null));
            ApiConfig api = new ApiConfig("api" + i, "clinic" + i + "/v1", "b", null, null, ops, null);
            apis.add(Router.api(api, null, null, op -> null));
        }
        router = new Router(apis);
        requestTemplate = new DefaultHttpHeaders()
                .add("Host", "api.contoso.local")
                .add("User-Agent", "curl/8.5.0")
                .add("Accept", "application/json")
                .add("Authorization", "Bearer eyJhbGciOi.payload.signature")
                .add("Connection", "keep-alive")
                .add("Content-Length", "0");
        responseTemplate = new DefaultHttpHeaders()
                .add("Server", "nginx")
                .add("Date", "Fri, 27 Nov 2026 12:00:00 GMT")
                .add("Content-Type", "application/json")
                .add("Content-Length", "200")
                .add("Connection", "keep-alive");
    }

    @Benchmark
    public Object routeApiWithoutOperations() {
        return router.route("GET", "/clinic20/v1/patients/1");
    }

    @Benchmark
    public Object routeOperationTemplate() {
        return router.route("GET", "/clinic21/v1/records/42/notes/7");
    }

    @Benchmark
    public Object requestHeaderRules() {
        HttpHeaders h = new DefaultHttpHeaders().set(requestTemplate);
        ForwardedHeaders.stripIdentity(h);
        ForwardedHeaders.stripHopByHop(h);
        ForwardedHeaders.addForwarded(h, "10.1.2.3", true, "api.contoso.local");
        h.set(io.netty.handler.codec.http.HttpHeaderNames.HOST, "backend.contoso.local:8443");
        return h;
    }

    @Benchmark
    public Object responseHeaderRules() {
        HttpHeaders h = new DefaultHttpHeaders().set(responseTemplate);
        ForwardedHeaders.stripHopByHop(h);
        h.set(ForwardedHeaders.REQUEST_ID, "0f8fad5b-d9cb-469f-a165-70867728950e");
        return h;
    }

    @Benchmark
    public Object requestId() {
        return RequestIds.next();
    }
}
