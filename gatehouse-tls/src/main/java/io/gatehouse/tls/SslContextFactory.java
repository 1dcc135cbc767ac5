package io.gatehouse.tls;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContextOption;
import io.netty.handler.ssl.OpenSslX509KeyManagerFactory;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import java.lang.ref.Cleaner;

/**
 * The one place that builds Netty {@link SslContext}s, from {@link DownstreamTls} (the gateway as
 * a server, per hostname) and {@link UpstreamTls} (the gateway as a client of a backend).
 * BoringSSL (netty-tcnative) is used when it loads, the JDK otherwise.
 *
 * <p>BoringSSL contexts and engines are reference counted: an engine's native state is freed
 * when its connection's handler is removed, not by a finalizer some collections later (closed
 * connections' engines then outlived young collections and filled the old generation, and with
 * finalization disabled they would never be freed). Whoever keeps a context releases it with
 * {@link #releaseWhenUnreachable}.
 *
 * <p>Client certificates are asked for in the initial handshake only: BoringSSL servers never
 * renegotiate, and for the JDK provider client-initiated renegotiation is refused
 * ({@code jdk.tls.rejectClientInitiatedRenegotiation}).
 */
public final class SslContextFactory {

    static {
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    private static final ApplicationProtocolConfig DOWNSTREAM_ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);

