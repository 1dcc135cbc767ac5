package io.gatehouse.policy.elements.identity;

import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.Json;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.spi.OutboundHttp;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * Gets managed identity access tokens from a {@link ManagedIdentityEndpoint} through the
 * gateway's {@link OutboundHttp} (asynchronously: the event loop never waits on it), and caches each
 * resource/client-id pair's token until {@link #REFRESH_BEFORE} ahead of its expiry. Concurrent
 * requests for a token not yet cached share one call. Failed calls are not cached.
 *
 * <p>Tokens never appear in messages, logs or {@link #toString()}. Error messages carry the token
 * service's status and its {@code error}/{@code error_description}, which hold no secret.
 */
public final class ManagedIdentityTokens {
    /** A cached token is fetched again when it expires within this. */
    public static final Duration REFRESH_BEFORE = Duration.ofMinutes(5);
    /** How long one call to the token service may take. */
    public static final Duration TIMEOUT = Duration.ofSeconds(20);
    /**
     * Resource/client-id pairs kept at most. A resource computed from the request could otherwise
     * grow the cache without end; past this, finished entries are dropped.
     */
    public static final int MAX_ENTRIES = 1_000;

    private record Key(String resource, String clientId) {
    }

    private record Token(String value, Instant expires) {
        @Override
        public String toString() {
            return "Token[******, expires " + expires + "]";
        }
    }

    private final ManagedIdentityEndpoint endpoint;
    private final Clock clock;
    private final Map<Key, CompletableFuture<Token>> cache = new ConcurrentHashMap<>();
    private final OutboundHttp http;

    /** @param http how the token service is called (redirects are not followed) */
    public ManagedIdentityTokens(ManagedIdentityEndpoint endpoint, Clock clock, OutboundHttp http) {
        this.endpoint = requireNonNull(endpoint, "endpoint");
        this.clock = requireNonNull(clock, "clock");
        this.http = requireNonNull(http, "http");
    }

    public ManagedIdentityEndpoint endpoint() {
        return endpoint;
    }

    /**
     * The access token for {@code resource}, for the user-assigned identity {@code clientId} or
     * the system-assigned one when null. Completes exceptionally with a
     * {@link ManagedIdentityException} saying why when no token could be had.
     */
    public CompletionStage<String> token(String resource, String clientId) {
        requireNonNull(resource, "resource");
        Key key = new Key(resource, clientId);
        if (cache.size() >= MAX_ENTRIES && !cache.containsKey(key)) {
            cache.values().removeIf(f -> f.isDone() && !fresh(f));
            if (cache.size() >= MAX_ENTRIES) {
                cache.values().removeIf(CompletableFuture::isDone);
            }
        }
        AtomicReference<CompletableFuture<Token>> created = new AtomicReference<>();
        CompletableFuture<Token> f = cache.compute(key, (k, old) -> {
            if (old != null && (!old.isDone() || fresh(old))) {
                return old;
            }
            CompletableFuture<Token> fresh = new CompletableFuture<>();
            created.set(fresh);
            return fresh;
        });
        if (created.get() != null) {
            // started outside compute(): a call that fails at once removes itself from the map
            fetch(key, created.get());
        }
        return f.thenApply(Token::value);
    }

    /** How many resource/client-id pairs have a token (or a call for one) cached now. */
    public int cachedTokens() {
        return cache.size();
    }

    private boolean fresh(CompletableFuture<Token> f) {
        if (f.isCompletedExceptionally()) {
            return false;
        }
        Token t = f.join();
        return t.expires().minus(REFRESH_BEFORE).isAfter(clock.instant());
    }

    private void fetch(Key key, CompletableFuture<Token> result) {
        try {
            send(key, result);
        } catch (RuntimeException e) {
            cache.remove(key, result);
            result.completeExceptionally(new ManagedIdentityException("the managed identity token request could not be built: "
                    + e.getClass().getSimpleName()));
        }
    }

    private void send(Key key, CompletableFuture<Token> result) {
        StringBuilder q = new StringBuilder(endpoint.uri().toString()).append("?api-version=")
                .append(endpoint.style() == ManagedIdentityEndpoint.Style.IMDS ? "2018-02-01" : "2019-08-01")
                .append("&resource=").append(URLEncoder.encode(key.resource(), StandardCharsets.UTF_8));
        if (key.clientId() != null) {
            q.append("&client_id=").append(URLEncoder.encode(key.clientId(), StandardCharsets.UTF_8));
        }
        Headers h = new Headers();
        h.add("Accept", "application/json");
        if (endpoint.style() == ManagedIdentityEndpoint.Style.IMDS) {
            h.add("Metadata", "true");
        } else {
            h.add("X-IDENTITY-HEADER", endpoint.identityHeader().revealString());
        }
        Instant asked = clock.instant();
        http.send(OutboundHttp.Request.get(URI.create(q.toString()), h, TIMEOUT, "authentication-managed-identity"))
                .whenComplete((r, err) -> {
            try {
                if (err != null) {
                    Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                    throw new ManagedIdentityException("the managed identity token service at " + endpoint.uri()
                            + " could not be reached: " + (c instanceof OutboundHttp.Failure f ? f.kind() : c.getClass().getSimpleName())
                            + (c.getMessage() == null ? "" : " (" + c.getMessage() + ")"));
                }
                result.complete(parse(r, asked));
            } catch (RuntimeException e) {
                // a failed call is dropped so the next request tries again
                cache.remove(key, result);
                result.completeExceptionally(e);
            }
        });
    }

    private Token parse(OutboundHttp.Response r, Instant asked) {
        JToken json;
        try {
            json = Json.parse(r.bodyText());
        } catch (IllegalArgumentException e) {
            json = null;
        }
        JObject o = json instanceof JObject x ? x : null;
        if (r.status() != 200) {
            String detail = o == null ? "" : text(o, "error_description") != null ? ": " + text(o, "error_description")
                    : text(o, "error") != null ? ": " + text(o, "error") : text(o, "message") != null ? ": " + text(o, "message") : "";
            throw new ManagedIdentityException("the managed identity token service answered " + r.status() + detail);
        }
        String token = o == null ? null : text(o, "access_token");
        if (token == null || token.isEmpty()) {
            throw new ManagedIdentityException("the managed identity token service answered 200 without an access_token");
        }
        Instant expires = null;
        String on = text(o, "expires_on");
        String in = text(o, "expires_in");
        try {
            if (on != null && on.matches("\\d{1,12}")) {
                expires = Instant.ofEpochSecond(Long.parseLong(on));
            } else if (in != null && in.matches("\\d{1,9}")) {
                expires = asked.plusSeconds(Long.parseLong(in));
            }
        } catch (RuntimeException ignored) {
            // no usable expiry: the token is used for this request only
        }
        return new Token(token, expires == null ? asked : expires);
    }

    private static String text(JObject o, String name) {
        JToken t = o.get(name);
        return t instanceof JValue v && v.value() != null ? String.valueOf(v.value()) : null;
    }

    @Override
    public String toString() {
        return "ManagedIdentityTokens[" + endpoint + "]";
    }
}
