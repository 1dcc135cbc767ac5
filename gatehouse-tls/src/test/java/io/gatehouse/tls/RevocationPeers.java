package io.gatehouse.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

/**
 * Real revocation peers for tests: an HTTP server holding CRLs (the JDK's HttpServer) and
 * {@code openssl ocsp} as an OCSP responder reading an index.txt, each on a free port of 127.0.0.1.
 */
public final class RevocationPeers {
    private RevocationPeers() {
    }

    /** Serves CRLs (DER) at paths; counts requests per path. */
    public static final class CrlServer implements AutoCloseable {
        private final HttpServer server;
        private final Map<String, byte[]> crls = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
        private final Map<String, Long> delays = new ConcurrentHashMap<>();

        public CrlServer() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "test-crl-server");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", ex -> {
                String path = ex.getRequestURI().getPath();
                hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
                byte[] body = crls.get(path);
                Long delay = delays.get(path);
                if (delay != null) {
                    try {
                        Thread.sleep(delay); // a slow distribution point
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                if (body == null) {
                    ex.sendResponseHeaders(404, -1);
                } else {
                    ex.getResponseHeaders().add("Content-Type", "application/pkix-crl");
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                }
                ex.close();
            });
            server.start();
        }

        public URI url(String path) {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
        }

        public void put(String path, X509CRL crl) {
            try {
                crls.put(path, crl.getEncoded());
            } catch (java.security.cert.CRLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Answers for {@code path} only after {@code millis}. */
        public void delay(String path, long millis) {
            delays.put(path, millis);
        }

        public int hits(String path) {
            AtomicInteger n = hits.get(path);
            return n == null ? 0 : n.get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** {@code openssl ocsp} answering for the certificates of one CA from an index.txt. */
    public static final class OpensslOcsp implements AutoCloseable {
        private final Process process;
        final int port;
        final Path log;

        /**
         * @param revoked serials to list as revoked (keyCompromise); {@code good} are listed valid;
         *     anything else is answered "unknown"
         */
        public OpensslOcsp(Path dir, int port, Pki.Issued ca, Pki.Issued signer, List<X509Certificate> good,
                List<X509Certificate> revoked) throws IOException, InterruptedException {
            Files.createDirectories(dir);
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
            List<String> lines = new ArrayList<>();
            for (X509Certificate c : good) {
                lines.add("V\t" + f.format(c.getNotAfter().toInstant()) + "\t\t" + hex(c.getSerialNumber())
                        + "\tunknown\t" + subject(c));
            }
            for (X509Certificate c : revoked) {
                lines.add("R\t" + f.format(c.getNotAfter().toInstant()) + "\t"
                        + f.format(java.time.Instant.now().minusSeconds(3600)) + ",keyCompromise\t"
                        + hex(c.getSerialNumber()) + "\tunknown\t" + subject(c));
            }
            Files.write(dir.resolve("index.txt"), lines, StandardCharsets.US_ASCII);
            Files.writeString(dir.resolve("index.txt.attr"), "unique_subject = no\n");
            Pki.writePem(dir.resolve("ca.pem"), ca.certificate());
            Pki.writePem(dir.resolve("rsigner.pem"), signer.certificate());
            Pki.writePem(dir.resolve("rkey.pem"), signer.keyPair().getPrivate());
            this.port = port;
            this.log = dir.resolve("ocsp.log");
            process = new ProcessBuilder("openssl", "ocsp", "-index", "index.txt", "-port", String.valueOf(port), "-ignore_err",
                    "-rsigner", "rsigner.pem", "-rkey", "rkey.pem", "-CA", "ca.pem", "-nmin", "10")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            // a probe connection would hold the single-threaded responder: wait for its own word instead
            while (!Files.readString(log).contains("waiting for OCSP client connections")) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("openssl ocsp did not start: " + Files.readString(log));
                }
                Thread.sleep(50);
            }
        }

        public URI url() {
            return URI.create("http://127.0.0.1:" + port + "/");
        }

        @Override
        public void close() {
            process.destroy();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
        }

        private static String hex(BigInteger serial) {
            String h = serial.toString(16).toUpperCase(java.util.Locale.ROOT);
            return h.length() % 2 == 1 ? "0" + h : h;
        }

        private static String subject(X509Certificate c) {
            // index.txt holds the subject in OpenSSL's one-line form; only its presence matters here
            return "/CN=" + c.getSerialNumber().toString(16);
        }
    }

    /** A port nobody listens on (for "responder down"). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
