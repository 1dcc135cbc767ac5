package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <ip-filter action="allow|forbid"><address>10.0.0.1</address><address-range from="10.1.0.0" to="10.1.255.255"/></ip-filter>}:
 * with {@code allow}, only callers whose {@code context.Request.IpAddress} is listed get through;
 * with {@code forbid}, listed callers are refused. A refused call is 403 with
 * {@code context.LastError} Source {@code ip-filter}, Reason {@code CallerIpNotAllowed}. IPv4 and
 * IPv6 literals; an IPv4-mapped IPv6 caller ({@code ::ffff:10.0.0.1}) matches its IPv4 form.
 *
 * <p>Addresses are literals (named values allowed), never host names: nothing here resolves DNS.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/ip-filter-policy">APIM ip-filter</a>
 */
public final class IpFilter implements Policy {
    public static final PolicyType TYPE = new PolicyType("ip-filter", EnumSet.of(Section.INBOUND), IpFilter::compile);

    /** An inclusive range of addresses of one family, as unsigned big-endian bytes. */
    record Range(byte[] from, byte[] to) {
        boolean contains(byte[] ip) {
            return ip.length == from.length && compare(from, ip) <= 0 && compare(ip, to) <= 0;
        }
    }

    private final boolean allow;
    private final Range[] ranges;

    private IpFilter(boolean allow, List<Range> ranges) {
        this.allow = allow;
        this.ranges = ranges.toArray(new Range[0]);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "action");
        ctx.onlyChildren(e, "address", "address-range");
        String action = a.has("action") ? a.choice("action", null, "allow", "forbid") : null;
        if (!a.has("action")) {
            a.missing("action");
        }
        boolean ok = action != null;
        List<Range> ranges = new ArrayList<>();
        for (XmlElement c : e.elements()) {
            if (c.name().equals("address")) {
                ctx.attributes(c);
                ctx.noElements(c);
                SourceValue text = c.textValue();
                if (text != null && text.hasUnresolved()) {
                    ctx.literal(text); // reports the unknown named value; what it stands for cannot be checked
                    continue;
                }
                byte[] ip = text == null ? null : literal(ctx, text, "<address>");
                if (text == null) {
                    ctx.error(c.position(), "<address> needs an IP address as its text, e.g. <address>10.0.0.1</address>");
                }
                if (ip == null) {
                    ok = false;
                } else {
                    ranges.add(new Range(ip, ip));
                }
            } else if (c.name().equals("address-range")) {
                Attributes ra = ctx.attributes(c, "from", "to");
                ctx.noContent(c);
                byte[] from = address(ctx, ra, "from");
                byte[] to = address(ctx, ra, "to");
                if (from == null || to == null) {
                    ok = false;
                } else if (from.length != to.length) {
                    ctx.error(c.position(), "<address-range> mixes IPv4 and IPv6: 'from' and 'to' must be of the same family");
                    ok = false;
                } else if (compare(from, to) > 0) {
                    ctx.error(ra.position("to"), "<address-range>: 'to' is below 'from' (expected from <= to)");
                    ok = false;
                } else {
                    ranges.add(new Range(from, to));
                }
            }
        }
        if (e.elements().isEmpty()) {
            ctx.error(e.position(), "<ip-filter> needs at least one <address> or <address-range from=\"...\" to=\"...\"/>");
            ok = false;
        }
        return ok ? new IpFilter(action.equals("allow"), ranges) : null;
    }

    private static byte[] address(CompileContext ctx, Attributes a, String attr) {
        if (!a.has(attr)) {
            a.missing(attr);
            return null;
        }
        String v = a.text(attr, null);
        if (v == null) {
            return null;
        }
        byte[] ip = parse(v);
        if (ip == null) {
            ctx.error(a.position(attr), "attribute '" + attr + "' on <" + a.element().name() + ">: '" + v.strip()
                    + "' is not an IPv4 or IPv6 address");
        }
        return ip;
    }

    private static byte[] literal(CompileContext ctx, SourceValue v, String where) {
        if (CompileContext.isExpression(v.text())) {
            ctx.error(v.strip().start(), where + " does not accept a policy expression");
            return null;
        }
        byte[] ip = parse(v.text());
        if (ip == null) {
            ctx.error(v.strip().start(), where + ": '" + v.text().strip() + "' is not an IPv4 or IPv6 address");
        }
        return ip;
    }

    /**
     * The address bytes of an IPv4 or IPv6 literal (4 or 16 bytes; IPv4-mapped IPv6 gives 4), or
     * null. Never resolves a name.
     */
    static byte[] parse(String text) {
        if (text == null) {
            return null;
        }
        String s = text.strip();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        if (s.isEmpty()) {
            return null;
        }
        if (s.indexOf(':') >= 0) {
            InetAddress a = io.gatehouse.common.net.IpLiterals.ipv6(s); // never a name lookup
            return a == null ? null : a.getAddress();
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                return null;
            }
            int n = Integer.parseInt(p);
            if (n > 255) {
                return null;
            }
            out[i] = (byte) n;
        }
        return out;
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String caller = exchange.context().request().ipAddress();
        byte[] ip = parse(caller);
        if (ip == null) {
            throw new PolicyRejection(403, "ip-filter", "FailedToParseCallerIP",
                    "Failed to parse caller IP address '" + caller + "'. Access denied.", null, java.util.Map.of());
        }
        boolean listed = false;
        for (Range r : ranges) {
            if (r.contains(ip)) {
                listed = true;
                break;
            }
        }
        if (listed != allow) {
            throw new PolicyRejection(403, "ip-filter", "CallerIpNotAllowed",
                    "Caller IP address " + caller.strip() + " is not allowed. Access denied.", null, java.util.Map.of());
        }
        return DONE;
    }
}
