package io.gatehouse.proxy;

import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.LoadedConfig;
import io.gatehouse.config.model.NamedValueConfig;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.PolicySteps;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.tls.HandshakeInfo;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The trace of one request, as APIM's request tracing: made only for a request whose
 * {@code Apim-Debug-Authorization} header carries one of {@code gateway.trace.keys}, it records
 * in order, with the milliseconds since the request started, the request as received, the route,
 * each policy as it runs (element, scope, section, {@code file:line}), each {@code <when>}
 * condition and its value, variables and headers set, the backend call (connection, TLS
 * handshake, status and timing), the failure and what the {@code trace} policy wrote.
 *
 * <p>Nothing secret goes in: the values of {@link #REDACTED_HEADERS}, secret named values, the
 * trace keys and any value containing one of them are replaced by {@value #REDACTED}; no key of a
 * certificate is ever looked at, only subjects and SHA-1 thumbprints. A trace holds at most
 * {@link #MAX_STEPS} steps and each value at most {@link #MAX_VALUE} characters; what is cut says
 * so ({@code truncated}).
 *
 * <p>Written from the request's event loop (and from a policy resumed elsewhere), read from the
 * admin port: every method is synchronized, which only traced requests pay.
 */
final class RequestTrace implements PolicySteps {
    /** The request header that asks for a trace; removed from every request, traced or not. */
    static final AsciiString DEBUG_HEADER = AsciiString.cached("apim-debug-authorization");
    /** The response header naming the trace. */
    static final AsciiString TRACE_ID_HEADER = AsciiString.cached("Apim-Trace-Id");
    static final int MAX_STEPS = 1_000;
    static final int MAX_VALUE = 1_024;
    static final String REDACTED = "[redacted]";
    /** Request headers whose values are never shown. */
    static final Set<String> REDACTED_HEADERS = Set.of("authorization", "apim-debug-authorization",
            "ocp-apim-subscription-key", "cookie", "proxy-authorization", "set-cookie");
    private static final Pattern SUBSCRIPTION_KEY_PARAM = Pattern.compile("(?i)([?&]subscription-key=)[^&#]*");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    /**
     * What a config says about tracing, built once per load: the keys (as bytes, for a
     * constant-time comparison) and the texts no trace may show (secret named values, the keys).
     */
    static final class Keys {
        static final Keys OFF = new Keys(List.of(), List.of());
        private final List<byte[]> keys;
        private final List<String> secrets;

        private Keys(List<byte[]> keys, List<String> secrets) {
            this.keys = keys;
            this.secrets = secrets;
        }

        static Keys of(LoadedConfig config) {
            var settings = config.model().gateway().trace();
            List<byte[]> keys = new ArrayList<>();
            List<String> secrets = new ArrayList<>();
            for (Secret s : settings.keys()) {
                String k = s.revealString();
                keys.add(k.getBytes(StandardCharsets.UTF_8));
                secrets.add(k);
            }
            for (io.gatehouse.config.SubscriptionKeys k : config.subscriptionKeys().values()) {
                for (Secret key : new Secret[] {k.primary(), k.secondary()}) { // under any header or parameter name
                    if (key != null) {
                        secrets.add(key.revealString());
                    }
                }
            }
            for (NamedValueConfig nv : config.model().namedValues()) {
                if (nv.secret() || nv.keyVault() != null) {
                    String v = config.namedValues().get(nv.name());
                    if (v != null && !v.isEmpty()) {
                        secrets.add(v);
                    }
                }
            }
            return keys.isEmpty() && secrets.isEmpty() ? OFF : new Keys(List.copyOf(keys), List.copyOf(secrets));
        }

        boolean enabled() {
            return !keys.isEmpty();
        }

        /** True when {@code presented} is one of the keys; every key is compared, in constant time each. */
        boolean matches(String presented) {
            byte[] p = presented.getBytes(StandardCharsets.UTF_8);
            boolean any = false;
            for (byte[] k : keys) {
                any |= MessageDigest.isEqual(k, p);
            }
            return any;
        }
    }

    private final String id;
    private final String requestId;
    private final long startNanos;
    private final Instant startedAt;
    private final List<String> secrets;
    private final List<Map<String, Object>> steps = new ArrayList<>();
    private long finishedNanos;
    private boolean truncated;
    private Map<String, Object> request;
    private Integer status;
    private Map<String, Object> responder;
    private String scopeNow = "";     // the scope and section of the policy running now, for its details
    private String sectionNow = "";

    /** A trace of request {@code requestId} that shows none of {@code secrets}; {@link #begin} makes them for requests. */
    RequestTrace(String requestId, long startNanos, List<String> secrets) {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        this.id = HEX.formatHex(b);
        this.requestId = requestId;
        this.startNanos = startNanos;
        this.startedAt = Instant.now().minusNanos(Math.max(0, System.nanoTime() - startNanos));
        this.secrets = secrets;
    }

    /**
     * Strips {@code Apim-Debug-Authorization} from the request (always: it is a secret) and, when
     * it carries one of the config's keys, starts a trace, stored at once in the runtime's store.
     * Null for every other request, which costs one header lookup. A wrong key says nothing.
     */
    static RequestTrace begin(GatewayRuntime runtime, GatewaySnapshot snap, HttpRequest req, String requestId,
                              long startNanos) {
        HttpHeaders h = req.headers();
        String presented = h.get(DEBUG_HEADER);
        if (presented == null) {
            return null;
        }
        h.remove(DEBUG_HEADER);
        Keys keys = snap.traceKeys;
        if (!keys.enabled() || !keys.matches(presented.strip())) {
            return null;
        }
        List<String> secrets = new ArrayList<>(keys.secrets);
        secrets.add(presented.strip());
        for (Map.Entry<String, String> e : h) { // what the client sent as a secret stays one wherever a policy copies it
            if (REDACTED_HEADERS.contains(e.getKey().toLowerCase(Locale.ROOT)) && e.getValue().length() >= 4) {
                secrets.add(e.getValue());
            }
        }
        RequestTrace t = new RequestTrace(requestId, startNanos, List.copyOf(secrets));
        runtime.traces.put(t);
        return t;
    }

    String id() {
        return id;
    }

    /** When the trace ended (the response went out), or 0 while the request runs. */
    synchronized long finishedNanos() {
        return finishedNanos;
    }

    long startNanos() {
        return startNanos;
    }

    // ---- what the gateway records --------------------------------------------------------------

    /** The request as received (the debug header already removed: it is shown as present, redacted). */
    synchronized void received(HttpRequest req, String clientIp, HandshakeInfo hs) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("method", req.method().name());
        r.put("uri", clean(SUBSCRIPTION_KEY_PARAM.matcher(req.uri()).replaceAll("$1" + REDACTED)));
        r.put("clientAddress", clientIp);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Apim-Debug-Authorization", List.of(REDACTED));
        for (Map.Entry<String, String> e : req.headers()) {
            String v = REDACTED_HEADERS.contains(e.getKey().toLowerCase(Locale.ROOT)) ? REDACTED : clean(e.getValue());
            headers.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(v);
        }
        r.put("headers", headers);
        StringBuilder detail = new StringBuilder(req.method().name()).append(' ').append(r.get("uri"));
        if (hs != null) {
            Map<String, Object> tls = new LinkedHashMap<>();
            tls.put("sni", hs.sni());
            tls.put("protocol", hs.protocol());
            tls.put("cipherSuite", hs.cipherSuite());
            X509Certificate leaf = hs.clientCertificate();
            if (leaf != null) {
                tls.put("clientCertificate", certificate(leaf));
                tls.put("clientCertificateVerdict", hs.clientVerification() == null ? null
                        : clean(String.valueOf(hs.clientVerification())));
            }
            r.put("tls", tls);
            detail.append(" (").append(hs.protocol()).append(", SNI ").append(hs.sni())
                    .append(leaf == null ? ", no client certificate" : ", client certificate "
                            + DotNetNames.format(leaf.getSubjectX500Principal())).append(')');
        }
        request = r;
        add("request", "", "", null, "", detail.toString(), Map.of("request", r));
    }

    /** The route the request matched. */
    synchronized void route(String host, Router.Match match) {
        String api = match.api().config().id();
        String op = match.operation() == null ? null : match.operation().config().id();
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("hostname", clean(host));
        data.put("api", api);
        data.put("operation", op);
        data.put("backend", match.api().target().id());
        data.put("policies", match.policy() != null);
        add("route", "", "", null, "", "host " + clean(host) + " -> API '" + api + "'"
                + (op == null ? "" : ", operation '" + op + "'") + (match.policy() == null ? " (no policies)" : ""), data);
    }

    /**
     * A backend connection taken for the call: new (with its connect and TLS handshake times,
     * the certificate presented and the server's chain) or reused from the pool.
     */
    synchronized void backend(UpstreamTarget target, String method, String uri, Channel up, long sentNanos) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("backend", target.id());
        String url = target.url().getScheme() + "://" + target.authority() + uri;
        data.put("url", clean(url));
        data.put("method", method);
        UpstreamPool.Setup setup = UpstreamPool.setup(up);
        boolean fresh = setup != null && setup.startedNanos >= sentNanos;
        data.put("connection", fresh ? "new" : "reused");
        StringBuilder detail = new StringBuilder(method).append(' ').append(clean(url)).append(" (backend '")
                .append(target.id()).append("'): ");
        if (fresh) {
            data.put("connectMs", ms(setup.connectedNanos - setup.startedNanos));
            detail.append("new connection, connected in ").append(ms(setup.connectedNanos - setup.startedNanos))
                    .append(" ms");
            if (setup.handshakeNanos != 0) {
                data.put("tlsHandshakeMs", ms(setup.handshakeNanos - setup.connectedNanos));
                detail.append(", TLS handshake ").append(ms(setup.handshakeNanos - setup.connectedNanos)).append(" ms");
            }
        } else {
            detail.append("reused pooled connection");
        }
        SslHandler ssl = up.pipeline().get(SslHandler.class);
        if (ssl != null && setup != null) {
            Map<String, Object> tls = new LinkedHashMap<>();
            var session = ssl.engine().getSession();
            tls.put("protocol", setup.protocol);
            tls.put("cipherSuite", setup.cipherSuite);
            tls.put("serverName", target.serverName());
            X509Certificate presented = setup.presented;
            if (presented != null) {
                tls.put("clientCertificate", certificate(presented));
                detail.append("; presented ").append(setup.presentedSubject)
                        .append(" (").append(DotNetNames.thumbprint(presented)).append(')');
            } else {
                tls.put("clientCertificate", null);
                detail.append("; no client certificate presented");
            }
            List<String> chain = new ArrayList<>();
            try {
                for (Certificate c : session.getPeerCertificates()) {
                    if (c instanceof X509Certificate x) {
                        chain.add(DotNetNames.format(x.getSubjectX500Principal()));
                    }
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                // no chain to show
            }
            tls.put("serverChain", chain);
            detail.append("; server chain ").append(chain);
            data.put("tls", tls);
        }
        add("backend", "", "backend", null, "forward-request", detail.toString(), data);
    }

    /** The backend's answer: its status, {@code sentNanos} being when the call began. */
    synchronized void backendResponse(UpstreamTarget target, int code, long sentNanos) {
        double took = ms(System.nanoTime() - sentNanos);
        add("backend-response", "", "backend", null, "forward-request", "backend '" + target.id() + "' answered "
                + code + " after " + took + " ms", Map.of("status", code, "durationMs", took));
    }

    /** The gateway itself failed the request (routing, the backend, a limit). */
    synchronized void gatewayFailure(FailureKind kind, String message) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("status", kind.status.code());
        data.put("source", kind.source);
        data.put("reason", kind.reason);
        data.put("message", clean(message));
        add("error", "", "", null, "", kind.status.code() + " " + kind.source + " / " + kind.reason + ": " + clean(message), data);
    }

    /** After the policies: who produced the response, and what {@code context.Trace()} recorded. */
    synchronized void policiesDone(io.gatehouse.policy.Exchange x) {
        Block.Item r = x.responder();
        if (r != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("element", r.element());
            m.put("at", at(r.at()));
            responder = m;
            add("responder", scope(r), x.section().element(), r.at(), r.element(),
                    "the response was produced by <" + r.element() + "> at " + at(r.at()), Map.of());
        }
        for (var t : x.context().traces()) {
            add("trace", "", "", null, "context.Trace", clean(t.source()) + ": " + clean(t.message()), Map.of());
        }
    }

    /** The response went out (or the client left: 499); the trace is complete. */
    synchronized void finish(int code) {
        if (finishedNanos != 0) {
            return;
        }
        status = code;
        add("response", "", "", null, "", "status " + code + " after " + ms(System.nanoTime() - startNanos) + " ms",
                Map.of("status", code));
        finishedNanos = System.nanoTime();
    }

    // ---- PolicySteps: what the policies record ---------------------------------------------------

    @Override
    public synchronized void step(Position at, String element, String what) {
        add("branch", scopeNow, sectionNow, at, element, clean(what), Map.of());
    }

    @Override
    public synchronized void policy(Block.Item item, Section section) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("path", item.path());
        if (item.policyId() != null) {
            data.put("id", item.policyId());
        }
        if (item.fragment() != null) {
            data.put("fragment", item.fragment());
        }
        scopeNow = scope(item);
        sectionNow = section.element();
        add("policy", scopeNow, sectionNow, item.at(), item.element(),
                item.path() + (item.fragment() == null ? "" : " (fragment '" + item.fragment() + "')"), data);
    }

    @Override
    public synchronized void condition(Position at, String condition, Boolean value) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("condition", clean(condition));
        data.put("value", value);
        add("condition", scopeNow, sectionNow, at, "when", clean(condition) + " = " + value, data);
    }

    @Override
    public synchronized void variable(String name, Object value) {
        String v = clean(String.valueOf(value));
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("name", name);
        data.put("value", v);
        add("variable", scopeNow, sectionNow, null, "set-variable", name + " = " + v, data);
    }

    @Override
    public synchronized void header(String message, String name, String action, List<String> values) {
        boolean secret = REDACTED_HEADERS.contains(name.toLowerCase(Locale.ROOT));
        List<String> shown = new ArrayList<>(values.size());
        for (String v : values) {
            shown.add(secret ? REDACTED : clean(v));
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("message", message);
        data.put("name", name);
        data.put("action", action);
        data.put("values", shown);
        add("header", scopeNow, sectionNow, null, "set-header", message + " header " + name + " (" + action + "): "
                + (shown.isEmpty() ? "removed" : String.join(", ", shown)), data);
    }

    @Override
    public synchronized void failed(GatewayException g) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("status", g.status());
        data.put("source", g.source());
        data.put("reason", g.reason());
        data.put("message", clean(g.getMessage()));
        data.put("scope", g.scope() == null ? "" : g.scope().label());
        data.put("section", g.section() == null ? "" : g.section().element());
        data.put("path", g.path() == null ? "" : g.path());
        data.put("policyId", g.policyId() == null ? "" : g.policyId());
        add("error", g.scope() == null ? "" : g.scope().label(), g.section() == null ? "" : g.section().element(), null,
                "", "LastError " + g.source() + " / " + g.reason() + ": " + clean(g.getMessage())
                        + (g.path() == null ? "" : " (at " + g.path() + ")") + "; on-error runs", data);
    }

    @Override
    public synchronized void traced(TraceEntry entry) {
        if (entry.severity().equals("error") && steps.size() > 0
                && "error".equals(steps.get(steps.size() - 1).get("kind"))) {
            return; // the failure the engine also notes as a trace entry: already recorded with its detail
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("source", clean(entry.source()));
        data.put("severity", entry.severity());
        data.put("message", clean(entry.message()));
        Map<String, String> meta = new LinkedHashMap<>();
        entry.metadata().forEach((k, v) -> meta.put(k, clean(v)));
        data.put("metadata", meta);
        add("trace", scopeNow, sectionNow, null, "trace", "[" + entry.severity() + "] " + clean(entry.source()) + ": "
                + clean(entry.message()) + (meta.isEmpty() ? "" : " " + meta), data);
    }

    // ---- reading ---------------------------------------------------------------------------------

    /** The trace as the admin port serves it. */
    synchronized Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("requestId", requestId);
        m.put("startedAt", startedAt.toString());
        m.put("complete", finishedNanos != 0);
        m.put("status", status);
        m.put("durationMs", finishedNanos == 0 ? null : ms(finishedNanos - startNanos));
        m.put("responder", responder);
        m.put("request", request);
        m.put("truncated", truncated);
        m.put("steps", List.copyOf(steps));
        return m;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void add(String kind, String scope, String section, Position at, String element, String detail,
                     Map<String, Object> data) {
        if (steps.size() >= MAX_STEPS) {
            truncated = true;
            return;
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("ms", ms(System.nanoTime() - startNanos));
        s.put("kind", kind);
        s.put("scope", scope);
        s.put("section", section);
        s.put("at", at == null ? "" : at(at));
        s.put("element", element);
        s.put("detail", detail);
        if (!data.isEmpty()) {
            s.put("data", data);
        }
        steps.add(s);
        if (steps.size() == MAX_STEPS) {
            truncated = true;
            steps.set(MAX_STEPS - 1, Map.of("ms", s.get("ms"), "kind", "truncated", "scope", "", "section", "",
                    "at", "", "element", "", "detail", "truncated: a trace keeps at most " + MAX_STEPS + " steps"));
        }
    }

    /** A value safe to show: redacted if it contains a secret, shortened if long. */
    private String clean(String v) {
        if (v == null) {
            return null;
        }
        for (String s : secrets) {
            if (v.contains(s)) {
                return REDACTED;
            }
        }
        if (v.length() > MAX_VALUE) {
            truncated = true;
            return v.substring(0, MAX_VALUE) + "... (truncated, " + v.length() + " characters)";
        }
        return v;
    }

    private static String scope(Block.Item item) {
        return item.fragment() != null ? "fragment" : item.scope().label();
    }

    /** {@code file:line}, or "" for a built-in policy. */
    static String at(Position p) {
        return p.line() <= 0 ? "" : p.file() + ":" + p.line();
    }

    private static Map<String, Object> certificate(X509Certificate c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("subject", DotNetNames.format(c.getSubjectX500Principal()));
        m.put("issuer", DotNetNames.format(c.getIssuerX500Principal()));
        m.put("thumbprint", DotNetNames.thumbprint(c));
        m.put("notAfter", c.getNotAfter().toInstant().toString());
        return m;
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }
}
