package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's configuration walkthrough is a config that loads: its YAML block (between the
 * {@code <!-- walkthrough-config -->} markers) is written to a folder with the certificate files
 * it names, made by the dev PKI, and loaded with no error and no warning.
 */
class ReadmeWalkthroughConfigTest {
    private static final Pattern BLOCK = Pattern.compile(
            "<!-- walkthrough-config -->\\s*```yaml\\n(.*?)```\\s*<!-- /walkthrough-config -->", Pattern.DOTALL);
    private static final String PFX_PASSWORD = "walkthrough-pfx-1";

    @TempDir
    Path dir;

    @Test
    void walkthroughConfigLoadsWithoutErrorsOrWarnings() throws IOException {
        Matcher m = BLOCK.matcher(Files.readString(repositoryRoot().resolve("README.md")));
        assertThat(m.find()).as("README.md has a ```yaml block between <!-- walkthrough-config --> markers").isTrue();
        Path config = dir.resolve("gatehouse.yaml");
        Files.writeString(config, m.group(1));

        Path certs = dir.resolve("certs");
        Files.createDirectories(certs);
        Pki.Issued clientCa = Pki.ca("CN=Contoso Client Root,O=Contoso", Duration.ofDays(3650));
        Pki.Issued gatewayCa = Pki.ca("CN=Contoso Gateway Root,O=Contoso", Duration.ofDays(3650));
        Pki.Issued gateway = Pki.issue(gatewayCa, Pki.IssueRequest.server("api.contoso.local", "api.contoso.local",
                "strict.contoso.local"));
        Pki.Issued backendCa = Pki.ca("CN=Fabrikam Backend Root,O=Fabrikam", Duration.ofDays(3650));
        Pki.Issued toBackend = Pki.issue(backendCa, Pki.IssueRequest.client("CN=gateway-to-backend,O=Contoso"));
        Pki.writePem(certs.resolve("client-ca.pem"), clientCa.certificate());
        Pki.writePem(certs.resolve("gateway.chain.pem"), gateway.chain().toArray());
        Pki.writePem(certs.resolve("gateway.key"), gateway.keyPair().getPrivate());
        Pki.writeFile(certs.resolve("gw-to-backend.pfx"), Pki.pfx(toBackend.keyMaterial(), PFX_PASSWORD.toCharArray()),
                true);
        Pki.writePem(certs.resolve("backend-ca.pem"), backendCa.certificate());

        ConfigResult r = ConfigLoader.load(config, Map.of("PFX_PASSWORD", PFX_PASSWORD));

        assertThat(r.diagnostics().render()).as("diagnostics for the README's walkthrough config").isEmpty();
        assertThat(r.ok()).isTrue();
        assertThat(r.config().model().apis()).isNotEmpty();
    }

    /** The folder with the root pom and ./mvnw, upwards from the working directory (the module's under Maven). */
    static Path repositoryRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw")) && Files.isRegularFile(d.resolve("README.md"))) {
                return d;
            }
        }
        throw new AssertionError("no repository root (a folder with mvnw and README.md) above "
                + Path.of("").toAbsolutePath());
    }
}
