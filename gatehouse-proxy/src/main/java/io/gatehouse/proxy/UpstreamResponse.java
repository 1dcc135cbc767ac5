package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * A backend's response head as it arrived, parsed once by {@link UpstreamCodec}: the bytes of
 * its status line and header lines, where each header's name and value lie in them, and what
 * the framing needs. Its headers become Netty's {@link HttpHeaders} only when something asks
 * for them (a policy, an HTTP/2 client, a changed status). Otherwise, HTTP/1.1 on both sides,
 * {@link #writeForDownstream} copies the lines the client may see straight into the response
 * head, with no header map and no strings (most of the cost of relaying a small response).
 */
final class UpstreamResponse implements HttpResponse {
    /** Per header line in {@link #fields}: name start and end, value start and end, {@link #KEEP}, {@link #DROP} or {@link #VOID}. */
    static final int SLOTS = 5;
    static final int KEEP = 0;
    /** A hop-by-hop header, one the Connection header names, or one the gateway replaces. */
    static final int DROP = 1;
    /** A framing header the body does not follow (Content-Length beside chunked): gone from the headers too. */
    static final int VOID = 2;

    private final byte[] head;
    private final int[] fields;
    private final int count;
    private final int reasonStart;
    private final int reasonEnd;
    private HttpVersion version;
    private HttpResponseStatus status;
    private HttpHeaders headers;
    private DecoderResult result = DecoderResult.SUCCESS;
    private boolean changed;
    /** The upstream connection can carry another request after this response. */
    final boolean keepAlive;
    /** The body's length from Content-Length, -1 for none (chunked, to the close, no body). */
    final long contentLength;
    /** The body comes in chunks (and stays chunked for the client). */
    final boolean chunked;
    /** The body ends when the backend closes: re-framed as chunked for the client. */
    final boolean closeDelimited;

    UpstreamResponse(HttpVersion version, HttpResponseStatus status, byte[] head, int reasonStart, int reasonEnd,
                     int[] fields, int count, boolean keepAlive, long contentLength, boolean chunked,
                     boolean closeDelimited) {
        this.version = version;
        this.status = status;
        this.head = head;
        this.reasonStart = reasonStart;
        this.reasonEnd = reasonEnd;
        this.fields = fields;
        this.count = count;
        this.keepAlive = keepAlive;
        this.contentLength = contentLength;
        this.chunked = chunked;
        this.closeDelimited = closeDelimited;
    }

    /** Nothing has read the headers as a map or changed the status: the bytes still say it all. */
    boolean untouched() {
        return headers == null && !changed;
    }

    /**
     * Writes the head for the client, HTTP/1.1: the status line, every header line but those
     * marked {@link #DROP}, the gateway's request id, {@code Connection: close} when asked, and
     * chunked framing for a close-delimited body.
     */
    void writeForDownstream(ByteBuf out, CharSequence requestId, boolean close) {
        out.writeBytes(HTTP_1_1_SP);
        int code = status.code();
        out.writeByte('0' + code / 100).writeByte('0' + code / 10 % 10).writeByte('0' + code % 10);
        out.writeByte(' ');
        out.writeBytes(head, reasonStart, reasonEnd - reasonStart);
        out.writeShort(CRLF);
        for (int i = 0; i < count; i++) {
            int f = i * SLOTS;
            if (fields[f + 4] != KEEP) {
                continue;
            }
            out.writeBytes(head, fields[f], fields[f + 1] - fields[f]);
            out.writeShort(COLON_SP);
            out.writeBytes(head, fields[f + 2], fields[f + 3] - fields[f + 2]);
            out.writeShort(CRLF);
        }
        out.writeBytes(REQUEST_ID);
        out.writeCharSequence(requestId, StandardCharsets.US_ASCII);
        out.writeShort(CRLF);
        if (close) {
            out.writeBytes(CONNECTION_CLOSE);
        }
        if (closeDelimited) {
            out.writeBytes(CHUNKED);
        }
        out.writeShort(CRLF);
    }

    /** An upper bound of what {@link #writeForDownstream} writes, for sizing its buffer. */
    int downstreamSizeHint(CharSequence requestId) {
        return head.length + 4 * count + requestId.length() + 96;
    }

    private static final byte[] HTTP_1_1_SP = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] REQUEST_ID = "x-request-id: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONNECTION_CLOSE = "connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CRLF = ('\r' << 8) | '\n';
    private static final int COLON_SP = (':' << 8) | ' ';

    /**
     * The headers as the backend sent them, hop-by-hop ones included, made on first use; less a
     * framing header the body does not follow, as Netty's decoder leaves them.
     */
    @Override
    public HttpHeaders headers() {
        HttpHeaders h = headers;
        if (h == null) {
            h = new DefaultHttpHeaders();
            for (int i = 0; i < count; i++) {
                int f = i * SLOTS;
                if (fields[f + 4] == VOID) {
                    continue;
                }
                h.add(ascii(fields[f], fields[f + 1]), ascii(fields[f + 2], fields[f + 3]));
            }
            headers = h;
        }
        return h;
    }

    private String ascii(int from, int to) {
        return new String(head, from, to - from, StandardCharsets.ISO_8859_1);
    }

    @Override
    public HttpResponseStatus status() {
        return status;
    }

    @Override
    @Deprecated
    public HttpResponseStatus getStatus() {
        return status;
    }

    @Override
    public HttpResponse setStatus(HttpResponseStatus status) {
        this.status = java.util.Objects.requireNonNull(status, "status");
        changed = true;
        return this;
    }

    @Override
    public HttpVersion protocolVersion() {
        return version;
    }

    @Override
    @Deprecated
    public HttpVersion getProtocolVersion() {
        return version;
    }

    @Override
    public HttpResponse setProtocolVersion(HttpVersion version) {
        this.version = java.util.Objects.requireNonNull(version, "version");
        changed = true;
        return this;
    }

    @Override
    public DecoderResult decoderResult() {
        return result;
    }

    @Override
    @Deprecated
    public DecoderResult getDecoderResult() {
        return result;
    }

    @Override
    public void setDecoderResult(DecoderResult result) {
        this.result = java.util.Objects.requireNonNull(result, "result");
    }

    @Override
    public String toString() {
        return "UpstreamResponse(" + version + " " + status + ", " + count + " headers)";
    }
}
