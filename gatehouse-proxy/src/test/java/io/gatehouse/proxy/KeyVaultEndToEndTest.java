package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.ConfigWatcher;
import io.gatehouse.config.keyvault.KeyVaultRefresher;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.config.keyvault.KeyVaultStatus;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key Vault as a certificate and named-value source, end to end, through the real Azure SDK against
 * {@link FakeKeyVault} (the documented REST shapes; no real vault can be reached here): the server
 * certificate, a backend client certificate presented to nginx, a backend CA certificate and a named
 * value come from the vault; a new version goes into service on refresh (the admin endpoint and the
 * interval) under a loop of requests with none failing; a 403 and an unreachable vault keep the last
 * good version serving and say why; with nothing read before, the load fails at the reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyVaultEndToEndTest {
    static final String BACKEND_IDENTITY = "11111111-2222-3333-4444-555555555555";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;
    TestWorld world;
    FakeKeyVault vault;
    NginxBackend nginx;
    Gateway gateway;
    ConfigWatcher watcher;
    KeyVaultRefresher refresher;
    KeyVaultSource source;
    Path configFile;
    int port;
    int adminPort;
    SSLContext clientTls;
    Pki.Issued vaultCa;
    Pki.Issued serverV2;
    final Map<String, String> versions = new ConcurrentHashMap<>();

    @BeforeAll
    void start() throws Exception {
        world = new TestWorld(tmp.resolve("pki"));
        Duration year = Duration.ofDays(365);
        vaultCa = Pki.ca("CN=Test Vault CA", year);
        Pki.Issued vaultServer = Pki.issue(vaultCa, Pki.IssueRequest.server(FakeKeyVault.HOST, FakeKeyVault.HOST).withValidity(year));
        Files.writeString(tmp.resolve("vault-ca.pem"), Pki.pem(vaultCa.certificate()));
        vault = new FakeKeyVault(vaultServer);
        vault.allowed.add(BACKEND_IDENTITY);
        serverV2 = Pki.issue(world.gatewayCa, Pki.IssueRequest.server(TestWorld.API_HOST, TestWorld.API_HOST).withValidity(year));

        versions.put("gateway-tls", vault.put("gateway-tls", pfx(world.gatewayServer), "application/x-pkcs12"));
        versions.put("backend-client", vault.put("backend-client", pemPair(world.gatewayClient), "application/x-pem-file"));
        versions.put("backend-ca", vault.put("backend-ca", Pki.pem(world.backendCa.certificate()), "application/x-pem-file"));
        versions.put("api-key", vault.put("api-key", "s3cr3t-v1", null));

        nginx = new NginxBackend(tmp.resolve("nginx"), world.file("backend.pem"), world.file("backend.key"),
                world.file("gw-client-ca.pem"));
        port = Ports.free();
        adminPort = Ports.free();
        configFile = tmp.resolve("gatehouse.yaml");
        Files.writeString(configFile, config(3600));

        source = new KeyVaultSource();
        ConfigResult first = ConfigLoader.load(configFile, Map.of(), source);
        assertThat(first.diagnostics().hasErrors()).as(first.diagnostics().render()).isFalse();
        gateway = new Gateway(first.config(), 2).start();
        watcher = new ConfigWatcher(configFile, r -> {
            if (r.config() != null) {
                gateway.reload(r.config());
            }
        }, Map.of(), source);
        refresher = new KeyVaultRefresher(source, watcher::reloadNow);
        gateway.keyVault(refresher);

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("gw-ca", world.gatewayCa.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);
    }

    String config(int refreshSeconds) {
        String v = vault.vaultUrl();
        return """
                gateway:
                  listeners:
                    - port: %1$d
                      bind: 127.0.0.1
                  admin:
                    port: %2$d
                  managedIdentity:
                    style: imds
                    endpoint: %3$s
                  keyVault:
                    refreshInterval: %4$d
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                caCertificates:
                  - id: vault-ca
                    file: %5$s
                    storeName: Root
                  - id: backend-ca
                    storeName: Root
                    keyVault:
                      secretIdentifier: %6$s/secrets/backend-ca
                certificates:
                  - id: gateway-tls
                    keyVault:
                      secretIdentifier: %6$s/secrets/gateway-tls
                  - id: backend-client
                    keyVault:
                      secretIdentifier: %6$s/secrets/backend-client
                      identityClientId: %7$s
                namedValues:
                  - name: api-key
                    keyVault:
                      secretIdentifier: %6$s/secrets/api-key
                  - name: api-key-pinned
                    keyVault:
                      secretIdentifier: %6$s/secrets/api-key/%9$s
                backends:
                  - id: nginx
                    url: https://backend.gatehouse.test:%8$d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [backend-client]
                apis:
                  - id: key
                    path: key
                    backendId: nginx
                    policyXml: |
                      <policies>
                        <inbound>
                          <return-response>
                            <set-status code="200" reason="OK" />
                            <set-body>{{api-key}}</set-body>
                          </return-response>
                        </inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: backend
                    path: backend
                    backendId: nginx
                  - id: pinned
                    path: pinned
                    backendId: nginx
                    policyXml: |
                      <policies>
                        <inbound><return-response><set-body>{{api-key-pinned}}</set-body></return-response></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                """.formatted(port, adminPort, vault.imdsEndpoint(), refreshSeconds, tmp.resolve("vault-ca.pem"), v,
                BACKEND_IDENTITY, nginx.port, versions.get("api-key"));
    }

    @AfterAll
    void stop() {
        if (refresher != null) {
            refresher.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (nginx != null) {
            nginx.close();
        }
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    @Order(1)
    void theServerCertificateComesFromTheVaultAndCurlAcceptsIt() {
        assertThat(handshake().leaf.getSerialNumber()).isEqualTo(world.gatewayServer.certificate().getSerialNumber());
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/key", null);
        assertThat(r.status()).as(r.stderr()).isEqualTo(200);
        // the identity the config names asked the IMDS-shaped endpoint for a Key Vault token, and so did the system one
        assertThat(vault.tokenRequests).contains("imds https://vault.azure.net system",
                "imds https://vault.azure.net " + BACKEND_IDENTITY);
    }

    @Test
    @Order(2)
    void aNamedValueFromTheVaultIsUsedInAPolicy() {
        assertThat(handshake("/key").body).isEqualTo("s3cr3t-v1");
    }

    @Test
    @Order(3)
    void theBackendClientCertificateAndTheBackendCaComeFromTheVault() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/backend/x", null);
        assertThat(r.status()).as(r.body() + r.stderr() + nginx.log()).isEqualTo(200);
        assertThat(r.body()).contains("\"nginxSawClient\": \"CN=gatehouse-gw,O=Contoso,C=US\"").contains("\"verify\": \"SUCCESS\"");
    }

    @Test
    @Order(4)
    void aNewVersionGoesIntoServiceOnRefreshWithoutAFailedRequest() throws Exception {
        AtomicBoolean run = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        Set<BigInteger> serials = ConcurrentHashMap.newKeySet();
        Thread loop = new Thread(() -> {
            while (run.get()) {
                try {
                    Probe p = handshake("/key");
                    serials.add(p.leaf.getSerialNumber());
                    if (p.status == 200) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("status " + p.status);
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        // through nginx on one kept-alive client connection: the gateway's pooled backend connection was made
        // with the old client certificate; across the swap no request fails, and later ones use the new one
        HttpClient backendClient = HttpClient.newBuilder().sslContext(clientTls).version(HttpClient.Version.HTTP_1_1).build();
        List<String> backendSubjects = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread backendLoop = new Thread(() -> {
            while (run.get()) {
                try {
                    HttpResponse<String> r = backendClient.send(HttpRequest.newBuilder(
                            URI.create("https://" + TestWorld.API_HOST + ":" + port + "/backend/loop")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        failures.add("backend status " + r.statusCode() + " " + r.body());
                    } else {
                        backendSubjects.add(JSON.readTree(r.body()).path("nginxSawClient").asText());
                    }
                } catch (Exception e) {
                    failures.add("backend " + e);
                }
            }
        });
        loop.start();
        backendLoop.start();
        try {
            Thread.sleep(300);
            String v2 = vault.put("gateway-tls", pfx(serverV2), "application/x-pkcs12");
            String c2 = vault.put("backend-client", pemPair(world.altGatewayClient), "application/x-pem-file");
            String k2 = vault.put("api-key", "s3cr3t-v2", "text/plain");
            long t0 = System.nanoTime();
            JsonNode status = refreshViaAdmin();
            long refreshMillis = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("Key Vault rotation: POST /keyvault/refresh took %d ms (4 secrets read, 3 new, config reloaded)%n",
                    refreshMillis);
            assertThat(versionInService(status, "gateway-tls")).isEqualTo(v2);
            assertThat(versionInService(status, "backend-client")).isEqualTo(c2);
            assertThat(versionInService(status, "api-key")).isEqualTo(k2);
            Thread.sleep(300);
        } finally {
            run.set(false);
            loop.join();
            backendLoop.join();
            backendClient.close();
        }
        System.out.printf("Key Vault rotation: %d new-handshake requests and %d backend requests during the swap, %d failed%n",
                ok.get(), backendSubjects.size(), failures.size());
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(5);
        assertThat(serials).contains(world.gatewayServer.certificate().getSerialNumber(), serverV2.certificate().getSerialNumber());
        Probe next = handshake("/key");
        assertThat(next.leaf.getSerialNumber()).isEqualTo(serverV2.certificate().getSerialNumber());
        assertThat(next.body).isEqualTo("s3cr3t-v2");
        assertThat(handshake("/pinned").body).as("a pinned version stays").isEqualTo("s3cr3t-v1");
        // the backend now sees the new client certificate: the pooled connection made with the old one is not reused
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/backend/y", null);
        assertThat(r.body()).contains("CN=alt-gw,O=Contoso,C=US");
        assertThat(backendSubjects).contains("CN=gatehouse-gw,O=Contoso,C=US", "CN=alt-gw,O=Contoso,C=US");
        // once the new client certificate was in use, the old one never came back
        int firstNew = backendSubjects.indexOf("CN=alt-gw,O=Contoso,C=US");
        assertThat(backendSubjects.subList(firstNew, backendSubjects.size())).containsOnly("CN=alt-gw,O=Contoso,C=US");
    }

    @Test
    @Order(5)
    void theRefreshIntervalPutsANewVersionInServiceOnItsOwn() throws Exception {
        Files.writeString(configFile, config(1));
        watcher.reloadNow();
        Pki.Issued v3 = Pki.issue(world.gatewayCa, Pki.IssueRequest.server(TestWorld.API_HOST, TestWorld.API_HOST)
                .withValidity(Duration.ofDays(30)));
        vault.put("gateway-tls", pemPair(v3), "application/x-pem-file"); // and a PEM secret this time
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        BigInteger seen = null;
        while (System.nanoTime() < deadline) {
            seen = handshake().leaf.getSerialNumber();
            if (seen.equals(v3.certificate().getSerialNumber())) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(seen).isEqualTo(v3.certificate().getSerialNumber());
        Files.writeString(configFile, config(3600));
        watcher.reloadNow();
    }

    @Test
    @Order(6)
    void aDisabledLatestVersionFallsBackToTheNewestEnabledOne() throws Exception {
        String k3 = vault.put("api-key", "s3cr3t-v3", null);
        refreshViaAdmin();
        assertThat(handshake("/key").body).isEqualTo("s3cr3t-v3");
        vault.disable("api-key", k3);
        JsonNode status = refreshViaAdmin();
        assertThat(handshake("/key").body).isEqualTo("s3cr3t-v2");
        assertThat(item(status, "api-key").path("lastError").isNull()).isTrue();
    }

    @Test
    @Order(7)
    void aMissingRoleKeepsTheLastGoodCertificateAndSaysWhichIdentityVaultSecretAndRole() throws Exception {
        BigInteger serving = handshake().leaf.getSerialNumber();
        try (LogCapture logs = new LogCapture()) {
            vault.allowed.remove("system");
            vault.put("gateway-tls", pfx(world.gatewayServer), "application/x-pkcs12"); // a version it cannot read
            JsonNode status = refreshViaAdmin();
            String error = item(status, "gateway-tls").path("lastError").asText();
            assertThat(error).contains("403", "system-assigned managed identity", vault.vaultUrl(), "secret 'gateway-tls'",
                    "Key Vault Certificate User");
            assertThat(item(status, "backend-client").path("lastError").isNull()).isTrue(); // its identity still may
            assertThat(handshake().leaf.getSerialNumber()).isEqualTo(serving);
            assertThat(handshake("/key").status).isEqualTo(200);
            String line = logs.await(l -> l.contains("Key Vault refused"), Duration.ofSeconds(5));
            assertThat(line).contains("still serving version");
            // the same failure again is not logged again
            refreshViaAdmin();
            assertThat(logs.lines().stream().filter(l -> l.contains("Key Vault refused")
                    && l.contains("gateway-tls")).count()).isEqualTo(1);
            assertThat(String.join("\n", logs.lines())).doesNotContain("eyJ0eXAi").doesNotContain("s3cr3t");
            // the SDK's status in the public accessor, for an admin view
            KeyVaultStatus s = refresher.status().stream().filter(x -> x.id().equals("gateway-tls")).findFirst().orElseThrow();
            assertThat(s.lastError()).isEqualTo(error);
            assertThat(s.versionInService()).isNotNull();
            // and GET /certificates shows the same beside the certificate it keeps serving
            JsonNode certs = certificatesViaAdmin();
            JsonNode tls = entry(certs, "gateway-tls");
            assertThat(tls.path("source").asText()).isEqualTo("keyVault");
            assertThat(tls.path("location").asText()).startsWith(vault.vaultUrl()).contains("/secrets/gateway-tls");
            assertThat(tls.path("lastError").asText()).isEqualTo(error);
            assertThat(tls.path("version").asText()).isEqualTo(s.versionInService());
            assertThat(tls.path("thumbprint").asText()).isNotEmpty();
            JsonNode named = entry(certs, "api-key");
            assertThat(named.path("kind").asText()).isEqualTo("namedValue");
            // read with the same (system-assigned) identity: refused too, and its value keeps serving
            assertThat(named.path("lastError").asText()).contains("403", "secret 'api-key'");
            assertThat(named.path("version").asText()).isNotEmpty();
            assertThat(certs.toString()).doesNotContain("s3cr3t");
        } finally {
            vault.allowed.add("system");
        }
        JsonNode status = refreshViaAdmin();
        assertThat(item(status, "gateway-tls").path("lastError").isNull()).isTrue();
        assertThat(handshake().leaf.getSerialNumber()).isEqualTo(world.gatewayServer.certificate().getSerialNumber());
    }

    @Test
    @Order(8)
    void anUnreachableVaultKeepsTheLastGoodCertificateOnRefreshAndOnReload() throws Exception {
        BigInteger serving = handshake().leaf.getSerialNumber();
        vault.stopVault();
        try {
            JsonNode status = refreshViaAdmin();
            String error = item(status, "gateway-tls").path("lastError").asText();
            assertThat(error).contains("cannot reach the vault host " + FakeKeyVault.HOST, "connection refused");
            assertThat(handshake().leaf.getSerialNumber()).isEqualTo(serving);
            // a reload (SIGHUP) while the vault is down keeps the last good versions, with warnings
            ConfigResult r = watcher.reloadNow();
            assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
            assertThat(r.diagnostics().render()).contains("using the last version read", "cannot reach the vault host");
            assertThat(handshake().leaf.getSerialNumber()).isEqualTo(serving);
            assertThat(handshake("/key").body).isEqualTo("s3cr3t-v2");
        } finally {
            vault.restartVault();
        }
    }

    @Test
    @Order(9)
    void withNothingReadBeforeTheLoadFailsAtTheReference() throws Exception {
        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, config(3600).replace("/secrets/backend-client", "/secrets/no-such-secret"));
        ConfigResult r = ConfigLoader.load(bad, Map.of(), new KeyVaultSource());
        assertThat(r.config()).isNull();
        String rendered = r.diagnostics().render();
        int line = lineOf(bad, "/secrets/no-such-secret");
        assertThat(rendered).contains(bad + ":" + line + ":25: error: certificate 'backend-client': Key Vault has no "
                + "secret 'no-such-secret' in vault " + vault.vaultUrl() + " (404 SecretNotFound)");

        vault.allowed.remove(BACKEND_IDENTITY);
        try {
            r = ConfigLoader.load(configFile, Map.of(), new KeyVaultSource());
            assertThat(r.config()).isNull();
            assertThat(r.diagnostics().render()).contains(configFile + ":" + lineOf(configFile, "/secrets/backend-client")
                    + ":25: error: certificate 'backend-client': Key Vault refused the managed identity with client id "
                    + BACKEND_IDENTITY, "Key Vault Certificate User");
        } finally {
            vault.allowed.add(BACKEND_IDENTITY);
        }
    }

    @Test
    @Order(10)
    void aChallengeNamingAnotherResourceIsRefusedBeforeAnyTokenIsAsked() throws Exception {
        Pki.Issued rogueCert = Pki.issue(vaultCa, Pki.IssueRequest.server(FakeKeyVault.HOST, FakeKeyVault.HOST)
                .withValidity(Duration.ofDays(1)));
        try (FakeKeyVault rogue = new FakeKeyVault(rogueCert)) {
            rogue.challengeResource = "https://storage.azure.com"; // not the vault's: a token for it must not be sent
            rogue.put("gateway-tls", pfx(world.gatewayServer), "application/x-pkcs12");
            Path file = tmp.resolve("rogue.yaml");
            Files.writeString(file, config(3600).replace(vault.vaultUrl() + "/secrets/gateway-tls", rogue.vaultUrl()
                    + "/secrets/gateway-tls").replace(vault.imdsEndpoint(), rogue.imdsEndpoint()));
            ConfigResult r = ConfigLoader.load(file, Map.of(), new KeyVaultSource());
            assertThat(r.config()).isNull();
            assertThat(r.diagnostics().render()).contains("certificate 'gateway-tls': vault " + rogue.vaultUrl()
                    + " asked for a token for a resource that does not belong to its host");
            // the other references (on the real test vault) got their tokens; none was asked for the rogue's resource
            assertThat(rogue.tokenRequests).isNotEmpty().noneMatch(t -> t.contains("storage.azure.com"));
        }
    }

    @Test
    @Order(11)
    void theAppServiceTokenShapeOfGatewayManagedIdentityWorksToo() throws Exception {
        Path file = tmp.resolve("app-service.yaml");
        Files.writeString(file, config(3600).replace("""
                    style: imds
                    endpoint: %s
                """.formatted(vault.imdsEndpoint()), """
                    style: app-service
                    endpoint: %s
                    identityHeader: ${env:IDENTITY_HEADER}
                """.formatted(vault.appServiceEndpoint())));
        vault.tokenRequests.clear();
        ConfigResult r = ConfigLoader.load(file, Map.of("IDENTITY_HEADER", FakeKeyVault.IDENTITY_HEADER), new KeyVaultSource());
        assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
        assertThat(vault.tokenRequests).contains("app-service https://vault.azure.net system",
                "app-service https://vault.azure.net " + BACKEND_IDENTITY);
        // a wrong identity header is a token failure that says which endpoint refused, not the header
        ConfigResult bad = ConfigLoader.load(file, Map.of("IDENTITY_HEADER", "wrong-Hdr-S3cret"), new KeyVaultSource());
        assertThat(bad.config()).isNull();
        assertThat(bad.diagnostics().render()).contains("could not get a token for the system-assigned managed identity",
                "the managed identity endpoint " + vault.appServiceEndpoint() + " answered 401").doesNotContain("wrong-Hdr-S3cret");
    }

    // ---------------------------------------------------------------- helpers

    private static int lineOf(Path file, String text) throws Exception {
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text + " not in " + file);
    }

    private JsonNode refreshViaAdmin() throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/keyvault/refresh"))
                    .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        }
    }

    private JsonNode certificatesViaAdmin() throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/certificates"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        }
    }

    private static JsonNode entry(JsonNode certificates, String id) {
        for (JsonNode n : certificates.path("certificates")) {
            if (n.path("id").asText().equals(id)) {
                return n;
            }
        }
        throw new AssertionError("no entry " + id + " in " + certificates);
    }

    private static JsonNode item(JsonNode status, String id) {
        for (JsonNode n : status.path("items")) {
            if (n.path("id").asText().equals(id)) {
                return n;
            }
        }
        throw new AssertionError("no item " + id + " in " + status);
    }

    private static String versionInService(JsonNode status, String id) {
        return item(status, id).path("versionInService").asText();
    }

    record Probe(X509Certificate leaf, int status, String body) {
    }

    Probe handshake() {
        return handshake("/key");
    }

    /** A new TLS connection (a new handshake) to the gateway, one HTTP/1.1 request on it. */
    Probe handshake(String path) {
        try (SSLSocket s = (SSLSocket) clientTls.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(TestWorld.API_HOST)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.setSoTimeout(10_000);
            s.startHandshake();
            X509Certificate leaf = (X509Certificate) s.getSession().getPeerCertificates()[0];
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + TestWorld.API_HOST + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            String l;
            while ((l = in.readLine()) != null && !l.isEmpty()) {
                // headers
            }
            StringBuilder body = new StringBuilder();
            char[] buf = new char[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                body.append(buf, 0, n);
            }
            int status = statusLine == null ? 0 : Integer.parseInt(statusLine.split(" ")[1]);
            return new Probe(leaf, status, body.toString());
        } catch (Exception e) {
            throw new AssertionError("request to the gateway failed: " + e, e);
        }
    }

    static String pfx(Pki.Issued issued) {
        return Base64.getEncoder().encodeToString(Pki.pfx(new KeyMaterial(issued.keyPair().getPrivate(), issued.chain()),
                new char[0]));
    }

    static String pemPair(Pki.Issued issued) {
        return Pki.pem(issued.chain().toArray(new X509Certificate[0])) + Pki.pem(issued.keyPair().getPrivate());
    }
}
