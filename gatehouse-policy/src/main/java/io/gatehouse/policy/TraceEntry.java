package io.gatehouse.policy;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One message from the {@code trace} policy or from the gateway itself (for example the internal
 * cause of an error), kept on the {@link Exchange} for the request log.
 *
 * @param source the trace policy's {@code source} attribute or the gateway stage
 * @param severity verbose, information or error
 * @param message the evaluated message
 * @param metadata name/value pairs from {@code <metadata>}
 */
public record TraceEntry(String source, String severity, String message, Map<String, String> metadata) {
    public TraceEntry {
        requireNonNull(source, "source");
        requireNonNull(severity, "severity");
        requireNonNull(message, "message");
        metadata = Map.copyOf(metadata);
    }
}
