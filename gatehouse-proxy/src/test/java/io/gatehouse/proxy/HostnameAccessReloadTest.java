package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connection keeps the hostname its handshake chose across reloads, and each request is judged
 * by the config serving now: an API newly bound to another hostname is 404 on the next request
 * of the same connection, an API newly requiring a certificate is 403, and a hostname a reload
 * removed is 421 (the client must connect again).
 */
class HostnameAccessReloadTest {
    @TempDir
    Path tmp;

    private static String config(TestWorld w, int port, int backendPort, String apiExtra, boolean withApiHost) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: open.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                %s  - hostName: strict.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                %s%s
                backends:
                  - id: svc
                    url: http://127.0.0.1:%d
                apis:
                  - id: svc
                    path: svc
                    backendId: svc
                %s""".formatted(port, withApiHost ? "  - hostName: api.gatehouse.test\n    certificateId: gateway-tls\n" : "",
                E2e.clientCas(w), E2e.gatewayCertificate(w), backendPort, apiExtra);
    }

    @Test
    void eachRequestOnAKeptConnectionIsJudgedByTheConfigServingNow() throws Exception {
        TestWorld w = new TestWorld(tmp.resolve("pki"));
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null);
             GatewayHarness gw = GatewayHarness.start(tmp, config(w, port, backend.port(), "", true));
             SSLSocket open = connect(w, port, TestWorld.OPEN_HOST);
             SSLSocket api = connect(w, port, TestWorld.API_HOST)) {
            assertThat(get(open, TestWorld.OPEN_HOST)).isEqualTo(200);
            assertThat(get(api, TestWorld.API_HOST)).isEqualTo(200);

            reload(gw, config(w, port, backend.port(), "    hostnames: [strict.gatehouse.test]\n", true));
            assertThat(get(open, TestWorld.OPEN_HOST)).isEqualTo(404);

            reload(gw, config(w, port, backend.port(), "    clientCertificate: required\n", true));
            assertThat(get(open, TestWorld.OPEN_HOST)).isEqualTo(403);

            reload(gw, config(w, port, backend.port(), "", false));
            assertThat(get(open, TestWorld.OPEN_HOST)).isEqualTo(200);
            assertThat(get(api, TestWorld.API_HOST)).isEqualTo(421);
        }
    }

    private static void reload(GatewayHarness gw, String yaml) {
        ConfigResult r = gw.reload(yaml);
        assertThat(r.diagnostics().hasErrors()).as(r.diagnostics().render()).isFalse();
    }

    private static SSLSocket connect(TestWorld w, int port, String sni) throws IOException {
        SSLSocket s = (SSLSocket) DownstreamMtlsTestSupport.trusting(w).getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        s.setSoTimeout(10_000);
        s.startHandshake();
        return s;
    }

    /** One keep-alive request; the status, with the response read to its Content-Length. */
    private static int get(SSLSocket s, String host) throws IOException {
        s.getOutputStream().write(("GET /svc/x HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(length);
        return Integer.parseInt(text.substring(9, 12));
    }
}
