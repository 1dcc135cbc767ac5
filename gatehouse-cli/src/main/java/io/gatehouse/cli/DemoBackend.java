package io.gatehouse.cli;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.SslContextFactory;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The quickstart's backend: an HTTPS server that itself requires a client certificate from the
 * CA it is given (outbound mTLS from the gateway), and answers with what it saw as JSON.
 */
final class DemoBackend implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;

    DemoBackend(String host, int port, KeyMaterial serverKey, X509Certificate trustedClientCa) {
        SslContext ssl = SslContextFactory.downstream(new DownstreamTls(serverKey, ClientCertificateMode.REQUIRE_AND_VERIFY,
                CaStore.of(List.of(trustedClientCa), List.of(), List.of()), RevocationMode.OFF, "1.2"));
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new HttpServerCodec(),
                                new HttpObjectAggregator(1 << 20), new Handler());
                    }
                });
        try {
            channel = b.bind(host, port).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully();
            throw new IllegalStateException("cannot start the demo backend on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String subject = "";
            try {
                Certificate[] peer = ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
                subject = DotNetNames.format(((X509Certificate) peer[0]).getSubjectX500Principal());
            } catch (SSLPeerUnverifiedException e) {
                subject = "(none)";
            }
            String json = "{\"backend\": \"gatehouse quickstart demo\", \"method\": \"" + req.method() + "\", \"path\": \""
                    + escape(req.uri()) + "\", \"gatewayCertificateSeen\": \"" + escape(subject)
                    + "\", \"xForwardedFor\": \"" + escape(String.valueOf(req.headers().get("x-forwarded-for"))) + "\"}\n";
            ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json").setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            HttpUtil.setKeepAlive(resp, HttpUtil.isKeepAlive(req));
            ctx.writeAndFlush(resp);
        }
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully();
    }
}
