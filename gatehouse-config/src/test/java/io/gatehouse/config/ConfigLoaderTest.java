package io.gatehouse.config;

import io.gatehouse.common.SourceText;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.GatewaySettings;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.config.model.ListenerConfig;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.config.model.PolicyRef;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.RevocationMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String MINIMAL = """
            gateway:
              listeners:
                - port: 8443
            hostnames:
              - hostName: api.contoso.local
                certificateId: gateway-tls
            certificates:
              - id: gateway-tls
                certificateFile: certs/gateway.pem
                keyFile: certs/gateway.key
            apis:
              - id: patients
                path: patients
                serviceUrl: https://backend.local:9443
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        return file;
    }

    private ConfigResult loadGood() throws IOException {
        copy(Path.of("src/test/resources/good"), dir);
        TestPki.writeAll(dir.resolve("certs"));
        return ConfigLoader.load(dir.resolve("config.yaml"), Map.of("PFX_PASSWORD", TestPki.PFX_PASSWORD));
    }

    @Test
    void aFailureInsideTheLoadBecomesADiagnosticNamingTheConfigFile() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        Path config = write("config.yaml", MINIMAL.replace("https://backend.local:9443", "https://${env:BACKEND_HOST}:9443"));
        Map<String, String> overflowing = new java.util.AbstractMap<>() {
            @Override
            public java.util.Set<Entry<String, String>> entrySet() {
                throw new StackOverflowError();
            }

            @Override
            public String get(Object key) {
                throw new StackOverflowError();
            }
        };

        ConfigResult result = ConfigLoader.load(config, overflowing);

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().all()).extracting(Diagnostic::toString).containsExactly(config
                + ": error: internal error while loading " + config + ": StackOverflowError (the document nests or chains too deeply"
                + " for the reader); the document was not loaded (please report this)");
        assertThat(result.watchedFiles()).contains(config.toAbsolutePath().normalize());
    }

    @Test
    void loadsAConfigUsingEveryFeatureWithNoDiagnostics() throws IOException {
        ConfigResult result = loadGood();

        assertThat(result.diagnostics().render()).isEmpty();
        assertThat(result.ok()).isTrue();
        LoadedConfig loaded = result.config();
        GatehouseConfig model = loaded.model();

        assertThat(loaded.keyPairs()).containsOnlyKeys("gateway-tls", "backend-client-cert");
        assertThat(loaded.keyPairs().get("gateway-tls").chain())
                .containsExactlyElementsOf(TestPki.gateway().chain());
        assertThat(loaded.keyPairs().get("gateway-tls").key()).isEqualTo(TestPki.gateway().keyPair().getPrivate());
        assertThat(loaded.keyPairs().get("backend-client-cert").chain().get(0)).isEqualTo(TestPki.client().certificate());
        assertThat(loaded.certificates()).containsOnlyKeys("gateway-tls", "backend-client-cert", "partner-public");
        assertThat(loaded.certificates().get("partner-public")).containsExactly(TestPki.client().certificate());
        assertThat(loaded.caCertificates()).containsOnlyKeys("client-ca-root", "client-ca-issuing", "backend-ca");
        assertThat(loaded.caCertificates().get("backend-ca")).isEqualTo(TestPki.backendCa().certificate());
        assertThat(loaded.caStore().roots())
                .containsExactlyInAnyOrder(TestPki.ca().certificate(), TestPki.backendCa().certificate());
        assertThat(loaded.caStore().intermediates()).containsExactly(TestPki.gateway().chain().get(1));
        assertThat(loaded.caStore().crls()).hasSize(1);
        assertThat(loaded.revocation()).isEqualTo(RevocationMode.HARD_FAIL);
        assertThat(loaded.namedValues()).containsEntry("trusted-thumbprint", "6DE32981A82952C6D95E4AA16EAB42A199C1A8E6")
                .containsEntry("api-key", "k3y-from-file");
        assertThat(loaded.fragments()).containsOnlyKeys("verify-client");
        assertThat(loaded.fragments().get("verify-client").text()).contains("<validate-client-certificate");

        GatewaySettings gateway = model.gateway();
        assertThat(gateway.listeners()).extracting(ListenerConfig::port, ListenerConfig::tls, ListenerConfig::bind)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(8443, true, "0.0.0.0"),
                        org.assertj.core.groups.Tuple.tuple(8080, false, "127.0.0.1"));
        assertThat(gateway.minimumProtocolVersion()).isEqualTo("1.3");
        assertThat(gateway.admin().port()).isEqualTo(9100);
        assertThat(gateway.admin().bind()).isEqualTo("127.0.0.1");
        assertThat(gateway.drainTimeout()).isEqualTo(Duration.ofMillis(12_500));

        assertThat(model.hostnames()).extracting(HostnameConfig::hostName, HostnameConfig::clientCertificateMode,
                HostnameConfig::defaultSslBinding).containsExactly(
                org.assertj.core.groups.Tuple.tuple("api.contoso.local", ClientCertificateMode.REQUEST, true),
                org.assertj.core.groups.Tuple.tuple("strict.contoso.local", ClientCertificateMode.REQUIRE_AND_VERIFY, false));

        BackendConfig patients = model.backend("patients-backend").orElseThrow();
        assertThat(patients.url()).hasToString("https://backend.local:9443/fhir");
        assertThat(patients.tls().serverName()).isEqualTo("backend.internal");
        assertThat(patients.tls().validateCertificateChain()).isTrue();
        assertThat(patients.tls().trustedCaCertificateIds()).containsExactly("backend-ca");
        assertThat(patients.certificateIds()).containsExactly("backend-client-cert");
        assertThat(patients.timeout()).isEqualTo(Duration.ofSeconds(20));
        BackendConfig labs = model.backend("labs-backend").orElseThrow();
        assertThat(labs.timeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(labs.tls()).isEqualTo(BackendConfig.BackendTls.defaults());
        assertThat(labs.tls().revocation()).isNull(); // follows gateway.revocation.mode

        assertThat(model.hostnames()).allSatisfy(h -> assertThat(h.trustedCaCertificateIds())
                .containsExactly("client-ca-root"));

        ApiConfig api = model.apis().get(0);
        assertThat(api.path()).isEqualTo("patients");
        assertThat(api.hostnames()).containsExactly("strict.contoso.local");
        assertThat(api.clientCertificateRequired()).isTrue();
        assertThat(api.policy().file()).isEqualTo(dir.resolve("policies/patients.xml"));
        assertThat(api.operations()).extracting(OperationConfig::id, OperationConfig::method, OperationConfig::urlTemplate)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("get-patient", "GET", "/{id}"),
                        org.assertj.core.groups.Tuple.tuple("files", "*", "/files/*"));
        PolicyRef inline = api.operations().get(0).policy();
        assertThat(inline.inlineXml()).startsWith("<policies><inbound><base /></inbound></policies>");
        assertThat(inline.position().line()).isEqualTo(78);
        assertThat(model.apis().get(1).path()).isEmpty();
        assertThat(model.apis().get(1).hostnames()).isEmpty();
        assertThat(model.apis().get(1).serviceUrl()).hasToString("http://labs.local:8081/v1");

        assertThat(loaded.policySources()).containsKeys(model.globalPolicy(), api.policy(), inline);
        assertThat(loaded.policySources().get(model.globalPolicy()).name()).endsWith("policies/global.xml");
        // inline XML is placed at its own lines in a text named after the config, so diagnostics point into the config
        SourceText inlineText = loaded.policySources().get(inline);
        assertThat(inlineText.text().strip()).isEqualTo(inline.inlineXml().strip());
        assertThat(inlineText.line(79).strip()).isEqualTo("<policies><inbound><base /></inbound></policies>");

        assertThat(result.watchedFiles()).contains(dir.resolve("config.yaml"), dir.resolve("certs/gateway.pem"),
                dir.resolve("certs/gateway.key"), dir.resolve("certs/client.pfx"), dir.resolve("certs/ca.crl"),
                dir.resolve("certs/backend-ca.pem"), dir.resolve("secrets/api-key.txt"),
                dir.resolve("policies/global.xml"), dir.resolve("policies/patients.xml"),
                dir.resolve("policies/verify-client.xml"));
    }

    @Test
    void appliesTheDocumentedDefaults() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml", MINIMAL + """
                backends:
                  - id: b
                    url: https://backend.local
                """), Map.of());

        assertThat(result.diagnostics().all()).isEmpty();
        GatehouseConfig model = result.config().model();
        ListenerConfig listener = model.gateway().listeners().get(0);
        assertThat(listener.tls()).isTrue();
        assertThat(listener.bind()).isEqualTo("0.0.0.0");
        assertThat(model.gateway().minimumProtocolVersion()).isEqualTo("1.2");
        assertThat(model.gateway().revocationMode()).isEqualTo(GatewaySettings.RevocationMode.SOFT_FAIL);
        assertThat(result.config().revocation()).isEqualTo(RevocationMode.SOFT_FAIL);
        assertThat(model.gateway().admin()).isNull();
        assertThat(model.gateway().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(model.hostnames().get(0).clientCertificateMode()).isEqualTo(ClientCertificateMode.NONE);
        assertThat(model.hostnames().get(0).defaultSslBinding()).isFalse();
        BackendConfig b = model.backend("b").orElseThrow();
        assertThat(b.tls().validateCertificateChain()).isTrue();
        assertThat(b.tls().validateCertificateName()).isTrue();
        assertThat(b.tls().serverName()).isNull();
        assertThat(b.tls().trustedCaCertificateIds()).isEmpty();
        assertThat(b.certificateIds()).isEmpty();
        assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(model.globalPolicy()).isNull();
        assertThat(model.apis().get(0).operations()).isEmpty();
        assertThat(result.config().caStore().roots()).isEmpty();
    }

    @Test
    void adminWithoutBindListensOnLoopback() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml",
                MINIMAL.replace("gateway:\n", "gateway:\n  admin:\n    port: 9100\n")), Map.of());

        assertThat(result.diagnostics().all()).isEmpty();
        assertThat(result.config().model().gateway().admin().bind()).isEqualTo("127.0.0.1");
    }

    @Test
    void listenersMayShareAPortOnDifferentAddressesButNotOnTheWildcard() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        String listeners = """
                    - port: 8080
                      tls: false
                      bind: 127.0.0.1
                    - port: 8080
                      tls: false
                      bind: 10.0.0.5
                """;
        ConfigResult distinct = ConfigLoader.load(write("a.yaml",
                MINIMAL.replace("    - port: 8443\n", "    - port: 8443\n" + listeners)), Map.of());
        ConfigResult clash = ConfigLoader.load(write("b.yaml",
                MINIMAL.replace("    - port: 8443\n", "    - port: 8443\n" + listeners.replace("10.0.0.5", "0.0.0.0"))),
                Map.of());

        assertThat(distinct.diagnostics().all()).isEmpty();
        assertThat(clash.diagnostics().all()).extracting(Diagnostic::headline)
                .containsExactly(dir.resolve("b.yaml") + ":7:13: error: port 8080 is used by two listeners (first at line 4)");
    }

    @Test
    void anEmptyListOfListenersIsAnError() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml",
                MINIMAL.replace("  listeners:\n    - port: 8443\n", "  listeners: []\n")), Map.of());

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().all()).extracting(Diagnostic::message).containsExactly(
                "missing required key 'listeners' in gateway (expected at least one listener, for example '- port: 8443')");
    }

    @Test
    void acceptsYamlAnchorsAndMergeKeys() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml", MINIMAL + """
                backends:
                  - &base
                    id: a
                    url: https://a.local
                    timeout: 42
                  - <<: *base
                    id: b
                """), Map.of());

        assertThat(result.diagnostics().all()).isEmpty();
        assertThat(result.config().model().backend("b").orElseThrow().timeout()).isEqualTo(Duration.ofSeconds(42));
        assertThat(result.config().model().backend("b").orElseThrow().url()).hasToString("https://a.local");
    }

    @Test
    void substitutesEnvironmentAndFileReferencesAnywhereInAValue() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        write("secrets/host.txt", "backend.internal\r\n\n");
        ConfigResult result = ConfigLoader.load(write("config.yaml", MINIMAL
                .replace("https://backend.local:9443", "https://${file:secrets/host.txt}:${env:BACKEND_PORT}/base")
                + """
                namedValues:
                  - name: literal
                    value: price is $${not-a-reference}
                """), Map.of("BACKEND_PORT", "9555"));

        assertThat(result.diagnostics().all()).isEmpty();
        assertThat(result.config().model().apis().get(0).serviceUrl()).hasToString("https://backend.internal:9555/base");
        assertThat(result.config().namedValues()).containsEntry("literal", "price is ${not-a-reference}");
        assertThat(result.watchedFiles()).contains(dir.resolve("secrets/host.txt"));
    }

    @Test
    void pointsAtTheMissingVariableInsideTheValue() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml", MINIMAL
                .replace("https://backend.local:9443", "https://${env:HOST}:${env:PORT}")), Map.of("HOST", "h"));

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().all()).singleElement().satisfies(d -> {
            assertThat(d.message()).isEqualTo("environment variable 'PORT' is not set");
            assertThat(d.line()).isEqualTo(14);
            assertThat(d.column()).isEqualTo("    serviceUrl: https://${env:HOST}:".length() + 1);
        });
    }

    @Test
    void readsJsonWithTheSameMeaningAsYaml() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult yaml = ConfigLoader.load(write("config.yaml", MINIMAL), Map.of());
        ConfigResult json = ConfigLoader.load(write("config.json", """
                {"gateway": {"listeners": [{"port": 8443}]},
                 "hostnames": [{"hostName": "api.contoso.local", "certificateId": "gateway-tls"}],
                 "certificates": [{"id": "gateway-tls", "certificateFile": "certs/gateway.pem",
                                   "keyFile": "certs/gateway.key"}],
                 "apis": [{"id": "patients", "path": "patients", "serviceUrl": "https://backend.local:9443"}]}
                """), Map.of());

        assertThat(json.diagnostics().all()).isEmpty();
        GatehouseConfig a = yaml.config().model();
        GatehouseConfig b = json.config().model();
        assertThat(b.gateway().listeners()).extracting(ListenerConfig::port).containsExactly(8443);
        assertThat(b.hostnames()).extracting(HostnameConfig::hostName, HostnameConfig::certificateId)
                .containsExactlyElementsOf(a.hostnames().stream()
                        .map(h -> org.assertj.core.groups.Tuple.tuple(h.hostName(), h.certificateId())).toList());
        assertThat(b.apis().get(0).serviceUrl()).isEqualTo(a.apis().get(0).serviceUrl());
        assertThat(json.config().keyPairs()).containsOnlyKeys("gateway-tls");
    }

    @Test
    void namesFilesAsTheUserDidWhenThePathIsRelative() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        write("config.yaml", MINIMAL.replace("certs/gateway.key", "certs/nope.key"));
        Path relative = Path.of("").toAbsolutePath().relativize(dir.resolve("config.yaml"));

        ConfigResult result = ConfigLoader.load(relative, Map.of());

        assertThat(relative.isAbsolute()).isFalse();
        Diagnostic d = result.diagnostics().all().get(0);
        assertThat(d.file()).isEqualTo(relative.toString());
        assertThat(d.message()).isEqualTo("file not found: " + relative.resolveSibling("certs/nope.key"));
        assertThat(result.diagnostics().render()).startsWith(relative + ":10:14: error: file not found: ");
    }

    @Test
    void reportsAMissingConfigFileByName() {
        ConfigResult result = ConfigLoader.load(dir.resolve("nope.yaml"), Map.of());

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().render()).isEqualTo(dir.resolve("nope.yaml") + ": error: file not found: "
                + dir.resolve("nope.yaml") + "\n");
        assertThat(result.watchedFiles()).containsExactly(dir.resolve("nope.yaml"));
    }

    @Test
    void reportsAnEmptyConfigFile() throws IOException {
        ConfigResult result = ConfigLoader.load(write("config.yaml", "# nothing yet\n"), Map.of());

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().all()).extracting(Diagnostic::message)
                .containsExactly("the config file is empty (expected at least 'gateway' and 'hostnames')");
    }

    @Test
    void keepsSecretsOutOfDiagnosticsAndToString() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult broken = ConfigLoader.load(write("broken.yaml", MINIMAL.replace("apis:", """
                  - id: client
                    pfx: certs/client.pfx
                    password: Wrong-S3cret-Value
                apis:""") + """
                namedValues:
                  - name: db-password
                    value: Very-S3cret-Value
                    secret: true
                    unknownKey: 1
                """), Map.of());
        ConfigResult good = ConfigLoader.load(write("good.yaml", MINIMAL.replace("apis:", """
                  - id: client
                    pfx: certs/client.pfx
                    password: ${env:PFX}
                apis:""")), Map.of("PFX", TestPki.PFX_PASSWORD));

        assertThat(broken.diagnostics().render())
                .contains("unknown key 'unknownKey' in named value")
                .contains("wrong PFX password")
                .doesNotContain("S3cret");
        assertThat(good.diagnostics().all()).isEmpty();
        assertThat(good.config().model().certificate("client").orElseThrow().toString())
                .doesNotContain(TestPki.PFX_PASSWORD);
        assertThat(good.config().toString()).doesNotContain(TestPki.PFX_PASSWORD);
    }

    private String renderedWithSecret(String secret) throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult r = ConfigLoader.load(write("s.yaml", MINIMAL + """
                namedValues:
                  - {name: db-password, value: %s, secret: true, unknownKey: 1}
                backends:
                  - id: lab
                    url: https://lab-user:%s@lab.local/x?q=1
                """.formatted(secret, secret)), Map.of());
        return r.diagnostics().render();
    }

    private static List<String> excerpts(String rendered) {
        return rendered.lines().filter(l -> l.startsWith(" ")).toList();
    }

    @Test
    void aMaskedSecretHasTheSameWidthWhateverItsLength() throws IOException {
        String shortOne = renderedWithSecret("abc");
        String longOne = renderedWithSecret("a-thirty-character-long-secret");

        assertThat("a-thirty-character-long-secret").hasSize(30);
        // the excerpts are the same; only a headline's column after the secret differs, as it is the file's own
        assertThat(excerpts(shortOne)).isEqualTo(excerpts(longOne));
        assertThat(shortOne).doesNotContain("abc")
                .contains("  - {name: db-password, value: ******, secret: true, unknownKey: 1}")
                .contains("    url: https://******@lab.local/x?q=1");
    }

    @Test
    void aCaretAfterAMaskedSecretOnTheSameLineStaysUnderItsColumn() throws IOException {
        String rendered = renderedWithSecret("a-thirty-character-long-secret");
        String line = "  - {name: db-password, value: a-thirty-character-long-secret, secret: true, unknownKey: 1}";
        int column = line.indexOf("unknownKey") + 1;

        // the headline keeps the file's own column; the caret sits under the key in the masked line
        assertThat(rendered).contains("s.yaml:" + (MINIMAL.lines().count() + 2) + ":" + column + ": error: unknown key 'unknownKey'")
                .contains("  - {name: db-password, value: ******, secret: true, unknownKey: 1}\n"
                        + " ".repeat(2 + "  - {name: db-password, value: ******, secret: true, ".length()) + "^");
        // and one that points into the secret shows the caret at the mask's start
        assertThat(rendered).contains("    url: https://******@lab.local/x?q=1\n" + " ".repeat(2 + "    url: ".length()) + "^");
    }

    @Test
    void rejectsNegotiateAndModeThatDisagreeButAcceptsOnesThatAgree() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult agree = ConfigLoader.load(write("a.yaml", MINIMAL.replace("certificateId: gateway-tls\n",
                "certificateId: gateway-tls\n    negotiateClientCertificate: true\n    clientCertificateMode: require\n")),
                Map.of());
        ConfigResult disagree = ConfigLoader.load(write("b.yaml", MINIMAL.replace("certificateId: gateway-tls\n",
                "certificateId: gateway-tls\n    negotiateClientCertificate: true\n    clientCertificateMode: none\n")),
                Map.of());

        assertThat(agree.diagnostics().all()).isEmpty();
        assertThat(agree.config().model().hostnames().get(0).clientCertificateMode())
                .isEqualTo(ClientCertificateMode.REQUIRE);
        assertThat(disagree.ok()).isFalse();
        assertThat(disagree.diagnostics().all()).extracting(Diagnostic::message).containsExactly(
                "negotiateClientCertificate: true disagrees with clientCertificateMode: none "
                        + "(give only clientCertificateMode, or make them agree)");
    }

    @Test
    void warnsWhenTheServerCertificateDoesNotCoverTheHostname() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        ConfigResult result = ConfigLoader.load(write("config.yaml",
                MINIMAL.replace("hostName: api.contoso.local", "hostName: www.fabrikam.local")), Map.of());

        assertThat(result.ok()).isTrue();
        assertThat(result.diagnostics().all()).singleElement().satisfies(d -> {
            assertThat(d.isError()).isFalse();
            assertThat(d.message()).isEqualTo("certificate 'gateway-tls' does not cover hostname 'www.fabrikam.local' "
                    + "(it is for api.contoso.local, strict.contoso.local); clients that check names will refuse it");
        });
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
        "- just\n- a list\n",
        "just a scalar\n",
        "gateway: 8443\n",
        "gateway:\n  listeners:\n    port: 8443\n",
        "gateway:\n  listeners:\n    - 8443\n    - [1, 2]\n",
        "gateway:\n  listeners:\n    - port: 99999999999999999999\n",
        "gateway:\n  listeners:\n    - port: {a: b}\n",
        "hostnames:\n  - api.contoso.local\n",
        "hostnames: {hostName: x}\n",
        "certificates:\n  - id: [a]\n    certificateFile: {x: y}\n",
        "backends:\n  - id: b\n    tls: yes\n    credentials: [a]\n",
        "apis:\n  - id: a\n    path: ~\n    operations: {}\n",
        "a: &x [*x]\n",
        "a: &x [*x, *x, *x]\n",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                + "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
        "? [complex, key]\n: value\n",
        "{\"gateway\": [}",
        "---\na: 1\n---\nb: 2\n",
        "gateway:\n\tlisteners: []\n",
        "namedValues:\n  - name: n\n    value: ${env:\n",
        "namedValues:\n  - name: n\n    value: ${file:/}\n",
    })
    void reportsOddShapesAsErrorsWithoutThrowing(String text) throws IOException {
        ConfigResult result = ConfigLoader.load(write("config.yaml", text), Map.of());

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().hasErrors()).isTrue();
        assertThat(result.diagnostics().render()).isNotBlank();
    }

    @Test
    void templateChecksAcceptTheShapesApimUses() {
        assertThat(ConfigReader.templateProblem("/")).isNull();
        assertThat(ConfigReader.templateProblem("/{id}")).isNull();
        assertThat(ConfigReader.templateProblem("/patients/{patient-id}/visits/{visit_id}")).isNull();
        assertThat(ConfigReader.templateProblem("/files/*")).isNull();
        assertThat(ConfigReader.templateProblem("/*")).isNull();
        assertThat(ConfigReader.templateProblem("/a}")).contains("'}' without a matching '{'");
        assertThat(ConfigReader.templateProblem("/a?b={b}")).contains("query");
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
