package io.gatehouse.common.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv6 address literals read without ever asking a name service. The JDK parses a string as an
 * address only when it looks like one (it starts with a hex digit or a colon); anything else,
 * {@code zz:zz} or {@code .:1}, goes to the resolver, which blocks the thread and sends the name
 * wherever DNS goes. Inside brackets the JDK expects an IPv6 literal and refuses what is not one.
 */
public final class IpLiterals {
    private IpLiterals() {
    }

    /**
     * The address {@code text} writes as an IPv6 literal (no brackets, no zone id; an IPv4 tail
     * as in {@code ::ffff:10.0.0.1} is fine), or null when it is not one.
     */
    public static InetAddress ipv6(String text) {
        if (text == null || text.isEmpty() || text.indexOf(':') < 0) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                return null;
            }
        }
        try {
            return InetAddress.getByName("[" + text + "]");
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }
}
