package io.gatehouse.config.model;

import java.time.Duration;

/**
 * How long a client connection may stay quiet in each of its states, and how much it may take:
 * the {@code gateway.timeouts} and {@code gateway.limits} sections. Every timeout is more than 0.
 *
 * @param handshake from accepting the connection to the end of the TLS handshake
 * @param requestHeader from the first byte of a request to the end of its head (slowloris)
 * @param keepAliveIdle with no request in progress: before the first one and between requests
 * @param bodyIdle while a request body is read, the longest gap with no byte of it
 * @param writeIdle while a response is written, the longest time the client reads none of it
 * @param maxConnections open connections per listener (a listener's own {@code maxConnections}
 *     wins); by default derived from the process's open-file limit ({@link #derivedMaxConnections})
 * @param maxConnectionsDerived whether {@code maxConnections} is the derived default
 * @param maxRequestsPerConnection after this many requests a connection is closed (HTTP/1.1:
 *     the last response says {@code Connection: close}; HTTP/2: GOAWAY)
 */
public record ConnectionLimits(
        Duration handshake,
        Duration requestHeader,
        Duration keepAliveIdle,
        Duration bodyIdle,
        Duration writeIdle,
        int maxConnections,
        boolean maxConnectionsDerived,
        int maxRequestsPerConnection) {

    public static final Duration DEFAULT_HANDSHAKE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_HEADER = Duration.ofSeconds(30);
    public static final Duration DEFAULT_KEEP_ALIVE_IDLE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_BODY_IDLE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_WRITE_IDLE = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_REQUESTS_PER_CONNECTION = 1000;
    /** The derived default never goes above this, however high the open-file limit. */
    public static final int MAX_DERIVED_CONNECTIONS = 10_000;
    /** Descriptors kept back from the derivation: config files, the admin port, logs, the JVM's own. */
    static final int RESERVED_DESCRIPTORS = 64;

    /** Every default: the derived connection limit, the timeouts above, 1000 requests a connection. */
    public static ConnectionLimits defaults() {
        return new ConnectionLimits(DEFAULT_HANDSHAKE, DEFAULT_REQUEST_HEADER, DEFAULT_KEEP_ALIVE_IDLE,
                DEFAULT_BODY_IDLE, DEFAULT_WRITE_IDLE, derivedMaxConnections(), true, DEFAULT_MAX_REQUESTS_PER_CONNECTION);
    }

    /**
     * Half of the open-file limit less a reserve (each proxied request may hold a client and a
     * backend descriptor), at least 16 and at most {@value #MAX_DERIVED_CONNECTIONS}; that cap
     * alone where the limit cannot be read. The limit is reached by refusing (or making room),
     * not by running out of descriptors, which would also stop backend connections and reloads.
     */
    public static int derivedMaxConnections() {
        long fds = -1;
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            fds = unix.getMaxFileDescriptorCount();
        }
        return derivedMaxConnections(fds);
    }

    public static int derivedMaxConnections(long maxFileDescriptors) {
        if (maxFileDescriptors <= 0) {
            return MAX_DERIVED_CONNECTIONS;
        }
        long n = (maxFileDescriptors - RESERVED_DESCRIPTORS) / 2;
        return (int) Math.max(16, Math.min(MAX_DERIVED_CONNECTIONS, n));
    }
}