    private static final ApplicationProtocolConfig UPSTREAM_ALPN = new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_1_1);

    private static volatile List<X509Certificate> jdkDefaultRoots;
    private static final Cleaner CONTEXTS = Cleaner.create();

    private SslContextFactory() {
    }

    /** BoringSSL (reference-counted) when its native library loads here, otherwise the JDK's TLS. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL_REFCNT : SslProvider.JDK;
    }

    /**
     * Releases {@code ctx} once {@code owner} (the object every user of the context reaches it
     * through) is unreachable. Engines made from it hold references of their own, so connections
     * still open on an old config keep their context until they close. Code that makes an engine
     * from {@code owner}'s context keeps {@code owner} reachable until the engine exists
     * ({@link java.lang.ref.Reference#reachabilityFence}).
     */
    public static <T> T releaseWhenUnreachable(T owner, SslContext ctx) {
        if (ctx instanceof io.netty.util.ReferenceCounted) {
            CONTEXTS.register(owner, () -> ReferenceCountUtil.release(ctx));
        }
        return owner;
    }

    /**
     * A server context for one hostname: TLS 1.2 and 1.3 (or 1.3 only), ALPN h2 then http/1.1,
     * and the client-certificate behaviour of {@link DownstreamTls#mode()}:
     * NONE asks for nothing; REQUEST and VERIFY_IF_GIVEN ask but accept no certificate; REQUIRE
     * and REQUIRE_AND_VERIFY fail the handshake without one; the VERIFY modes also fail it for a
     * chain {@link ChainVerifier} refuses. The CertificateRequest lists the subjects of the Root
     * CA certificates (an empty list when there are none, which clients read as "any CA").
     */
    public static SslContext downstream(DownstreamTls t) {
        return downstream(t, provider());
    }

    /** As {@link #downstream(DownstreamTls)} with a chosen provider (tests run both). */
    static SslContext downstream(DownstreamTls t, SslProvider provider) {
        Objects.requireNonNull(t, "t");
        KeyMaterial key = t.serverKey();
        if (t.mode().verifiesInHandshake() && t.caStore().roots().isEmpty()) {
            throw new TlsConfigException("clientCertificateMode " + t.mode().configName()
                    + " needs at least one CA certificate with storeName Root to verify client certificates against");
        }
        SslContextBuilder b = serverKey(key, provider)
                .sslProvider(provider)
                .protocols(protocols(t.minimumProtocolVersion()))
                .applicationProtocolConfig(DOWNSTREAM_ALPN);
        ClientCertificateMode mode = t.mode();
        boolean openSsl = provider == SslProvider.OPENSSL || provider == SslProvider.OPENSSL_REFCNT;
        if (openSsl && OcspStaple.issuerFor(key) != null && OpenSsl.isOcspSupported()) {
            b.enableOcsp(true); // the engine gets the response to staple from OcspStaple, per connection
        }
        if (mode.requestsCertificate()) {
            ChainVerifier verifier = new ChainVerifier(t.caStore(), t.revocation(), RevocationSources.shared());
            if (openSsl && mode.verifiesInHandshake() && t.revocation() != RevocationMode.OFF) {
                // the certificate check may wait for an OCSP responder or a CRL download: it runs
                // as a delegated task on the executor given to newHandler, never on the event loop
                b.option(io.netty.handler.ssl.OpenSslContextOption.USE_TASKS, true);
            }
            b.trustManager(new HandshakeCertificateChecks.Downstream(mode, verifier));
            b.clientAuth(mode.requiresCertificate() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
        } else {
            b.clientAuth(ClientAuth.NONE);
        }
        try {
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new TlsConfigException("cannot set up TLS with the certificate '"
                    + io.gatehouse.common.x509.DotNetNames.format(key.leaf().getSubjectX500Principal()) + "': "
                    + e.getMessage(), e);
        }
    }

    /**
     * A server builder holding {@code key}: a key in memory as it is, a key on a PKCS#11 token
     * keyless (BoringSSL gets the chain only, and asks {@link TokenSigner} for each handshake's
     * signature, off the event loop).
     */
    private static SslContextBuilder serverKey(KeyMaterial key, SslProvider provider) {
        if (!key.onToken()) {
            return SslContextBuilder.forServer(key.key(), key.chain());
        }
        requireOpenSsl(key, provider);
        try {
            return SslContextBuilder.forServer(OpenSslX509KeyManagerFactory.newKeyless(key.chain().toArray(X509Certificate[]::new)))
                    .option(OpenSslContextOption.ASYNC_PRIVATE_KEY_METHOD, new TokenSigner(key));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new TlsConfigException("cannot set up TLS with the certificate '"
                    + io.gatehouse.common.x509.DotNetNames.format(key.leaf().getSubjectX500Principal()) + "': "
                    + e.getMessage(), e);
        }
    }

    /** Token keys sign through BoringSSL's private-key callbacks, which the JDK's TLS does not have. */
    private static void requireOpenSsl(KeyMaterial key, SslProvider provider) {
        if (provider == SslProvider.JDK) {
            throw new TlsConfigException("the key of '" + io.gatehouse.common.x509.DotNetNames.format(
                    key.leaf().getSubjectX500Principal()) + "' is on a PKCS#11 token, which needs BoringSSL "
                    + "(netty-tcnative), and it did not load here");
        }
    }

    /**
     * A client context for a backend: TLS 1.2 and 1.3, ALPN http/1.1. The chain is checked with
     * {@link ChainVerifier} against {@code trustedCas} (or the JDK trust store plus the Root CA
     * certificates); {@code validateCertificateChain = false} uses Netty's
     * {@link InsecureTrustManagerFactory}, which trusts ANY certificate. The name is checked on
     * the engine: create engines with {@link #upstreamEngine}.
     */
    public static SslContext upstream(UpstreamTls t) {
        return upstream(t, provider());
    }

    /** As {@link #upstream(UpstreamTls)} with a chosen provider (tests run both). */
    static SslContext upstream(UpstreamTls t, SslProvider provider) {
        Objects.requireNonNull(t, "t");
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(provider)
                .protocols("TLSv1.3", "TLSv1.2")
                // Netty 4.2 turns on name checking for every client context; here it is per
                // engine, from validateCertificateName (see upstreamEngine)
                .endpointIdentificationAlgorithm(null)
                .applicationProtocolConfig(UPSTREAM_ALPN);
        if (!t.validateCertificateChain() && !t.validateCertificateName()) {
            // DANGER: validateCertificateChain and validateCertificateName are both off; any
            // certificate, from anyone, is accepted for this backend.
            b.trustManager(InsecureTrustManagerFactory.INSTANCE);
        } else {
            ChainVerifier verifier = t.validateCertificateChain() ? upstreamVerifier(t) : null;
            TrustManager tm = new HandshakeCertificateChecks.Upstream(verifier);
            b.trustManager(tm);
            if (verifier != null && t.revocation() != RevocationMode.OFF
                    && (provider == SslProvider.OPENSSL || provider == SslProvider.OPENSSL_REFCNT)) {
                b.option(io.netty.handler.ssl.OpenSslContextOption.USE_TASKS, true); // see upstreamHandler
            }
        }
        if (!t.clientKeys().isEmpty()) {
            b.keyManager(new HandshakeCertificateChecks.PresentedKeyManager(t.clientKeys()));
            KeyMaterial first = t.clientKey();
            if (t.clientKeys().stream().anyMatch(KeyMaterial::onToken)) {
                if (t.clientKeys().size() > 1) {
                    // BoringSSL's private-key method is one per context: it cannot tell which of several keys signs
                    throw new TlsConfigException("a client certificate whose key is on a PKCS#11 token must be the"
                            + " only one in credentials.certificateIds");
                }
                requireOpenSsl(first, provider);
                b.option(OpenSslContextOption.ASYNC_PRIVATE_KEY_METHOD, new TokenSigner(first));
            }
        }
        try {
            return b.build();
        } catch (SSLException | RuntimeException e) {
            throw new TlsConfigException("cannot set up TLS to the backend: " + e.getMessage(), e);
        }
    }

    /**
     * An engine for one backend connection: SNI {@code serverName} (default {@code host}; no
     * SNI for IP addresses), and, when {@code validateName}, the certificate must be for that
     * name (endpoint identification "HTTPS").
     */
    public static SSLEngine upstreamEngine(SslContext ctx, ByteBufAllocator alloc, String host, int port,
            String serverName, boolean validateName) {
        String name = sniName(host, serverName);
        return configure(ctx.newEngine(alloc, name, port), name, validateName);
    }

    /**
     * The Netty handler for one backend connection, configured as {@link #upstreamEngine}. Made by
     * {@code SslContext.newHandler}: with OpenSSL that handler unwraps every TLS record a socket
     * read brings in one go, where a handler around a separately made engine unwraps them one at
     * a time (JDK-compatible mode).
     */
    public static SslHandler upstreamHandler(SslContext ctx, ByteBufAllocator alloc, String host, int port,
            String serverName, boolean validateName) {
        String name = sniName(host, serverName);
        // the backend's certificate is checked (revocation included, which may wait for a
        // download) on the delegated-task threads, not on the event loop
        SslHandler handler = ctx.newHandler(alloc, name, port, handshakeTasks());
        configure(handler.engine(), name, validateName);
        return handler;
    }

    private static String sniName(String host, String serverName) {
        return serverName == null || serverName.isBlank() ? host : serverName.trim();
    }

    private static SSLEngine configure(SSLEngine engine, String name, boolean validateName) {
        SSLParameters p = engine.getSSLParameters();
        if (HostnameMatcher.ipLiteral(name) == null) {
            p.setServerNames(List.of(new SNIHostName(name)));
        }
        p.setEndpointIdentificationAlgorithm(validateName ? "HTTPS" : null);
        engine.setSSLParameters(p);
        return engine;
    }

    private static ChainVerifier upstreamVerifier(UpstreamTls t) {
        List<X509Certificate> roots = new ArrayList<>();
        if (t.trustedCas().isEmpty()) {
            roots.addAll(jdkDefaultRoots());
            roots.addAll(t.caStore().roots());
        } else {
            roots.addAll(t.trustedCas());
        }
        return new ChainVerifier(t.caStore().withRoots(roots), t.revocation(), RevocationSources.shared());
    }

    /**
     * The executor to give {@link SslContext#newHandler(ByteBufAllocator, java.util.concurrent.Executor)}
     * for the gateway's connections: handshake work a context hands out as delegated tasks
     * (certificate checks that may wait for revocation downloads) runs there, off the event loop.
     * Contexts that hand out no tasks never use it.
     */
    public static java.util.concurrent.Executor handshakeTasks() {
        return RevocationSources.shared().taskExecutor();
    }

    /** The roots of the JDK's default trust store ({@code cacerts}), read once. */
    static List<X509Certificate> jdkDefaultRoots() {
        List<X509Certificate> roots = jdkDefaultRoots;
        if (roots == null) {
            try {
                TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                f.init((KeyStore) null);
                List<X509Certificate> found = new ArrayList<>();
                for (TrustManager tm : f.getTrustManagers()) {
                    if (tm instanceof X509TrustManager x) {
                        found.addAll(List.of(x.getAcceptedIssuers()));
                    }
                }
                roots = List.copyOf(found);
            } catch (GeneralSecurityException e) {
                roots = List.of();
            }
            jdkDefaultRoots = roots;
        }
        return roots;
    }

    private static String[] protocols(String minimum) {
        return "1.3".equals(minimum) ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"};
    }
}
