package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An HTTP/2 client that writes frames byte by byte over a socket the test opened (TLS with ALPN
 * h2), so a test can send what no well-behaved client library would: any header name or value,
 * pseudo-headers in any order, DATA longer than Content-Length, trailers with anything in them.
 * Header blocks are HPACK-encoded without validation by Netty's encoder; the responses' blocks are
 * decoded by Netty's decoder. One request at a time, on odd stream ids from 1.
 */
final class RawH2Client implements AutoCloseable {
    static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8;
    static final int END_STREAM = 1, END_HEADERS = 4, ACK = 1;

    /** What came back for one stream: the response, or how the stream or connection ended. */
    record Result(int status, Map<String, String> headers, String body, int resetCode, int goAwayCode, boolean closed) {
        boolean refused() {
            return status == 0 || status == 400;
        }

        @Override
        public String toString() {
            return "status " + status + (resetCode >= 0 ? ", RST_STREAM " + resetCode : "")
                    + (goAwayCode >= 0 ? ", GOAWAY " + goAwayCode : "") + (closed ? ", connection closed" : "")
                    + ", body '" + body + "'";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersEncoder encoder =
            new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, true);
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
    private int nextStream = 1;

    RawH2Client(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(5000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        frame(SETTINGS, 0, 0, new byte[0]);
        out.flush();
    }

    /** Headers in order, with no checks: pairs of name and value. */
    static Http2Headers headers(String... namesAndValues) {
        Http2Headers h = new DefaultHttp2Headers(false);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            h.add(namesAndValues[i], namesAndValues[i + 1]);
        }
        return h;
    }

    /**
     * Sends one request: its header block, {@code body} as DATA frames (none when null) and
     * {@code trailers} (none when null), then reads until the stream ends, is reset, or the
     * connection goes away.
     */
    Result exchange(Http2Headers head, byte[] body, Http2Headers trailers) throws IOException {
        int stream = nextStream;
        nextStream += 2;
        boolean endAfterHead = body == null && trailers == null;
        frame(HEADERS, END_HEADERS | (endAfterHead ? END_STREAM : 0), stream, encode(stream, head));
        if (body != null) {
            frame(DATA, trailers == null ? END_STREAM : 0, stream, body);
        }
        if (trailers != null) {
            frame(HEADERS, END_HEADERS | END_STREAM, stream, encode(stream, trailers));
        }
        out.flush();
        return read(stream);
    }

    /** Opens a stream with {@code head} and leaves it open for {@link #data}; its id. */
    int open(Http2Headers head) throws IOException {
        int stream = nextStream;
        nextStream += 2;
        frame(HEADERS, END_HEADERS, stream, encode(stream, head));
        out.flush();
        return stream;
    }

    /** Sends DATA on an open stream, ending it when {@code end}. */
    void data(int stream, byte[] bytes, boolean end) throws IOException {
        frame(DATA, end ? END_STREAM : 0, stream, bytes);
        out.flush();
    }

    /** Reads until {@code stream} ends, is reset, or the connection goes away. */
    Result await(int stream) throws IOException {
        return read(stream);
    }

    private byte[] encode(int stream, Http2Headers h) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        try {
            encoder.encodeHeaders(stream, h, buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } catch (Http2Exception e) {
            throw new IOException(e);
        } finally {
            buf.release();
        }
    }

    private void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        int n = payload.length;
        out.write(new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type, (byte) flags,
                (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream});
        out.write(payload);
    }

    private Result read(int stream) throws IOException {
        int status = 0;
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            int len;
            int type;
            int flags;
            int id;
            byte[] payload;
            try {
                len = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                type = in.readUnsignedByte();
                flags = in.readUnsignedByte();
                id = in.readInt() & 0x7fffffff;
                payload = new byte[len];
                in.readFully(payload);
            } catch (EOFException | SocketTimeoutException | java.net.SocketException end) {
                return new Result(status, headers, body.toString(StandardCharsets.UTF_8), -1, -1, true);
            }
            switch (type) {
                case SETTINGS -> {
                    if ((flags & ACK) == 0) {
                        frame(SETTINGS, ACK, 0, new byte[0]);
                        out.flush();
                    }
                }
                case PING -> {
                    if ((flags & ACK) == 0) {
                        frame(PING, ACK, 0, payload);
                        out.flush();
                    }
                }
                case GOAWAY -> {
                    int code = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                            | (payload[7] & 0xff);
                    return new Result(status, headers, body.toString(StandardCharsets.UTF_8), -1, code, false);
                }
                case RST_STREAM -> {
                    if (id == stream) {
                        int code = ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16) | ((payload[2] & 0xff) << 8)
                                | (payload[3] & 0xff);
                        return new Result(status, headers, body.toString(StandardCharsets.UTF_8), code, -1, false);
                    }
                }
                case HEADERS -> {
                    if (id == stream) {
                        Http2Headers h;
                        ByteBuf block = Unpooled.wrappedBuffer(payload);
                        try {
                            h = decoder.decodeHeaders(id, block);
                        } catch (Http2Exception e) {
                            throw new IOException(e);
                        } finally {
                            block.release();
                        }
                        for (Map.Entry<CharSequence, CharSequence> e : h) {
                            headers.put(e.getKey().toString(), e.getValue().toString());
                        }
                        if (h.status() != null) {
                            status = Integer.parseInt(h.status().toString());
                        }
                        if ((flags & END_STREAM) != 0) {
                            return new Result(status, headers, body.toString(StandardCharsets.UTF_8), -1, -1, false);
                        }
                    }
                }
                case DATA -> {
                    if (id == stream) {
                        body.write(payload);
                        if ((flags & END_STREAM) != 0) {
                            return new Result(status, headers, body.toString(StandardCharsets.UTF_8), -1, -1, false);
                        }
                    }
                }
                default -> {
                    // WINDOW_UPDATE and the rest: nothing to do for one small request
                }
            }
        }
    }

    /** A fresh list of the pairs, for building variations of a request. */
    static List<String> pairs(String... namesAndValues) {
        return new ArrayList<>(List.of(namesAndValues));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
