package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.CertificateInventory;
import io.gatehouse.tls.Pki;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin port's {@code GET /certificates}, the {@code gatehouse_certificates_expiring} gauge and
 * the expiry warnings in the log, on a gateway whose server certificate expires in ten days.
 */
class CertificateStatusTest {

    @TempDir
    Path dir;

    private String config(int port, int adminPort, String extra) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                  admin:
                    port: %d
                %s
                hostnames:
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                caCertificates:
                  - id: partner-root
                    file: %s
                    storeName: Root
                certificates:
                  - id: gateway-tls
                    certificateFile: %s
                    keyFile: %s
                  - id: backend-client
                    pfx: %s
                    password: s3cret-pfx-password
                backends:
                  - id: labs
                    url: https://127.0.0.1:9
                    tls:
                      trustedCaCertificateIds: [partner-root]
                    credentials:
                      certificateIds: [backend-client]
                """.formatted(port, adminPort, extra, dir.resolve("root.pem"), dir.resolve("server.pem"),
                dir.resolve("server.key"), dir.resolve("client.pfx"));
    }

    @Test
    void adminPortListsEveryCertificateWithItsExpiryAndUsers() throws Exception {
        Pki.Issued root = Pki.ca("CN=Partner Root,O=Fabrikam", Duration.ofDays(365));
        Pki.Issued server = Pki.issue(root, Pki.IssueRequest.server("api.gatehouse.test", "api.gatehouse.test")
                .withValidity(Duration.ofDays(10)));
        Pki.Issued client = Pki.issue(root, Pki.IssueRequest.client("CN=gatehouse-labs").withValidity(Duration.ofDays(200)));
        Files.writeString(dir.resolve("root.pem"), Pki.pem(root.certificate()));
        Files.writeString(dir.resolve("server.pem"), Pki.pem(server.certificate()));
        Files.writeString(dir.resolve("server.key"), Pki.pem(server.keyPair().getPrivate()));
        Files.write(dir.resolve("client.pfx"), Pki.pfx(client.keyMaterial(), "s3cret-pfx-password".toCharArray()));
        int port = Ports.free();
        int adminPort = Ports.free();
        try (LogCapture logs = new LogCapture();
                GatewayHarness gw = GatewayHarness.start(dir, config(port, adminPort, ""))) {
            String warning = logs.await(l -> l.contains("certificate 'gateway-tls'") && l.contains("expires in"),
                    Duration.ofSeconds(5));
            assertThat(warning).contains("expires in 9 days").contains("used by hostname 'api.gatehouse.test'")
                    .contains(DotNetNames.thumbprint(server.certificate()));
            assertThat(logs.lines()).noneMatch(l -> l.contains("'backend-client'") && l.contains("expires"));

            String body = get(adminPort, "/certificates");
            assertThat(body).doesNotContain("s3cret").doesNotContain("PRIVATE");
            JsonNode doc = new ObjectMapper().readTree(body);
            assertThat(doc.path("expiryWarningDays").asInt()).isEqualTo(30);
            JsonNode tls = find(doc, "gateway-tls");
            assertThat(tls.path("kind").asText()).isEqualTo("certificate");
            assertThat(tls.path("source").asText()).isEqualTo("file");
            assertThat(tls.path("subject").asText()).isEqualTo("CN=api.gatehouse.test");
            assertThat(tls.path("issuer").asText()).isEqualTo("CN=Partner Root, O=Fabrikam");
            assertThat(tls.path("thumbprint").asText()).isEqualTo(DotNetNames.thumbprint(server.certificate()));
            assertThat(tls.path("sha256").asText()).isEqualTo(DotNetNames.sha256(server.certificate()));
            assertThat(tls.path("daysLeft").asInt()).isEqualTo(9);
            assertThat(tls.path("expiringSoon").asBoolean()).isTrue();
            assertThat(tls.path("hasPrivateKey").asBoolean()).isTrue();
            assertThat(tls.path("usedBy").toString()).contains("hostname 'api.gatehouse.test'");
            assertThat(Instant.parse(tls.path("lastRefresh").asText())).isBefore(Instant.now().plusSeconds(1));
            assertThat(tls.path("lastError").isNull()).isTrue();
            JsonNode pfx = find(doc, "backend-client");
            assertThat(pfx.path("source").asText()).isEqualTo("pfx");
            assertThat(pfx.path("expiringSoon").asBoolean()).isFalse();
            assertThat(pfx.path("usedBy").toString()).contains("backend 'labs'");
            JsonNode ca = find(doc, "partner-root");
            assertThat(ca.path("kind").asText()).isEqualTo("ca");
            assertThat(ca.path("usedBy").toString()).contains("trusted root").contains("backend 'labs'");
            assertThat(ca.path("daysLeft").asInt()).isBetween(363, 365);
            assertThat(get(adminPort, "/metrics")).contains("gatehouse_certificates_expiring 1.0");

            // a shorter warning period, reloaded: nothing is near expiry any more
            gw.reload(config(port, adminPort, "  certificates:\n    expiryWarningDays: 5"));
            JsonNode after = new ObjectMapper().readTree(get(adminPort, "/certificates"));
            assertThat(after.path("expiryWarningDays").asInt()).isEqualTo(5);
            assertThat(find(after, "gateway-tls").path("expiringSoon").asBoolean()).isFalse();
            assertThat(get(adminPort, "/metrics")).contains("gatehouse_certificates_expiring 0.0");
        }
    }

    @Test
    void anExpiringCertificateIsWarnedAboutOnceADay() throws Exception {
        Pki.Issued root = Pki.ca("CN=Partner Root,O=Fabrikam", Duration.ofDays(365));
        Pki.Issued server = Pki.issue(root, Pki.IssueRequest.server("api.gatehouse.test", "api.gatehouse.test")
                .withValidity(Duration.ofDays(3)));
        Pki.Issued client = Pki.issue(root, Pki.IssueRequest.client("CN=gatehouse-labs").withValidity(Duration.ofDays(200)));
        Files.writeString(dir.resolve("root.pem"), Pki.pem(root.certificate()));
        Files.writeString(dir.resolve("server.pem"), Pki.pem(server.certificate()));
        Files.writeString(dir.resolve("server.key"), Pki.pem(server.keyPair().getPrivate()));
        Files.write(dir.resolve("client.pfx"), Pki.pfx(client.keyMaterial(), "s3cret-pfx-password".toCharArray()));
        Path file = dir.resolve("gatehouse.yaml");
        Files.writeString(file, config(Ports.free(), Ports.free(), ""));
        var loaded = io.gatehouse.config.ConfigLoader.load(file).config();
        Instant now = Instant.now();
        CertificateWatch watch = new CertificateWatch(CertificateInventory.of(loaded, now), new GatewayMetrics());
        assertThat(watch.check(now)).isEqualTo(1);
        assertThat(watch.check(now.plus(Duration.ofHours(1)))).isZero();
        assertThat(watch.check(now.plus(Duration.ofHours(25)))).isEqualTo(1);
        // 190 days on, the backend's client certificate is within 30 days of expiry too (the server's has expired)
        assertThat(watch.check(now.plus(Duration.ofDays(190)))).isEqualTo(2);
        // a reload with the same certificates keeps what was warned (only certificates gone from the config are forgotten)
        watch.update(CertificateInventory.of(loaded, now));
        assertThat(watch.check(now.plus(Duration.ofDays(190).plusHours(1)))).isZero();
    }

    private static JsonNode find(JsonNode doc, String id) {
        for (JsonNode c : doc.path("certificates")) {
            if (c.path("id").asText().equals(id)) {
                return c;
            }
        }
        throw new AssertionError("no certificate '" + id + "' in " + doc);
    }

    private static String get(int adminPort, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }
}
