package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code <cors allow-credentials="false" terminate-unmatched-request="true">} with
 * {@code <allowed-origins>}, {@code <allowed-methods preflight-result-max-age="s">},
 * {@code <allowed-headers>} and {@code <expose-headers>}: answers CORS preflight requests
 * ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) itself, as
 * return-response would, and gives matching cross-origin requests the
 * {@code Access-Control-Allow-Origin} (and credentials/expose) headers on their response.
 *
 * <p>Without {@code <allowed-methods>} GET and POST are allowed. A preflight that does not match
 * (origin, method or a requested header not allowed) is answered with an empty 200 without CORS
 * headers, so the browser blocks the call; with {@code terminate-unmatched-request="false"} it
 * continues through the pipeline instead. An unmatched GET or HEAD is answered the same way when
 * terminate-unmatched-request is true; other unmatched requests continue without CORS headers.
 *
 * <p>The response headers of an actual request are set through {@link Exchange#onResponse} on
 * whatever response finally leaves: the backend's, a return-response, a cached one, or an error
 * response (so a browser can read a 401 or 429 from another origin, as it can on APIM).
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cors-policy">APIM cors</a>
 * @see <a href="https://fetch.spec.whatwg.org/#http-cors-protocol">Fetch: the CORS protocol</a>
 */
public final class Cors implements Policy {
    public static final PolicyType TYPE = new PolicyType("cors", EnumSet.of(Section.INBOUND), Cors::compile);

    private final boolean allowCredentials;
    private final boolean terminateUnmatched;
    private final boolean anyOrigin;
    private final Set<String> origins;
    private final boolean anyMethod;
    private final Set<String> methods;
    private final int maxAge;
    private final boolean anyHeader;
    private final Set<String> headers;
    private final List<String> exposeHeaders;

    private Cors(boolean allowCredentials, boolean terminateUnmatched, Set<String> origins, Set<String> methods, int maxAge,
                 Set<String> headers, List<String> exposeHeaders) {
        this.allowCredentials = allowCredentials;
        this.terminateUnmatched = terminateUnmatched;
        this.anyOrigin = origins.contains("*");
        this.origins = Set.copyOf(origins);
        this.anyMethod = methods.contains("*");
        this.methods = Set.copyOf(methods);
        this.maxAge = maxAge;
        this.anyHeader = headers.contains("*");
        this.headers = Set.copyOf(headers);
        this.exposeHeaders = List.copyOf(exposeHeaders);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "allow-credentials", "terminate-unmatched-request");
        ctx.onlyChildren(e, "allowed-origins", "allowed-methods", "allowed-headers", "expose-headers");
        boolean credentials = a.bool("allow-credentials", false);
        boolean terminate = a.bool("terminate-unmatched-request", true);
        Set<String> origins = null;
        Set<String> methods = null;
        Set<String> headers = null;
        List<String> expose = null;
        int maxAge = 0;
        boolean ok = true;
        for (XmlElement c : e.elements()) {
            boolean duplicate = switch (c.name()) {
                case "allowed-origins" -> origins != null;
                case "allowed-methods" -> methods != null;
                case "allowed-headers" -> headers != null;
                case "expose-headers" -> expose != null;
                default -> false;
            };
            if (duplicate) {
                ctx.error(c.position(), "<cors> has more than one <" + c.name() + ">");
                ok = false;
                continue;
            }
            switch (c.name()) {
                case "allowed-origins" -> {
                    ctx.attributes(c);
                    origins = new LinkedHashSet<>();
                    for (String listed : items(c, "origin", ctx)) {
                        // browsers send Origin without a path; APIM's own example lists "http://localhost:8080/"
                        String o = listed.matches("(?i)[a-z][a-z0-9+.-]*://[^/?#\\s]+/") ? listed.substring(0, listed.length() - 1) : listed;
                        if (!o.equals("*") && !o.matches("(?i)[a-z][a-z0-9+.-]*://[^/?#\\s]+")) {
                            ctx.error(c.position(), "<origin> '" + o + "' is not an origin (expected scheme://host[:port] such as https://app.contoso.com, or *)");
                            ok = false;
                        }
                        origins.add(o.equals("*") ? o : o.toLowerCase(Locale.ROOT));
                    }
                }
                case "allowed-methods" -> {
                    Attributes ma = ctx.attributes(c, "preflight-result-max-age");
                    maxAge = ma.integer("preflight-result-max-age", 0, 0, Integer.MAX_VALUE);
                    methods = new LinkedHashSet<>();
                    for (String m : items(c, "method", ctx)) {
                        if (!m.equals("*") && !SetMethod.isToken(m)) {
                            ctx.error(c.position(), "<method> '" + m + "' is not an HTTP method");
                            ok = false;
                        }
                        methods.add(m.toUpperCase(Locale.ROOT));
                    }
                }
                case "allowed-headers" -> {
                    ctx.attributes(c);
                    headers = new LinkedHashSet<>();
                    for (String h : items(c, "header", ctx)) {
                        headers.add(h.toLowerCase(Locale.ROOT));
                    }
                }
                case "expose-headers" -> {
                    ctx.attributes(c);
                    expose = items(c, "header", ctx);
                }
                default -> {
                    // reported by onlyChildren
                }
            }
        }
        if (origins == null || origins.isEmpty()) {
            ctx.error(e.position(), "<cors> needs <allowed-origins> with at least one <origin> (an origin such as https://app.contoso.com, or *)");
            return null;
        }
        if (credentials && origins.contains("*")) {
            ctx.error(a.position("allow-credentials"), "<cors allow-credentials=\"true\"> cannot be combined with <origin>*</origin>: browsers refuse credentials for a wildcard origin; list the origins");
            ok = false;
        }
        if (!ok) {
            return null;
        }
        return new Cors(credentials, terminate, origins, methods == null ? Set.of("GET", "POST") : methods, maxAge,
                headers == null ? Set.of() : headers, expose == null ? List.of() : expose);
    }

    /** The text of each {@code <child>} of {@code list}, constants only. */
    private static List<String> items(XmlElement list, String child, CompileContext ctx) {
        ctx.onlyChildren(list, child);
        List<String> out = new ArrayList<>();
        for (XmlElement c : list.elements()) {
            if (!c.name().equals(child)) {
                continue;
            }
            ctx.attributes(c);
            ctx.noElements(c);
            String t = c.textValue() == null ? "" : ctx.literal(c.textValue());
            if (t == null) { // reported: an unknown named value
                continue;
            }
            t = t.strip();
            if (CompileContext.isExpression(t)) {
                ctx.error(c.position(), "<" + child + "> does not accept a policy expression");
                continue;
            }
            if (t.isEmpty()) {
                ctx.error(c.position(), "<" + child + "> is empty");
                continue;
            }
            out.add(t);
        }
        return out;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        Headers in = c.request().headers();
        String origin = in.getValueOrDefault("Origin", null);
        if (origin == null) {
            return DONE; // not a cross-origin request
        }
        String method = c.request().method().toUpperCase(Locale.ROOT);
        String requestedMethod = in.getValueOrDefault("Access-Control-Request-Method", null);
        boolean originOk = anyOrigin || origins.contains(origin.strip().toLowerCase(Locale.ROOT));
        if (method.equals("OPTIONS") && requestedMethod != null) {
            preflight(exchange, origin.strip(), originOk, requestedMethod.strip(), in.getValueOrDefault("Access-Control-Request-Headers", ""));
            return DONE;
        }
        if (originOk && methodAllowed(method)) {
            String allowed = allowOrigin(origin.strip());
            exchange.onResponse(r -> actualResponseHeaders(r.headers(), allowed));
        } else if (terminateUnmatched && (method.equals("GET") || method.equals("HEAD"))) {
            respondEmpty(exchange);
        }
        return DONE;
    }

    /** The CORS headers of an actual (not preflight) request, on whatever response leaves. */
    private void actualResponseHeaders(Headers out, String allowedOrigin) {
        out.set("Access-Control-Allow-Origin", allowedOrigin);
        if (allowCredentials) {
            out.set("Access-Control-Allow-Credentials", "true");
        }
        if (!exposeHeaders.isEmpty()) {
            out.set("Access-Control-Expose-Headers", String.join(",", exposeHeaders));
        }
        if (!anyOrigin || allowCredentials) {
            String vary = out.getValueOrDefault("Vary", "");
            boolean present = false;
            for (String v : vary.split(",")) {
                present |= v.strip().equalsIgnoreCase("Origin") || v.strip().equals("*");
            }
            if (!present) {
                out.add("Vary", "Origin");
            }
        }
    }

    private void preflight(Exchange exchange, String origin, boolean originOk, String requestedMethod, String requestedHeaders) {
        List<String> asked = new ArrayList<>();
        for (String h : requestedHeaders.split(",")) {
            if (!h.isBlank()) {
                asked.add(h.strip());
            }
        }
        boolean headersOk = anyHeader || asked.stream().allMatch(h -> headers.contains(h.toLowerCase(Locale.ROOT)));
        boolean matched = originOk && methodAllowed(requestedMethod.toUpperCase(Locale.ROOT)) && headersOk;
        if (!matched && !terminateUnmatched) {
            return; // let the pipeline (perhaps another cors policy or the backend) handle it
        }
        respondEmpty(exchange);
        if (!matched) {
            return;
        }
        Headers out = exchange.context().response().headers();
        out.set("Access-Control-Allow-Origin", allowOrigin(origin));
        if (allowCredentials) {
            out.set("Access-Control-Allow-Credentials", "true");
        }
        out.set("Access-Control-Allow-Methods", requestedMethod);
        if (!asked.isEmpty()) {
            out.set("Access-Control-Allow-Headers", String.join(",", asked));
        }
        if (maxAge > 0) {
            out.set("Access-Control-Max-Age", Integer.toString(maxAge));
        }
        if (!anyOrigin || allowCredentials) {
            out.set("Vary", "Origin");
        }
    }

    private boolean methodAllowed(String m) {
        return anyMethod || methods.contains(m) || m.equals("OPTIONS");
    }

    private String allowOrigin(String origin) {
        return anyOrigin && !allowCredentials ? "*" : origin;
    }

    private static void respondEmpty(Exchange exchange) {
        Response r = exchange.context().response();
        Headers h = r.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        r.statusCode(200).statusReason("OK").body(new MessageBody(new byte[0], null));
        exchange.markResponded();
    }
}
