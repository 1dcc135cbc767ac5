package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Request;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code <rewrite-uri template="/v2/customers/{id}?expand={expand}" copy-unmatched-params="true"/>}:
 * replaces the backend-relative path (and query) of {@code context.Request.Url}. {@code {name}} takes
 * the operation's matched template parameter of that name, else the request's query parameter.
 * With {@code copy-unmatched-params} (the default), query parameters of the request that the
 * template does not use are kept.
 *
 * <p>The template is relative to the backend URL, as in APIM; the API's {@code path} is put back
 * in front so that {@code forward-request}, which strips it, sends exactly the template's path.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/rewrite-uri-policy">APIM rewrite-uri</a>
 */
public final class RewriteUri implements Policy {
    public static final PolicyType TYPE = new PolicyType("rewrite-uri", EnumSet.of(Section.INBOUND), RewriteUri::compile);

    private final Value<String> template;
    private final boolean copyUnmatched;

    private RewriteUri(Value<String> template, boolean copyUnmatched) {
        this.template = template;
        this.copyUnmatched = copyUnmatched;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "template", "copy-unmatched-params");
        ctx.noContent(e);
        boolean copy = a.bool("copy-unmatched-params", true);
        SourceValue raw = a.raw("template");
        if (raw == null) {
            a.missing("template");
            return null;
        }
        Value<String> t = ctx.value(raw, String.class, "rewrite-uri", text -> {
            String problem = problem(text);
            if (problem != null) {
                ctx.error(a.position("template"), "attribute 'template' on <rewrite-uri>: " + problem);
                return null;
            }
            return text.strip();
        });
        return t == null ? null : new RewriteUri(t, copy);
    }

    /** What is wrong with a template, or null. */
    static String problem(String template) {
        String t = template.strip();
        if (t.isEmpty()) {
            return "the template is empty (expected a path such as /customers/{id})";
        }
        if (t.contains("://")) {
            return "'" + t + "' is an absolute URL; the template is the path relative to the backend URL (use set-backend-service to change the backend)";
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '{') {
                int close = t.indexOf('}', i);
                if (close < 0) {
                    return "'{' at character " + (i + 1) + " is never closed (expected {name})";
                }
                String name = paramName(t.substring(i + 1, close));
                if (name.isEmpty()) {
                    return "empty parameter '{}' at character " + (i + 1) + " (expected {name})";
                }
                i = close;
            } else if (c == '}') {
                return "'}' at character " + (i + 1) + " has no matching '{'";
            } else if (c == '#') {
                return "a template cannot contain a fragment ('#')";
            }
        }
        return null;
    }

    private static String paramName(String inside) {
        String n = inside.strip();
        if (n.startsWith("*")) {
            n = n.substring(1);
        }
        if (n.endsWith("?")) {
            n = n.substring(0, n.length() - 1);
        }
        return n;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String t = template.get(exchange);
        String problem = t == null ? "the template expression returned null" : problem(t);
        if (problem != null) {
            throw new GatewayException(500, "rewrite-uri", GatewayException.EXPRESSION_FAILURE, "rewrite-uri: " + problem);
        }
        Request request = exchange.context().request();
        Url url = request.url();
        if (url == null) {
            return DONE;
        }
        t = t.strip();
        int q = t.indexOf('?');
        String pathPart = q >= 0 ? t.substring(0, q) : t;
        String queryPart = q >= 0 ? t.substring(q + 1) : "";
        Map<String, String> matched = request.matchedParameters();
        Map<String, List<String>> original = new LinkedHashMap<>(url.query());
        Set<String> used = new HashSet<>();
        usedByOperationTemplate(exchange.context().operation(), used);
        String path = expand(pathPart, matched, original, used, false);
        String query = expand(queryPart, matched, original, used, true);

        Url parsedQuery = new Url("http", "x", -1, "/").queryString(query);
        Map<String, List<String>> newQuery = new LinkedHashMap<>(parsedQuery.query());
        if (copyUnmatched) {
            for (Map.Entry<String, List<String>> e : original.entrySet()) {
                if (!used.contains(e.getKey()) && !newQuery.containsKey(e.getKey())) {
                    newQuery.put(e.getKey(), new ArrayList<>(e.getValue()));
                }
            }
        }
        if (!path.startsWith("/")) {
            path = "/" + path;
        }
        ApiInfo api = exchange.context().api();
        String prefix = api == null || api.path() == null || api.path().isEmpty() ? "" : "/" + api.path().replaceAll("^/+|/+$", "");
        url.path(prefix + path);
        url.query().clear();
        url.query().putAll(newQuery);
        return DONE;
    }

    /**
     * Query parameters the operation's URL template matched ({@code /get?a={b}} matched {@code a}):
     * they are not "unmatched", so they are not copied (APIM: "/get?a=b&c=d" becomes "/put?c=d").
     */
    private static void usedByOperationTemplate(io.gatehouse.expr.context.OperationInfo op, Set<String> used) {
        String template = op == null ? null : op.urlTemplate();
        int q = template == null ? -1 : template.indexOf('?');
        if (q < 0) {
            return;
        }
        for (String pair : template.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.indexOf('{', eq) > eq) {
                used.add(pair.substring(0, eq));
            }
        }
    }

    /** Replaces {name} in one part of the template; query-part values are form-encoded, path values path-encoded. */
    private static String expand(String part, Map<String, String> matched, Map<String, List<String>> query, Set<String> used,
                                 boolean inQuery) {
        StringBuilder sb = new StringBuilder(part.length() + 16);
        int i = 0;
        while (i < part.length()) {
            char c = part.charAt(i);
            if (c != '{') {
                sb.append(c);
                i++;
                continue;
            }
            int close = part.indexOf('}', i);
            String name = paramName(part.substring(i + 1, close));
            i = close + 1;
            String value;
            boolean fromPath;
            if (matched.containsKey(name)) {
                value = matched.get(name);
                fromPath = true;
            } else if (query.containsKey(name)) {
                value = String.join(",", query.get(name));
                fromPath = false;
                used.add(name);
            } else {
                continue; // an absent optional parameter expands to nothing
            }
            if (inQuery) {
                String plain = fromPath ? percentDecode(value) : value;
                sb.append(URLEncoder.encode(plain, StandardCharsets.UTF_8).replace("+", "%20"));
            } else {
                sb.append(fromPath ? encodePath(value, true) : encodePath(value, false));
            }
        }
        return sb.toString();
    }

    private static String percentDecode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** Percent-encodes what may not appear in a path segment; keeps '%' when the value is already encoded. */
    private static String encodePath(String s, boolean keepPercent) {
        StringBuilder sb = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:@".indexOf(c) >= 0 || (keepPercent && c == '%');
            if (safe) {
                sb.append(c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return sb.toString();
    }
}
