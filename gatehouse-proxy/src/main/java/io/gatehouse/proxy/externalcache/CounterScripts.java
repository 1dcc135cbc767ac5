package io.gatehouse.proxy.externalcache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The two Lua scripts the Redis counters run, one per operation, each atomic on the server and
 * timed by the server's clock ({@code TIME}), so every gateway counts in the same windows. Sent
 * with EVALSHA; a server that does not know the script yet (first use, or restarted) gets it once
 * with EVAL, which also caches it there.
 *
 * <p>Numbers given to Redis are formatted with {@code %d}: Lua 5.1 would write a large one as
 * {@code 3.1536e+13}, which PX refuses.
 *
 * <p>Both return {@code {allowed (1|0), count, millis}} with the meaning of
 * {@code CounterStore.Count}, and both keep the in-memory store's semantics
 * ({@code InMemoryCounterStore}).
 */
final class CounterScripts {
    private CounterScripts() {
    }

    /**
     * A fixed window: {@code KEYS[1]} holds the count and expires when the window ends (the window
     * starts at the first call after the previous one ended). ARGV: amount, limit, period in ms.
     * Nothing is added when the count would go over the limit.
     */
    static final String FIXED = """
            local amount = tonumber(ARGV[1])
            local limit = tonumber(ARGV[2])
            local period = tonumber(ARGV[3])
            local ttl = redis.call('PTTL', KEYS[1])
            local count = 0
            if ttl > 0 then
              count = tonumber(redis.call('GET', KEYS[1]) or '0')
            else
              ttl = period
            end
            if count + amount > limit then
              return {0, count, ttl}
            end
            count = count + amount
            redis.call('SET', KEYS[1], string.format('%d', count), 'PX', string.format('%d', ttl))
            return {1, count, ttl}
            """;

    /**
     * A sliding window of ten sub-buckets (tenths of the period, aligned to the server's clock):
     * {@code KEYS[1]} is a hash from sub-bucket number to its count; sub-buckets a whole period
     * old are deleted, and the key expires when its newest sub-bucket leaves the window. ARGV:
     * amount, limit, period in ms (at least 10). For a refused call, millis is how long until
     * enough sub-buckets have left for it to fit (a whole period when it never can); for an
     * allowed one, until the oldest counted call leaves.
     */
    static final String SLIDING = """
            local amount = tonumber(ARGV[1])
            local limit = tonumber(ARGV[2])
            local length = tonumber(ARGV[3])
            local sub = math.floor(length / 10)
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local index = math.floor(now / sub)
            local counts = {}
            local total = 0
            local h = redis.call('HGETALL', KEYS[1])
            for i = 1, #h, 2 do
              local b = tonumber(h[i])
              if b <= index - 10 then
                redis.call('HDEL', KEYS[1], h[i])
              else
                local c = tonumber(h[i + 1])
                counts[b] = c
                total = total + c
              end
            end
            local function untilFits(excess)
              local freed = 0
              for b = index - 9, index do
                freed = freed + (counts[b] or 0)
                if freed >= excess then
                  return math.max(1, (b + 10) * sub - now)
                end
              end
              return math.max(1, (index + 10) * sub - now)
            end
            if total + amount > limit then
              if amount > limit then
                return {0, total, sub * 10}
              end
              return {0, total, untilFits(total + amount - limit)}
            end
            counts[index] = (counts[index] or 0) + amount
            redis.call('HINCRBY', KEYS[1], string.format('%d', index), string.format('%d', amount))
            redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(1, (index + 10) * sub - now)))
            return {1, total + amount, untilFits(1)}
            """;

    static final String FIXED_SHA = sha1(FIXED);
    static final String SLIDING_SHA = sha1(SLIDING);

    static String sha1(String script) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JDK", e);
        }
    }
}
