package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;

/**
 * Real handshakes over 127.0.0.1: a Netty server built by {@link SslContextFactory#downstream}
 * for each client-certificate mode, and a Netty client built by {@link SslContextFactory#upstream}.
 */
class HandshakeTest {

    static EventLoopGroup group;
    static Pki.Issued clientRoot;
    static Pki.Issued serverRoot;
    static Pki.Issued serverCert;
    static Pki.Issued goodClient;
    static Pki.Issued strangerClient;
    static Pki.Issued expiredClient;

    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        clientRoot = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(30));
        serverRoot = Pki.ca("CN=Contoso Server Root,O=Contoso", Duration.ofDays(30));
        serverCert = Pki.issue(serverRoot, Pki.IssueRequest.server("gw.contoso.local", "gw.contoso.local", "127.0.0.1"));
        goodClient = Pki.issue(clientRoot, Pki.IssueRequest.client("CN=clinic-app,O=Contoso"));
        Pki.Issued unknownRoot = Pki.ca("CN=Unknown CA", Duration.ofDays(30));
        strangerClient = Pki.issue(unknownRoot, Pki.IssueRequest.client("CN=stranger"));
        Instant now = Instant.now();
        expiredClient = Pki.issue(clientRoot, Pki.IssueRequest.client("CN=old-app")
                .withValidity(now.minus(10, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS)));
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A TLS server that records the outcome of the first handshake. */
    static final class Server implements AutoCloseable {
        final Channel channel;
        final CompletableFuture<HandshakeInfo> info = new CompletableFuture<>();

        Server(ClientCertificateMode mode, String minimumVersion) throws InterruptedException {
            this(mode, minimumVersion, CaStore.of(List.of(clientRoot.certificate()), List.of(), List.of()),
                    serverCert.keyMaterial(), SslContextFactory.provider());
        }

        Server(ClientCertificateMode mode, String minimumVersion, CaStore store, KeyMaterial serverKey,
                SslProvider provider) throws InterruptedException {
            ChainVerifier verifier = new ChainVerifier(store, RevocationMode.SOFT_FAIL);
            SslContext ctx = SslContextFactory.downstream(new DownstreamTls(serverKey, mode, store,
                    RevocationMode.SOFT_FAIL, minimumVersion), provider);
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            SslHandler ssl = ctx.newHandler(ch.alloc());
                            ch.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                                @Override
                                public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                                    if (evt instanceof SslHandshakeCompletionEvent e) {
                                        if (e.isSuccess()) {
                                            info.complete(HandshakeInfo.from(ssl.engine(), null, verifier));
                                        } else {
                                            info.completeExceptionally(e.cause());
                                        }
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
                                    info.completeExceptionally(cause);
                                    c.close();
                                }
                            });
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
        }

        Server(ClientCertificateMode mode) throws InterruptedException {
            this(mode, "1.2");
        }

        int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        /** The handshake outcome: the info, or the server-side failure. */
        Object outcome() {
            try {
                return info.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause();
            } catch (Exception e) {
                throw new AssertionError("server saw no handshake", e);
            }
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }

    /** Client result: handshake success, plus the first error (during or right after the handshake). */
    record ClientOutcome(boolean handshakeOk, Throwable error) {
    }

    static ClientOutcome connect(int port, UpstreamTls tls, String serverName, boolean validateName) throws Exception {
        return connect(port, tls, serverName, validateName, SslContextFactory.provider());
    }

    static ClientOutcome connect(int port, UpstreamTls tls, String serverName, boolean validateName,
            SslProvider provider) throws Exception {
        SslContext ctx = SslContextFactory.upstream(tls, provider);
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        CompletableFuture<Boolean> handshake = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        SslHandler ssl = SslContextFactory.upstreamHandler(ctx, c.alloc(), "127.0.0.1", port,
                                serverName, validateName);
                        c.pipeline().addLast(ssl, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext x, Object evt) {
                                if (evt instanceof SslHandshakeCompletionEvent e) {
                                    handshake.complete(e.isSuccess());
                                    if (!e.isSuccess()) {
                                        error.complete(e.cause());
                                    }
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext x, Throwable cause) {
                                error.complete(cause);
                                x.close();
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext x) {
                                error.complete(null);
                            }
                        });
                    }
                }).connect("127.0.0.1", port).sync().channel();
        boolean ok = handshake.get(10, TimeUnit.SECONDS);
        Throwable err;
        try {
            // in TLS 1.3 the server judges the client certificate after the client finished: wait for its alert
            err = error.get(ok ? 700 : 5000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            err = null;
        }
        ch.close().sync();
        return new ClientOutcome(ok, err);
    }

    static UpstreamTls trustingServerRoot(KeyMaterial clientKey) {
        return new UpstreamTls(true, true, List.of(serverRoot.certificate()), CaStore.empty(), clientKey);
    }

    @Test
    void opensslProviderIsInUse() {
        assertThat(SslContextFactory.provider()).isEqualTo(io.netty.handler.ssl.SslProvider.OPENSSL_REFCNT);
    }

    @Test
    void aContextIsReleasedOnceItsOwnerIsGoneAndItsLastEngineIsReleased() throws Exception {
        SslContext ctx = SslContextFactory.upstream(trustingServerRoot(null));
        io.netty.util.ReferenceCounted counted = (io.netty.util.ReferenceCounted) ctx;
        SslContextFactory.releaseWhenUnreachable(new Object(), ctx);
        javax.net.ssl.SSLEngine engine = SslContextFactory.upstreamEngine(ctx,
                io.netty.buffer.ByteBufAllocator.DEFAULT, "backend.local", 443, null, true);
        // the owner is gone: the context stays while the engine holds it, then goes with the engine
        for (int i = 0; i < 50 && counted.refCnt() > 1; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(counted.refCnt()).as("only the engine's reference is left").isEqualTo(1);
        io.netty.util.ReferenceCountUtil.release(engine);
        assertThat(counted.refCnt()).isZero();
    }

    @Test
    void noneModeDoesNotAskForCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(goodClient.keyMaterial()), "gw.contoso.local", true);
            assertThat(c.handshakeOk()).isTrue();
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientChain()).isEmpty();
            assertThat(info.clientVerification()).isNull();
            assertThat(info.protocol()).isEqualTo("TLSv1.3");
            assertThat(info.alpn()).isEqualTo("http/1.1");
            assertThat(info.sni()).isEqualTo("gw.contoso.local");
            assertThat(info.cipherSuite()).isNotBlank();
        }
    }

    @Test
    void requestModeAcceptsNoCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUEST)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(null), "gw.contoso.local", true);
            assertThat(c.handshakeOk()).isTrue();
            assertThat(c.error()).isNull();
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientCertificate()).isNull();
            assertThat(info.clientVerification()).isNull();
        }
    }

    @Test
    void requestModeAcceptsUnknownCaAndRecordsTheVerdict() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUEST)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(strangerClient.keyMaterial()), null, false);
            assertThat(c.handshakeOk()).isTrue();
            assertThat(c.error()).isNull();
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientCertificate()).isEqualTo(strangerClient.certificate());
            assertThat(info.clientVerification().valid()).isFalse();
            assertThat(info.clientVerification().reason())
                    .isEqualTo("issuer 'CN=Unknown CA' of 'CN=stranger' is not among the trusted CA certificates");
        }
    }

    @Test
    void requestModeRecordsVerifiedCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUEST)) {
            connect(s.port(), trustingServerRoot(goodClient.keyMaterial()), "gw.contoso.local", true);
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientChain()).containsExactly(goodClient.certificate());
            assertThat(info.clientVerification()).isEqualTo(VerificationResult.ok());
        }
    }

    @Test
    void requireModeRefusesMissingCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUIRE)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(null), "gw.contoso.local", true);
            assertThat(s.outcome()).isInstanceOf(Throwable.class);
            assertThat(TlsFailures.explain((Throwable) s.outcome(), TlsFailures.Side.DOWNSTREAM, "127.0.0.1"))
                    .isEqualTo("the client sent no certificate, and this hostname requires one");
            assertThat(c.error()).isNotNull();
            assertThat(TlsFailures.alertName(c.error())).isEqualTo("certificate_required");
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "gw.contoso.local"))
                    .isEqualTo("the backend asked for a client certificate and none is configured"
                            + " (alert: certificate_required)");
        }
    }

    @Test
    void requireModeAcceptsUnknownCaForPoliciesToJudge() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUIRE)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(strangerClient.keyMaterial()), null, true);
            assertThat(c.error()).isNull();
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientVerification().failedCheck()).isEqualTo("chain");
        }
    }

    @Test
    void verifyIfGivenAcceptsNoCertificateButRefusesUnknownCa() throws Exception {
        try (Server s = new Server(ClientCertificateMode.VERIFY_IF_GIVEN)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(null), null, true);
            assertThat(c.error()).isNull();
            assertThat(((HandshakeInfo) s.outcome()).clientCertificate()).isNull();
        }
        try (Server s = new Server(ClientCertificateMode.VERIFY_IF_GIVEN)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(strangerClient.keyMaterial()), null, true);
            Throwable serverSide = (Throwable) s.outcome();
            assertThat(TlsFailures.explain(serverSide, TlsFailures.Side.DOWNSTREAM, "127.0.0.1"))
                    .isEqualTo("client certificate is not trusted: issuer 'CN=Unknown CA' of 'CN=stranger'"
                            + " is not among the trusted CA certificates");
            assertThat(c.error()).isNotNull();
            assertThat(TlsFailures.alertName(c.error())).isEqualTo("unknown_ca");
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "gw.contoso.local",
                    strangerClient.certificate()))
                    .isEqualTo("the backend rejected our client certificate 'CN=stranger' (alert: unknown_ca)");
        }
    }

    @Test
    void requireAndVerifyAcceptsGoodAndRefusesMissingOrExpired() throws Exception {
        try (Server s = new Server(ClientCertificateMode.REQUIRE_AND_VERIFY)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(goodClient.keyMaterial()), null, true);
            assertThat(c.error()).isNull();
            assertThat(((HandshakeInfo) s.outcome()).clientVerification().valid()).isTrue();
        }
        try (Server s = new Server(ClientCertificateMode.REQUIRE_AND_VERIFY)) {
            connect(s.port(), trustingServerRoot(null), null, true);
            assertThat(s.outcome()).isInstanceOf(Throwable.class);
        }
        try (Server s = new Server(ClientCertificateMode.REQUIRE_AND_VERIFY)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(expiredClient.keyMaterial()), null, true);
            assertThat(TlsFailures.reasonLabel((Throwable) s.outcome())).isEqualTo("expired");
            assertThat(TlsFailures.alertName(c.error())).isEqualTo("certificate_expired");
        }
    }

    @Test
    void minimumVersion13RefusesTls12Clients() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE, "1.3")) {
            assertThat(connect(s.port(), trustingServerRoot(null), null, true).handshakeOk()).isTrue();
            assertThat(((HandshakeInfo) s.outcome()).protocol()).isEqualTo("TLSv1.3");
        }
        try (Server s = new Server(ClientCertificateMode.NONE, "1.3")) {
            assertThat(tls12Handshake(s.port())).isFalse();
            assertThat(TlsFailures.explain((Throwable) s.outcome(), TlsFailures.Side.DOWNSTREAM, "127.0.0.1"))
                    .isEqualTo("the client shares no TLS version or cipher with the gateway");
        }
        try (Server s = new Server(ClientCertificateMode.NONE, "1.2")) {
            assertThat(tls12Handshake(s.port())).isTrue();
            assertThat(((HandshakeInfo) s.outcome()).protocol()).isEqualTo("TLSv1.2");
        }
    }

    /** A TLS 1.2-only client, built directly (the factory never makes one). */
    private static boolean tls12Handshake(int port) throws Exception {
        SslContext ctx = io.netty.handler.ssl.SslContextBuilder.forClient().protocols("TLSv1.2")
                .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE).build();
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(ctx.newHandler(c.alloc(), "127.0.0.1", port),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext x, Object evt) {
                                        if (evt instanceof SslHandshakeCompletionEvent e) {
                                            done.complete(e.isSuccess());
                                        }
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext x, Throwable cause) {
                                        done.complete(false);
                                        x.close();
                                    }
                                });
                    }
                }).connect("127.0.0.1", port).sync().channel();
        boolean ok = done.get(10, TimeUnit.SECONDS);
        ch.close().sync();
        return ok;
    }

    @Test
    void upstreamRefusesCertificateForAnotherName() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(null), "backend.local", true);
            assertThat(c.handshakeOk()).isFalse();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "backend.local"))
                    .isEqualTo("backend certificate does not match the name backend.local"
                            + " (it is for: gw.contoso.local, 127.0.0.1)");
            assertThat(TlsFailures.reasonLabel(c.error())).isEqualTo("name_mismatch");
        }
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            // the same backend with validateCertificateName off
            assertThat(connect(s.port(), new UpstreamTls(true, false, List.of(serverRoot.certificate()),
                    CaStore.empty(), null), "backend.local", false).handshakeOk()).isTrue();
        }
    }

    @Test
    void upstreamChecksIpAddressNamesWithoutSni() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            assertThat(connect(s.port(), trustingServerRoot(null), null, true).handshakeOk()).isTrue();
            assertThat(((HandshakeInfo) s.outcome()).sni()).isNull();
        }
    }

    @Test
    void upstreamRefusesUntrustedBackendCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            UpstreamTls wrongCa = new UpstreamTls(true, true, List.of(clientRoot.certificate()), CaStore.empty(), null);
            ClientOutcome c = connect(s.port(), wrongCa, "gw.contoso.local", true);
            assertThat(c.handshakeOk()).isFalse();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "gw.contoso.local"))
                    .isEqualTo("backend certificate for gw.contoso.local is not trusted: issuer"
                            + " 'CN=Contoso Server Root, O=Contoso' of 'CN=gw.contoso.local' is not among the trusted CA certificates");
        }
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            // default trust: the JDK trust store plus caStore roots
            UpstreamTls defaults = UpstreamTls.defaults(CaStore.of(List.of(serverRoot.certificate()), List.of(), List.of()));
            assertThat(connect(s.port(), defaults, "gw.contoso.local", true).handshakeOk()).isTrue();
        }
    }

    @Test
    void upstreamWithChainValidationOffTrustsAnyCertificate() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            UpstreamTls insecure = new UpstreamTls(false, false, List.of(), CaStore.empty(), null);
            assertThat(connect(s.port(), insecure, "anything.local", false).handshakeOk()).isTrue();
        }
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            // chain off, name on: the name is still checked
            UpstreamTls nameOnly = new UpstreamTls(false, true, List.of(), CaStore.empty(), null);
            assertThat(connect(s.port(), nameOnly, "gw.contoso.local", true).handshakeOk()).isTrue();
        }
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            UpstreamTls nameOnly = new UpstreamTls(false, true, List.of(), CaStore.empty(), null);
            assertThat(connect(s.port(), nameOnly, "wrong.local", true).handshakeOk()).isFalse();
        }
    }

    @Test
    void opensslClientSendsItsCertificateInRequestMode() throws Exception {
        Assumptions.assumeTrue(Tools.has("openssl"), "openssl not on PATH");
        Path cert = dir.resolve("client.pem");
        Path key = dir.resolve("client.key");
        Pki.writePem(cert, strangerClient.chain().toArray()); // issued by a CA the server does not list
        Pki.writePem(key, strangerClient.keyPair().getPrivate());
        try (Server s = new Server(ClientCertificateMode.REQUEST)) {
            String out = Tools.run(dir, "openssl", "s_client", "-connect", "127.0.0.1:" + s.port(), "-servername",
                    "gw.contoso.local", "-cert", cert.toString(), "-key", key.toString());
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientCertificate()).isEqualTo(strangerClient.certificate());
            assertThat(out).contains("Acceptable client certificate CA names").contains("Contoso Client Root");
        }
    }

    @Test
    void curlSendsItsCertificateInRequestMode() throws Exception {
        Assumptions.assumeTrue(Tools.has("curl"), "curl not on PATH");
        Path cert = dir.resolve("client.pem");
        Path key = dir.resolve("client.key");
        Pki.writePem(cert, strangerClient.chain().toArray());
        Pki.writePem(key, strangerClient.keyPair().getPrivate());
        try (Server s = new Server(ClientCertificateMode.REQUEST)) {
            Process p = new ProcessBuilder("curl", "-sk", "--max-time", "3", "--cert", cert.toString(), "--key",
                    key.toString(), "https://127.0.0.1:" + s.port() + "/").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS); // the server speaks no HTTP; only the handshake matters
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientCertificate()).isEqualTo(strangerClient.certificate());
            assertThat(info.alpn()).isEqualTo("h2");
        }
    }

    @Test
    void curlSendsItsCertificateWhenTheCaListIsEmpty() throws Exception {
        Assumptions.assumeTrue(Tools.has("curl"), "curl not on PATH");
        Path cert = dir.resolve("client.pem");
        Path key = dir.resolve("client.key");
        Pki.writePem(cert, goodClient.chain().toArray());
        Pki.writePem(key, goodClient.keyPair().getPrivate());
        try (Server s = new Server(ClientCertificateMode.REQUEST, "1.2", CaStore.empty(), serverCert.keyMaterial(),
                SslContextFactory.provider())) {
            Process p = new ProcessBuilder("curl", "-sk", "--max-time", "3", "--cert", cert.toString(), "--key",
                    key.toString(), "https://127.0.0.1:" + s.port() + "/").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(10, TimeUnit.SECONDS);
            HandshakeInfo info = (HandshakeInfo) s.outcome();
            assertThat(info.clientCertificate()).isEqualTo(goodClient.certificate());
            assertThat(info.clientVerification().failedCheck()).isEqualTo("chain");
        }
    }

    @Test
    void servesRsaKeysToo() throws Exception {
        Pki.Issued rsaServer = Pki.issue(serverRoot, Pki.IssueRequest.server("gw.contoso.local")
                .withKeyAlgorithm(Pki.KeyAlgorithm.RSA_2048));
        try (Server s = new Server(ClientCertificateMode.NONE, "1.2",
                CaStore.of(List.of(clientRoot.certificate()), List.of(), List.of()), rsaServer.keyMaterial(),
                SslContextFactory.provider())) {
            assertThat(connect(s.port(), trustingServerRoot(null), "gw.contoso.local", true).handshakeOk()).isTrue();
        }
    }

    @Test
    void verifyModesNeedRootCertificates() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SslContextFactory.downstream(new DownstreamTls(
                serverCert.keyMaterial(), ClientCertificateMode.REQUIRE_AND_VERIFY, CaStore.empty(), null, null)))
                .isInstanceOf(TlsConfigException.class)
                .hasMessageContaining("needs at least one CA certificate with storeName Root");
    }

    @Test
    void jdkProviderVerifiesClientCertificatesTheSameWay() throws Exception {
        CaStore store = CaStore.of(List.of(clientRoot.certificate()), List.of(), List.of());
        try (Server s = new Server(ClientCertificateMode.REQUIRE_AND_VERIFY, "1.2", store, serverCert.keyMaterial(),
                SslProvider.JDK)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(goodClient.keyMaterial()), "gw.contoso.local", true,
                    SslProvider.JDK);
            assertThat(c.error()).isNull();
            assertThat(((HandshakeInfo) s.outcome()).clientVerification().valid()).isTrue();
        }
        try (Server s = new Server(ClientCertificateMode.REQUIRE_AND_VERIFY, "1.2", store, serverCert.keyMaterial(),
                SslProvider.JDK)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(strangerClient.keyMaterial()), "gw.contoso.local",
                    true, SslProvider.JDK);
            assertThat(TlsFailures.explain((Throwable) s.outcome(), TlsFailures.Side.DOWNSTREAM, "127.0.0.1"))
                    .startsWith("client certificate is not trusted: issuer 'CN=Unknown CA'");
            assertThat(c.error()).isNotNull();
            assertThat(TlsFailures.alertName(c.error())).isNotNull();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "gw.contoso.local",
                    strangerClient.certificate())).startsWith("the backend rejected our client certificate 'CN=stranger'");
        }
    }

    @Test
    void jdkClientChecksBackendNames() throws Exception {
        try (Server s = new Server(ClientCertificateMode.NONE)) {
            ClientOutcome c = connect(s.port(), trustingServerRoot(null), "backend.local", true, SslProvider.JDK);
            assertThat(c.handshakeOk()).isFalse();
            assertThat(TlsFailures.explain(c.error(), TlsFailures.Side.UPSTREAM, "backend.local"))
                    .isEqualTo("backend certificate does not match the name backend.local"
                            + " (it is for: gw.contoso.local, 127.0.0.1)");
        }
    }
}
