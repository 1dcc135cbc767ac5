package io.gatehouse.proxy.telemetry;

import io.gatehouse.policy.spi.OutboundHttp;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.net.URI;
import java.util.Locale;

/**
 * One client request's SERVER span, and the CLIENT spans of the calls it makes: the plain path's
 * relay to the backend, {@code forward-request}, {@code send-request}. Made by
 * {@link Tracing#server} when the request head is read, ended when the exchange completes. Used on
 * the request's event loop (the outgoing calls of policies may end their own spans elsewhere; a
 * span is safe to end from any thread).
 */
public final class ExchangeSpan {
    private final Tracing tracing;
    private final Span span;
    /** The method as the span name has it: the method, or {@code HTTP} for one semconv does not know. */
    private final String nameMethod;
    private Context context;     // the SERVER span as the parent of CLIENT spans (made on the first call)
    private BackendCall relay;   // the plain path's backend call, or null
    private String errorType;    // why the exchange failed, when it did
    private boolean ended;

    ExchangeSpan(Tracing tracing, Span span, String nameMethod) {
        this.tracing = tracing;
        this.span = span;
        this.nameMethod = nameMethod;
    }

    /**
     * The request matched an API: the span is named {@code METHOD route} and carries the route
     * ({@code http.route}, a template such as {@code /orders/{id}}) and the API and operation ids.
     */
    public void routed(String route, String apiId, String operationId) {
        span.updateName(nameMethod + " " + route);
        span.setAttribute(SemConv.HTTP_ROUTE, route);
        span.setAttribute(SemConv.GATEHOUSE_API_ID, apiId);
        if (operationId != null) {
            span.setAttribute(SemConv.GATEHOUSE_OPERATION_ID, operationId);
        }
    }

    /** What failed the exchange ({@code error.type}): a {@code LastError} reason such as {@code Timeout}. */
    public void failed(String reason) {
        this.errorType = reason;
    }

    /**
     * Starts a CLIENT span for a call to a backend and writes its W3C trace context into
     * {@code out}, replacing the client's {@code traceparent}/{@code tracestate} (the incoming
     * {@code tracestate} travels on in the span context).
     *
     * @param backendId the configured backend's id, or null
     * @param requestTarget the path and query sent; the query is left out of {@code url.full}
     */
    public BackendCall backend(String backendId, String method, String scheme, String host, int port,
                               String authority, String requestTarget, HttpHeaders out) {
        BackendCall call = startCall(backendId, null, method, scheme, host, port, authority, requestTarget);
        out.remove(Carriers.TRACESTATE);
        Tracing.W3C.inject(Context.root().with(call.span()), out, Carriers.NETTY_SETTER);
        return call;
    }

    /**
     * The plain path's backend call (a route without policies, or one the policies handed on):
     * {@link #backend}, kept here until the response's status ({@link #relayAnswered}) and the
     * exchange's end.
     */
    public void relay(String backendId, String method, String scheme, String host, int port, String authority,
                      String requestTarget, HttpHeaders out) {
        if (relay != null) {
            relay.end(errorType);
        }
        relay = backend(backendId, method, scheme, host, port, authority, requestTarget, out);
    }

    /** The plain path's backend answered with {@code status}. */
    public void relayAnswered(int status) {
        if (relay != null) {
            relay.status(status);
        }
    }

    /**
     * An {@link OutboundHttp} for this request's policies ({@code send-request},
     * {@code send-one-way-request}): each call is a CLIENT span and carries its traceparent.
     */
    public OutboundHttp outbound(OutboundHttp delegate) {
        return request -> {
            URI uri = request.uri();
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            String host = uri.getHost() == null ? "" : uri.getHost();
            boolean defaultPort = (scheme.equals("https") && port == 443) || (scheme.equals("http") && port == 80);
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            BackendCall call = startCall(null, request.caller(), request.method(), scheme, host, port,
                    defaultPort ? host : host + ":" + port, path);
            request.headers().remove(Carriers.TRACESTATE);
            Tracing.W3C.inject(Context.root().with(call.span()), request.headers(), Carriers.POLICY_SETTER);
            java.util.concurrent.CompletionStage<OutboundHttp.Response> sent;
            try {
                sent = delegate.send(request);
            } catch (RuntimeException e) {
                call.end(e.getClass().getName());
                throw e;
            }
            return sent.whenComplete((response, t) -> {
                if (t != null) {
                    call.end(errorType(t));
                } else {
                    call.answered(response.status());
                }
            });
        };
    }

    /** A failed outgoing call's {@code error.type}: the {@link OutboundHttp.Failure} kind, else the exception's class. */
    public static String errorType(Throwable t) {
        Throwable c = t;
        while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof OutboundHttp.Failure f) {
            return f.kind().name().toLowerCase(Locale.ROOT);
        }
        if (c instanceof io.gatehouse.policy.GatewayException g) {
            return g.reason();
        }
        return c.getClass().getName();
    }

    private BackendCall startCall(String backendId, String policy, String method, String scheme, String host, int port,
                                  String authority, String requestTarget) {
        Context parent = context;
        if (parent == null) {
            parent = Context.root().with(span);
            context = parent;
        }
        String known = SemConv.knownMethod(method);
        int q = requestTarget.indexOf('?');
        String path = q >= 0 ? requestTarget.substring(0, q) : requestTarget;
        var b = tracing.tracer().spanBuilder(known == null ? "HTTP" : known)
                .setParent(parent)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute(SemConv.HTTP_REQUEST_METHOD, known == null ? "_OTHER" : known)
                .setAttribute(SemConv.SERVER_ADDRESS, host)
                .setAttribute(SemConv.SERVER_PORT, (long) port)
                .setAttribute(SemConv.URL_FULL, scheme + "://" + authority + (path.isEmpty() ? "/" : path))
                .setAttribute(SemConv.NETWORK_PROTOCOL_VERSION, "1.1");
        if (known == null) {
            b.setAttribute(SemConv.HTTP_REQUEST_METHOD_ORIGINAL, method);
        }
        if (backendId != null) {
            b.setAttribute(SemConv.GATEHOUSE_BACKEND_ID, backendId);
        }
        if (policy != null) {
            b.setAttribute(SemConv.GATEHOUSE_POLICY, policy);
        }
        return new BackendCall(b.startSpan());
    }

    /**
     * The exchange is over for the client with {@code status} (499: the client went away first):
     * ends the plain path's backend call if it is still open, then the SERVER span, an error on a
     * 5xx or an abandoned request.
     */
    public void end(int status) {
        if (ended) {
            return;
        }
        ended = true;
        if (relay != null) {
            relay.end(status == 499 && errorType == null ? "ClientClosedRequest" : errorType);
        }
        if (status == 499) { // no status was sent: the client closed the connection first
            span.setAttribute(SemConv.ERROR_TYPE, errorType != null ? errorType : "ClientClosedRequest");
            span.setStatus(StatusCode.ERROR);
        } else {
            span.setAttribute(SemConv.HTTP_RESPONSE_STATUS_CODE, status);
            if (status >= 500) {
                span.setAttribute(SemConv.ERROR_TYPE, errorType != null ? errorType : Integer.toString(status));
                span.setStatus(StatusCode.ERROR);
            }
        }
        span.end();
    }
}
