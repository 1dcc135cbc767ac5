package io.gatehouse.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Host names of backends and proxies, looked up without holding an event loop. The JDK's
 * resolver answers, as it does for the rest of the process and the machine's other tools (its
 * cache, {@code /etc/hosts} or {@code -Djdk.net.hosts.file}, the system's search domains), but a
 * lookup blocks its thread and can take seconds when a DNS server is slow or gone, so it runs on
 * a few threads of its own and the answer comes back on the asking loop; connections waiting for
 * the same name share one lookup. An IP literal needs no lookup and is answered at once, on the
 * caller's thread.
 */
final class HostLookup {
    /** How many lookups run at once; more wait their turn. */
    private static final int THREADS = 4;
    /** Lookups that may wait for a thread before new ones are refused (a DNS server that never answers). */
    private static final int QUEUE = 1024;

    private static final ThreadPoolExecutor LOOKUPS = executor();
    /** The lookups running or waiting, by host name. */
    private static final ConcurrentHashMap<String, CompletableFuture<InetAddress>> RUNNING = new ConcurrentHashMap<>();

    private HostLookup() {
    }

    private static ThreadPoolExecutor executor() {
        ThreadPoolExecutor e = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(QUEUE),
                Thread.ofPlatform().daemon().name("gatehouse-dns-", 0).factory());
        e.allowCoreThreadTimeOut(true); // no threads while nothing is looked up
        return e;
    }

    /**
     * {@code host}'s address with {@code port}, completed on {@code loop}: at once for an IP
     * literal (bracketed or not), else after a lookup on the lookup threads. Fails with an
     * {@link UnknownHostException} for a name that does not resolve, with a
     * {@link LookupTimeoutException} when no answer came within {@code timeoutMillis}, and with
     * {@link Busy} when too many lookups are waiting already.
     */
    static Future<InetSocketAddress> resolve(String host, int port, EventLoop loop, long timeoutMillis) {
        String bare = host.length() > 1 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']'
                ? host.substring(1, host.length() - 1) : host;
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(bare);
        if (literal != null) {
            return loop.newSucceededFuture(new InetSocketAddress(literal, port));
        }
        Promise<InetSocketAddress> promise = loop.newPromise();
        ScheduledFuture<?> timeout = loop.schedule(
                () -> promise.tryFailure(new LookupTimeoutException(bare, timeoutMillis)), timeoutMillis, TimeUnit.MILLISECONDS);
        promise.addListener(f -> timeout.cancel(false));
        lookup(bare).whenComplete((address, failure) -> { // on a lookup thread: the promise's listeners run on the loop
            if (failure != null) {
                promise.tryFailure(failure);
            } else {
                promise.trySuccess(new InetSocketAddress(address, port));
            }
        });
        return promise;
    }

    /**
     * The lookup of {@code host}: the one already running, or a new one. Every connection waiting
     * for a name shares its one lookup, so a name whose DNS server is slow or gone holds one
     * thread, and the other names' lookups go on.
     */
    private static CompletableFuture<InetAddress> lookup(String host) {
        CompletableFuture<InetAddress> mine = new CompletableFuture<>();
        CompletableFuture<InetAddress> running = RUNNING.putIfAbsent(host, mine);
        if (running != null) {
            return running;
        }
        try {
            LOOKUPS.execute(() -> {
                try {
                    mine.complete(InetAddress.getByName(host));
                } catch (UnknownHostException | RuntimeException e) {
                    mine.completeExceptionally(e);
                } finally {
                    RUNNING.remove(host, mine);
                }
            });
        } catch (RejectedExecutionException full) {
            RUNNING.remove(host, mine);
            mine.completeExceptionally(new Busy(host));
        }
        return mine;
    }

    /** Too many names are being looked up: their DNS servers do not answer. */
    static final class Busy extends Exception {
        Busy(String host) {
            super("looking up " + host + ": " + QUEUE + " other host name lookups are waiting", null, false, false);
        }
    }

    /** A lookup that did not answer in time; names the host only. */
    static final class LookupTimeoutException extends Exception {
        LookupTimeoutException(String host, long millis) {
            super("looking up " + host + " took longer than " + millis + " ms", null, false, false);
        }
    }
}
