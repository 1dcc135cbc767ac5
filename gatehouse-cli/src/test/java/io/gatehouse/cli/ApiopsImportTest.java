package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse import apiops} over the test export in {@code src/test/resources/apiops/contoso}
 * (its README says what it holds): the config written, the list of what was not carried over, and
 * a malformed artifact. The round trip through {@code validate} and a serving gateway is
 * {@link ApiopsImportRoundTripTest}.
 */
class ApiopsImportTest {
    static final YAMLMapper YAML = new YAMLMapper();

    @TempDir
    Path tmp;

    record Run(int exit, String err) {
    }

    static synchronized Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    /** A copy of the test export, so a test may change it. */
    static Path export(Path to) {
        try {
            Path from = Path.of(ApiopsImportTest.class.getResource("/apiops/contoso").toURI());
            try (Stream<Path> s = Files.walk(from)) {
                for (Path p : s.toList()) {
                    Path t = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(p, t);
                    }
                }
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The environment variables the report says to set. */
    static List<String> envVars(String report) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^  (APIM_[A-Z0-9_]+): ").matcher(report);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    static JsonNode byId(JsonNode list, String key, String id) {
        for (JsonNode n : list) {
            if (id.equals(n.path(key).asText())) {
                return n;
            }
        }
        throw new AssertionError("no entry with " + key + " " + id + " in " + list);
    }

    @Test
    void writesTheApisProductsSubscriptionsNamedValuesBackendsAndFragments() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path out = tmp.resolve("out/gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString(), "--port", "18080");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode c = YAML.readTree(out.toFile());
        Path dir = out.getParent();

        assertThat(c.at("/gateway/listeners/0/port").asInt()).isEqualTo(18080);
        assertThat(c.at("/gateway/listeners/0/tls").asBoolean(true)).isFalse();
        // createOrder's policy has <log-to-eventhub>: the config loads it as a no-op, and says so
        assertThat(c.at("/gateway/unsupportedPolicies").asText()).isEqualTo("skip");
        assertThat(c.at("/policies/global").asText()).isEqualTo("apim/policy.xml");
        assertThat(dir.resolve("apim/policy.xml")).hasSameTextualContentAs(in.resolve("policy.xml"));

        JsonNode nv = c.get("namedValues");
        assertThat(byId(nv, "name", "environment-name").get("value").asText()).isEqualTo("staging");
        JsonNode secret = byId(nv, "name", "backend-api-key");
        assertThat(secret.get("value").asText()).isEqualTo("${env:APIM_NAMED_VALUE_BACKEND_API_KEY}");
        assertThat(secret.get("secret").asBoolean()).isTrue();
        JsonNode kv = byId(nv, "name", "partner-token");
        assertThat(kv.at("/keyVault/secretIdentifier").asText()).isEqualTo("https://contoso-vault.vault.azure.net/secrets/partner-token");
        assertThat(kv.has("value")).isFalse();

        JsonNode fragment = byId(c.get("fragments"), "id", "correlation");
        assertThat(dir.resolve(fragment.get("file").asText()))
                .hasSameTextualContentAs(in.resolve("policy fragments/correlation/policy.xml"));

        assertThat(byId(c.get("backends"), "id", "orders-backend").get("url").asText()).isEqualTo("http://orders.contoso.internal");
        JsonNode partner = byId(c.get("backends"), "id", "partner-backend");
        assertThat(partner.get("url").asText()).isEqualTo("https://partner.contoso.example/api");
        assertThat(partner.at("/tls/validateCertificateChain").asBoolean(false)).isTrue();
        assertThat(partner.at("/credentials/certificateIds/0").asText()).isEqualTo("partner-client");
        JsonNode cert = byId(c.get("certificates"), "id", "partner-client");
        assertThat(cert.get("pfx").asText()).isEqualTo("${env:APIM_CERTIFICATE_PARTNER_CLIENT_PFX}");
        assertThat(cert.get("password").asText()).isEqualTo("${env:APIM_CERTIFICATE_PARTNER_CLIENT_PASSWORD}");

        JsonNode apis = c.get("apis");
        assertThat(apis).hasSize(2); // orders and status; the SOAP API is not carried
        JsonNode orders = byId(apis, "id", "orders");
        assertThat(orders.get("path").asText()).isEqualTo("orders");
        assertThat(orders.get("serviceUrl").asText()).isEqualTo("http://orders.contoso.internal");
        assertThat(orders.get("openApi").asText()).isEqualTo("apim/apis/orders/specification.yaml");
        assertThat(dir.resolve("apim/apis/orders/specification.yaml")).hasSameTextualContentAs(in.resolve("apis/orders/specification.yaml"));
        assertThat(orders.get("subscriptionRequired").asBoolean(false)).isTrue();
        assertThat(orders.at("/subscriptionKeyParameterNames/header").asText()).isEqualTo("X-Orders-Key");
        assertThat(orders.at("/subscriptionKeyParameterNames/query").asText()).isEqualTo("orders-key");
        assertThat(dir.resolve(orders.get("policy").asText())).hasSameTextualContentAs(in.resolve("apis/orders/policy.xml"));
        List<String> ops = new ArrayList<>();
        orders.get("operations").forEach(o -> ops.add(o.get("id").asText()));
        assertThat(ops).containsExactly("createOrder", "getOrder");
        JsonNode getOrder = byId(orders.get("operations"), "id", "getOrder");
        assertThat(getOrder.has("method")).as("the specification defines the method").isFalse();
        assertThat(dir.resolve(getOrder.get("policy").asText()))
                .hasSameTextualContentAs(in.resolve("apis/orders/operations/getOrder/policy.xml"));
        JsonNode status = byId(apis, "id", "status");
        assertThat(status.get("path").asText()).isEqualTo("status");
        assertThat(status.get("backendId").asText()).as("no serviceUrl: the backend its policy sets").isEqualTo("orders-backend");
        assertThat(status.get("subscriptionRequired").asBoolean(true)).isFalse();

        JsonNode product = byId(c.get("products"), "id", "partners");
        assertThat(product.get("name").asText()).isEqualTo("Partners");
        assertThat(product.get("description").asText()).isEqualTo("APIs for partner companies.");
        assertThat(product.get("apis")).hasSize(1);
        assertThat(product.at("/apis/0").asText()).isEqualTo("orders");
        assertThat(product.get("subscriptionRequired").asBoolean(false)).isTrue();
        assertThat(product.get("approvalRequired").asBoolean(false)).isTrue();
        assertThat(product.get("state").asText()).isEqualTo("published");
        assertThat(dir.resolve(product.get("policy").asText())).hasSameTextualContentAs(in.resolve("products/partners/policy.xml"));

        JsonNode sub = byId(c.get("subscriptions"), "id", "partner-acme");
        assertThat(sub.get("name").asText()).isEqualTo("Acme Corp");
        assertThat(sub.get("scope").asText()).isEqualTo("/products/partners");
        assertThat(sub.get("primaryKey").asText()).isEqualTo("${env:APIM_SUBSCRIPTION_PARTNER_ACME_PRIMARY_KEY}");
        assertThat(sub.get("secondaryKey").asText()).isEqualTo("${env:APIM_SUBSCRIPTION_PARTNER_ACME_SECONDARY_KEY}");
        assertThat(sub.get("state").asText()).isEqualTo("active");
        assertThat(sub.get("allowTracing").asBoolean(true)).isFalse();
        assertThat(sub.at("/owner/id").asText()).isEqualTo("acme-admin");

        assertThat(envVars(r.err())).containsExactlyInAnyOrder("APIM_NAMED_VALUE_BACKEND_API_KEY",
                "APIM_CERTIFICATE_PARTNER_CLIENT_PFX", "APIM_CERTIFICATE_PARTNER_CLIENT_PASSWORD",
                "APIM_SUBSCRIPTION_PARTNER_ACME_PRIMARY_KEY", "APIM_SUBSCRIPTION_PARTNER_ACME_SECONDARY_KEY");
    }

    @Test
    void listsEverythingItDidNotCarryOverOnStandardErrorAndAtTheTopOfTheConfig() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path out = tmp.resolve("gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        String err = r.err();
        assertThat(err).contains("gatehouse import: wrote " + out)
                .contains("2 APIs").contains("1 products").contains("1 subscriptions").contains("3 named values");
        String sep = java.io.File.separator;
        // each thing the export holds that Gatehouse does not take, with its file and why
        assertThat(err).containsPattern("apis" + Pattern.quote(sep) + "legacy-soap: API 'legacy-soap' is of type soap \\(SOAP/WSDL\\)")
                .contains("loggers" + sep + "appinsights" + sep + "loggerInformation.json: loggers")
                .contains("apis" + sep + "orders" + sep + "diagnostics" + sep + "applicationinsights" + sep
                        + "diagnosticInformation.json: diagnostics settings")
                .contains("apis" + sep + "orders" + sep + "operations" + sep + "createOrder" + sep
                        + "policy.xml: <log-to-eventhub> needs an Azure service")
                .contains("backend 'partner-backend': credentials.header (x-partner-key)")
                .contains("product 'partners': subscriptionsLimit (1)")
                .contains("product 'partners': terms")
                .contains("named value 'partner-token' is a Key Vault reference")
                .contains("named value 'environment-name': tags");
        // secrets and header values never appear
        assertThat(err).doesNotContain("{{backend-api-key}}");
        // the same lines head the config, as comments
        String config = Files.readString(out);
        String head = config.substring(0, config.indexOf("\ngateway:"));
        List<String> reported = err.lines().skip(1).toList();
        assertThat(reported).hasSizeGreaterThan(10);
        for (String line : reported) {
            assertThat(head).contains("# " + line + "\n");
        }
        assertThat(head.lines()).allMatch(l -> l.isEmpty() || l.startsWith("#"));
    }

    @Test
    void aMalformedArtifactIsAnErrorNamingTheFileLineAndColumn() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path bad = in.resolve("apis/orders/apiInformation.json");
        Files.writeString(bad, """
                {
                  "properties": {
                    "path": "orders",
                    "serviceUrl" "http://orders.contoso.internal"
                  }
                }
                """);
        Path out = tmp.resolve("out/gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("gatehouse import: " + bad + ":4:")
                .contains("not valid JSON").contains("expecting a colon");
        assertThat(out).doesNotExist();
        assertThat(tmp.resolve("out/apim")).as("nothing half-written is left").doesNotExist();

        // a field of the wrong type names the file and the field
        Files.writeString(bad, "{\"properties\": {\"path\": [\"orders\"]}}");
        r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("apiInformation.json: \"path\" should be a string, not array");
    }

    @Test
    void refusesToOverwriteUnlessForcedAndRefusesAFolderThatIsNotAnExport() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path out = tmp.resolve("gatehouse.yaml");
        Files.writeString(out, "mine\n");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(out + " exists; use --force");
        assertThat(out).hasContent("mine");
        r = run("import", "apiops", in.toString(), "-o", out.toString(), "--force");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(out)).contains("apis:");

