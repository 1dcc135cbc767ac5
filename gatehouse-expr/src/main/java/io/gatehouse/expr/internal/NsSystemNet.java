package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;

import java.nio.charset.StandardCharsets;

/**
 * {@code System.Net}: {@code WebUtility} and {@code IPAddress} (literals only, never a DNS lookup).
 */
final class NsSystemNet {
    private static final Type BA = Type.BYTE_ARRAY;
    private static final Type S = Type.STRING;

    private NsSystemNet() {
    }

    /** System.Net.WebUtility. */
    static void registerWebUtility(Library l) {
        Members m = l.m;
        l.staticName("WebUtility", "WebUtility");
        String wu = "static:WebUtility";
        m.method(wu, "UrlEncode", S, (o, a, x) -> a[0] == null ? null : urlEncode((String) a[0]), S);
        m.method(wu, "UrlDecode", S, (o, a, x) -> a[0] == null ? null : urlDecode((String) a[0]), S);
        m.method(wu, "HtmlEncode", S, (o, a, x) -> a[0] == null ? null : htmlEncode((String) a[0]), S);
        m.method(wu, "HtmlDecode", S, (o, a, x) -> a[0] == null ? null : htmlDecode((String) a[0]), S);
    }

    /** System.Net.IPAddress: literals only, never a DNS lookup. */
    static void registerIpAddress(Library l) {
        Members m = l.m;
        Type ip = m.type("IPAddress", java.net.InetAddress.class);
        l.staticName("IPAddress", "IPAddress");
        Type family = m.type("AddressFamily", String.class);
        l.staticName("AddressFamily", "AddressFamily");
        l.staticProp("AddressFamily", "InterNetwork", family, o -> "InterNetwork");
        l.staticProp("AddressFamily", "InterNetworkV6", family, o -> "InterNetworkV6");
        m.method("static:IPAddress", "Parse", ip, (o, a, x) -> {
            java.net.InetAddress addr = ipLiteral((String) a[0]);
            if (addr == null) {
                throw new ExpressionException("System.FormatException", "An invalid IP address was specified.");
            }
            return addr;
        }, S);
        m.outMethod("static:IPAddress", "TryParse", Type.BOOL, 1, ip, (o, a, x) -> {
            java.net.InetAddress addr = a[0] == null ? null : ipLiteral((String) a[0]);
            ((Object[]) a[1])[0] = addr;
            return addr != null;
        }, S, Type.OBJECT);
        m.method("static:IPAddress", "IsLoopback", Type.BOOL, (o, a, x) -> ((java.net.InetAddress) a[0]).isLoopbackAddress(), ip);
        m.method(ip, "GetAddressBytes", BA, (o, a, x) -> ((java.net.InetAddress) o).getAddress());
        m.method(ip, "ToString", S, (o, a, x) -> ipText((java.net.InetAddress) o));
        m.prop(ip, "AddressFamily", family, o -> o instanceof java.net.Inet6Address ? "InterNetworkV6" : "InterNetwork");
        m.prop(ip, "IsIPv4MappedToIPv6", Type.BOOL, o -> false);
        m.method(ip, "MapToIPv4", ip, (o, a, x) -> o);
    }

    /** An IPv4 dotted quad or an IPv6 literal; null otherwise. Never resolves a host name. */
    static java.net.InetAddress ipLiteral(String s) {
        String t = s.trim();
        try {
            if (t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                String[] parts = t.split("\\.");
                byte[] b = new byte[4];
                for (int k = 0; k < 4; k++) {
                    int v = Integer.parseInt(parts[k]);
                    if (v > 255) {
                        return null;
                    }
                    b[k] = (byte) v;
                }
                return java.net.InetAddress.getByAddress(b);
            }
            if (t.startsWith("[") && t.endsWith("]")) {
                t = t.substring(1, t.length() - 1);
            }
            int zone = t.indexOf('%');
            String bare = zone >= 0 ? t.substring(0, zone) : t;
            // never a name service: "zz:zz" or ".:1" would have been looked up, with a name from the request
            return io.gatehouse.common.net.IpLiterals.ipv6(bare);
        } catch (java.net.UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    /** .NET's text: dotted quad, or the compressed IPv6 form. */
    static String ipText(java.net.InetAddress a) {
        if (a instanceof java.net.Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] w = new int[8];
        for (int k = 0; k < 8; k++) {
            w[k] = ((b[2 * k] & 0xff) << 8) | (b[2 * k + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int k = 0; k < 8; ) {
            if (w[k] != 0) {
                k++;
                continue;
            }
            int j = k;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - k > bestLen && j - k > 1) {
                bestStart = k;
                bestLen = j - k;
            }
            k = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[k]));
        }
        return sb.toString();
    }

    /** .NET WebUtility.UrlEncode: unreserved are A-Z a-z 0-9 - _ . ! * ( ); space is '+'; hex upper-case. */
    static String urlEncode(String s) {
        return percentEncode(s, "-_.!*()");
    }

    /** UTF-8 percent-encoding with space as '+', upper-case hex, and {@code unreserved} (beside letters and digits) kept. */
    static String percentEncode(String s, String unreserved) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || unreserved.indexOf(c) >= 0) {
                sb.append((char) c);
            } else if (c == ' ') {
                sb.append('+');
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    static String urlDecode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%' && k + 2 < s.length()
                    && Character.digit(s.charAt(k + 1), 16) >= 0 && Character.digit(s.charAt(k + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(k + 1), 16) * 16 + Character.digit(s.charAt(k + 2), 16));
                k += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** .NET WebUtility.HtmlEncode: &lt; &gt; &amp; &quot; &#39;, and U+00A0..U+00FF as &#NNN;. */
    static String htmlEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c >= 160 && c < 256) {
                        sb.append("&#").append((int) c).append(';');
                    } else if (Character.isHighSurrogate(c) && k + 1 < s.length() && Character.isLowSurrogate(s.charAt(k + 1))) {
                        sb.append("&#").append(Character.toCodePoint(c, s.charAt(k + 1))).append(';');
                        k++;
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    static String htmlDecode(String s) {
        StringBuilder sb = new StringBuilder();
        int k = 0;
        while (k < s.length()) {
            char c = s.charAt(k);
            int semi = c == '&' ? s.indexOf(';', k) : -1;
            if (semi > k + 1 && semi - k <= 10) {
                String ent = s.substring(k + 1, semi);
                String rep = switch (ent) {
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "amp" -> "&";
                    case "quot" -> "\"";
                    case "apos" -> "'";
                    case "nbsp" -> "\u00a0";
                    default -> {
                        try {
                            if (ent.startsWith("#x") || ent.startsWith("#X")) {
                                yield new String(Character.toChars(Integer.parseInt(ent.substring(2), 16)));
                            }
                            if (ent.startsWith("#")) {
                                yield new String(Character.toChars(Integer.parseInt(ent.substring(1))));
                            }
                        } catch (IllegalArgumentException e) {
                            yield null;
                        }
                        yield null;
                    }
                };
                if (rep != null) {
                    sb.append(rep);
                    k = semi + 1;
                    continue;
                }
            }
            sb.append(c);
            k++;
        }
        return sb.toString();
    }
}
