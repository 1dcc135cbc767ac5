package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/** One port the gateway listens on; {@code tls: false} makes it plain HTTP. */
public record ListenerConfig(int port, boolean tls, String bind, Position position) {
}
