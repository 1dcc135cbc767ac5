package io.gatehouse.proxy;

import io.gatehouse.config.LoadedConfig;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.SslContextFactory;
import io.gatehouse.tls.UpstreamTls;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the data plane needs from one config, built once when the config loads (every
 * {@link SslContext}, the router, the backends) and never changed: a reload builds a new one
 * and swaps a reference, so requests in flight finish on the snapshot they started with.
 */
final class GatewaySnapshot {

    /**
     * A hostname with its TLS server context and client-certificate mode.
     *
     * @param key the name in the form SNI and Host are compared in ({@link HostnameAccess#normalize})
     * @param staple the OCSP response stapled to its certificate, or null when it names no responder
     * @param revocation the revocation mode its client certificates are checked with
     */
    record HostnameBinding(HostnameConfig config, SslContext sslContext, String key,
                           io.gatehouse.tls.OcspStaple staple, io.gatehouse.tls.RevocationMode revocation) {
        String name() {
            return config.hostName();
        }

        ClientCertificateMode mode() {
            return config.clientCertificateMode();
        }
    }

    final LoadedConfig config;
    final long generation;
    /** By {@link HostnameAccess#normalize normalised} name. */
    final Map<String, HostnameBinding> hostnames;
    /** Some hostname is a wildcard ({@code *.contoso.local}): names not configured are looked up one label up. */
    private final boolean wildcards;
    final HostnameBinding defaultBinding;
    /** Every API, whatever its hostnames (for tools that look at the whole config). */
    final Router router;
    /** Each hostname's APIs and client chain check, by normalised name. */
    final Map<String, HostnameAccess.Scope> scopes;
    /** Plain HTTP with a Host that names no hostname: only the APIs served on every hostname. */
    final HostnameAccess.Scope unbound;
    /** The subscription key check: key table and per-API rules, built once per config. */
    final Subscriptions subscriptions;
    final Map<String, UpstreamTarget> backends;
    /** Client chains for {@code Verify()}: the same cached check validate-client-certificate uses. */
    final io.gatehouse.policy.ChainCheck chainCheck;
    /** The identity headers no client may send (built-in plus {@code gateway.identityHeaders}). */
    final IdentityHeaders identityHeaders;
    /** {@code gateway.trustedProxies}: peers whose forwarding headers are kept and appended to. */
    final io.gatehouse.common.net.AddressRanges trustedProxies;
    /** {@code gateway.trace}: the keys that turn a request's trace on, and the texts no trace shows. */
    final RequestTrace.Keys traceKeys;
    private final Map<String, BackendConfig.BackendTls> tlsById = new HashMap<>();
    /**
     * OpenTelemetry for this config's requests ({@code gateway.telemetry}), or null when off. Set
     * by the {@link Gateway} before the snapshot goes into service (the SDK outlives a snapshot
     * when a reload does not change the setting).
     */
    io.gatehouse.proxy.telemetry.Tracing tracing;
    /**
     * Targets made while requests run: a {@code set-backend-service base-url} (which an expression
     * may compute per request) and a backend presenting another certificate. Bounded, so a policy
     * that computes a new URL per request cannot grow it without end: the least recently used go
     * (their TLS contexts are freed once unreachable; their idle connections close in time).
     */
    static final int MAX_VARIANTS = 1_000;
    private final com.github.benmanes.caffeine.cache.Cache<Object, UpstreamTarget> variants =
            com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(MAX_VARIANTS).build();

