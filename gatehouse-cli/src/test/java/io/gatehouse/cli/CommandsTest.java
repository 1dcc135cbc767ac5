package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's exit codes and output for validate, policy check and pki. */
class CommandsTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out) {
    }

    private static synchronized Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void policyCheckReportsAnUnknownMemberWithFileLineAndColumn() throws Exception {
        Path bad = tmp.resolve("bad.xml");
        Files.writeString(bad, """
                <policies>
                  <inbound>
                    <choose>
                      <when condition="@(context.Request.Certifcate == null)">
                        <return-response><set-status code="403" /></return-response>
                      </when>
                    </choose>
                  </inbound>
                </policies>
                """);
        Run r = run("policy", "check", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains(bad + ":4:").contains("Certifcate").contains("^");
    }

    @Test
    void policyCheckPassesTheGuidePolicy() throws Exception {
        Path good = tmp.resolve("guide.xml");
        Files.writeString(good, """
                <policies>
                  <inbound>
                    <base />
                    <choose>
                      <when condition="@(context.Request.Certificate == null || context.Request.Certificate.NotAfter < DateTime.UtcNow || context.Request.Certificate.Thumbprint != "6DE32981A82952C6D95E4AA16EAB42A199C1A8E6" || context.Request.Certificate.Issuer != "CN=YourCA, O=YourOrg, C=US")">
                        <return-response>
                          <set-status code="403" reason="Forbidden" />
                          <set-body>Client certificate validation failed.</set-body>
                        </return-response>
                      </when>
                    </choose>
                  </inbound>
                </policies>
                """);
        Run r = run("policy", "check", good.toString());
        assertThat(r.exit()).as(r.out()).isEqualTo(0);
        assertThat(r.out()).contains("0 errors");
    }

    @Test
    void policyCheckWithAConfigReadsItsNamedValuesAndNeverShowsASecret() throws Exception {
        Path doc = tmp.resolve("bff.xml");
        Files.writeString(doc, """
                <policies>
                  <inbound>
                    <send-request mode="new" response-variable-name="token" timeout="{{bff-timeout}}">
                      <set-url>{{BaseUrl}}/token</set-url>
                      <set-header name="Authorization" exists-action="override"><value>Basic {{client-secret}}</value></set-header>
                    </send-request>
                    <set-backend-service base-url="{{BaseUrl}}/api/v2" />
                    <rate-limit calls="{{client-secret}}" renewal-period="60" />
                    <set-variable name="leak" value="@({{client-secret}}.Length)" />
                  </inbound>
                </policies>
                """);
        // without a config: placeholders, one warning per name, no error
        Run alone = run("policy", "check", doc.toString());
        assertThat(alone.exit()).as(alone.out()).isEqualTo(0);
        assertThat(alone.out()).contains("1 file: 0 errors, 3 warnings").contains("unknown named value 'bff-timeout'");

        Path cfg = tmp.resolve("named.yaml");
        Files.writeString(cfg, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                namedValues:
                  - name: bff-timeout
                    value: "20"
                  - name: BaseUrl
                    value: https://idp.example.org
                  - name: client-secret
                    value: ${file:client-secret.txt}
                """);
        // read from a file, so taken as a secret without 'secret: true'
        Files.writeString(tmp.resolve("client-secret.txt"), "s3cr3t-0123456789");
        Run withConfig = run("policy", "check", "-c", cfg.toString(), doc.toString());
        // the secret is used where a number is needed: an error that shows the name, never the value
        assertThat(withConfig.exit()).as(withConfig.out()).isEqualTo(1);
        assertThat(withConfig.out()).contains(doc + ":8:17: error: attribute 'calls' on <rate-limit>: '{{client-secret}}'")
                .contains(doc + ":9:38: error: this expression does not compile; what the compiler says is withheld")
                .contains("1 file: 2 errors, 0 warnings").doesNotContain("s3cr3t").doesNotContain("0123456789");
    }

    @Test
    void policyCheckWithAConfigAndAnApiChecksGraphqlRulesAgainstThatApisSchema() throws Exception {
        Files.writeString(tmp.resolve("people.graphql"), "type Query { person(id: ID!): Person }\ntype Person { id: ID! name: String email: String }\n");
        Path cfg = tmp.resolve("graphql.yaml");
        Files.writeString(cfg, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                apis:
                  - id: people
                    path: people
                    serviceUrl: http://127.0.0.1:9
                    graphql:
                      schema: people.graphql
                """);
        Path good = tmp.resolve("people-good.xml");
        Files.writeString(good, """
                <policies><inbound>
                  <validate-graphql-request max-size="10240"><authorize><rule path="/Person/email" action="remove" /></authorize></validate-graphql-request>
                </inbound></policies>
                """);
        Path bad = tmp.resolve("people-bad.xml");
        Files.writeString(bad, """
                <policies><inbound>
                  <validate-graphql-request max-size="10240"><authorize><rule path="/Person/mail" action="remove" /></authorize></validate-graphql-request>
                </inbound></policies>
                """);
        Run ok = run("policy", "check", "-c", cfg.toString(), "--api", "people", good.toString());
        assertThat(ok.exit()).as(ok.out()).isEqualTo(0);
        Run refused = run("policy", "check", "-c", cfg.toString(), "--api", "people", bad.toString());
        assertThat(refused.exit()).as(refused.out()).isEqualTo(1);
        assertThat(refused.out()).contains(bad + ":2:").contains("mail");
        Run unknownApi = run("policy", "check", "-c", cfg.toString(), "--api", "patients", good.toString());
        assertThat(unknownApi.exit()).isEqualTo(1);
        assertThat(unknownApi.out()).contains("--api patients: the config has no API with that id");
    }

    @Test
    void policyCheckReportsHostileDocumentsInsteadOfCrashing() throws Exception {
        String prefix = "<policies><inbound><choose><when condition=\"@(context.Request.Certificate.Thumbprint == ";
        Path literal = tmp.resolve("literal.xml");
        Files.writeString(literal, prefix + "&quot;" + "A".repeat(3000) + "&quot;)\"><mock-response status-code=\"200\" />"
                + "</when></choose></inbound></policies>");
        String head = "<policies><inbound><return-response><set-body template=\"liquid\">";
        Path ifs = tmp.resolve("ifs.xml");
        Files.writeString(ifs, head + "{% if a %}".repeat(5000) + "x" + "{% endif %}".repeat(5000)
                + "</set-body></return-response></inbound></policies>");

        Run r = run("policy", "check", literal.toString(), ifs.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains(literal + ":1:" + (prefix.length() + 1) + ": warning: \"AAAA")
                .contains(ifs + ":1:" + (head.length() + 1 + 10 * 100) + ": error: {% if %} is nested too deeply: blocks may be nested at most 100 levels")
                .contains("2 files: 1 error, 1 warning");
    }

    @Test
    void validateReportsAHostilePolicyFileWithItsPosition() throws Exception {
        Path cfg = tmp.resolve("gatehouse.yaml");
        Files.writeString(cfg, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                apis:
                  - id: patients
                    path: patients
                    serviceUrl: http://127.0.0.1:9
                    policy: deep.xml
                """);
        String open = "<choose><when condition=\"@(true)\">";
        Files.writeString(tmp.resolve("deep.xml"), "<policies><inbound>" + open.repeat(4000)
                + "</when></choose>".repeat(4000) + "</inbound></policies>");

        Run r = run("validate", "-c", cfg.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("deep.xml:1:" + ("<policies><inbound>".length() + open.length() * 49 + 1)
                + ": error: elements are nested too deeply (more than 100 levels): the rest of the document is skipped")
                .contains("invalid (1 error, 0 warnings)");
        assertThat(r.out().length()).isLessThan(5000);
    }

    @Test
    void validateReportsEveryProblemAndExitsOne() throws Exception {
        Path cfg = tmp.resolve("gatehouse.yaml");
        Files.writeString(cfg, """
                gateway:
                  listeners:
                    - port: 8443
                hostnames:
                  - hostName: api.contoso.local
                    certificateId: missing-cert
                    negotiateClientCertifcate: true
                apis:
                  - id: patients
                    path: patients
                    backendId: nowhere
                    policyXml: |
                      <policies>
                        <inbound>
                          <set-header name="x-subject" exists-action="override">
                            <value>@(context.Request.Certifcate.Subject)</value>
                          </set-header>
                        </inbound>
                      </policies>
                """);
        Run r = run("validate", "-c", cfg.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("negotiateClientCertifcate").contains("did you mean 'negotiateClientCertificate'")
                .contains("missing-cert").contains("nowhere").contains("invalid");
        // inside inline policy XML, positions are the config file's own lines and columns
        assertThat(r.out()).contains(cfg + ":16:38: error: unknown member 'Certifcate' on 'context.Request'")
                .contains("          <value>@(context.Request.Certifcate.Subject)</value>");
    }

    @Test
    void pkiMakesACaAndAClientCertificateAndInspectShowsTheThumbprint() {
        String base = tmp.resolve("ca").toString();
        assertThat(run("pki", "ca", "--subject", "CN=Test CA,O=Contoso", "--out", base).exit()).isEqualTo(0);
        String client = tmp.resolve("client").toString();
        Run issued = run("pki", "issue", "--ca", base + ".pem", "--ca-key", base + ".key", "--client",
                "--subject", "CN=clinic-app,O=Contoso,C=US", "--out", client);
        assertThat(issued.exit()).as(issued.out()).isEqualTo(0);
        Run inspect = run("pki", "inspect", client + ".pem");
        assertThat(inspect.exit()).isEqualTo(0);
        assertThat(inspect.out()).contains("CN=clinic-app, O=Contoso, C=US").contains("CN=Test CA, O=Contoso")
                .containsPattern("[0-9A-F]{40}");
    }

    @Test
    void pkiWritesKeysAndPfxFilesForTheOwnerOnlyAndInspectReadsAPfx() throws Exception {
        String base = tmp.resolve("ca").toString();
        assertThat(run("pki", "ca", "--subject", "CN=Test CA", "--out", base).exit()).isEqualTo(0);
        String client = tmp.resolve("client").toString();
        assertThat(run("pki", "issue", "--ca", base + ".pem", "--ca-key", base + ".key", "--client",
                "--subject", "CN=lab-app", "--out", client).exit()).isEqualTo(0);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> ownerOnly =
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");
        assertThat(Files.getPosixFilePermissions(Path.of(base + ".key"))).isEqualTo(ownerOnly);
        assertThat(Files.getPosixFilePermissions(Path.of(client + ".key"))).isEqualTo(ownerOnly);
        // the password is read from an environment variable: PATH is one every test run has
        Path pfx = tmp.resolve("client.pfx");
        Run made = run("pki", "pfx", "--cert", client + ".pem", "--key", client + ".key", "--out", pfx.toString(),
                "--password-env", "PATH");
        assertThat(made.exit()).as(made.out()).isEqualTo(0);
        assertThat(Files.getPosixFilePermissions(pfx)).isEqualTo(ownerOnly);
        assertThat(tmp.toFile().list()).allMatch(n -> !n.endsWith(".tmp"));
        Run inspect = run("pki", "inspect", "--password-env", "PATH", pfx.toString());
        assertThat(inspect.exit()).as(inspect.out()).isEqualTo(0);
        assertThat(inspect.out()).contains("[0]:").contains("CN=lab-app").contains("[1]:").contains("CN=Test CA");
        // the wrong password: an error that says so, exit 1
        assertThat(run("pki", "inspect", "--password-env", "HOME", pfx.toString()).exit()).isEqualTo(1);
    }

    @Test
    void explainExitsOneWhenTheRequestWouldNotReachTheBackend() {
        Path dir = tmp.resolve("qs");
        assertThat(run("quickstart", "--no-serve", "--dir", dir.toString()).exit()).isZero();
        String cfg = dir.resolve("config.yaml").toString();
        Run with = run("explain", "-c", cfg, "--path", "/patients/1", "--cert", dir.resolve("pki/client.pem").toString());
        assertThat(with.exit()).as(with.out()).isZero();
        assertThat(with.out()).contains("verdict: this request reaches the backend");
        Run without = run("explain", "-c", cfg, "--path", "/patients/1");
        assertThat(without.exit()).as(without.out()).isEqualTo(1);
        assertThat(without.out()).contains("certificate: none").contains("handshake: REFUSED");
        Run nowhere = run("explain", "-c", cfg, "--path", "/nothing", "--cert", dir.resolve("pki/client.pem").toString());
        assertThat(nowhere.exit()).as(nowhere.out()).isEqualTo(1);
        assertThat(nowhere.out()).contains(": 404");
    }

    @Test
    void helpWorksOnEveryCommandAndSubcommand() {
        java.util.List<java.util.List<String>> paths = new java.util.ArrayList<>();
        collect(Main.commandLine(), new java.util.ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThan(12); // run, validate, policy check, pki inspect, ...
        for (java.util.List<String> path : paths) {
            java.util.List<String> args = new java.util.ArrayList<>(path);
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).startsWith("Usage: gatehouse" + (path.isEmpty() ? "" : " ")
                    + String.join(" ", path));
        }
    }

    private static void collect(picocli.CommandLine cl, java.util.List<String> path, java.util.List<java.util.List<String>> out) {
        out.add(java.util.List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                java.util.List<String> p = new java.util.ArrayList<>(path);
                p.add(name);
                collect(sub, p, out);
            }
        });
    }

    @Test
    void certificatesListsAConfigsCertificatesAndExitsTwoWhenOneIsNearExpiry() throws Exception {
        io.gatehouse.tls.Pki.Issued ca = io.gatehouse.tls.Pki.ca("CN=Clinic CA,O=Contoso", java.time.Duration.ofDays(400));
        io.gatehouse.tls.Pki.Issued server = io.gatehouse.tls.Pki.issue(ca, io.gatehouse.tls.Pki.IssueRequest
                .server("api.contoso.test", "api.contoso.test").withValidity(java.time.Duration.ofDays(20)));
        Files.writeString(tmp.resolve("ca.pem"), io.gatehouse.tls.Pki.pem(ca.certificate()));
        Files.writeString(tmp.resolve("server.pem"), io.gatehouse.tls.Pki.pem(server.certificate()));
        Files.writeString(tmp.resolve("server.key"), io.gatehouse.tls.Pki.pem(server.keyPair().getPrivate()));
        String yaml = """
                gateway:
                  listeners:
                    - port: 8443
                  certificates:
                    expiryWarningDays: %d
                hostnames:
                  - hostName: api.contoso.test
                    certificateId: api-tls
                    defaultSslBinding: true
                caCertificates:
                  - id: clinic-ca
                    file: ca.pem
                    storeName: Root
                certificates:
                  - id: api-tls
                    certificateFile: server.pem
                    keyFile: server.key
                """;
        Path cfg = tmp.resolve("gatehouse.yaml");
        Files.writeString(cfg, yaml.formatted(30));
        Run r = run("certificates", "-c", cfg.toString());
        assertThat(r.exit()).as(r.out()).isEqualTo(2);
        assertThat(r.out()).containsPattern("api-tls +certificate +file +\\S+ +19 WARNING +CN=api.contoso.test")
                .containsPattern("clinic-ca +ca +file +\\S+ +(398|399) +CN=Clinic CA, O=Contoso")
                .contains("thumbprint:  " + io.gatehouse.common.x509.DotNetNames.thumbprint(server.certificate()))
                .contains("used by:     hostname 'api.contoso.test'")
                .contains("expiry warning: 30 days");
        Files.writeString(cfg, yaml.formatted(7));
        Run quiet = run("certificates", "-c", cfg.toString(), "--json");
        assertThat(quiet.exit()).as(quiet.out()).isEqualTo(0);
        assertThat(quiet.out()).contains("\"expiryWarningDays\" : 7").contains("\"id\" : \"api-tls\"");
        assertThat(run("certificates").exit()).isEqualTo(1);
    }

    @Test
    void probeExplainsAServerThatWantsAClientCertificateAndPassesWithOne() {
        io.gatehouse.proxy.TestWorld w = new io.gatehouse.proxy.TestWorld(tmp.resolve("pki"));
        var ssl = io.gatehouse.tls.SslContextFactory.downstream(new io.gatehouse.tls.DownstreamTls(
                new io.gatehouse.tls.KeyMaterial(w.backendServer.keyPair().getPrivate(), java.util.List.of(w.backendServer.certificate())),
                io.gatehouse.tls.ClientCertificateMode.REQUIRE_AND_VERIFY,
                io.gatehouse.tls.CaStore.of(java.util.List.of(w.gatewayClientCa.certificate()), java.util.List.of(), java.util.List.of()),
                io.gatehouse.tls.RevocationMode.OFF, "1.2"));
        try (io.gatehouse.proxy.TestBackend backend = new io.gatehouse.proxy.TestBackend(ssl)) {
            String url = "https://127.0.0.1:" + backend.port() + "/probe";
            Run without = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test");
            assertThat(without.exit()).as(without.out()).isEqualTo(1);
            assertThat(without.out()).contains("client certificate: requested (acceptable CAs: CN=Gateway Client CA, O=Contoso, C=US)")
                    .contains("likely fix: the server asks for a client certificate: pass --cert and --key")
                    .contains("trusted");
            Run with = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test",
                    "--cert", w.path("gw-client.pem"), "--key", w.path("gw-client.key"));
            assertThat(with.exit()).as(with.out()).isEqualTo(0);
            assertThat(with.out()).contains("HTTP: HTTP/1.1 200 OK").contains("verdict: OK");
            Run wrongName = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "other.gatehouse.test",
                    "--cert", w.path("gw-client.pem"), "--key", w.path("gw-client.key"));
            assertThat(wrongName.exit()).isEqualTo(1);
            assertThat(wrongName.out()).contains("does not match the name other.gatehouse.test");
        }
    }

    @Test
    void probeDoesNotSayOkWhenTheCertificateWasNotAskedForOrTheServerRefusedIt() {
        io.gatehouse.proxy.TestWorld w = new io.gatehouse.proxy.TestWorld(tmp.resolve("pki"));
        var noClientAuth = io.gatehouse.tls.SslContextFactory.downstream(new io.gatehouse.tls.DownstreamTls(
                new io.gatehouse.tls.KeyMaterial(w.backendServer.keyPair().getPrivate(), java.util.List.of(w.backendServer.certificate())),
                io.gatehouse.tls.ClientCertificateMode.NONE, io.gatehouse.tls.CaStore.empty(),
                io.gatehouse.tls.RevocationMode.OFF, "1.2"));
        try (io.gatehouse.proxy.TestBackend backend = new io.gatehouse.proxy.TestBackend(noClientAuth)) {
            String base = "https://127.0.0.1:" + backend.port();
            Run r = run("probe", base + "/probe", "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test",
                    "--cert", w.path("gw-client.pem"), "--key", w.path("gw-client.key"));
            assertThat(r.exit()).as(r.out()).isEqualTo(1);
            assertThat(r.out()).doesNotContain("verdict: OK").contains("client certificate: not requested")
                    .contains("verdict: a client certificate was given, but the server did not ask for one");
            Run notFound = run("probe", base + "/redirect?to=/elsewhere", "--ca", w.path("backend-ca.pem"),
                    "--servername", "backend.gatehouse.test");
            assertThat(notFound.out()).contains("HTTP: HTTP/1.1 302");
            assertThat(notFound.exit()).as(notFound.out()).isEqualTo(0);
        }
        // nginx with ssl_verify_client on answers its own 400 pages after a successful handshake
        try (io.gatehouse.proxy.NginxBackend nginx = new io.gatehouse.proxy.NginxBackend(tmp.resolve("nginx"),
                w.file("backend.pem"), w.file("backend.key"), w.file("gw-client-ca.pem"))) {
            String url = "https://127.0.0.1:" + nginx.port + "/";
            Run stranger = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test",
                    "--cert", w.path("untrusted-gw-client.pem"), "--key", w.path("untrusted-gw-client.key"));
            assertThat(stranger.exit()).as(stranger.out()).isEqualTo(1);
            assertThat(stranger.out()).contains("HTTP: HTTP/1.1 400 Bad Request")
                    .contains("verdict: the server refused our client certificate after the handshake");
            Run none = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test");
            assertThat(none.exit()).as(none.out()).isEqualTo(1);
            assertThat(none.out()).contains("the server requires a client certificate and none was sent");
            Run good = run("probe", url, "--ca", w.path("backend-ca.pem"), "--servername", "backend.gatehouse.test",
                    "--cert", w.path("gw-client.pem"), "--key", w.path("gw-client.key"));
            assertThat(good.exit()).as(good.out()).isEqualTo(0);
            assertThat(good.out()).contains("verdict: OK");
        }
    }
}
