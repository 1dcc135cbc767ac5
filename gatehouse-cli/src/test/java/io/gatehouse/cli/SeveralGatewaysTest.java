package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.Proc;
import io.gatehouse.proxy.TestBackend;
import io.gatehouse.proxy.TestWorld;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code gatehouse run} processes on the same config files, mounted the way the kubelet mounts
 * a ConfigMap and a Secret (timestamped folders behind a {@code ..data} symlink): both show the same
 * {@code configHash} on {@code /health}; after a ConfigMap update (a real {@code ..data} swap) both
 * reload on their own and converge on the new hash, and serve the new routes. Their ports differ
 * through {@code ${env:}} (which is not part of the hash), as pods' addresses differ in a cluster.
 */
class SeveralGatewaysTest {
    @TempDir
    Path tmp;
    private int version;

    private static String config(String apiPath, int backendPort) {
        return """
                gateway:
                  listeners:
                    - port: ${env:GATEHOUSE_PORT}
                      bind: 127.0.0.1
                  admin:
                    port: ${env:GATEHOUSE_ADMIN_PORT}
                  drainTimeout: 5
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                certificates:
                  - id: gateway-tls
                    certificateFile: ../tls/tls.crt
                    keyFile: ../tls/tls.key
                policies:
                  global: global.xml
                backends:
                  - id: svc
                    url: http://127.0.0.1:%d
                apis:
                  - id: svc
                    path: %s
                    backendId: svc
                """.formatted(backendPort, apiPath);
    }

    private static final String POLICY = """
            <policies>
              <inbound><set-header name="x-from" exists-action="override"><value>gatehouse</value></set-header></inbound>
              <backend><forward-request timeout="10" /></backend>
            </policies>
            """;

    @Test
    void twoGatewaysOnOneConfigMapShowOneHashAndConvergeAfterAnUpdate() throws Exception {
        TestWorld w = new TestWorld(Files.createDirectories(tmp.resolve("pki")));
        try (TestBackend backend = new TestBackend(null)) {
            Path configDir = tmp.resolve("etc/config");
            mount(configDir, Map.of("gatehouse.yaml", config("v1", backend.port()), "global.xml", POLICY));
            mount(tmp.resolve("etc/tls"), Map.of("tls.crt", Files.readString(w.file("gateway.pem")),
                    "tls.key", Files.readString(w.file("gateway.key"))));
            Path cfg = configDir.resolve("gatehouse.yaml");
            int[] ports = {Ports.free(), Ports.free()};
            int[] admins = {Ports.free(), Ports.free()};
            try (GatewayProcess a = start(cfg, ports[0], admins[0]); GatewayProcess b = start(cfg, ports[1], admins[1])) {
                a.awaitPort(admins[0], 120);
                b.awaitPort(admins[1], 120);
                String first = health(admins[0]).path("configHash").asText();
                assertThat(first).matches("sha256:[0-9a-f]{64}");
                assertThat(health(admins[1]).path("configHash").asText()).as("the second gateway's hash").isEqualTo(first);
                assertThat(first).isEqualTo(localHash(cfg, ports[0], admins[0]));
                assertThat(status(w, ports[0], "/v1/x")).isEqualTo("200");
                assertThat(status(w, ports[1], "/v1/x")).isEqualTo("200");

                swap(configDir, Map.of("gatehouse.yaml", config("v2", backend.port()), "global.xml", POLICY));

                String next = awaitNewHash(admins[0], first);
                assertThat(awaitNewHash(admins[1], first)).as("both converge on one hash").isEqualTo(next);
                assertThat(next).isEqualTo(localHash(cfg, ports[0], admins[0]));
                for (int i = 0; i < 2; i++) {
                    JsonNode h = health(admins[i]);
                    assertThat(h.path("configGeneration").asInt()).isEqualTo(2);
                    assertThat(h.path("reloads").path("ok").asInt()).isEqualTo(1);
                    assertThat(h.path("lastReload").path("outcome").asText()).isEqualTo("ok");
                    assertThat(status(w, ports[i], "/v2/x")).isEqualTo("200");
                    assertThat(status(w, ports[i], "/v1/x")).isEqualTo("404");
                }
                assertThat(a.stop()).isZero();
                assertThat(b.stop()).isZero();
            }
        }
    }

    private GatewayProcess start(Path cfg, int port, int admin) {
        return new GatewayProcess(tmp, List.of("-Xmx128m"),
                Map.of("GATEHOUSE_PORT", Integer.toString(port), "GATEHOUSE_ADMIN_PORT", Integer.toString(admin)),
                "run", "-c", cfg.toString());
    }

    private static String localHash(Path cfg, int port, int admin) {
        ConfigResult r = ConfigLoader.load(cfg, Map.of("GATEHOUSE_PORT", Integer.toString(port),
                "GATEHOUSE_ADMIN_PORT", Integer.toString(admin)));
        assertThat(r.ok()).as("%s", r.diagnostics().render()).isTrue();
        return r.config().contentHash();
    }

    private static String awaitNewHash(int admin, String old) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String h = old;
        while (System.nanoTime() < deadline) {
            h = health(admin).path("configHash").asText();
            if (!h.equals(old)) {
                return h;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the gateway on admin port " + admin + " still shows " + h + " 20 s after the ..data swap");
    }

    private static JsonNode health(int admin) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + admin + "/health")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    private static String status(TestWorld w, int port, String path) {
        String curl = ExternalTools.require("curl");
        return Proc.run(List.of(curl, "-sS", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}",
                "--resolve", "api.gatehouse.test:" + port + ":127.0.0.1", "--cacert", w.path("gateway-ca.pem"),
                "https://api.gatehouse.test:" + port + path), null, null, 40).stdout().trim();
    }

    /** The kubelet's first write of a volume: a timestamped folder, {@code ..data} pointing at it, a symlink per key. */
    private void mount(Path volume, Map<String, String> files) throws IOException {
        Files.createDirectories(volume);
        Path ts = writeVersion(volume, files);
        Files.createSymbolicLink(volume.resolve("..data"), ts.getFileName());
        for (String key : files.keySet()) {
            Files.createSymbolicLink(volume.resolve(key), Path.of("..data", key));
        }
    }

    /** The kubelet's update: a new timestamped folder, {@code ..data_tmp} renamed over {@code ..data}, the old folder removed. */
    private void swap(Path volume, Map<String, String> files) throws IOException {
        Path old = volume.resolve(Files.readSymbolicLink(volume.resolve("..data")));
        Path ts = writeVersion(volume, files);
        Path link = Files.createSymbolicLink(volume.resolve("..data_tmp"), ts.getFileName());
        Files.move(link, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        try (Stream<Path> walk = Files.walk(old)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private Path writeVersion(Path volume, Map<String, String> files) throws IOException {
        version++;
        Path ts = Files.createDirectories(volume.resolve(String.format("..2026_12_07_18_00_%02d.%09d", version, version)));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(ts.resolve(f.getKey()), f.getValue());
        }
        return ts;
    }
}
