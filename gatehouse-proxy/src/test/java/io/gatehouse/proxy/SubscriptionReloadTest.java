package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload applies subscription changes to the next request: a suspended subscription's key is
 * refused, a new one works, and an API that stops requiring a key lets requests without one through.
 */
class SubscriptionReloadTest {
    static final String KEY = "reload-test-key-0123456789abcdef0123";
    static final String NEW_KEY = "reload-test-new-key-fedcba9876543210";

    @TempDir
    Path tmp;

    static String config(int port, String backend, String state, boolean required) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                subscriptions:
                  - id: app
                    scope: /apis/orders
                    primaryKey: %s
                    secondaryKey: %s
                    state: %s
                apis:
                  - id: orders
                    path: orders
                    serviceUrl: %s
                    subscriptionRequired: %s
                """.formatted(port, KEY, NEW_KEY, state, backend, required);
    }

    @Test
    void aReloadAppliesToTheNextRequest() throws Exception {
        int port = Ports.free();
        try (RecordingBackend backend = new RecordingBackend();
             GatewayHarness gw = GatewayHarness.start(tmp, config(port, backend.url(), "active", true))) {
            assertThat(status(port, KEY)).isEqualTo(200);
            assertThat(status(port, null)).isEqualTo(401);
            ConfigResult r = gw.reload(config(port, backend.url(), "suspended", true));
            assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
            assertThat(status(port, KEY)).isEqualTo(401);
            assertThat(status(port, NEW_KEY)).isEqualTo(401);
            gw.reload(config(port, backend.url(), "active", false));
            assertThat(status(port, NEW_KEY)).isEqualTo(200);
            assertThat(status(port, null)).isEqualTo(200);
        }
    }

    private static int status(int port, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders/1"))
                .timeout(Duration.ofSeconds(20));
        if (key != null) {
            b.header("Ocp-Apim-Subscription-Key", key);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
