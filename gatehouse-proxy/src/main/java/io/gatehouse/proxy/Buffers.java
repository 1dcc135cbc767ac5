package io.gatehouse.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The buffer allocator of every gateway channel: Netty's pooled allocator, unless the operator
 * chose one with {@code -Dio.netty.allocator.type}.
 *
 * <p>Netty 4.2 defaults to its adaptive allocator. Measured with {@code bench/run.sh} scenario 1 on
 * two cores, the pooled one costs about a sixth less CPU per proxied request: allocating the read
 * buffers and TLS records is on every request. Its memory is kept small: one direct arena per
 * core (the event loops are one per core; Netty's default is two) and 2 MiB chunks instead of
 * 4 MiB, since the gateway's buffers are at most a few tens of KB. Through {@code bench/run.sh}
 * the pool held 15 to 25 MB at its peak (50 parallel 1 MB uploads, 1,000 connections). Netty's own
 * {@code -Dio.netty.allocator.numDirectArenas} and {@code maxOrder} still win when given.
 */
final class Buffers {
    static final ByteBufAllocator ALLOCATOR = System.getProperty("io.netty.allocator.type") != null
            ? ByteBufAllocator.DEFAULT : pooled();

    private Buffers() {
    }

    private static ByteBufAllocator pooled() {
        int arenas = System.getProperty("io.netty.allocator.numDirectArenas") != null
                ? PooledByteBufAllocator.defaultNumDirectArena()
                : Math.min(PooledByteBufAllocator.defaultNumDirectArena(), Runtime.getRuntime().availableProcessors());
        int maxOrder = System.getProperty("io.netty.allocator.maxOrder") != null
                ? PooledByteBufAllocator.defaultMaxOrder() : 8;
        return new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(), arenas,
                PooledByteBufAllocator.defaultPageSize(), maxOrder, PooledByteBufAllocator.defaultSmallCacheSize(),
                PooledByteBufAllocator.defaultNormalCacheSize(), PooledByteBufAllocator.defaultUseCacheForAllThreads());
    }
}
