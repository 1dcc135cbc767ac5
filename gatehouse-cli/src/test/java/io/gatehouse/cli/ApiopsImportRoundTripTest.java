package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.proxy.FakeKeyVault;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.RecordingBackend;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round trip: the test export ({@code src/test/resources/apiops/contoso}) imported with
 * {@code gatehouse import apiops}, then {@code gatehouse validate} and {@code gatehouse run} on the
 * written config, unchanged, in their own JVMs as a user runs them, with the environment
 * variables the import listed set. What differs from a real service is only where things are:
 * the export's service and backend URLs point at the tests' recording backend, its Key Vault named
 * value at the tests' vault ({@link FakeKeyVault}, whose CA the JVMs trust through
 * {@code javax.net.ssl.trustStore}, as a real machine trusts Azure's), and the gateway's managed
 * identity is the vault's App Service token endpoint.
 */
class ApiopsImportRoundTripTest {
    private static final String PRIMARY = "acme-primary-key-0123456789abcdef";
    private static final String SECONDARY = "acme-secondary-key-fedcba9876543210";
    private static final String PARTNER_TOKEN = "partner-token-from-the-vault";

    @TempDir
    Path tmp;

    RecordingBackend backend;
    FakeKeyVault vault;
    List<String> jvm;

    @BeforeEach
    void start() throws Exception {
        backend = new RecordingBackend();
        Duration year = Duration.ofDays(365);
        Pki.Issued vaultCa = Pki.ca("CN=Test Vault CA", year);
        vault = new FakeKeyVault(Pki.issue(vaultCa, Pki.IssueRequest.server(FakeKeyVault.HOST, FakeKeyVault.HOST)
                .withValidity(year)));
        vault.put("partner-token", PARTNER_TOKEN, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("vault-ca", vaultCa.certificate());
        Path trustFile = tmp.resolve("trust.p12");
        try (OutputStream out = Files.newOutputStream(trustFile)) {
            trust.store(out, "changeit".toCharArray());
        }
        Path hosts = tmp.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost " + FakeKeyVault.HOST + "\n");
        jvm = List.of("-Djdk.net.hosts.file=" + hosts, "-Djavax.net.ssl.trustStore=" + trustFile,
                "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12");
    }

    @AfterEach
    void stop() throws Exception {
        backend.close();
        vault.close();
    }

    /** Points a JSON property of an artifact at this run's servers. */
    private static void set(Path file, String pointer, String field, String value) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = (ObjectNode) m.readTree(file.toFile());
        ((ObjectNode) root.at(pointer)).put(field, value);
        Files.writeString(file, m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    @Test
    void theImportedConfigValidatesAndServesRequestsThroughTheImportedApis() throws Exception {
        Path in = ApiopsImportTest.export(tmp.resolve("export"));
        set(in.resolve("apis/orders/apiInformation.json"), "/properties", "serviceUrl", backend.url() + "/svc");
        set(in.resolve("backends/orders-backend/backendInformation.json"), "/properties", "url", backend.url() + "/status-svc");
        set(in.resolve("named values/partner-token/namedValueInformation.json"), "/properties/keyVault", "secretIdentifier",
                vault.vaultUrl() + "/secrets/partner-token");

        int port = Ports.free();
        Path out = tmp.resolve("config/gatehouse.yaml");
        ApiopsImportTest.Run imported = ApiopsImportTest.run("import", "apiops", in.toString(), "-o", out.toString(),
                "--port", String.valueOf(port));
        assertThat(imported.exit()).as(imported.err()).isZero();

        // the partner backend's client certificate, as the user would export it from APIM's certificates
        Pki.Issued ca = Pki.ca("CN=Partner CA", Duration.ofDays(365));
        Pki.Issued client = Pki.issue(ca, Pki.IssueRequest.client("CN=contoso-gateway").withValidity(Duration.ofDays(365)));
        Path pfx = tmp.resolve("partner-client.pfx");
        Files.write(pfx, Pki.pfx(new KeyMaterial(client.keyPair().getPrivate(), client.chain()), "pfx-pass".toCharArray()));

        Map<String, String> values = Map.of(
                "APIM_NAMED_VALUE_BACKEND_API_KEY", "backend-api-key-value",
                "APIM_CERTIFICATE_PARTNER_CLIENT_PFX", pfx.toString(),
                "APIM_CERTIFICATE_PARTNER_CLIENT_PASSWORD", "pfx-pass",
                "APIM_SUBSCRIPTION_PARTNER_ACME_PRIMARY_KEY", PRIMARY,
                "APIM_SUBSCRIPTION_PARTNER_ACME_SECONDARY_KEY", SECONDARY);
        // exactly the variables the import said to set
        assertThat(ApiopsImportTest.envVars(imported.err())).containsExactlyInAnyOrderElementsOf(values.keySet());
        Map<String, String> env = new HashMap<>(values);
        env.put("IDENTITY_ENDPOINT", vault.appServiceEndpoint());
        env.put("IDENTITY_HEADER", FakeKeyVault.IDENTITY_HEADER);

        try (GatewayProcess v = new GatewayProcess(out.getParent(), jvm, env, "validate", "-c", "gatehouse.yaml")) {
            assertThat(v.process.waitFor(90, TimeUnit.SECONDS)).isTrue();
            String output = v.output();
            assertThat(v.process.exitValue()).as(output).isZero();
            assertThat(output).contains("gatehouse.yaml: OK")
                    .contains("log-to-eventhub") // the skipped Azure-only policy is named in a warning
                    .doesNotContain(PRIMARY).doesNotContain(PARTNER_TOKEN).doesNotContain("pfx-pass");
        }

        try (GatewayProcess gw = new GatewayProcess(out.getParent(), jvm, env, "run", "-c", "gatehouse.yaml", "--no-watch")) {
            gw.awaitPort(port);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + port;

            // an OpenAPI operation with its operation policy, through the product (subscription key
            // in the API's own header name) and the global policy with its fragment
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/orders/42"))
                    .header("X-Orders-Key", PRIMARY).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as(ok.body() + "\n" + gw.output()).isEqualTo(200);
            assertThat(ok.body()).isEqualTo("seen /svc/42");
            RecordingBackend.Request seen = backend.requestsTo("/svc/42").get(0);
            assertThat(seen.header("X-Environment")).isEqualTo("staging");       // global policy, named value
            assertThat(seen.header("X-Correlation-Id")).isNotBlank();             // the fragment
            assertThat(seen.header("X-Product")).isEqualTo("Partners");           // product policy
            assertThat(seen.header("X-Partner-Token")).isEqualTo(PARTNER_TOKEN);  // Key Vault named value
            assertThat(seen.header("X-Api")).isEqualTo("orders");                 // API policy
            assertThat(seen.header("X-Operation")).isEqualTo("getOrder");         // operation policy

            // the secondary key in the API's own query parameter name; createOrder's Azure-only policy is skipped
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/orders/7?orders-key=" + SECONDARY))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).as(post.body()).isEqualTo(200);
            assertThat(backend.requestsTo("/svc/7")).hasSize(1);

            // subscriptionRequired came over: no key, no call
            HttpResponse<String> noKey = http.send(HttpRequest.newBuilder(URI.create(base + "/orders/42"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(noKey.statusCode()).isEqualTo(401);
            assertThat(noKey.body()).contains("Access denied due to missing subscription key");

            // an operation the specification does not declare is not routed
            HttpResponse<String> undeclared = http.send(HttpRequest.newBuilder(URI.create(base + "/orders/42"))
                    .DELETE().header("X-Orders-Key", PRIMARY).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(undeclared.statusCode()).isEqualTo(404);

            // the API without a service URL reaches the backend its policy sets, with no key
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(base + "/status/health"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
            assertThat(status.body()).isEqualTo("seen /status-svc/health");
        }
    }

    @Test
    void theConfigImportedFromAnArmTemplateLoadsWithTheListedVariablesSet() throws Exception {
        Path template = tmp.resolve("template.json");
        Files.copy(Path.of(ApiopsImportRoundTripTest.class.getResource("/arm/contoso-template.json").toURI()), template);
        Path out = tmp.resolve("arm/gatehouse.yaml");
        ApiopsImportTest.Run imported = ApiopsImportTest.run("import", "arm", template.toString(), "-o", out.toString());
        assertThat(imported.exit()).as(imported.err()).isZero();
        Map<String, String> env = new HashMap<>();
        for (String name : ApiopsImportTest.envVars(imported.err())) {
            env.put(name, "value-of-" + name.toLowerCase(java.util.Locale.ROOT) + "-0123456789");
        }
        assertThat(env).containsOnlyKeys("APIM_NAMED_VALUE_BACKEND_API_KEY", "APIM_SUBSCRIPTION_ACME_PRIMARY_KEY",
                "APIM_SUBSCRIPTION_ACME_SECONDARY_KEY");
        io.gatehouse.config.ConfigResult loaded = io.gatehouse.config.ConfigLoader.load(out, env);
        assertThat(loaded.diagnostics().hasErrors()).as(loaded.diagnostics().render()).isFalse();
        // the template's operations are the API's: only they are routed
        assertThat(loaded.config().model().apis().get(0).operations()).extracting(o -> o.id() + " " + o.method() + " " + o.urlTemplate())
                .containsExactly("get-order GET /{orderId}", "list-orders GET /");
        // and without the variables the load says which one is missing
        io.gatehouse.config.ConfigResult unset = io.gatehouse.config.ConfigLoader.load(out, Map.of());
        assertThat(unset.diagnostics().render()).contains("APIM_SUBSCRIPTION_ACME_PRIMARY_KEY");
    }
}
