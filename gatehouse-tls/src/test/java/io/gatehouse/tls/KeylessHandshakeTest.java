package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;

/**
 * The keyless server path SslContextFactory takes for a key on a token, without a token: the key
 * "lives" in {@link TokenSignerTest.RecordingProvider} (software keys behind a provider that
 * records each signature), BoringSSL gets the certificate only, and a JDK client's handshake,
 * TLS 1.3 and 1.2, RSA and EC, completes with signatures made on the signing threads. SoftHSM2
 * itself is driven by the CLI's Pkcs11KeysTest.
 */
class KeylessHandshakeTest {
    static EventLoopGroup group;
    static Pki.Issued root;

    @BeforeAll
    static void setUp() {
        OpenSsl.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        root = Pki.ca("CN=Keyless Test Root", Duration.ofDays(2));
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static KeyMaterial tokenKey(Pki.KeyAlgorithm algorithm) {
        Pki.Issued server = Pki.issue(root, Pki.IssueRequest.server("keyless.test", "keyless.test").withKeyAlgorithm(algorithm));
        return new KeyMaterial(server.keyPair().getPrivate(), server.chain(), new TokenSignerTest.RecordingProvider());
    }

    private static String handshake(KeyMaterial key, String protocol) throws Exception {
        SslContext ctx = SslContextFactory.downstream(new DownstreamTls(key, ClientCertificateMode.NONE,
                CaStore.of(List.of(), List.of(), List.of()), RevocationMode.OFF, "1.2"), SslProvider.OPENSSL_REFCNT);
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ctx.newHandler(ch.alloc()));
                    }
                }).bind("127.0.0.1", 0).sync().channel();
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("root", root.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(trust);
            SSLContext client = SSLContext.getInstance("TLS");
            client.init(null, tmf.getTrustManagers(), null);
            int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port)) {
                SSLParameters p = s.getSSLParameters();
                p.setProtocols(new String[] {protocol});
                p.setServerNames(List.of(new javax.net.ssl.SNIHostName("keyless.test")));
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.setSoTimeout(10_000);
                s.startHandshake();
                assertThat(s.getSession().getPeerCertificates()[0]).isEqualTo(key.leaf());
                return s.getSession().getProtocol();
            }
        } finally {
            server.close().sync();
            ReferenceCountUtil.release(ctx);
        }
    }

    @Test
    void aServerKeyBehindAProviderSignsEachHandshakeOnTheSigningThreads() throws Exception {
        for (Pki.KeyAlgorithm alg : Pki.KeyAlgorithm.values()) {
            KeyMaterial key = tokenKey(alg);
            for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
                int before = TokenSignerTestCalls.count();
                assertThat(handshake(key, protocol)).isEqualTo(protocol);
                List<String> calls = TokenSignerTestCalls.since(before);
                assertThat(calls).as(alg + " " + protocol).hasSize(1)
                        .allSatisfy(c -> assertThat(c).contains(" on gatehouse-pkcs11-")
                                // the JDK client lists rsa_pss_rsae_* first, in TLS 1.2 too
                                .startsWith(alg == Pki.KeyAlgorithm.RSA_2048 ? "RSASSA-PSS" : "SHA256withECDSA"));
            }
        }
    }

    @Test
    void theJdksTlsCannotUseATokenKeyAndSaysSo() {
        KeyMaterial key = tokenKey(Pki.KeyAlgorithm.EC_P256);
        assertThatThrownBy(() -> SslContextFactory.downstream(new DownstreamTls(key, ClientCertificateMode.NONE,
                CaStore.of(List.of(), List.of(), List.of()), RevocationMode.OFF, "1.2"), SslProvider.JDK))
                .isInstanceOf(TlsConfigException.class)
                .hasMessage("the key of 'CN=keyless.test' is on a PKCS#11 token, which needs BoringSSL (netty-tcnative), "
                        + "and it did not load here");
    }
}
