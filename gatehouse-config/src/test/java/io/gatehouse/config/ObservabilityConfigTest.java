package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.AccessLogSettings;
import io.gatehouse.config.model.GatewaySettings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gateway.accessLog}, {@code gateway.trace} and {@code gateway.telemetry}. */
class ObservabilityConfigTest {
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

    private ConfigResult load(String gatewayExtra, Map<String, String> env) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, BASE.formatted(gatewayExtra));
        return ConfigLoader.load(file, env);
    }

    @Test
    void withoutSettingsTheAccessLogIsJsonOnStandardOutputAndTracingAndSpansAreOff() throws IOException {
        ConfigResult r = load("", Map.of());

        assertThat(r.diagnostics().render()).isEmpty();
        GatewaySettings g = r.config().model().gateway();
        assertThat(g.accessLog().format()).isEqualTo(AccessLogSettings.Format.JSON);
        assertThat(g.accessLog().file()).isNull();
        assertThat(g.accessLog().queryString()).isFalse();
        assertThat(g.accessLog().bufferLines()).isEqualTo(AccessLogSettings.DEFAULT_BUFFER_LINES);
        assertThat(g.trace().enabled()).isFalse();
        assertThat(g.telemetry().enabled()).isFalse();
        assertThat(g.telemetry().serviceName()).isEqualTo("gatehouse");
        assertThat(g.telemetry().sampleRatio()).isEqualTo(1.0);
    }

    @Test
    void everySettingIsRead() throws IOException {
        ConfigResult r = load("""
                  accessLog:
                    format: console
                    file: access.log
                    queryString: true
                    bufferLines: 64
                  trace:
                    keys:
                      - ${env:TRACE_KEY}
                    retention: 60
                    maxTraces: 5
                  telemetry:
                    serviceName: edge-1
                    sampleRatio: 0.25
                    otlp:
                      endpoint: http://127.0.0.1:4318
                      headers:
                        api-key: ${env:OTLP_KEY}
                """, Map.of("TRACE_KEY", "0123456789abcdef0123", "OTLP_KEY", "k-secret"));

        assertThat(r.diagnostics().render()).isEmpty();
        GatewaySettings g = r.config().model().gateway();
        assertThat(g.accessLog().format()).isEqualTo(AccessLogSettings.Format.CONSOLE);
        assertThat(g.accessLog().file()).isEqualTo(dir.resolve("access.log"));
        assertThat(g.accessLog().queryString()).isTrue();
        assertThat(g.accessLog().bufferLines()).isEqualTo(64);
        assertThat(g.trace().keys()).hasSize(1);
        assertThat(g.trace().keys().get(0).revealString()).isEqualTo("0123456789abcdef0123");
        assertThat(g.trace().retention()).isEqualTo(Duration.ofSeconds(60));
        assertThat(g.trace().maxTraces()).isEqualTo(5);
        assertThat(g.telemetry().otlpEndpoint()).isEqualTo(URI.create("http://127.0.0.1:4318"));
        assertThat(g.telemetry().serviceName()).isEqualTo("edge-1");
        assertThat(g.telemetry().sampleRatio()).isEqualTo(0.25);
        assertThat(g.telemetry().otlpHeaders().get("api-key").revealString()).isEqualTo("k-secret");
        assertThat(g.telemetry().otlpHeaders().get("api-key").toString()).doesNotContain("k-secret");
    }

    @Test
    void wrongValuesAreNamedWithTheirPlaceAndWhatWasExpected() throws IOException {
        ConfigResult r = load("""
                  accessLog:
                    format: xml
                    file: no-such-folder/access.log
                    bufferLines: 3
                  trace:
                    keys:
                      - short-key-here
                  telemetry:
                    sampleRatio: 2
                    otlp:
                      endpoint: collector:4318
                """, Map.of());

        String out = r.diagnostics().render();
        assertThat(out).contains("config.yaml:6:13: error: unknown accessLog format 'xml' (expected one of: json, console, off)");
        assertThat(out).contains("config.yaml:7:11: error: accessLog file 'no-such-folder/access.log': the folder");
        assertThat(out).contains("config.yaml:8:18: error: bufferLines 3 is out of range (expected 16 to 1048576 lines)");
        assertThat(out).contains("config.yaml:11:9: error: a trace key must be at least 16 characters");
        assertThat(out).doesNotContain("short-key-here");
        assertThat(out).contains("config.yaml:13:18: error: sampleRatio '2' is not a share of requests (expected a number from 0 to 1");
        assertThat(out).contains("config.yaml:15:17: error: otlp endpoint 'collector:4318' is not an http(s) URL");
    }
}
