package io.gatehouse.policy.elements;

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

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <check-header name="X-Thumbprint" failed-check-httpcode="401" failed-check-error-message="Not allowed" ignore-case="true">}
 * with optional {@code <value>}s: the request must carry the header and, when values are listed,
 * one of its values must be one of them. Otherwise the request fails with the given status and
 * message ({@code context.LastError} Source {@code check-header}, Reason {@code HeaderNotFound} or
 * {@code HeaderValueNotAllowed}). {@code ignore-case} (default false here; APIM requires it) makes
 * the value comparison case-insensitive.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/check-header-policy">APIM check-header</a>
 */
public final class CheckHeader implements Policy {
    public static final PolicyType TYPE = new PolicyType("check-header", EnumSet.of(Section.INBOUND, Section.OUTBOUND),
            CheckHeader::compile);

    private final Value<String> name;
    private final Value<Integer> status;
    private final Value<String> message;
    private final Value<Boolean> ignoreCase;
    private final List<Value<String>> values;

    private CheckHeader(Value<String> name, Value<Integer> status, Value<String> message, Value<Boolean> ignoreCase,
                        List<Value<String>> values) {
        this.name = name;
        this.status = status;
        this.message = message;
        this.ignoreCase = ignoreCase;
        this.values = List.copyOf(values);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "name", "failed-check-httpcode", "failed-check-error-message", "ignore-case");
        ctx.onlyChildren(e, "value");
        Value<String> name = a.requiredString("name");
        Value<Integer> status = null;
        if (!a.has("failed-check-httpcode")) {
            a.missing("failed-check-httpcode");
        } else {
            status = a.integerValue("failed-check-httpcode", 400, 599);
        }
        Value<String> message = a.requiredString("failed-check-error-message");
        Value<Boolean> ignoreCase = a.booleanValue("ignore-case", false);
        List<Value<String>> values = new ArrayList<>();
        boolean ok = name != null && status != null && message != null && ignoreCase != null;
        for (XmlElement v : e.elements()) {
            ctx.attributes(v);
            ctx.noElements(v);
            SourceValue text = v.textValue();
            Value<String> val = ctx.string(text == null ? SourceValue.synthetic("", v.position()) : text, "check-header");
            ok &= val != null;
            values.add(val);
        }
        return ok ? new CheckHeader(name, status, message, ignoreCase, values) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String n = name.get(exchange);
        String[] present = n == null ? null : exchange.context().request().headers().values(n);
        if (present == null || present.length == 0) {
            throw fail(exchange, "HeaderNotFound", "Header " + n + " was not found in the request. Access denied.");
        }
        if (values.isEmpty()) {
            return DONE;
        }
        Boolean ic = ignoreCase.get(exchange);
        boolean caseless = ic != null && ic;
        String joined = String.join(",", present);
        for (Value<String> v : values) {
            String allowed = v.get(exchange);
            if (allowed == null) {
                continue;
            }
            if (same(allowed, joined, caseless)) {
                return DONE;
            }
            for (String p : present) {
                if (same(allowed, p, caseless)) {
                    return DONE;
                }
            }
        }
        // the value is not echoed: it may be a credential the client guessed
        throw fail(exchange, "HeaderValueNotAllowed", "Header " + n + " value is not allowed. Access denied.");
    }

    private static boolean same(String a, String b, boolean caseless) {
        return caseless ? a.equalsIgnoreCase(b) : a.equals(b);
    }

    private GatewayException fail(Exchange exchange, String reason, String detail) {
        Integer code = status.get(exchange);
        if (code == null || code < 400 || code > 599) {
            return new GatewayException(500, "check-header", GatewayException.EXPRESSION_FAILURE,
                    "check-header: failed-check-httpcode " + code + " (expected: 400-599)");
        }
        String msg = message.get(exchange);
        return new PolicyRejection(code, "check-header", reason, detail, msg == null ? "" : msg, java.util.Map.of());
    }
}
