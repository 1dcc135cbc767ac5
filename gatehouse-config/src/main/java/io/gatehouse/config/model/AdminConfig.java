package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/** The admin listener: {@code /metrics} now; loopback by default. */
public record AdminConfig(int port, String bind, Position position) {
}
