package io.gatehouse.proxy;

import io.netty.channel.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open connections of one listener, and its limit. As nginx does when it runs out of
 * connections, a listener at its limit makes room by closing the connection idle the longest
 * (in its TLS handshake, waiting for its first request, or between requests, or with only part
 * of a request head: nothing of it has reached a backend), so idle connections cannot lock a
 * client out; only when every connection is busy is the new one refused, closed at once before
 * any TLS work. Refusing early, rather than running out of file descriptors, keeps descriptors
 * for backend connections, config reloads and the admin port.
 *
 * <p>Called from every event loop. Finding the idle connection scans the listener's
 * connections, which only happens at the limit; after a scan finds none idle, newcomers are
 * refused without one for a millisecond, so a flood against busy connections costs no more
 * than one scan per millisecond.
 */
final class ConnectionTracker {
    private static final long NO_IDLE_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final int port;
    private volatile int max;
    private final AtomicInteger open = new AtomicInteger();
    private final Set<ConnectionGuard> members = ConcurrentHashMap.newKeySet();
    private volatile long noIdleUntil = System.nanoTime();

    ConnectionTracker(int port, int max) {
        this.port = port;
        this.max = max;
    }

    /** A reloaded config's limit, for connections from now on. */
    void limit(int max) {
        this.max = max;
    }

    int limit() {
        return max;
    }

    int open() {
        return open.get();
    }

    /**
     * Admits a new connection: under the limit, or in place of the connection idle the longest
     * (closed on its own event loop). False: the listener is full of busy connections.
     */
    boolean admit(ConnectionGuard guard) {
        int limit = max;
        if (open.incrementAndGet() > limit && !makeRoom(limit)) {
            open.decrementAndGet();
            return false;
        }
        members.add(guard);
        return true;
    }

    private boolean makeRoom(int limit) {
        long now = System.nanoTime();
        if (now - noIdleUntil < 0) {
            return false;
        }
        while (true) {
            ConnectionGuard oldest = null;
            long oldestSince = 0;
            for (ConnectionGuard g : members) {
                long since = g.idleSince();
                if (since != 0 && (oldest == null || since - oldestSince < 0)) {
                    oldest = g;
                    oldestSince = since;
                }
            }
            if (oldest == null) {
                noIdleUntil = now + NO_IDLE_BACKOFF_NANOS;
                return false;
            }
            if (members.remove(oldest)) { // the claim: one newcomer per evicted connection
                open.decrementAndGet();
                oldest.evict(limit);
                return true;
            }
            // another newcomer claimed that one, or it closed: look again
        }
    }

    /** A connection chosen for eviction that turned busy before it could be closed: it counts again. */
    void reinstate(ConnectionGuard guard) {
        if (members.add(guard)) {
            open.incrementAndGet();
        }
    }

    /** The connection closed. */
    void remove(ConnectionGuard guard) {
        if (members.remove(guard)) {
            open.decrementAndGet();
        }
    }

    /** Counts and logs a refused connection; the caller closes it. */
    void refused(Channel ch, GatewayMetrics metrics) {
        metrics.downstreamConnectionClosed(ConnectionGuard.Reason.CONNECTION_LIMIT.label);
        ConnectionGuard.Reason.CONNECTION_LIMIT.log(ConnectionGuard.peer(ch) + " on port " + port, max);
    }
}
