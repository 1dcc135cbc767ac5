package io.gatehouse.policy.elements.liquid;

/**
 * An object a template reads by member name without it being copied into a map first, such as
 * {@code context.Request.Headers}. Returns null for an unknown member, as Liquid does.
 */
public interface Drop {
    Object member(String name);

    /** How the drop prints in {@code {{ }}}: nothing unless it has a natural text (a URL does). */
    default String text() {
        return "";
    }
}
