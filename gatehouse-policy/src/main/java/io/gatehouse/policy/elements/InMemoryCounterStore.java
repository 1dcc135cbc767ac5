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
 * windows ({@link #tryAddSliding}) keep two buckets aligned to multiples of the period: the one
 * running now and the one before it, whose count is weighted by how much of it still lies inside
 * the sliding window (the estimate Cloudflare and nginx use; exact when calls are spread evenly).
 */
public final class InMemoryCounterStore implements CounterStore {
    static final InMemoryCounterStore SHARED = new InMemoryCounterStore(System::currentTimeMillis);

    private static final int SWEEP_EVERY = 4096;

    /** A fixed window: ends at {@code end} (epoch ms) with {@code count} so far. */
    private record Window(long end, long count) {
    }

    /** A sliding window's two buckets of {@code length} ms: the one starting at {@code start} and the one just before it. */
    private record Slide(long start, long length, long previous, long current) {
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
        long length = Math.max(1, period.toMillis());
        long aligned = now - Math.floorMod(now, length);
        Count out;
        while (true) {
            AtomicReference<Object> ref = cell(slides, key);
            Object seen = ref.get();
            if (seen == TOMBSTONE) {
                slides.remove(key, ref);
                continue;
            }
            Slide s = (Slide) seen;
            Slide cur;
            if (s == null || s.length != length || s.start + 2 * length <= now) {
                cur = new Slide(aligned, length, 0, 0);
            } else if (s.start + length <= now) {
                cur = new Slide(aligned, length, s.current, 0);
            } else {
                cur = s;
            }
            long elapsed = now - cur.start;
            double weight = (double) (length - elapsed) / length;
            double estimate = cur.previous * weight + cur.current;
            if (estimate + amount > limit + 1e-9) {
                out = new Count(false, (long) Math.ceil(estimate - 1e-9), waitMillis(cur, elapsed, length, amount, limit));
                break;
            }
            Slide next = new Slide(cur.start, length, cur.previous, cur.current + amount);
            if (ref.compareAndSet(seen, next)) {
                out = new Count(true, (long) Math.ceil(estimate + amount - 1e-9), length - elapsed);
                break;
            }
        }
        sweep(now);
        return out;
    }

    /** How long until {@code amount} more fits under {@code limit} as the previous bucket's weight fades. */
    private static long waitMillis(Slide s, long elapsed, long length, long amount, long limit) {
        if (amount > limit) {
            return 2 * length; // never fits; tell the caller to wait a whole window
        }
        long room = limit - s.current - amount;
        if (room >= 0) {
            // within this bucket: previous * (length - e) / length <= room
            double e = s.previous == 0 ? elapsed : length * (1.0 - (double) room / s.previous);
            return Math.max(1, (long) Math.ceil(e) - elapsed);
        }
        // only in the next bucket, where this bucket's count becomes the fading one
        double e = s.current == 0 ? 0 : length * (1.0 - (double) (limit - amount) / s.current);
        return (length - elapsed) + Math.max(0, (long) Math.ceil(e));
    }

    /** Every {@link #SWEEP_EVERY} calls, drops states that no longer count anything. */
    private void sweep(long now) {
        if (calls.incrementAndGet() % SWEEP_EVERY != 0) {
            return;
        }
        drop(windows, now, (o, t) -> ((Window) o).end <= t);
        // a sliding state counts nothing once both its buckets lie before any window that could start now
        drop(slides, now, (o, t) -> ((Slide) o).start + 2 * ((Slide) o).length <= t);
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
