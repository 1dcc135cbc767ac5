package io.gatehouse.cli;

import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gatehouse pki}: a development PKI (not for production CAs). */
@Command(name = "pki", description = "Development PKI: make a CA, issue certificates, inspect one, convert PEM to PFX.",
        subcommands = {PkiCommand.Ca.class, PkiCommand.Issue.class, PkiCommand.Inspect.class, PkiCommand.Pfx.class})
final class PkiCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Writes a private key (or a password) readable by its owner only. */
    static void writeKey(Path p, String pem) throws java.io.IOException {
        writeSecret(p, pem.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes secret bytes (a key, a PFX) so that they are never readable by others, not even for a
     * moment: into a new file created with mode 0600 beside the target, then renamed over it.
     */
    static void writeSecret(Path p, byte[] bytes) throws java.io.IOException {
        Path target = p.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        }
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Command(name = "ca", description = "Make a self-signed CA: OUT.pem and OUT.key.")
    static final class Ca implements Callable<Integer> {
        @Option(names = "--subject", defaultValue = "CN=Gatehouse Dev CA", description = "subject DN (default: ${DEFAULT-VALUE})")
        String subject;
        @Option(names = "--days", defaultValue = "3650")
        int days;
        @Option(names = "--out", required = true, description = "output path without extension, e.g. certs/ca")
        String out;

        @Override
        public Integer call() throws Exception {
            Pki.Issued ca = Pki.ca(subject, Duration.ofDays(days));
            Files.writeString(Path.of(out + ".pem"), Pki.pem(ca.certificate()));
            writeKey(Path.of(out + ".key"), Pki.pem(ca.keyPair().getPrivate()));
            System.out.println("wrote " + out + ".pem and " + out + ".key");
            System.out.println(Pki.inspect(ca.certificate()).toText());
            return 0;
        }
    }

    @Command(name = "issue", description = "Issue a server or client certificate signed by a CA: OUT.pem (with the CA), OUT.key.")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--ca", required = true, description = "CA certificate (PEM)")
        Path caCert;
        @Option(names = "--ca-key", required = true, description = "CA private key (PEM)")
        Path caKey;
        @Option(names = "--server", description = "a server certificate (serverAuth)")
        boolean server;
        @Option(names = "--client", description = "a client certificate (clientAuth)")
        boolean client;
        @Option(names = "--subject", required = true, description = "subject DN, e.g. \"CN=clinic-app,O=Contoso,C=US\"")
        String subject;
        @Option(names = "--san", split = ",", description = "DNS names and IP addresses, comma-separated")
        List<String> sans = new ArrayList<>();
        @Option(names = "--days", defaultValue = "365")
        int days;
        @Option(names = "--out", required = true, description = "output path without extension")
        String out;

        @Override
        public Integer call() throws Exception {
            if (!server && !client) {
                System.err.println("gatehouse pki issue: say --server, --client or both");
                return 2;
            }
            X509Certificate caCertificate = CertificateFiles.readCertificates(caCert).get(0);
            KeyPair caPair = new KeyPair(caCertificate.getPublicKey(), CertificateFiles.readPrivateKey(caKey, null));
            Pki.Issued ca = new Pki.Issued(caPair, caCertificate, List.of(caCertificate));
            List<String> dns = new ArrayList<>();
            List<String> ips = new ArrayList<>();
            for (String s : sans) {
                (s.matches("[0-9.]+|.*:.*") ? ips : dns).add(s.trim());
            }
            java.time.Instant now = java.time.Instant.now();
            Pki.IssueRequest req = new Pki.IssueRequest(subject, dns, ips, server, client,
                    now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(days)), Pki.KeyAlgorithm.EC_P256);
            Pki.Issued issued = Pki.issue(ca, req);
            Files.writeString(Path.of(out + ".pem"), Pki.pem(issued.certificate(), caCertificate));
            writeKey(Path.of(out + ".key"), Pki.pem(issued.keyPair().getPrivate()));
            System.out.println("wrote " + out + ".pem (certificate and CA) and " + out + ".key");
            System.out.println(Pki.inspect(issued.certificate()).toText());
            return 0;
        }
    }

    @Command(name = "inspect", description = "Show a certificate as APIM shows it: subject, issuer, SANs, serial, validity, thumbprints. Reads PEM, DER and PFX (PKCS#12; its password from $GATEHOUSE_PFX_PASSWORD, else none).")
    static final class Inspect implements Callable<Integer> {
        @Parameters(arity = "1..*", description = "PEM, DER or PFX (.pfx, .p12) files")
        List<Path> files;
        @Option(names = "--password-env", defaultValue = "GATEHOUSE_PFX_PASSWORD",
                description = "the environment variable holding a PFX's password (default: ${DEFAULT-VALUE}; unset: no password)")
        String passwordEnv;

        @Override
        public Integer call() {
            for (Path f : files) {
                List<X509Certificate> certs = isPfx(f) ? pfxChain(f) : CertificateFiles.readCertificates(f);
                if (certs.isEmpty()) {
                    System.err.println("gatehouse pki inspect: " + f + " holds no certificate");
                    return 1;
                }
                for (int i = 0; i < certs.size(); i++) {
                    System.out.println(f + (certs.size() > 1 ? " [" + i + "]" : "") + ":");
                    System.out.println(Pki.inspect(certs.get(i)).toText());
                }
            }
            return 0;
        }

        /** A PFX by its name (.pfx, .p12). */
        private static boolean isPfx(Path f) {
            String name = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
            return name.endsWith(".pfx") || name.endsWith(".p12");
        }

        /** The PFX's certificate chain (leaf first), opened with the password from {@link #passwordEnv}. */
        private List<X509Certificate> pfxChain(Path f) {
            String password = System.getenv(passwordEnv);
            return CertificateFiles.readPfx(f, password == null ? new char[0] : password.toCharArray()).chain();
        }
    }

    @Command(name = "pfx", description = "Convert a PEM certificate (chain) and key into a PFX (PKCS#12).")
    static final class Pfx implements Callable<Integer> {
        @Option(names = "--cert", required = true)
        Path cert;
        @Option(names = "--key", required = true)
        Path key;
        @Option(names = "--out", required = true)
        Path out;
        @Option(names = "--password-env", description = "name of the environment variable holding the password (default: GATEHOUSE_PFX_PASSWORD)",
                defaultValue = "GATEHOUSE_PFX_PASSWORD")
        String passwordEnv;

        @Override
        public Integer call() throws Exception {
            String password = System.getenv(passwordEnv);
            if (password == null) {
                System.err.println("gatehouse pki pfx: set the password in $" + passwordEnv + " (it is never taken on the command line)");
                return 2;
            }
            KeyMaterial km = CertificateFiles.readKeyPair(cert, key, null);
            writeSecret(out, Pki.pfx(km, password.toCharArray()));
            System.out.println("wrote " + out);
            return 0;
        }
    }
}
