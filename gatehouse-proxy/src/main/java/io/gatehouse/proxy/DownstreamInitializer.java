package io.gatehouse.proxy;

import io.gatehouse.proxy.GatewaySnapshot.HostnameBinding;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.tls.HandshakeInfo;
import io.gatehouse.tls.TlsFailures;
import io.gatehouse.tls.VerificationResult;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up a downstream connection: for TLS listeners, SNI picks the hostname (its certificate
 * and its client-certificate mode), the handshake's outcome is captured once into a
 * {@link HandshakeInfo} on the channel, and ALPN picks HTTP/2 or HTTP/1.1. Client certificates
 * are only ever asked for in the initial handshake, which is why they work over HTTP/2.
 */
final class DownstreamInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.tls");
    static final AttributeKey<HostnameBinding> BINDING = AttributeKey.valueOf("gatehouse.hostname");
    static final AttributeKey<HandshakeInfo> HANDSHAKE = AttributeKey.valueOf("gatehouse.handshake");
    static final AttributeKey<String> SNI = AttributeKey.valueOf("gatehouse.sni");
    /** How long the connection's TLS handshake took, from the accept (nanoseconds), for the access log. */
    static final AttributeKey<Long> HANDSHAKE_TIME = AttributeKey.valueOf("gatehouse.handshakeTime");

    private final GatewayRuntime runtime;
    private final boolean tls;

    DownstreamInitializer(GatewayRuntime runtime, boolean tls) {
        this.runtime = runtime;
        this.tls = tls;
    }

    static HostnameBinding binding(Channel connection) {
        return connection.attr(BINDING).get();
    }

    static HandshakeInfo handshake(Channel connection) {
        return connection.attr(HANDSHAKE).get();
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ChannelPipeline p = ch.pipeline();
        if (!tls) {
            http1(p);
            return;
        }
        // the connection's guard times the handshake (gateway.timeouts.handshake); without one, Netty's handlers do
        long handshakeMillis = ConnectionGuard.of(ch) != null ? 0
                : runtime.current().config.model().gateway().connectionLimits().handshake().toMillis();
        p.addLast("sni", new HostnameSni(handshakeMillis));
        p.addLast("handshake", new HandshakeCapture());
        p.addLast("alpn", new Alpn());
    }

    private void http1(ChannelPipeline p) {
        p.addLast("http", new DownstreamCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192).setMaxHeaderSize(32 * 1024).setMaxChunkSize(16 * 1024)));
        ConnectionGuard guard = ConnectionGuard.of(p.channel());
        if (guard != null) {
            p.addLast("guard-http", guard.http1Observer()); // sees the 417 and 100 Continue answers too
        }
        p.addLast("continue", new HttpServerExpectContinueHandler());
        p.addLast("exchange", new DownstreamHandler(runtime, tls, false));
    }

    void http2(ChannelPipeline p) {
        // many streams answer in one event-loop turn: one TLS record and syscall for all of them
        p.addLast("flush", new io.netty.handler.flush.FlushConsolidationHandler(256, true));
        p.addLast("h2", Http2FrameCodecBuilder.forServer().build());
        ConnectionGuard guard = ConnectionGuard.of(p.channel());
        io.netty.channel.ChannelHandler streams = guard == null ? null : guard.http2StreamObserver();
        p.addLast("h2-mux", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                stream.config().setAllocator(stream.parent().alloc());
                if (streams != null) {
                    stream.pipeline().addLast("guard-stream", streams);
                }
                stream.pipeline().addLast("h2-to-http", new Http2StreamFrameToHttpObjectCodec(true));
                stream.pipeline().addLast("exchange", new DownstreamHandler(runtime, true, true));
            }
        }));
        p.addLast("h2-errors", new ConnectionErrors());
    }

    /**
     * The last handler of an HTTP/2 connection: what the codec passes on (a client resetting the
     * connection, a read error) ends the connection with one DEBUG line, instead of Netty's
     * "reached at the tail of the pipeline" warning and stack trace, which any client could make
     * the gateway write at will. Protocol errors were already answered by the codec (GOAWAY).
     */
    private static final class ConnectionErrors extends ChannelInboundHandlerAdapter {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection from {} ended: {}", peer(ctx), cause.toString());
            ctx.close();
        }
    }

    /** The guard closed the connection (a timeout, an eviction): it has counted and logged that already. */
    private static boolean cutByGuard(ChannelHandlerContext ctx) {
        ConnectionGuard guard = ConnectionGuard.of(ctx.channel());
        return guard != null && guard.cutReason() != null;
    }

    private static String peer(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
    }

    /** Chooses the hostname from the ClientHello's SNI, from the snapshot serving now. */
    private final class HostnameSni extends AbstractSniHandler<HostnameBinding> {
        HostnameSni(long handshakeMillis) {
            super(handshakeMillis);
        }

        @Override
        protected Future<HostnameBinding> lookup(ChannelHandlerContext ctx, String hostname) {
            return ctx.executor().newSucceededFuture(runtime.current().forSni(hostname));
        }

        @Override
        protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<HostnameBinding> f) {
            HostnameBinding b = f.isSuccess() ? f.getNow() : null;
            if (b == null) {
                String why = hostname == null
                        ? "the client sent no SNI and no hostname has defaultSslBinding: true"
                        : "no hostname is configured for SNI '" + hostname + "' and none has defaultSslBinding: true";
                log.warn("TLS handshake from {} refused: {}", peer(ctx), why);
                runtime.metrics.downstreamHandshakeFailure(hostname == null ? "" : hostname, "unknown_hostname");
                ctx.close();
                return;
            }
            ctx.channel().attr(BINDING).set(b);
            java.util.concurrent.atomic.AtomicLong open = runtime.metrics.hostnameConnectionOpened(b.name());
            ctx.channel().closeFuture().addListener(closed -> open.decrementAndGet());
            if (hostname != null) {
                ctx.channel().attr(SNI).set(hostname);
            }
            // delegated tasks (the client certificate's check, which may wait for an OCSP responder
            // or a CRL download) run on the TLS task threads, not on this event loop
            SslHandler ssl = b.sslContext().newHandler(ctx.alloc(), io.gatehouse.tls.SslContextFactory.handshakeTasks());
            if (b.staple() != null) {
                b.staple().applyTo(ssl.engine()); // OCSP stapling: the cached response, never waiting
            }
            java.lang.ref.Reference.reachabilityFence(b); // b's cleaner releases the context
            ssl.setHandshakeTimeoutMillis(handshakeTimeoutMillis);
            ctx.pipeline().replace(this, "ssl", ssl);
        }
    }

    /**
     * Records the handshake's outcome once, or explains its failure. With a client certificate,
     * revocation on and a mode that leaves the verdict to policies (request, require), the
     * hostname's chain check first gets the revocation information the chain
     * needs ({@link ChainCheck#prepare}, downloaded off the event loop): the completion event, and
     * with it the ALPN choice and every request of the connection, waits for it (the ALPN handler
     * keeps bytes that arrive meanwhile; reading pauses), so the synchronous checks made while
     * requests run ({@code Verify()}, {@code validate-client-certificate},
     * {@code clientCertificate: required}) find it cached.
     */
    private final class HandshakeCapture extends ChannelInboundHandlerAdapter {
        private final long acceptedNanos = System.nanoTime();

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof SslHandshakeCompletionEvent done) {
                HostnameBinding b = ctx.channel().attr(BINDING).get();
                // a hostname that verifies in the handshake has fetched what the chain needs already
                // (its check ran as a delegated task that may wait): only request/require need this
                if (done.isSuccess() && b != null && b.revocation() != io.gatehouse.tls.RevocationMode.OFF
                        && !b.mode().verifiesInHandshake()) {
                    java.util.List<java.security.cert.X509Certificate> chain = peerChain(ctx);
                    if (!chain.isEmpty()) {
                        java.util.concurrent.CompletableFuture<Void> ready;
                        try {
                            ready = runtime.current().chainCheckFor(b).prepare(chain).toCompletableFuture();
                        } catch (RuntimeException e) {
                            // could not even start: the checks will read whatever is cached
                            log.debug("revocation information for {} not prepared: {}", peer(ctx), e.toString());
                            ready = java.util.concurrent.CompletableFuture.completedFuture(null);
                        }
                        if (!ready.isDone()) {
                            ctx.channel().config().setAutoRead(false);
                            ready.whenComplete((v, e) -> ctx.executor().execute(() -> {
                                if (!ctx.isRemoved()) {
                                    completed(ctx, done);
                                }
                                ctx.channel().config().setAutoRead(true);
                            }));
                            return;
                        }
                    }
                }
                completed(ctx, done);
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        private java.util.List<java.security.cert.X509Certificate> peerChain(ChannelHandlerContext ctx) {
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            java.util.List<java.security.cert.X509Certificate> chain = new java.util.ArrayList<>();
            try {
                for (java.security.cert.Certificate c : ssl.engine().getSession().getPeerCertificates()) {
                    if (c instanceof java.security.cert.X509Certificate x) {
                        chain.add(x);
                    }
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                // no client certificate
            }
            return chain;
        }

        private void completed(ChannelHandlerContext ctx, SslHandshakeCompletionEvent done) {
            HostnameBinding b = ctx.channel().attr(BINDING).get();
            String host = b == null ? "" : b.name();
            if (done.isSuccess()) {
                SslHandler ssl = ctx.pipeline().get(SslHandler.class);
                if (ssl == null) {
                    return; // the connection closed while revocation information was fetched
                }
                HandshakeInfo info = HandshakeInfo.from(ssl.engine(), ctx.channel().attr(SNI).get(),
                        chain -> clientVerdict(b, chain));
                ctx.channel().attr(HANDSHAKE).set(info);
                ctx.channel().attr(HANDSHAKE_TIME).set(System.nanoTime() - acceptedNanos);
                if (log.isDebugEnabled()) {
                    log.debug("TLS handshake from {} for hostname '{}': {} {}, ALPN {}, client certificate {}",
                            peer(ctx), host, info.protocol(), info.cipherSuite(), info.alpn(),
                            info.clientCertificate() == null ? "none"
                                    : "'" + io.gatehouse.common.x509.DotNetNames.format(
                                            info.clientCertificate().getSubjectX500Principal()) + "' "
                                            + (info.clientVerification().valid() ? "verified"
                                                    : "not verified, " + info.clientVerification()));
                }
            } else if (cutByGuard(ctx)) {
                log.debug("TLS handshake from {} for hostname '{}' ended: the connection was closed ({})", peer(ctx),
                        host, ConnectionGuard.of(ctx.channel()).cutReason().label);
            } else {
                String explained = TlsFailures.explain(done.cause(), TlsFailures.Side.DOWNSTREAM, peer(ctx));
                log.warn("TLS handshake from {} for hostname '{}' failed: {}", peer(ctx), host, explained);
                runtime.metrics.downstreamHandshakeFailure(host, TlsFailures.reasonLabel(done.cause()));
            }
            ctx.pipeline().remove(this);
            ctx.fireUserEventTriggered(done);
        }
    }

    /**
     * The verdict on a client's chain, once per connection: a hostname whose mode verifies in the
     * handshake has just checked it (against its CA certificates, with its revocation mode) or
     * the handshake would have failed; on the others the hostname's chain check judges it, the
     * same check (and cache) {@code Verify()}, {@code validate-client-certificate} and
     * {@code clientCertificate: required} use.
     */
    private VerificationResult clientVerdict(HostnameBinding b, java.util.List<java.security.cert.X509Certificate> chain) {
        if (b != null && b.mode().verifiesInHandshake()) {
            return VerificationResult.ok();
        }
        ChainCheck.Result r = runtime.current().chainCheckFor(b).check(chain, true, java.time.Instant.now());
        return verdict(r);
    }

    /** A chain check's result as a verification result: its reason starts with the failed check's name. */
    static VerificationResult verdict(ChainCheck.Result r) {
        if (r.trusted()) {
            return VerificationResult.ok();
        }
        String reason = r.reason() == null ? "not trusted" : r.reason();
        int colon = reason.indexOf(": ");
        if (colon > 0 && VerificationResult.CHECKS.contains(reason.substring(0, colon))) {
            return VerificationResult.failed(reason.substring(0, colon), reason.substring(colon + 2));
        }
        return VerificationResult.failed(r.revoked() ? "revoked" : "chain", reason);
    }

    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        Alpn() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                http2(ctx.pipeline());
            } else {
                http1(ctx.pipeline());
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // already explained by HandshakeCapture
        }

        /**
         * An error before the protocol is chosen: a client resetting the connection mid-handshake,
         * bytes that are not TLS. The handshake's failure is what the log explains (HandshakeCapture,
         * one line); Netty's handler would add a warning of its own, and passing the error on would
         * add the pipeline's "reached at the tail" warning: two lines of noise per such client.
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("connection from {} failed before the protocol was chosen: {}", peer(ctx), cause.toString());
            ctx.close();
        }
    }
}
