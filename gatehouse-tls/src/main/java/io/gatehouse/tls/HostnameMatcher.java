package io.gatehouse.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Whether a server certificate is for a host name (RFC 6125 / RFC 2818): DNS names from the
 * subject alternative names, a wildcard only as the whole left-most label; IP literals against
 * IP address SANs. The subject CN is never used (as in Go, Chrome and webpki): a certificate
 * without subject alternative names matches no name, and the error message says so.
 */
public final class HostnameMatcher {

    private HostnameMatcher() {
    }

    public static boolean matches(X509Certificate cert, String host) {
        String name = normalize(host);
        InetAddress ip = ipLiteral(name);
        List<String> dns = new ArrayList<>();
        List<InetAddress> ips = new ArrayList<>();
        collect(cert, dns, ips);
        if (ip != null) {
            return ips.contains(ip);
        }
        return dns.stream().anyMatch(d -> dnsMatches(normalize(d), name));
    }

    /** The names a certificate is for, as shown in error messages. */
    public static List<String> names(X509Certificate cert) {
        List<String> dns = new ArrayList<>();
        List<InetAddress> ips = new ArrayList<>();
        boolean hasSans = collect(cert, dns, ips);
        List<String> out = new ArrayList<>(dns);
        ips.forEach(i -> out.add(i.getHostAddress()));
        if (!hasSans) {
            String cn = commonName(cert);
            out.add("no subject alternative names; its common name " + (cn == null ? "is empty" : "'" + cn + "'")
                    + " is not used for name checks");
        }
        return out;
    }

    private static boolean collect(X509Certificate cert, List<String> dns, List<InetAddress> ips) {
        Collection<List<?>> sans;
        try {
            sans = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return true; // unreadable SANs: match nothing, and do not fall back to the CN
        }
        if (sans == null) {
            return false;
        }
        for (List<?> san : sans) {
            int type = (Integer) san.get(0);
            if (type == 2) {
                dns.add((String) san.get(1));
            } else if (type == 7) {
                InetAddress a = ipLiteral((String) san.get(1));
                if (a != null) {
                    ips.add(a);
                }
            }
        }
        return true;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.equals(host)) {
            return true;
        }
        if (!pattern.startsWith("*.")) {
            return false;
        }
        String suffix = pattern.substring(1); // ".example.com"
        if (suffix.indexOf('.', 1) < 0) {
            return false; // "*.com" is never a valid wildcard
        }
        int dot = host.indexOf('.');
        return dot > 0 && host.substring(dot).equals(suffix);
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    static InetAddress ipLiteral(String s) {
        if (!s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            int zone = s.indexOf('%');
            return io.gatehouse.common.net.IpLiterals.ipv6(zone >= 0 ? s.substring(0, zone) : s); // never a name lookup
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String commonName(X509Certificate cert) {
        try {
            LdapName dn = new LdapName(cert.getSubjectX500Principal().getName());
            for (Rdn rdn : dn.getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return String.valueOf(rdn.getValue());
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }
}
