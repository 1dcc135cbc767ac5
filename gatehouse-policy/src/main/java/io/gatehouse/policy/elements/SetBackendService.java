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
 * client certificate apply. With {@code backend-id="dapr"} and {@code dapr-app-id},
 * {@code dapr-method} (and optionally {@code dapr-namespace}) the request goes to the Dapr
 * sidecar's service invocation API ({@code gateway.dapr.httpEndpoint}, by default
 * {@code http://localhost:3500}): {@code /v1.0/invoke/{app-id}[.{namespace}]/method/{method}}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-backend-service-policy">APIM set-backend-service</a>
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-backend-service-dapr-policy">APIM set-backend-service (Dapr)</a>
 */
public final class SetBackendService implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-backend-service",
            EnumSet.of(Section.INBOUND, Section.BACKEND), SetBackendService::compile);

    private final Value<String> baseUrl;
    private final String backendId;
    private final Dapr dapr;

    /** {@code backend-id="dapr"}: the sidecar and the app, method and namespace to invoke. */
    private record Dapr(java.net.URI sidecar, Value<String> appId, Value<String> method, Value<String> namespace) {
    }

    private SetBackendService(Value<String> baseUrl, String backendId, Dapr dapr) {
        this.baseUrl = baseUrl;
        this.backendId = backendId;
        this.dapr = dapr;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        boolean azureOnly = false;
        boolean daprAttributes = false;
        for (io.gatehouse.policy.xml.XmlAttribute at : e.attributes()) {
            String n = at.name();
            if (n.startsWith("sf-")) {
                ctx.error(at.position(), "attribute '" + n + "' on <set-backend-service> is not supported: "
                        + "Service Fabric backends exist only in Azure (use base-url or backend-id)");
                azureOnly = true;
            }
            daprAttributes |= n.startsWith("dapr-");
        }
        if (azureOnly) {
            return null;
        }
        if (daprAttributes) {
            return compileDapr(e, ctx);
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
            return new SetBackendService(null, id, null);
        }
        Value<String> url = a.string("base-url");
        if (url != null && url.isConstant() && !isHttpUrl(url.constant())) {
            ctx.error(a.position("base-url"), "base-url '" + a.raw("base-url").written() + "' is not an absolute http(s) URL");
            return null;
        }
        return url == null ? null : new SetBackendService(url, null, null);
    }

    /**
     * {@code <set-backend-service backend-id="dapr" dapr-app-id="echo" dapr-method="back"
     * dapr-namespace="ns"/>}: the request goes to the Dapr sidecar's service invocation API,
     * {@code {sidecar}/v1.0/invoke/{app-id}[.{namespace}]/method/{method}} (the request's query
     * string kept), which replaces the backend's URL and the operation's path.
     */
    private static Policy compileDapr(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "backend-id", "dapr-app-id", "dapr-method", "dapr-namespace");
        ctx.noContent(e);
        if (a.has("base-url")) {
            return null; // reported as unknown above
        }
        String id = a.requiredText("backend-id");
        if (id != null && !id.equals("dapr")) {
            ctx.error(a.position("backend-id"), "<set-backend-service> with dapr-* attributes needs backend-id=\"dapr\", found '"
                    + id + "'");
            return null;
        }
        Value<String> app = a.requiredString("dapr-app-id");
        Value<String> method = a.requiredString("dapr-method");
        Value<String> ns = a.has("dapr-namespace") ? a.string("dapr-namespace") : Value.constant(null);
        if (id == null || app == null || method == null || ns == null) {
            return null;
        }
        return new SetBackendService(null, null, new Dapr(ctx.environment().daprEndpoint(), app, method, ns));
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
        if (dapr != null) {
            return invokeDapr(exchange);
        }
        exchange.backendPath(null);
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

    private CompletionStage<Void> invokeDapr(Exchange exchange) {
        String app = dapr.appId().get(exchange);
        String method = dapr.method().get(exchange);
        String ns = dapr.namespace().get(exchange);
        if (app == null || app.isBlank() || method == null || method.isBlank()) {
            throw new GatewayException(500, "set-backend-service", GatewayException.EXPRESSION_FAILURE,
                    "dapr-app-id or dapr-method evaluated to nothing");
        }
        String appId = app.strip() + (ns == null || ns.isBlank() ? "" : "." + ns.strip());
        StringBuilder path = new StringBuilder("/v1.0/invoke/").append(DaprSidecar.segment(appId)).append("/method");
        for (String part : method.strip().split("/", -1)) {
            if (!part.isEmpty()) {
                path.append('/').append(DaprSidecar.segment(part)); // a method may be a path: its slashes stay
            }
        }
        String base = dapr.sidecar().toString();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        exchange.baseUrl(base).backendPath(path.toString());
        return DONE;
    }
}
