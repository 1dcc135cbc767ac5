package io.gatehouse.proxy;

import java.util.ArrayList;
import java.util.List;

/** Shared helpers for the end-to-end tests: configs and real clients. */
final class E2e {
    private E2e() {
    }

    /** The hostnames block used by the downstream tests: one per client-certificate mode. */
    static String hostnames() {
        return """
                hostnames:
                  - hostName: open.gatehouse.test
                    certificateId: gateway-tls
                    defaultSslBinding: true
                  - hostName: api.gatehouse.test
                    certificateId: gateway-tls
                    negotiateClientCertificate: true
                  - hostName: require.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require
                  - hostName: verify.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: verify-if-given
                  - hostName: strict.gatehouse.test
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                """;
    }

    static String clientCas(TestWorld w) {
        return """
                caCertificates:
                  - id: client-ca
                    file: %s
                    storeName: Root
                  - id: client-issuing-ca
                    file: %s
                    storeName: CertificateAuthority
                """.formatted(w.path("client-ca.pem"), w.path("client-int.pem"));
    }

    static String gatewayCertificate(TestWorld w) {
        return """
                certificates:
                  - id: gateway-tls
                    certificateFile: %s
                    keyFile: %s
                """.formatted(w.path("gateway.pem"), w.path("gateway.key"));
    }

    /** A curl result: the HTTP status (0 when there was no response), the body, curl's exit code. */
    record CurlResult(int status, String httpVersion, String body, int exitCode, String stderr) {
        boolean handshakeFailed() {
            return status == 0 && exitCode != 0;
        }
    }

    /**
     * curl to https://HOST:PORT/PATH with the test hostnames resolved to 127.0.0.1; {@code cert}
     * is a base name in the test world ("client", "lab-chain"...), or null for none.
     */
    static CurlResult curl(TestWorld w, String host, int port, String path, String cert, String... extra) {
        String curl = ExternalTools.require("curl");
        List<String> cmd = new ArrayList<>(List.of(curl, "-sS", "--max-time", "20",
                "--resolve", host + ":" + port + ":127.0.0.1",
                "--cacert", w.path("gateway-ca.pem"),
                "-w", "\n%{http_code} %{http_version}"));
        if (cert != null) {
            String key = cert.equals("lab-chain") ? "lab" : cert;
            cmd.addAll(List.of("--cert", w.path(cert + ".pem"), "--key", w.path(key + ".key")));
        }
        cmd.addAll(List.of(extra));
        cmd.add("https://" + host + ":" + port + path);
        Proc p = Proc.run(cmd, null, null, 60);
        String out = p.stdout();
        int nl = out.lastIndexOf('\n');
        String[] tail = out.substring(nl + 1).trim().split(" ");
        int status = tail.length > 0 && tail[0].matches("\\d+") ? Integer.parseInt(tail[0]) : 0;
        String version = tail.length > 1 ? tail[1] : "";
        return new CurlResult(status, version, nl >= 0 ? out.substring(0, nl) : "", p.exitCode(), p.stderr());
    }
}
