package io.gatehouse.policy.elements.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The responses {@code cache-store} keeps for {@code cache-lookup}, in this process's memory
 * (Caffeine): bounded by the bytes of the bodies and headers it holds, each entry expiring after
 * the duration it was stored with; when full, the least useful entries go first. A response larger
 * than {@link #maxEntryBytes()} is not stored, so one big answer cannot flush the cache.
 *
 * <p>Keys are digests made by {@code cache-lookup}: they never hold header values (such as an
 * {@code Authorization} header it varies by). Thread-safe.
 */
public final class ResponseCache {
    /** Bytes held per environment unless configured otherwise. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** Bookkeeping charged per entry on top of its bytes, so many tiny entries are bounded too. */
    static final int ENTRY_OVERHEAD = 128;

    /** One stored response; {@code storedAtNanos}/{@code ttlNanos} are on the cache's ticker. */
    public record Entry(int status, String reason, List<Map.Entry<String, List<String>>> headers, byte[] body,
                        String contentType, long storedAtNanos, long ttlNanos) {
        public Entry {
            requireNonNull(reason, "reason");
            headers = List.copyOf(headers);
            requireNonNull(body, "body");
        }

        public int weight() {
            long w = ENTRY_OVERHEAD + body.length;
            for (Map.Entry<String, List<String>> h : headers) {
                w += h.getKey().length();
                for (String v : h.getValue()) {
                    w += v.length() + 8;
                }
            }
            return (int) Math.min(Integer.MAX_VALUE, w);
        }

        /**
         * This entry for the external cache: stored at {@code epochMillis} (wall clock, so another
         * gateway can tell its age), with its time to live; read back with {@link #fromBytes}.
         */
        public byte[] toBytes(long epochMillis) {
            try {
                java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(body.length + 256);
                java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
                out.writeByte(1); // format version
                out.writeLong(epochMillis);
                out.writeLong(ttlNanos);
                out.writeInt(status);
                out.writeUTF(reason);
                out.writeBoolean(contentType != null);
                if (contentType != null) {
                    out.writeUTF(contentType);
                }
                out.writeInt(headers.size());
                for (Map.Entry<String, List<String>> h : headers) {
                    out.writeUTF(h.getKey());
                    out.writeInt(h.getValue().size());
                    for (String v : h.getValue()) {
                        out.writeUTF(v);
                    }
                }
                out.writeInt(body.length);
                out.write(body);
                out.flush();
                return bytes.toByteArray();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /**
         * An entry {@link #toBytes} wrote, stamped on {@code ticker}'s clock ({@code nowNanos} now,
         * {@code nowEpochMillis} on the wall clock); null when {@code b} is not one, or expired.
         */
        public static Entry fromBytes(byte[] b, long nowNanos, long nowEpochMillis) {
            if (b == null) {
                return null;
            }
            try {
                java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(b));
                if (in.readByte() != 1) {
                    return null;
                }
                long stored = in.readLong();
                long ttl = in.readLong();
                int status = in.readInt();
                String reason = in.readUTF();
                String contentType = in.readBoolean() ? in.readUTF() : null;
                int n = in.readInt();
                List<Map.Entry<String, List<String>>> headers = new java.util.ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    String name = in.readUTF();
                    int m = in.readInt();
                    List<String> values = new java.util.ArrayList<>(m);
                    for (int j = 0; j < m; j++) {
                        values.add(in.readUTF());
                    }
                    headers.add(Map.entry(name, values));
                }
                byte[] body = new byte[in.readInt()];
                in.readFully(body);
                long ageNanos = Math.max(0, nowEpochMillis - stored) * 1_000_000L;
                if (ageNanos >= ttl) {
                    return null;
                }
                return new Entry(status, reason, headers, body, contentType, nowNanos - ageNanos, ttl);
            } catch (java.io.IOException | RuntimeException e) {
                return null; // not an entry this version wrote: a miss
            }
        }

        /** Whole seconds left to live at {@code nowNanos}, at least 0. */
        public long secondsLeft(long nowNanos) {
            return Math.max(0, (storedAtNanos + ttlNanos - nowNanos) / 1_000_000_000L);
        }

        /** Whole seconds since it was stored (the {@code Age} header). */
        public long age(long nowNanos) {
            return Math.max(0, (nowNanos - storedAtNanos) / 1_000_000_000L);
        }
    }

    private final Cache<String, Entry> cache;
    private final Ticker ticker;
    private final long maxEntryBytes;

    /**
     * @param maxBytes bytes held before eviction starts
     * @param maxEntryBytes the largest response stored
     * @param ticker nanoseconds; tests pass a fake one
     */
    public ResponseCache(long maxBytes, long maxEntryBytes, Ticker ticker) {
        if (maxBytes < 1 || maxEntryBytes < 1 || maxEntryBytes > maxBytes) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + ", maxEntryBytes: " + maxEntryBytes
                    + " (expected: 1 <= maxEntryBytes <= maxBytes)");
        }
        this.ticker = requireNonNull(ticker, "ticker");
        this.maxEntryBytes = maxEntryBytes;
        this.cache = Caffeine.newBuilder().maximumWeight(maxBytes).weigher((String k, Entry e) -> e.weight())
                .ticker(ticker).executor(Runnable::run)
                .expireAfter(new PerEntryTtl<>(Entry::ttlNanos)).build();
    }

    /** {@link #DEFAULT_MAX_BYTES}, entries up to 1/8 of it, on the system ticker. */
    public static ResponseCache withDefaults() {
        return new ResponseCache(DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES / 8, Ticker.systemTicker());
    }

    /** Now on this cache's ticker, for {@link Entry#storedAtNanos()}. */
    public long nanoTime() {
        return ticker.read();
    }

    public long maxEntryBytes() {
        return maxEntryBytes;
    }

    /** The response stored under {@code key}, or null when absent or expired. */
    public Entry get(String key) {
        return cache.getIfPresent(key);
    }

    /**
     * Stores {@code entry} under {@code key} for {@code entry.ttlNanos()}; returns false (storing
     * nothing) when it is larger than {@link #maxEntryBytes()}.
     */
    public boolean put(String key, Entry entry) {
        if (entry.weight() > maxEntryBytes) {
            return false;
        }
        cache.put(key, entry);
        return true;
    }

    /** Stores a response under {@code key} for {@code ttl}, stamped now. */
    public boolean put(String key, int status, String reason, List<Map.Entry<String, List<String>>> headers, byte[] body,
                       String contentType, Duration ttl) {
        return put(key, new Entry(status, reason, headers, body, contentType, ticker.read(), Math.max(1, ttl.toNanos())));
    }

    /** Bytes held now (approximate until pending evictions run). */
    public long weightedSize() {
        cache.cleanUp();
        return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    /** Entries held now (approximate). */
    public long size() {
        return cache.estimatedSize();
    }
}
