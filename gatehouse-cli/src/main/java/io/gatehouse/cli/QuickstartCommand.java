package io.gatehouse.cli;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.proxy.Gateway;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse quickstart}: a development PKI, a config, a demo backend that requires mTLS and
 * the gateway in front of it, with curl commands that work as printed.
 */
@Command(name = "quickstart", description = "Make a development PKI, a config and a demo mTLS backend, start the gateway, and print curl commands.")
final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".gatehouse/quickstart", description = "where to write the PKI and config (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--port", defaultValue = "8443", description = "the gateway's HTTPS port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--backend-port", defaultValue = "9443", description = "the demo backend's port (default: ${DEFAULT-VALUE})")
    int backendPort;

    @Option(names = "--admin-port", defaultValue = "9100", description = "the admin (metrics) port (default: ${DEFAULT-VALUE})")
    int adminPort;

    @Option(names = "--no-serve", description = "write the files and check the config, but do not start anything")
    boolean noServe;

    @Override
    public Integer call() throws Exception {
        Path root = dir.toAbsolutePath().normalize();
        Path pki = root.resolve("pki");
        Files.createDirectories(pki);
        makePki(pki);
        Path config = root.resolve("config.yaml");
        Files.writeString(config, config(), StandardCharsets.UTF_8);

        ConfigResult result = ConfigLoader.load(config);
        if (result.config() == null) {
            System.out.print(result.diagnostics().render());
            return 1;
        }
        if (noServe) {
            printInstructions(root, pki, config);
            return 0;
        }
        KeyMaterial backendKey = CertificateFiles.readKeyPair(pki.resolve("backend.pem"), pki.resolve("backend.key"), null);
        X509Certificate devRoot = CertificateFiles.readCertificates(pki.resolve("dev-root-ca.pem")).get(0);
        try (DemoBackend backend = new DemoBackend("127.0.0.1", backendPort, backendKey, devRoot)) {
            Gateway gateway = new Gateway(result.config()).start();
            // the commands come once both are listening, so that the first one pasted works
            printInstructions(root, pki, config);
            CountDownLatch stopRequested = new CountDownLatch(1);
            Signals.onTerminate(stopRequested::countDown);
            System.out.println("Gateway and demo backend running. Press Ctrl-C to stop.");
            System.out.flush();
            stopRequested.await();
            gateway.stop(Duration.ofSeconds(5));
        }
        return 0;
    }

    /** Makes the PKI once; later runs reuse it so issued client certificates stay valid. */
    private static void makePki(Path pki) throws IOException {
        if (Files.exists(pki.resolve("client.pem")) && Files.exists(pki.resolve("gateway-client.pfx"))) {
            return;
        }
        Duration year = Duration.ofDays(365);
        Pki.Issued ca = Pki.ca("CN=Gatehouse Dev Root CA,O=Gatehouse Quickstart", Duration.ofDays(3650));
        Pki.Issued gateway = Pki.issue(ca, Pki.IssueRequest.server("localhost", "localhost", "127.0.0.1").withValidity(year));
        Pki.Issued client = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US").withValidity(year));
        Pki.Issued backend = Pki.issue(ca, Pki.IssueRequest.server("localhost", "localhost", "127.0.0.1").withValidity(year));
        Pki.Issued gwClient = Pki.issue(ca, Pki.IssueRequest.client("CN=gatehouse-gateway,O=Gatehouse Quickstart").withValidity(year));
        write(pki.resolve("dev-root-ca.pem"), Pki.pem(ca.certificate()));
        writeKey(pki.resolve("dev-root-ca.key"), Pki.pem(ca.keyPair().getPrivate()));
        write(pki.resolve("gateway.pem"), Pki.pem(gateway.certificate(), ca.certificate()));
        writeKey(pki.resolve("gateway.key"), Pki.pem(gateway.keyPair().getPrivate()));
        write(pki.resolve("client.pem"), Pki.pem(client.certificate()));
        writeKey(pki.resolve("client.key"), Pki.pem(client.keyPair().getPrivate()));
        write(pki.resolve("backend.pem"), Pki.pem(backend.certificate(), ca.certificate()));
        writeKey(pki.resolve("backend.key"), Pki.pem(backend.keyPair().getPrivate()));
        byte[] pw = new byte[12];
        new SecureRandom().nextBytes(pw);
        String password = HexFormat.of().formatHex(pw);
        writeKey(pki.resolve("gateway-client.pfx.password"), password);
        byte[] pfx = Pki.pfx(new KeyMaterial(gwClient.keyPair().getPrivate(),
                java.util.List.of(gwClient.certificate(), ca.certificate())), password.toCharArray());
        PkiCommand.writeSecret(pki.resolve("gateway-client.pfx"), pfx);
    }

    private static void write(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8);
    }

    private static void writeKey(Path p, String text) throws IOException {
        PkiCommand.writeKey(p, text);
    }

    private String config() {
        return """
                # Written by `gatehouse quickstart`: one development CA signs every certificate here.
                # In production, keep the CA that signs client certificates apart from the others.
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                  accessLog:
                    format: console   # one short line per request; json (the default) for log pipelines
                hostnames:
                  - hostName: localhost
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify   # no certificate from the dev CA, no handshake
                    defaultSslBinding: true
                caCertificates:
                  - id: dev-root
                    file: pki/dev-root-ca.pem
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: pki/gateway.pem
                    keyFile: pki/gateway.key
                  - id: backend-client-cert                    # what the gateway presents to the backend
                    pfx: pki/gateway-client.pfx
                    password: ${file:pki/gateway-client.pfx.password}
                backends:
                  - id: demo-backend
                    url: https://localhost:%d
                    tls:
                      trustedCaCertificateIds: [dev-root]
                    credentials:
                      certificateIds: [backend-client-cert]
                    timeout: 30
                apis:
                  - id: patients
                    path: patients
                    backendId: demo-backend
                """.formatted(port, adminPort, backendPort);
    }

    private void printInstructions(Path root, Path pki, Path config) {
        String ca = q(pki.resolve("dev-root-ca.pem"));
        String cert = q(pki.resolve("client.pem"));
        String key = q(pki.resolve("client.key"));
        String url = "https://localhost:" + port + "/patients/123";
        System.out.println("""

                Gatehouse quickstart
                  files:   %s
                  config:  %s
                  gateway: https://localhost:%d  (client certificate required and verified)
                  backend: https://localhost:%d  (demo backend; requires the gateway's client certificate)
                  metrics: http://127.0.0.1:%d/metrics

                Try it (paste into this shell):

                  # with the client certificate: 200, and the backend says which certificate the gateway presented
                  curl --cacert %s --cert %s --key %s %s

                  # the same over HTTP/2
                  curl --http2 -sS -o /dev/null -w '%%{http_version} %%{http_code}\\n' --cacert %s --cert %s --key %s %s

                  # without a client certificate: the TLS handshake is refused (and the gateway logs why)
                  curl --cacert %s %s

                  # an unknown path: 404
                  curl -sS --cacert %s --cert %s --key %s https://localhost:%d/nothing-here

                Run it again later with: ./gatehouse run -c %s
                """.formatted(root, config, port, backendPort, adminPort,
                ca, cert, key, url,
                ca, cert, key, url,
                ca, url,
                ca, cert, key, port,
                q(config)));
    }

    private static String q(Path p) {
        String s = p.toString();
        return s.matches("[A-Za-z0-9_./:@%+=,-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
