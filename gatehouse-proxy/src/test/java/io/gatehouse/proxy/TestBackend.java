package io.gatehouse.proxy;

import io.gatehouse.common.x509.DotNetNames;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend of the tests' own on Netty, streaming in both directions so that the gateway's
 * memory use, not the backend's, is what a large-body test measures:
 * <ul>
 *   <li>{@code /upload}: counts the request body's bytes and answers {@code {"received": N}};</li>
 *   <li>{@code /download?bytes=N}: streams N bytes, honouring the connection's writability;</li>
 *   <li>{@code /hang}: never answers;</li>
 *   <li>{@code /redirect?to=L}: 302 to L;</li>
 *   <li>{@code /early}: answers as soon as the request head arrives, then drops the body;</li>
 *   <li>anything else: a small JSON echo of what the backend saw.</li>
 * </ul>
 */
public final class TestBackend implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel channel;
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger requests = new AtomicInteger();

    private final String name;

    public TestBackend(SslContext ssl) {
        this(ssl, "test");
    }

    public TestBackend(SslContext ssl, String name) {
        this.name = name;
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new Handler());
                    }
                });
        channel = b.bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    private final class Handler extends ChannelInboundHandlerAdapter {
        private HttpRequest request;
        private long received;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest r) {
                request = r;
                received = 0;
                requests.incrementAndGet();
                if (r.uri().startsWith("/early")) {
                    json(ctx, "{\"early\": true}"); // answers before reading the body, as some servers do
                }
            }
            if (msg instanceof HttpContent c) {
                received += c.content().readableBytes();
                c.release();
                if (c instanceof LastHttpContent && !request.uri().startsWith("/early")) {
                    respond(ctx);
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a refused handshake, a reset: the tests look at the gateway's side
        }

        private void respond(ChannelHandlerContext ctx) {
            QueryStringDecoder q = new QueryStringDecoder(request.uri());
            String path = q.path().startsWith("/base/") ? q.path().substring(5) : q.path(); // a backend url's base path
            switch (path) {
                case "/hang" -> { }
                case "/redirect" -> redirect(ctx, q.parameters().get("to").get(0));
                case "/upload" -> json(ctx, "{\"received\": " + received + "}");
                case "/download" -> download(ctx, Long.parseLong(q.parameters().get("bytes").get(0)));
                default -> json(ctx, echo(ctx));
            }
        }

        private String echo(ChannelHandlerContext ctx) {
            String subject = "";
            SslHandler ssl = ctx.pipeline().get(SslHandler.class);
            if (ssl != null) {
                try {
                    subject = DotNetNames.format(((X509Certificate) ssl.engine().getSession().getPeerCertificates()[0])
                            .getSubjectX500Principal());
                } catch (Exception none) {
                    subject = "";
                }
            }
            var h = request.headers();
            return "{\"backend\": \"" + name + "\", \"method\": \"" + request.method() + "\", \"uri\": \"" + request.uri() + "\", \"host\": \""
                    + h.get("host") + "\", \"xForwardedFor\": \"" + h.get("x-forwarded-for") + "\", \"xForwardedProto\": \""
                    + h.get("x-forwarded-proto") + "\", \"xForwardedHost\": \"" + h.get("x-forwarded-host")
                    + "\", \"clientCert\": \"" + h.get("client-cert") + "\", \"xForwardedClientCert\": \""
                    + h.get("x-forwarded-client-cert") + "\", \"connection\": \"" + h.get("connection")
                    + "\", \"gatewayCertificate\": \"" + subject + "\", \"bodyBytes\": " + received
                    + ", \"headerNames\": \"" + String.join(",", h.names()).toLowerCase(java.util.Locale.ROOT) + "\"}";
        }

        private void json(ChannelHandlerContext ctx, String json) {
            ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                    .set("x-backend", "test");
            HttpUtil.setKeepAlive(resp, HttpUtil.isKeepAlive(request));
            ChannelFuture f = ctx.writeAndFlush(resp);
            if (!HttpUtil.isKeepAlive(request)) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        private void redirect(ChannelHandlerContext ctx, String location) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FOUND);
            resp.headers().set(HttpHeaderNames.LOCATION, location).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            ctx.writeAndFlush(resp);
        }

        private void download(ChannelHandlerContext ctx, long total) {
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream");
            HttpUtil.setContentLength(head, total);
            ctx.write(head);
            new Streamer(ctx, total).pump();
        }
    }

    /** Writes chunks only while the channel is writable, like a real streaming server. */
    private static final class Streamer {
        private static final int CHUNK = 64 * 1024;
        private final ChannelHandlerContext ctx;
        private long left;

        Streamer(ChannelHandlerContext ctx, long total) {
            this.ctx = ctx;
            this.left = total;
        }

        void pump() {
            while (left > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(CHUNK, left);
                ByteBuf buf = ctx.alloc().buffer(n);
                buf.writeZero(n);
                left -= n;
                ctx.write(new DefaultHttpContent(buf));
            }
            if (left == 0) {
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                return;
            }
            ctx.flush();
            ctx.channel().eventLoop().execute(() -> {
                if (!ctx.channel().isActive()) {
                    return;
                }
                if (ctx.channel().isWritable()) {
                    pump();
                } else {
                    ctx.channel().eventLoop().schedule(this::pump, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
                }
            });
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
