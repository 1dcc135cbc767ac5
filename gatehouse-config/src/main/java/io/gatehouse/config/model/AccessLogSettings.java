package io.gatehouse.config.model;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code gateway.accessLog}: one line per request, written off the request path.
 *
 * @param format how each line reads: JSON (the default), a console line for people, or off
 * @param file where the lines go; null for standard output
 * @param queryString whether the logged path keeps its query string (off by default: query
 *     strings carry tokens and subscription keys more often than anything else in a URL)
 * @param bufferLines how many lines may wait for the writer; when full, lines are dropped and
 *     counted ({@code gatehouse_access_log_dropped_total}), never waited for
 */
public record AccessLogSettings(Format format, Path file, boolean queryString, int bufferLines) {
    public static final int DEFAULT_BUFFER_LINES = 16_384;

    /** The values of {@code gateway.accessLog.format}. */
    public enum Format {
        JSON, CONSOLE, OFF;

        public static final List<String> NAMES = List.of("json", "console", "off");
    }

    public AccessLogSettings {
        if (format == null) {
            format = Format.JSON;
        }
        if (bufferLines <= 0) {
            bufferLines = DEFAULT_BUFFER_LINES;
        }
    }

    public static AccessLogSettings defaults() {
        return new AccessLogSettings(Format.JSON, null, false, DEFAULT_BUFFER_LINES);
    }

    public boolean enabled() {
        return format != Format.OFF;
    }
}
