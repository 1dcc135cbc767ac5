package io.gatehouse.policy.elements.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.policy.spi.Value;

import java.net.URI;
import java.time.Clock;

/**
 * Where an {@code <openid-config>} gets its keys: one configuration URL known at load, or a URL
 * computed per request by a policy expression (APIM allows one, e.g. a tenant taken from the
 * request). Computed URLs each get their own {@link OpenIdKeys}, kept in a bounded cache so a
 * request cannot make the gateway remember URLs without end.
 */
public final class OpenIdSource {
    private static final int MAX_URLS = 100;

    private final OpenIdKeys fixed;
    private final Value<String> url;
    private final Clock clock;
    private final OutboundHttp http;
    private final String policy;
    private final Cache<URI, OpenIdKeys> byUrl;

    private OpenIdSource(OpenIdKeys fixed, Value<String> url, Clock clock, OutboundHttp http, String policy) {
        this.fixed = fixed;
        this.url = url;
        this.clock = clock;
        this.http = http;
        this.policy = policy;
        this.byUrl = fixed == null ? Caffeine.newBuilder().maximumSize(MAX_URLS).build() : null;
    }

    public static OpenIdSource of(OpenIdKeys keys) {
        return new OpenIdSource(keys, null, null, null, null);
    }

    /** Keys from the URL {@code url} gives for each request. */
    public static OpenIdSource computed(Value<String> url, Clock clock, OutboundHttp http, String policy) {
        return new OpenIdSource(null, url, clock, http, policy);
    }

    /** The keys for this request; a computed URL that is not an absolute http(s) URL fails the request (500). */
    public OpenIdKeys resolve(Exchange exchange) {
        if (fixed != null) {
            return fixed;
        }
        String u = url.get(exchange);
        URI uri;
        try {
            uri = new URI(u == null ? "" : u.strip());
        } catch (Exception e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null
                || !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
            throw new GatewayException(500, policy, "ExpressionValueEvaluationFailure",
                    "<openid-config url> gave '" + u + "', which is not an absolute http(s) URL");
        }
        return byUrl.get(uri, k -> new OpenIdKeys(k, clock, http, policy));
    }
}
