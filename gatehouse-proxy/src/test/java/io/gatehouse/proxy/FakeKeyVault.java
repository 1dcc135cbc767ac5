package io.gatehouse.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The tests' own Azure Key Vault and managed-identity token services, in this JVM, speaking the
 * documented REST shapes the Azure SDK uses (no Key Vault or emulator can be reached here):
 *
 * <ul>
 *   <li>Key Vault over HTTPS, at {@code https://gatehouse-test.vault.azure.net:PORT} (the test
 *       hosts file resolves the name to 127.0.0.1): every call needs {@code api-version}; without a
 *       bearer token it answers 401 with {@code WWW-Authenticate: Bearer authorization="...",
 *       resource="https://vault.azure.net"}; {@code GET /secrets/{name}} (latest version),
 *       {@code /secrets/{name}/{version}} and {@code /secrets/{name}/versions} answer a SecretBundle
 *       or a list of SecretItems; a disabled version is 403 {@code Forbidden}/{@code SecretDisabled};
 *       an identity without the role is 403 {@code Forbidden}/{@code ForbiddenByRbac}; an unknown
 *       secret or version is 404 {@code SecretNotFound}.</li>
 *   <li>Token services over plain HTTP on another port: the VM Instance Metadata Service shape
 *       ({@code GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...&client_id=...}
 *       with {@code Metadata: true}) and the App Service shape ({@code GET /msi/token?api-version=2019-08-01
 *       &resource=...} with {@code X-IDENTITY-HEADER}).</li>
 * </ul>
 */
