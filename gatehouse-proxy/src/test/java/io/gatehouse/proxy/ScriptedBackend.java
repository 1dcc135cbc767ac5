package io.gatehouse.proxy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on plain sockets that answers each request with bytes a test scripted for its path,
 * written exactly as given: a Netty backend would frame (and fix) its responses, and the tests
 * using this one are about what the gateway does with a backend's framing, broken or not.
 */
public final class ScriptedBackend implements AutoCloseable {
    /**
     * What the backend writes for one request: {@code pieces} in order, each flushed on its own
     * with {@code pauseMillis} between them, then the connection closed if {@code close}.
     */
    public record Scripted(List<byte[]> pieces, long pauseMillis, boolean close) {
        /** One piece, the connection kept open for the next request. */
        public static Scripted of(String raw) {
            return new Scripted(List.of(ascii(raw)), 0, false);
        }

        public static Scripted of(byte[] raw) {
            return new Scripted(List.of(raw), 0, false);
        }

        /** Several pieces, written with a flush and a pause between them. */
        public static Scripted pieces(long pauseMillis, byte[]... pieces) {
            return new Scripted(List.of(pieces), pauseMillis, false);
        }

        public static Scripted pieces(long pauseMillis, List<byte[]> pieces) {
            return new Scripted(List.copyOf(pieces), pauseMillis, false);
        }

        /** Closes the connection without writing anything. */
        public static Scripted closeAtOnce() {
            return new Scripted(List.of(), 0, true);
        }

        public Scripted thenClose() {
            return new Scripted(pieces, pauseMillis, true);
        }
    }

    /** A request as the backend read it; {@code head} is the raw text of its header lines. */
    public record Request(String method, String target, String head, byte[] body) {
        /** The first value of a header, names compared ignoring case; null when absent. */
        public String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }
    }

    public final AtomicInteger connections = new AtomicInteger();
    public final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Scripted> scripts = new ConcurrentHashMap<>();
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public ScriptedBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = Thread.ofPlatform().daemon().name("scripted-accept").start(this::accept);
        threads.add(acceptor);
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Scripts the answer to every request whose path (without query) is {@code path}. */
    public ScriptedBackend on(String path, Scripted response) {
        scripts.put(path, response);
        return this;
    }

    public ScriptedBackend on(String path, String raw) {
        return on(path, Scripted.of(raw));
    }

    private void accept() {
        int n = 0;
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            sockets.add(s);
            threads.add(Thread.ofPlatform().daemon().name("scripted-conn-" + n++).start(() -> serve(s)));
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (!closed) {
                Request req = readRequest(in);
                if (req == null) {
                    return; // the gateway closed the connection
                }
                requests.add(req);
                String path = req.target();
                int q = path.indexOf('?');
                Scripted script = scripts.get(q >= 0 ? path.substring(0, q) : path);
                if (script == null) {
                    script = Scripted.of("HTTP/1.1 500 No Script\r\nContent-Length: 0\r\n\r\n");
                }
                for (int i = 0; i < script.pieces().size(); i++) {
                    if (i > 0 && script.pauseMillis() > 0) {
                        Thread.sleep(script.pauseMillis());
                    }
                    out.write(script.pieces().get(i));
                    out.flush();
                }
                if (script.close()) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the gateway or the test ended the connection
        }
    }

    /** Reads a request head up to CRLFCRLF and its Content-Length body; null at a clean EOF. */
    private static Request readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new EOFException("request head cut short: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int eol = text.indexOf("\r\n");
        String[] line = text.substring(0, eol).split(" ", 3);
        String headers = text.substring(eol + 2, text.length() - 2);
        Request req = new Request(line[0], line[1], headers, new byte[0]);
        String length = req.header("content-length");
        if (length != null) {
            byte[] body = in.readNBytes(Integer.parseInt(length));
            req = new Request(line[0], line[1], headers, body);
        } else if ("chunked".equals(lower(req.header("transfer-encoding")))) {
            throw new IOException("chunked request bodies are not scripted");
        }
        return req;
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : new ArrayList<>(sockets)) {
            s.close();
        }
        for (Thread t : threads) {
            t.interrupt(); // a connection pausing between pieces
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
