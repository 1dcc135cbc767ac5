package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.ConfigWatcher;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.DownstreamTls;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.SslContextFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates rotated the way Kubernetes updates a mounted Secret: the files are symlinks
 * through {@code ..data}, which is swapped in one rename to a new timestamped folder. Under a loop
 * of requests, the server certificate and the backend client certificate both change with no
 * failed request: new handshakes get the new server certificate, and requests after the reload
 * reach the backend over connections made with the new client certificate.
 */
class SecretMountRotationTest {
    @TempDir
    Path tmp;

    @Test
    void aSymlinkSwapOfTheMountedSecretRotatesBothCertificatesWithoutAFailedRequest() throws Exception {
        Pki.Issued serverCa = Pki.ca("CN=Mount Test Server CA", Duration.ofDays(30));
        Pki.Issued clientCa = Pki.ca("CN=Mount Test Client CA", Duration.ofDays(30));
        Path mount = tmp.resolve("secret");
        Files.createDirectories(mount);
        writeVersion(mount, "..2026_12_07_a", serverCa, clientCa, "gw-2026a");
        Files.createSymbolicLink(mount.resolve("..data"), Path.of("..2026_12_07_a"));
        for (String f : List.of("tls.crt", "tls.key", "client.crt", "client.key")) {
            Files.createSymbolicLink(mount.resolve(f), Path.of("..data").resolve(f));
        }
        try (TestBackend backend = new TestBackend(SslContextFactory.downstream(new DownstreamTls(
                Pki.issue(serverCa, Pki.IssueRequest.server("backend.gatehouse.test", "127.0.0.1")).keyMaterial(),
                ClientCertificateMode.REQUIRE_AND_VERIFY, CaStore.of(List.of(clientCa.certificate()), List.of(), List.of()),
                RevocationMode.OFF, "1.2")), "mtls")) {
            Files.writeString(tmp.resolve("server-ca.pem"), Pki.pem(serverCa.certificate()));
            int port = Ports.free();
            Path config = tmp.resolve("gatehouse.yaml");
            Files.writeString(config, """
                    gateway:
                      listeners:
                        - port: %d
                          bind: 127.0.0.1
                    hostnames:
                      - hostName: api.gatehouse.test
                        certificateId: api-tls
                        defaultSslBinding: true
                    caCertificates:
                      - id: server-ca
                        file: server-ca.pem
                        storeName: Root
                    certificates:
                      - id: api-tls
                        certificateFile: secret/tls.crt
                        keyFile: secret/tls.key
                      - id: backend-client
                        certificateFile: secret/client.crt
                        keyFile: secret/client.key
                    backends:
                      - id: labs
                        url: https://127.0.0.1:%d
                        tls:
                          trustedCaCertificateIds: [server-ca]
                          validateCertificateName: false
                        credentials:
                          certificateIds: [backend-client]
                    apis:
                      - id: labs
                        path: labs
                        backendId: labs
                    """.formatted(port, backend.port()));
            ConfigResult first = ConfigLoader.load(config);
            assertThat(first.config()).as(first.diagnostics().render()).isNotNull();
            try (Gateway gateway = new Gateway(first.config(), 2).start();
                    ConfigWatcher watcher = new ConfigWatcher(config, r -> {
                        if (r.config() != null) {
                            gateway.reload(r.config());
                        }
                    })) {
                watcher.start(first.watchedFiles());
                SSLContext trust = trusting(serverCa.certificate());
                URI uri = URI.create("https://api.gatehouse.test:" + port + "/labs/records");
                assertThat(serverCertificate(trust, uri).getSubjectX500Principal().getName())
                        .isEqualTo("CN=api.gatehouse.test");
                X509Certificate before = serverCertificate(trust, uri);

                AtomicBoolean running = new AtomicBoolean(true);
                AtomicInteger ok = new AtomicInteger();
                ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
                ConcurrentHashMap<String, AtomicInteger> presented = new ConcurrentHashMap<>();
                Thread[] loops = new Thread[3];
                for (int i = 0; i < loops.length; i++) {
                    boolean freshConnections = i == 0;
                    loops[i] = new Thread(() -> {
                        HttpClient client = client(trust);
                        int n = 0;
                        while (running.get()) {
                            if (freshConnections && n++ % 5 == 0) {
                                client = client(trust); // new handshakes, as new clients make
                            }
                            try {
                                HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri)
                                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() == 200) {
                                    ok.incrementAndGet();
                                    String who = r.body().replaceAll("(?s).*\"gatewayCertificate\": \"([^\"]*)\".*", "$1");
                                    presented.computeIfAbsent(who, k -> new AtomicInteger()).incrementAndGet();
                                } else {
                                    failures.merge("status " + r.statusCode() + ": " + r.body(), 1, Integer::sum);
                                }
                            } catch (Exception e) {
                                failures.merge(e.toString(), 1, Integer::sum);
                            }
                        }
                    });
                    loops[i].start();
                }
                Thread.sleep(500);
                // what the kubelet does: write the new version beside the old, then swap ..data in one rename
                writeVersion(mount, "..2026_12_07_b", serverCa, clientCa, "gw-2026b");
                Files.createSymbolicLink(mount.resolve("..data_tmp"), Path.of("..2026_12_07_b"));
                Files.move(mount.resolve("..data_tmp"), mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                while (gateway.generation() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(gateway.generation()).as("reloads after the swap").isEqualTo(2);
                int afterReload = presented.getOrDefault("CN=gw-2026b", new AtomicInteger()).get();
                Thread.sleep(1000);
                running.set(false);
                for (Thread t : loops) {
                    t.join(15_000);
                }
                assertThat(failures).as("failed requests during the rotation").isEmpty();
                assertThat(ok.get()).isGreaterThan(30);
                assertThat(presented.keySet()).as("client certificates the backend saw")
                        .containsExactlyInAnyOrder("CN=gw-2026a", "CN=gw-2026b");
                assertThat(presented.get("CN=gw-2026b").get()).as("requests after the reload")
                        .isGreaterThan(afterReload);
                X509Certificate after = serverCertificate(trust, uri);
                assertThat(after.getSerialNumber()).isNotEqualTo(before.getSerialNumber());
                assertThat(after).isEqualTo(io.gatehouse.tls.CertificateFiles.readCertificates(
                        mount.resolve("tls.crt")).get(0));
                // and a request made now reaches the backend with the new client certificate only
                HttpResponse<String> now = client(trust).send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(now.body()).contains("\"gatewayCertificate\": \"CN=gw-2026b\"");
            }
        }
    }

    private static void writeVersion(Path mount, String folder, Pki.Issued serverCa, Pki.Issued clientCa, String clientCn)
            throws Exception {
        Path dir = Files.createDirectories(mount.resolve(folder));
        Pki.Issued server = Pki.issue(serverCa, Pki.IssueRequest.server("api.gatehouse.test", "api.gatehouse.test"));
        Pki.Issued client = Pki.issue(clientCa, Pki.IssueRequest.client("CN=" + clientCn));
        Files.writeString(dir.resolve("tls.crt"), Pki.pem(server.certificate()));
        Files.writeString(dir.resolve("tls.key"), Pki.pem(server.keyPair().getPrivate()));
        Files.writeString(dir.resolve("client.crt"), Pki.pem(client.certificate()));
        Files.writeString(dir.resolve("client.key"), Pki.pem(client.keyPair().getPrivate()));
    }

    private static HttpClient client(SSLContext trust) {
        return HttpClient.newBuilder().sslContext(trust).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static X509Certificate serverCertificate(SSLContext trust, URI uri) throws Exception {
        HttpResponse<String> r = client(trust).send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return (X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0];
    }

    private static SSLContext trusting(X509Certificate ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