        r = run("import", "apiops", tmp.resolve("nowhere").toString(), "-o", tmp.resolve("x.yaml").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("nowhere: not a folder");
    }

    @Test
    void literalValuesAreNotReadAsSubstitutionsAndQuotesSurvive() throws Exception {
        Path in = export(tmp.resolve("export"));
        ObjectNode nv = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                in.resolve("named values/environment-name/namedValueInformation.json").toFile());
        ((ObjectNode) nv.get("properties")).put("value", "a \"quoted\" ${env:HOME} \\ value\nline two");
        Files.writeString(in.resolve("named values/environment-name/namedValueInformation.json"), nv.toString());
        Path out = tmp.resolve("gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode c = YAML.readTree(out.toFile());
        assertThat(byId(c.get("namedValues"), "name", "environment-name").get("value").asText())
                .isEqualTo("a \"quoted\" $${env:HOME} \\ value\nline two");
    }

    @Test
    void scopesAreWrittenAsApimWritesThem() {
        assertThat(ApiopsImporter.scope("/products/starter")).isEqualTo("/products/starter");
        assertThat(ApiopsImporter.scope("/apis/echo-api")).isEqualTo("/apis/echo-api");
        assertThat(ApiopsImporter.scope("/apis")).isEqualTo("/apis");
        assertThat(ApiopsImporter.scope("/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso/products/gold"))
                .isEqualTo("/products/gold");
        assertThat(ApiopsImporter.scope("/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/contoso"))
                .isEqualTo("/apis");
        assertThat(ApiopsImporter.scope("/users/bob")).isNull();
        assertThat(ApiopsImporter.env("APIM_SUBSCRIPTION_" + "partner-acme.v2" + "_PRIMARY_KEY"))
                .isEqualTo("APIM_SUBSCRIPTION_PARTNER_ACME_V2_PRIMARY_KEY");
    }

