package io.gatehouse.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The buffer allocator of every gateway channel: Netty's pooled allocator, unless the operator
 * chose one with {@code -Dio.netty.allocator.type}.
 *
 * <p>Netty 4.2 defaults to its adaptive allocator. Measured with {@code bench/run.sh} scenario 1 on
 * two cores, the pooled one costs about a sixth less CPU per proxied request (allocation of the
 * read buffers and TLS records sits on every request), and keeps the process within the same
 * memory budget: its arenas are per core, and the launcher caps the heap, not direct memory use.
 */
final class Buffers {
    static final ByteBufAllocator ALLOCATOR = System.getProperty("io.netty.allocator.type") != null
            ? ByteBufAllocator.DEFAULT : PooledByteBufAllocator.DEFAULT;

    private Buffers() {
    }
}
