package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <trace source="..." severity="verbose|information|error"><message>...</message>
 * <metadata name="..." value="..."/></trace>}: adds an entry to the request's trace (the request
 * log), never to the response. The older form APIM still accepts, with the message as the
 * element's own text ({@code <trace source="x">message or @(expression)</trace>}), is read too.
 */
public final class Trace implements Policy {
    public static final PolicyType TYPE = new PolicyType("trace", PolicyType.ALL, Trace::compile);

    private final String source;
    private final String severity;
    private final Value<String> message;
    /** name and value of each {@code <metadata>}, each a literal or a policy expression (as APIM's reference states). */
    private final List<Metadata> metadata;

    private record Metadata(Value<String> name, Value<String> value) {
    }

    private Trace(String source, String severity, Value<String> message, List<Metadata> metadata) {
        this.source = source;
        this.severity = severity;
        this.message = message;
        this.metadata = List.copyOf(metadata);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "source", "severity");
        SourceValue ownText = e.elements().isEmpty() ? e.textValue() : null;
        boolean legacy = ownText != null && !ownText.text().isBlank();
        if (!legacy) {
            ctx.onlyChildren(e, "message", "metadata");
        }
        String source = a.requiredText("source");
        String severity = a.choice("severity", "verbose", "verbose", "information", "error");
        Value<String> message = legacy ? ctx.string(ownText.strip(), "trace") : null;
        List<Metadata> metadata = new ArrayList<>();
        boolean ok = source != null && (!legacy || message != null);
        for (XmlElement c : e.elements()) {
            if (c.name().equals("message")) {
                ctx.attributes(c);
                ctx.noElements(c);
                if (message != null) {
                    ctx.error(c.position(), "<trace> has more than one <message>");
                    ok = false;
                }
                SourceValue t = c.textValue();
                message = ctx.string(t == null ? SourceValue.synthetic("", c.position()) : t, "trace");
                ok &= message != null;
            } else if (c.name().equals("metadata")) {
                Attributes m = ctx.attributes(c, "name", "value");
                ctx.noContent(c);
                Value<String> n = m.requiredString("name");
                Value<String> v = m.requiredString("value");
                if (n != null && v != null) {
                    metadata.add(new Metadata(n, v));
                } else {
                    ok = false;
                }
            }
        }
        if (message == null && ok) {
            ctx.error(e.position(), "<trace> needs a <message>");
            ok = false;
        }
        return ok ? new Trace(source, severity, message, metadata) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String m = message.get(exchange);
        Map<String, String> values = Map.of();
        if (!metadata.isEmpty()) {
            values = new LinkedHashMap<>();
            for (Metadata pair : metadata) {
                String n = pair.name().get(exchange);
                String v = pair.value().get(exchange);
                values.put(n == null ? "" : n, v == null ? "" : v);
            }
        }
        exchange.trace(new TraceEntry(source, severity, m == null ? "" : m, values));
        return DONE;
    }
}
