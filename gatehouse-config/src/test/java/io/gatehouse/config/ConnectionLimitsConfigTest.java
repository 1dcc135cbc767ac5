package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.config.model.ConnectionLimits;
import io.gatehouse.config.model.GatewaySettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.timeouts}, {@code gateway.limits} and {@code listeners[].maxConnections}. */
class ConnectionLimitsConfigTest {
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
    void defaultsApplyWhenTheConfigSaysNothing() throws IOException {
        ConfigResult result = load("");

        assertThat(result.diagnostics().render()).isEmpty();
        GatewaySettings g = result.config().model().gateway();
        ConnectionLimits l = g.connectionLimits();
        assertThat(l.handshake()).isEqualTo(Duration.ofSeconds(10));
        assertThat(l.requestHeader()).isEqualTo(Duration.ofSeconds(30));
        assertThat(l.keepAliveIdle()).isEqualTo(Duration.ofSeconds(60));
        assertThat(l.bodyIdle()).isEqualTo(Duration.ofSeconds(60));
        assertThat(l.writeIdle()).isEqualTo(Duration.ofSeconds(60));
        assertThat(l.maxRequestsPerConnection()).isEqualTo(1000);
        assertThat(l.maxConnectionsDerived()).isTrue();
        assertThat(l.maxConnections()).isEqualTo(ConnectionLimits.derivedMaxConnections()).isBetween(16, 10_000);
        assertThat(g.listeners().get(0).maxConnections()).isNull();
        assertThat(g.maxConnections(g.listeners().get(0))).isEqualTo(l.maxConnections());
    }

    @Test
    void theDerivedLimitIsHalfTheOpenFileLimitLessAReserveCappedAt10000() {
        assertThat(ConnectionLimits.derivedMaxConnections(1024)).isEqualTo((1024 - 64) / 2);
        assertThat(ConnectionLimits.derivedMaxConnections(1_048_576)).isEqualTo(10_000);
        assertThat(ConnectionLimits.derivedMaxConnections(50)).isEqualTo(16);
        assertThat(ConnectionLimits.derivedMaxConnections(-1)).isEqualTo(10_000);
    }

    @Test
    void everyValueCanBeSetAndAListenerOverridesTheLimit() throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                    - port: 8081
                      tls: false
                      maxConnections: 7
                  timeouts:
                    handshake: 2
                    requestHeader: 1.5
                    keepAliveIdle: 3
                    bodyIdle: 4
                    writeIdle: 5
                  limits:
                    maxConnections: 20
                    maxRequestsPerConnection: 3
                apis:
                  - id: a
                    path: a
                    serviceUrl: http://backend.local
                """);
        ConfigResult result = ConfigLoader.load(file, Map.of());

        assertThat(result.diagnostics().render()).isEmpty();
        GatewaySettings g = result.config().model().gateway();
        assertThat(g.connectionLimits()).isEqualTo(new ConnectionLimits(Duration.ofSeconds(2), Duration.ofMillis(1500),
                Duration.ofSeconds(3), Duration.ofSeconds(4), Duration.ofSeconds(5), 20, false, 3));
        assertThat(g.maxConnections(g.listeners().get(0))).isEqualTo(20);
        assertThat(g.maxConnections(g.listeners().get(1))).isEqualTo(7);
    }

    @Test
    void wrongValuesAndUnknownKeysAreErrorsThatSayWhereAndWhatWasExpected() throws IOException {
        ConfigResult result = load("""
                  timeouts:
                    keepAliveIdel: 5
                    bodyIdle: 0
                    writeIdle: soon
                  limits:
                    maxConnections: 0
                    maxRequestsPerConection: 3
                  requestHeader: 4
                """);

        assertThat(result.ok()).isFalse();
        assertThat(result.diagnostics().all()).extracting(d -> d.line() + ":" + d.column() + " " + d.message())
                .containsExactlyInAnyOrder(
                        "6:5 unknown key 'keepAliveIdel' in gateway timeouts (did you mean 'keepAliveIdle'?)",
                        "7:15 expected a number of seconds for 'bodyIdle' in gateway timeouts (more than 0), found '0'",
                        "8:16 expected a number of seconds for 'writeIdle' in gateway timeouts (more than 0), found 'soon'",
                        "10:21 maxConnections 0 in gateway limits is out of range (expected: a whole number of 1 or more)",
                        "11:5 unknown key 'maxRequestsPerConection' in gateway limits (did you mean 'maxRequestsPerConnection'?)",
                        "12:3 unknown key 'requestHeader' in gateway (it belongs under 'gateway timeouts')");
        assertThat(result.diagnostics().render()).contains("config.yaml:6:5: error: unknown key 'keepAliveIdel'");
    }
}
