package io.gatehouse.config.model;

import io.gatehouse.common.Position;

/** A named value, referred to as {@code {{name}}} in policies. */
public record NamedValueConfig(String name, String value, boolean secret, Position position) {
    /** Never shows a secret value. */
    @Override
    public String toString() {
        return "NamedValueConfig[name=" + name + ", value=" + (secret ? "******" : value) + ", secret=" + secret
                + ", position=" + position + "]";
    }
}
