package io.gatehouse.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gatehouse.common.LogText;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.model.AccessLogSettings;
import io.netty.util.internal.PlatformDependent;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gateway.accessLog}: one line per request, JSON or a short line for people.
 *
 * <p>The request path only hands over an {@link Entry} (facts it already holds, a few references
 * and numbers) to a bounded lock-free queue and never waits: when the queue is full the entry is
 * dropped and counted ({@code gatehouse_access_log_dropped_total}). One writer thread formats the
 * entries, computes the client certificate's thumbprints (once per certificate in a row), writes
 * them in batches and flushes when the queue runs dry. A file that is moved away (log rotation)
 * is reopened within a second.
 */
final class AccessLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.accesslog");
    private static final JsonFactory JSON = new JsonFactory();
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long REOPEN_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * How long a log that a reload replaced goes on writing what reaches it: a request ending on
     * an event loop may have read the old log just before the swap and hand it its line just
     * after. Two seconds is far beyond that gap, and the reload never waits for it.
     */
    private static final long RETIRE_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Lines go out in writes of about this many bytes (or fewer when the queue runs dry). */
    private static final int BATCH_BYTES = 32 * 1024;

    /** The log of a config that says {@code format: off}: {@link #enabled()} is false, and nothing runs. */
    static final AccessLog OFF = new AccessLog();

    private final AccessLogSettings settings;
    private final Queue<Entry> queue;
    private final GatewayMetrics metrics;
    private final Thread writer;
    private volatile boolean closing;
    /** While closing: the writer goes on until the queue is empty after this {@code nanoTime} (0: at once). */
    private volatile long retiredUntil;

    private AccessLog() {
        this.settings = new AccessLogSettings(AccessLogSettings.Format.OFF, null, false, 16);
        this.queue = null;
        this.metrics = null;
        this.writer = null;
    }

    private AccessLog(AccessLogSettings settings, GatewayMetrics metrics) {
        this.settings = settings;
        this.queue = PlatformDependent.newFixedMpscQueue(settings.bufferLines());
        this.metrics = metrics;
        this.writer = new Thread(this::write, "gatehouse-access-log");
        this.writer.setDaemon(true);
    }

    /** Starts the writer of {@code settings}; {@link #OFF} when they say off. */
    static AccessLog open(AccessLogSettings settings, GatewayMetrics metrics) {
        if (!settings.enabled()) {
            return OFF;
        }
        AccessLog a = new AccessLog(settings, metrics);
        a.writer.start();
        return a;
    }

    AccessLogSettings settings() {
        return settings;
    }

    boolean enabled() {
        return queue != null;
    }

    /** Whether logged paths keep their query string. */
    boolean queryString() {
        return settings.queryString();
    }

    /** Hands {@code e} to the writer, or drops and counts it when the buffer is full. Never blocks. */
    void add(Entry e) {
        if (!queue.offer(e) || closing && !writer.isAlive()) { // full, or a writer long retired: never written
            metrics.accessLogDropped();
        }
    }

    /** Whether the writer has stopped (or never ran). */
    boolean finished() {
        return writer == null || !writer.isAlive();
    }

    /**
     * A reload replaced this log: the writer writes what is queued and what still arrives in the
     * next {@link #RETIRE_NANOS}, then stops. Does not wait.
     */
    void retire() {
        if (writer == null || closing) {
            return;
        }
        retiredUntil = (System.nanoTime() + RETIRE_NANOS) | 1;
        closing = true;
        LockSupport.unpark(writer);
    }

    /**
     * Writes what is queued, then stops the writer (waits up to two seconds), a retired one too.
     * At shutdown, when nothing adds lines any more.
     */
    @Override
    public void close() {
        if (writer == null || !writer.isAlive()) {
            return;
        }
        retiredUntil = 0;
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------ the writer thread

    private void write() {
        Sink sink = new Sink(settings.file());
        ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
        Formatter f;
        try {
            f = new Formatter(settings.format(), line);
        } catch (IOException e) {
            log.error("access log writer could not start: {}", e.toString());
            return;
        }
        long nextCheck = System.nanoTime() + REOPEN_CHECK_NANOS;
        try {
            while (true) {
                Entry e = queue.poll();
                if (e == null) {
                    sink.flush();
                    if (closing) {
                        long until = retiredUntil;
                        if (until == 0 || System.nanoTime() - until >= 0) {
                            break;
                        }
                    }
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                    long now = System.nanoTime();
                    if (now - nextCheck >= 0) {
                        sink.reopenIfMoved();
                        nextCheck = now + REOPEN_CHECK_NANOS;
                    }
                    continue;
                }
                try {
                    f.format(e);
                } catch (IOException | RuntimeException bad) {
                    log.warn("access log: a line could not be formatted ({}); it was dropped", bad.toString());
                    metrics.accessLogDropped();
                    try {
                        f = new Formatter(settings.format(), line); // the generator may be mid-object
                    } catch (IOException again) {
                        return;
                    }
                    continue;
                }
                sink.write(line);
            }
        } catch (Throwable t) {
            log.error("access log writer stopped: {}", t.toString());
        } finally {
            sink.close();
        }
    }

    /** Where the lines go: standard output, or a file appended to and reopened when moved away. */
    private final class Sink {
        private final Path file;
        private OutputStream out;
        private Object fileKey;
        private boolean failing;
        private final ByteArrayOutputStream batch = new ByteArrayOutputStream(BATCH_BYTES + 4096);
        private int batchLines;

        Sink(Path file) {
            this.file = file;
            if (file == null) {
                out = System.out;
            } else {
                open();
            }
        }

        private void open() {
            try {
                out = new FileOutputStream(file.toFile(), true);
                fileKey = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
                if (failing) {
                    log.info("access log: writing to {} again", file);
                }
                failing = false;
            } catch (IOException | SecurityException e) {
                out = null;
                if (!failing) {
                    log.warn("access log: cannot write to {} ({}); lines are dropped and counted until it can",
                            file, e.toString());
                }
                failing = true;
            }
        }

        /**
         * Adds {@code line} to the batch; a batch goes out in one write (one system call, and
         * whole lines among the application's own on standard output) when it reaches
         * {@link #BATCH_BYTES} or the queue runs dry ({@link #flush}).
         */
        void write(ByteArrayOutputStream line) {
            if (out == null) {
                metrics.accessLogDropped();
                return;
            }
            try {
                line.writeTo(batch); // one array into another: cannot fail
            } catch (IOException impossible) {
                throw new java.io.UncheckedIOException(impossible);
            }
            batchLines++;
            if (batch.size() >= BATCH_BYTES) {
                drain();
            }
        }

        private void drain() {
            if (batchLines == 0) {
                return;
            }
            int lines = batchLines;
            batchLines = 0;
            try {
                if (out == null) {
                    throw new IOException("not open");
                }
                if (file == null) {
                    synchronized (System.out) {
                        batch.writeTo(out);
                        out.flush();
                    }
                } else {
                    batch.writeTo(out);
                }
                metrics.accessLogWritten(lines);
            } catch (IOException e) {
                metrics.accessLogDropped(lines);
                if (!failing) {
                    log.warn("access log: writing to {} failed ({}); reopening", file == null ? "stdout" : file, e.toString());
                }
                failing = true;
                if (file != null) {
                    closeQuietly();
                    open();
                }
            } finally {
                batch.reset();
            }
        }

        void flush() {
            drain();
        }

        /** Log rotation moved or removed the file: start a new one at the configured path. */
        void reopenIfMoved() {
            if (file == null) {
                return;
            }
            Object key;
            try {
                key = Files.exists(file) ? Files.readAttributes(file, BasicFileAttributes.class).fileKey() : null;
            } catch (IOException e) {
                key = null;
            }
            if (out == null || key == null || !key.equals(fileKey)) {
                flush();
                closeQuietly();
                open();
            }
        }

        private void closeQuietly() {
            if (out != null && out != System.out) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
            out = null;
        }

        void close() {
            flush();
            closeQuietly();
        }
    }

    // ------------------------------------------------------------------------ one line

    /**
     * What one request leaves in the access log, filled on its event loop when it completes. Every
     * field is a fact the gateway already holds; thumbprints and text are made by the writer.
     */
    static final class Entry {
        long startMillis;
        String requestId;
        String clientAddress;
        int clientPort;
        int listenerPort;
        String sni;
        String hostname;
        String api;
        String operation;
        String method;
        String path;
        String protocol;
        int status;
        long bytesIn;
        long bytesOut;
        long totalNanos;
        long backendNanos = -1;
        long handshakeNanos = -1;
        X509Certificate clientCertificate;
        String clientCertificateStatus;
        String errorSource;
        String errorReason;
        String errorMessage;
        String errorPolicy;
        String policy;
        String backend;
        int backendStatus;
        String backendCertificate;
        String backendTls;
    }

    /**
     * Writes entries as lines into {@code out}; owned by the writer thread. JSON goes through one
     * generator for the writer's life (no per-line setup), each object followed by a newline.
     */
    static final class Formatter {
        private final AccessLogSettings.Format format;
        private final ByteArrayOutputStream out;
        private final JsonGenerator g;
        private X509Certificate lastCertificate;
        private String lastSubject;
        private String lastSha1;
        private String lastSha256;
        private long lastMillis;
        private String lastTime;

        Formatter(AccessLogSettings.Format format, ByteArrayOutputStream out) throws IOException {
            this.format = format;
            this.out = out;
            this.g = JSON.createGenerator(out);
            this.g.setRootValueSeparator(null);
        }

        /** Replaces what {@code out} holds with {@code e}'s line. */
        void format(Entry e) throws IOException {
            out.reset();
            if (e.clientCertificate != null && e.clientCertificate != lastCertificate) {
                lastCertificate = e.clientCertificate;
                lastSubject = DotNetNames.format(e.clientCertificate.getSubjectX500Principal());
                lastSha1 = DotNetNames.thumbprint(e.clientCertificate);
                lastSha256 = DotNetNames.sha256(e.clientCertificate);
            }
            if (format == AccessLogSettings.Format.CONSOLE) {
                console(e);
            } else {
                json(e);
            }
        }

        private void json(Entry e) throws IOException {
            g.writeStartObject();
            g.writeStringField("time", time(e.startMillis));
            string(g, "requestId", e.requestId);
            string(g, "clientAddress", e.clientAddress);
            if (e.clientPort > 0) {
                g.writeNumberField("clientPort", e.clientPort);
            }
            if (e.listenerPort > 0) {
                g.writeNumberField("listenerPort", e.listenerPort);
            }
            string(g, "sni", e.sni);
            string(g, "hostname", e.hostname);
            string(g, "api", e.api);
            string(g, "operation", e.operation);
            string(g, "method", e.method);
            string(g, "path", e.path);
            string(g, "protocol", e.protocol);
            g.writeNumberField("status", e.status);
            g.writeNumberField("bytesIn", e.bytesIn);
            g.writeNumberField("bytesOut", e.bytesOut);
            millis(g, "durationMs", e.totalNanos);
            if (e.backendNanos >= 0) {
                millis(g, "backendMs", e.backendNanos);
            }
            if (e.handshakeNanos >= 0) {
                millis(g, "handshakeMs", e.handshakeNanos);
            }
            if (e.clientCertificate != null) {
                g.writeStringField("clientCertificateSubject", lastSubject);
                g.writeStringField("clientCertificateThumbprint", lastSha1);
                g.writeStringField("clientCertificateSha256", lastSha256);
                string(g, "clientCertificateStatus", e.clientCertificateStatus);
            }
            string(g, "errorSource", e.errorSource);
            string(g, "errorReason", e.errorReason);
            string(g, "errorMessage", e.errorMessage);
            string(g, "errorPolicy", e.errorPolicy);
            string(g, "policy", e.policy);
            string(g, "backend", e.backend);
            if (e.backendStatus > 0) {
                g.writeNumberField("backendStatus", e.backendStatus);
            }
            string(g, "backendCertificate", e.backendCertificate);
            string(g, "backendTls", e.backendTls);
            g.writeEndObject();
            g.writeRaw('\n');
            g.flush();
        }

        /** The time as ISO 8601, made once per millisecond (lines come many to the millisecond). */
        private String time(long millis) {
            if (millis != lastMillis || lastTime == null) {
                lastMillis = millis;
                lastTime = DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(millis));
            }
            return lastTime;
        }

        private static void string(JsonGenerator g, String name, String value) throws IOException {
            if (value != null) {
                g.writeStringField(name, value);
            }
        }

        /** Milliseconds with microsecond precision, as a JSON number. */
        private static void millis(JsonGenerator g, String name, long nanos) throws IOException {
            g.writeNumberField(name, java.math.BigDecimal.valueOf(nanos / 1000, 3));
        }

        /** {@code time client "METHOD path" status bytes ms api/operation cert backend error}, escaped for terminals. */
        private void console(Entry e) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(time(e.startMillis)).append(' ')
                    .append(e.clientAddress == null ? "-" : e.clientAddress).append(" \"").append(e.method).append(' ')
                    .append(e.path).append("\" ").append(e.status).append(' ').append(e.bytesOut).append("B ")
                    .append(java.math.BigDecimal.valueOf(e.totalNanos / 1000, 3)).append("ms");
            if (e.api != null) {
                sb.append(" api=").append(e.api);
                if (e.operation != null) {
                    sb.append('/').append(e.operation);
                }
            }
            if (e.clientCertificate != null) {
                sb.append(" cert=\"").append(lastSubject).append("\" ").append(lastSha1);
            }
            if (e.backend != null) {
                sb.append(" backend=").append(e.backend);
                if (e.backendStatus > 0) {
                    sb.append(' ').append(e.backendStatus);
                }
            }
            if (e.errorReason != null) {
                sb.append(" error=").append(e.errorSource).append('/').append(e.errorReason);
            }
            if (e.policy != null) {
                sb.append(" by=").append(e.policy);
            }
            sb.append(" id=").append(e.requestId);
            byte[] bytes = LogText.escape(sb.toString()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
            out.write('\n');
        }
    }
}
