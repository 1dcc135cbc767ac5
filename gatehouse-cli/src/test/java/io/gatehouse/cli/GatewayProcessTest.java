package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.Proc;
import io.gatehouse.proxy.TestBackend;
import io.gatehouse.proxy.TestWorld;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatehouse run} as a separate process: streaming in a small heap, reload by file change and SIGHUP, SIGTERM. */
class GatewayProcessTest {
    private static final long BIG = 200L * 1024 * 1024;

    @TempDir
    Path tmp;

    private static String config(TestWorld w, int port, int backendPort, String apiPath) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                certificates:
                  - id: gateway-tls
                    certificateFile: pki/gateway.pem
                    keyFile: pki/gateway.key
                backends:
                  - id: files
                    url: http://127.0.0.1:%d
                    timeout: 120
                apis:
                  - id: files
                    path: %s
                    backendId: files
                """.formatted(port, backendPort, apiPath);
    }

    private List<String> curl(TestWorld w, int port, String... args) {
        String curl = ExternalTools.require("curl");
        List<String> cmd = new java.util.ArrayList<>(List.of(curl, "-sS", "--max-time", "120",
                "--resolve", "api.gatehouse.test:" + port + ":127.0.0.1", "--cacert", w.path("gateway-ca.pem")));
        cmd.addAll(List.of(args));
        return cmd;
    }

    @Test
    void streams200MegabytesEachWayWithA128MegabyteHeap() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        Path cfg = tmp.resolve("gatehouse.yaml");
        Path upload = tmp.resolve("upload.bin");
        try (RandomAccessFile f = new RandomAccessFile(upload.toFile(), "rw")) {
            f.setLength(BIG);
        }
        try (TestBackend backend = new TestBackend(null)) {
            Files.writeString(cfg, config(w, port, backend.port(), "files"));
            try (GatewayProcess gw = new GatewayProcess(tmp, List.of("-Xmx128m"), "run", "-c", cfg.toString())) {
                gw.awaitPort(port);
                String base = "https://api.gatehouse.test:" + port + "/files";
                Proc up = Proc.run(curl(w, port, "-T", upload.toString(), base + "/upload"), null, null, 180);
                assertThat(up.stdout()).as(up + gw.output()).isEqualTo("{\"received\": " + BIG + "}");
                Proc down = Proc.run(curl(w, port, "-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                        base + "/download?bytes=" + BIG), null, null, 180);
                assertThat(down.stdout()).as(down + gw.output()).isEqualTo("200 " + BIG);
                assertThat(gw.process.isAlive()).isTrue();
                System.out.println("gateway peak RSS after 2 x 200 MB with -Xmx128m: " + gw.peakRssKb() / 1024 + " MB");
                assertThat(gw.output()).doesNotContain("OutOfMemoryError");
                assertThat(gw.stop()).isEqualTo(0);
            }
        } finally {
            Files.deleteIfExists(upload);
        }
    }

    @Test
    void reloadsOnFileChangeAndSighupAndKeepsServingThroughABrokenEdit() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        Path cfg = tmp.resolve("gatehouse.yaml");
        try (TestBackend backend = new TestBackend(null)) {
            Files.writeString(cfg, config(w, port, backend.port(), "v1"));
            try (GatewayProcess gw = new GatewayProcess(tmp, List.of("-Xmx256m"), "run", "-c", cfg.toString())) {
                gw.awaitPort(port);
                String v1 = "https://api.gatehouse.test:" + port + "/v1/x";
                String v2 = "https://api.gatehouse.test:" + port + "/v2/x";
                assertThat(status(w, port, v1)).isEqualTo("200");

                Files.writeString(cfg, config(w, port, backend.port(), "v2")); // watched: reloads by itself
                awaitStatus(w, port, v2, "200");
                assertThat(status(w, port, v1)).isEqualTo("404");

                Files.writeString(cfg, config(w, port, backend.port(), "v3").replace("backendId: files", "backendId: nope"));
                gw.awaitOutput("reload refused", 15);
                gw.awaitOutput("unknown backend 'nope'", 5); // the diagnostics follow, one log line each
                assertThat(gw.output()).contains("gatehouse.yaml:");
                assertThat(status(w, port, v2)).isEqualTo("200");

                // SIGHUP reloads too (here the file is fixed while watching would also catch it)
                Files.writeString(cfg, config(w, port, backend.port(), "v4"));
                gw.signal("HUP");
                awaitStatus(w, port, "https://api.gatehouse.test:" + port + "/v4/x", "200");
                assertThat(gw.stop()).isEqualTo(0);
                assertThat(gw.output()).contains("stopped");
            }
        }
    }

    private String status(TestWorld w, int port, String url) {
        return Proc.run(curl(w, port, "-o", "/dev/null", "-w", "%{http_code}", url), null, null, 30).stdout().trim();
    }

    private void awaitStatus(TestWorld w, int port, String url, String expected) {
        String last = "";
        for (int i = 0; i < 100; i++) {
            last = status(w, port, url);
            if (last.equals(expected)) {
                return;
            }
            GatewayProcess.sleep(100);
        }
        throw new AssertionError(url + " answered " + last + ", expected " + expected);
    }
}
