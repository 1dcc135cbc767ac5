package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <publish-to-dapr pubsub-name="orders" topic="new" ignore-error="false"
 * response-variable-name="r" timeout="5" template="liquid" content-type="application/json">content</publish-to-dapr>}:
 * publishes the content (text, a policy expression, or a Liquid template) to a Dapr pub/sub
 * topic: {@code POST {sidecar}/v1.0/publish/{pubsub-name}/{topic}} with the content as the body
 * and {@code content-type} as its Content-Type (none is sent without the attribute, and Dapr
 * takes the message as JSON). Without {@code pubsub-name}, {@code topic} is
 * {@code pubsub-name/topic}. The sidecar's answer and errors: {@link DaprSidecar}. Allowed in
 * inbound.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/publish-to-dapr-policy">APIM publish-to-dapr</a>
 */
public final class PublishToDapr implements Policy {
    public static final PolicyType TYPE = new PolicyType("publish-to-dapr", EnumSet.of(Section.INBOUND),
            PublishToDapr::compile);

    private final Value<String> pubsub;   // null: topic holds "pubsub/topic"
    private final Value<String> topic;
    private final String contentType;
    private final SetBody content;
    private final DaprSidecar sidecar;

    private PublishToDapr(Value<String> pubsub, Value<String> topic, String contentType, SetBody content, DaprSidecar sidecar) {
        this.pubsub = pubsub;
        this.topic = topic;
        this.contentType = contentType;
        this.content = content;
        this.sidecar = sidecar;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "pubsub-name", "topic", "ignore-error", "response-variable-name", "timeout",
                "template", "content-type");
        Value<String> pubsub = a.has("pubsub-name") ? a.string("pubsub-name") : null;
        Value<String> topic = a.requiredString("topic");
        String template = a.choice("template", "none", "none", "liquid");
        String contentType = a.has("content-type") ? a.text("content-type", null) : null;
        DaprSidecar sidecar = DaprSidecar.compile(a, ctx);
        if (contentType != null && !contentType.strip().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            ctx.warning(a.position("content-type"), "content-type '" + contentType + "' on <publish-to-dapr>: APIM "
                    + "supports only application/json (Gatehouse sends the message with the type given)");
        }
        boolean ok = topic != null && sidecar != null && (pubsub != null || !a.has("pubsub-name"));
        if (!a.has("pubsub-name") && topic != null && topic.isConstant() && topic.constant() != null
                && !isPair(topic.constant())) {
            ctx.error(a.position("topic"), "attribute 'topic' on <publish-to-dapr> is '" + topic.constant()
                    + "': without 'pubsub-name' it must be pubsub-name/topic-name");
            ok = false;
        }
        SetBody body = SetBody.content(e, ctx, template.equals("liquid"));
        return body == null || !ok ? null : new PublishToDapr(pubsub, topic, contentType, body, sidecar);
    }

    private static boolean isPair(String s) {
        int slash = s.indexOf('/');
        return slash > 0 && slash < s.length() - 1;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String t = topic.get(exchange);
        String p;
        if (pubsub != null) {
            p = pubsub.get(exchange);
        } else {
            if (t == null || !isPair(t)) {
                throw new GatewayException(500, "publish-to-dapr", GatewayException.EXPRESSION_FAILURE,
                        "publish-to-dapr topic evaluated to '" + t + "', not pubsub-name/topic-name");
            }
            int slash = t.indexOf('/');
            p = t.substring(0, slash);
            t = t.substring(slash + 1);
        }
        if (p == null || p.isBlank() || t == null || t.isBlank()) {
            throw new GatewayException(500, "publish-to-dapr", GatewayException.EXPRESSION_FAILURE,
                    "publish-to-dapr pubsub-name or topic evaluated to nothing");
        }
        byte[] body = content.bodyFor(exchange, content.currentBody(exchange.context()), null);
        return sidecar.post(exchange, "/v1.0/publish/" + DaprSidecar.segment(p.strip()) + "/" + DaprSidecar.segment(t.strip()),
                contentType, body);
    }
}
