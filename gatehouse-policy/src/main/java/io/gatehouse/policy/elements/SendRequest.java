package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.elements.http.OutgoingRequest;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * {@code <send-request mode="new|copy" response-variable-name="..." timeout="60" ignore-error="false">}
 * with {@code <set-url>}, {@code <set-method>}, {@code <set-header>}, {@code <set-body>} and
 * {@code <authentication-certificate>} children: calls another service and waits for its answer
 * (without blocking the thread), then puts it in {@code context.Variables[response-variable-name]}
 * as an {@code IResponse} ({@link io.gatehouse.expr.context.Response}). When the call fails or
 * times out: with {@code ignore-error="true"} the variable is set to null and the pipeline goes
 * on; otherwise the request fails with 500 and {@code context.LastError} Source
 * {@code send-request}, Reason {@code Timeout} or {@code BackendConnectionFailure}. An error
 * status from the service is not a failure. Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/send-request-policy">APIM send-request</a>
 */
public final class SendRequest implements Policy {
    public static final PolicyType TYPE = new PolicyType("send-request", PolicyType.ALL, SendRequest::compile);

    private final OutgoingRequest request;
    private final String variable;
    private final boolean ignoreError;

    private SendRequest(OutgoingRequest request, String variable, boolean ignoreError) {
        this.request = request;
        this.variable = variable;
        this.ignoreError = ignoreError;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "mode", "response-variable-name", "timeout", "ignore-error");
        String variable = a.requiredText("response-variable-name");
        int timeout = a.integer("timeout", 60, 1, 86_400);
        boolean ignore = a.bool("ignore-error", false);
        OutgoingRequest r = OutgoingRequest.compile(e, a, ctx, Duration.ofSeconds(timeout));
        return r == null || variable == null || variable.isBlank() ? null : new SendRequest(r, variable, ignore);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return fetch(exchange).thenAccept(r -> store(exchange, r));
    }

    /**
     * Starts the call (values are evaluated now, on the calling thread) and completes with the
     * {@link io.gatehouse.expr.context.Response}, or null when the call failed and errors are
     * ignored; fails with a {@link GatewayException} otherwise. Does not touch the context, so
     * {@code wait} can run several at once and store the results on one thread.
     */
    CompletionStage<Object> fetch(Exchange exchange) {
        return request.send(exchange).handle((resp, t) -> {
            if (t == null) {
                return OutgoingRequest.toResponse(resp);
            }
            Throwable c = OutboundHttp.Failure.cause(t, "send-request");
            OutboundHttp.Failure.Kind kind = OutboundHttp.Failure.kindOf(c);
            if (ignoreError) {
                return null;
            }
            boolean timedOut = kind == OutboundHttp.Failure.Kind.TIMEOUT;
            throw new GatewayException(500, "send-request", timedOut ? "Timeout" : "BackendConnectionFailure",
                    c instanceof OutboundHttp.Failure ? c.getMessage() // it names the caller, the method and the URL
                            : "send-request: " + (timedOut ? "no response within the timeout" : String.valueOf(c.getMessage())), c);
        });
    }

    /** Puts a {@link #fetch} result into {@code context.Variables[response-variable-name]}. */
    void store(Exchange exchange, Object response) {
        exchange.context().variables().set(variable, response);
    }
}
