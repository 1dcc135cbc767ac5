package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * {@code <jsonp callback-parameter-name="cb"/>} (outbound): when the request has the query
 * parameter named by {@code callback-parameter-name} (which may be a policy expression), a JSON
 * response body {@code B} becomes {@code callback(B);} with content type
 * {@code application/javascript}; without the parameter the JSON is returned as it is.
 *
 * <p>The callback must be a JavaScript name or dotted path ({@code cb}, {@code app.handlers.cb},
 * at most 128 characters); any other value is answered as plain JSON, so the parameter cannot
 * inject script. Non-JSON bodies are left alone. The policy reads the response body.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/jsonp-policy">APIM jsonp</a>
 */
public final class Jsonp implements Policy {
    public static final PolicyType TYPE = new PolicyType("jsonp", EnumSet.of(Section.OUTBOUND), Jsonp::compile);

    private static final Pattern CALLBACK = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");

    private final Value<String> parameter;

    private Jsonp(Value<String> parameter) {
        this.parameter = parameter;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "callback-parameter-name");
        ctx.noContent(e);
        Value<String> p = a.requiredString("callback-parameter-name");
        if (p == null) {
            return null;
        }
        if (p.isConstant() && (p.constant() == null || p.constant().isBlank())) {
            ctx.error(a.position("callback-parameter-name"), "attribute 'callback-parameter-name' on <jsonp> is empty (expected: the query parameter that names the callback, such as cb)");
            return null;
        }
        ctx.readsBody(false, true);
        return new Jsonp(p);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        String name = parameter.get(exchange);
        if (name == null || c.request().url() == null) {
            return DONE;
        }
        String callback = c.request().url().queryValueOrDefault(name, null);
        Response r = c.response();
        MessageBody body = r.body();
        if (callback == null || body == null || body.consumed() || !isJson(body.contentType() != null ? body.contentType()
                : r.headers().getValueOrDefault("Content-Type", null))) {
            return DONE;
        }
        if (callback.length() > 128 || !CALLBACK.matcher(callback).matches()) {
            exchange.trace(new TraceEntry("jsonp", "warning", "callback parameter '" + name + "' is not a JavaScript name: answered as plain JSON", Map.of()));
            return DONE;
        }
        String json = body.readString(true);
        String type = "application/javascript; charset=utf-8";
        r.body(new MessageBody((callback + "(" + json + ");").getBytes(StandardCharsets.UTF_8), type));
        r.headers().set("Content-Type", type);
        r.headers().set("X-Content-Type-Options", "nosniff");
        return DONE;
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        int semi = t.indexOf(';');
        String mime = (semi < 0 ? t : t.substring(0, semi)).strip();
        return mime.equals("application/json") || mime.equals("text/json") || mime.endsWith("+json");
    }
}