    GatewaySnapshot(LoadedConfig config, long generation) {
        this.config = config;
        this.generation = generation;
        // the policies' check when they have one (its cache is shared); a config without policies has none
        io.gatehouse.policy.ChainCheck fromPolicies = config.policies().chainCheck();
        this.chainCheck = fromPolicies != io.gatehouse.policy.ChainCheck.NONE ? fromPolicies
                : clientChainCheck(config.caStore(), config.revocation());
        String minimum = config.model().gateway().minimumProtocolVersion();
        List<String> extraIdentity = config.model().gateway().identityHeaders();
        this.identityHeaders = extraIdentity.isEmpty() ? IdentityHeaders.DEFAULT : new IdentityHeaders(extraIdentity);
        this.trustedProxies = io.gatehouse.common.net.AddressRanges.of(config.model().gateway().trustedProxies());
        this.traceKeys = RequestTrace.Keys.of(config);

        Map<String, HostnameBinding> hosts = new HashMap<>();
        Map<String, io.gatehouse.policy.ChainCheck> checks = new HashMap<>();
        HostnameBinding dflt = null;
        for (HostnameConfig h : config.model().hostnames()) {
            KeyMaterial key = config.keyPairs().get(h.certificateId());
            CaStore trust = clientTrust(config, h);
            SslContext ctx = SslContextFactory.downstream(new DownstreamTls(
                    key, h.clientCertificateMode(), trust, config.revocation(), minimum));
            String name = HostnameAccess.normalize(h.hostName());
            HostnameBinding b = SslContextFactory.releaseWhenUnreachable(new HostnameBinding(h, ctx, name,
                    io.gatehouse.tls.OcspStaple.forServer(key), config.revocation()), ctx);
            hosts.put(name, b);
            checks.put(name, h.trustedCaCertificateIds().isEmpty() ? chainCheck
                    : clientChainCheck(trust, config.revocation()));
            if (h.defaultSslBinding()) {
                dflt = b;
            }
        }
        if (dflt == null && config.model().hostnames().size() == 1) {
            dflt = hosts.values().iterator().next(); // one hostname: it is the default
        }
        this.hostnames = Map.copyOf(hosts);
        this.wildcards = hosts.keySet().stream().anyMatch(k -> k.startsWith("*."));
        this.defaultBinding = dflt;

        Map<String, UpstreamTarget> targets = new HashMap<>();
        for (BackendConfig b : config.model().backends()) {
            targets.put(b.id(), target(b.id(), b.url(), b.tls(), b.certificateIds(), b.timeout()));
            tlsById.put(b.id(), b.tls());
        }
        this.backends = Map.copyOf(targets);

        List<Router.ApiRoute> apis = new ArrayList<>();
        List<Router.ApiRoute> everywhere = new ArrayList<>();
        Map<String, List<Router.ApiRoute>> byHost = new HashMap<>();
        for (String name : hosts.keySet()) {
            byHost.put(name, new ArrayList<>());
        }
        for (ApiConfig api : config.model().apis()) {
            UpstreamTarget t = api.backendId() != null
                    ? backends.get(api.backendId())
                    : target("api:" + api.id(), api.serviceUrl(), BackendConfig.BackendTls.defaults(), List.of(),
                            Duration.ofSeconds(300));
            Router.ApiRoute route = Router.api(api, t, policies(config, api));
            apis.add(route);
            if (api.hostnames().isEmpty()) {
                everywhere.add(route);
                byHost.values().forEach(l -> l.add(route));
            } else {
                for (String h : api.hostnames()) {
                    List<Router.ApiRoute> l = byHost.get(HostnameAccess.normalize(h));
                    if (l != null && !l.contains(route)) {
                        l.add(route);
                    }
                }
            }
        }
        this.router = new Router(apis);
        Map<String, HostnameAccess.Scope> scopeMap = new HashMap<>();
        for (HostnameBinding b : hosts.values()) {
            scopeMap.put(b.key(), new HostnameAccess.Scope(b.name(), b, new Router(byHost.get(b.key())),
                    checks.get(b.key()), null));
        }
        this.scopes = Map.copyOf(scopeMap);
        this.unbound = new HostnameAccess.Scope(null, null, new Router(everywhere), io.gatehouse.policy.ChainCheck.NONE,
                null);
        this.subscriptions = Subscriptions.of(config);
    }

    /** The compositions of {@code api}'s routes: its own, its operations', and those of the products it is in. */
    private static Router.Policies policies(LoadedConfig config, ApiConfig api) {
        io.gatehouse.config.CompiledPolicies compiled = config.policies();
        List<String> products = config.model().products().stream().filter(p -> p.apis().contains(api.id()))
                .map(io.gatehouse.config.model.ProductConfig::id).toList();
        return new Router.Policies() {
            @Override
            public io.gatehouse.policy.EffectivePolicy api() {
                return compiled.forApi(api.id());
            }

            @Override
            public io.gatehouse.policy.EffectivePolicy operation(io.gatehouse.config.model.OperationConfig op) {
                return compiled.forOperation(api.id(), op.id());
            }

            @Override
            public Map<String, io.gatehouse.policy.EffectivePolicy> products(io.gatehouse.config.model.OperationConfig op) {
                Map<String, io.gatehouse.policy.EffectivePolicy> byProduct = new HashMap<>();
                for (String p : products) {
                    io.gatehouse.policy.EffectivePolicy policy = op == null ? compiled.forProduct(p, api.id())
                            : compiled.forProductOperation(p, api.id(), op.id());
                    if (policy != null) {
                        byProduct.put(p, policy);
                    }
                }
                return byProduct;
            }
        };
    }

