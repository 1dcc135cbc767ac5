package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/**
 * One port the gateway listens on; {@code tls: false} makes it plain HTTP.
 *
 * @param maxConnections this listener's connection limit; null for {@code gateway.limits.maxConnections}
 */
public record ListenerConfig(int port, boolean tls, String bind, Position position, Integer maxConnections) {
    public ListenerConfig(int port, boolean tls, String bind, Position position) {
        this(port, tls, bind, position, null);
    }
}
