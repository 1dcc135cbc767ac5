package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.dapr.httpEndpoint}: where the Dapr policies find the sidecar's HTTP API. */
class DaprConfigTest {
    private static final String BASE = """
            gateway:
              listeners:
                - port: 8080
                  tls: false
            %s
            apis:
              - id: a
                path: a
                serviceUrl: http://backend.local
            """;

    @TempDir
    Path dir;

    private ConfigResult load(String gatewayExtra) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, BASE.formatted(gatewayExtra));
        return ConfigLoader.load(file, Map.of());
    }

    @Test
    void withoutTheKeyTheDefaultSidecarApplies() throws IOException {
        ConfigResult r = load("");
        assertThat(r.diagnostics().render()).isEmpty();
        assertThat(r.config().model().gateway().daprHttpEndpoint()).isNull();
        assertThat(io.gatehouse.policy.PolicyEnvironment.DEFAULT_DAPR_ENDPOINT).isEqualTo(URI.create("http://localhost:3500"));
    }

    @Test
    void theSidecarAddressIsRead() throws IOException {
        ConfigResult r = load("""
                  dapr:
                    httpEndpoint: http://127.0.0.1:3601
                """);
        assertThat(r.diagnostics().render()).isEmpty();
        assertThat(r.config().model().gateway().daprHttpEndpoint()).isEqualTo(URI.create("http://127.0.0.1:3601"));
    }

    @Test
    void aWrongAddressOrKeyIsNamedWithItsPlace() throws IOException {
        ConfigResult r = load("""
                  dapr:
                    httpEndpoint: localhost:3500
                    grpcEndpoint: localhost:50001
                """);
        String out = r.diagnostics().render();
        assertThat(out).contains("config.yaml:6:19: error: gateway dapr httpEndpoint 'localhost:3500' is not an http(s) URL");
        assertThat(out).contains("config.yaml:7:").contains("grpcEndpoint");
    }
}
