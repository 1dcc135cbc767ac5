package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.ForwardSettings;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code <forward-request timeout="300" follow-redirects="false" buffer-request-body="false"
 * buffer-response="true" fail-on-error-status-code="false"/>}: asks the gateway's
 * {@link Forwarder} to call the backend and waits for its response.
 */
public final class ForwardRequest implements Policy {
    public static final PolicyType TYPE = new PolicyType("forward-request", EnumSet.of(Section.BACKEND), ForwardRequest::compile);

    /** A bare {@code <forward-request/>}, as in APIM's default policy. */
    public static final ForwardRequest DEFAULT = new ForwardRequest(ForwardSettings.DEFAULT);

    private final ForwardSettings settings;

    private ForwardRequest(ForwardSettings settings) {
        this.settings = settings;
    }

    public ForwardSettings settings() {
        return settings;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "timeout", "follow-redirects", "buffer-request-body", "buffer-response",
                "fail-on-error-status-code");
        ctx.noContent(e);
        int timeout = a.integer("timeout", -1, 0, 86_400);
        return new ForwardRequest(new ForwardSettings(timeout < 0 ? null : Duration.ofSeconds(timeout),
                a.bool("follow-redirects", false), a.bool("buffer-request-body", false), a.bool("buffer-response", true),
                a.bool("fail-on-error-status-code", false)));
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Forwarder f = exchange.forwarder();
        if (f == null) {
            throw new GatewayException(500, "forward-request", "NoForwarder", "the gateway gave no forwarder for this request");
        }
        CompletionStage<Void> stage;
        try {
            stage = f.forward(exchange, settings);
        } catch (RuntimeException ex) {
            stage = CompletableFuture.failedStage(ex);
        }
        if (stage == DONE) { // answered already (or handed on by the gateway): nothing to wait for
            checkStatus(exchange);
            return DONE;
        }
        return stage.handle((v, t) -> {
            if (t != null) {
                throw wrap(t);
            }
            checkStatus(exchange);
            return (Void) null;
        });
    }

    private void checkStatus(Exchange exchange) {
        int status = exchange.context().response().statusCode();
        if (settings.failOnErrorStatusCode() && status >= 400) {
            throw new GatewayException(status <= 599 ? status : 502, "forward-request", "BackendErrorStatusCode",
                    "backend answered " + status + " and fail-on-error-status-code is true");
        }
    }

    private static GatewayException wrap(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof GatewayException g) {
            return g;
        }
        return new GatewayException(502, "forward-request", "BackendConnectionFailure", String.valueOf(c.getMessage()), c);
    }
}
