package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a config, loads it the way {@code gatehouse run} does, and serves it in this JVM. */
public final class GatewayHarness implements AutoCloseable {
    public final Path configFile;
    public final Gateway gateway;

    private GatewayHarness(Path configFile, Gateway gateway) {
        this.configFile = configFile;
        this.gateway = gateway;
    }

    public static GatewayHarness start(Path dir, String yaml) {
        Path file = dir.resolve("gatehouse.yaml");
        write(file, yaml);
        ConfigResult result = ConfigLoader.load(file);
        assertThat(result.diagnostics().hasErrors()).as(result.diagnostics().render()).isFalse();
        return new GatewayHarness(file, new Gateway(result.config(), 2).start());
    }

    /** Rewrites the config and reloads it as SIGHUP would; returns the load result. */
    public ConfigResult reload(String yaml) {
        write(configFile, yaml);
        ConfigResult result = ConfigLoader.load(configFile);
        if (result.config() != null) {
            gateway.reload(result.config());
        }
        return result;
    }

    /**
     * A gateway listening in plain HTTP on {@code port} with one API, {@code /api}, forwarding to
     * {@code backendUrl} (backend {@code backendId}) with a {@code timeoutSeconds} answer timeout:
     * the configuration the raw-socket tests start from.
     */
    static String oneApi(int port, String api, String backendId, String backendUrl, int timeoutSeconds) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: %s
                    url: %s
                    timeout: %d
                apis:
                  - id: %s
                    path: %s
                    backendId: %s
                """.formatted(port, backendId, backendUrl, timeoutSeconds, api, api, backendId);
    }

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        gateway.close();
    }
}
