package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.NginxBackend;
import io.gatehouse.proxy.Ports;
import io.gatehouse.proxy.Proc;
import io.gatehouse.proxy.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Private keys on a PKCS#11 token (SoftHSM2), end to end: the gateway runs as its own process
 * ({@code gatehouse run} / {@code validate}) with {@code SOFTHSM2_CONF} pointing at the test's own
 * token, since SoftHSM reads that variable from the environment of the process that loads it.
 * openssl s_client and curl handshake with a server key on the token (RSA and EC, TLS 1.2 and
 * 1.3); nginx checks a backend client certificate whose key is on the token; and the config
 * errors name file:line:col and never the PIN.
 */
class Pkcs11KeysTest {
    private static final String HOST = "api.gatehouse.test";
    private static final String PIN = "7294-1865";

    @TempDir
    Path tmp;

    private Map<String, String> env(SoftHsmToken token, String pin) {
        Map<String, String> env = new HashMap<>(token.env());
        env.put("GH_TOKEN_PIN", pin);
        return env;
    }

    private static String gateway(int port, String certificates, String backends, String apis) {
        return """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                hostnames:
                  - hostName: %s
                    certificateId: server
                    defaultSslBinding: true
                certificates:
                %s
                backends:
                %s
                apis:
                %s
                """.formatted(port, HOST, certificates.indent(2).stripTrailing(), backends.indent(2).stripTrailing(),
                apis.indent(2).stripTrailing());
    }

    @Test
    void rsaServerKeyOnTheTokenByTokenLabelAndKeyLabel() throws Exception {
        SoftHsmToken token = new SoftHsmToken(tmp.resolve("hsm"), "gatehouse-rsa", PIN);
        Path[] server = token.keyAndCertificate("server", "rsa", "/CN=" + HOST, "DNS:" + HOST, null, false);
        token.importKey(server, "server", "01", "server");
        String cert = """
                - id: server
                  pkcs11:
                    library: %s
                    tokenLabel: gatehouse-rsa
                    keyLabel: server
                    pin: ${env:GH_TOKEN_PIN}
                """.formatted(SoftHsmToken.LIBRARY);
        handshakes(token, server[1], cert, "RSA");
    }

    @Test
    void ecServerKeyOnTheTokenBySlotListIndexAndKeyIdWithTheChainFromAFile() throws Exception {
        SoftHsmToken token = new SoftHsmToken(tmp.resolve("hsm"), "gatehouse-ec", PIN);
        Path[] ca = token.keyAndCertificate("ca", "ec", "/CN=Token Test CA", null, null, false);
        Path[] server = token.keyAndCertificate("server", "ec", "/CN=" + HOST, "DNS:" + HOST, ca, false);
        token.importKey(server, "server", "a1b2", null); // no certificate label: SunPKCS11 names the entry 0xa1b2
        Path chain = tmp.resolve("server-chain.pem");
        Files.writeString(chain, Files.readString(server[1]) + Files.readString(ca[1]));
        String cert = """
                - id: server
                  certificateFile: %s
                  pkcs11:
                    library: %s
                    slotListIndex: 0
                    keyId: A1B2
                    pin: ${env:GH_TOKEN_PIN}
                """.formatted(chain, SoftHsmToken.LIBRARY);
        handshakes(token, ca[1], cert, "ECDSA");
    }

