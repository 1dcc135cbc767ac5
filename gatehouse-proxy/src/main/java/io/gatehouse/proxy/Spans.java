package io.gatehouse.proxy;

import io.gatehouse.proxy.telemetry.BackendCall;
import io.gatehouse.proxy.telemetry.ExchangeSpan;
import io.gatehouse.proxy.telemetry.Tracing;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * What the request path tells OpenTelemetry ({@code io.gatehouse.proxy.telemetry}), read from the
 * proxy's own types. Called only when the config in service has telemetry on: the hooks in
 * {@link DownstreamHandler} and {@link PolicyPath} test {@code GatewaySnapshot.tracing} or the
 * exchange's span for null first, so with telemetry off none of this runs.
 */
final class Spans {
    private Spans() {
    }

    /** A connection's span attributes (peer, TLS handshake, client certificate) and its local port. */
    private record ConnectionInfo(io.opentelemetry.api.common.Attributes attributes, int localPort) {
    }

    /** Made on a connection's first traced request. */
    private static final AttributeKey<ConnectionInfo> CONNECTION = AttributeKey.valueOf("gatehouse.spanConnection");

    /** The SERVER span of a request whose head was just read. */
    static ExchangeSpan start(Tracing tracing, DownstreamExchange e, HttpRequest req, Channel connection, boolean tls,
                              boolean http2) {
        Attribute<ConnectionInfo> a = connection.attr(CONNECTION);
        ConnectionInfo c = a.get();
        if (c == null) {
            SocketAddress peer = connection.remoteAddress();
            c = new ConnectionInfo(Tracing.connection(peer instanceof InetSocketAddress i ? i : null,
                    tls ? DownstreamInitializer.handshake(connection) : null),
                    connection.localAddress() instanceof InetSocketAddress l ? l.getPort() : 0);
            a.set(c);
        }
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q >= 0 ? uri.substring(0, q) : uri;
        String version = http2 ? "2" : req.protocolVersion() == HttpVersion.HTTP_1_0 ? "1.0" : "1.1";
        return tracing.server(req.headers(), req.method().name(), tls, path, c.localPort(), version, c.attributes(),
                e.requestId, e.startNanos);
    }

    /** The request matched {@code m}: the span's route is the operation's URL template under the API's path, or the API's path. */
    static void routed(ExchangeSpan span, Router.Match m) {
        String prefix = m.api().prefix();
        String route;
        if (m.operation() != null) {
            String template = m.operation().config().urlTemplate();
            route = prefix + (template == null || template.isEmpty() ? "" : template.startsWith("/") ? template : "/" + template);
            if (route.isEmpty()) {
                route = "/";
            }
        } else {
            route = prefix + "/*";
        }
        span.routed(route, m.api().config().id(), m.operation() == null ? null : m.operation().config().id());
    }

    /** The plain path's call to {@code target} with {@code head}, whose traceparent becomes the call's. */
    static void relay(ExchangeSpan span, UpstreamTarget target, HttpRequest head) {
        span.relay(target.id(), head.method().name(), target.url().getScheme(), target.host(), target.port(),
                target.authority(), head.uri(), head.headers());
    }

    /** A forward-request's call to {@code target} with {@code req}, whose traceparent becomes the call's. */
    static BackendCall forward(ExchangeSpan span, UpstreamTarget target, HttpRequest req) {
        return span.backend(target.id(), req.method().name(), target.url().getScheme(), target.host(), target.port(),
                target.authority(), req.uri(), req.headers());
    }
}
