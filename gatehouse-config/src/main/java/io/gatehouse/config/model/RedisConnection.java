package io.gatehouse.config.model;

import io.gatehouse.common.Secret;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * Where the external cache is, read from {@code gateway.externalCache.connectionString}, which
 * takes either form APIM users have:
 * <ul>
 * <li>a URI: {@code redis://[[user]:password@]host[:port][/database]}, {@code rediss://...} (TLS),
 *     or {@code redis-sentinel://[[user]:password@]host[:port][,host2[:port2]...][/database]#master}
 *     (Sentinel: the hosts are sentinels, the fragment names the monitored master; add
 *     {@code ?ssl=true} for TLS), with {@code ?timeout=}, {@code clientName=} and {@code database=}
 *     as query options;</li>
 * <li>StackExchange.Redis's configuration string, as the Azure portal shows it:
 *     {@code host:6380,password=...,ssl=True,abortConnect=False}: endpoints (each {@code host[:port]})
 *     and {@code key=value} options, keys without regard to case.</li>
 * </ul>
 * The password is a {@link Secret}; {@link #display()} and every message name host:port only.
 *
 * @param endpoints the Redis server (one), or the sentinels
 * @param sentinelMaster the master's name under Sentinel, null otherwise
 * @param ssl TLS to Redis (and to the sentinels)
 * @param user the ACL user, or null for the default user
 * @param password null for none
 * @param database the logical database number
 * @param clientName CLIENT SETNAME, or null
 * @param connectTimeout how long to wait for a connection; null for Lettuce's default (10 s)
 */
public record RedisConnection(List<Endpoint> endpoints, String sentinelMaster, boolean ssl, String user, Secret password,
                              int database, String clientName, Duration connectTimeout) {
    /** The port StackExchange.Redis assumes without TLS, and Redis's. */
    public static final int DEFAULT_PORT = 6379;
    /** The port StackExchange.Redis (and Azure Cache for Redis) assumes with TLS. */
    public static final int DEFAULT_TLS_PORT = 6380;

    public record Endpoint(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public RedisConnection {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no endpoint");
        }
    }

    /** {@code host:port} (each sentinel, and the master's name), TLS or not: never the password. */
    public String display() {
        StringBuilder sb = new StringBuilder(ssl ? "rediss://" : "redis://");
        for (int i = 0; i < endpoints.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(endpoints.get(i));
        }
        if (sentinelMaster != null) {
            sb.append(" (sentinel, master ").append(sentinelMaster).append(')');
        }
        if (database != 0) {
            sb.append(" db ").append(database);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "RedisConnection[" + display() + (password != null ? ", password ****" : "") + "]";
    }

    /** The same connection with {@code password} instead of the string's own. */
    public RedisConnection withPassword(Secret password) {
        return new RedisConnection(endpoints, sentinelMaster, ssl, user, password, database, clientName, connectTimeout);
    }

    /**
     * Reads a connection string; {@code warning} gets options that are not known or have no effect
     * here. Throws {@link IllegalArgumentException} with a message that never contains the
     * password (the string is shown with it masked, {@link #redact}).
     */
    public static RedisConnection parse(String text, Consumer<String> warning) {
        requireNonNull(text, "text");
        String t = text.strip();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("the connection string is empty (expected redis://host:6379, rediss://host:6380 "
                    + "or host:6380,password=...,ssl=True)");
        }
        String lower = t.toLowerCase(Locale.ROOT);
        if (lower.startsWith("redis://") || lower.startsWith("rediss://") || lower.startsWith("redis-sentinel://")
                || lower.startsWith("rediss-sentinel://")) {
            return uri(t, warning);
        }
        if (lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
            throw new IllegalArgumentException("'" + redact(t) + "' uses a scheme Gatehouse does not know (expected redis://, "
                    + "rediss://, redis-sentinel://, or StackExchange.Redis's host:port,password=...,ssl=True)");
        }
        return stackExchange(t, warning);
    }

    /**
     * {@code text} with every password masked: the user-info of a URI and StackExchange's
     * {@code password=} option. For messages.
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        // StackExchange's password=, with the parts after it that are no option (a ',' in the password split it)
        String s = text.replaceAll("(?i)(password\\s*=)[^,]*(,[^,=]*(?=,|$))*", "$1****");
        // user-info of a URI: everything between :// and the last @ (a password may hold '/', '@', '#' or '?':
        // Azure's keys are base64, and one not percent-encoded is still never shown)
        return s.replaceAll("(?i)(://).*@", "$1****@");
    }

    private static RedisConnection uri(String t, Consumer<String> warning) {
        int colon = t.indexOf("://");
        String scheme = t.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = t.substring(colon + 3);
        boolean sentinel = scheme.endsWith("-sentinel");
        boolean ssl = scheme.startsWith("rediss");
        String fragment = null;
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            fragment = decode(rest.substring(hash + 1));
            rest = rest.substring(0, hash);
        }
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String user = null;
        Secret password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String info = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int c = info.indexOf(':');
            if (c >= 0) {
                user = info.substring(0, c).isEmpty() ? null : decode(info.substring(0, c));
                password = Secret.of(decode(info.substring(c + 1)));
            } else if (!info.isEmpty()) {
                password = Secret.of(decode(info)); // redis://password@host, as Lettuce reads it
            }
        }
        int database = 0;
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            String db = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
            if (!db.isEmpty()) {
                database = number(db, "database", redact(t));
            }
        }
        String clientName = null;
        Duration connect = null;
        if (query != null) {
            for (String kv : query.split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                String k = (eq < 0 ? kv : kv.substring(0, eq)).toLowerCase(Locale.ROOT);
                String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
                switch (k) {
                    case "database", "db" -> database = number(v, k, redact(t));
                    case "clientname" -> clientName = v;
                    case "ssl" -> ssl = ssl || Boolean.parseBoolean(v);
                    case "timeout" -> connect = Duration.ofMillis(millis(v, k, redact(t)));
                    case "sentinelmasterid" -> fragment = v;
                    default -> warning.accept("connection string option '" + k + "' is not known to Gatehouse and is ignored");
                }
            }
        }
        int defaultPort = sentinel ? 26379 : DEFAULT_PORT;
        List<Endpoint> endpoints = new ArrayList<>();
        for (String hp : rest.split(",")) {
            if (!hp.isBlank()) {
                endpoints.add(endpoint(hp.strip(), defaultPort, redact(t)));
            }
        }
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("'" + redact(t) + "' names no host (expected for example redis://redis.internal:6379)");
        }
        if (sentinel && (fragment == null || fragment.isBlank())) {
            throw new IllegalArgumentException("'" + redact(t) + "': a redis-sentinel:// URI needs the master's name after '#' "
                    + "(for example redis-sentinel://sentinel1:26379,sentinel2:26379#mymaster)");
        }
        if (!sentinel && endpoints.size() > 1) {
            throw new IllegalArgumentException("'" + redact(t) + "' names " + endpoints.size() + " hosts (expected one; for "
                    + "Sentinel use redis-sentinel://host1,host2#master)");
        }
        return new RedisConnection(endpoints, sentinel ? fragment : null, ssl, user, password, database, clientName, connect);
    }

    private static RedisConnection stackExchange(String t, Consumer<String> warning) {
        List<String> hosts = new ArrayList<>();
        Boolean ssl = null;
        String user = null;
        Secret password = null;
        int database = 0;
        String clientName = null;
        String serviceName = null;
        Duration connect = null;
        for (String part : t.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                hosts.add(p);
                continue;
            }
            String key = p.substring(0, eq).strip();
            String v = p.substring(eq + 1).strip();
            switch (key.toLowerCase(Locale.ROOT)) {
                case "password" -> password = Secret.of(v);
                case "user" -> user = v.isEmpty() ? null : v;
                case "ssl" -> ssl = bool(v, key, t);
                case "defaultdatabase" -> database = number(v, key, redact(t));
                case "name" -> clientName = v.isEmpty() ? null : v;
                case "servicename" -> serviceName = v.isEmpty() ? null : v;
                case "connecttimeout" -> connect = Duration.ofMillis(millis(v, key, redact(t)));
                // documented StackExchange.Redis options that ask nothing of this client: accepted as written
                case "abortconnect" -> bool(v, key, t); // Gatehouse never aborts: it loads, warns, and keeps reconnecting
                case "allowadmin", "resolvedns", "checkcertificaterevocation", "setlib" -> bool(v, key, t);
                case "keepalive", "connectretry", "configcheckseconds", "highprioritysocketthreads" -> number(v, key, redact(t));
                case "synctimeout", "asynctimeout", "responsetimeout" -> {
                    number(v, key, redact(t));
                    warning.accept("connection string option '" + key + "' has no effect here: gateway.externalCache.timeout is "
                            + "how long a request waits for Redis");
                }
                case "sslhost" -> warning.accept("connection string option 'sslHost' is ignored: the certificate is checked "
                        + "against the host the string names");
                case "sslprotocols", "tiebreaker", "version", "channelprefix", "configchannel", "proxy", "protocol",
                     "writebuffer", "heartbeatinterval", "heartbeatconsistencychecks", "highintegrity", "tunnel",
                     "includedetailinexceptions", "includeperformancecountersinexceptions" -> {
                    // documented, and nothing Gatehouse's client needs
                }
                default -> warning.accept("connection string option '" + key + "' is not known (StackExchange.Redis's options: "
                        + "password, user, ssl, defaultDatabase, name, serviceName, connectTimeout, abortConnect, ...) and is ignored");
            }
        }
        boolean tls = ssl != null && ssl;
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("'" + redact(t) + "' names no host (expected for example "
                    + "contoso.redis.cache.windows.net:6380,password=...,ssl=True,abortConnect=False)");
        }
        if (serviceName == null && hosts.size() > 1) {
            // the parts are not shown: with a ',' in a password, what follows it reads as another endpoint
            throw new IllegalArgumentException("'" + redact(t) + "' names " + hosts.size() + " endpoints (Gatehouse connects "
                    + "to one Redis, or to sentinels with serviceName=...; a value, such as a password, cannot hold a ',' "
                    + "in this form: give the password in gateway.externalCache.password)");
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (String h : hosts) {
            endpoints.add(endpoint(h, serviceName != null ? 26379 : tls ? DEFAULT_TLS_PORT : DEFAULT_PORT, redact(t)));
        }
        return new RedisConnection(endpoints, serviceName, tls, user, password, database, clientName, connect);
    }

    private static Endpoint endpoint(String hp, int defaultPort, String shown) {
        String host = hp;
        int port = defaultPort;
        if (hp.startsWith("[")) { // [IPv6]:port
            int close = hp.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + shown + "': '" + hp + "' is not a host[:port]");
            }
            host = hp.substring(1, close);
            if (hp.length() > close + 1) {
                if (hp.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("'" + shown + "': '" + hp + "' is not a host[:port]");
                }
                port = port(hp.substring(close + 2), shown);
            }
        } else {
            int c = hp.lastIndexOf(':');
            if (c >= 0 && hp.indexOf(':') == c) {
                host = hp.substring(0, c);
                port = port(hp.substring(c + 1), shown);
            }
        }
        if (host.isBlank() || !host.matches("[A-Za-z0-9._:%-]+")) {
            throw new IllegalArgumentException("'" + shown + "': '" + host + "' is not a host name or address");
        }
        return new Endpoint(host, port);
    }

    private static int port(String v, String shown) {
        int p;
        try {
            p = Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + shown + "': port '" + v + "' is not a number (expected 1 to 65535)");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("'" + shown + "': port " + p + " is out of range (expected 1 to 65535)");
        }
        return p;
    }

    private static int number(String v, String key, String shown) {
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + shown + "': " + key + " '" + v + "' is not a whole number of at least 0");
    }

    /** The longest connect timeout: the config load waits for it. */
    private static final long MAX_CONNECT_MILLIS = 60_000;

    private static long millis(String v, String key, String shown) {
        String s = v.strip().toLowerCase(Locale.ROOT);
        long ms;
        try {
            if (s.endsWith("ms")) {
                ms = Long.parseLong(s.substring(0, s.length() - 2).strip());
            } else if (s.endsWith("s")) {
                ms = Math.round(Double.parseDouble(s.substring(0, s.length() - 1).strip()) * 1000);
            } else {
                ms = Long.parseLong(s);
            }
        } catch (NumberFormatException e) {
            ms = -1;
        }
        if (ms <= 0 || ms > MAX_CONNECT_MILLIS) {
            throw new IllegalArgumentException("'" + shown + "': " + key + " '" + v + "' is not a number of milliseconds from 1 "
                    + "to " + MAX_CONNECT_MILLIS + " (expected for example 5000, 5000ms or 5s)");
        }
        return ms;
    }

    private static boolean bool(String v, String key, String t) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + redact(t) + "': " + key + " '" + v + "' is not True or False");
        };
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }
}