    private void handshakes(SoftHsmToken token, Path trust, String cert, String signatureType) throws Exception {
        String curl = ExternalTools.require("curl");
        int port = Ports.free();
        try (TestBackend backend = new TestBackend(null)) {
            Path cfg = tmp.resolve("gatehouse.yaml");
            Files.writeString(cfg, gateway(port, cert, """
                    - id: plain
                      url: http://127.0.0.1:%d
                    """.formatted(backend.port()), """
                    - id: echo
                      path: echo
                      backendId: plain
                    """));
            try (GatewayProcess gw = new GatewayProcess(tmp, List.of(SoftHsmToken.ADD_EXPORTS), env(token, PIN),
                    "run", "-c", cfg.toString())) {
                gw.awaitPort(port);
                for (String version : List.of("-tls1_2", "-tls1_3")) {
                    Proc p = SoftHsmToken.sClient(token.openssl, port, HOST, trust, version);
                    String out = p.stdout() + p.stderr();
                    assertThat(out).as(version + "\n" + out + gw.output())
                            .contains("Protocol version: TLSv1." + version.charAt(version.length() - 1))
                            .contains("Verification: OK")
                            .contains("CN = " + HOST)
                            .contains("Signature type: " + (signatureType.equals("RSA") && version.equals("-tls1_3")
                                    ? "RSA-PSS" : signatureType));
                }
                if (signatureType.equals("RSA")) {
                    // TLS 1.2 with PKCS#1 v1.5 and with PSS, each hashed on the token
                    for (String sigalg : List.of("RSA+SHA384", "rsa_pss_rsae_sha512")) {
                        Proc p = SoftHsmToken.sClient(token.openssl, port, HOST, trust, "-tls1_2", "-sigalgs", sigalg);
                        assertThat(p.stdout() + p.stderr()).as(sigalg + "\n" + p + gw.output())
                                .contains("Verification: OK")
                                .contains(sigalg.startsWith("rsa_pss") ? "Signature type: RSA-PSS" : "Signature type: RSA")
                                .contains(sigalg.endsWith("384") ? "Hash used: SHA384" : "Hash used: SHA512");
                    }
                    // the RSA key exchange: the token decrypts the premaster secret
                    Proc rsaKx = SoftHsmToken.sClient(token.openssl, port, HOST, trust, "-tls1_2", "-cipher", "AES128-GCM-SHA256");
                    assertThat(rsaKx.stdout() + rsaKx.stderr()).as(rsaKx + gw.output())
                            .contains("Ciphersuite: AES128-GCM-SHA256").contains("Verification: OK");
                }
                Proc c = Proc.run(List.of(curl, "-sS", "--max-time", "20", "--resolve", HOST + ":" + port + ":127.0.0.1",
                        "--cacert", trust.toString(), "-w", " %{http_code}", "https://" + HOST + ":" + port + "/echo/hello"),
                        null, null, 30);
                assertThat(c.stdout()).as(c + gw.output()).endsWith(" 200");
                // a reload opens the key again (the token's provider and login are kept) and serves it
                Files.writeString(cfg, Files.readString(cfg).replace("path: echo", "path: echo2"));
                String got = "";
                for (int i = 0; i < 100 && !got.endsWith(" 200"); i++) {
                    GatewayProcess.sleep(200);
                    got = Proc.run(List.of(curl, "-sS", "--max-time", "20", "--resolve", HOST + ":" + port + ":127.0.0.1",
                            "--cacert", trust.toString(), "-w", " %{http_code}", "https://" + HOST + ":" + port + "/echo2/hello"),
                            null, null, 30).stdout();
                }
                assertThat(got).as(gw.output()).endsWith(" 200");
                assertThat(gw.output()).contains("reloaded");
                Proc again = SoftHsmToken.sClient(token.openssl, port, HOST, trust, "-tls1_3");
                assertThat(again.stdout() + again.stderr()).as(again + gw.output()).contains("Verification: OK");
                assertThat(gw.output()).doesNotContain(PIN);
                assertThat(gw.stop()).isEqualTo(0);
            }
        }
    }

