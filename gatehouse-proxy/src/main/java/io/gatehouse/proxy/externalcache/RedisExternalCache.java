package io.gatehouse.proxy.externalcache;

import io.gatehouse.config.model.ExternalCacheSettings;
import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.policy.elements.LimitCounters;
import io.gatehouse.policy.elements.PolicyRejection;
import io.gatehouse.policy.elements.cache.AsyncValueCache;
import io.gatehouse.policy.spi.ExternalCache;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@link ExternalCache} on Redis for one config load: the load's timeout, failure mode and key
 * prefix over the process's {@link RedisConnector}.
 *
 * <p>Every call is asynchronous: the command goes out on Lettuce's thread, and the answer, a
 * failure, or the timeout (whichever comes first, timed on the caller's event loop) completes the
 * returned stage on the event loop of the request that asked. Nothing waits longer than
 * {@code gateway.externalCache.timeout}: a lookup becomes a miss; a limit passes
 * ({@code failureMode: open}) or refuses the call with 503 and {@code Retry-After: 1}
 * ({@code closed}).
 *
 * <p>Keys: {@code PREFIX c:COUNTER} (fixed windows, a string with a TTL), {@code PREFIX s:COUNTER}
 * (sliding windows, a hash of sub-buckets with a TTL), {@code PREFIX v:KEY} (values, with the
 * duration cache-store-value gave), {@code PREFIX r:DIGEST} (responses cache-store kept, with its
 * duration). Nothing is written without a TTL.
 */
public final class RedisExternalCache implements ExternalCache, LimitCounters, AsyncValueCache {
    private final RedisConnector connector;
    private final ExternalCacheSettings settings;
    private final EventExecutorGroup loops;
    private final Failures failures;
    private final long timeoutNanos;

    /** Where failures are counted ({@code gatehouse_external_cache_failures_total}). */
    public interface Failures {
        void failed(String operation, String kind);
    }

    RedisExternalCache(RedisConnector connector, ExternalCacheSettings settings, EventExecutorGroup loops, Failures failures) {
        this.connector = connector;
        this.settings = settings;
        this.loops = loops;
        this.failures = failures;
        this.timeoutNanos = settings.timeout().toNanos();
    }

    @Override
    public LimitCounters counters() {
        return this;
    }

    @Override
    public AsyncValueCache values() {
        return this;
    }

    ExternalCacheSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- counters

    @Override
    public CompletionStage<CounterStore.Count> tryAddAsync(String key, long amount, long limit, Duration period) {
        return count("fixed", CounterScripts.FIXED_SHA, CounterScripts.FIXED, "c:" + key, amount, limit, Math.max(1, period.toMillis()));
    }

    @Override
    public CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
        return count("sliding", CounterScripts.SLIDING_SHA, CounterScripts.SLIDING, "s:" + key, amount, limit,
                Math.max(10, period.toMillis()));
    }

    private CompletionStage<CounterStore.Count> count(String op, String sha, String script, String key, long amount, long limit,
                                                      long periodMillis) {
        byte[][] keys = {bytes(settings.keyPrefix() + key)};
        byte[][] args = {bytes(Long.toString(amount)), bytes(Long.toString(limit)), bytes(Long.toString(periodMillis))};
        CompletableFuture<List<Object>> answer = call("counter", c -> this.<List<Object>>eval(c, sha, script, keys, args));
        return answer.handle((r, t) -> {
            if (t == null) {
                return new CounterStore.Count(((Number) r.get(0)).longValue() == 1, ((Number) r.get(1)).longValue(),
                        ((Number) r.get(2)).longValue());
            }
            if (amount < 0 || limit == Long.MAX_VALUE) {
                return new CounterStore.Count(true, 0, 0); // counting afterwards or taking back: nothing to decide
            }
            if (settings.failureMode() == ExternalCacheSettings.FailureMode.CLOSED) {
                String msg = "the external cache did not answer within " + settings.timeout().toMillis()
                        + " ms, so the limit could not be checked (gateway.externalCache.failureMode: closed)";
                throw new PolicyRejection(503, "external-cache", "ExternalCacheUnavailable", msg,
                        "Service is temporarily unavailable. Try again later.", Map.of("Retry-After", "1"));
            }
            return new CounterStore.Count(true, 0, 0); // fails open: the call passes, uncounted
        });
    }

    /** EVALSHA, and EVAL once when the server does not have the script (first use, or a restarted Redis). */
    private <T> CompletionStage<T> eval(RedisAsyncCommands<byte[], byte[]> c, String sha, String script, byte[][] keys, byte[][] args) {
        CompletionStage<T> first = c.evalsha(sha, ScriptOutputType.MULTI, keys, args);
        return first.handle((v, t) -> {
            if (t == null) {
                return CompletableFuture.completedStage(v);
            }
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
            if (cause instanceof RedisNoScriptException || String.valueOf(cause.getMessage()).startsWith("NOSCRIPT")) {
                return c.<T>eval(script, ScriptOutputType.MULTI, keys, args);
            }
            return CompletableFuture.<T>failedStage(cause);
        }).thenCompose(s -> s);
    }

    // ---------------------------------------------------------------- values

    @Override
    public CompletionStage<Object> getAsync(String key) {
        return call("lookup", c -> c.get(bytes(settings.keyPrefix() + "v:" + key))).handle((v, t) -> t == null ? decode(v) : null);
    }

    @Override
    public CompletionStage<Void> putAsync(String key, Object value, Duration ttl) {
        return call("store", c -> c.set(bytes(settings.keyPrefix() + "v:" + key), encode(value),
                SetArgs.Builder.px(Math.max(1, ttl.toMillis())))).handle((v, t) -> null);
    }

    @Override
    public CompletionStage<Void> removeAsync(String key) {
        return call("remove", c -> c.del(bytes(settings.keyPrefix() + "v:" + key))).handle((v, t) -> null);
    }

    // ---------------------------------------------------------------- responses

    @Override
    public CompletionStage<byte[]> getResponse(String key) {
        return call("lookup", c -> c.get(bytes(settings.keyPrefix() + "r:" + key))).handle((v, t) -> t == null ? v : null);
    }

    @Override
    public CompletionStage<Void> putResponse(String key, byte[] entry, Duration ttl) {
        return call("store", c -> c.set(bytes(settings.keyPrefix() + "r:" + key), entry,
                SetArgs.Builder.px(Math.max(1, ttl.toMillis())))).handle((v, t) -> null);
    }

    /**
     * A value as stored: a type letter, then its text, so a number read back is a number again:
     * {@code s} text, {@code b} boolean, {@code i} int, {@code l} long, {@code d} double; anything
     * else is stored as its text.
     */
    static byte[] encode(Object v) {
        char tag = v instanceof Boolean ? 'b' : v instanceof Integer ? 'i' : v instanceof Long ? 'l'
                : v instanceof Double || v instanceof Float ? 'd' : 's';
        return bytes(tag + String.valueOf(v));
    }

    static Object decode(byte[] b) {
        if (b == null || b.length == 0) {
            return null;
        }
        String s = new String(b, 1, b.length - 1, StandardCharsets.UTF_8);
        try {
            return switch (b[0]) {
                case 'b' -> Boolean.valueOf(s);
                case 'i' -> Integer.valueOf(s);
                case 'l' -> Long.valueOf(s);
                case 'd' -> Double.valueOf(s);
                default -> s;
            };
        } catch (NumberFormatException e) {
            return s;
        }
    }

    // ---------------------------------------------------------------- the call

    /**
     * Sends {@code command} and completes on the caller's event loop with its answer, or
     * exceptionally when it fails or {@code timeout} passes first (counted, and the connector's
     * state follows).
     */
    private <T> CompletableFuture<T> call(String op, Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
        EventExecutor loop = callersLoop();
        CompletableFuture<T> out = new CompletableFuture<>();
        RedisAsyncCommands<byte[], byte[]> c = connector.commands();
        if (c == null) {
            failures.failed(op, "unavailable");
            out.completeExceptionally(new IllegalStateException("not connected: " + connector.reason()));
            return out;
        }
        CompletionStage<T> sent;
        try {
            sent = command.apply(c);
        } catch (RuntimeException e) {
            failures.failed(op, "unavailable");
            connector.down(connector.explain(e));
            out.completeExceptionally(e);
            return out;
        }
        ScheduledFuture<?> timer = loop == null ? null : loop.schedule(() -> {
            if (out.completeExceptionally(new java.util.concurrent.TimeoutException("no answer within " + settings.timeout().toMillis() + " ms"))) {
                failures.failed(op, "timeout");
                connector.down("no answer within " + settings.timeout().toMillis() + " ms (gateway.externalCache.timeout)");
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        CompletableFuture<T> bounded = loop == null ? sent.toCompletableFuture().orTimeout(timeoutNanos, TimeUnit.NANOSECONDS) : sent.toCompletableFuture();
        bounded.whenComplete((v, t) -> {
            Runnable settle = () -> {
                if (timer != null) {
                    timer.cancel(false);
                }
                if (t == null) {
                    if (out.complete(v)) {
                        connector.up();
                    }
                } else if (out.completeExceptionally(t)) {
                    Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                    boolean timeout = cause instanceof java.util.concurrent.TimeoutException;
                    failures.failed(op, timeout ? "timeout" : "unavailable");
                    connector.down(timeout ? "no answer within " + settings.timeout().toMillis() + " ms (gateway.externalCache.timeout)"
                            : connector.explain(cause));
                }
            };
            if (loop == null || loop.inEventLoop()) {
                settle.run();
            } else {
                loop.execute(settle);
            }
        });
        return out;
    }

    /** The gateway event loop running this thread, or null (a test, a tool). */
    private EventExecutor callersLoop() {
        if (loops == null) {
            return null;
        }
        for (EventExecutor e : loops) {
            if (e.inEventLoop()) {
                return e;
            }
        }
        return null;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
