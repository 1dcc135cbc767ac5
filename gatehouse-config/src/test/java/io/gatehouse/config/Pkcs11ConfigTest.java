package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.config.model.CertificateConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code certificates[].pkcs11} as the reader reads it: the keys, their one-of rules and their
 * errors at file:line:col. Nothing here loads a PKCS#11 module (a token's own errors are in the
 * CLI's Pkcs11KeysTest, against SoftHSM2).
 */
class Pkcs11ConfigTest {
    @TempDir
    Path dir;

    private static final String HEAD = """
            gateway:
              listeners:
                - port: 8443
            hostnames:
              - hostName: api.contoso.local
                certificateId: gateway-tls
            certificates:
              - id: gateway-tls
                certificateFile: certs/gateway.pem
                keyFile: certs/gateway.key
            """;

    private ConfigResult load(String certificates) throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        Files.writeString(dir.resolve("libtoken.so"), "not really a module");
        Path cfg = dir.resolve("config.yaml");
        Files.writeString(cfg, HEAD + certificates);
        return ConfigLoader.load(cfg, Map.of("TOKEN_PIN", "4711-0815"));
    }

    private List<String> errors(ConfigResult r) {
        return r.diagnostics().all().stream().filter(Diagnostic::isError)
                .map(d -> d.line() + ":" + d.column() + " " + d.message()).toList();
    }

    @Test
    void theReaderTakesEachWayOfNamingTheTokenAndTheKey() throws IOException {
        // parsed only: the model holds them (loading the module is the material loader's job, and
        // this "module" is not one, so the load itself reports an error at 'library')
        ConfigResult r = load("""
                  - id: by-index
                    pkcs11:
                      library: libtoken.so
                      slotListIndex: 0
                      keyLabel: server
                      pin: ${env:TOKEN_PIN}
                """);
        // SunPKCS11 cannot load a file that is not a PKCS#11 module: the error is at 'library'
        assertThat(errors(r)).singleElement().asString()
                .startsWith("13:16 certificate 'by-index': cannot use slot list index 0 of the PKCS#11 library ")
                .endsWith("(expected a PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so)")
                .doesNotContain("4711-0815");
        // the module's path is said once, not repeated by the JDK's loader message
        String only = errors(r).get(0);
        assertThat(only.indexOf("libtoken.so")).isEqualTo(only.lastIndexOf("libtoken.so"));
        Path cfg = dir.resolve("config.yaml");
        Files.writeString(cfg, HEAD + """
                  - id: by-slot
                    certificateFile: certs/gateway.pem
                    pkcs11:
                      library: libtoken.so
                      slot: 1860939522
                      keyId: "0xA1B2"
                      pin: ${env:TOKEN_PIN}
                  - id: by-index
                    pkcs11:
                      library: libtoken.so
                      slotListIndex: 0
                      keyLabel: client
                      pin: literal-pin
                """);
        io.gatehouse.common.Diagnostics d = new io.gatehouse.common.Diagnostics();
        ConfigReader reader = new ConfigReader(cfg.toString(), new ConfigFiles(cfg), Map.of("TOKEN_PIN", "4711-0815"), d);
        var config = reader.read(new YamlParser(cfg.toString(), d).parse(Files.readString(cfg)), cfg);
        assertThat(d.all()).isEmpty();
        CertificateConfig bySlot = config.certificates().get(1);
        assertThat(bySlot.pkcs11().slot()).isEqualTo(1860939522L);
        assertThat(bySlot.pkcs11().keyId()).isEqualTo("a1b2");
        assertThat(bySlot.pkcs11().pin().revealString()).isEqualTo("4711-0815");
        assertThat(bySlot.certificateFile()).isEqualTo(dir.resolve("certs/gateway.pem"));
        assertThat(bySlot.hasPrivateKey()).isTrue();
        assertThat(bySlot.pkcs11().toString()).doesNotContain("4711-0815");
        CertificateConfig byIndex = config.certificates().get(2);
        assertThat(byIndex.pkcs11().slotListIndex()).isZero();
        assertThat(byIndex.pkcs11().keyLabel()).isEqualTo("client");
        assertThat(byIndex.certificateFile()).isNull();
    }

    @Test
    void errorsNameTheKeyAndWhatWasExpected() throws IOException {
        ConfigResult r = load("""
                  - id: none
                    pkcs11:
                      library: libtoken.so
                      pin: ${env:TOKEN_PIN}
                  - id: both
                    keyFile: certs/gateway.key
                    pkcs11:
                      library: missing/libtoken.so
                      tokenLabel: a
                      slotListIndex: 0
                      keyLabel: k
                      keyId: "zz"
                      pin: ${env:TOKEN_PIN}
                  - id: bad-values
                    pkcs11:
                      library: libtoken.so
                      slot: first
                      keyId: "abc"
                      pinn: 1234
                  - id: negative
                    pkcs11:
                      library: libtoken.so
                      slotListIndex: -1
                      keyLabel: k
                      pin: ${env:TOKEN_PIN}
                """);
        assertThat(errors(r)).containsExactlyInAnyOrder(
                "13:7 pkcs11 key of certificate 'none' needs the token: 'tokenLabel', 'slot', 'slotListIndex' (one of them)",
                "13:7 pkcs11 key of certificate 'none' needs the key: 'keyLabel', 'keyId' (one of them)",
                "16:5 certificate 'both': 'keyFile' cannot be used with 'pkcs11' (the key is on the token; 'certificateFile' "
                        + "may give the certificate chain)",
                "18:16 file not found: " + dir.resolve("missing/libtoken.so") + " (expected the path of the token's PKCS#11 "
                        + "module, e.g. /usr/lib/softhsm/libsofthsm2.so)",
                "20:7 pkcs11 key of certificate 'both' has both 'tokenLabel' and 'slotListIndex' (expected one)",
                "22:7 pkcs11 key of certificate 'both' has both 'keyLabel' and 'keyId' (expected one)",
                "27:13 expected a slot id for 'slot' in pkcs11 key (a whole number, as 'softhsm2-util --show-slots' or "
                        + "'pkcs11-tool -L' prints it), found 'first'",
                "28:14 expected the key's CKA_ID in hex for 'keyId' in pkcs11 key (pairs of hex digits, e.g. 01 or a1b2), "
                        + "found 'abc'",
                "29:7 unknown key 'pinn' in pkcs11 key (did you mean 'pin'?)",
                "26:7 missing required key 'pin' in pkcs11 key",
                "33:22 'slotListIndex' in pkcs11 key must be 0 or more, found -1");
        assertThat(String.join("\n", errors(r))).doesNotContain("4711-0815");
    }

    @Test
    void aTokenKeyMustBeTheOnlyCertificateOfItsBackend() throws IOException {
        ConfigResult r = load("""
                  - id: on-token
                    pkcs11:
                      library: libtoken.so
                      slotListIndex: 0
                      keyLabel: client
                      pin: ${env:TOKEN_PIN}
                backends:
                  - id: labs
                    url: https://labs.contoso.local
                    credentials:
                      certificateIds: [gateway-tls, on-token]
                """);
        assertThat(errors(r)).anySatisfy(e -> assertThat(e).startsWith("21:37 ")
                .contains("certificate 'on-token' has its key on a PKCS#11 token, so it must be the only one in backend"
                        + " 'labs' credentials.certificateIds"));
    }
}
