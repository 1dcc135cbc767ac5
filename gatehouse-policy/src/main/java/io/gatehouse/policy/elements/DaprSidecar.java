package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.elements.http.OutgoingRequest;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.policy.spi.Value;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A call to the Dapr sidecar's HTTP API ({@code gateway.dapr.httpEndpoint}, by default
 * {@code http://localhost:3500}) for {@code publish-to-dapr} and {@code invoke-dapr-binding}: the
 * attributes they share ({@code timeout} 1-240 s, default 5; {@code ignore-error};
 * {@code response-variable-name}), the POST through the gateway's {@link OutboundHttp} (never
 * blocking), and what an answer means. A 2xx answer is success; any other status, or no answer,
 * is an error: with {@code ignore-error="true"} the pipeline goes on, otherwise the request goes
 * to on-error with {@code context.LastError} Source the policy's name: Reason {@code DaprError}
 * and the sidecar's status (its answer's text is the error message), or {@code Timeout} /
 * {@code BackendConnectionFailure} with 500 when the sidecar did not answer. The answer, whatever
 * its status, goes into {@code context.Variables[response-variable-name]} as an IResponse (null
 * when there was none).
 */
final class DaprSidecar {
    /** The most of the sidecar's error text that becomes the error response's message. */
    private static final int MAX_MESSAGE = 1024;

    private final String policy;
    private final URI endpoint;
    private final OutboundHttp http;
    private final Value<Integer> timeout;
    private final boolean ignoreError;
    private final String variable;

    private DaprSidecar(String policy, URI endpoint, OutboundHttp http, Value<Integer> timeout, boolean ignoreError,
                        String variable) {
        this.policy = policy;
        this.endpoint = endpoint;
        this.http = http;
        this.timeout = timeout;
        this.ignoreError = ignoreError;
        this.variable = variable;
    }

    /** Reads the shared attributes; null after reporting. */
    static DaprSidecar compile(Attributes a, CompileContext ctx) {
        String policy = a.element().name();
        Value<Integer> timeout = a.has("timeout") ? a.integerValue("timeout", 1, 240) : Value.constant(5);
        boolean ignore = a.bool("ignore-error", false);
        boolean ok = timeout != null;
        String variable = null;
        if (a.has("response-variable-name")) { // text only, as in APIM
            variable = a.text("response-variable-name", null);
            if (variable == null) {
                ok = false; // reported
            } else if (variable.isBlank()) {
                ctx.error(a.position("response-variable-name"), "attribute 'response-variable-name' on <" + policy
                        + "> is empty (expected the name of a variable)");
                ok = false;
            }
        }
        if (!ok) {
            return null;
        }
        return new DaprSidecar(policy, ctx.environment().daprEndpoint(), ctx.environment().outboundHttp(), timeout,
                ignore, variable);
    }

    /** The sidecar's URL for {@code path} ("/v1.0/..."). */
    static URI resolve(URI endpoint, String path) {
        String base = endpoint.toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + path);
    }

    /** {@code s} as one URL path segment: everything but unreserved characters percent-encoded. */
    static String segment(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    /** POSTs {@code body} to the sidecar's {@code path}, then stores or fails as the class says. */
    CompletionStage<Void> post(Exchange exchange, String path, String contentType, byte[] body) {
        Integer seconds = timeout.get(exchange);
        if (seconds == null || seconds < 1 || seconds > 240) {
            throw new GatewayException(500, policy, GatewayException.EXPRESSION_FAILURE,
                    policy + " timeout evaluated to " + seconds + " (expected 1-240 seconds)");
        }
        URI uri = resolve(endpoint, path);
        Headers h = new Headers();
        if (contentType != null) {
            h.set("Content-Type", contentType);
        }
        OutboundHttp.Request request = new OutboundHttp.Request("POST", uri, h, body, Duration.ofSeconds(seconds), null,
                policy);
        OutboundHttp via = exchange.outboundHttp() != null ? exchange.outboundHttp() : http;
        CompletionStage<OutboundHttp.Response> sent;
        try {
            sent = via.send(request);
        } catch (RuntimeException ex) {
            sent = CompletableFuture.failedFuture(ex);
        }
        return sent.handle((resp, t) -> {
            if (t == null) {
                answered(exchange, uri, resp);
                return null;
            }
            failed(exchange, uri, t);
            return null;
        });
    }

    private void answered(Exchange exchange, URI uri, OutboundHttp.Response resp) {
        if (variable != null) {
            exchange.context().variables().set(variable, OutgoingRequest.toResponse(resp));
        }
        if (resp.status() / 100 == 2 || ignoreError) {
            return;
        }
        String text = resp.bodyText().strip();
        if (text.length() > MAX_MESSAGE) {
            text = text.substring(0, MAX_MESSAGE);
        }
        int status = resp.status() >= 400 && resp.status() <= 599 ? resp.status() : 500;
        throw new PolicyRejection(status, policy, "DaprError",
                policy + ": the Dapr sidecar answered " + resp.status() + " to POST " + uri.getRawPath(),
                text.isEmpty() ? null : text, Map.of());
    }

    private void failed(Exchange exchange, URI uri, Throwable t) {
        Throwable c = OutboundHttp.Failure.cause(t, policy);
        OutboundHttp.Failure.Kind kind = OutboundHttp.Failure.kindOf(c);
        if (ignoreError) {
            if (variable != null) {
                exchange.context().variables().set(variable, null);
            }
            return;
        }
        boolean timedOut = kind == OutboundHttp.Failure.Kind.TIMEOUT;
        throw new GatewayException(500, policy, timedOut ? "Timeout" : "BackendConnectionFailure",
                policy + ": the Dapr sidecar at " + uri.getScheme() + "://" + uri.getRawAuthority() + " "
                        + (timedOut ? "did not answer within the timeout" : "could not be reached") + ": " + c.getMessage(), c);
    }
}
