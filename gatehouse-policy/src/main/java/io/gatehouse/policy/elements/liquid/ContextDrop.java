package io.gatehouse.policy.elements.liquid;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.LastError;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Product;
import io.gatehouse.expr.context.Request;
import io.gatehouse.expr.context.Response;
import io.gatehouse.expr.context.Subscription;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.User;
import io.gatehouse.expr.lib.Dotnet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code context} as a Liquid template sees it: the members APIM documents for Liquid
 * ({@code Request.Url/Method/OriginalUrl/IpAddress/MatchedParameters/HasBody/Headers},
 * {@code Response.StatusCode/Headers}, the {@code Url} parts) plus {@code Variables}, {@code User},
 * {@code Api}, {@code Operation}, {@code Product}, {@code Subscription} (id and name only: keys are
 * never exposed), {@code RequestId}, {@code Timestamp} and {@code LastError}. Members are read
 * when the template asks; a header read gives its values joined with a comma.
 */
final class ContextDrop implements Drop {
    private final PolicyContext c;

    ContextDrop(PolicyContext c) {
        this.c = c;
    }

    @Override
    public Object member(String name) {
        return switch (name) {
            case "Request" -> request(c.request());
            case "Response" -> response(c.response());
            case "Variables" -> (Drop) n -> Values.member(c.variables().asMap(), n);
            case "User" -> user(c.user());
            case "Api" -> api(c.api());
            case "Operation" -> operation(c.operation());
            case "Product" -> product(c.product());
            case "Subscription" -> subscription(c.subscription());
            case "RequestId" -> Dotnet.toStr(c.requestId());
            case "Timestamp" -> c.timestamp();
            case "LastError" -> lastError(c.lastError());
            default -> null;
        };
    }

    private static Drop request(Request r) {
        return n -> switch (n) {
            case "Url" -> url(r.url());
            case "OriginalUrl" -> url(r.originalUrl());
            case "Method", "OriginalMethod" -> r.method();
            case "IpAddress" -> r.ipAddress();
            case "MatchedParameters" -> r.matchedParameters() == null ? Map.of() : new LinkedHashMap<String, Object>(r.matchedParameters());
            case "HasBody" -> r.body() != null && r.body().bytes().length > 0;
            case "Headers" -> headers(r.headers());
            default -> null;
        };
    }

    private static Drop response(Response r) {
        return n -> switch (n) {
            case "StatusCode" -> (long) r.statusCode();
            case "StatusReason" -> r.statusReason();
            case "Headers" -> headers(r.headers());
            default -> null;
        };
    }

    private static Drop headers(Headers h) {
        return n -> {
            String[] v = h.values(n);
            return v == null || v.length == 0 ? null : String.join(",", v);
        };
    }

    private static Drop url(Url u) {
        if (u == null) {
            return null;
        }
        return new Drop() {
            @Override
            public Object member(String n) {
                return switch (n) {
                    case "Scheme" -> u.scheme();
                    case "Host" -> u.host();
                    case "Port" -> (long) u.port();
                    case "Path" -> u.path();
                    case "Query" -> (Drop) q -> {
                        List<String> v = u.query().get(q);
                        return v == null ? null : String.join(",", v);
                    };
                    case "QueryString" -> u.queryString();
                    case "ToUri", "ToString" -> u.toString();
                    default -> null;
                };
            }

            @Override
            public String text() {
                return u.toString();
            }
        };
    }

    private static Map<String, Object> user(User u) {
        return u == null ? null : map("Id", u.id(), "Email", u.email(), "FirstName", u.firstName(), "LastName", u.lastName());
    }

    private static Map<String, Object> api(ApiInfo a) {
        return a == null ? null : map("Id", a.id(), "Name", a.name(), "Path", a.path(), "Version", a.version(),
                "ServiceUrl", a.serviceUrl() == null ? null : a.serviceUrl().toString());
    }

    private static Map<String, Object> operation(OperationInfo o) {
        return o == null ? null : map("Id", o.id(), "Name", o.name(), "Method", o.method(), "UrlTemplate", o.urlTemplate());
    }

    private static Map<String, Object> product(Product p) {
        return p == null ? null : map("Id", p.id(), "Name", p.name());
    }

    private static Map<String, Object> subscription(Subscription s) {
        return s == null ? null : map("Id", s.id(), "Name", s.name());
    }

    private static Map<String, Object> lastError(LastError e) {
        return e == null ? null : map("Source", e.source(), "Reason", e.reason(), "Message", e.message(), "Scope", e.scope(),
                "Section", e.section(), "Path", e.path(), "PolicyId", e.policyId());
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
