package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config's content hash ({@link LoadedConfig#contentHash()}), as /health shows it. */
class ConfigDigestTest {
    static final String CONFIG = """
            gateway:
              listeners:
                - port: ${env:GATEHOUSE_PORT}
            hostnames:
              - hostName: api.contoso.local
                certificateId: gateway-tls
            certificates:
              - id: gateway-tls
                certificateFile: certs/gateway.pem
                keyFile: certs/gateway.key
            caCertificates:
              - id: root
                storeName: Root
                file: certs/ca.pem
            namedValues:
              - name: backend-key
                secret: true
                value: ${file:secrets/backend-key.txt}
            policies:
              global: policies/global.xml
            apis:
              - id: patients
                path: patients
                serviceUrl: https://backend.local:9443
            """;

    @TempDir
    Path dir;
    private Path config;

    @BeforeEach
    void write() throws IOException {
        config = writeKit(dir);
    }

    static Path writeKit(Path dir) throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        Files.createDirectories(dir.resolve("policies"));
        Files.createDirectories(dir.resolve("secrets"));
        Files.writeString(dir.resolve("policies/global.xml"), "<policies><backend><forward-request /></backend></policies>");
        Files.writeString(dir.resolve("secrets/backend-key.txt"), "s3cr3t-value-1\n");
        return Files.writeString(dir.resolve("gatehouse.yaml"), CONFIG);
    }

    private static String hash(Path config, String port) {
        ConfigResult r = ConfigLoader.load(config, Map.of("GATEHOUSE_PORT", port));
        assertThat(r.diagnostics().all()).as("%s", r.diagnostics().render()).isEmpty();
        return r.config().contentHash();
    }

    @Test
    void twoLoadsOfOneConfigGiveTheSameHash() {
        String first = hash(config, "8443");
        assertThat(first).matches("sha256:[0-9a-f]{64}");
        assertThat(hash(config, "8443")).isEqualTo(first);
    }

    @Test
    void theSameFilesInAnotherFolderGiveTheSameHash() throws IOException {
        Path other = dir.resolve("node-2");
        Files.createDirectories(other);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.startsWith(other)).toList()) {
                Path to = other.resolve(dir.relativize(f));
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
        }
        assertThat(hash(other.resolve("gatehouse.yaml"), "8443")).isEqualTo(hash(config, "8443"));
    }

    @Test
    void aChangedPolicyFileChangesTheHash() throws IOException {
        String before = hash(config, "8443");
        Files.writeString(dir.resolve("policies/global.xml"), "<policies><backend><forward-request timeout=\"5\" /></backend></policies>");
        String after = hash(config, "8443");
        assertThat(after).isNotEqualTo(before);
        Files.writeString(dir.resolve("policies/global.xml"), "<policies><backend><forward-request /></backend></policies>");
        assertThat(hash(config, "8443")).as("the same content again").isEqualTo(before);
    }

    @Test
    void aChangedSecretOrCertificateChangesTheHashWithoutShowingIt() throws IOException {
        String before = hash(config, "8443");
        Files.writeString(dir.resolve("secrets/backend-key.txt"), "s3cr3t-value-2\n");
        String secretChanged = hash(config, "8443");
        assertThat(secretChanged).isNotEqualTo(before).doesNotContain("s3cr3t");
        Files.copy(dir.resolve("certs/backend-ca.pem"), dir.resolve("certs/ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(hash(config, "8443")).isNotEqualTo(secretChanged).isNotEqualTo(before);
    }

    @Test
    void theConfigFileItselfCountsAndTheEnvironmentDoesNot() throws IOException {
        String before = hash(config, "8443");
        // a process's environment may differ between nodes on purpose (here: the port); it is not part of the hash
        assertThat(hash(config, "9443")).isEqualTo(before);
        Files.writeString(config, CONFIG + "# a comment is a change of the file too\n");
        assertThat(hash(config, "8443")).isNotEqualTo(before);
    }
}
