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
}
