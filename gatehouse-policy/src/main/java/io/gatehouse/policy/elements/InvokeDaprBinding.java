package io.gatehouse.policy.elements;

import io.gatehouse.expr.lib.Json;
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

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <invoke-dapr-binding name="external-systems" operation="create" ignore-error="false"
 * response-variable-name="r" timeout="5" template="liquid" content-type="application/json">}
 * with {@code <metadata><item key="k">value</item>...</metadata>} and {@code <data>content</data>}:
 * triggers a Dapr output binding: {@code POST {sidecar}/v1.0/bindings/{name}} with the JSON
 * {@code {"data": ..., "metadata": {"k": "value"}, "operation": "create"}}. The data (text, a
 * policy expression, or a Liquid template with {@code template="liquid"}) goes in as JSON when it
 * is JSON, else as a JSON string; with {@code content-type="application/json"} it must be JSON
 * (otherwise the request fails with 500). Item values may be expressions; {@code operation} is
 * text, as in APIM. Without {@code operation} or metadata those members are left out. The
 * sidecar's answer and errors: {@link DaprSidecar}. Allowed in inbound, outbound and on-error.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/invoke-dapr-binding-policy">APIM invoke-dapr-binding</a>
 */
public final class InvokeDaprBinding implements Policy {
    public static final PolicyType TYPE = new PolicyType("invoke-dapr-binding",
            EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR), InvokeDaprBinding::compile);

    private final Value<String> name;
    private final String operation;
    private final Map<String, Value<String>> metadata; // in document order
    private final SetBody data;   // null: no <data>
    private final boolean jsonOnly;
    private final DaprSidecar sidecar;

    private InvokeDaprBinding(Value<String> name, String operation, Map<String, Value<String>> metadata, SetBody data,
                              boolean jsonOnly, DaprSidecar sidecar) {
        this.name = name;
        this.operation = operation;
        this.metadata = metadata;
        this.data = data;
        this.jsonOnly = jsonOnly;
        this.sidecar = sidecar;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "name", "operation", "ignore-error", "response-variable-name", "timeout",
                "template", "content-type");
        Value<String> name = a.requiredString("name");
        String operation = a.has("operation") ? a.text("operation", null) : null; // text only, as in APIM
        boolean liquid = a.choice("template", "none", "none", "liquid").equals("liquid");
        String contentType = a.has("content-type") ? a.text("content-type", null) : null;
        DaprSidecar sidecar = DaprSidecar.compile(a, ctx);
        ctx.onlyChildren(e, "metadata", "data");
        boolean ok = name != null && sidecar != null && (operation != null || !a.has("operation"));
        Map<String, Value<String>> metadata = new LinkedHashMap<>();
        SetBody data = null;
        boolean seenMetadata = false;
        boolean seenData = false;
        for (XmlElement child : e.elements()) {
            if (child.name().equals("metadata")) {
                if (seenMetadata) {
                    ctx.error(child.position(), "<invoke-dapr-binding> has more than one <metadata>");
                    ok = false;
                }
                seenMetadata = true;
                ctx.attributes(child);
                ctx.onlyChildren(child, "item");
                for (XmlElement item : child.elements()) {
                    if (!item.name().equals("item")) {
                        continue; // reported by onlyChildren
                    }
                    Attributes ia = ctx.attributes(item, "key");
                    String key = ia.requiredText("key");
                    ctx.noElements(item);
                    SourceValue text = item.textValue();
                    Value<String> v = ctx.string(text == null ? SourceValue.synthetic("", item.position()) : text, "invoke-dapr-binding");
                    if (key == null || v == null) {
                        ok = false;
                        continue;
                    }
                    if (metadata.put(key, v) != null) {
                        ctx.error(ia.position("key"), "metadata item '" + key + "' is given twice");
                        ok = false;
                    }
                }
            } else if (child.name().equals("data")) {
                if (seenData) {
                    ctx.error(child.position(), "<invoke-dapr-binding> has more than one <data>");
                    ok = false;
                }
                seenData = true;
                ctx.attributes(child);
                data = SetBody.content(child, ctx, liquid);
                ok &= data != null;
            }
        }
        if (contentType != null && !contentType.strip().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            ctx.warning(a.position("content-type"), "content-type '" + contentType + "' on <invoke-dapr-binding>: "
                    + "APIM supports only application/json (the data goes into the request's JSON either way)");
        }
        boolean jsonOnly = contentType != null && contentType.strip().toLowerCase(java.util.Locale.ROOT).startsWith("application/json");
        return ok ? new InvokeDaprBinding(name, operation, java.util.Collections.unmodifiableMap(metadata), data, jsonOnly, sidecar) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String binding = name.get(exchange);
        if (binding == null || binding.isBlank()) {
            throw new GatewayException(500, "invoke-dapr-binding", GatewayException.EXPRESSION_FAILURE,
                    "invoke-dapr-binding name evaluated to nothing");
        }
        StringBuilder json = new StringBuilder(128).append('{');
        if (data != null) {
            String text = new String(data.bodyFor(exchange, data.currentBody(exchange.context()), null), StandardCharsets.UTF_8);
            json.append("\"data\":").append(dataJson(text));
        }
        if (!metadata.isEmpty()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("\"metadata\":{");
            boolean first = true;
            for (Map.Entry<String, Value<String>> m : metadata.entrySet()) {
                String v = m.getValue().get(exchange);
                if (!first) {
                    json.append(',');
                }
                first = false;
                json.append(Json.quoted(m.getKey())).append(':').append(Json.quoted(v == null ? "" : v));
            }
            json.append('}');
        }
        if (operation != null) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("\"operation\":").append(Json.quoted(operation));
        }
        json.append('}');
        return sidecar.post(exchange, "/v1.0/bindings/" + DaprSidecar.segment(binding.strip()), "application/json",
                json.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The data as a JSON value: itself when it is JSON, else a JSON string (an error when it must be JSON). */
    private String dataJson(String text) {
        String t = text.strip();
        if (!t.isEmpty()) {
            try {
                Json.parse(t);
                return t;
            } catch (IllegalArgumentException notJson) {
                if (jsonOnly) {
                    throw new GatewayException(500, "invoke-dapr-binding", GatewayException.EXPRESSION_FAILURE,
                            "invoke-dapr-binding data is not JSON although content-type is application/json: "
                                    + notJson.getMessage());
                }
            }
        }
        return Json.quoted(text);
    }
}
