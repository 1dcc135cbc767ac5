package io.gatehouse.policy.elements.http;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.elements.AuthenticationCertificate;
import io.gatehouse.policy.elements.AuthenticationManagedIdentity;
import io.gatehouse.policy.elements.SetBody;
import io.gatehouse.policy.elements.SetHeader;
import io.gatehouse.policy.elements.SetMethod;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.tls.KeyMaterial;

import io.gatehouse.policy.spi.OutboundHttp;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The request {@code send-request} and {@code send-one-way-request} build: {@code mode}
 * ({@code new} starts empty, {@code copy} starts from the current request's method, URL,
 * headers and body, but without the body in the outbound section, as on APIM), then the children
 * {@code <set-url>}, {@code <set-method>}, {@code <set-header>}, {@code <set-body>},
 * {@code <authentication-certificate>} and {@code <authentication-managed-identity>} (its token
 * becomes the sent request's {@code Authorization: Bearer} header), whose values are evaluated against the current
 * request's context; they change the new request in document order. Sent asynchronously through the environment's {@link OutboundHttp} (the gateway's
 * outbound client: its TLS settings, checks and connections); a client certificate from
 * {@code authentication-certificate} goes with the request for the client to present. Which
 * servers are trusted is the client's business (see {@code OutboundHttp}).
 */
public final class OutgoingRequest {
    private final boolean copy;
    private final boolean copyBody;
    private final Value<String> url;
    private final List<Object> children;
    private final Policy certificate;
    private final Duration timeout;
    private final String policy;
    private final OutboundHttp http;
    private final AuthenticationManagedIdentity identity;

    private OutgoingRequest(boolean copy, boolean copyBody, Value<String> url, List<Object> children, Policy certificate, Duration timeout,
                            String policy, OutboundHttp http, AuthenticationManagedIdentity identity) {
        this.copy = copy;
        this.copyBody = copyBody;
        this.url = url;
        this.children = List.copyOf(children);
        this.certificate = certificate;
        this.timeout = timeout;
        this.policy = policy;
        this.http = http;
        this.identity = identity;
    }

    /**
     * Reads {@code mode} and the children of {@code e}; null after reporting. Every child but
     * {@code set-url} (which only send-request has) is compiled by its own element class, with
     * the checks it has everywhere: {@link SetMethod}, {@link SetHeader}, {@link SetBody} (Liquid
     * templates included), {@link AuthenticationCertificate}, {@link AuthenticationManagedIdentity}.
     * They change the new request in document order.
     */
    public static OutgoingRequest compile(XmlElement e, Attributes a, CompileContext ctx, Duration timeout) {
        boolean copy = a.choice("mode", "new", "new", "copy").equals("copy");
        ctx.onlyChildren(e, "set-url", "set-method", "set-header", "set-body", "authentication-certificate",
                "authentication-managed-identity");
        boolean ok = true;
        Value<String> url = null;
        Policy cert = null;
        AuthenticationManagedIdentity identity = null;
        List<Object> children = new ArrayList<>();
        for (XmlElement c : e.elements()) {
            switch (c.name()) {
                case "set-url" -> {
                    ctx.attributes(c);
                    ctx.noElements(c);
                    SourceValue t = c.textValue();
                    if (t == null || t.text().isBlank()) {
                        ctx.error(c.position(), "<set-url> inside <" + e.name() + "> is empty");
                        ok = false;
                        continue;
                    }
                    url = ctx.string(t.strip(), e.name());
                    ok &= url != null;
                }
                case "set-method" -> ok &= add(children, SetMethod.TYPE.compiler().compile(c, ctx));
                case "set-header" -> ok &= add(children, SetHeader.compileDetached(c, ctx));
                case "set-body" -> ok &= add(children, SetBody.compileDetached(c, ctx));
                case "authentication-certificate" -> {
                    cert = AuthenticationCertificate.TYPE.compiler().compile(c, ctx);
                    ok &= cert != null;
                }
                case "authentication-managed-identity" -> {
                    // with output-token-variable-name the token goes to the variable, not the request (as at top level)
                    identity = (AuthenticationManagedIdentity) AuthenticationManagedIdentity.TYPE.compiler().compile(c, ctx);
                    ok &= identity != null;
                }
                default -> ok = false; // reported by onlyChildren
            }
        }
        if (!copy && url == null && ok) {
            ctx.error(e.position(), "<" + e.name() + " mode=\"new\"> needs a <set-url>");
            ok = false;
        }
        // APIM: "in the outbound policy section, mode=copy does not initialize the request body"
        boolean copyBody = copy && ctx.section() != io.gatehouse.policy.Section.OUTBOUND;
        if (copyBody) {
            ctx.readsBody(true, false); // the copy carries the request's body: it must be buffered, not streamed
        }
        return ok ? new OutgoingRequest(copy, copyBody, url, children, cert, timeout, e.name(), ctx.environment().outboundHttp(),
                identity) : null;
    }

    private static boolean add(List<Object> children, Object compiled) {
        if (compiled == null) {
            return false;
        }
        children.add(compiled);
        return true;
    }

    /**
     * Builds the request now (values evaluated against the current context, on the calling
     * thread) and starts sending it through the environment's {@link OutboundHttp}. Fails at once
     * with a {@link GatewayException} when the request cannot be built (a bad URL, an expression
     * that throws).
     */
    public CompletionStage<OutboundHttp.Response> send(Exchange exchange) {
        PolicyContext ctx = exchange.context();
        String m = copy ? ctx.request().method() : "GET";
        String u = url == null ? String.valueOf(ctx.request().url()) : url.get(exchange);
        URI uri;
        try {
            uri = URI.create(u.strip());
            if (uri.getHost() == null || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                throw new IllegalArgumentException("no host");
            }
        } catch (RuntimeException bad) {
            throw new GatewayException(500, policy, "InvalidUrl", policy + ": '" + u + "' is not an absolute http(s) URL");
        }
        Headers h = new Headers();
        MessageBody body = null;
        if (copy) {
            for (Map.Entry<String, List<String>> en : ctx.request().headers().entries()) {
                en.getValue().forEach(v -> h.add(en.getKey(), v));
            }
            body = copyBody ? ctx.request().body() : null;
        }
        for (Object child : children) { // in document order, each evaluated against the current context
            switch (child) {
                case SetMethod sm -> m = sm.method(exchange);
                case SetHeader sh -> sh.applyTo(h, exchange);
                case SetBody sb -> {
                    String type = h.getValueOrDefault("Content-Type", null);
                    body = new MessageBody(sb.bodyFor(exchange, body, type), body == null ? null : body.contentType());
                }
                default -> throw new IllegalStateException("unexpected child " + child);
            }
        }
        byte[] bytes = body == null ? new byte[0] : body.bytes();
        KeyMaterial km = null;
        if (certificate != null) {
            Exchange scratch = new Exchange(ctx);
            certificate.apply(scratch);
            km = scratch.clientCertificate();
        }
        OutboundHttp.Request request = new OutboundHttp.Request(m.toUpperCase(Locale.ROOT), uri, h, bytes, timeout, km, policy);
        OutboundHttp via = exchange.outboundHttp() != null ? exchange.outboundHttp() : http; // the request's own when traced
        if (identity != null) {
            return identity.token(exchange).thenCompose(token -> {
                if (token != null) {
                    h.set("Authorization", "Bearer " + token);
                }
                return via.send(request);
            });
        }
        try {
            return via.send(request);
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /** The response as APIM's {@code IResponse}: status, reason, headers and body. */
    public static Response toResponse(OutboundHttp.Response r) {
        Response out = new Response().statusCode(r.status())
                .statusReason(r.reason().isEmpty() ? reason(r.status()) : r.reason());
        for (Map.Entry<String, List<String>> en : r.headers().entries()) {
            if (!en.getKey().startsWith(":")) {
                en.getValue().forEach(v -> out.headers().add(en.getKey(), v));
            }
        }
        String type = r.headers().getValueOrDefault("Content-Type", null);
        out.body(new MessageBody(r.body(), type));
        return out;
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            default -> "";
        };
    }
}
