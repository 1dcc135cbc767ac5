package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.Proc;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command: the curl commands it prints work when pasted into a shell. */
class QuickstartTest {
    @TempDir
    Path tmp;

    @Test
    void printedCurlCommandsWorkAsPrinted() {
        ExternalTools.require("curl");
        int port = Ports.free();
        int backendPort = Ports.free();
        int adminPort = Ports.free();
        Path dir = tmp.resolve("my quickstart"); // a space, to prove the printed paths are quoted
        try (GatewayProcess gw = new GatewayProcess(tmp, List.of("-Xmx256m"), "quickstart", "--dir", dir.toString(),
                "--port", Integer.toString(port), "--backend-port", Integer.toString(backendPort),
                "--admin-port", Integer.toString(adminPort))) {
            gw.awaitOutput("Press Ctrl-C", 60);
            List<String> curls = gw.output().lines().map(String::strip).filter(l -> l.startsWith("curl ")).toList();
            assertThat(curls).hasSize(4);
            String out = gw.output();
            assertThat(out.indexOf("Gatehouse serving")).as("the gateway serves before the commands are printed\n" + out)
                    .isNotNegative().isLessThan(out.indexOf("curl "));

            Proc ok = bash(curls.get(0));
            assertThat(ok.exitCode()).as(ok.toString()).isEqualTo(0);
            assertThat(ok.stdout()).contains("\"gatewayCertificateSeen\": \"CN=gatehouse-gateway, O=Gatehouse Quickstart\"")
                    .contains("\"path\": \"/123\"");

            Proc h2 = bash(curls.get(1));
            assertThat(h2.stdout().trim()).as(h2.toString()).isEqualTo("2 200");

            Proc noCert = bash(curls.get(2));
            assertThat(noCert.exitCode()).as(noCert.toString()).isNotEqualTo(0);
            gw.awaitOutput("TLS handshake from 127.0.0.1 for hostname 'localhost' failed", 10);

            Proc notFound = bash(curls.get(3));
            assertThat(notFound.stdout()).contains("\"statusCode\": 404");

            Proc metrics = Proc.run(List.of(ExternalTools.require("curl"), "-sS", "http://127.0.0.1:" + adminPort + "/metrics"),
                    null, null, 30);
            assertThat(metrics.stdout()).contains("gatehouse_requests_total{api=\"patients\"")
                    .contains("gatehouse_certificate_not_after_seconds{id=\"gateway-tls\",kind=\"certificate\"}");
            assertThat(gw.stop()).isEqualTo(0);
        }
    }

    private static Proc bash(String command) {
        return Proc.run(List.of("bash", "-c", command), null, null, 60);
    }
}
