package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backend-side parser: what it makes of response bytes, whole, split anywhere, and broken. */
class UpstreamCodecTest {
    private final EmbeddedChannel ch = new EmbeddedChannel(new UpstreamCodec());

    /** A backend connection's codec that has sent one request, so the parser knows what the response answers. */
    static EmbeddedChannel afterRequest(HttpMethod method) {
        EmbeddedChannel c = new EmbeddedChannel(new UpstreamCodec());
        sent(c, method);
        return c;
    }

    private static void sent(EmbeddedChannel c, HttpMethod method) {
        c.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, "/x"));
        ByteBuf out;
        while ((out = c.readOutbound()) != null) {
            out.release();
        }
    }

    private void sent(HttpMethod method) {
        sent(ch, method);
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** A response as parsed: its head, its body as text, and whether its last part came. */
    private record Parsed(UpstreamResponse head, String body, boolean ended, LastHttpContent last) {
    }

    private List<Object> drain() {
        List<Object> all = new ArrayList<>();
        Object m;
        while ((m = ch.readInbound()) != null) {
            all.add(m);
        }
        return all;
    }

    private static Parsed parsed(List<Object> msgs) {
        UpstreamResponse head = null;
        StringBuilder body = new StringBuilder();
        LastHttpContent last = null;
        for (Object m : msgs) {
            if (m instanceof UpstreamResponse r && r.status().code() >= 200) {
                head = r;
            }
            if (m instanceof HttpContent c) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
                if (c instanceof LastHttpContent l) {
                    last = l;
                }
                c.release();
            }
        }
        return new Parsed(head, body.toString(), last != null, last);
    }

    private static String forClient(UpstreamResponse r, boolean close) {
        ByteBuf out = Unpooled.buffer();
        r.writeForDownstream(out, "rid-1", close);
        String s = out.toString(StandardCharsets.ISO_8859_1);
        out.release();
        return s;
    }

    private static final String PLAIN = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 5\r\nConnection: keep-alive\r\n\r\nhello";

    @Test
    void aContentLengthResponseIsItsHeadThenItsBody() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes(PLAIN));
        Parsed p = parsed(drain());
        assertThat(p.head().status()).isSameAs(HttpResponseStatus.OK);
        assertThat(p.head().keepAlive).isTrue();
        assertThat(p.body()).isEqualTo("hello");
        assertThat(p.ended()).isTrue();
        assertThat(forClient(p.head(), false)).isEqualTo("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 5\r\nx-request-id: rid-1\r\n\r\n");
        assertThat(p.head().headers().get("content-length")).isEqualTo("5");
        assertThat(p.head().headers().get("connection")).as("the headers as sent, for policies").isEqualTo("keep-alive");
    }

    @Test
    void theSameResponseSplitAtEveryByteParsesTheSame() {
        for (int cut = 1; cut < PLAIN.length(); cut++) {
            EmbeddedChannel c = afterRequest(HttpMethod.GET);
            c.writeInbound(bytes(PLAIN.substring(0, cut)));
            c.writeInbound(bytes(PLAIN.substring(cut)));
            List<Object> msgs = new ArrayList<>();
            Object m;
            while ((m = c.readInbound()) != null) {
                msgs.add(m);
            }
            Parsed p = parsed(msgs);
            assertThat(p.head()).as("split at %d", cut).isNotNull();
            assertThat(p.body()).as("split at %d", cut).isEqualTo("hello");
            assertThat(p.ended()).as("split at %d", cut).isTrue();
            assertThat(forClient(p.head(), false)).as("split at %d", cut).contains("Content-Length: 5\r\n");
        }
    }

    @Test
    void hopByHopHeadersAndThoseConnectionNamesStayOutOfTheClientsHead() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\n"
                + "Keep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers\r\nTrailer: X-Sum\r\nUpgrade: h2c\r\n"
                + "Proxy-Authenticate: Basic\r\nX-Request-Id: forged\r\nX-Kept:  padded value \t\r\n"
                + "Content-Length: 0\r\n\r\n"));
        Parsed p = parsed(drain());
        assertThat(forClient(p.head(), true)).isEqualTo("HTTP/1.1 200 OK\r\nX-Kept: padded value\r\n"
                + "Content-Length: 0\r\nx-request-id: rid-1\r\nconnection: close\r\n\r\n");
        assertThat(p.ended()).as("no body: the last part at once").isTrue();
    }

    @Test
    void connectionCloseAndHttp10EndTheUpstreamConnection() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
        assertThat(parsed(drain()).head().keepAlive).isFalse();
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        UpstreamResponse r = parsed(drain()).head();
        assertThat(r.keepAlive).isFalse();
        assertThat(r.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_0);
        assertThat(forClient(r, false)).startsWith("HTTP/1.1 200 OK\r\n");
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
        assertThat(parsed(drain()).head().keepAlive).isTrue();
    }

    @Test
    void aChunkedBodyIsItsChunksAndItsTrailers() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n"
                + "0\r\nX-Checksum: abc\r\nContent-Length: 99\r\n\r\n"));
        Parsed p = parsed(drain());
        assertThat(p.body()).isEqualTo("hello, chunked!");
        assertThat(p.head().chunked).isTrue();
        assertThat(p.last().trailingHeaders().get("x-checksum")).isEqualTo("abc");
        assertThat(p.last().trailingHeaders().contains("content-length")).as("framing fields in trailers").isFalse();
        assertThat(forClient(p.head(), false)).contains("Transfer-Encoding: chunked\r\n");
    }

    @Test
    void chunkedWinsOverContentLengthWhichTheClientNeverSees() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"));
        Parsed p = parsed(drain());
        assertThat(p.body()).isEqualTo("abcd");
        assertThat(forClient(p.head(), false)).doesNotContainIgnoringCase("content-length");
        assertThat(p.head().headers().contains("content-length")).isFalse();
    }

    @Test
    void headAndNoContentAndNotModifiedHaveNoBodyWhateverTheirHeadersSay() {
        sent(HttpMethod.HEAD);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"));
        Parsed head = parsed(drain());
        assertThat(head.ended()).isTrue();
        assertThat(head.body()).isEmpty();
        assertThat(forClient(head.head(), false)).contains("Content-Length: 1234\r\n");
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 50\r\n\r\n"));
        assertThat(parsed(drain()).ended()).isTrue();
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 204 No Content\r\n\r\n"));
        assertThat(parsed(drain()).ended()).isTrue();
        sent(HttpMethod.GET);
        ch.writeInbound(bytes(PLAIN));
        assertThat(parsed(drain()).body()).as("the next response on the connection").isEqualTo("hello");
    }

    @Test
    void interimResponsesComeFirstAndDoNotUseUpTheRequest() {
        sent(HttpMethod.HEAD);
        ch.writeInbound(bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"));
        List<Object> msgs = drain();
        assertThat(msgs).hasSize(4);
        assertThat(((UpstreamResponse) msgs.get(0)).status().code()).isEqualTo(100);
        assertThat(((UpstreamResponse) msgs.get(1)).status().code()).isEqualTo(103);
        Parsed p = parsed(msgs);
        assertThat(p.head().status().code()).isEqualTo(200);
        assertThat(p.ended()).as("still the HEAD's answer: no body").isTrue();
    }

    @Test
    void aBodyWithoutLengthRunsToTheCloseAndIsMarkedForRechunking() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, "));
        ch.writeInbound(bytes("part two"));
        List<Object> before = drain();
        Parsed open = parsed(before);
        assertThat(open.ended()).isFalse();
        assertThat(open.head().closeDelimited).isTrue();
        assertThat(open.head().keepAlive).isFalse();
        assertThat(forClient(open.head(), false)).endsWith("transfer-encoding: chunked\r\n\r\n");
        ch.finish();
        Parsed closed = parsed(drain());
        assertThat(open.body() + closed.body()).isEqualTo("part one, part two");
        assertThat(closed.ended()).as("the close ends the body").isTrue();
    }

    @Test
    void aBodyCutShortByTheCloseNeverEnds() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly fifty"));
        ch.finish();
        Parsed p = parsed(drain());
        assertThat(p.body()).isEqualTo("only fifty");
        assertThat(p.ended()).as("a short body must not look complete").isFalse();
    }

    @Test
    void aCustomReasonPhraseIsKeptAndTheUsualOneIsAConstant() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 299 Whatever Works\r\nContent-Length: 0\r\n\r\n"));
        UpstreamResponse r = parsed(drain()).head();
        assertThat(r.status().code()).isEqualTo(299);
        assertThat(r.status().reasonPhrase()).isEqualTo("Whatever Works");
        assertThat(forClient(r, false)).startsWith("HTTP/1.1 299 Whatever Works\r\n");
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
        assertThat(parsed(drain()).head().status()).isSameAs(HttpResponseStatus.NOT_FOUND);
    }

    @Test
    void repeatedHeadersKeepTheirOrder() {
        sent(HttpMethod.GET);
        ch.writeInbound(bytes("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty:\r\nContent-Length: 0\r\n\r\n"));
        UpstreamResponse r = parsed(drain()).head();
        assertThat(r.headers().getAll("set-cookie")).containsExactly("a=1", "b=2");
        assertThat(r.headers().get("x-empty")).isEmpty();
        assertThat(forClient(r, false)).contains("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty: \r\n");
    }

    @Test
    void refusedResponsesSayWhyAndTheRestIsIgnored() {
        String[][] cases = {
                {"HTTP/1.1 abc OK\r\n\r\n", "status line 'HTTP/1.1 abc OK'"},
                {"HTTP/2 200 OK\r\n\r\n", "status line"},
                {"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n", "Content-Length '12x'"},
                {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "more than one Content-Length"},
                {"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n", "folded header line"},
                {"HTTP/1.1 200 OK\r\nBad Name: secret-token\r\n\r\n", "not 'name: value' (it starts 'Bad')"},
                {"HTTP/1.1 200 OK\r\nSet-Cookie secret-token\r\n\r\n", "(it starts 'Set-Cookie')"},
                {"HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n", "control character"},
                {"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "101 Switching Protocols"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hexadecimal"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "chunk data longer than its size"},
                {"HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(UpstreamCodec.MAX_HEAD) + "\r\n\r\n", "head over"},
        };
        for (String[] c : cases) {
            EmbeddedChannel e = afterRequest(HttpMethod.GET);
            assertThatThrownBy(() -> e.writeInbound(bytes(c[0])))
                    .as(c[0]).isInstanceOf(DecoderException.class)
                    .hasMessageContaining("not valid HTTP/1.1").hasMessageContaining(c[1])
                    .hasMessageNotContaining("secret"); // a header's value never reaches the log
            Object m;
            while ((m = e.readInbound()) != null) { // a valid head before a broken body went on its way
                io.netty.util.ReferenceCountUtil.release(m);
            }
            e.writeInbound(bytes(PLAIN)); // once refused, nothing more is parsed on that connection
            while ((m = e.readInbound()) != null) {
                assertThat(m).as("after " + c[0]).isNotInstanceOf(UpstreamResponse.class);
                io.netty.util.ReferenceCountUtil.release(m);
            }
            e.finishAndReleaseAll();
        }
    }

    @Test
    void aLongHeadArrivingInSmallPiecesParses() {
        sent(HttpMethod.GET);
        String head = "HTTP/1.1 200 OK\r\n" + "X-Pad: " + "p".repeat(8000) + "\r\nContent-Length: 2\r\n\r\nok";
        for (int i = 0; i < head.length(); i += 7) {
            ch.writeInbound(bytes(head.substring(i, Math.min(head.length(), i + 7))));
        }
        Parsed p = parsed(drain());
        assertThat(p.body()).isEqualTo("ok");
        assertThat(p.head().headers().get("x-pad")).hasSize(8000);
    }
}
