package io.gatehouse.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request header names a client may never send through the gateway, because backends read
 * them as facts established by a proxy: who the client is (its certificate, its verified name,
 * the user an authenticating proxy let in) and where the request came from. Names compare
 * ignoring case and with {@code _} read as {@code -}, as CGI, WSGI, PHP and Rack do when they
 * turn a header into a variable ({@code X_Forwarded_Client_Cert} is the same variable as
 * {@code X-Forwarded-Client-Cert} there).
 *
 * <p>Two groups. {@link #IDENTITY} names and prefixes are removed from every request, in its
 * headers and its trailers, on both protocols. {@link #FORWARDING} names carry the client's
 * address and the URL it used: a peer in {@code gateway.trustedProxies} may send the standard
 * spellings (X-Forwarded-For, X-Real-IP and Forwarded are then appended to or kept); from any
 * other peer they are removed, and the gateway sets its own. The list is in the README; the
 * config's {@code gateway.identityHeaders} adds names (a trailing {@code *} makes a prefix).
 */
final class IdentityHeaders {

    /** Always removed: exact names, and prefixes ending in {@code *}. */
    static final List<String> IDENTITY = List.of(
            // RFC 9440, Envoy, Traefik, IIS/ARR, nginx and HAProxy conventions for the client certificate
            "client-cert", "client-cert-chain",
            "x-forwarded-client-cert*", "x-forwarded-tls-client-cert*",
            "x-client-cert*", "x-client-verify", "x-client-dn", "x-client-s-dn",
            "x-client-i-dn", "x-client-serial", "x-client-fingerprint",
            "x-ssl-*", "ssl-client-*", "x-tls-client-*", "x-arr-clientcert", "x-arr-ssl",
            // cloud load balancers and identity-aware proxies
            "x-amzn-mtls-*", "x-amzn-oidc-*", "x-ms-client-principal*", "x-ms-token-*",
            "x-goog-authenticated-user-*", "x-goog-iap-jwt-assertion", "cf-access-authenticated-user-*",
            "cf-access-jwt-assertion",
            // authenticating proxies (oauth2-proxy, Apache REMOTE_USER, ...)
            "remote-user", "x-remote-user", "x-remote-group", "x-authenticated-user", "x-authenticated-userid",
            "x-forwarded-user", "x-forwarded-email", "x-forwarded-preferred-username", "x-forwarded-groups",
            "x-forwarded-access-token", "x-auth-request-*",
            // URL overrides that frameworks route by (IIS URL Rewrite, Symfony, Zend)
            "x-original-url", "x-rewrite-url");

    /**
     * Where the request came from. The first three are set by the gateway (see
     * {@link ForwardedHeaders#addForwarded}); the rest are removed unless the peer is trusted.
     */
    static final List<String> FORWARDING = List.of(
            "x-forwarded-for", "x-real-ip", "forwarded",
            "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-prefix",
            "x-forwarded-server", "x-forwarded-scheme", "x-forwarded-ssl", "x-forwarded-path", "x-forwarded-uri",
            "x-original-host", "x-original-forwarded-for", "x-host", "x-url-scheme", "front-end-https",
            "x-client-ip", "true-client-ip", "cf-connecting-ip", "fastly-client-ip", "x-cluster-client-ip");

    /** The ones the gateway itself sets on every request (so never kept as the client sent them). */
    private static final List<String> SET_BY_GATEWAY = List.of("x-forwarded-host", "x-forwarded-proto");

    /**
     * The ones {@link ForwardedHeaders#addForwarded} replaces or appends to, so this pass leaves
     * them (in their standard spelling) for it to see.
     */
    private static final List<String> REPLACED = List.of("x-forwarded-for", "x-real-ip", "forwarded");

    private final Names identity;
    private final Names forwarding;
    private final Names setByGateway;
    private final Names replaced;

    /** The built-in lists plus {@code extra} (names, or prefixes ending in '*'), from the config. */
    IdentityHeaders(List<String> extra) {
        List<String> all = new ArrayList<>(IDENTITY);
        for (String e : extra) {
            all.add(e.strip().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        this.identity = new Names(all);
        this.forwarding = new Names(FORWARDING);
        this.setByGateway = new Names(SET_BY_GATEWAY);
        this.replaced = new Names(REPLACED);
    }

    static final IdentityHeaders DEFAULT = new IdentityHeaders(List.of());

    /** Whether a name is on the identity list (for the {@code validate} and explain tools, and tests). */
    boolean isIdentity(CharSequence name) {
        return identity.matches(name);
    }

    /**
     * Removes identity headers, and forwarding headers unless {@code trustedPeer} (then only the
     * underscore spellings and the ones the gateway sets go). X-Forwarded-For, X-Real-IP and
     * Forwarded in their standard spelling stay for {@link ForwardedHeaders#addForwarded}. One pass over the names; a list is
     * made only when something is removed.
     */
    void strip(HttpHeaders h, boolean trustedPeer) {
        List<CharSequence> remove = null;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = h.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (identity.matches(name) || (forwarding.matches(name) && (hasUnderscore(name)
                    || setByGateway.matches(name) || (!trustedPeer && !replaced.matches(name))))) {
                if (remove == null) {
                    remove = new ArrayList<>(2);
                }
                remove.add(name);
            }
        }
        if (remove != null) {
            for (CharSequence name : remove) {
                h.remove(name);
            }
        }
    }

    /**
     * A request's trailer fields: identity and forwarding names, and every field that frames,
     * routes or is hop-by-hop, are removed (a trailer is no way to add what the head may not carry).
     */
    void stripTrailers(HttpHeaders trailers) {
        if (trailers.isEmpty()) {
            return;
        }
        List<CharSequence> remove = new ArrayList<>(2);
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = trailers.iteratorCharSequence(); it.hasNext(); ) {
            CharSequence name = it.next().getKey();
            if (identity.matches(name) || forwarding.matches(name) || ForwardedHeaders.isProtected(name)
                    || ForwardedHeaders.isHopByHop(name)) {
                remove.add(name);
            }
        }
        for (CharSequence name : remove) {
            trailers.remove(name);
        }
    }

    private static boolean hasUnderscore(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '_') {
                return true;
            }
        }
        return false;
    }

    /**
     * Names and prefixes, matched without allocating: patterns grouped by their first character,
     * compared character by character with ASCII case folded and {@code _} read as {@code -}.
     */
    static final class Names {
        private final String[][] byFirst = new String[128][];

        Names(List<String> patterns) {
            List<List<String>> groups = new ArrayList<>(128);
            for (int i = 0; i < 128; i++) {
                groups.add(new ArrayList<>());
            }
            for (String p : patterns) {
                String n = p.toLowerCase(Locale.ROOT).replace('_', '-');
                if (!n.isEmpty() && n.charAt(0) < 128) {
                    groups.get(n.charAt(0)).add(n);
                }
            }
            for (int i = 0; i < 128; i++) {
                byFirst[i] = groups.get(i).isEmpty() ? null : groups.get(i).toArray(String[]::new);
            }
        }

        boolean matches(CharSequence name) {
            if (name.length() == 0) {
                return false;
            }
            char first = fold(name.charAt(0));
            if (first >= 128) {
                return false;
            }
            String[] group = byFirst[first];
            if (group == null) {
                return false;
            }
            for (String p : group) {
                if (matches(p, name)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean matches(String pattern, CharSequence name) {
            boolean prefix = pattern.charAt(pattern.length() - 1) == '*';
            int len = prefix ? pattern.length() - 1 : pattern.length();
            if (prefix ? name.length() < len : name.length() != len) {
                return false;
            }
            for (int i = 0; i < len; i++) {
                if (fold(name.charAt(i)) != pattern.charAt(i)) {
                    return false;
                }
            }
            return true;
        }

        private static char fold(char c) {
            if (c >= 'A' && c <= 'Z') {
                return (char) (c + ('a' - 'A'));
            }
            return c == '_' ? '-' : c;
        }
    }
}
