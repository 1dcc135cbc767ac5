package io.gatehouse.policy.elements;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * {@link CounterStore} in this process's memory. Each key holds one small immutable state in an
 * {@link AtomicReference}, replaced by compare-and-set: counting never takes a lock, and unrelated
 * keys never wait for each other. Every few thousand calls, states of keys that stopped coming are
 * swept; a swept state is first swapped for a tombstone, so a call racing with the sweep retries on
 * a fresh state instead of counting into one that is being dropped.
 *
 * <p>Fixed windows ({@link #tryAdd}) start at the first call after the previous one ended. Sliding
 * windows ({@link #tryAddSliding}) are rings of {@link #BUCKETS} sub-buckets aligned to tenths of
 * the period: a call counts until the sub-bucket it fell in is a whole period old, so between
 * 90% and 100% of a period after it was made, and a refused call is told when enough sub-buckets
 * will have left. The whole ring is one immutable value swapped by compare-and-set.
 */
public final class InMemoryCounterStore implements CounterStore {
    static final InMemoryCounterStore SHARED = new InMemoryCounterStore(System::currentTimeMillis);

    private static final int SWEEP_EVERY = 4096;

    /** A fixed window: ends at {@code end} (epoch ms) with {@code count} so far. */
    private record Window(long end, long count) {
    }

    /** Sub-buckets per sliding window. */
    static final int BUCKETS = 10;

    /**
     * A sliding window as a ring of {@link #BUCKETS} sub-buckets of {@code sub} ms: {@code counts[i % BUCKETS]}
     * holds the calls of sub-bucket {@code i} for the last {@link #BUCKETS} indexes up to {@code head}.
     * Immutable: a call makes a new ring.
     */
    private record Ring(long sub, long head, long[] counts) {
        /** {@code r} moved forward to sub-bucket {@code index}, with the buckets that left the window cleared. */
        static Ring at(Ring r, long sub, long index) {
            if (r == null || r.sub != sub || index - r.head >= BUCKETS) {
                return new Ring(sub, index, new long[BUCKETS]);
            }
            if (index <= r.head) {
                return r;
            }
            long[] c = r.counts.clone();
            for (long i = r.head + 1; i <= index; i++) {
                c[(int) Math.floorMod(i, BUCKETS)] = 0;
            }
            return new Ring(sub, index, c);
        }

        long total() {
            long t = 0;
            for (long c : counts) {
                t += c;
            }
            return t;
        }

        Ring plus(long amount) {
            long[] c = counts.clone();
            c[(int) Math.floorMod(head, BUCKETS)] += amount;
            return new Ring(sub, head, c);
        }

        /**
         * How long from {@code now} until {@code excess} calls have left the window, oldest
         * sub-bucket first (a sub-bucket leaves {@link #BUCKETS} sub-buckets after it began), at
         * least 1 ms; {@code never}: a whole window.
         */
        long millisUntilFits(long now, long excess, boolean never) {
            if (never) {
                return sub * BUCKETS;
            }
            long freed = 0;
            for (long i = head - BUCKETS + 1; i <= head; i++) {
                freed += counts[(int) Math.floorMod(i, BUCKETS)];
                if (freed >= excess) {
                    return Math.max(1, (i + BUCKETS) * sub - now);
                }
            }
            return Math.max(1, (head + BUCKETS) * sub - now);
        }
    }

    private static final Object TOMBSTONE = new Object();

    private final ConcurrentHashMap<String, AtomicReference<Object>> windows = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicReference<Object>> slides = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> slots = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final LongSupplier clock;

    /** @param clock epoch milliseconds; tests pass a fake one */
    public InMemoryCounterStore(LongSupplier clock) {
        this.clock = clock;
    }

    private static AtomicReference<Object> cell(ConcurrentHashMap<String, AtomicReference<Object>> map, String key) {
        AtomicReference<Object> ref = map.get(key);
        return ref != null ? ref : map.computeIfAbsent(key, k -> new AtomicReference<>());
    }

    @Override
    public Count tryAdd(String key, long amount, long limit, Duration period) {
        long now = clock.getAsLong();
        long length = Math.max(1, period.toMillis());
        Count out;
        while (true) {
            AtomicReference<Object> ref = cell(windows, key);
            Object seen = ref.get();
            if (seen == TOMBSTONE) {
                windows.remove(key, ref);
                continue;
            }
            Window w = (Window) seen;
            Window cur = w == null || now >= w.end ? new Window(now + length, 0) : w;
            if (cur.count + amount > limit) {
                out = new Count(false, cur.count, cur.end - now);
                break;
            }
            Window next = new Window(cur.end, cur.count + amount);
            if (ref.compareAndSet(seen, next)) {
                out = new Count(true, next.count, next.end - now);
                break;
            }
        }
        sweep(now);
        return out;
    }

    @Override
    public Count tryAddSliding(String key, long amount, long limit, Duration period) {
        long now = clock.getAsLong();
        long length = Math.max(BUCKETS, period.toMillis());
        long sub = length / BUCKETS;
        long index = Math.floorDiv(now, sub);
        Count out;
        while (true) {
            AtomicReference<Object> ref = cell(slides, key);
            Object seen = ref.get();
            if (seen == TOMBSTONE) {
                slides.remove(key, ref);
                continue;
            }
            Ring cur = Ring.at((Ring) seen, sub, index);
            long total = cur.total();
            if (total + amount > limit) {
                out = new Count(false, total, cur.millisUntilFits(now, total + amount - limit, amount > limit));
                break;
            }
            Ring next = cur.plus(amount);
            if (ref.compareAndSet(seen, next)) {
                out = new Count(true, total + amount, next.millisUntilFits(now, 1, false));
                break;
            }
        }
        sweep(now);
        return out;
    }

    /** Every {@link #SWEEP_EVERY} calls, drops states that no longer count anything. */
    private void sweep(long now) {
        if (calls.incrementAndGet() % SWEEP_EVERY != 0) {
            return;
        }
        drop(windows, now, (o, t) -> ((Window) o).end <= t);
        // a ring counts nothing once its newest sub-bucket has left the window
        drop(slides, now, (o, t) -> (((Ring) o).head + BUCKETS) * ((Ring) o).sub <= t);
    }

    private interface Dead {
        boolean test(Object state, long now);
    }

    private static void drop(ConcurrentHashMap<String, AtomicReference<Object>> map, long now, Dead dead) {
        for (Map.Entry<String, AtomicReference<Object>> e : map.entrySet()) {
            Object v = e.getValue().get();
            if (v != null && v != TOMBSTONE && dead.test(v, now) && e.getValue().compareAndSet(v, TOMBSTONE)) {
                map.remove(e.getKey(), e.getValue());
            }
        }
    }

    @Override
    public boolean tryAcquire(String key, int max) {
        boolean[] taken = new boolean[1];
        slots.compute(key, (k, n) -> {
            int used = n == null ? 0 : n;
            if (used >= max) {
                return n;
            }
            taken[0] = true;
            return used + 1;
        });
        return taken[0];
    }

    @Override
    public void release(String key) {
        slots.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Slots of {@code key} in use (for tests and metrics). */
    public int inUse(String key) {
        Integer n = slots.get(key);
        return n == null ? 0 : n;
    }

    /** Keys with a fixed or sliding window, ended or not (for tests). */
    int windowCount() {
        return windows.size() + slides.size();
    }
}
