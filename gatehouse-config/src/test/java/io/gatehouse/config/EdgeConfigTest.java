package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.GatehouseConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge's settings: {@code gateway.trustedProxies}, {@code gateway.identityHeaders}, {@code apis[].forwardClientCertificate}. */
class EdgeConfigTest {
    @TempDir
    Path dir;

    private ConfigResult load(String gatewayExtra, String apiExtra) throws IOException {
        Path file = dir.resolve("config.yaml");
        Files.writeString(file, """
                gateway:
                  listeners:
                    - port: 8080
                      tls: false
                %s
                apis:
                  - id: patients
                    path: patients
                    serviceUrl: http://backend.local:9080
                %s
                """.formatted(gatewayExtra, apiExtra));
        return ConfigLoader.load(file, Map.of());
    }

    @Test
    void theDefaultsTrustNoProxyAddNoIdentityNamesAndForwardNoCertificate() throws IOException {
        ConfigResult r = load("", "");
        assertThat(r.diagnostics().all()).isEmpty();
        GatehouseConfig m = r.config().model();
        assertThat(m.gateway().trustedProxies()).isEmpty();
        assertThat(m.gateway().identityHeaders()).isEmpty();
        assertThat(m.apis().getFirst().forwardClientCertificate()).isEqualTo(ApiConfig.ForwardClientCertificate.NONE);
    }

    @Test
    void readsAddressesRangesNamesPrefixesAndFormats() throws IOException {
        ConfigResult r = load("""
                  trustedProxies: [10.0.0.0/8, 192.168.1.7, "fd00::/8", "::1"]
                  identityHeaders: [X-Employee-Id, X-Tenant-*]
                """, "    forwardClientCertificate: rfc9440");
        assertThat(r.diagnostics().render()).isEmpty();
        GatehouseConfig m = r.config().model();
        assertThat(m.gateway().trustedProxies()).containsExactly("10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1");
        assertThat(m.gateway().identityHeaders()).containsExactly("X-Employee-Id", "X-Tenant-*");
        assertThat(m.apis().getFirst().forwardClientCertificate()).isEqualTo(ApiConfig.ForwardClientCertificate.RFC9440);
        assertThat(load("", "    forwardClientCertificate: xfcc").config().model().apis().getFirst()
                .forwardClientCertificate()).isEqualTo(ApiConfig.ForwardClientCertificate.XFCC);
    }

    @Test
    void badValuesAreErrorsWithTheirPositionAndWhatWasExpected() throws IOException {
        ConfigResult r = load("""
                  trustedProxies: [10.0.0.0/33, proxy.internal, 10.0.0.0/8]
                  identityHeaders: ["X Bad Name"]
                """, "    forwardClientCertificate: pem");
        assertThat(r.ok()).isFalse();
        String out = r.diagnostics().render();
        assertThat(out).contains("config.yaml:5:20: error: trustedProxies: '10.0.0.0/33' has an invalid prefix length"
                + " (expected /0 to /32)");
        assertThat(out).contains("config.yaml:5:33: error: trustedProxies: 'proxy.internal' is not an IPv4 or IPv6 "
                + "address (expected an address or a range such as 10.0.0.0/8 or fd00::/8)");
        assertThat(out).doesNotContain("/32) (expected");
        assertThat(out).contains("config.yaml:6:21: error: identityHeaders: 'X Bad Name' is not a header name");
        assertThat(out).contains("config.yaml:12:31: error: unknown forwardClientCertificate 'pem' (expected none,"
                + " rfc9440");
    }

    @Test
    void aListIsExpected() throws IOException {
        ConfigResult r = load("  trustedProxies: 10.0.0.0/8\n", "");
        assertThat(r.diagnostics().render()).contains("config.yaml:5:19: error: expected a list of address ranges");
    }
}
