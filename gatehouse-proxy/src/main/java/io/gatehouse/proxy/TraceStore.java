package io.gatehouse.proxy;

import io.gatehouse.config.model.TraceSettings;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request traces kept for {@code GET /traces/ID}: at most {@code gateway.trace.maxTraces}, the
 * oldest evicted first, each for {@code gateway.trace.retention} after it finished (a trace still
 * running is kept). Lives in the {@link GatewayRuntime}, so a reload keeps the traces and only
 * changes the bounds ({@link #configure}). Each trace bounds its own size ({@link RequestTrace}).
 * Only traced requests and the admin port touch it: a lock is fine.
 */
final class TraceStore {
    private final LinkedHashMap<String, RequestTrace> byId = new LinkedHashMap<>();
    private int maxTraces = TraceSettings.DEFAULT_MAX_TRACES;
    private long retentionNanos = TraceSettings.DEFAULT_RETENTION.toNanos();

    /** The bounds of a config now in service; traces beyond them go at once. */
    synchronized void configure(TraceSettings settings) {
        maxTraces = settings.maxTraces();
        retentionNanos = settings.retention().toNanos();
        evict(System.nanoTime());
    }

    synchronized void put(RequestTrace t) {
        byId.put(t.id(), t);
        evict(System.nanoTime());
    }

    /** The trace with this id, or null when unknown, evicted or expired. */
    synchronized RequestTrace get(String id) {
        evict(System.nanoTime());
        return byId.get(id);
    }

    synchronized int size() {
        evict(System.nanoTime());
        return byId.size();
    }

    private void evict(long now) {
        Iterator<Map.Entry<String, RequestTrace>> it = byId.entrySet().iterator();
        int excess = byId.size() - maxTraces;
        while (it.hasNext()) {
            RequestTrace t = it.next().getValue();
            long finished = t.finishedNanos();
            if (excess > 0) {
                it.remove();
                excess--;
            } else if (finished != 0 && now - finished > retentionNanos) {
                it.remove();
            }
        }
    }
}
