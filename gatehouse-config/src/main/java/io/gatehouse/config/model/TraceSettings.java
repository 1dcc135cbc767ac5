package io.gatehouse.config.model;

import io.gatehouse.common.Secret;
import java.time.Duration;
import java.util.List;

/**
 * {@code gateway.trace}: request tracing as APIM's. A request whose {@code Apim-Debug-Authorization}
 * header carries one of the keys is traced; the trace is read back from the admin port.
 *
 * @param keys the secrets that turn tracing on for a request; empty: tracing is off
 * @param retention how long a finished trace is kept (default 1 hour)
 * @param maxTraces how many traces are kept at most; the oldest go first (default 100)
 */
public record TraceSettings(List<Secret> keys, Duration retention, int maxTraces) {
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
    public static final int DEFAULT_MAX_TRACES = 100;

    public TraceSettings {
        keys = keys == null ? List.of() : List.copyOf(keys);
        if (retention == null) {
            retention = DEFAULT_RETENTION;
        }
        if (maxTraces <= 0) {
            maxTraces = DEFAULT_MAX_TRACES;
        }
    }

    public static TraceSettings defaults() {
        return new TraceSettings(List.of(), DEFAULT_RETENTION, DEFAULT_MAX_TRACES);
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }
}
