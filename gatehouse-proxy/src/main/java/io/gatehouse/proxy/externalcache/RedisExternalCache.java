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
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
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
 * <p>Every call is asynchronous: the command goes out on the connection of the caller's event
 * loop (registered on that loop, {@link RedisConnector}), and the answer, a failure, or the
 * timeout (whichever comes first, timed on the caller's event loop) completes the returned stage
 * on the event loop of the request that asked, with no thread in between. Nothing waits longer than
 * {@code gateway.externalCache.timeout}: a lookup becomes a miss; a limit passes
 * ({@code failureMode: open}) or refuses the call with 503 and {@code Retry-After: 1}
 * ({@code closed}).
 *
 * <p>Counters are batched per key and per event loop: a call for a key with nothing in flight
 * goes in a task the loop runs once it has handled what it read in this round (with the calls
 * the other requests of the round made); while a script call for a key is in flight from a
 * loop, that loop's further calls for the key queue, and when the answer comes (or the timer of
 * the call in flight fires) the queue goes in one script call ({@link CounterScripts}), which
 * decides each call in order exactly as separate calls would and answers each. So the limit is as
 * exact as without batching (a call is only delayed, never decided in the gateway), the gateway
 * makes one timer and one write per script call instead of per request, and each call still
 * waits at most the timeout in all (the batch's timer fires at its oldest call's deadline). The
 * queues live on their loop and are touched only there: no locks.
 *
 * <p>With {@code earlyAdmission} (the default), a call far below its limit is admitted when it is
 * made, from what Redis last said of the key ({@link Batcher#admitEarly}), and still goes to Redis
 * with the next script call, where a run of such calls is one entry (their sum, counted whatever
 * the limit). A key's batcher is kept a second after its last call for that (what Redis said),
 * then forgotten.
 *
 * <p>Keys: {@code PREFIX c:COUNTER} (fixed windows, a string with a TTL), {@code PREFIX s:COUNTER}
 * (sliding windows, a hash of sub-buckets with a TTL), {@code PREFIX v:KEY} (values, with the
 * duration cache-store-value gave), {@code PREFIX r:DIGEST} (responses cache-store kept, with its
 * duration). Nothing is written without a TTL.
 */
public final class RedisExternalCache implements ExternalCache, LimitCounters, AsyncValueCache {
    private final RedisConnector connector;
    private final ExternalCacheSettings settings;
    private final Failures failures;
    private final long timeoutNanos;
    /** The gateway's event loops, each with the counter batchers of the calls made on it. */
    private final PerLoop[] perLoop;

    /** Where failures are counted ({@code gatehouse_external_cache_failures_total}). */
    public interface Failures {
        void failed(String operation, String kind);

        /**
         * Calls admitted early that Redis then counted over their limit
         * ({@code gatehouse_external_cache_early_over_limit_total}): by how many calls the shared
         * limit was passed.
         */
        default void admittedOverLimit(long calls) {
        }
    }

    RedisExternalCache(RedisConnector connector, ExternalCacheSettings settings, EventExecutorGroup loops, Failures failures) {
        this.connector = connector;
        this.settings = settings;
        this.failures = failures;
        this.timeoutNanos = settings.timeout().toNanos();
        List<PerLoop> all = new java.util.ArrayList<>();
        if (loops != null) {
            for (EventExecutor e : loops) {
                all.add(new PerLoop(e, all.size()));
            }
        }
        this.perLoop = all.toArray(new PerLoop[0]);
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
        return count(false, key, amount, limit, Math.max(1, period.toMillis()));
    }

    @Override
    public CompletionStage<CounterStore.Count> tryAddSlidingAsync(String key, long amount, long limit, Duration period) {
        return count(true, key, amount, limit, Math.max(10, period.toMillis()));
    }

    /**
     * Queues the call on its key's batcher of the calling event loop (made when the key has
     * none), which sends it when the loop has handled the rest of its round if no call of that key
     * is in flight from this loop, else with the calls queued behind it when the answer comes. Off
     * the event loops (tests, tools) a call goes alone, at once.
     */
    private CompletionStage<CounterStore.Count> count(boolean sliding, String key, long amount, long limit, long periodMillis) {
        Pending p = new Pending(amount, limit, System.nanoTime() + timeoutNanos);
        int i = callersLoopIndex();
        if (i < 0) {
            new Batcher(sliding, key, periodMillis, null, null).add(p);
            return p;
        }
        PerLoop loop = perLoop[i];
        java.util.HashMap<String, Batcher> byKey = sliding ? loop.sliding : loop.fixed;
        Batcher b = byKey.get(key);
        if (b == null) {
            b = new Batcher(sliding, key, periodMillis, loop, byKey);
            byKey.put(key, b);
        } else if (b.periodMillis != periodMillis) {
            // the same counter with another window (a config error at worst): counted alone, still atomically
            new Batcher(sliding, key, periodMillis, loop, null).add(p);
            return p;
        }
        b.admitEarly(p);
        b.add(p);
        return p;
    }

    /** The batchers of one event loop, touched only on that loop. */
    private static final class PerLoop {
        final EventExecutor loop;
        /** The loop's index in the group: its connection's slot in the connector. */
        final int index;
        final java.util.HashMap<String, Batcher> fixed = new java.util.HashMap<>();
        final java.util.HashMap<String, Batcher> sliding = new java.util.HashMap<>();
        /** The batchers with calls to send once the loop has run what it is running now. */
        final java.util.ArrayList<Batcher> ready = new java.util.ArrayList<>();
        private final Runnable flush = this::flush;
        private boolean flushing;
        private boolean sweepScheduled;

        PerLoop(EventExecutor loop, int index) {
            this.loop = loop;
            this.index = index;
        }

        /**
         * {@code b} has calls and nothing in flight: it sends them in a task of this loop, queued
         * now, which runs once the loop has handled the rest of what it read (the other requests
         * that arrived with this one join the same script call): no timer, no wait for I/O.
         */
        void ready(Batcher b) {
            ready.add(b);
            if (!flushing) {
                flushing = true;
                try {
                    loop.execute(flush);
                } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                    flush();
                }
            }
        }

        /** Forgets, within a second, the idle batchers whose last answer is too old to admit early. */
        void sweepLater() {
            if (!sweepScheduled && !loop.isShuttingDown()) {
                sweepScheduled = true;
                loop.schedule(this::sweep, EARLY_FRESH_NANOS, TimeUnit.NANOSECONDS);
            }
        }

        private void sweep() {
            sweepScheduled = false;
            long now = System.nanoTime();
            java.util.function.Predicate<Batcher> stale = b -> b.first == null && !b.inFlight && !b.waiting
                    && (b.knownCount < 0 || now - b.knownAt > b.freshNanos);
            fixed.values().removeIf(stale);
            sliding.values().removeIf(stale);
            if (!fixed.isEmpty() || !sliding.isEmpty()) {
                sweepLater();
            }
        }

        private void flush() {
            flushing = false;
            for (int i = 0; i < ready.size(); i++) { // send() may complete calls whose requests add more: by index
                Batcher b = ready.get(i);
                b.waiting = false;
                if (!b.inFlight) {
                    b.send();
                }
            }
            ready.clear();
        }
    }

    /** One call: its amount and limit, when it stops waiting, and the stage its request waits on. */
    private static final class Pending extends CompletableFuture<CounterStore.Count> {
        final long amount;
        final long limit;
        final long deadline;
        Pending next;
        /** Admitted at once ({@link Batcher#admitEarly}): Redis's answer only counts it. */
        boolean early;
        /** Its entry (amount, limit) in the script call that carries it. */
        int entry;

        Pending(long amount, long limit, long deadline) {
            this.amount = amount;
            this.limit = limit;
            this.deadline = deadline;
        }
    }

    /** The calls of one script call, and whether they are settled (by the answer or by the timer). */
    private static final class Batch extends java.util.concurrent.atomic.AtomicBoolean {
        final Pending head;
        /** The script call's entries: one per call, but one for each run of consecutive early calls. */
        final int entries;
        /** Whether it carries early calls. */
        final boolean early;
        ScheduledFuture<?> timer;

        Batch(Pending head, int entries, boolean early) {
            this.head = head;
            this.entries = entries;
            this.early = early;
        }
    }

    private static final byte[] ZERO = bytes("0");
    private static final byte[] ONE = bytes("1");
    private static final byte[] MINUS_ONE = bytes("-1");
    private static final byte[] MAX = bytes(Long.toString(Long.MAX_VALUE));
    private static final CounterStore.Count PASSED = new CounterStore.Count(true, 0, 0);
    /** The most calls one script call carries; the rest follow in the next. */
    static final int MAX_BATCH = 256;
    /** The smallest limit whose calls may be admitted early: a smaller one is always decided by Redis. */
    static final long EARLY_MIN_LIMIT = 100;
    /** How old Redis's last answer for a key may be for an early admission: at most this, and a tenth of the window. */
    static final long EARLY_FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    /**
     * The calls of one counter key from one event loop: at most one script call in flight, the
     * calls made meanwhile queued in order. Runs only on its loop (or, off the loops, for one
     * call).
     */
    private final class Batcher {
        final boolean sliding;
        final String key;
        final long periodMillis;
        final PerLoop loop;
        /** The connector's slot this key's calls go through: its loop's connection. */
        final int slot;
        final java.util.HashMap<String, Batcher> home;
        final byte[][] keys;
        final byte[] period;
        Pending first;
        Pending last;
        int queued;
        boolean inFlight;
        /** Handed to the loop's next flush. */
        boolean waiting;
        long lastLimit = Long.MIN_VALUE;
        byte[] lastLimitBytes;
        /** The count after the last call of Redis's last answer for this key, or -1 (none yet, or a failure since). */
        long knownCount = -1;
        /** When that answer came (System.nanoTime), and its millis. */
        long knownAt;
        long knownMillis;
        /** What the calls not answered yet (queued or in flight, early or not) add at most. */
        long unanswered;
        /** When the script call in flight left. */
        long sentAt;
        /** How old an answer may be for an early admission. */
        final long freshNanos;

        Batcher(boolean sliding, String key, long periodMillis, PerLoop loop, java.util.HashMap<String, Batcher> home) {
            this.sliding = sliding;
            this.key = key;
            this.periodMillis = periodMillis;
            this.loop = loop;
            this.slot = loop == null ? -1 : loop.index;
            this.home = home;
            this.keys = new byte[][] {bytes(settings.keyPrefix() + (sliding ? "s:" : "c:") + key)};
            this.period = bytes(Long.toString(periodMillis));
            this.freshNanos = Math.min(EARLY_FRESH_NANOS, TimeUnit.MILLISECONDS.toNanos(periodMillis) / 10);
        }

        /**
         * Admits {@code p} at once, before Redis has seen it, when the key is far from its limit:
         * Redis answered for this key from this loop within the last second (and tenth of the
         * window), no script call has been in flight longer than the timeout, the limit is at
         * least {@link #EARLY_MIN_LIMIT}, and the count Redis last gave plus everything asked
         * since (answered or not, as if all were admitted) plus this call stays within nine tenths
         * of the limit. The call still goes to Redis with the next script call, where it is
         * counted; its count (remaining calls) is that estimate. A refusal is never decided here.
         */
        void admitEarly(Pending p) {
            if (p.amount < 0 || p.limit == Long.MAX_VALUE) {
                return; // taking back, or counting afterwards: nothing to decide, and nobody waits for it
            }
            unanswered += p.amount;
            if (knownCount < 0 || p.limit < EARLY_MIN_LIMIT || !settings.earlyAdmission()) {
                return;
            }
            long now = System.nanoTime();
            if (now - knownAt > freshNanos || (inFlight && now - sentAt > timeoutNanos)) {
                return;
            }
            long after = knownCount + unanswered;
            if (after > p.limit - p.limit / 10) {
                return;
            }
            p.early = true;
            p.complete(new CounterStore.Count(true, after, Math.max(1, knownMillis - TimeUnit.NANOSECONDS.toMillis(now - knownAt))));
        }

        /**
         * Counts the early calls of an answered batch that took the counter over their limit: a run
         * of early calls is one entry whose answer is the count after all of them, so each call's
         * count is found again from the run's start (that count less the run's sum).
         */
        private void overLimit(Batch batch, List<Object> r) {
            long[] sums = new long[batch.entries];
            for (Pending p = batch.head; p != null; p = p.next) {
                if (p.early) {
                    sums[p.entry] += p.amount;
                }
            }
            long[] running = new long[batch.entries];
            boolean[] started = new boolean[batch.entries];
            long over = 0;
            for (Pending p = batch.head; p != null; p = p.next) {
                if (p.early) {
                    int e = p.entry;
                    if (!started[e]) {
                        started[e] = true;
                        running[e] = ((Number) r.get(3 * e + 1)).longValue() - sums[e];
                    }
                    running[e] += p.amount;
                    if (running[e] > p.limit) {
                        over++;
                    }
                }
            }
            if (over > 0) {
                failures.admittedOverLimit(over);
            }
        }

        /** {@code p} is settled (answered, failed or timed out): it no longer counts as unanswered. */
        private void settled(Pending p) {
            if (p.amount > 0 && p.limit != Long.MAX_VALUE) {
                unanswered -= p.amount;
            }
        }

        /** A failure: nothing is known of the count until Redis answers again. */
        private void forget() {
            knownCount = -1;
        }

        void add(Pending p) {
            if (last == null) {
                first = p;
            } else {
                last.next = p;
            }
            last = p;
            queued++;
            if (!inFlight && !waiting) {
                if (loop == null) {
                    send();
                } else {
                    waiting = true;
                    loop.ready(this);
                }
            }
        }

        /** Sends the queued calls (up to MAX_BATCH) in one script call, or forgets this key when none is left. */
        void send() {
            inFlight = true; // a call that a settled one's request makes meanwhile only queues
            RedisClusterAsyncCommands<byte[], byte[]> c;
            for (;;) {
                long now = System.nanoTime();
                while (first != null && first.deadline - now <= 0) { // waited its whole timeout in the queue
                    failures.failed("counter", "timeout");
                    forget();
                    failQueued();
                }
                if (first == null) {
                    inFlight = false;
                    if (home != null && home.get(key) == this) {
                        if (knownCount >= 0 && loop != null && settings.earlyAdmission()) {
                            loop.sweepLater(); // what Redis last said is kept while it is fresh enough for early admission
                        } else {
                            home.remove(key);
                        }
                    }
                    return;
                }
                c = connector.commands(slot);
                if (c != null) {
                    break;
                }
                forget();
                while (first != null) {
                    failures.failed("counter", "unavailable");
                    failQueued();
                }
            }
            long now = System.nanoTime();
            int n = Math.min(queued, MAX_BATCH);
            Pending head = first;
            byte[][] args = new byte[1 + 2 * n][];
            args[0] = period;
            Pending p = head;
            int entries = 0;
            int run = -1; // the entry of the early calls being summed, or -1
            long runSum = 0;
            boolean anyEarly = false;
            for (int k = 0; k < n; k++) {
                Pending q = take();
                if (q.early) {
                    anyEarly = true;
                    // admitted already: consecutive early calls are counted as one entry, their sum, unconditionally
                    // (limit MAX), so the script decides and answers once for all of them
                    if (run < 0) {
                        run = entries++;
                        runSum = 0;
                    }
                    runSum += q.amount;
                    q.entry = run;
                } else {
                    if (run >= 0) {
                        args[1 + 2 * run] = number(runSum);
                        args[2 + 2 * run] = MAX;
                        run = -1;
                    }
                    q.entry = entries;
                    args[1 + 2 * entries] = number(q.amount);
                    args[2 + 2 * entries] = limitBytes(q.limit);
                    entries++;
                }
                p = q;
            }
            if (run >= 0) {
                args[1 + 2 * run] = number(runSum);
                args[2 + 2 * run] = MAX;
            }
            byte[][] sent = entries < n ? java.util.Arrays.copyOf(args, 1 + 2 * entries) : args;
            p.next = null; // the batch's calls end here; the queue goes on from first
            Batch batch = new Batch(head, entries, anyEarly);
            inFlight = true;
            sentAt = now;
            String sha = sliding ? CounterScripts.SLIDING_SHA : CounterScripts.FIXED_SHA;
            RedisClusterAsyncCommands<byte[], byte[]> cmd = c;
            try {
                cmd.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, sent).whenComplete((r, t) -> {
                    Throwable cause = unwrap(t);
                    if (cause != null && (cause instanceof RedisNoScriptException || String.valueOf(cause.getMessage()).startsWith("NOSCRIPT"))) {
                        try {
                            cmd.<List<Object>>eval(sliding ? CounterScripts.SLIDING : CounterScripts.FIXED, ScriptOutputType.MULTI, keys, sent)
                                    .whenComplete((r2, t2) -> answered(batch, r2, unwrap(t2)));
                        } catch (RuntimeException e) {
                            answered(batch, null, e);
                        }
                    } else {
                        answered(batch, r, cause);
                    }
                });
            } catch (RuntimeException e) {
                answered(batch, null, e);
                return;
            }
            if (!batch.get()) {
                long wait = head.deadline - now; // the oldest call's time left: no call of the batch waits longer than its own
                if (loop != null && !loop.loop.isShuttingDown()) {
                    batch.timer = loop.loop.schedule(() -> timedOut(batch), wait, TimeUnit.NANOSECONDS);
                } else {
                    CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS).execute(() -> timedOut(batch));
                }
            }
        }

        /** The first queued call could not be sent: settled per the failure mode. */
        private void failQueued() {
            Pending p = take();
            settled(p);
            fail(p);
        }

        private Pending take() {
            Pending p = first;
            first = p.next;
            if (first == null) {
                last = null;
            }
            queued--;
            return p;
        }

        private byte[] limitBytes(long limit) {
            if (limit == Long.MAX_VALUE) {
                return MAX;
            }
            if (limit != lastLimit) {
                lastLimit = limit;
                lastLimitBytes = bytes(Long.toString(limit));
            }
            return lastLimitBytes;
        }

        /** Redis's answer or failure, on whichever thread it came: handed to the batch's loop. */
        private void answered(Batch batch, List<Object> r, Throwable t) {
            if (loop == null || loop.loop.inEventLoop()) {
                settle(batch, r, t);
            } else {
                loop.loop.execute(() -> settle(batch, r, t));
            }
        }

        private void settle(Batch batch, List<Object> r, Throwable t) {
            if (!batch.compareAndSet(false, true)) {
                return; // timed out already
            }
            if (batch.timer != null) {
                batch.timer.cancel(false);
            }
            if (t == null && (r == null || r.size() != 3 * batch.entries)) {
                t = new IllegalStateException("the counter script answered " + (r == null ? "nothing" : r.size() + " values for " + batch.entries + " entries"));
            }
            if (t == null) {
                connector.up(slot);
                if (batch.early) {
                    overLimit(batch, r); // counted before any waiting call goes on
                }
                int last = 3 * (batch.entries - 1); // the counter after the batch, known before any waiting call goes on (and may call again)
                knownCount = ((Number) r.get(last + 1)).longValue();
                knownMillis = ((Number) r.get(last + 2)).longValue();
                knownAt = System.nanoTime();
                for (Pending p = batch.head; p != null; p = p.next) {
                    settled(p);
                    if (!p.early) { // an early call is complete already: only counted
                        int k = 3 * p.entry;
                        p.complete(new CounterStore.Count(((Number) r.get(k)).longValue() == 1, ((Number) r.get(k + 1)).longValue(),
                                ((Number) r.get(k + 2)).longValue()));
                    }
                }
            } else {
                boolean timeout = t instanceof java.util.concurrent.TimeoutException;
                Throwable failure = t;
                connector.commandFailed(slot, () -> timeout ? noAnswer() : connector.explain(failure));
                forget();
                for (Pending p = batch.head; p != null; p = p.next) {
                    settled(p);
                    failures.failed("counter", timeout ? "timeout" : "unavailable");
                    fail(p);
                }
            }
            done();
        }

        /** The batch's timer fired before Redis answered: settled as a timeout (an answer coming later is ignored). */
        private void timedOut(Batch batch) {
            settle(batch, null, new java.util.concurrent.TimeoutException());
        }

        /** The batch in flight is settled: the calls queued meanwhile go next. */
        private void done() {
            if (loop == null) {
                return;
            }
            inFlight = false;
            send();
        }
    }

    /** A call the counter could not decide: passes when it only counts or takes back, else per the failure mode. */
    private void fail(Pending p) {
        if (p.amount < 0 || p.limit == Long.MAX_VALUE || settings.failureMode() != ExternalCacheSettings.FailureMode.CLOSED) {
            p.complete(PASSED); // counting afterwards or taking back: nothing to decide; or fails open: the call passes, uncounted
            return;
        }
        String msg = "the external cache did not answer within " + settings.timeout().toMillis()
                + " ms, so the limit could not be checked (gateway.externalCache.failureMode: closed)";
        p.completeExceptionally(new PolicyRejection(503, "external-cache", "ExternalCacheUnavailable", msg,
                "Service is temporarily unavailable. Try again later.", Map.of("Retry-After", "1")));
    }

    private String noAnswer() {
        return "no answer within " + settings.timeout().toMillis() + " ms (gateway.externalCache.timeout)";
    }

    private static byte[] number(long n) {
        return n == 1 ? ONE : n == 0 ? ZERO : n == -1 ? MINUS_ONE : bytes(Long.toString(n));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
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
    private <T> CompletableFuture<T> call(String op, Function<RedisClusterAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
        int slot = callersLoopIndex();
        EventExecutor loop = slot < 0 ? null : perLoop[slot].loop;
        CompletableFuture<T> out = new CompletableFuture<>();
        RedisClusterAsyncCommands<byte[], byte[]> c = connector.commands(slot);
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
            connector.commandFailed(slot, () -> connector.explain(e));
            out.completeExceptionally(e);
            return out;
        }
        // the timer and the answer are settled on the loop (or, off the loops, by the answer alone): the
        // failure is counted before the caller sees it
        ScheduledFuture<?> timer = loop == null ? null : loop.schedule(() -> {
            if (!out.isDone()) {
                failures.failed(op, "timeout");
                connector.commandFailed(slot, this::noAnswer);
                out.completeExceptionally(new java.util.concurrent.TimeoutException("no answer within " + settings.timeout().toMillis() + " ms"));
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        CompletableFuture<T> bounded = loop == null ? sent.toCompletableFuture().orTimeout(timeoutNanos, TimeUnit.NANOSECONDS) : sent.toCompletableFuture();
        bounded.whenComplete((v, t) -> {
            Runnable settle = () -> {
                if (timer != null) {
                    timer.cancel(false);
                }
                if (out.isDone()) {
                    return;
                }
                if (t == null) {
                    connector.up(slot);
                    out.complete(v);
                } else {
                    Throwable cause = unwrap(t);
                    boolean timeout = cause instanceof java.util.concurrent.TimeoutException;
                    failures.failed(op, timeout ? "timeout" : "unavailable");
                    connector.commandFailed(slot, () -> timeout ? noAnswer() : connector.explain(cause));
                    out.completeExceptionally(t);
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

    /** The index in {@link #perLoop} of the gateway event loop running this thread, or -1 (a test, a tool). */
    private int callersLoopIndex() {
        PerLoop[] all = perLoop;
        for (int i = 0; i < all.length; i++) {
            if (all[i].loop.inEventLoop()) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
