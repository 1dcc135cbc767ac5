package io.gatehouse.policy.elements.cache;

import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;

/** The {@code caching-type} attribute the cache-*-value policies share. */
public final class CacheAttributes {
    private CacheAttributes() {
    }

    /**
     * The store for {@code caching-type}: {@code internal} and {@code prefer-external} (APIM's
     * default, which falls back to the internal cache when no external one is configured) use the
     * process-local cache; {@code external} is an error, since Gatehouse has no external cache yet.
     * Null after reporting.
     */
    public static ValueCache store(Attributes a, CompileContext ctx) {
        String type = a.choice("caching-type", "prefer-external", "internal", "external", "prefer-external");
        if (type.equals("external")) {
            ctx.error(a.position("caching-type"), "caching-type 'external' on <" + a.element().name()
                    + ">: Gatehouse has no external cache yet (use internal or prefer-external)");
            return null;
        }
        return ValueCache.local();
    }
}
