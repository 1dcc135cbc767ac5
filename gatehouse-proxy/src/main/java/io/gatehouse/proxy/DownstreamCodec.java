package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/**
 * HTTP/1.1 with clients: Netty's request decoder and response encoder, kept in step as in its
 * {@code HttpServerCodec} (a HEAD's response has no body, whatever its headers say), plus one
 * path of our own: a backend's response head that nothing has touched ({@link Relayed}) is
 * written from its bytes, and its body framed here. (Netty's decoder refuses a request framed
 * by both Transfer-Encoding and Content-Length, so unlike {@code HttpServerCodec} there is no
 * close-after-response for them.)
 */
final class DownstreamCodec extends CombinedChannelDuplexHandler<DownstreamCodec.RequestDecoder, DownstreamCodec.ResponseEncoder> {
    /** The methods of requests read and not yet answered. */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    DownstreamCodec(HttpDecoderConfig config) {
        init(new RequestDecoder(config), new ResponseEncoder());
    }

    /**
     * A backend's response head for the client as it came, less its hop-by-hop headers, plus the
     * request id and, when asked, {@code Connection: close}.
     */
    record Relayed(UpstreamResponse response, String requestId, boolean close) {
    }

    final class RequestDecoder extends HttpRequestDecoder {
        RequestDecoder(HttpDecoderConfig config) {
            super(config);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            int before = out.size();
            super.decode(ctx, buffer, out);
            for (int i = before; i < out.size(); i++) {
                if (out.get(i) instanceof HttpRequest r) {
                    methods.add(r.method());
                }
            }
        }
    }

    private enum Body { NONE, AS_IS, CHUNKED }

    final class ResponseEncoder extends HttpResponseEncoder {
        private HttpMethod method;
        /** Set from a {@link Relayed} head until its last content: how its body is written. */
        private Body relaying;
        /**
         * A relayed head not written yet, with room for its small body: head and body go out as one
         * buffer (one entry in the TLS handler's queue, nothing for it to copy together).
         */
        private ByteBuf held;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof Relayed head) {
                writeHead(ctx, head, promise);
            } else if (relaying != null) {
                if (!(msg instanceof HttpContent c)) {
                    ReferenceCountUtil.release(msg);
                    throw new IllegalStateException("a response head before the relayed body ended: " + msg);
                }
                writeBody(ctx, c, promise);
            } else {
                super.write(ctx, msg, promise);
            }
        }

        private void writeHead(ChannelHandlerContext ctx, Relayed head, ChannelPromise promise) {
            method = methods.poll();
            UpstreamResponse r = head.response();
            int code = r.status().code();
            if (method == HttpMethod.HEAD || code == 204 || code == 304) {
                relaying = Body.NONE;
            } else {
                relaying = r.closeDelimited || r.chunked ? Body.CHUNKED : Body.AS_IS;
            }
            boolean hold = relaying == Body.AS_IS && r.contentLength <= MAX_HELD_BODY && promise.isVoid();
            ByteBuf buf = ctx.alloc().buffer(r.downstreamSizeHint(head.requestId()) + (hold ? (int) r.contentLength : 0));
            r.writeForDownstream(buf, head.requestId(), head.close());
            if (hold) {
                held = buf;
            } else {
                ctx.write(buf, promise);
            }
        }

        /** Writes the held head as it is: something other than its small body comes first. */
        private void writeHeld(ChannelHandlerContext ctx) {
            ByteBuf buf = held;
            if (buf != null) {
                held = null;
                ctx.write(buf, ctx.voidPromise());
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            writeHeld(ctx);
            ctx.flush();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            if (held != null) {
                held.release();
                held = null;
            }
            super.handlerRemoved(ctx);
        }

        private void writeBody(ChannelHandlerContext ctx, HttpContent c, ChannelPromise promise) {
            boolean last = c instanceof LastHttpContent;
            ByteBuf content = c.content();
            int n = content.readableBytes();
            switch (relaying) {
                case NONE -> {
                    c.release(); // a HEAD's, a 204's or a 304's: nothing goes out
                    ctx.write(Unpooled.EMPTY_BUFFER, promise);
                }
                case AS_IS -> {
                    if (held != null && promise.isVoid() && n <= held.writableBytes()) {
                        held.writeBytes(content);
                        c.release();
                        if (last) {
                            writeHeld(ctx);
                        }
                    } else {
                        writeHeld(ctx);
                        ctx.write(content, promise);
                    }
                }
                case CHUNKED -> {
                    if (n > 0) {
                        ByteBuf size = ctx.alloc().buffer(10);
                        size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
                        size.writeShort(CRLF);
                        ctx.write(size, ctx.voidPromise());
                        ctx.write(content, ctx.voidPromise());
                    } else {
                        c.release();
                    }
                    HttpHeaders trailers = last ? ((LastHttpContent) c).trailingHeaders() : null;
                    ByteBuf end = ctx.alloc().buffer(last ? 7 + 64 * trailers.size() : 2);
                    if (n > 0) {
                        end.writeShort(CRLF);
                    }
                    if (last) {
                        end.writeByte('0').writeShort(CRLF);
                        for (Map.Entry<String, String> t : trailers) {
                            end.writeCharSequence(t.getKey(), StandardCharsets.ISO_8859_1);
                            end.writeShort(COLON_SP);
                            end.writeCharSequence(t.getValue(), StandardCharsets.ISO_8859_1);
                            end.writeShort(CRLF);
                        }
                        end.writeShort(CRLF);
                    }
                    ctx.write(end, promise);
                }
            }
            if (last) {
                relaying = null;
            }
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpResponse msg) {
            if (msg.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg); // 100 Continue answers no request yet
            }
            method = methods.poll();
            return method == HttpMethod.HEAD || super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
            if (!isAlwaysEmpty && method == HttpMethod.CONNECT && msg.status().codeClass() == HttpStatusClass.SUCCESS) {
                msg.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // RFC 9110 9.3.6: a tunnel has no framing
                return;
            }
            super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
        }
    }

    private static final int CRLF = ('\r' << 8) | '\n';
    /** The largest body that goes out in its head's buffer. */
    private static final int MAX_HELD_BODY = 4096;
    private static final int COLON_SP = (':' << 8) | ' ';
}
