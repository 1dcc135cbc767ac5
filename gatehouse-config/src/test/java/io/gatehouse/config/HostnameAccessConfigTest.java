package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.HostnameConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code apis[].hostnames}, {@code apis[].clientCertificate} and
 * {@code hostnames[].trustedCaCertificateIds}: reading, errors with positions, and the warnings
 * about APIs a laxer hostname exposes and about CAs trusted both for backends and for clients.
 */
class HostnameAccessConfigTest {
    @TempDir
    Path dir;

    @BeforeEach
    void pki() {
        TestPki.writeAll(dir.resolve("certs"));
    }

    /** Two hostnames (request, require-and-verify), a client CA and a backend CA; {@code extra} is appended. */
    private static String config(String strictExtra, String apis) {
        return """
                gateway:
                  listeners:
                    - port: 8443
                hostnames:
                  - hostName: api.contoso.local
                    certificateId: gateway-tls
                    clientCertificateMode: request
                    defaultSslBinding: true
                  - hostName: strict.contoso.local
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                %scaCertificates:
                  - id: client-ca
                    file: certs/ca.pem
                    storeName: Root
                  - id: backend-ca
                    file: certs/backend-ca.pem
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: certs/gateway.pem
                    keyFile: certs/gateway.key
                backends:
                  - id: records
                    url: https://records.local:9443
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                apis:
                %s""".formatted(strictExtra, apis);
    }

