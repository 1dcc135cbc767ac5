package io.gatehouse.proxy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.SslContextFactory;
import io.gatehouse.tls.UpstreamTls;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the policies' outbound calls ({@code send-request}, managed identity, OpenID keys) connect
 * and with which TLS settings, for one config: the same {@link UpstreamTarget}s, built by the same
 * {@link SslContextFactory#upstream} as the backends', so every call gets the same chain check,
 * name check and CRLs.
 *
 * <ul>
 *   <li>A URL whose origin (scheme, host, port) is a configured backend's goes to that backend's
 *       target: its trusted CAs, SNI, client certificate ({@code credentials.certificateIds}) and
 *       verification switches, and its pooled connections. A certificate the call presents
 *       ({@code authentication-certificate}) replaces the backend's as it does for forward-request.
 *       When several backends share an origin, the first in the config wins.</li>
 *   <li>Any other URL gets the default outbound settings: the JDK's CAs plus the config's Root CA
 *       certificates (APIM trusts its CA certificates for outbound calls), the name checked,
 *       revocation as {@code gateway.revocation} says. The context without a client certificate
 *       is built when the config loads; one per presented key pair when first used, then kept.</li>
 * </ul>
 *
 * <p>Targets are kept per origin and key pair (their identity keys the connection pool), in a
 * bounded cache: URLs computed per request cannot grow it without end.
 */
final class OutboundTargets {
    /** The target id (logs, metrics label) of calls that match no backend: one label, whatever the URL. */
    static final String DEFAULT_ID = "outbound";
    /** Connect and handshake budget of default targets (the pool caps both at 10 s); each call has its own timeout on top. */
    private static final Duration CONNECT = Duration.ofSeconds(60);
    private static final int MAX_TARGETS = 1_000;
    private static final int MAX_CLIENT_CONTEXTS = 256;

    /** Keeps a context alive while something (a cache entry, a target's entry) refers to it; released when none does. */
    private record ContextOwner(SslContext context) {
    }

    /**
     * Where one call goes: the target, and what keeps its TLS context alive (its owner, or the
     * backend target itself). Whoever uses the target holds the route until its connection exists:
     * a cached entry may be evicted meanwhile, and an unreachable owner releases the context.
     */
    record Route(UpstreamTarget target, Object keepsContext) {
    }

    private record Key(String origin, KeyMaterial key) {
    }

    private final GatewaySnapshot snapshot;
    private final Map<String, UpstreamTarget> backendsByOrigin;
    private final UpstreamTls defaults;
    private final ContextOwner plain;
    private final Cache<KeyMaterial, ContextOwner> presenting = Caffeine.newBuilder().weakKeys()
            .maximumSize(MAX_CLIENT_CONTEXTS).build();
    private final Cache<Key, Route> targets = Caffeine.newBuilder().maximumSize(MAX_TARGETS).build();

    OutboundTargets(GatewaySnapshot snapshot) {
        this.snapshot = snapshot;
        Map<String, UpstreamTarget> byOrigin = new HashMap<>();
        for (BackendConfig b : snapshot.config.model().backends()) {
            UpstreamTarget t = snapshot.backends.get(b.id());
            if (t != null) {
                byOrigin.putIfAbsent(origin(t.url()), t);
            }
        }
        this.backendsByOrigin = Map.copyOf(byOrigin);
        this.defaults = new UpstreamTls(true, true, List.of(), snapshot.config.caStore(), List.of(),
                snapshot.config.revocation());
        this.plain = owned(SslContextFactory.upstream(defaults));
    }

    /**
     * The target for a call to {@code uri} presenting {@code key} (null: the default for the URL).
     *
     * @throws io.gatehouse.tls.TlsConfigException when the key pair cannot be used for TLS
     */
    Route forCall(URI uri, KeyMaterial key) {
        String origin = origin(uri);
        UpstreamTarget backend = backendsByOrigin.get(origin);
        if (backend != null) {
            UpstreamTarget t = key == null ? backend : snapshot.withClientCertificate(backend, key);
            return new Route(t, t); // a backend target's context is released when the target is unreachable
        }
        return targets.get(new Key(origin, key), k -> defaultTarget(uri, key));
    }

    private Route defaultTarget(URI uri, KeyMaterial key) {
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        ContextOwner owner = !https ? null : key == null ? plain
                : presenting.get(key, k -> owned(SslContextFactory.upstream(new UpstreamTls(defaults.validateCertificateChain(),
                        defaults.validateCertificateName(), defaults.trustedCas(), defaults.caStore(), k, defaults.revocation()))));
        int port = UpstreamTarget.port(uri);
        boolean defaultPort = (https && port == 443) || (!https && port == 80);
        String authority = uri.getHost() + (defaultPort ? "" : ":" + port);
        String certId = key == null ? null : UpstreamTarget.setByPolicy(key);
        UpstreamTarget t = new UpstreamTarget(DEFAULT_ID, URI.create(origin(uri)), uri.getHost(), port, "", authority,
                owner == null ? null : owner.context(), uri.getHost(), true, CONNECT, certId,
                key == null ? null : key.leaf());
        return new Route(t, owner);
    }

    private static ContextOwner owned(SslContext ctx) {
        return SslContextFactory.releaseWhenUnreachable(new ContextOwner(ctx), ctx);
    }

    /** {@code scheme://host:port}, lower case, with the scheme's default port written out. */
    static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        return scheme + "://" + host + ":" + UpstreamTarget.port(uri);
    }
}
