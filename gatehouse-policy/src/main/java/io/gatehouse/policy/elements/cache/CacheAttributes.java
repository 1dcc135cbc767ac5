package io.gatehouse.policy.elements.cache;

import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.ExternalCache;

/** The {@code caching-type} attribute the cache policies share. */
public final class CacheAttributes {
    private CacheAttributes() {
    }

    /**
     * The store for {@code caching-type}: {@code internal} is the process-local cache;
     * {@code prefer-external} (APIM's default) the external cache ({@code gateway.externalCache})
     * when the config has one, else the local cache; {@code external} the external cache, and an
     * error when the config has none. Null after reporting.
     */
    public static AsyncValueCache store(Attributes a, CompileContext ctx) {
        String type = type(a, ctx);
        if (type == null) {
            return null;
        }
        ExternalCache external = ctx.environment().externalCache();
        return type.equals("internal") || external == null ? ValueCache.local() : external.values();
    }

    /**
     * The caching type ({@code internal}, {@code external} or {@code prefer-external}, the default;
     * read as a choice, so in any case), or null after reporting a wrong one (or {@code external}
     * without an external cache). Entries go to the external cache for any but {@code internal}
     * when the config has one.
     */
    public static String type(Attributes a, CompileContext ctx) {
        long before = ctx.diagnostics().errorCount();
        String type = a.choice("caching-type", "prefer-external", "internal", "external", "prefer-external");
        if (type.equals("external") && ctx.environment().externalCache() == null) {
            ctx.error(a.position("caching-type"), "caching-type 'external' on <" + a.element().name()
                    + ">: the config has no external cache (set gateway.externalCache.connectionString, or use internal or prefer-external)");
            return null;
        }
        return ctx.diagnostics().errorCount() == before ? type : null;
    }
}