    @Test
    void backendClientCertificateWithItsKeyOnTheTokenIsCheckedByNginx() throws Exception {
        SoftHsmToken token = new SoftHsmToken(tmp.resolve("hsm"), "gatehouse-client", PIN);
        Path[] serverCa = token.keyAndCertificate("server-ca", "rsa", "/CN=Gateway Server CA", null, null, false);
        Path[] server = token.keyAndCertificate("server", "rsa", "/CN=" + HOST, "DNS:" + HOST, serverCa, false);
        Path[] backendCa = token.keyAndCertificate("backend-ca", "rsa", "/CN=Backend CA", null, null, false);
        Path[] backend = token.keyAndCertificate("backend", "rsa", "/CN=backend.gatehouse.test",
                "DNS:backend.gatehouse.test", backendCa, false);
        Path[] clientCa = token.keyAndCertificate("client-ca", "ec", "/CN=Gateway Client CA", null, null, false);
        Path[] client = token.keyAndCertificate("client", "ec", "/CN=gatehouse-on-token/O=Contoso", null, clientCa, true);
        // keyId of a certificate object with a label: found through that label
        token.importKey(client, "backend-client", "0c", "backend-client");
        Files.delete(client[0]);
        String curl = ExternalTools.require("curl");
        int port = Ports.free();
        try (NginxBackend nginx = new NginxBackend(tmp.resolve("nginx"), backend[1], backend[0], clientCa[1])) {
            Path cfg = tmp.resolve("gatehouse.yaml");
            Files.writeString(cfg, """
                    gateway:
                      listeners:
                        - port: %d
                          bind: 127.0.0.1
                    hostnames:
                      - hostName: %s
                        certificateId: server
                        defaultSslBinding: true
                    caCertificates:
                      - id: backend-ca
                        file: %s
                        storeName: Root
                    certificates:
                      - id: server
                        certificateFile: %s
                        keyFile: %s
                      - id: backend-client
                        pkcs11:
                          library: %s
                          tokenLabel: gatehouse-client
                          keyId: 0c
                          pin: ${file:%s}
                    backends:
                      - id: mtls
                        url: https://127.0.0.1:%d
                        tls:
                          serverName: backend.gatehouse.test
                          trustedCaCertificateIds: [backend-ca]
                        credentials:
                          certificateIds: [backend-client]
                    apis:
                      - id: orders
                        path: orders
                        backendId: mtls
                    """.formatted(port, HOST, backendCa[1], server[1], server[0], SoftHsmToken.LIBRARY,
                    writePin(), nginx.port));
            try (GatewayProcess gw = new GatewayProcess(tmp, List.of(SoftHsmToken.ADD_EXPORTS), token.env(),
                    "run", "-c", cfg.toString())) {
                gw.awaitPort(port);
                for (int i = 0; i < 3; i++) { // new backend connections each reuse the token key
                    Proc c = Proc.run(List.of(curl, "-sS", "--max-time", "20", "-H", "Connection: close", "--resolve",
                            HOST + ":" + port + ":127.0.0.1", "--cacert", serverCa[1].toString(),
                            "https://" + HOST + ":" + port + "/orders/" + i), null, null, 30);
                    assertThat(c.stdout()).as(c + gw.output() + nginx.log())
                            .contains("\"nginxSawClient\": \"O=Contoso,CN=gatehouse-on-token\"")
                            .contains("\"verify\": \"SUCCESS\"");
                }
                assertThat(gw.stop()).isEqualTo(0);
            }
        }
    }

    private Path writePin() throws Exception {
        Path f = tmp.resolve("token.pin");
        Files.writeString(f, PIN + "\n");
        return f;
    }

