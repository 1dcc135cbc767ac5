package io.gatehouse.policy.elements.jwt;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.spi.OutboundHttp;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The signing keys published behind one OpenID Connect discovery URL: the configuration document
 * is fetched, then its {@code jwks_uri}, both through the gateway's {@link OutboundHttp}
 * asynchronously (the calling thread never blocks), following up to {@link #MAX_REDIRECTS}
 * redirects. Keys are cached; a token whose {@code kid} is not in the cache
 * triggers a refresh, at most once per {@link #MIN_REFRESH}, so a stream of forged {@code kid}s
 * cannot turn the gateway into a load generator against the identity provider. The cache is
 * refreshed anyway after {@link #MAX_AGE} to follow key rotation.
 *
 * <p>Thread-safe: concurrent requests share one fetch in flight.
 */
public final class OpenIdKeys {
    /** The shortest time between two refreshes caused by unknown key ids. */
    public static final Duration MIN_REFRESH = Duration.ofMinutes(5);
    /** Keys older than this are refetched on the next request. */
    public static final Duration MAX_AGE = Duration.ofHours(12);
    /** After a failed first fetch, requests fail at once for this long instead of each trying again. */
    public static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(10);
    /** Redirects followed per fetch (301, 302, 303, 307, 308 with a Location). */
    public static final int MAX_REDIRECTS = 5;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** What one fetch produced: the keys and the issuer the configuration names. */
    record Snapshot(List<JWK> keys, String issuer, Instant fetchedAt) {
    }

    private final URI url;
    private final Clock clock;
    private final OutboundHttp http;
    private final String caller;
    private volatile Snapshot snapshot;
    private CompletableFuture<Snapshot> inFlight;
    private Instant lastAttempt; // null until the first fetch

    /** @param caller the policy fetching the keys, for failure messages */
    public OpenIdKeys(URI url, Clock clock, OutboundHttp http, String caller) {
        this.url = url;
        this.clock = clock;
        this.http = java.util.Objects.requireNonNull(http, "http");
        this.caller = caller;
    }

    public URI url() {
        return url;
    }

    /**
     * The keys to try for a token with key id {@code kid} (null when the token names none). Uses
     * the cache when it is fresh and knows the kid; otherwise refreshes (rate-limited). Fails when
     * nothing was ever fetched and the fetch fails.
     */
    public CompletionStage<Snapshot> keys(String kid) {
        Snapshot s = snapshot;
        Instant now = clock.instant();
        boolean stale = s == null || s.fetchedAt().plus(MAX_AGE).isBefore(now);
        boolean unknownKid = s != null && kid != null && s.keys().stream().noneMatch(k -> kid.equals(k.getKeyID()));
        if (!stale && !unknownKid) {
            return CompletableFuture.completedFuture(s);
        }
        synchronized (this) {
            if (inFlight != null) {
                return inFlight;
            }
            if (s != null && !stale && lastAttempt != null && lastAttempt.plus(MIN_REFRESH).isAfter(now)) {
                return CompletableFuture.completedFuture(s);
            }
            if (s == null && lastAttempt != null && lastAttempt.plus(RETRY_AFTER_FAILURE).isAfter(now)) {
                return CompletableFuture.failedFuture(new IllegalStateException("the OpenID configuration at " + url
                        + " could not be loaded a moment ago; next try after " + RETRY_AFTER_FAILURE.toSeconds() + " s"));
            }
            lastAttempt = now;
            CompletableFuture<Snapshot> f = fetch().toCompletableFuture();
            inFlight = f;
            return f.whenComplete((r, t) -> {
                synchronized (this) {
                    inFlight = null;
                    if (r != null) {
                        snapshot = r;
                    }
                }
            }).handle((r, t) -> {
                if (t != null && s != null) {
                    return s; // keep serving the last good keys while the provider is unreachable
                }
                if (t != null) {
                    throw new IllegalStateException("could not load the OpenID configuration from " + url + ": " + rootMessage(t), t);
                }
                return r;
            });
        }
    }

    private CompletionStage<Snapshot> fetch() {
        return get(url).thenCompose(config -> {
            Map<String, Object> json;
            try {
                json = JSONObjectUtils.parse(config);
            } catch (java.text.ParseException e) {
                throw new IllegalStateException("the OpenID configuration is not JSON: " + e.getMessage(), e);
            }
            Object jwksUri = json.get("jwks_uri");
            if (!(jwksUri instanceof String u)) {
                throw new IllegalStateException("the OpenID configuration has no jwks_uri");
            }
            Object issuer = json.get("issuer");
            return get(url.resolve(u)).thenApply(jwks -> {
                try {
                    return new Snapshot(JWKSet.parse(jwks).getKeys(), issuer instanceof String i ? i : null, clock.instant());
                } catch (java.text.ParseException e) {
                    throw new IllegalStateException("the JWKS at " + u + " is not a key set: " + e.getMessage(), e);
                }
            });
        });
    }

    private CompletionStage<String> get(URI uri) {
        return get(uri, 0);
    }

    private CompletionStage<String> get(URI uri, int redirects) {
        Headers h = new Headers();
        h.add("Accept", "application/json");
        return http.send(OutboundHttp.Request.get(uri, h, TIMEOUT, caller)).thenCompose(resp -> {
            int s = resp.status();
            String location = resp.headers().getValueOrDefault("Location", null);
            if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) && location != null) {
                if (redirects >= MAX_REDIRECTS) {
                    throw new IllegalStateException(uri + " redirected more than " + MAX_REDIRECTS + " times");
                }
                return get(uri.resolve(location.strip()), redirects + 1);
            }
            if (s != 200) {
                throw new IllegalStateException(uri + " answered " + s);
            }
            return CompletableFuture.completedFuture(resp.bodyText());
        });
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
