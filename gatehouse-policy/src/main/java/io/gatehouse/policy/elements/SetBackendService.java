package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.net.URI;
import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-backend-service base-url="https://..."/>} or {@code backend-id="..."}: sends this
 * request to another URL or backend entity. With backend-id the backend's own TLS settings and
 * client certificate apply.
 */
public final class SetBackendService implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-backend-service",
            EnumSet.of(Section.INBOUND, Section.BACKEND), SetBackendService::compile);

    private final Value<String> baseUrl;
    private final String backendId;

    private SetBackendService(Value<String> baseUrl, String backendId) {
        this.baseUrl = baseUrl;
        this.backendId = backendId;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        boolean azureOnly = false;
        for (io.gatehouse.policy.xml.XmlAttribute at : e.attributes()) {
            String n = at.name();
            if (n.startsWith("sf-") || n.startsWith("dapr-")) {
                ctx.error(at.position(), "attribute '" + n + "' on <set-backend-service> is not supported: "
                        + (n.startsWith("sf-") ? "Service Fabric backends exist only in Azure"
                        : "Dapr backends are not supported by Gatehouse yet") + " (use base-url or backend-id)");
                azureOnly = true;
            }
        }
        if (azureOnly) {
            return null;
        }
        Attributes a = ctx.attributes(e, "base-url", "backend-id");
        ctx.noContent(e);
        if (a.has("base-url") == a.has("backend-id")) {
            ctx.error(e.position(), "<set-backend-service> needs exactly one of 'base-url' or 'backend-id'");
            return null;
        }
        if (a.has("backend-id")) {
            String id = a.text("backend-id", null);
            if (id == null) {
                return null;
            }
            if (!ctx.environment().backendIds().contains(id)) {
                String msg = "unknown backend '" + id + "'" + Suggest.hint(id, ctx.environment().backendIds());
                if (ctx.environment().lenientReferences()) {
                    ctx.warning(a.position("backend-id"), msg);
                } else {
                    ctx.error(a.position("backend-id"), msg);
                    return null;
                }
            }
            return new SetBackendService(null, id);
        }
        Value<String> url = a.string("base-url");
        if (url != null && url.isConstant() && !isHttpUrl(url.constant())) {
            ctx.error(a.position("base-url"), "base-url '" + a.raw("base-url").written() + "' is not an absolute http(s) URL");
            return null;
        }
        return url == null ? null : new SetBackendService(url, null);
    }

    private static boolean isHttpUrl(String s) {
        try {
            URI u = new URI(s.strip());
            return ("https".equalsIgnoreCase(u.getScheme()) || "http".equalsIgnoreCase(u.getScheme())) && u.getHost() != null;
        } catch (Exception ex) {
            return false;
        }
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        if (backendId != null) {
            exchange.backendId(backendId).baseUrl(null);
            return DONE;
        }
        String url = baseUrl.get(exchange);
        if (url == null || !isHttpUrl(url)) {
            throw new GatewayException(500, "set-backend-service", GatewayException.EXPRESSION_FAILURE,
                    "base-url evaluated to '" + url + "', not an absolute http(s) URL");
        }
        exchange.baseUrl(url.strip());
        return DONE;
    }
}
