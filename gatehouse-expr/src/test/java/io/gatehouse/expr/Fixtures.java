package io.gatehouse.expr;

import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Deployment;
import io.gatehouse.expr.context.LastError;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.JToken;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The request every golden case runs against, and how results print in the golden file. */
final class Fixtures {
    static final X509Certificate CLIENT = TestCerts.issue("C=US, O=Contoso, CN=clinic-app", "C=US, O=YourOrg, CN=YourCA",
            new BigInteger("00a1b2c3d4e5f60718", 16), Instant.parse("2026-01-01T00:00:00Z"),
            Instant.parse("2027-01-01T12:30:00Z"), "clinic-app.contoso.com", "mailto:ops@contoso.com");

    private Fixtures() {
    }

    static PolicyContext context() {
        PolicyContext c = new PolicyContext();
        c.api(new ApiInfo("orders-api", "Orders", "orders", Url.parse("https://backend.internal:9443/v1"), "v1"));
        c.operation(new OperationInfo("get-order", "Get order", "POST", "/orders/{id}"));
        c.request().method("POST").url(Url.parse("https://api.contoso.com:8443/orders/42?status=open&tag=a&tag=b"))
                .ipAddress("10.0.0.7")
                .body(MessageBody.ofString("{\"id\": 42, \"name\": \"Ada\", \"tags\": [\"x\", \"y\"], "
                        + "\"nested\": {\"ok\": true}, \"price\": 12.5, \"none\": null}", "application/json; charset=utf-8"))
                .certificate(new X509Certificate2(CLIENT, List.of(), (cert, revocation) -> !revocation));
        c.request().headers().set("Content-Type", "application/json").set("X-Tenant", "clinic-7").add("Accept", "text/plain")
                .add("Accept", "application/json");
        c.request().matchedParameters().put("id", "42");
        c.response().statusCode(201).statusReason("Created").body(MessageBody.ofString("plain text", "text/plain"));
        c.response().headers().set("Server", "backend");
        c.variables().set("userId", "u-1").set("count", 5).set("flag", true).set("nothing", null)
                .set("doc", JToken.parse("{\"a\": {\"b\": [1, 2, 3]}}")).set("big", 5_000_000_000L);
        c.lastError(new LastError("validate-client-certificate", "ClientCertificateNotTrusted", "Certificate is not trusted",
                "api", "inbound", "choose\\when[1]", "check-cert"));
        c.requestId(new Guid(UUID.fromString("3f2504e0-4f89-11d3-9a0c-0305e82c3301")));
        c.started(DateTime.ofInstant(Instant.parse("2026-11-27T07:05:00.1234567Z"), DateTime.Kind.Utc), System.nanoTime());
        c.deployment(new Deployment("westeurope", "gatehouse-test", "gh-1", Map.of()));
        return c;
    }

    /** How a value prints in the golden file: strings quoted, numbers with a C# suffix. */
    static String repr(Object v) {
        if (v == null) {
            return "null";
        }
        return switch (v) {
            case String s -> quote(s);
            case Boolean b -> b.toString();
            case Integer i -> i.toString();
            case Long l -> l + "L";
            case Double d -> Dotnet.formatDouble(d) + "D";
            case BigDecimal d -> d.toPlainString() + "M";
            case Character ch -> "'" + quote(ch.toString()).substring(1, quote(ch.toString()).length() - 1) + "'";
            case String[] a -> list(List.of((Object[]) a));
            case Object[] a -> list(List.of(a));
            case byte[] b -> "bytes" + list(toList(b));
            case List<?> l -> list(l);
            case JToken t -> t.getClass().getSimpleName() + " " + t.toString(false);
            default -> v.getClass().getSimpleName() + " " + Dotnet.toStr(v);
        };
    }

    private static List<Object> toList(byte[] b) {
        Object[] out = new Object[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xff;
        }
        return List.of(out);
    }

    private static String list(List<?> l) {
        StringBuilder sb = new StringBuilder("[");
        for (Object o : l) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(o == null ? "null" : repr(o));
        }
        return sb.append(']').toString();
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(ch);
            }
        }
        return sb.append('"').toString();
    }
}
