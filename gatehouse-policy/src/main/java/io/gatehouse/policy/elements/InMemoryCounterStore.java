package io.gatehouse.policy.elements;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@link CounterStore} in this process's memory: one small immutable window per key, replaced
 * atomically with {@link ConcurrentHashMap#compute}, which locks only that key's bin. Ended
 * windows are swept every few thousand calls so keys that stop coming do not pile up.
 */
public final class InMemoryCounterStore implements CounterStore {
    static final InMemoryCounterStore SHARED = new InMemoryCounterStore(System::currentTimeMillis);

    private static final int SWEEP_EVERY = 4096;

    private record Window(long end, long count) {
    }

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> slots = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final LongSupplier clock;

    /** @param clock epoch milliseconds; tests pass a fake one */
    public InMemoryCounterStore(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public Count tryAdd(String key, long amount, long limit, Duration period) {
        long now = clock.getAsLong();
        long length = Math.max(1, period.toMillis());
        Count[] out = new Count[1];
        windows.compute(key, (k, w) -> {
            Window cur = w == null || now >= w.end ? new Window(now + length, 0) : w;
            if (cur.count + amount > limit) {
                out[0] = new Count(false, cur.count, cur.end - now);
                return cur;
            }
            Window next = new Window(cur.end, cur.count + amount);
            out[0] = new Count(true, next.count, next.end - now);
            return next;
        });
        if (calls.incrementAndGet() % SWEEP_EVERY == 0) {
            windows.values().removeIf(w -> w.end <= now);
        }
        return out[0];
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

    /** Keys with a window, ended or not (for tests). */
    int windowCount() {
        return windows.size();
    }
}