    /**
     * The CA certificates that verify a hostname's clients: those its trustedCaCertificateIds
     * name as the trust anchors, else every Root CA certificate; CertificateAuthority entries
     * (intermediates, for building paths) and CRLs as the config has them.
     */
    private static CaStore clientTrust(LoadedConfig config, HostnameConfig h) {
        if (h.trustedCaCertificateIds().isEmpty()) {
            return config.caStore();
        }
        List<X509Certificate> roots = new ArrayList<>();
        for (String id : h.trustedCaCertificateIds()) {
            X509Certificate ca = config.caCertificates().get(id);
            if (ca != null && !roots.contains(ca)) {
                roots.add(ca);
            }
        }
        return config.caStore().withRoots(roots);
    }

    /** A client chain check against {@code trust}, results kept 30 s per chain, as the policies' is. */
    private static io.gatehouse.policy.ChainCheck clientChainCheck(CaStore trust, io.gatehouse.tls.RevocationMode mode) {
        return trust.isEmpty() ? io.gatehouse.policy.ChainCheck.NONE
                : io.gatehouse.policy.ChainCheck.of(trust, mode).cached(Duration.ofSeconds(30), 10_000);
    }

    /** The chain check for the clients of the connection's hostname (ChainCheck.NONE when it has none). */
    io.gatehouse.policy.ChainCheck chainCheckFor(HostnameBinding binding) {
        HostnameAccess.Scope s = binding == null ? null : scopes.get(binding.key());
        return s == null ? io.gatehouse.policy.ChainCheck.NONE : s.chainCheck();
    }

    /**
     * The target for a policy's {@code set-backend-service base-url}: default TLS settings (chain
     * and name checked against the JDK trust store and Root CA certificates). Built once per URL
     * and config (up to {@link #MAX_VARIANTS} kept).
     */
    UpstreamTarget forBaseUrl(String baseUrl) {
        return variants.get("url\u0000" + baseUrl, k -> {
            URI url = URI.create(baseUrl);
            return target("base-url " + url.getHost(), url, BackendConfig.BackendTls.defaults(), List.of(),
                    Duration.ofSeconds(300));
        });
    }

    /** How many targets {@link #forBaseUrl} and {@link #withClientCertificate} keep now. */
    long variantCount() {
        variants.cleanUp();
        return variants.estimatedSize();
    }

    /** The same backend presenting another client certificate ({@code authentication-certificate}). */
    UpstreamTarget withClientCertificate(UpstreamTarget base, KeyMaterial key) {
        return variants.get(List.of(base, key), k -> {
            BackendConfig.BackendTls tls = tlsById.getOrDefault(base.id(), BackendConfig.BackendTls.defaults());
            return target(base.id(), base.url(), tls, UpstreamTarget.setByPolicy(key), List.of(key), base.timeout());
        });
    }

    /**
     * {@code base} reached through an HTTP proxy ({@code proxy} policy): another target (its
     * connections are pooled apart from direct ones), sharing {@code base}'s TLS context, which
     * it holds a reference of its own to. Built once per target and proxy (bounded with the others).
     */
    UpstreamTarget viaProxy(UpstreamTarget base, io.gatehouse.policy.OutboundProxy proxy) {
        if (base.proxy() != null && base.proxy().equals(proxy)) {
            return base;
        }
        return variants.get(List.of("proxy", base, proxy), k -> {
            UpstreamTarget t = base.through(proxy);
            if (t.sslContext() != null) {
                io.netty.util.ReferenceCountUtil.retain(t.sslContext());
            }
            return SslContextFactory.releaseWhenUnreachable(t, t.sslContext());
        });
    }

