package io.gatehouse.proxy;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * What every connection shares: the snapshot now serving, the upstream pool, the metrics and the
 * request traces (kept across reloads; each swap applies the new config's bounds).
 */
final class GatewayRuntime {
    private final AtomicReference<GatewaySnapshot> current;
    final UpstreamPool pool;
    final GatewayMetrics metrics;
    final LongAdder inFlight = new LongAdder();
    /** {@code gateway.accessLog}; replaced (and the old one closed) when a reload changes its settings. */
    volatile AccessLog accessLog = AccessLog.OFF;
    final TraceStore traces = new TraceStore();

    GatewayRuntime(GatewaySnapshot first, UpstreamPool pool, GatewayMetrics metrics) {
        this.current = new AtomicReference<>(first);
        this.pool = pool;
        this.metrics = metrics;
        if (first != null) { // null: a runtime for the upstream side alone (UpstreamCollectorTest)
            traces.configure(first.config.model().gateway().trace());
        }
    }

    GatewaySnapshot current() {
        return current.get();
    }

    void swap(GatewaySnapshot next) {
        current.set(next);
        traces.configure(next.config.model().gateway().trace());
    }
}
