package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.elements.http.OutgoingRequest;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * {@code <send-one-way-request mode="new|copy" timeout="60">} with the children of
 * {@code send-request}: sends the request and goes on at once, without waiting for an answer
 * (fire and forget). A failed call is logged at debug level and never affects the request.
 * Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/send-one-way-request-policy">APIM send-one-way-request</a>
 */
public final class SendOneWayRequest implements Policy {
    public static final PolicyType TYPE = new PolicyType("send-one-way-request", PolicyType.ALL, SendOneWayRequest::compile);
    private static final Logger LOG = LoggerFactory.getLogger(SendOneWayRequest.class);

    private final OutgoingRequest request;

    private SendOneWayRequest(OutgoingRequest request) {
        this.request = request;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "mode", "timeout");
        int timeout = a.integer("timeout", 60, 1, 86_400);
        OutgoingRequest r = OutgoingRequest.compile(e, a, ctx, Duration.ofSeconds(timeout));
        return r == null ? null : new SendOneWayRequest(r);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        request.send(exchange).whenComplete((r, t) -> {
            if (t != null) {
                LOG.debug("send-one-way-request failed: {}", t.toString());
            }
        });
        return DONE;
    }
}
