package io.gatehouse.proxy.telemetry;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK's own warnings (java.util.logging, once per batch at most) turned into the
 * gateway's: the batch processor's "dropped N span(s) ... because the queue is full" is counted
 * ({@link #droppedSpans}) and logged on {@code gatehouse.telemetry} once when dropping starts and
 * once when a batch is exported after {@link #QUIET_NANOS} without a drop; its "Exporter failed" is left to
 * {@link ExportReport}, which logs an export's failure once per change of state; the OTLP
 * exporter's per-batch failure line is silenced for the same reason. Anything else the SDK says
 * at WARNING or above goes to {@code gatehouse.telemetry} as it is. Installed once per process,
 * when telemetry is first turned on.
 */
final class SdkLog extends Handler {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.telemetry");
    private static final String PROCESSOR = "io.opentelemetry.sdk.trace.export.BatchSpanProcessor";
    private static final String EXPORTER = "io.opentelemetry.exporter.otlp.internal.HttpExporter";
    private static final Pattern DROPPED = Pattern.compile("dropped (\\d+) span");
    /** Held so that the levels and handler set on them stay (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger PROCESSOR_LOG = java.util.logging.Logger.getLogger(PROCESSOR);
    private static final java.util.logging.Logger EXPORTER_LOG = java.util.logging.Logger.getLogger(EXPORTER);
    private static final SdkLog INSTANCE = new SdkLog();
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    /** Spans the batch processors of this process dropped because their queue was full. */
    static final LongAdder droppedSpans = new LongAdder();
    /** Dropping has stopped once no drop has been reported for this long (the worker reports once per export). */
    static final long QUIET_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    private static final AtomicBoolean dropping = new AtomicBoolean();
    private static volatile long lastDropNanos;

    private SdkLog() {
    }

    static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            EXPORTER_LOG.setLevel(Level.OFF);
            PROCESSOR_LOG.setUseParentHandlers(false);
            PROCESSOR_LOG.addHandler(INSTANCE);
        }
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || record.getLevel().intValue() < Level.WARNING.intValue()) {
            return;
        }
        String message = record.getMessage();
        if (message == null) {
            return;
        }
        Matcher m = DROPPED.matcher(message);
        if (m.find()) {
            droppedSpans.add(Long.parseLong(m.group(1)));
            lastDropNanos = System.nanoTime();
            if (dropping.compareAndSet(false, true)) {
                log.warn("OpenTelemetry: spans are dropped: the export queue ({} spans) is full, spans end faster than the "
                        + "collector takes them (said once; gatehouse_telemetry_spans_dropped_total counts them)",
                        Tracing.MAX_QUEUE);
            }
            return;
        }
        if (message.startsWith("Exporter failed") || message.startsWith("Exporter threw")) {
            return; // ExportReport says it, once per change
        }
        log.warn("OpenTelemetry SDK: {}", message);
    }

    /** A batch is about to be exported: with no drop for {@link #QUIET_NANOS}, dropping has stopped. */
    static void exporting() {
        if (dropping.get() && System.nanoTime() - lastDropNanos > QUIET_NANOS && dropping.compareAndSet(true, false)) {
            log.info("OpenTelemetry: spans are no longer dropped");
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
