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
 * <p>Mode {@code alternate=PATH} compares two routes on the same connections: keep-alive, half-second
 * slices in the order URL path, {@code PATH}, {@code PATH}, URL path (and again), after eight seconds
 * to settle. A request counts for the side whose slice it started in, over whole groups of four
 * slices; each side's requests/s is over its half of that time. Both sides see the same machine
 * within a second of each other, so the ratio holds still while the machine's speed drifts (runs
 * seconds apart differ by tens of per cent); and the A-B-B-A order cancels a steady trend within
 * the run. Plain A-B order does not: a fresh load generator speeds up over its first seconds, and
 * with one-second slices that made the first side read 3 to 12 % slower than the second with the
 * same route on both ({@code -Dgatehouse.bench.perSlice=true} prints each slice's count).
 *
 * <pre>java -cp benchmarks.jar io.gatehouse.bench.LoadGenerator URL SECONDS CONNECTIONS new|keepalive|alternate=PATH CA [CERT KEY]</pre>
 */
public final class LoadGenerator {
    private final URI url;
    private final SslContext ssl;
    private final boolean newConnectionEachRequest;
    private final Recorder latency = new Recorder(3);
    private final AtomicLong ok = new AtomicLong();
    /** The other side in alternate mode, null otherwise. */
    private final String alternatePath;
    private final Recorder alternateLatency = new Recorder(3);
    private final AtomicLong alternateOk = new AtomicLong();
    /** The alternation's slice: 500 ms unless {@code -Dgatehouse.bench.sliceMillis} says otherwise. */
    private static final long SLICE_NANOS = Long.getLong("gatehouse.bench.sliceMillis", 500) * 1_000_000L;
    private static final long SETTLE_NANOS = Long.getLong("gatehouse.bench.settleMillis", 8000) * 1_000_000L;
    /** Requests per slice in alternate mode, printed to stderr with {@code -Dgatehouse.bench.perSlice=true}. */
    private static final boolean PER_SLICE = Boolean.getBoolean("gatehouse.bench.perSlice");
    private final java.util.concurrent.atomic.AtomicLongArray sliceCounts = new java.util.concurrent.atomic.AtomicLongArray(4096);
    private volatile long countFrom;
    private volatile long countUntil = Long.MAX_VALUE;
    private final AtomicLong errors = new AtomicLong();
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;
    private volatile boolean running = true;

    private LoadGenerator(URI url, SslContext ssl, boolean newConnectionEachRequest, String alternatePath) {
        this.url = url;
        this.ssl = ssl;
        this.newConnectionEachRequest = newConnectionEachRequest;
        this.alternatePath = alternatePath;
        boolean epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(2, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: LoadGenerator URL SECONDS CONNECTIONS new|keepalive|alternate=PATH CA.pem [CERT.pem KEY.pem]");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        int seconds = Integer.parseInt(args[1]);
        int connections = Integer.parseInt(args[2]);
        boolean fresh = args[3].equals("new");
        String alternate = args[3].startsWith("alternate=") ? args[3].substring("alternate=".length()) : null;
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
        LoadGenerator g = new LoadGenerator(url, b.build(), fresh, alternate);
        g.run(seconds, connections);
    }

    private void run(int seconds, int connections) throws InterruptedException {
        countFrom = System.nanoTime() + (alternatePath != null ? SETTLE_NANOS : 0);
        // alternate mode counts whole groups of four slices (A B B A), so both sides get the same time
        long quads = Math.max(1, seconds * 1_000_000_000L / (4 * SLICE_NANOS));
        if (alternatePath != null) {
            countUntil = countFrom + quads * 4 * SLICE_NANOS;
        }
        for (int i = 0; i < connections; i++) {
            connect();
        }
        Thread.sleep(alternatePath != null ? (countUntil - System.nanoTime()) / 1_000_000 : seconds * 1000L);
        running = false;
        if (alternatePath == null) {
            System.out.println(line("", ok.get(), seconds, latency) + " errors=" + errors.get());
        } else {
            // each side had two slices of every four: half the time
            double side = quads * 2 * SLICE_NANOS / 1e9;
            if (PER_SLICE) {
                StringBuilder b = new StringBuilder("per slice (A B B A ...):");
                for (int i = 0; i < Math.min(quads * 4, sliceCounts.length()); i++) {
                    b.append(' ').append(sliceCounts.get(i));
                }
                System.err.println(b);
            }
            System.out.println(line("", ok.get(), side, latency) + " errors=" + errors.get() + " "
                    + line("alternate_", alternateOk.get(), side, alternateLatency));
        }
        group.shutdownGracefully().awaitUninterruptibly();
    }

    private static String line(String prefix, long n, double seconds, Recorder latency) {
        var h = latency.getIntervalHistogram();
        return String.format("%srequests=%d %srps=%.0f %sp50_ms=%.2f %sp99_ms=%.2f %sp999_ms=%.2f", prefix, n, prefix,
                n / seconds, prefix, h.getValueAtPercentile(50) / 1e6, prefix, h.getValueAtPercentile(99) / 1e6, prefix,
                h.getValueAtPercentile(99.9) / 1e6);
    }

    /** In alternate mode, whether a request starting now goes to the other path (slices 1 and 2 of every four). */
    private boolean alternateAt(long now) {
        if (alternatePath == null || now < countFrom) {
            return false;
        }
        long k = (now - countFrom) / SLICE_NANOS & 3;
        return k == 1 || k == 2;
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

    private FullHttpRequest request(boolean alternate) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                alternate ? alternatePath : url.getRawPath());
        r.headers().set(HttpHeaderNames.HOST, url.getHost());
        if (newConnectionEachRequest) {
            r.headers().set(HttpHeaderNames.CONNECTION, "close");
        }
        return r;
    }

    private final class Client extends SimpleChannelInboundHandler<FullHttpResponse> {
        private long start;
        private boolean alternate; // the request in flight is the alternate side's
        private boolean replaced; // this connection's successor is already connecting

        Client(long start) {
            this.start = start;
        }

        private void send(ChannelHandlerContext ctx) {
            alternate = alternateAt(start);
            ctx.writeAndFlush(request(alternate));
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (alternatePath != null) {
                start = System.nanoTime(); // the handshake is no request's latency
            }
            send(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse resp) {
            long now = System.nanoTime();
            if (resp.status().code() == 200) {
                if (start >= countFrom && start < countUntil) { // alternate mode: whole groups of slices, after settling
                    (alternate ? alternateOk : ok).incrementAndGet();
                    if (PER_SLICE) {
                        sliceCounts.incrementAndGet((int) Math.min((start - countFrom) / SLICE_NANOS, sliceCounts.length() - 1));
                    }
                    (alternate ? alternateLatency : latency).recordValue(now - start);
                }
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
                send(ctx);
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
