package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * HTTP/1.1 to a backend: Netty's encoder for requests, and our own parser for responses, which
 * hands on {@link UpstreamResponse} heads (bytes parsed once, no header map) followed by the body
 * as {@code HttpContent}, the last one a {@code LastHttpContent}, as Netty's decoder does.
 *
 * <p>A response the gateway cannot relay faithfully is refused, with the reason, as a
 * {@link DecoderException}: a malformed status or header line, a folded header line (RFC 9112
 * 5.2 lets a proxy refuse them), more than one Content-Length, a head over {@link #MAX_HEAD}
 * bytes, a chunk size that is not hexadecimal, {@code 101 Switching Protocols} (the gateway
 * never asks for an upgrade). After that the connection is good for nothing and is closed.
 */
final class UpstreamCodec extends CombinedChannelDuplexHandler<UpstreamCodec.ResponseParser, UpstreamCodec.RequestWriter> {
    /** The status line and header section together, like Netty's limits of 4 KiB and 16 KiB before. */
    static final int MAX_HEAD = 20 * 1024;
    private static final int MAX_LINE = 8 * 1024;

    /** The methods of requests sent and not yet answered: a HEAD's response has no body. */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

    UpstreamCodec() {
        init(new ResponseParser(), new RequestWriter());
    }

    final class RequestWriter extends HttpRequestEncoder {
        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
            methods.add(request.method());
            super.encodeInitialLine(buf, request);
        }
    }

    private enum State { HEAD, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, UNTIL_CLOSE, BROKEN }

    final class ResponseParser extends ByteToMessageDecoder {
        private State state = State.HEAD;
        private long remaining;
        private int scanned; // bytes of the head already searched for its end, from the reader index
        private HttpHeaders trailers;
        private int trailerBytes;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (in.isReadable()) {
                switch (state) {
                    case HEAD -> {
                        if (!readHead(in, out)) {
                            return;
                        }
                    }
                    case FIXED -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        ByteBuf part = in.readRetainedSlice(n);
                        remaining -= n;
                        if (remaining == 0) {
                            out.add(new DefaultLastHttpContent(part, EmptyHttpHeaders.INSTANCE));
                            state = State.HEAD;
                        } else {
                            out.add(new DefaultHttpContent(part));
                        }
                    }
                    case CHUNK_SIZE -> {
                        int eol = lineEnd(in);
                        if (eol < 0) {
                            return;
                        }
                        remaining = chunkSize(in, in.readerIndex(), eol);
                        in.readerIndex(eol + 1);
                        state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
                    }
                    case CHUNK_DATA -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                        remaining -= n;
                        if (remaining == 0) {
                            state = State.CHUNK_END;
                        }
                    }
                    case CHUNK_END -> {
                        int eol = lineEnd(in);
                        if (eol < 0) {
                            return;
                        }
                        if (eol - in.readerIndex() > 1 || (eol > in.readerIndex() && in.getByte(in.readerIndex()) != '\r')) {
                            throw refuse("chunk data longer than its size");
                        }
                        in.readerIndex(eol + 1);
                        state = State.CHUNK_SIZE;
                    }
                    case TRAILERS -> {
                        if (!readTrailer(in, out)) {
                            return;
                        }
                    }
                    case UNTIL_CLOSE -> out.add(new DefaultHttpContent(in.readRetainedSlice(in.readableBytes())));
                    case BROKEN -> {
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                }
            }
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            if (in.isReadable()) {
                decode(ctx, in, out);
            }
            if (state == State.UNTIL_CLOSE) {
                out.add(LastHttpContent.EMPTY_LAST_CONTENT); // the close ends the body
                state = State.HEAD;
            }
            // anything else cut short is no response: the exchange sees the connection close
        }

        private DecoderException refuse(String why) {
            state = State.BROKEN;
            return new DecoderException("the backend's response is not valid HTTP/1.1: " + why);
        }

        /** The index of the next LF from the reader index, or -1 (refused when a line runs too long). */
        private int lineEnd(ByteBuf in) {
            int eol = in.indexOf(in.readerIndex(), in.writerIndex(), (byte) '\n');
            if (eol < 0 && in.readableBytes() > MAX_LINE) {
                throw refuse("a line over " + MAX_LINE + " bytes");
            }
            return eol;
        }

        private long chunkSize(ByteBuf in, int from, int eol) {
            long size = 0;
            int digits = 0;
            for (int i = from; i < eol; i++) {
                int c = in.getByte(i);
                int v = Character.digit(c, 16);
                if (v < 0) {
                    if (digits > 0 && (c == ';' || c == ' ' || c == '\t' || c == '\r')) {
                        break; // chunk extensions are ignored, as RFC 9112 7.1.1 allows
                    }
                    throw refuse("a chunk size that is not hexadecimal");
                }
                if (++digits > 15) {
                    throw refuse("a chunk size over 15 hexadecimal digits");
                }
                size = size << 4 | v;
            }
            if (digits == 0) {
                throw refuse("an empty chunk size line");
            }
            return size;
        }

        private boolean readTrailer(ByteBuf in, List<Object> out) {
            while (true) {
                int eol = lineEnd(in);
                if (eol < 0) {
                    return false;
                }
                int from = in.readerIndex();
                int end = eol > from && in.getByte(eol - 1) == '\r' ? eol - 1 : eol;
                in.readerIndex(eol + 1);
                if (end == from) {
                    HttpHeaders t = trailers;
                    trailers = null;
                    trailerBytes = 0;
                    out.add(t == null ? LastHttpContent.EMPTY_LAST_CONTENT
                            : new DefaultLastHttpContent(io.netty.buffer.Unpooled.EMPTY_BUFFER, t));
                    state = State.HEAD;
                    return true;
                }
                trailerBytes += eol + 1 - from;
                if (trailerBytes > MAX_HEAD) {
                    throw refuse("trailer fields over " + MAX_HEAD + " bytes");
                }
                byte[] line = new byte[end - from];
                in.getBytes(from, line);
                int colon = nameEnd(line, 0, line.length);
                int vs = skipSpace(line, colon + 1, line.length);
                int ve = trimEnd(line, vs, line.length);
                checkValue(line, vs, ve);
                // framing and hop-by-hop fields, and the request id, mean nothing in trailers
                // (RFC 9110 6.5.1): dropped, as they are from the head
                if (!is(line, 0, colon, CONTENT_LENGTH) && !is(line, 0, colon, TRANSFER_ENCODING)
                        && !is(line, 0, colon, CONNECTION) && !dropped(line, 0, colon)) {
                    if (trailers == null) {
                        trailers = new DefaultHttpHeaders();
                    }
                    trailers.add(new String(line, 0, colon, StandardCharsets.ISO_8859_1),
                            new String(line, vs, ve - vs, StandardCharsets.ISO_8859_1));
                }
            }
        }

        /** Reads one response head when it is all there; false when more bytes are needed. */
        private boolean readHead(ByteBuf in, List<Object> out) {
            // a stray empty line before the status line is tolerated (RFC 9112 2.2)
            while (in.isReadable() && (in.getByte(in.readerIndex()) == '\r' || in.getByte(in.readerIndex()) == '\n')) {
                in.skipBytes(1);
                scanned = 0;
            }
            int start = in.readerIndex();
            int end = headEnd(in, start);
            if (end < 0) {
                if (in.readableBytes() > MAX_HEAD) {
                    throw refuse("a response head over " + MAX_HEAD + " bytes");
                }
                return false;
            }
            scanned = 0;
            if (end - start > MAX_HEAD) {
                throw refuse("a response head over " + MAX_HEAD + " bytes");
            }
            byte[] head = new byte[end - start];
            in.getBytes(start, head);
            in.readerIndex(end);
            parseHead(head, out);
            return true;
        }

        /** The index just past the blank line that ends the head, or -1. */
        private int headEnd(ByteBuf in, int start) {
            int limit = in.writerIndex();
            int i = start + Math.max(0, scanned - 3);
            while (true) {
                int lf = in.indexOf(i, limit, (byte) '\n');
                if (lf < 0) {
                    scanned = limit - start;
                    return -1;
                }
                if (lf + 1 < limit && in.getByte(lf + 1) == '\n') {
                    return lf + 2;
                }
                if (lf + 2 < limit && in.getByte(lf + 1) == '\r' && in.getByte(lf + 2) == '\n') {
                    return lf + 3;
                }
                if (lf + 2 >= limit) {
                    scanned = lf - start; // the blank line may still be arriving
                    return -1;
                }
                i = lf + 1;
            }
        }

        private void parseHead(byte[] b, List<Object> out) {
            int n = b.length;
            int eol = indexOf(b, 0, n, (byte) '\n');
            int lineEnd = eol > 0 && b[eol - 1] == '\r' ? eol - 1 : eol;
            // status line: HTTP/1.x SP 3DIGIT [SP reason]
            if (lineEnd < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/'
                    || b[5] != '1' || b[6] != '.' || (b[7] != '1' && b[7] != '0') || b[8] != ' '
                    || !digit(b[9]) || !digit(b[10]) || !digit(b[11]) || (lineEnd > 12 && b[12] != ' ')) {
                throw refuse("status line '" + printable(b, 0, lineEnd) + "'");
            }
            HttpVersion version = b[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
            int code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
            if (code < 100) {
                throw refuse("status code " + code);
            }
            int reasonStart = Math.min(13, lineEnd);
            checkValue(b, reasonStart, lineEnd); // the reason phrase: the same characters as a field value
            HttpResponseStatus status = status(code, b, reasonStart, lineEnd);

            int[] fields = new int[8 * UpstreamResponse.SLOTS];
            int count = 0;
            long contentLength = -1;
            int transferEncoding = -1; // the last Transfer-Encoding line
            int connection = -1;
            int pos = eol + 1;
            while (pos < n) {
                int lf = indexOf(b, pos, n, (byte) '\n');
                int le = lf > pos && b[lf - 1] == '\r' ? lf - 1 : lf;
                if (le == pos) {
                    break; // the blank line
                }
                if (b[pos] == ' ' || b[pos] == '\t') {
                    throw refuse("a folded header line (obs-fold)");
                }
                int colon = nameEnd(b, pos, le);
                int vs = skipSpace(b, colon + 1, le);
                int ve = trimEnd(b, vs, le);
                checkValue(b, vs, ve);
                if (count * UpstreamResponse.SLOTS == fields.length) {
                    fields = java.util.Arrays.copyOf(fields, fields.length * 2);
                }
                int f = count * UpstreamResponse.SLOTS;
                fields[f] = pos;
                fields[f + 1] = colon;
                fields[f + 2] = vs;
                fields[f + 3] = ve;
                fields[f + 4] = UpstreamResponse.KEEP;
                int len = colon - pos;
                if (is(b, pos, len, CONTENT_LENGTH)) {
                    if (contentLength >= 0) {
                        throw refuse("more than one Content-Length");
                    }
                    contentLength = contentLength(b, vs, ve);
                } else if (is(b, pos, len, TRANSFER_ENCODING)) {
                    transferEncoding = f;
                } else if (is(b, pos, len, CONNECTION)) {
                    connection = f;
                    fields[f + 4] = UpstreamResponse.DROP;
                } else if (dropped(b, pos, len)) {
                    fields[f + 4] = UpstreamResponse.DROP;
                }
                count++;
                pos = lf + 1;
            }

            int tokens = 0;
            if (connection >= 0) {
                for (int i = 0; i < count; i++) { // every Connection line: close, keep-alive, the headers it names
                    int f = i * UpstreamResponse.SLOTS;
                    if (is(b, fields[f], fields[f + 1] - fields[f], CONNECTION)) {
                        tokens |= connectionTokens(b, fields[f + 2], fields[f + 3], fields, count);
                    }
                }
            }
            boolean close = (tokens & CLOSE_TOKEN) != 0
                    || (version == HttpVersion.HTTP_1_0 && (tokens & KEEP_ALIVE_TOKEN) == 0);
            if (code >= 100 && code < 200) {
                if (code == 101) {
                    throw refuse("101 Switching Protocols, which the gateway never asks for");
                }
                out.add(new UpstreamResponse(version, status, b, reasonStart, lineEnd, fields, count, true, -1, false, false));
                return; // an interim response: the final one follows
            }
            HttpMethod method = methods.poll();
            boolean chunked = false;
            if (transferEncoding >= 0) {
                chunked = lastTokenIsChunked(b, fields[transferEncoding + 2], fields[transferEncoding + 3]);
                if (!chunked) {
                    // a coding without chunked: the body runs to the close (RFC 9112 6.3), chunked for the client
                    voidAll(b, fields, count, TRANSFER_ENCODING);
                }
                if (contentLength >= 0) {
                    // RFC 9112 6.3: Transfer-Encoding wins, the length goes; the connection may be out
                    // of step with the backend (a smuggling attempt, or a broken server): not used again
                    voidAll(b, fields, count, CONTENT_LENGTH);
                    contentLength = -1;
                    close = true;
                }
            }
            boolean noBody = method == HttpMethod.HEAD || code == 204 || code == 304;
            boolean closeDelimited = !noBody && !chunked && contentLength < 0;
            out.add(new UpstreamResponse(version, status, b, reasonStart, lineEnd, fields, count,
                    !close && !closeDelimited, noBody ? -1 : contentLength, chunked && !noBody, closeDelimited));
            if (noBody || contentLength == 0) {
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                state = State.HEAD;
            } else if (chunked) {
                state = State.CHUNK_SIZE;
            } else if (contentLength > 0) {
                remaining = contentLength;
                state = State.FIXED;
            } else {
                state = State.UNTIL_CLOSE;
            }
        }

        /** Marks the headers a Connection value names as dropped; returns the close and keep-alive tokens seen. */
        private int connectionTokens(byte[] b, int from, int to, int[] fields, int count) {
            int seen = 0;
            int i = from;
            while (i < to) {
                int ts = skipSpace(b, i, to);
                int comma = indexOf(b, ts, to, (byte) ',');
                int te = trimEnd(b, ts, comma);
                int len = te - ts;
                if (is(b, ts, len, CLOSE)) {
                    seen |= CLOSE_TOKEN;
                } else if (is(b, ts, len, KEEP_ALIVE)) {
                    seen |= KEEP_ALIVE_TOKEN;
                } else if (len > 0 && !is(b, ts, len, CONTENT_LENGTH) && !is(b, ts, len, TRANSFER_ENCODING)) {
                    // (the framing headers stay whatever Connection says: the body follows them)
                    for (int k = 0; k < count; k++) {
                        int f = k * UpstreamResponse.SLOTS;
                        if (sameIgnoringCase(b, fields[f], fields[f + 1] - fields[f], b, ts, len)) {
                            fields[f + 4] = UpstreamResponse.DROP;
                        }
                    }
                }
                i = comma + 1;
            }
            return seen;
        }

        private static void voidAll(byte[] b, int[] fields, int count, byte[] name) {
            for (int k = 0; k < count; k++) {
                int f = k * UpstreamResponse.SLOTS;
                if (is(b, fields[f], fields[f + 1] - fields[f], name)) {
                    fields[f + 4] = UpstreamResponse.VOID;
                }
            }
        }

        private long contentLength(byte[] b, int from, int to) {
            if (from == to || to - from > 18) {
                throw refuse("Content-Length '" + printable(b, from, to) + "'");
            }
            long v = 0;
            for (int i = from; i < to; i++) {
                if (!digit(b[i])) {
                    throw refuse("Content-Length '" + printable(b, from, to) + "'");
                }
                v = v * 10 + (b[i] - '0');
            }
            return v;
        }

        /** The end of the header name, at its colon; refused unless the name is a token. */
        private int nameEnd(byte[] b, int from, int to) {
            int i = from;
            while (i < to && TOKEN[b[i] & 0xFF]) {
                i++;
            }
            if (i == from || i == to || b[i] != ':') {
                // the name part only: a value may carry a cookie or a token, which the log must not
                throw refuse("a header line that is not 'name: value' (it starts '" + printable(b, from, i) + "')");
            }
            return i;
        }

        /** Field values may hold visible characters, spaces, tabs and obs-text, no other control. */
        private void checkValue(byte[] b, int from, int to) {
            for (int i = from; i < to; i++) {
                int c = b[i] & 0xFF;
                if ((c < 0x20 && c != '\t') || c == 0x7F) {
                    throw refuse("a control character in the reason phrase or a header value");
                }
            }
        }
    }

    /** The status, a constant when the reason phrase is the usual one (nothing made per response). */
    private static HttpResponseStatus status(int code, byte[] b, int from, int to) {
        HttpResponseStatus known = HttpResponseStatus.valueOf(code);
        String phrase = known.reasonPhrase();
        boolean same = phrase.length() == to - from;
        for (int i = 0; same && i < to - from; i++) {
            same = phrase.charAt(i) == b[from + i];
        }
        return same ? known : new HttpResponseStatus(code, new String(b, from, to - from, StandardCharsets.ISO_8859_1));
    }

    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final int CLOSE_TOKEN = 1;
    private static final int KEEP_ALIVE_TOKEN = 2;
    /** Hop-by-hop (RFC 9110 7.6.1), what HTTP/2 conversion leaves behind, and the request id the gateway sets. */
    private static final byte[][] DROPPED = {
            ascii("keep-alive"), ascii("proxy-authenticate"), ascii("proxy-authorization"), ascii("proxy-connection"),
            ascii("te"), ascii("trailer"), ascii("upgrade"), ascii("x-request-id"), ascii("x-http2-scheme"),
            ascii("x-http2-stream-id"), ascii("x-http2-stream-weight"), ascii("x-http2-stream-dependency-id"),
            ascii("x-http2-path")};
    private static final boolean[] TOKEN = new boolean[256];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean dropped(byte[] b, int from, int len) {
        for (byte[] name : DROPPED) {
            if (is(b, from, len, name)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code b[from, from+len)} is {@code lower} ignoring ASCII case ({@code lower} is lower case). */
    private static boolean is(byte[] b, int from, int len, byte[] lower) {
        return sameIgnoringCase(b, from, len, lower, 0, lower.length);
    }

    private static boolean sameIgnoringCase(byte[] a, int ai, int alen, byte[] b, int bi, int blen) {
        if (alen != blen) {
            return false;
        }
        for (int i = 0; i < alen; i++) {
            if (lower(a[ai + i]) != lower(b[bi + i])) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte c) {
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private static boolean lastTokenIsChunked(byte[] b, int from, int to) {
        int comma = -1;
        for (int i = from; i < to; i++) {
            if (b[i] == ',') {
                comma = i;
            }
        }
        int ts = skipSpace(b, comma + 1 > from ? comma + 1 : from, to);
        return is(b, ts, to - ts, CHUNKED);
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static int indexOf(byte[] b, int from, int to, byte c) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return to;
    }

    private static int skipSpace(byte[] b, int from, int to) {
        int i = from;
        while (i < to && (b[i] == ' ' || b[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static int trimEnd(byte[] b, int from, int to) {
        int i = to;
        while (i > from && (b[i - 1] == ' ' || b[i - 1] == '\t')) {
            i--;
        }
        return i;
    }

    /** A line for an error message: printable ASCII kept, the rest as '?', at most 80 characters. */
    private static String printable(byte[] b, int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to && s.length() < 80; i++) {
            int c = b[i] & 0xFF;
            s.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return s.toString();
    }
}
