package io.gatehouse.bench;

import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.KeyMaterial;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.URI;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * A small HTTPS load generator that, unlike wrk, presents a client certificate: N connections
 * each send requests one after another for a fixed time, either keep-alive or with a new TLS
 * connection (full handshake, client certificate included) for every request. Prints
 * requests/s, latency percentiles and errors in one line of {@code key=value} pairs.
 *
 * <p>It always connects to 127.0.0.1: the URL's host is sent as SNI and Host only.
 *
 * <pre>java -cp benchmarks.jar io.gatehouse.bench.LoadGenerator URL SECONDS CONNECTIONS new|keepalive CA [CERT KEY]</pre>
 */
public final class LoadGenerator {
    private final URI url;
    private final SslContext ssl;
    private final boolean newConnectionEachRequest;
    private final Recorder latency = new Recorder(3);
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private volatile boolean running = true;

    private LoadGenerator(URI url, SslContext ssl, boolean newConnectionEachRequest) {
        this.url = url;
        this.ssl = ssl;
        this.newConnectionEachRequest = newConnectionEachRequest;
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: LoadGenerator URL SECONDS CONNECTIONS new|keepalive CA.pem [CERT.pem KEY.pem]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int connections = Integer.parseInt(args[2]);
        boolean fresh = args[3].equals("new");
        List<X509Certificate> ca = CertificateFiles.readCertificates(Path.of(args[4]));
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(ca.toArray(X509Certificate[]::new)).protocols("TLSv1.3", "TLSv1.2");
        if (args.length >= 7) {
            KeyMaterial km = CertificateFiles.readKeyPair(Path.of(args[5]), Path.of(args[6]), null);
            b.keyManager(km.key(), km.chain().toArray(X509Certificate[]::new));
        }
        if (fresh) {
            b.sessionCacheSize(1); // every request is a full handshake: no resumption
        }
        LoadGenerator g = new LoadGenerator(url, b.build(), fresh);
        g.run(seconds, connections);
    }

    private void run(int seconds, int connections) throws InterruptedException {
        for (int i = 0; i < connections; i++) {
            connect();
        }
        Thread.sleep(seconds * 1000L);
        running = false;
        var h = latency.getIntervalHistogram();
        long n = ok.get();
        System.out.printf("requests=%d errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f%n", n, errors.get(),
                n / (double) seconds, h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6);
        group.shutdownGracefully().awaitUninterruptibly();
    }

    private void connect() {
        if (!running) {
            return;
        }
        int port = url.getPort() > 0 ? url.getPort() : 443;
        long start = System.nanoTime();
        new Bootstrap().group(group).channel(channelClass).option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(ssl.newHandler(ch.alloc(), url.getHost(), port), new HttpClientCodec(),
                                new HttpObjectAggregator(8 << 20), new Client(start));
                    }
                })
                .connect("127.0.0.1", port).addListener(f -> { // the URL's host is only the SNI and Host
                    if (!f.isSuccess()) {
                        errors.incrementAndGet();
                        group.next().schedule(this::connect, 10, java.util.concurrent.TimeUnit.MILLISECONDS);
                    }
                });
    }

    private FullHttpRequest request() {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, url.getRawPath());
        r.headers().set(HttpHeaderNames.HOST, url.getHost());
        if (newConnectionEachRequest) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
        }
        return r;
    }

    private final class Client extends SimpleChannelInboundHandler<FullHttpResponse> {
        private long start;
        private boolean replaced; // this connection's successor is already connecting

        Client(long start) {
            this.start = start;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(request());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse resp) {
            long now = System.nanoTime();
            if (resp.status().code() == 200) {
                ok.incrementAndGet();
                latency.recordValue(now - start);
            } else {
                errors.incrementAndGet();
            }
            if (!running) {
                ctx.close();
            } else if (newConnectionEachRequest) {
                replaced = true;
                ctx.close();
                connect();
            } else {
                start = System.nanoTime();
                ctx.writeAndFlush(request());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.incrementAndGet();
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (running && !replaced) {
                replaced = true;
                connect(); // the server closed it, or it failed: keep the connection count
            }
        }
    }
}
