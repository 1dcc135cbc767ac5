package io.gatehouse.common.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gateway.trustedProxies}: the address ranges (CIDR) of proxies in front of the gateway
 * whose X-Forwarded-For, X-Real-IP and Forwarded headers are kept and appended to. Checked once
 * per connection. An IPv4 peer seen as an IPv4-mapped IPv6 address matches IPv4 ranges.
 */
public final class AddressRanges {
    public static final AddressRanges NONE = new AddressRanges(List.of());

    public record Range(byte[] network, int bits) {
    }

    private final List<Range> ranges;

    private AddressRanges(List<Range> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    /** Ranges already checked by the config reader ({@link #parse} threw nothing for each). */
    public static AddressRanges of(List<String> cidrs) {
        if (cidrs.isEmpty()) {
            return NONE;
        }
        List<Range> ranges = new ArrayList<>();
        for (String c : cidrs) {
            ranges.add(parse(c));
        }
        return new AddressRanges(ranges);
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    /**
     * {@code address[/bits]} as a range; a bare address is one host. Only literal addresses
     * (never a name to resolve).
     *
     * @throws IllegalArgumentException with what is wrong, for the config's diagnostic
     */
    public static Range parse(String cidr) {
        String s = cidr.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        byte[] bytes = literal(addr);
        int max = bytes.length * 8;
        int bits = max;
        if (slash >= 0) {
            String b = s.substring(slash + 1);
            if (!b.matches("\\d{1,3}") || Integer.parseInt(b) > max) {
                throw new IllegalArgumentException("'" + cidr + "' has an invalid prefix length (expected /0 to /" + max + ")");
            }
            bits = Integer.parseInt(b);
        }
        return new Range(bytes, bits);
    }

    private static byte[] literal(String addr) {
        boolean v4 = addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!v4) {
            InetAddress v6 = IpLiterals.ipv6(addr);
            if (v6 == null) {
                throw new IllegalArgumentException("'" + addr + "' is not an IPv4 or IPv6 address");
            }
            return v6.getAddress();
        }
        try {
            return InetAddress.getByName(addr).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + addr + "' is not an IPv4 or IPv6 address");
        }
    }

    public boolean contains(InetAddress peer) {
        if (ranges.isEmpty() || peer == null) {
            return false;
        }
        byte[] a = peer.getAddress();
        if (a.length == 16 && isV4Mapped(a)) {
            a = java.util.Arrays.copyOfRange(a, 12, 16);
        }
        for (Range r : ranges) {
            if (r.network().length == a.length && prefixMatches(r.network(), a, r.bits())) {
                return true;
            }
        }
        return false;
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static boolean prefixMatches(byte[] net, byte[] a, int bits) {
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (net[i] != a[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = (0xff << (8 - rest)) & 0xff;
        return (net[full] & mask) == (a[full] & mask);
    }
}
