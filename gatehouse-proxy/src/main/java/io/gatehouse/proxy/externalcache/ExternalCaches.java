package io.gatehouse.proxy.externalcache;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.lettuce.core.resource.Transports;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The process's external cache across config loads: one {@link RedisConnector} (one connection
 * per gateway event loop),
 * made when a config names {@code gateway.externalCache}, reused by the next load while the
 * connection string (and password, and trusted CAs) stay the same, replaced when they change
 * (the old connection closes a few seconds later, once the requests that started on it are
 * done), closed when a config drops it and on shutdown.
 */
public final class ExternalCaches implements AutoCloseable {
    private final EventExecutorGroup loops;
    /** The loops Lettuce's channels can be registered on (its transport is theirs): empty when it cannot. */
    private final List<EventLoop> sharedLoops;
    private final RedisExternalCache.Failures failures;
    private final Runnable onChange;
    private RedisConnector connector;
    private volatile RedisExternalCache current;

    /**
     * @param loops the gateway's event loops: answers complete on the one that asked
     * @param socketClass the channel class the loops run; when it is the one Lettuce would use, each loop gets a
     *                    connection of its own, registered on it; else (or null) one connection runs on Lettuce's threads
     * @param failures where failed calls are counted
     * @param onChange run when the connection's state changes (up, down)
     */
    public ExternalCaches(EventExecutorGroup loops, Class<? extends Channel> socketClass, RedisExternalCache.Failures failures,
                          Runnable onChange) {
        this.loops = loops;
        List<EventLoop> shared = new java.util.ArrayList<>();
        if (loops != null && socketClass != null && socketClass == Transports.socketChannelClass()) {
            for (EventExecutor e : loops) {
                if (!(e instanceof EventLoop l)) {
                    shared.clear();
                    break;
                }
                shared.add(l);
            }
        }
        this.sharedLoops = List.copyOf(shared);
        this.failures = failures;
        this.onChange = onChange;
    }

    /**
     * The external cache for a config about to go into service, or null when it has none. Runs at
     * load, off the event loops: a new connection is made here, waiting at most its connect
     * timeout; a failure is logged and the load goes on.
     */
    public synchronized RedisExternalCache forConfig(ExternalCacheSettings settings, List<X509Certificate> trustAnchors) {
        if (settings == null) {
            retire(connector);
            connector = null;
            current = null;
            return null;
        }
        if (connector == null || !connector.settings.equals(settings.connection()) || !connector.trustAnchors.equals(trustAnchors)) {
            RedisConnector old = connector;
            connector = new RedisConnector(settings.connection(), trustAnchors, settings.timeout(), sharedLoops, onChange);
            connector.connectAtLoad();
            retire(old);
        }
        current = new RedisExternalCache(connector, settings, loops, failures);
        return current;
    }

    private static void retire(RedisConnector old) {
        if (old != null) {
            CompletableFuture.delayedExecutor(5, TimeUnit.SECONDS).execute(old::close);
        }
    }

    /** 1 while the external cache answers, 0 when it does not, -1 when the config has none (the gauge). */
    public double upValue() {
        RedisConnector c = connector;
        return c == null ? -1 : c.state() == RedisConnector.State.UP ? 1 : 0;
    }

    /** What {@code /health} shows: absent without an external cache. */
    public Map<String, Object> health() {
        RedisConnector c = connector;
        RedisExternalCache cache = current;
        if (c == null || cache == null) {
            return null;
        }
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("state", c.state().name().toLowerCase(java.util.Locale.ROOT));
        h.put("endpoint", c.settings.display());
        h.put("since", String.valueOf(c.since()));
        if (c.reason() != null) {
            h.put("reason", c.reason());
        }
        h.put("failureMode", cache.settings().failureMode().name().toLowerCase(java.util.Locale.ROOT));
        h.put("timeoutMillis", cache.settings().timeout().toMillis());
        return h;
    }

    /** The connection in use (for tests: a reload with the same connection string keeps it). */
    synchronized Object connection() {
        return connector;
    }

    /** When the state last changed. */
    public Instant since() {
        RedisConnector c = connector;
        return c == null ? null : c.since();
    }

    @Override
    public synchronized void close() {
        if (connector != null) {
            connector.close();
            connector = null;
        }
        current = null;
    }
}