public final class FakeKeyVault implements AutoCloseable {
    public static final String HOST = "gatehouse-test.vault.azure.net";
    public static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public static final String IDENTITY_HEADER = "test-identity-header-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Version(String id, String value, String contentType, boolean enabled, long created) {
    }

    private final SSLContext tls;
    private HttpsServer vault;
    public final int vaultPort;
    private final HttpServer tokens;
    public final Map<String, List<Version>> secrets = new ConcurrentHashMap<>();
    /** Client ids (or "system") that may read secrets. */
    public final Set<String> allowed = ConcurrentHashMap.newKeySet();
    /** Token requests seen: "imds resource client_id" or "app-service resource client_id". */
    public final List<String> tokenRequests = new CopyOnWriteArrayList<>();
    /** Secret reads seen: "GET /secrets/..." with the identity. */
    public final List<String> reads = new CopyOnWriteArrayList<>();
    private final Map<String, String> tokenOwners = new ConcurrentHashMap<>();
    /** The resource the 401 challenge names; Key Vault's is https://vault.azure.net. */
    public volatile String challengeResource = "https://vault.azure.net";
    private final AtomicInteger versionCounter = new AtomicInteger();

    public FakeKeyVault(Pki.Issued serverCert) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("vault", serverCert.keyPair().getPrivate(), new char[0],
                    serverCert.chain().toArray(new java.security.cert.Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            tls = SSLContext.getInstance("TLS");
            tls.init(kmf.getKeyManagers(), null, null);
            vaultPort = Ports.free();
            startVault();
            tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            tokens.createContext("/", this::token);
            tokens.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        allowed.add("system");
    }

    private void startVault() throws IOException {
        vault = HttpsServer.create(new InetSocketAddress("127.0.0.1", vaultPort), 0);
        vault.setHttpsConfigurator(new HttpsConfigurator(tls));
        vault.createContext("/", this::vault);
        vault.start();
    }

    /** Stops answering: the vault's port refuses connections, as an unreachable vault does. */
    public void stopVault() {
        vault.stop(0);
    }

    public void restartVault() throws IOException {
        startVault();
    }

    public String vaultUrl() {
        return "https://" + HOST + ":" + vaultPort;
    }

    public String imdsEndpoint() {
        return "http://127.0.0.1:" + tokens.getAddress().getPort() + "/metadata/identity/oauth2/token";
    }

    public String appServiceEndpoint() {
        return "http://127.0.0.1:" + tokens.getAddress().getPort() + "/msi/token";
    }

    /** Adds a new version of {@code name} (the latest); returns its version id. */
    public String put(String name, String value, String contentType) {
        String version = String.format("%032x", versionCounter.incrementAndGet() + 0xabc000L);
        secrets.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>())
                .add(new Version(version, value, contentType, true, Instant.now().getEpochSecond() + versionCounter.get()));
        return version;
    }

    public void disable(String name, String version) {
        List<Version> vs = secrets.get(name);
        for (int i = 0; i < vs.size(); i++) {
            Version v = vs.get(i);
            if (v.id().equals(version)) {
                vs.set(i, new Version(v.id(), v.value(), v.contentType(), false, v.created()));
            }
        }
    }

    // ---------------------------------------------------------------- token services

    private void token(HttpExchange ex) throws IOException {
        Map<String, String> q = query(ex);
        String path = ex.getRequestURI().getPath();
        String clientId = q.getOrDefault("client_id", "system");
        String shape;
        if (path.equals("/metadata/identity/oauth2/token")) {
            if (!"true".equals(ex.getRequestHeaders().getFirst("Metadata")) || !"2018-02-01".equals(q.get("api-version"))) {
                send(ex, 400, "{\"error\":\"invalid_request\",\"error_description\":\"Required metadata header not specified\"}");
                return;
            }
            shape = "imds";
        } else if (path.equals("/msi/token")) {
            if (!IDENTITY_HEADER.equals(ex.getRequestHeaders().getFirst("X-IDENTITY-HEADER")) || q.get("api-version") == null) {
                send(ex, 401, "{\"error\":{\"code\":\"Unauthorized\",\"message\":\"wrong identity header\"}}");
                return;
            }
            shape = "app-service";
        } else {
            send(ex, 404, "{}");
            return;
        }
        String resource = q.get("resource");
        tokenRequests.add(shape + " " + resource + " " + clientId);
        if (resource == null || !resource.equals("https://vault.azure.net")) {
            send(ex, 400, "{\"error\":\"invalid_resource\",\"error_description\":\"unexpected resource\"}");
            return;
        }
        String token = "eyJ0eXAiOiJKV1QifQ." + UUID.randomUUID() + ".sig";
        tokenOwners.put(token, clientId);
        long expires = Instant.now().getEpochSecond() + 3600;
        send(ex, 200, JSON.writeValueAsString(Map.of("access_token", token, "expires_on", Long.toString(expires),
                "resource", resource, "token_type", "Bearer", "client_id", clientId.equals("system") ? UUID.randomUUID().toString() : clientId)));
    }

    // ---------------------------------------------------------------- vault

    private void vault(HttpExchange ex) throws IOException {
        Map<String, String> q = query(ex);
        if (q.get("api-version") == null) {
            send(ex, 400, error("BadParameter", "The request URI contains an invalid or missing api-version", null));
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        String owner = auth != null && auth.startsWith("Bearer ") ? tokenOwners.get(auth.substring(7)) : null;
        if (owner == null) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/"
                    + TENANT + "\", resource=\"" + challengeResource + "\"");
            send(ex, 401, error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", null));
            return;
        }
        String[] parts = ex.getRequestURI().getPath().substring(1).split("/");
        reads.add(ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " as " + owner);
        if (!ex.getRequestMethod().equals("GET") || parts.length < 2 || parts.length > 3 || !parts[0].equals("secrets")) {
            send(ex, 405, error("BadParameter", "not supported by the test vault", null));
            return;
        }
        if (!allowed.contains(owner)) {
            send(ex, 403, error("Forbidden", "Caller is not authorized to perform action on resource.\r\nIf role assignments, "
                    + "deny assignments or role definitions were changed recently, please observe propagation time.\r\n"
                    + "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'", "ForbiddenByRbac"));
            return;
        }
        List<Version> versions = secrets.get(parts[1]);
        if (versions == null || versions.isEmpty()) {
            notFound(ex, parts[1]);
            return;
        }
        String base = "https://" + ex.getRequestHeaders().getFirst("Host");
        if (parts.length == 3 && parts[2].equals("versions")) {
            List<Map<String, Object>> items = new ArrayList<>();
            for (Version v : versions) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("id", base + "/secrets/" + parts[1] + "/" + v.id());
                item.put("attributes", attributes(v));
                item.put("contentType", v.contentType());
                items.add(item);
            }
            Map<String, Object> page = new LinkedHashMap<>();
            page.put("value", items);
            page.put("nextLink", null);
            send(ex, 200, JSON.writeValueAsString(page));
            return;
        }
        Version v;
        if (parts.length == 3 && !parts[2].isEmpty()) {
            v = versions.stream().filter(x -> x.id().equals(parts[2])).findFirst().orElse(null);
            if (v == null) {
                notFound(ex, parts[1] + "/" + parts[2]);
                return;
            }
        } else {
            v = versions.get(versions.size() - 1);
        }
        if (!v.enabled()) {
            send(ex, 403, error("Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled"));
            return;
        }
        Map<String, Object> bundle = new LinkedHashMap<>();
        bundle.put("value", v.value());
        bundle.put("contentType", v.contentType());
        bundle.put("id", base + "/secrets/" + parts[1] + "/" + v.id());
        bundle.put("attributes", attributes(v));
        bundle.put("tags", Map.of());
        send(ex, 200, JSON.writeValueAsString(bundle));
    }

    private void notFound(HttpExchange ex, String what) throws IOException {
        send(ex, 404, error("SecretNotFound", "A secret with (name/id) " + what + " was not found in this key vault. If you "
                + "recently deleted this secret you may be able to recover it using the correct recovery command.", null));
    }

    private static Map<String, Object> attributes(Version v) {
        Map<String, Object> a = new HashMap<>();
        a.put("enabled", v.enabled());
        a.put("created", v.created());
        a.put("updated", v.created());
        a.put("recoveryLevel", "Recoverable+Purgeable");
        a.put("recoverableDays", 90);
        return a;
    }

    private static String error(String code, String message, String inner) throws IOException {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("code", code);
        e.put("message", message);
        if (inner != null) {
            e.put("innerError", Map.of("code", inner));
        }
        return JSON.writeValueAsString(Map.of("error", e));
    }

    private static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new HashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String p : raw.split("&")) {
                int eq = p.indexOf('=');
                if (eq > 0) {
                    out.put(URLDecoder.decode(p.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (var out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        vault.stop(0);
        tokens.stop(0);
    }
}
