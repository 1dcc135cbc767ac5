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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend on plain sockets that answers each request with bytes a test scripted for its path,
 * written exactly as given: a Netty backend would frame (and fix) its responses, and the tests
 * using this one are about what the gateway does with a backend's framing, broken or not.
 */
public final class ScriptedBackend implements AutoCloseable {
    /**
     * What the backend writes for one request: {@code pieces} in order, each flushed on its own
     * with {@code pauseMillis} between them, then the connection closed if {@code close}, or
     * left as it is if {@code hold}: the backend writes nothing more on it and waits for the
     * gateway to end it (a response never finished, or never begun).
     */
    public record Scripted(List<byte[]> pieces, long pauseMillis, boolean close, boolean hold) {
        /** One piece, the connection kept open for the next request. */
        public static Scripted of(String raw) {
            return new Scripted(List.of(ascii(raw)), 0, false, false);
        }

        public static Scripted of(byte[] raw) {
            return new Scripted(List.of(raw), 0, false, false);
        }

        /** Several pieces, written with a flush and a pause between them. */
        public static Scripted pieces(long pauseMillis, byte[]... pieces) {
            return new Scripted(List.of(pieces), pauseMillis, false, false);
        }

        public static Scripted pieces(long pauseMillis, List<byte[]> pieces) {
            return new Scripted(List.copyOf(pieces), pauseMillis, false, false);
        }

        /** Closes the connection without writing anything. */
        public static Scripted closeAtOnce() {
            return new Scripted(List.of(), 0, true, false);
        }

        /** Never answers: reads the request, then waits for the gateway to end the connection. */
        public static Scripted silent() {
            return new Scripted(List.of(), 0, false, true);
        }

        public Scripted thenClose() {
            return new Scripted(pieces, pauseMillis, true, false);
        }

        /** After the pieces, writes nothing more and waits for the gateway to end the connection. */
        public Scripted thenHold() {
            return new Scripted(pieces, pauseMillis, false, true);
        }
    }

    /**
     * One connection the backend accepted ({@code index} counts from 0 in the order accepted), and
     * whether the gateway ended it: the backend saw its end of stream, a reset, or a failed write.
     */
    public static final class Connection {
        public final int index;
        /** Bytes the gateway sent on a {@linkplain Scripted#hold() held} connection: a request it should not have. */
        public final AtomicLong bytesWhileHeld = new AtomicLong();
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile long endedNanos;

        Connection(int index) {
            this.index = index;
        }

        private void endedByGateway() {
            if (ended.getCount() > 0) {
                endedNanos = System.nanoTime();
                ended.countDown();
            }
        }

        /** Waits up to {@code max} for the gateway to end the connection: the {@link System#nanoTime()} it was seen, or -1. */
        public long awaitEnd(Duration max) throws InterruptedException {
            return ended.await(max.toNanos(), TimeUnit.NANOSECONDS) ? endedNanos : -1;
        }
    }

    /**
     * A request as the backend read it; {@code head} is the raw text of its header lines,
     * {@code connection} the {@link Connection#index} of the connection it came on.
     */
    public record Request(String method, String target, String head, byte[] body, int connection) {
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
    public final List<Connection> accepted = new CopyOnWriteArrayList<>();
    private final Map<String, Scripted> scripts = new ConcurrentHashMap<>();
    /** Scripts for a request that is not the first on its connection, where a test gave one. */
    private final Map<String, Scripted> laterScripts = new ConcurrentHashMap<>();
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

    /**
     * Scripts {@code first} for a request on {@code path} that opens its connection and
     * {@code later} for one that comes after others on the same connection (a kept-alive
     * connection the backend closes when it is used again, say).
     */
    public ScriptedBackend on(String path, Scripted first, Scripted later) {
        scripts.put(path, first);
        laterScripts.put(path, later);
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
            Connection c = new Connection(n++);
            accepted.add(c);
            connections.incrementAndGet();
            sockets.add(s);
            threads.add(Thread.ofPlatform().daemon().name("scripted-conn-" + c.index).start(() -> serve(s, c)));
        }
    }

    private void serve(Socket s, Connection c) {
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int onConnection = 0; !closed; onConnection++) {
                Request req = readRequest(in, c.index);
                if (req == null) {
                    c.endedByGateway();
                    return;
                }
                requests.add(req);
                String path = req.target();
                int q = path.indexOf('?');
                String bare = q >= 0 ? path.substring(0, q) : path;
                Scripted script = onConnection > 0 && laterScripts.containsKey(bare) ? laterScripts.get(bare) : scripts.get(bare);
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
                if (script.hold()) {
                    hold(in, c);
                    return;
                }
            }
        } catch (IOException e) {
            if (!closed) {
                c.endedByGateway(); // a reset, or a write to a connection the gateway closed
            }
        } catch (InterruptedException e) {
            // the test ended the backend
        }
    }

    /** Reads (and counts) whatever the gateway still sends until it ends the connection. */
    private static void hold(InputStream in, Connection c) throws IOException {
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) >= 0; ) {
            c.bytesWhileHeld.addAndGet(n);
        }
        c.endedByGateway();
    }

    /** Reads a request head up to CRLFCRLF and its Content-Length body; null at a clean EOF. */
    private static Request readRequest(InputStream in, int connection) throws IOException {
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
        Request req = new Request(line[0], line[1], headers, new byte[0], connection);
        String length = req.header("content-length");
        if (length != null) {
            byte[] body = in.readNBytes(Integer.parseInt(length));
            req = new Request(line[0], line[1], headers, body, connection);
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
