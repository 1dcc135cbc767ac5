package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.Charset;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code <redirect-content-urls/>}: in outbound, rewrites links to the backend in the response
 * body so they point at the same resource through the gateway; in inbound, the opposite, in the
 * request body. The backend's base URL is {@code set-backend-service base-url} when a policy set
 * one, else the API's service URL ({@code context.Api.ServiceUrl}); the gateway's is the
 * request's original scheme, host and port plus the API's URL suffix.
 *
 * <p>Only text bodies are rewritten (no content type, {@code text/*}, JSON, XML, JavaScript, form
 * data); a link matches with its scheme and host in any case and only as a whole path prefix
 * ({@code https://b/api} does not match in {@code https://b/apiv2}). As APIM documents, header
 * values such as {@code Location} are not changed: use {@code set-header} for those. The policy
 * reads the body, so the gateway buffers it.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/redirect-content-urls-policy">APIM redirect-content-urls</a>
 */
public final class RedirectContentUrls implements Policy {
    public static final PolicyType TYPE = new PolicyType("redirect-content-urls", EnumSet.of(Section.INBOUND, Section.OUTBOUND),
            RedirectContentUrls::compile);

    private final Message target;

    private RedirectContentUrls(Message target) {
        this.target = target;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        ctx.noContent(e);
        Message target = Message.of(ctx.section());
        ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        return new RedirectContentUrls(target);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        MessageBody body = target.body(c);
        if (body == null || body.consumed() || !isText(body.contentType())) {
            return DONE;
        }
        String backend = backendBase(exchange);
        String gateway = gatewayBase(c);
        if (backend == null || gateway == null) {
            return DONE;
        }
        String from = target == Message.RESPONSE ? backend : gateway;
        String to = target == Message.RESPONSE ? gateway : backend;
        Charset cs = Bodies.charset(body.contentType());
        String text = new String(body.bytes(), cs);
        String out = rewrite(text, from, to);
        if (!out.equals(text)) {
            target.body(c, new MessageBody(out.getBytes(cs), body.contentType()));
        }
        return DONE;
    }

    /** {@code text} with each link starting with {@code from} (as a whole path prefix) starting with {@code to} instead. */
    static String rewrite(String text, String from, String to) {
        Pattern p = Pattern.compile(Pattern.quote(from) + "(?![A-Za-z0-9._~%-])", Pattern.CASE_INSENSITIVE);
        return p.matcher(text).replaceAll(Matcher.quoteReplacement(to));
    }

    private static String backendBase(Exchange exchange) {
        String base = exchange.baseUrl();
        if (base == null) {
            PolicyContext c = exchange.context();
            if (c.api() == null || c.api().serviceUrl() == null) {
                return null;
            }
            base = origin(c.api().serviceUrl()) + c.api().serviceUrl().path();
        }
        return trimSlash(base);
    }

    private static String gatewayBase(PolicyContext c) {
        Url u = c.request().originalUrl();
        if (u == null) {
            return null;
        }
        String suffix = c.api() == null || c.api().path() == null ? "" : c.api().path().strip();
        return trimSlash(origin(u) + (suffix.isEmpty() || suffix.startsWith("/") ? suffix : "/" + suffix));
    }

    private static String origin(Url u) {
        boolean defaultPort = u.port() < 0 || (u.scheme().equals("https") && u.port() == 443) || (u.scheme().equals("http") && u.port() == 80);
        return u.scheme() + "://" + u.host() + (defaultPort ? "" : ":" + u.port());
    }

    private static String trimSlash(String s) {
        String t = s.strip();
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        return t;
    }

    static boolean isText(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        String t = contentType.toLowerCase(Locale.ROOT);
        int semi = t.indexOf(';');
        String mime = (semi < 0 ? t : t.substring(0, semi)).strip();
        return mime.startsWith("text/") || mime.endsWith("json") || mime.endsWith("xml") || mime.endsWith("javascript")
                || mime.equals("application/x-www-form-urlencoded");
    }
}