    /**
     * A backend's target presenting the certificates {@code certIds} names (all of them, in order:
     * the first that chains to a CA the backend names in its CertificateRequest, else the first).
     */
    private UpstreamTarget target(String id, URI url, BackendConfig.BackendTls tls, List<String> certIds, Duration timeout) {
        List<KeyMaterial> keys = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String certId : certIds) {
            KeyMaterial k = config.keyPairs().get(certId);
            if (k != null) {
                keys.add(k);
                ids.add(certId);
            }
        }
        String presented = ids.isEmpty() ? null : ids.size() == 1
                ? "certificate id '" + ids.get(0) + "' in credentials.certificateIds"
                : "certificate ids '" + String.join("', '", ids) + "' in credentials.certificateIds";
        return target(id, url, tls, presented, keys, timeout);
    }

    /** @param presented the client certificates in words, for messages, or null */
    private UpstreamTarget target(String id, URI url, BackendConfig.BackendTls tls, String presented,
                                  List<KeyMaterial> clientKeys, Duration timeout) {
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        SslContext ctx = null;
        String serverName = tls.serverName() != null ? tls.serverName() : url.getHost();
        if (https) {
            List<X509Certificate> trusted = new ArrayList<>();
            for (String caId : tls.trustedCaCertificateIds()) {
                X509Certificate ca = config.caCertificates().get(caId);
                if (ca != null) {
                    trusted.add(ca);
                }
            }
            // a backend's own revocation mode, else the gateway's
            io.gatehouse.tls.RevocationMode revocation = tls.revocation() == null ? config.revocation()
                    : io.gatehouse.tls.RevocationMode.valueOf(tls.revocation().name());
            ctx = SslContextFactory.upstream(new UpstreamTls(tls.validateCertificateChain(),
                    tls.validateCertificateName(), trusted, config.caStore(), clientKeys, revocation));
        }
        int port = UpstreamTarget.port(url);
        boolean defaultPort = (https && port == 443) || (!https && port == 80);
        String authority = url.getHost() + (defaultPort ? "" : ":" + port);
        return SslContextFactory.releaseWhenUnreachable(new UpstreamTarget(id, url, url.getHost(), port,
                UpstreamTarget.basePath(url), authority, ctx, serverName, tls.validateCertificateName(), timeout,
                presented, clientKeys.isEmpty() ? null : clientKeys.get(0).leaf()), ctx);
    }

    /**
     * The binding for a TLS client's SNI (compared {@link HostnameAccess#normalize normalised}:
     * case and one trailing dot do not matter): the named hostname, else the default binding,
     * else null.
     */
    HostnameBinding forSni(String sni) {
        String key = hostnameKey(HostnameAccess.normalize(sni));
        return key != null ? hostnames.get(key) : defaultBinding;
    }

    /** The hostname a Host header names ({@link HostnameAccess#normalize normalised}), or null. */
    HostnameBinding forHost(String hostHeader) {
        String key = hostnameKey(HostnameAccess.normalize(hostHeader));
        return key == null ? null : hostnames.get(key);
    }

    /** The scope of the hostname that {@code name} (normalised) names ({@link #hostnameKey}), or null. */
    HostnameAccess.Scope scopeFor(String name) {
        String key = hostnameKey(name);
        return key == null ? null : scopes.get(key);
    }

    /**
     * The key of the configured hostname that {@code name} (normalised, or null) names: itself
     * when it is configured, else a wildcard hostname one label up ({@code *.contoso.local} for
     * {@code lab.contoso.local}: the star stands for exactly one leftmost label, as in a
     * certificate, RFC 6125 section 6.4.3), else null. A hostname configured by its full name
     * wins over a wildcard that also covers it.
     */
    String hostnameKey(String name) {
        if (name == null) {
            return null;
        }
        if (hostnames.containsKey(name)) {
            return name;
        }
        int dot = name.indexOf('.');
        if (!wildcards || dot <= 0 || name.charAt(0) == '*') {
            return null;
        }
        String wildcard = "*" + name.substring(dot);
        return hostnames.containsKey(wildcard) ? wildcard : null;
    }

    /** The hostname scope for a request: see {@link HostnameAccess#resolve}. */
    HostnameAccess.Scope scope(boolean tls, io.netty.channel.Channel connection, String host) {
        return HostnameAccess.resolve(this, tls, connection, host);
    }

    /** Null when the request may reach the matched API: see {@link HostnameAccess#admit}. */
    HostnameAccess.Refusal admit(HostnameAccess.Scope scope, Router.Match match, io.netty.channel.Channel connection,
            GatewayMetrics metrics) {
        return HostnameAccess.admit(scope, match, connection, metrics);
    }
}