    @Test
    void anApiWithoutAServiceUrlGetsOneToFillInNotTheSpecificationsServerWhichIsApimItself() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path info = in.resolve("apis/orders/apiInformation.json");
        ObjectNode api = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(info.toFile());
        ((ObjectNode) api.get("properties")).remove("serviceUrl");
        Files.writeString(info, api.toString());
        Path out = tmp.resolve("gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode orders = byId(YAML.readTree(out.toFile()).get("apis"), "id", "orders");
        assertThat(orders.get("serviceUrl").asText()).isEqualTo("${env:APIM_API_ORDERS_SERVICE_URL}");
        assertThat(envVars(r.err())).contains("APIM_API_ORDERS_SERVICE_URL");
        assertThat(r.err()).doesNotContain("apim-contoso.azure-api.net");
    }

    @Test
    void aBackendsCertificateThumbprintsBecomeCertificatesToFillInNamedAfterTheBackend() throws Exception {
        Path in = export(tmp.resolve("export"));
        Path info = in.resolve("backends/partner-backend/backendInformation.json");
        Files.writeString(info, """
                {"properties": {"url": "https://partner.contoso.example/api", "protocol": "http",
                  "credentials": {"certificate": ["0123456789ABCDEF0123456789ABCDEF01234567"]}}}
                """);
        Path out = tmp.resolve("gatehouse.yaml");
        Run r = run("import", "apiops", in.toString(), "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode c = YAML.readTree(out.toFile());
        assertThat(byId(c.get("backends"), "id", "partner-backend").at("/credentials/certificateIds/0").asText())
                .isEqualTo("partner-backend-client-1");
        assertThat(byId(c.get("certificates"), "id", "partner-backend-client-1").get("pfx").asText())
                .isEqualTo("${env:APIM_CERTIFICATE_PARTNER_BACKEND_CLIENT_1_PFX}");
        assertThat(Files.readString(out)).contains("# APIM's thumbprint: 0123456789ABCDEF0123456789ABCDEF01234567");
        assertThat(r.err()).contains("APIM_CERTIFICATE_PARTNER_BACKEND_CLIENT_1_PFX: path of the PFX file of certificate"
                + " 'partner-backend-client-1' (backend 'partner-backend', thumbprint 0123456789ABCDEF0123456789ABCDEF01234567)");
    }
}