    private ConfigResult load(String yaml) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, Map.of());
    }

    private static final String SCOPED = "    trustedCaCertificateIds: [client-ca]\n";

    @Test
    void readsHostnamesClientCertificateAndTrustedCaCertificateIds() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: secure
                    path: secure
                    backendId: records
                    hostnames: [STRICT.contoso.local]
                  - id: partner
                    path: partner
                    backendId: records
                    clientCertificate: required
                """).replace("    clientCertificateMode: request\n",
                "    clientCertificateMode: request\n    trustedCaCertificateIds: [client-ca]\n"));

        assertThat(r.diagnostics().render()).isEmpty();
        List<ApiConfig> apis = r.config().model().apis();
        assertThat(apis.get(0).hostnames()).containsExactly("STRICT.contoso.local");
        assertThat(apis.get(0).clientCertificateRequired()).isFalse();
        assertThat(apis.get(1).hostnames()).isEmpty();
        assertThat(apis.get(1).clientCertificateRequired()).isTrue();
        assertThat(r.config().model().hostnames()).extracting(HostnameConfig::trustedCaCertificateIds)
                .containsOnly(List.of("client-ca"));
    }

    @Test
    void unknownHostnameInAnApiIsAnErrorWithItsPositionAndASuggestion() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: secure
                    path: secure
                    backendId: records
                    hostnames: [strict.contoso.locl]
                """));

        assertThat(r.ok()).isFalse();
        assertThat(r.diagnostics().render()).contains("config.yaml:33:17: error: unknown hostname "
                + "'strict.contoso.locl' in api 'secure' (expected the hostName of an entry under 'hostnames') "
                + "(did you mean 'strict.contoso.local'?)");
    }

    @Test
    void unknownTrustedCaCertificateIdOnAHostnameIsAnErrorWithItsPosition() throws IOException {
        ConfigResult r = load(config("    trustedCaCertificateIds: [client-ca, clinet-ca]\n", """
                  - id: secure
                    path: secure
                    backendId: records
                    hostnames: [strict.contoso.local]
                """));

        assertThat(r.ok()).isFalse();
        assertThat(r.diagnostics().render()).contains("config.yaml:12:42: error: unknown CA certificate 'clinet-ca' "
                + "(did you mean 'client-ca'?)");
    }

    @Test
    void wrongClientCertificateValueIsAnError() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: secure
                    path: secure
                    backendId: records
                    clientCertificate: requird
                """));

        assertThat(r.ok()).isFalse();
        assertThat(r.diagnostics().render()).contains("config.yaml:33:24: error: unknown clientCertificate 'requird' "
                + "in api 'secure' (expected: optional or required) (did you mean 'required'?)");
    }

    @Test
    void emptyHostnamesListIsAnError() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: secure
                    path: secure
                    backendId: records
                    hostnames: []
                """));

        assertThat(r.ok()).isFalse();
        assertThat(r.diagnostics().render()).contains("config.yaml:33:16: error: expected a list of hostName values for 'hostnames', found an empty list");
    }

    @Test
    void warnsWhenAnApiOnEveryHostnameIsReachableThroughALaxerOne() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: open-to-all
                    path: all
                    backendId: records
                """).replace("    clientCertificateMode: request\n",
                "    clientCertificateMode: request\n    trustedCaCertificateIds: [client-ca]\n"));

        assertThat(r.ok()).isTrue();
        assertThat(warnings(r)).singleElement().satisfies(d -> {
            assertThat(d.line()).isEqualTo(31);
            assertThat(d.message()).isEqualTo("api 'open-to-all' is served on every hostname, so clients reach it "
                    + "through hostname 'api.contoso.local' (clientCertificateMode request) as well as through "
                    + "hostname 'strict.contoso.local' (clientCertificateMode require-and-verify): the stricter "
                    + "hostname's certificate check does not protect it (add 'hostnames: [strict.contoso.local]' to "
                    + "serve it there only, or 'clientCertificate: required')");
        });
    }

    @Test
    void noWarningWhenTheApiIsBoundOrRequiresACertificate() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: bound
                    path: bound
                    backendId: records
                    hostnames: [strict.contoso.local]
                  - id: required
                    path: required
                    backendId: records
                    clientCertificate: required
                """).replace("    clientCertificateMode: request\n",
                "    clientCertificateMode: request\n    trustedCaCertificateIds: [client-ca]\n"));

        assertThat(r.diagnostics().render()).isEmpty();
    }

    @Test
    void warnsWhenAPlainHttpListenerServesAHostnameBoundApiWithoutCertificates() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: bound
                    path: bound
                    backendId: records
                    hostnames: [strict.contoso.local]
                """).replace("    - port: 8443\n", "    - port: 8443\n    - port: 8080\n      tls: false\n")
                .replace("    clientCertificateMode: request\n",
                        "    clientCertificateMode: request\n    trustedCaCertificateIds: [client-ca]\n"));

        assertThat(warnings(r)).singleElement().satisfies(d -> assertThat(d.message()).isEqualTo(
                "api 'bound' is also served by the plain-HTTP listener on port 8080 to requests whose Host names "
                        + "'strict.contoso.local', with no client certificate at all (add 'clientCertificate: required' "
                        + "to refuse them)"));
    }

    @Test
    void warnsWhenABackendsRootCaAlsoVerifiesClientsOfAHostnameWithoutTrustedCaCertificateIds() throws IOException {
        ConfigResult r = load(config("", """
                  - id: bound
                    path: bound
                    backendId: records
                    hostnames: [strict.contoso.local]
                """).replace("    clientCertificateMode: request\n", "    clientCertificateMode: none\n"));

        assertThat(warnings(r)).singleElement().satisfies(d -> {
            assertThat(d.line()).isEqualTo(9);
            assertThat(d.message()).startsWith("CA certificate 'backend-ca' is trusted for backend 'records' and, as a "
                    + "Root CA certificate, also verifies client certificates on hostname 'strict.contoso.local'");
        });
    }

    @Test
    void warnsWhenAHostnameListsACaThatABackendTrusts() throws IOException {
        ConfigResult r = load(config("    trustedCaCertificateIds: [client-ca, backend-ca]\n", """
                  - id: bound
                    path: bound
                    backendId: records
                    hostnames: [strict.contoso.local]
                """).replace("    clientCertificateMode: request\n", "    clientCertificateMode: none\n"));

        assertThat(warnings(r)).singleElement().satisfies(d -> {
            assertThat(d.line()).isEqualTo(12);
            assertThat(d.column()).isEqualTo(42);
            assertThat(d.message()).startsWith("CA certificate 'backend-ca' is trusted for backend 'records' and also "
                    + "verifies client certificates on hostname 'strict.contoso.local'");
        });
    }

    @Test
    void warnsWhenAnApiRequiresACertificateThatNoneOfItsHostnamesAsksFor() throws IOException {
        ConfigResult r = load(config(SCOPED, """
                  - id: never
                    path: never
                    backendId: records
                    hostnames: [api.contoso.local]
                    clientCertificate: required
                """).replace("    clientCertificateMode: request\n", "    clientCertificateMode: none\n"));

        assertThat(warnings(r)).singleElement().satisfies(d -> assertThat(d.message()).isEqualTo("api 'never' "
                + "requires a client certificate, but none of its hostnames asks for one (clientCertificateMode none), "
                + "so every request to it is refused"));
    }

    private static List<Diagnostic> warnings(ConfigResult r) {
        return r.diagnostics().all().stream().filter(d -> !d.isError()).toList();
    }
}
