package io.gatehouse.policy;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.spi.OutboundHttp;

import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A small {@link OutboundHttp} for the policy module's tests, on the JDK's HTTP client: plain
 * http only (the gateway's own, with its TLS, is tested in gatehouse-proxy). It lets tests of
 * policy semantics (what is sent, what lands in the variable, timeouts, ignore-error) talk to a
 * real server.
 */
public final class TestOutboundHttp implements OutboundHttp {
    /** One shared instance: the JDK client owns a thread. */
    public static final TestOutboundHttp INSTANCE = new TestOutboundHttp();

    private static final Set<String> RESTRICTED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection");
    private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private TestOutboundHttp() {
    }

    @Override
    public CompletionStage<Response> send(Request r) {
        if (!"http".equalsIgnoreCase(r.uri().getScheme()) || r.clientCertificate() != null) {
            return CompletableFuture.failedFuture(new Failure(Failure.Kind.UNAVAILABLE,
                    "TestOutboundHttp speaks plain http only, without client certificates"));
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(r.uri()).timeout(r.timeout())
                .method(r.method(), r.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(r.body()));
        for (Map.Entry<String, List<String>> en : r.headers().entries()) {
            if (!RESTRICTED.contains(en.getKey().toLowerCase(Locale.ROOT))) {
                en.getValue().forEach(v -> b.header(en.getKey(), v));
            }
        }
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).handle((resp, t) -> {
            if (t != null) {
                Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                throw new Failure(c instanceof HttpTimeoutException ? Failure.Kind.TIMEOUT
                        : c instanceof ConnectException ? Failure.Kind.CONNECTION : Failure.Kind.PROTOCOL, String.valueOf(c), c);
            }
            Headers h = new Headers();
            resp.headers().map().forEach((n, vs) -> vs.forEach(v -> h.add(n, v)));
            return new Response(resp.statusCode(), "", h, resp.body());
        });
    }
}
