package io.gatehouse.expr.lib;

import java.util.UUID;

/** .NET {@code System.Guid}; prints lower-case like .NET ("D" by default, "N", "B", "P"). */
public final class Guid {
    public static final Guid EMPTY = new Guid(new UUID(0, 0));
    private final UUID uuid;

    public Guid(UUID uuid) {
        this.uuid = uuid;
    }

    public static Guid newGuid() {
        return new Guid(UUID.randomUUID());
    }

    public static Guid parse(String s) {
        String t = s.trim();
        if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("(") && t.endsWith(")"))) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.length() == 32 && t.matches("[0-9a-fA-F]{32}")) {
            t = t.substring(0, 8) + "-" + t.substring(8, 12) + "-" + t.substring(12, 16) + "-" + t.substring(16, 20)
                    + "-" + t.substring(20);
        }
        if (!t.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new IllegalArgumentException("Unrecognized Guid format.");
        }
        return new Guid(UUID.fromString(t));
    }

    public UUID uuid() {
        return uuid;
    }

    public String format(String f) {
        String d = uuid.toString();
        return switch (f == null || f.isEmpty() ? "D" : f.toUpperCase()) {
            case "D" -> d;
            case "N" -> d.replace("-", "");
            case "B" -> "{" + d + "}";
            case "P" -> "(" + d + ")";
            default -> throw new IllegalArgumentException(
                    "Format string can be only \"D\", \"d\", \"N\", \"n\", \"P\", \"p\", \"B\", \"b\", \"X\" or \"x\".");
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Guid g && g.uuid.equals(uuid);
    }

    @Override
    public int hashCode() {
        return uuid.hashCode();
    }

    @Override
    public String toString() {
        return uuid.toString();
    }
}
