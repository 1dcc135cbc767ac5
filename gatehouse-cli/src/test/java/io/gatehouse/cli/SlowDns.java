package io.gatehouse.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.net.spi.InetAddressResolver;
import java.net.spi.InetAddressResolverProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * This module's tests' name resolver (registered in {@code META-INF/services}): names under
 * {@code slow-dns.test} answer as a slow or broken DNS server would, every other name goes to the
 * JDK's own resolver. A name with a colon, which no host name has, is recorded and refused. (A JVM started with {@code -Djdk.net.hosts.file} never asks a provider, as
 * gatehouse-proxy's tests are, so this lives here.) The first label says how:
 * {@code held-N} answers 127.0.0.1 after N ms, {@code nowhere} does not resolve. Every lookup of
 * such a name is recorded with the thread that made it.
 */
public final class SlowDns extends InetAddressResolverProvider {
    /** "host on thread", one per lookup of a {@code slow-dns.test} name. */
    public static final List<String> LOOKUPS = new CopyOnWriteArrayList<>();

    @Override
    public InetAddressResolver get(Configuration configuration) {
        InetAddressResolver builtin = configuration.builtinResolver();
        return new InetAddressResolver() {
            @Override
            public Stream<InetAddress> lookupByName(String host, LookupPolicy policy) throws UnknownHostException {
                if (host.indexOf(':') >= 0) { // no host name has one: an address literal that was not parsed as one
                    LOOKUPS.add(host + " on " + Thread.currentThread().getName());
                    throw new UnknownHostException(host + ": not a host name (SlowDns)");
                }
                if (!host.endsWith(".slow-dns.test")) {
                    return builtin.lookupByName(host, policy);
                }
                LOOKUPS.add(host + " on " + Thread.currentThread().getName());
                String label = host.substring(0, host.indexOf('.'));
                if (label.startsWith("held-")) {
                    try {
                        Thread.sleep(Long.parseLong(label.substring("held-".length())));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Stream.of(InetAddress.getByAddress(host, new byte[] {127, 0, 0, 1}));
                }
                throw new UnknownHostException(host + ": no such name (SlowDns)");
            }

            @Override
            public String lookupByAddress(byte[] addr) throws UnknownHostException {
                return builtin.lookupByAddress(addr);
            }
        };
    }

    @Override
    public String name() {
        return "gatehouse-tests-slow-dns";
    }
}
