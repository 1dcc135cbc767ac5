package io.gatehouse.policy.elements.cache;

import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;

/** The {@code caching-type} attribute the cache policies share. */
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
        return internalCache(a, ctx) ? ValueCache.local() : null;
    }

    /**
     * Reads {@code caching-type} (a constant): true for {@code internal} and {@code prefer-external}
     * (the default), false after reporting for {@code external} or a value that is none of these.
     */
    public static boolean internalCache(Attributes a, CompileContext ctx) {
        long before = ctx.diagnostics().errorCount();
        String type = a.choice("caching-type", "prefer-external", "internal", "external", "prefer-external");
        if (type.equals("external")) {
            ctx.error(a.position("caching-type"), "caching-type 'external' on <" + a.element().name()
                    + ">: Gatehouse has no external cache yet (use internal or prefer-external)");
            return false;
        }
        return ctx.diagnostics().errorCount() == before;
    }
}