    @Test
    void configErrorsNameTheLineAndWhatWasExpectedAndNeverThePin() throws Exception {
        SoftHsmToken token = new SoftHsmToken(tmp.resolve("hsm"), "gatehouse-errors", PIN);
        Path[] server = token.keyAndCertificate("server", "rsa", "/CN=" + HOST, "DNS:" + HOST, null, false);
        token.importKey(server, "server", "01", "server");
        Path[] other = token.keyAndCertificate("other", "rsa", "/CN=other.gatehouse.test", "DNS:other.gatehouse.test",
                null, false);
        String wrongPin = "0000-9999";
        String cfgText = """
                gateway:
                  listeners:
                    - port: %d
                hostnames:
                  - hostName: %s
                    certificateId: server
                certificates:
                  - id: wrong-pin
                    pkcs11:
                      library: %3$s
                      tokenLabel: gatehouse-errors
                      keyLabel: server
                      pin: ${env:GH_WRONG_PIN}
                  - id: server
                    pkcs11:
                      library: %3$s
                      tokenLabel: gatehouse-errors
                      keyLabel: server
                      pin: ${env:GH_TOKEN_PIN}
                  - id: no-library
                    pkcs11:
                      library: /nonexistent/libpkcs11-module.so
                      slot: 0
                      keyLabel: server
                      pin: ${env:GH_TOKEN_PIN}
                  - id: no-token
                    pkcs11:
                      library: %3$s
                      tokenLabel: no-such-token
                      keyLabel: server
                      pin: ${env:GH_TOKEN_PIN}
                  - id: no-key
                    pkcs11:
                      library: %3$s
                      tokenLabel: gatehouse-errors
                      keyLabel: no-such-key
                      pin: ${env:GH_TOKEN_PIN}
                  - id: no-key-id
                    pkcs11:
                      library: %3$s
                      tokenLabel: gatehouse-errors
                      keyId: 7f
                      pin: ${env:GH_TOKEN_PIN}
                  - id: mismatch
                    certificateFile: %4$s
                    pkcs11:
                      library: %3$s
                      slot: %5$d
                      keyLabel: server
                      pin: ${env:GH_TOKEN_PIN}
                  - id: two-tokens
                    pkcs11:
                      library: %3$s
                      tokenLabel: gatehouse-errors
                      slotListIndex: 5
                      keyLabel: server
                      pin: ${env:GH_TOKEN_PIN}
                """.formatted(Ports.free(), HOST, SoftHsmToken.LIBRARY, other[1], token.slot);
        Path cfg = tmp.resolve("gatehouse.yaml");
        Files.writeString(cfg, cfgText);
        Map<String, String> env = env(token, PIN);
        env.put("GH_WRONG_PIN", wrongPin);
        try (GatewayProcess gw = new GatewayProcess(tmp, List.of(SoftHsmToken.ADD_EXPORTS), env, "validate", "-c",
                cfg.toString())) {
            assertThat(gw.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            String out = gw.output();
            assertThat(gw.process.exitValue()).as(out).isEqualTo(1);
            assertThat(out).as(out)
                    .contains(at(cfg, cfgText, "pin: ${env:GH_WRONG_PIN}", "${") + ": error: certificate 'wrong-pin': the token "
                            + "refused the PIN for token 'gatehouse-errors' (CKR_PIN_INCORRECT; expected the token's user PIN)")
                    .contains(at(cfg, cfgText, "library: /nonexistent", "/nonexistent")
                            + ": error: file not found: /nonexistent/libpkcs11-module.so (expected the path of the token's PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)")
                    .contains(at(cfg, cfgText, "tokenLabel: no-such-token", "no-such-token")
                            + ": error: certificate 'no-token': no token labelled 'no-such-token' in " + SoftHsmToken.LIBRARY
                            + " (tokens found: 'gatehouse-errors')")
                    .contains(at(cfg, cfgText, "keyLabel: no-such-key", "no-such-key")
                            + ": error: certificate 'no-key': no private key labelled 'no-such-key' on token 'gatehouse-errors' "
                            + "(keys found: 'server'")
                    .contains(at(cfg, cfgText, "keyId: 7f", "7f")
                            + ": error: certificate 'no-key-id': no private key with id 7f on token 'gatehouse-errors' "
                            + "(keys found: 'server'")
                    .contains(at(cfg, cfgText, "certificateFile: " + other[1], other[1].toString())
                            + ": error: certificate 'mismatch': the certificate 'CN=other.gatehouse.test' does not match key "
                            + "'server' on slot " + token.slot + " (expected the certificate issued for that key)")
                    .contains(at(cfg, cfgText, "slotListIndex: 5", "slotListIndex") + ": error: pkcs11 key of certificate "
                            + "'two-tokens' has both 'tokenLabel' and 'slotListIndex' (expected one)")
                    .doesNotContain(wrongPin).doesNotContain(PIN);
            // the certificate with the right PIN loaded: no error names it
            assertThat(out).doesNotContain("certificate 'server'");
        }
    }

    /** {@code file:line:col} of {@code column} within the first line containing {@code line}. */
    private static String at(Path cfg, String text, String line, String column) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(line)) {
                int col = lines[i].indexOf(column, lines[i].indexOf(line)) + 1;
                return cfg + ":" + (i + 1) + ":" + col;
            }
        }
        throw new AssertionError("no line with " + line);
    }
}
