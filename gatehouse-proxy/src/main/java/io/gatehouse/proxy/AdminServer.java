package io.gatehouse.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.gatehouse.config.CertificateInventory;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The admin listener (loopback by default): {@code /metrics} in Prometheus format, {@code /health},
 * {@code /certificates} (JSON: every certificate and CA certificate, see {@link CertificateInventory}),
 * {@code GET /traces/ID} (a request trace, see {@link RequestTrace}; 404 when unknown or expired),
 * {@code GET /keyvault} (each Key Vault-backed item's version in service, last refresh and last
 * error) and {@code POST /keyvault/refresh} (read the vaults now; a new version is put in service
 * before the answer, which is the status afterwards).
 */
final class AdminServer {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> channelClass;
    private final GatewayMetrics metrics;
    private final Gateway gateway;
    private Channel channel;

    AdminServer(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelClass,
                GatewayMetrics metrics, Gateway gateway) {
        this.boss = boss;
        this.workers = workers;
        this.channelClass = channelClass;
        this.metrics = metrics;
        this.gateway = gateway;
    }

    void bind(String host, int port) {
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(channelClass)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), new Handler());
                    }
                });
        try {
            channel = b.bind(host == null ? "127.0.0.1" : host, port).sync().channel();
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on admin port " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    SocketAddress address() {
        return channel.localAddress();
    }

    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = req.uri().split("\\?", 2)[0];
            FullHttpResponse resp;
            if (path.equals("/keyvault/refresh") || path.equals("/keyvault")) {
                keyVault(ctx, req, path);
                return;
            }
            switch (path) {
                case "/metrics" -> resp = text(HttpResponseStatus.OK, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8");
                case "/certificates" -> resp = json(gateway.certificates().toJson(java.time.Instant.now()));
                case "/health" -> resp = json(health());
                default -> resp = path.startsWith("/traces/") ? trace(path.substring("/traces/".length())) : null;
            }
            if (resp == null) {
                resp = text(HttpResponseStatus.NOT_FOUND, "{\"statusCode\": 404, \"message\": \"Resource not found\"}\n",
                        "application/json");
            }
            send(ctx, HttpUtil.isKeepAlive(req), resp);
        }

        /** {@code GET /traces/ID}: a request trace as JSON, or 404 when unknown or expired. */
        private FullHttpResponse trace(String id) {
            RequestTrace t = id.matches("[0-9a-f]{32}") ? gateway.traceStore().get(id) : null;
            if (t == null) {
                return text(HttpResponseStatus.NOT_FOUND, "{\"statusCode\": 404, \"message\": \"no trace with this id:"
                        + " unknown, or expired (gateway.trace.retention, gateway.trace.maxTraces)\"}\n", "application/json");
            }
            return json(t.toJson());
        }

        private void keyVault(ChannelHandlerContext ctx, FullHttpRequest req, String path) {
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            var refresher = gateway.keyVault();
            boolean refresh = path.equals("/keyvault/refresh");
            if (refresh && !req.method().equals(io.netty.handler.codec.http.HttpMethod.POST)
                    || !refresh && !req.method().equals(io.netty.handler.codec.http.HttpMethod.GET)) {
                FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "{\"statusCode\": 405, \"message\": \"use "
                        + (refresh ? "POST" : "GET") + "\"}\n", "application/json");
                r.headers().set(HttpHeaderNames.ALLOW, refresh ? "POST" : "GET");
                send(ctx, keepAlive, r);
                return;
            }
            if (refresher == null) {
                send(ctx, keepAlive, text(HttpResponseStatus.OK, "{\"items\": []}\n", "application/json"));
                return;
            }
            if (!refresh) {
                send(ctx, keepAlive, text(HttpResponseStatus.OK, statusJson(refresher.status()), "application/json"));
                return;
            }
            // the refresh blocks on the vaults: it runs on the refresher's thread, and the answer is written from there
            refresher.refreshNow().whenComplete((status, failure) -> {
                FullHttpResponse r = failure == null ? text(HttpResponseStatus.OK, statusJson(status), "application/json")
                        : text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "{\"statusCode\": 500, \"message\": \"the refresh "
                                + "failed; see the log\"}\n", "application/json");
                send(ctx, keepAlive, r);
            });
        }
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse resp) {
        HttpUtil.setKeepAlive(resp, keepAlive);
        var f = ctx.writeAndFlush(resp);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The status records as JSON (no secret is in them). */
    static String statusJson(java.util.List<io.gatehouse.config.keyvault.KeyVaultStatus> items) {
        java.util.List<java.util.Map<String, Object>> out = new java.util.ArrayList<>();
        for (var s : items) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("kind", s.kind());
            m.put("id", s.id());
            m.put("vaultUrl", s.vaultUrl());
            m.put("secretName", s.secretName());
            m.put("pinnedVersion", s.pinnedVersion());
            m.put("versionInService", s.versionInService());
            m.put("lastRefresh", s.lastRefresh() == null ? null : s.lastRefresh().toString());
            m.put("lastError", s.lastError());
            out.add(m);
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(java.util.Map.of("items", out)) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Serving (always, while this answers), the config's content hash (the same on every gateway
     * serving the same files), its generation and when it went into service, how many reloads
     * went into service or were refused, and the last reload: refused ones say why, while the
     * previous config keeps serving.
     */
    private java.util.Map<String, Object> health() {
        java.util.Map<String, Object> h = new java.util.LinkedHashMap<>();
        h.put("status", "serving");
        h.put("configHash", gateway.configHash());
        h.put("configGeneration", gateway.generation());
        h.put("configLoadedAt", String.valueOf(gateway.loadedAt()));
        java.util.Map<String, Object> reloads = new java.util.LinkedHashMap<>();
        reloads.put("ok", gateway.reloadsOk());
        reloads.put("refused", gateway.reloadsRefused());
        h.put("reloads", reloads);
        Gateway.ReloadOutcome r = gateway.lastReload();
        if (r != null) {
            java.util.Map<String, Object> last = new java.util.LinkedHashMap<>();
            last.put("outcome", r.ok() ? "ok" : "refused");
            last.put("at", r.at().toString());
            if (r.reason() != null) {
                last.put("reason", r.reason());
            }
            h.put("lastReload", last);
        }
        java.util.Map<String, Object> cache = gateway.externalCacheHealth();
        if (cache != null) {
            h.put("externalCache", cache); // state up/down, endpoint host:port (never the password), why it is down
        }
        return h;
    }

    private static final com.fasterxml.jackson.databind.ObjectWriter JSON = new com.fasterxml.jackson.databind.ObjectMapper()
            .writerWithDefaultPrettyPrinter();

    private static FullHttpResponse json(Object value) {
        try {
            return text(HttpResponseStatus.OK, JSON.writeValueAsString(value) + "\n", "application/json");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "{\"statusCode\": 500, \"message\": \"Internal server error\"}\n", "application/json");
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body, String type) {
        ByteBuf buf = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, buf);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, buf.readableBytes());
        return r;
    }
}
