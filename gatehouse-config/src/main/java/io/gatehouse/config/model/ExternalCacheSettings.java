package io.gatehouse.config.model;

import io.gatehouse.common.Position;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * {@code gateway.externalCache}: the Redis several gateways share for limit counters and
 * external caching (APIM's "external cache").
 *
 * @param connection where and how to connect, from {@code connectionString} (and {@code password})
 * @param timeout the longest a request waits for Redis (default 50 ms): a lookup then misses, a
 *     limit follows {@code failureMode}
 * @param failureMode what a limit does when Redis does not answer in time
 * @param keyPrefix put before every key Gatehouse writes (default {@code gatehouse:})
 * @param earlyAdmission whether a limit's call far below its limit (nine tenths, as Redis last said
 *     within the last second) is admitted without waiting for Redis, and counted there with the
 *     next batch (default true); false: every call waits for Redis's decision
 * @param position where the section is written, for messages
 */
public record ExternalCacheSettings(RedisConnection connection, Duration timeout, FailureMode failureMode, String keyPrefix,
                                    boolean earlyAdmission, Position position) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);
    public static final String DEFAULT_KEY_PREFIX = "gatehouse:";

    public ExternalCacheSettings {
        requireNonNull(connection, "connection");
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        failureMode = failureMode == null ? FailureMode.OPEN : failureMode;
        keyPrefix = keyPrefix == null ? DEFAULT_KEY_PREFIX : keyPrefix;
    }

    /** With early admission (the default). */
    public ExternalCacheSettings(RedisConnection connection, Duration timeout, FailureMode failureMode, String keyPrefix, Position position) {
        this(connection, timeout, failureMode, keyPrefix, true, position);
    }

    /** {@code open}: a limit lets the call through when Redis fails; {@code closed}: it refuses it with 503. */
    public enum FailureMode {
        OPEN, CLOSED
    }
}
