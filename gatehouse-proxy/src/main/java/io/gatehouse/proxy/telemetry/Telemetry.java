package io.gatehouse.proxy.telemetry;

import io.gatehouse.config.model.TelemetrySettings;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's OpenTelemetry over its life: {@link #apply} is given each config's
 * {@code gateway.telemetry} as it goes into service and returns the {@link Tracing} its requests
 * use, or null when telemetry is off (no SDK is built then, and requests make no spans). A config
 * with the same setting keeps the SDK it has; a changed endpoint, header or service name builds a
 * new one, and the old one is flushed at once and shut down after {@link #RETIRE_AFTER} (requests
 * still running on the previous config end their spans into it meanwhile). {@link #close} flushes
 * and stops them all, waiting at most the time it is given.
 */
public final class Telemetry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.telemetry");
    /** How long a replaced SDK keeps taking the spans of requests that started before the reload. */
    static final Duration RETIRE_AFTER = Duration.ofSeconds(30);
    private final String instanceId = UUID.randomUUID().toString();
    private final String version = version();
    private final ExportReport.Counts counts = new ExportReport.Counts();
    private final List<Tracing> retiring = new ArrayList<>();
    private ScheduledExecutorService retirer;
    private Tracing current;
    private boolean closed;

    /**
     * The tracing for a config going into service with {@code settings} (null or disabled: off).
     * Called off the event loops (start, reload); building an SDK opens no connection.
     */
    public synchronized Tracing apply(TelemetrySettings settings) {
        if (closed) {
            return null;
        }
        boolean on = settings != null && settings.enabled();
        if (on && current != null && current.settings().equals(settings)) {
            return current;
        }
        Tracing old = current;
        current = null;
        if (on) {
            SdkLog.install(); // the SDK's per-batch warnings, counted and said once per change instead
            String where = Tracing.shown(settings.otlpEndpoint());
            try {
                current = new Tracing(settings, resource(settings.serviceName()), counts);
                log.info("OpenTelemetry: spans of service '{}' exported to {} (OTLP/HTTP, /v1/traces)",
                        settings.serviceName(), where);
            } catch (RuntimeException e) { // the SDK refused the setting: serve without spans rather than not at all
                // the exception's class only: its message could quote the endpoint with its user information
                log.error("OpenTelemetry: the SDK refused the exporter for {} ({}): no spans are made", where,
                        e.getClass().getName());
            }
        } else if (old != null) {
            log.info("OpenTelemetry: off (gateway.telemetry.otlp.endpoint is not set)");
        }
        if (old != null) {
            retire(old);
        }
        return current;
    }

    /** Spans exported since the gateway started. */
    public long exportedSpans() {
        return counts.exported.sum();
    }

    /** Spans lost because their export failed (an unreachable collector, an error answer). */
    public long failedSpans() {
        return counts.failed.sum();
    }

    /** Spans dropped because the export queue was full (the collector slower than the spans come), in this process. */
    public long droppedSpans() {
        return SdkLog.droppedSpans.sum();
    }

    private Resource resource(String serviceName) {
        return Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), serviceName,
                AttributeKey.stringKey("service.version"), version,
                AttributeKey.stringKey("service.instance.id"), instanceId)));
    }

    private void retire(Tracing old) {
        old.flush();
        retiring.add(old);
        if (retirer == null) {
            retirer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gatehouse-telemetry-retire");
                t.setDaemon(true);
                return t;
            });
        }
        retirer.schedule(() -> {
            synchronized (this) {
                if (!retiring.remove(old)) {
                    return; // closed meanwhile
                }
            }
            old.shutdown();
        }, RETIRE_AFTER.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Flushes and stops every SDK, waiting at most {@code timeout} for their last exports. */
    public void close(Duration timeout) {
        List<Tracing> all;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(retiring);
            retiring.clear();
            if (current != null) {
                all.add(current);
                current = null;
            }
            if (retirer != null) {
                retirer.shutdownNow();
            }
        }
        List<CompletableResultCode> done = new ArrayList<>();
        for (Tracing t : all) {
            done.add(t.shutdown());
        }
        if (!done.isEmpty() && !CompletableResultCode.ofAll(done).join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess()) {
            log.warn("OpenTelemetry: the last spans were not all exported within {} ms of shutting down", timeout.toMillis());
        }
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    /** The gateway's version ({@code service.version}), from the build. */
    static String version() {
        try (InputStream in = Telemetry.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank() && !v.startsWith("${")) {
                    return v.strip();
                }
            }
        } catch (IOException e) {
            // the build's version is unknown: say so rather than fail
        }
        return "unknown";
    }
}
