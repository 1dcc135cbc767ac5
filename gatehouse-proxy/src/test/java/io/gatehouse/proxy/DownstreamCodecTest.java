package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client-side codec: relayed heads written from their bytes and their bodies framed, Netty's
 * encoding for everything else, and the two kept in step on one connection.
 */
class DownstreamCodecTest {
    private final EmbeddedChannel client = new EmbeddedChannel(new DownstreamCodec(new HttpDecoderConfig()));

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** The client sends these requests; returns what the decoder made of them (released). */
    private List<String> requests(String raw) {
        client.writeInbound(bytes(raw));
        List<String> methods = new ArrayList<>();
        Object m;
        while ((m = client.readInbound()) != null) {
            if (m instanceof HttpRequest r) {
                methods.add(r.method().name());
            }
            ReferenceCountUtil.release(m);
        }
        return methods;
    }

    /** A backend's response as the upstream parser hands it on, for the request sent with {@code method}. */
    private static List<HttpObject> backend(HttpMethod method, String raw) {
        EmbeddedChannel up = UpstreamCodecTest.afterRequest(method);
        up.writeInbound(bytes(raw));
        up.finish();
        List<HttpObject> out = new ArrayList<>();
        Object m;
        while ((m = up.readInbound()) != null) {
            out.add((HttpObject) m);
        }
        return out;
    }

    /** Relays a parsed backend response to the client and returns the bytes the client gets. */
    private String relay(List<HttpObject> parsed, boolean close) {
        for (HttpObject o : parsed) {
            if (o instanceof UpstreamResponse r) {
                client.writeOutbound(new DownstreamCodec.Relayed(r, "rid", close));
            } else {
                client.writeOutbound(o);
            }
        }
        return written();
    }

    private void relayAsTheGatewayDoes(List<HttpObject> parsed) {
        for (HttpObject o : parsed) {
            client.write(o instanceof UpstreamResponse r ? new DownstreamCodec.Relayed(r, "rid", false) : o,
                    client.voidPromise());
        }
        client.flush();
    }

    private String written() {
        StringBuilder s = new StringBuilder();
        ByteBuf b;
        while ((b = client.readOutbound()) != null) {
            s.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return s.toString();
    }

    @Test
    void aContentLengthResponseGoesOutAsItCameLessItsHopByHopHeaders() {
        assertThat(requests("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")).containsExactly("GET");
        String out = relay(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=4\r\nContent-Type: text/plain\r\n\r\nhello"), false);
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n"
                + "x-request-id: rid\r\n\r\nhello");
    }

    @Test
    void aSmallBodyWrittenAsTheGatewayDoesGoesOutInItsHeadsBuffer() {
        requests("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        // the exchange writes with void promises, then flushes once
        relayAsTheGatewayDoes(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
        ByteBuf one = client.readOutbound();
        assertThat(one.toString(StandardCharsets.ISO_8859_1))
                .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nx-request-id: rid\r\n\r\nhello");
        one.release();
        assertThat((Object) client.readOutbound()).as("one buffer for head and body").isNull();
        // a body over the limit goes out after its head, not copied
        String big = "b".repeat(5000);
        relayAsTheGatewayDoes(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big));
        List<String> parts = new ArrayList<>();
        ByteBuf b;
        while ((b = client.readOutbound()) != null) {
            parts.add(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        assertThat(parts.get(0)).endsWith("\r\n\r\n");
        assertThat(String.join("", parts.subList(1, parts.size()))).isEqualTo(big);
    }

    @Test
    void aChunkedResponseIsRechunkedWithItsTrailers() {
        requests("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        String out = relay(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Sum: 9\r\n\r\n"), false);
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-request-id: rid\r\n\r\n"
                + "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Sum: 9\r\n\r\n");
    }

    @Test
    void aBodyThatRanToTheCloseIsChunkedForTheClientAndTheClientConnectionCanClose() {
        requests("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        String out = relay(backend(HttpMethod.GET, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"), true);
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-request-id: rid\r\n"
                + "connection: close\r\ntransfer-encoding: chunked\r\n\r\nd\r\nuntil the end\r\n0\r\n\r\n");
    }

    @Test
    void aHeadResponseHasNoBodyEvenWhenTheBackendSentOne() {
        requests("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n");
        // a policy may turn the client's HEAD into a GET: the backend's body must not reach the client
        String out = relay(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"), false);
        assertThat(out).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nx-request-id: rid\r\n\r\n");
    }

    @Test
    void relayedAndEncodedResponsesShareOneConnectionInTheRightOrder() {
        // pipelined: GET, HEAD, GET; answered relayed, encoded by Netty (HEAD, chunked), relayed
        assertThat(requests("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")).containsExactly("GET", "HEAD", "GET");
        String first = relay(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), false);
        assertThat(first).endsWith("\r\n\r\nok");
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set("transfer-encoding", "chunked");
        client.writeOutbound(head, new DefaultHttpContent(bytes("never")), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(written()).as("Netty's encoder knows the second request was a HEAD")
                .isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        String third = relay(backend(HttpMethod.GET, "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nnew"), false);
        assertThat(third).isEqualTo("HTTP/1.1 201 Created\r\nContent-Length: 3\r\nx-request-id: rid\r\n\r\nnew");
    }

    @Test
    void anEncodedResponseAfterARelayedOneIsEncodedAsUsual() {
        requests("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
        relay(backend(HttpMethod.GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"), false);
        DefaultFullHttpResponse error = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY,
                bytes("{}"));
        error.headers().set("content-length", 2);
        client.writeOutbound(error);
        assertThat(written()).isEqualTo("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 2\r\n\r\n{}");
    }

    @Test
    void aRequestFramedTwiceIsRefused() {
        // Netty's decoder refuses it, HTTP/1.0 or 1.1 (the gateway answers 400 and closes)
        client.writeInbound(bytes("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"));
        HttpRequest refused = client.readInbound();
        assertThat(refused.decoderResult().isFailure()).isTrue();
        assertThat(refused.decoderResult().cause()).hasMessageContaining("Content-Length");
    }

    @Test
    void largeBodiesPassThroughInParts() {
        requests("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        String raw = "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n"
                + new String(body, StandardCharsets.ISO_8859_1);
        List<HttpObject> parsed = new ArrayList<>();
        EmbeddedChannel up = UpstreamCodecTest.afterRequest(HttpMethod.GET);
        for (int i = 0; i < raw.length(); i += 16_384) {
            up.writeInbound(bytes(raw.substring(i, Math.min(raw.length(), i + 16_384))));
        }
        Object m;
        while ((m = up.readInbound()) != null) {
            parsed.add((HttpObject) m);
        }
        assertThat(parsed.stream().filter(o -> o instanceof HttpContent).count()).isGreaterThan(1);
        assertThat(parsed.get(parsed.size() - 1)).isInstanceOf(LastHttpContent.class);
        String out = relay(parsed, false);
        assertThat(out.substring(out.indexOf("\r\n\r\n") + 4)).isEqualTo(new String(body, StandardCharsets.ISO_8859_1));
    }
}
