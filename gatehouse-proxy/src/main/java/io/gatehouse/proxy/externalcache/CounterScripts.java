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
 * <p>Each script takes a batch: {@code ARGV[1]} is the window's length in ms, then one pair
 * (amount, limit) per call, in the order the calls were made. It decides the calls one after
 * the other exactly as that many separate calls would (each is added when the count plus its
 * amount stays within its limit, else refused with nothing added), and returns three integers per
 * call, {@code allowed (1|0), count, millis}, with the meaning of {@code CounterStore.Count}. A
 * batch of one is the plain call. Both keep the in-memory store's semantics
 * ({@code InMemoryCounterStore}). Redis freezes its clock for the length of a script, so the
 * calls of a batch are decided at one instant.
 *
 * <p>Numbers given to Redis are formatted with {@code %d}: Lua 5.1 would write a large one as
 * {@code 3.1536e+13}, which PX refuses.
 */
final class CounterScripts {
    private CounterScripts() {
    }

    /**
     * A fixed window: {@code KEYS[1]} holds the count and expires when the window ends (the window
     * starts at the first call after the previous one ended). Nothing is added for a call whose
     * amount would take the count over its limit. The key is written once, when at least one call
     * was allowed (as each allowed call would have written it), keeping the window's end.
     */
    static final String FIXED = """
            local period = tonumber(ARGV[1])
            local ttl = redis.call('PTTL', KEYS[1])
            local count = 0
            if ttl > 0 then
              count = tonumber(redis.call('GET', KEYS[1]) or '0')
            else
              ttl = period
            end
            local out = {}
            local wrote = false
            for i = 2, #ARGV, 2 do
              local amount = tonumber(ARGV[i])
              local limit = tonumber(ARGV[i + 1])
              if count + amount > limit then
                out[#out + 1] = 0
              else
                count = count + amount
                wrote = true
                out[#out + 1] = 1
              end
              out[#out + 1] = count
              out[#out + 1] = ttl
            end
            if wrote then
              redis.call('SET', KEYS[1], string.format('%d', count), 'PX', string.format('%d', ttl))
            end
            return out
            """;

    /**
     * A sliding window of ten sub-buckets (tenths of the period, aligned to the server's clock):
     * {@code KEYS[1]} is a hash from sub-bucket number to its count; sub-buckets a whole period
     * old are deleted, and the key expires when its newest sub-bucket leaves the window. The
     * period is at least 10 ms. For a refused call, millis is how long until enough sub-buckets
     * have left for it to fit (a whole period when it never can); for an allowed one, until the
     * oldest counted call leaves. The allowed amounts of a batch go to the current sub-bucket in
     * one HINCRBY.
     */
    static final String SLIDING = """
            local length = tonumber(ARGV[1])
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
            local out = {}
            local added = 0
            local wrote = false
            for i = 2, #ARGV, 2 do
              local amount = tonumber(ARGV[i])
              local limit = tonumber(ARGV[i + 1])
              if total + amount > limit then
                out[#out + 1] = 0
                out[#out + 1] = total
                if amount > limit then
                  out[#out + 1] = sub * 10
                else
                  out[#out + 1] = untilFits(total + amount - limit)
                end
              else
                counts[index] = (counts[index] or 0) + amount
                total = total + amount
                added = added + amount
                wrote = true
                out[#out + 1] = 1
                out[#out + 1] = total
                out[#out + 1] = untilFits(1)
              end
            end
            if wrote then
              redis.call('HINCRBY', KEYS[1], string.format('%d', index), string.format('%d', added))
              redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(1, (index + 10) * sub - now)))
            end
            return out
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
