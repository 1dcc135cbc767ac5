package io.gatehouse.proxy;

import io.gatehouse.config.LoadedConfig;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.SslContextFactory;
import io.gatehouse.tls.UpstreamTls;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything the data plane needs from one config, built once when the config loads (every
 * {@link SslContext}, the router, the backends) and never changed: a reload builds a new one
 * and swaps a reference, so requests in flight finish on the snapshot they started with.
 */
final class GatewaySnapshot {

    /** A hostname with its TLS server context and client-certificate mode. */
    record HostnameBinding(HostnameConfig config, SslContext sslContext) {
        String name() {
            return config.hostName();
        }

        ClientCertificateMode mode() {
            return config.clientCertificateMode();
        }
    }

    final LoadedConfig config;
    final long generation;
    final Map<String, HostnameBinding> hostnames;
    final HostnameBinding defaultBinding;
    final Router router;
    final Map<String, UpstreamTarget> backends;
    /** Client chains for {@code Verify()}: the same cached check validate-client-certificate uses. */
    final io.gatehouse.policy.ChainCheck chainCheck;
    /** The identity headers no client may send (built-in plus {@code gateway.identityHeaders}). */
    final IdentityHeaders identityHeaders;
    /** {@code gateway.trustedProxies}: peers whose forwarding headers are kept and appended to. */
    final io.gatehouse.common.net.AddressRanges trustedProxies;
    private final Map<String, BackendConfig.BackendTls> tlsById = new HashMap<>();
    private final Map<Object, UpstreamTarget> variants = new java.util.concurrent.ConcurrentHashMap<>();

    GatewaySnapshot(LoadedConfig config, long generation) {
        this.config = config;
        this.generation = generation;
        this.chainCheck = config.policies().chainCheck();
        String minimum = config.model().gateway().minimumProtocolVersion();
        List<String> extraIdentity = config.model().gateway().identityHeaders();
        this.identityHeaders = extraIdentity.isEmpty() ? IdentityHeaders.DEFAULT : new IdentityHeaders(extraIdentity);
        this.trustedProxies = io.gatehouse.common.net.AddressRanges.of(config.model().gateway().trustedProxies());

        Map<String, HostnameBinding> hosts = new HashMap<>();
        HostnameBinding dflt = null;
        for (HostnameConfig h : config.model().hostnames()) {
            KeyMaterial key = config.keyPairs().get(h.certificateId());
            SslContext ctx = SslContextFactory.downstream(new DownstreamTls(
                    key, h.clientCertificateMode(), config.caStore(), config.revocation(), minimum));
            HostnameBinding b = SslContextFactory.releaseWhenUnreachable(new HostnameBinding(h, ctx), ctx);
            hosts.put(h.hostName().toLowerCase(Locale.ROOT), b);
            if (h.defaultSslBinding()) {
                dflt = b;
            }
        }
        if (dflt == null && config.model().hostnames().size() == 1) {
            dflt = hosts.values().iterator().next(); // one hostname: it is the default
        }
        this.hostnames = Map.copyOf(hosts);
        this.defaultBinding = dflt;

        Map<String, UpstreamTarget> targets = new HashMap<>();
        for (BackendConfig b : config.model().backends()) {
            targets.put(b.id(), target(b.id(), b.url(), b.tls(), b.certificateIds(), b.timeout()));
            tlsById.put(b.id(), b.tls());
        }
        this.backends = Map.copyOf(targets);

        List<Router.ApiRoute> apis = new ArrayList<>();
        for (ApiConfig api : config.model().apis()) {
            UpstreamTarget t = api.backendId() != null
                    ? backends.get(api.backendId())
                    : target("api:" + api.id(), api.serviceUrl(), BackendConfig.BackendTls.defaults(), List.of(),
                            Duration.ofSeconds(300));
            apis.add(Router.api(api, t, config.policies().forApi(api.id()),
                    op -> config.policies().forOperation(api.id(), op.id())));
        }
        this.router = new Router(apis);
    }

    /**
     * The target for a policy's {@code set-backend-service base-url}: default TLS settings (chain
     * and name checked against the JDK trust store and Root CA certificates). Built once per URL
     * and config.
     */
    UpstreamTarget forBaseUrl(String baseUrl) {
        return variants.computeIfAbsent("url\u0000" + baseUrl, k -> {
            URI url = URI.create(baseUrl);
            return target("base-url " + url.getHost(), url, BackendConfig.BackendTls.defaults(), List.of(),
                    Duration.ofSeconds(300));
        });
    }

    /** The same backend presenting another client certificate ({@code authentication-certificate}). */
    UpstreamTarget withClientCertificate(UpstreamTarget base, KeyMaterial key) {
        return variants.computeIfAbsent(List.of(base, key), k -> {
            BackendConfig.BackendTls tls = tlsById.getOrDefault(base.id(), BackendConfig.BackendTls.defaults());
            return target(base.id(), base.url(), tls, null, key, base.timeout());
        });
    }

    private UpstreamTarget target(String id, URI url, BackendConfig.BackendTls tls, List<String> certIds, Duration timeout) {
        String clientCertId = certIds.isEmpty() ? null : certIds.get(0);
        KeyMaterial clientKey = clientCertId == null ? null : config.keyPairs().get(clientCertId);
        return target(id, url, tls, clientCertId, clientKey, timeout);
    }

    private UpstreamTarget target(String id, URI url, BackendConfig.BackendTls tls, String clientCertId,
                                  KeyMaterial clientKey, Duration timeout) {
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        SslContext ctx = null;
        String serverName = tls.serverName() != null ? tls.serverName() : url.getHost();
        if (clientCertId == null && clientKey != null) {
            clientCertId = io.gatehouse.common.x509.DotNetNames.format(clientKey.leaf().getSubjectX500Principal())
                    + ", set by authentication-certificate";
        }
        if (https) {
            List<X509Certificate> trusted = new ArrayList<>();
            for (String caId : tls.trustedCaCertificateIds()) {
                X509Certificate ca = config.caCertificates().get(caId);
                if (ca != null) {
                    trusted.add(ca);
                }
            }
            ctx = SslContextFactory.upstream(new UpstreamTls(tls.validateCertificateChain(),
                    tls.validateCertificateName(), trusted, config.caStore(), clientKey));
        }
        int port = UpstreamTarget.port(url);
        boolean defaultPort = (https && port == 443) || (!https && port == 80);
        String authority = url.getHost() + (defaultPort ? "" : ":" + port);
        return SslContextFactory.releaseWhenUnreachable(new UpstreamTarget(id, url, url.getHost(), port,
                UpstreamTarget.basePath(url), authority, ctx, serverName, tls.validateCertificateName(), timeout,
                clientCertId, clientKey == null ? null : clientKey.leaf()), ctx);
    }

    /** The binding for a TLS client's SNI: the named hostname, else the default binding, else null. */
    HostnameBinding forSni(String sni) {
        if (sni != null) {
            HostnameBinding b = hostnames.get(sni.toLowerCase(Locale.ROOT));
            if (b != null) {
                return b;
            }
        }
        return defaultBinding;
    }

    /** The hostname a Host header names (port removed), or null. */
    HostnameBinding forHost(String hostHeader) {
        if (hostHeader == null) {
            return null;
        }
        String h = hostHeader;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            h = end > 0 ? h.substring(1, end) : h;
        } else {
            int colon = h.lastIndexOf(':');
            if (colon > 0) {
                h = h.substring(0, colon);
            }
        }
        return hostnames.get(h.toLowerCase(Locale.ROOT));
    }
}
