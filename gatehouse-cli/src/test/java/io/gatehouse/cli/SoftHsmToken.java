package io.gatehouse.cli;

import static org.junit.jupiter.api.Assertions.fail;

import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.Proc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * A SoftHSM2 token of a test's own, in its own token folder: {@code SOFTHSM2_CONF} names a config
 * file whose {@code directories.tokendir} is a temporary folder. SoftHSM reads that variable when
 * the library is loaded, so only a process started with {@link #env()} (a gateway in its own JVM,
 * {@link GatewayProcess}) sees the token; this JVM never loads the library. Keys and certificates
 * are made with openssl, imported with {@code softhsm2-util --import} (PKCS#8) and
 * {@code pkcs11-tool --write-object} (the certificate, with the key's id).
 */
final class SoftHsmToken {
    static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    /** The JVM option the gateway needs to look tokens up by label (the launcher's jar manifest has it). */
    static final String ADD_EXPORTS = "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";

    final Path dir;
    final Path conf;
    final String label;
    final String pin;
    private final String softhsm;
    private final String pkcs11Tool;
    final String openssl;
    /** The slot id SoftHSM gave the token ("reassigned to slot N"). */
    final long slot;

    SoftHsmToken(Path dir, String label, String pin) {
        this.softhsm = ExternalTools.require("softhsm2-util");
        this.pkcs11Tool = ExternalTools.require("pkcs11-tool");
        this.openssl = ExternalTools.require("openssl");
        if (!Files.isRegularFile(Path.of(LIBRARY))) {
            String msg = LIBRARY + " is missing (apt-get install softhsm2); .ci/run installs it";
            if (Boolean.getBoolean("gatehouse.requireExternalTools")) {
                fail(msg);
            }
            Assumptions.abort(msg);
        }
        this.dir = dir;
        this.label = label;
        this.pin = pin;
        try {
            Files.createDirectories(dir.resolve("tokens"));
            conf = dir.resolve("softhsm2.conf");
            Files.writeString(conf, "directories.tokendir = " + dir.resolve("tokens") + "\nobjectstore.backend = file\n"
                    + "log.level = ERROR\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String out = run(softhsm, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "so-" + pin);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("reassigned to slot (\\d+)").matcher(out);
        if (!m.find()) {
            throw new AssertionError("softhsm2-util did not say which slot the token is in:\n" + out);
        }
        slot = Long.parseLong(m.group(1));
    }

    Map<String, String> env() {
        return Map.of("SOFTHSM2_CONF", conf.toString());
    }

    /** Makes a key pair ("rsa" or "ec") and a certificate issued by {@code ca} (self-signed when null). */
    Path[] keyAndCertificate(String name, String kind, String subject, String san, Path[] ca, boolean client) {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        Path ext = dir.resolve(name + ".ext");
        try {
            Files.writeString(ext, (san != null ? "subjectAltName=" + san + "\n" : "")
                    + (ca == null && !client && san == null ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                    : "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature"
                            + (kind.equals("rsa") ? ",keyEncipherment" : "") + "\nextendedKeyUsage="
                            + (client ? "clientAuth" : "serverAuth") + "\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> gen = new ArrayList<>(List.of(openssl, "genpkey", "-out", key.toString()));
        if (kind.equals("rsa")) {
            gen.addAll(List.of("-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"));
        } else {
            gen.addAll(List.of("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"));
        }
        run(gen.toArray(String[]::new));
        run(openssl, "req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
        if (ca == null) {
            run(openssl, "x509", "-req", "-in", csr.toString(), "-signkey", key.toString(), "-days", "365",
                    "-extfile", ext.toString(), "-out", cert.toString());
        } else {
            run(openssl, "x509", "-req", "-in", csr.toString(), "-CA", ca[1].toString(), "-CAkey", ca[0].toString(),
                    "-CAcreateserial", "-days", "365", "-extfile", ext.toString(), "-out", cert.toString());
        }
        return new Path[] {key, cert};
    }

    /** Puts the key (PKCS#8) and its certificate on the token with {@code idHex}; the certificate gets {@code certLabel} (none when null). */
    void importKey(Path[] keyAndCert, String keyLabel, String idHex, String certLabel) {
        Path p8 = dir.resolve(keyLabel + "-" + idHex + ".p8");
        Path der = dir.resolve(keyLabel + "-" + idHex + ".der");
        run(openssl, "pkcs8", "-topk8", "-nocrypt", "-in", keyAndCert[0].toString(), "-out", p8.toString());
        run(softhsm, "--import", p8.toString(), "--token", label, "--label", keyLabel, "--id", idHex, "--pin", pin);
        run(openssl, "x509", "-in", keyAndCert[1].toString(), "-outform", "DER", "-out", der.toString());
        List<String> write = new ArrayList<>(List.of(pkcs11Tool, "--module", LIBRARY, "--token-label", label, "--login",
                "--pin", pin, "--write-object", der.toString(), "--type", "cert", "--id", idHex));
        if (certLabel != null) {
            write.addAll(List.of("--label", certLabel));
        }
        run(write.toArray(String[]::new));
        try {
            Files.delete(p8); // the key is on the token now
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String run(String... cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env());
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new AssertionError(String.join(" ", cmd).replace(pin, "****") + " failed:\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static Proc sClient(String openssl, int port, String host, Path caFile, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(openssl, "s_client", "-connect", "127.0.0.1:" + port, "-servername", host,
                "-CAfile", caFile.toString(), "-verify_return_error", "-brief"));
        cmd.addAll(List.of(extra));
        return Proc.run(cmd, null, "Q\n", 30);
    }
}
