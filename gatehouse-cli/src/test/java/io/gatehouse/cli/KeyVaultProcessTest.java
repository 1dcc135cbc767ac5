package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.FakeKeyVault;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.Proc;
import io.gatehouse.proxy.TestWorld;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatehouse validate} and {@code gatehouse run} in their own JVM reading a Key Vault
 * certificate with azure-identity's own ManagedIdentityCredential, which finds the App Service
 * token endpoint in the process environment ({@code IDENTITY_ENDPOINT}, {@code IDENTITY_HEADER}),
 * against {@link FakeKeyVault}: a good config validates and serves the vault's certificate to curl,
 * SIGHUP puts a new version in service, and a missing secret or a missing role stops both
 * commands with the reason at the reference's file:line:col.
 */
class KeyVaultProcessTest {
    @TempDir
    Path tmp;
    TestWorld world;
    FakeKeyVault vault;
    Map<String, String> env;
    List<String> jvm;

    @BeforeEach
    void start() throws Exception {
        world = new TestWorld(tmp.resolve("pki"));
        Duration year = Duration.ofDays(365);
        Pki.Issued vaultCa = Pki.ca("CN=Test Vault CA", year);
        Files.writeString(tmp.resolve("vault-ca.pem"), Pki.pem(vaultCa.certificate()));
        vault = new FakeKeyVault(Pki.issue(vaultCa, Pki.IssueRequest.server(FakeKeyVault.HOST, FakeKeyVault.HOST)
                .withValidity(year)));
        vault.put("gateway-tls", pfx(world.gatewayServer), "application/x-pkcs12");
        env = Map.of("IDENTITY_ENDPOINT", vault.appServiceEndpoint(), "IDENTITY_HEADER", FakeKeyVault.IDENTITY_HEADER);
        Path hosts = tmp.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost " + FakeKeyVault.HOST + "\n");
        jvm = List.of("-Djdk.net.hosts.file=" + hosts);
    }

    @AfterEach
    void stop() {
        vault.close();
    }

    private Path config(int port, String secret) throws Exception {
        Path file = tmp.resolve("gatehouse.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  keyVault:
                    credential: managed-identity
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                caCertificates:
                  - id: vault-ca
                    file: vault-ca.pem
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    keyVault:
                      secretIdentifier: %s/secrets/%s
                apis:
                  - id: hello
                    path: hello
                    serviceUrl: http://127.0.0.1:9
                    policyXml: |
                      <policies>
                        <inbound><return-response><set-status code="200" reason="OK" /><set-body>hello</set-body></return-response></inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                """.formatted(port, vault.vaultUrl(), secret));
        return file;
    }

    private String run(GatewayProcess p) throws Exception {
        assertThat(p.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.output();
    }

    @Test
    void validateReadsTheCertificateWithTheAppServiceManagedIdentity() throws Exception {
        config(Ports.free(), "gateway-tls");
        try (GatewayProcess p = new GatewayProcess(tmp, jvm, env, "validate", "-c", "gatehouse.yaml")) {
            String out = run(p);
            assertThat(p.process.exitValue()).as(out).isZero();
            assertThat(out).contains("gatehouse.yaml: OK");
        }
        assertThat(vault.tokenRequests).containsExactly("app-service https://vault.azure.net system");
    }

    @Test
    void validateAndRunFailAtTheReferenceWhenTheSecretIsMissing() throws Exception {
        config(Ports.free(), "no-such-cert");
        try (GatewayProcess p = new GatewayProcess(tmp, jvm, env, "validate", "-c", "gatehouse.yaml")) {
            String out = run(p);
            assertThat(p.process.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("gatehouse.yaml:18:25: error: certificate 'gateway-tls': Key Vault has no secret "
                    + "'no-such-cert' in vault " + vault.vaultUrl() + " (404 SecretNotFound)");
        }
        try (GatewayProcess p = new GatewayProcess(tmp, jvm, env, "run", "-c", "gatehouse.yaml")) {
            String out = run(p);
            assertThat(p.process.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("gatehouse.yaml:18:25: error: certificate 'gateway-tls': Key Vault has no secret",
                    "not started");
        }
    }

    @Test
    void runDoesNotStartWithoutTheRoleAndSaysWhichIdentityAndRole() throws Exception {
        vault.allowed.clear();
        config(Ports.free(), "gateway-tls");
        try (GatewayProcess p = new GatewayProcess(tmp, jvm, env, "run", "-c", "gatehouse.yaml")) {
            String out = run(p);
            assertThat(p.process.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("gatehouse.yaml:18:25: error: certificate 'gateway-tls': Key Vault refused the "
                    + "system-assigned managed identity access to secret 'gateway-tls' in vault " + vault.vaultUrl()
                    + " (403 Forbidden/ForbiddenByRbac): assign it the role 'Key Vault Certificate User'");
            assertThat(out).doesNotContain("eyJ0eXAi").doesNotContain(FakeKeyVault.IDENTITY_HEADER);
        }
    }

    @Test
    void runServesTheVaultCertificateAndSighupPutsANewVersionInService() throws Exception {
        int port = Ports.free();
        config(port, "gateway-tls");
        try (GatewayProcess p = new GatewayProcess(tmp, jvm, env, "run", "-c", "gatehouse.yaml", "--no-watch")) {
            p.awaitPort(port);
            assertThat(curlSubject(port)).contains("CN=" + TestWorld.API_HOST);
            Pki.Issued v2 = Pki.issue(world.gatewayCa, Pki.IssueRequest.server("api-v2.gatehouse.test", TestWorld.API_HOST)
                    .withValidity(Duration.ofDays(90)));
            vault.put("gateway-tls", Pki.pem(v2.chain().toArray(new java.security.cert.X509Certificate[0]))
                    + Pki.pem(v2.keyPair().getPrivate()), "application/x-pem-file");
            p.signal("HUP");
            p.awaitOutput("configuration reloaded", 30);
            assertThat(curlSubject(port)).contains("CN=api-v2.gatehouse.test");
            assertThat(p.stop()).isZero();
        }
    }

    private String curlSubject(int port) {
        String curl = ExternalTools.require("curl");
        Proc r = Proc.run(List.of(curl, "-sS", "-v", "--max-time", "20", "--resolve", TestWorld.API_HOST + ":" + port + ":127.0.0.1",
                "--cacert", world.path("gateway-ca.pem"), "https://" + TestWorld.API_HOST + ":" + port + "/hello"), null, null, 60);
        assertThat(r.stdout()).as(r.stderr()).isEqualTo("hello");
        return r.stderr().lines().filter(l -> l.contains("subject:")).findFirst().orElse("");
    }

    private static String pfx(Pki.Issued issued) {
        return Base64.getEncoder().encodeToString(Pki.pfx(new KeyMaterial(issued.keyPair().getPrivate(), issued.chain()),
                new char[0]));
    }
}
