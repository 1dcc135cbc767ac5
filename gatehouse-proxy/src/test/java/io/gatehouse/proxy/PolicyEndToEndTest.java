package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.x509.DotNetNames;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * APIM policy documents run by the gateway with real clients and backends: the guide's inbound
 * validation policy as written (rawxml, unescaped quotes and operators), the declarative
 * {@code validate-client-certificate}, and {@code authentication-certificate} choosing the
 * certificate nginx sees.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PolicyEndToEndTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static NginxBackend nginx;
    static GatewayHarness gw;
    static int port;

    /** The guide's policy, as users paste it: thumbprint, issuer and NotAfter, then Verify(). */
    static String guidePolicy(String thumbprint) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path f = d.resolve("examples/guide-inbound-policy.xml");
            if (java.nio.file.Files.isRegularFile(f)) {
                try {
                    return java.nio.file.Files.readString(f).replace("YOUR_CERT_THUMBPRINT_HERE", thumbprint)
                            .replace("CN=YourCA, O=YourOrg, C=US", "CN=Contoso Clinic Root CA, O=Contoso, C=US");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        throw new AssertionError("examples/guide-inbound-policy.xml not found above " + Path.of("").toAbsolutePath());
    }

    static String indent(String text, int spaces) {
        return text.indent(spaces);
    }

    @BeforeAll
    static void start() {
        world = new TestWorld(tmp.resolve("pki"));
        backend = new TestBackend(null, "plain");
        nginx = new NginxBackend(tmp.resolve("nginx"), world.file("backend.pem"), world.file("backend.key"),
                world.file("gw-client-ca.pem"));
        port = Ports.free();
        String thumbprint = DotNetNames.thumbprint(world.client.certificate());
        GatewayHarness.write(tmp.resolve("guide.xml"), guidePolicy(thumbprint));
        GatewayHarness.write(tmp.resolve("vcc.xml"), """
                <policies>
                  <inbound>
                    <validate-client-certificate validate-revocation="false" validate-trust="true"
                        validate-not-before="true" validate-not-after="true" ignore-error="false">
                      <identities>
                        <identity issuer-subject="CN=Contoso Clinic Root CA, O=Contoso, C=US" />
                      </identities>
                    </validate-client-certificate>
                    <set-header name="x-client-thumbprint-seen" exists-action="override">
                      <value>@(context.Request.Certificate.Thumbprint)</value>
                    </set-header>
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("auth.xml"), """
                <policies>
                  <inbound>
                    <authentication-certificate certificate-id="alt-gw-client" />
                    <trace source="auth-test" severity="information">
                      <message>@("presenting alt-gw for " + context.Request.Url.Path)</message>
                    </trace>
                  </inbound>
                  <backend><forward-request /></backend>
                  <outbound>
                    <set-header name="x-policy" exists-action="override"><value>outbound-ran</value></set-header>
                  </outbound>
                </policies>
                """);
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    negotiateClientCertificate: true
                    defaultSslBinding: true
                caCertificates:
                  - id: client-ca
                    file: %s
                    storeName: Root
                  - id: backend-ca
                    file: %s
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: %s
                    keyFile: %s
                  - id: gw-client
                    certificateFile: %s
                    keyFile: %s
                  - id: alt-gw-client
                    certificateFile: %s
                    keyFile: %s
                backends:
                  - id: plain
                    url: http://127.0.0.1:%d
                  - id: nginx
                    url: https://backend.gatehouse.test:%d
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                    credentials:
                      certificateIds: [gw-client]
                apis:
                  - id: guide
                    path: guide
                    backendId: plain
                    policy: guide.xml
                  - id: vcc
                    path: vcc
                    backendId: plain
                    policy: vcc.xml
                  - id: nginx-default
                    path: nginx-default
                    backendId: nginx
                  - id: nginx-auth
                    path: nginx-auth
                    backendId: nginx
                    policy: auth.xml
                """.formatted(port, world.path("client-ca.pem"), world.path("backend-ca.pem"),
                world.path("gateway.pem"), world.path("gateway.key"), world.path("gw-client.pem"), world.path("gw-client.key"),
                world.path("alt-gw-client.pem"), world.path("alt-gw-client.key"), backend.port(), nginx.port));
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gw, nginx, backend}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    @ParameterizedTest(name = "guide policy with {0}: {1}")
    @CsvSource({
            "client,  200",
            "other,   403",   // another certificate from the same CA
            "rogue,   403",   // an impostor CA with the same name, same subject
            "expired, 403",
            "none,    403",
    })
    void guidePolicyAsWritten(String cert, int expected) {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/guide/records/7", cert.equals("none") ? null : cert);
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(expected);
        if (expected == 403) {
            assertThat(r.body()).doesNotContain("\"backend\"");
        } else {
            assertThat(r.body()).contains("\"backend\": \"plain\"").contains("\"uri\": \"/records/7\"");
        }
    }

    @ParameterizedTest(name = "guide policy over HTTP/1.1 with {0}: {1}")
    @CsvSource({"client, 200", "other, 403", "none, 403"})
    void guidePolicyOverHttp11SeesTheCertificateToo(String cert, int expected) {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/guide/records/8", cert.equals("none") ? null : cert,
                "--http1.1");
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(expected);
        assertThat(r.httpVersion()).isEqualTo("1.1");
    }

    @Test
    void guidePolicyBodyIsTheOneThePolicySets() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/guide/x", "other");
        assertThat(r.body()).isEqualTo("Client certificate validation failed.");
    }

    @ParameterizedTest(name = "validate-client-certificate with {0}: {1} {2}")
    @CsvSource({
            "client,    200, ''",
            "none,      401, ClientCertificateNotFound",
            "rogue,     401, ClientCertificateNotTrusted",
            "expired,   401, ClientCertificateExpired",
            "lab-chain, 401, ClientCertificateIdentityNotMatched",
    })
    void validateClientCertificate(String cert, int expected, String reason) {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/vcc/a", cert.equals("none") ? null : cert);
            assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(expected);
            if (expected == 200) {
                assertThat(r.body()).contains("\"backend\": \"plain\"");
            } else {
                assertThat(r.body()).startsWith("{\"statusCode\": 401").doesNotContain(reason);
                String line = logs.await(l -> l.contains(reason), Duration.ofSeconds(5));
                assertThat(line).contains("validate-client-certificate").contains("api 'vcc'");
            }
        }
    }

    @Test
    void withoutAPolicyNginxSeesTheBackendsConfiguredCertificate() {
        E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/nginx-default/x", null);
        assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"nginxSawClient\": \"CN=gatehouse-gw,O=Contoso,C=US\"");
    }

    @Test
    void authenticationCertificateChoosesTheCertificateNginxSees() {
        try (LogCapture logs = new LogCapture()) {
            E2e.CurlResult r = E2e.curl(world, TestWorld.API_HOST, port, "/nginx-auth/x", null, "-D", "-");
            assertThat(r.status()).as(r.stderr() + r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"nginxSawClient\": \"CN=alt-gw,O=Contoso,C=US\"")
                    .containsIgnoringCase("x-policy: outbound-ran");
            logs.await(l -> l.contains("auth-test: presenting alt-gw for /nginx-auth/x"), Duration.ofSeconds(5));
        }
    }
}
