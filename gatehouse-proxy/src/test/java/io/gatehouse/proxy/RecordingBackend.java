package io.gatehouse.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A backend on plain sockets that records exactly what the gateway sends: every byte of every
 * connection, and each request it could parse from them with a strict HTTP/1.1 reader of its
 * own (Content-Length and chunked bodies, trailers). Each request is answered {@code 200} with
 * a body naming the request's target ({@code "seen <target>"}), after a delay when the test
 * sets one for the path, so a response given to the wrong client shows.
 *
 * <p>A request is recorded only when it arrived whole; bytes that do not parse, or a connection
 * that ends mid-request, are recorded as {@link #incomplete} with what arrived.
 */
public final class RecordingBackend implements AutoCloseable {

    /** A request as the backend parsed it: header lines as sent, body decoded, trailer lines. */
    public record Request(String method, String target, String version, List<String[]> headers, byte[] body,
                          List<String[]> trailers, boolean chunked, int connection) {
        /** Every value of a header, names compared ignoring case. */
        public List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    out.add(h[1]);
                }
            }
            return out;
        }

        public String header(String name) {
            List<String> all = all(name);
            return all.isEmpty() ? null : String.join(", ", all);
        }

        public List<String> names() {
            return headers.stream().map(h -> h[0]).toList();
        }

        public List<String> trailerNames() {
            return trailers.stream().map(h -> h[0]).toList();
        }

        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    /** All that one connection carried, and whether the gateway ended it. */
    public static final class Connection {
        public final int index;
        public final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CountDownLatch ended = new CountDownLatch(1);

        Connection(int index) {
            this.index = index;
        }

        public synchronized String text() {
            return bytes.toString(StandardCharsets.ISO_8859_1);
        }

        public boolean awaitEnd(long millis) throws InterruptedException {
            return ended.await(millis, TimeUnit.MILLISECONDS);
        }
    }

    public final List<Request> requests = new CopyOnWriteArrayList<>();
    /** What arrived of requests that never completed, or did not parse (one entry each, with the reason). */
    public final List<String> incomplete = new CopyOnWriteArrayList<>();
    public final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final Map<String, Long> delays = new ConcurrentHashMap<>();
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public RecordingBackend() throws IOException {
        server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("recording-accept").start(this::accept);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Answers requests for {@code path} (without query) only after {@code millis}. */
    public RecordingBackend delay(String path, long millis) {
        delays.put(path, millis);
        return this;
    }

    /** The requests whose target starts with {@code prefix}. */
    public List<Request> requestsTo(String prefix) {
        return requests.stream().filter(r -> r.target().startsWith(prefix)).toList();
    }

    /** Every byte the gateway sent, on all connections, as text. */
    public String allBytes() {
        StringBuilder sb = new StringBuilder();
        for (Connection c : connections) {
            sb.append(c.text());
        }
        return sb.toString();
    }

    private void accept() {
        int n = 0;
        while (!closed) {
            try {
                Socket s = server.accept();
                Connection c = new Connection(n++);
                connections.add(c);
                sockets.add(s);
                Thread.ofPlatform().daemon().name("recording-" + c.index).start(() -> serve(s, c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, Connection c) {
        try (s) {
            InputStream raw = s.getInputStream();
            InputStream in = new InputStream() {
                @Override
                public int read() throws IOException {
                    int b = raw.read();
                    if (b >= 0) {
                        synchronized (c) {
                            c.bytes.write(b);
                        }
                    }
                    return b;
                }
            };
            OutputStream out = s.getOutputStream();
            while (!closed) {
                Reader r = new Reader(in);
                Request req;
                try {
                    req = r.request(c.index);
                } catch (IOException bad) {
                    if (r.started) {
                        incomplete.add(bad.getMessage() + " after: " + r.seen);
                    }
                    return;
                }
                if (req == null) {
                    return;
                }
                requests.add(req);
                String path = req.target();
                int q = path.indexOf('?');
                Long delay = delays.get(q >= 0 ? path.substring(0, q) : path);
                if (delay != null) {
                    Thread.sleep(delay);
                }
                byte[] body = ("seen " + req.target()).getBytes(StandardCharsets.ISO_8859_1);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // the gateway closed the connection, or the test ended
        } finally {
            c.ended.countDown();
        }
    }

    /** A strict reader of one request: CRLF lines, token names, one framing, hex chunk sizes. */
    private static final class Reader {
        private final InputStream in;
        boolean started;
        final StringBuilder seen = new StringBuilder();

        Reader(InputStream in) {
            this.in = in;
        }

        Request request(int connection) throws IOException {
            String line = line(true);
            if (line == null) {
                return null;
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 3 || !parts[2].matches("HTTP/1\\.[01]")) {
                throw new IOException("bad request line '" + line + "'");
            }
            List<String[]> headers = fields();
            List<String> te = values(headers, "transfer-encoding");
            List<String> cl = values(headers, "content-length");
            if (!te.isEmpty() && !cl.isEmpty()) {
                throw new IOException("both Transfer-Encoding and Content-Length");
            }
            byte[] body = new byte[0];
            List<String[]> trailers = List.of();
            boolean chunked = false;
            if (!te.isEmpty()) {
                if (te.size() != 1 || !te.getFirst().equalsIgnoreCase("chunked")) {
                    throw new IOException("transfer-encoding " + te);
                }
                chunked = true;
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                while (true) {
                    String size = line(false);
                    int semi = size.indexOf(';');
                    String hex = semi >= 0 ? size.substring(0, semi) : size;
                    if (!hex.matches("[0-9A-Fa-f]{1,8}")) {
                        throw new IOException("bad chunk size '" + size + "'");
                    }
                    int n = Integer.parseInt(hex, 16);
                    if (n == 0) {
                        break;
                    }
                    b.write(bytes(n));
                    if (!line(false).isEmpty()) {
                        throw new IOException("chunk not followed by CRLF");
                    }
                }
                trailers = fields();
                body = b.toByteArray();
            } else if (!cl.isEmpty()) {
                if (cl.size() != 1 || !cl.getFirst().matches("\\d{1,12}")) {
                    throw new IOException("content-length " + cl);
                }
                body = bytes(Integer.parseInt(cl.getFirst()));
            }
            return new Request(parts[0], parts[1], parts[2], headers, body, trailers, chunked, connection);
        }

        private static List<String> values(List<String[]> headers, String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).toList();
        }

        private List<String[]> fields() throws IOException {
            List<String[]> out = new ArrayList<>();
            for (String l; !(l = line(false)).isEmpty(); ) {
                int colon = l.indexOf(':');
                if (colon <= 0 || !l.substring(0, colon).matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    throw new IOException("bad header line '" + l + "'");
                }
                out.add(new String[] {l.substring(0, colon), l.substring(colon + 1).strip()});
            }
            return out;
        }

        /** A CRLF-ended line; null at a clean end of stream before a request (when {@code first}). */
        private String line(boolean first) throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    if (first && sb.isEmpty()) {
                        return null;
                    }
                    throw new IOException("connection ended mid-request");
                }
                started = true;
                seen.append((char) b);
                if (b == '\r') {
                    if (in.read() != '\n') {
                        throw new IOException("CR without LF");
                    }
                    seen.append('\n');
                    return sb.toString();
                }
                if (b == '\n') {
                    throw new IOException("bare LF");
                }
                if (b < 0x20 && b != '\t' || b == 0x7f) {
                    throw new IOException(String.format("control byte 0x%02x in a line", b));
                }
                sb.append((char) b);
            }
        }

        private byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) {
                int x = in.read();
                if (x < 0) {
                    throw new IOException("connection ended after " + i + " of " + n + " body bytes");
                }
                b[i] = (byte) x;
                seen.append((char) x);
            }
            return b;
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

}
