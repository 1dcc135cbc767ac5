package io.gatehouse.config;

import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The certificates the config tests refer to, made fresh for each test run with {@link Pki}
 * (no binary fixtures). Written into a {@code certs/} folder next to a test's config:
 *
 * <ul>
 *   <li>{@code ca.pem} root CA, {@code ca.crl} its (empty) CRL, {@code intermediate.pem} an intermediate
 *       (also as DER in {@code intermediate.cer}, the way the APIM portal exports it)</li>
 *   <li>{@code gateway.pem} / {@code gateway.key} server certificate for api.contoso.local (chain with intermediate)</li>
 *   <li>{@code other.key} a key that belongs to no certificate here</li>
 *   <li>{@code client.pem} / {@code client.key} and {@code client.pfx} (password {@link #PFX_PASSWORD})</li>
 *   <li>{@code backend-ca.pem} a second root, for backends</li>
 *   <li>{@code expired.pem} / {@code expired.key} expired two days ago; {@code expiring.pem} /
 *       {@code expiring.key} expires in 10 days and 12 hours</li>
 *   <li>{@code expired-ca.pem} a root CA that expired yesterday</li>
 *   <li>{@code not-a-crl.crl} a certificate saved under a CRL name</li>
 * </ul>
 */
final class TestPki {
    static final String PFX_PASSWORD = "pfx-Secret-9f2c";

    private static final Pki.Issued CA = Pki.ca("CN=Contoso Test Root,O=Contoso", Duration.ofDays(3650));
    private static final Pki.Issued INTERMEDIATE = Pki.intermediate(CA, "CN=Contoso Test Issuing CA,O=Contoso",
            Duration.ofDays(1825));
    private static final Pki.Issued GATEWAY = Pki.issue(INTERMEDIATE, Pki.IssueRequest.server("api.contoso.local",
            "api.contoso.local", "strict.contoso.local"));
    private static final Pki.Issued OTHER = Pki.issue(CA, Pki.IssueRequest.server("other.contoso.local"));
    private static final Pki.Issued CLIENT = Pki.issue(CA, Pki.IssueRequest.client("CN=gateway-to-backend,O=Contoso"));
    private static final Pki.Issued BACKEND_CA = Pki.ca("CN=Backend Root,O=Fabrikam", Duration.ofDays(3650));
    private static final Instant NOW = Instant.now();
    private static final Pki.Issued EXPIRED = Pki.issue(CA, Pki.IssueRequest.server("old.contoso.local")
            .withValidity(NOW.minus(400, ChronoUnit.DAYS), NOW.minus(2, ChronoUnit.DAYS)));
    private static final Pki.Issued EXPIRING = Pki.issue(CA, Pki.IssueRequest.server("soon.contoso.local")
            .withValidity(NOW.minus(300, ChronoUnit.DAYS), NOW.plus(10, ChronoUnit.DAYS).plus(12, ChronoUnit.HOURS)));
    private static final Pki.Issued EXPIRED_CA = Pki.ca("CN=Retired Root,O=Contoso", NOW.minus(3650, ChronoUnit.DAYS),
            NOW.minus(1, ChronoUnit.DAYS), Pki.KeyAlgorithm.EC_P256);

    private TestPki() {
    }

    static Pki.Issued ca() {
        return CA;
    }

    static Pki.Issued gateway() {
        return GATEWAY;
    }

    static Pki.Issued client() {
        return CLIENT;
    }

    static Pki.Issued backendCa() {
        return BACKEND_CA;
    }

    /** Writes every file listed above into {@code dir}. */
    static void writeAll(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Pki.writePem(dir.resolve("ca.pem"), CA.certificate());
        Pki.writePem(dir.resolve("ca.crl"), Pki.crl(CA, List.<BigInteger>of(), NOW.minus(1, ChronoUnit.HOURS),
                NOW.plus(7, ChronoUnit.DAYS)));
        Pki.writePem(dir.resolve("intermediate.pem"), INTERMEDIATE.certificate());
        try {
            Pki.writeFile(dir.resolve("intermediate.cer"), INTERMEDIATE.certificate().getEncoded(), false);
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
        Pki.writePem(dir.resolve("gateway.pem"), GATEWAY.chain().toArray());
        Pki.writePem(dir.resolve("gateway.key"), GATEWAY.keyPair().getPrivate());
        Pki.writePem(dir.resolve("other.key"), OTHER.keyPair().getPrivate());
        Pki.writePem(dir.resolve("client.pem"), CLIENT.certificate());
        Pki.writePem(dir.resolve("client.key"), CLIENT.keyPair().getPrivate());
        Pki.writeFile(dir.resolve("client.pfx"), Pki.pfx(CLIENT.keyMaterial(), PFX_PASSWORD.toCharArray()), true);
        Pki.writePem(dir.resolve("backend-ca.pem"), BACKEND_CA.certificate());
        Pki.writePem(dir.resolve("expired.pem"), EXPIRED.certificate());
        Pki.writePem(dir.resolve("expired.key"), EXPIRED.keyPair().getPrivate());
        Pki.writePem(dir.resolve("expiring.pem"), EXPIRING.certificate());
        Pki.writePem(dir.resolve("expiring.key"), EXPIRING.keyPair().getPrivate());
        Pki.writePem(dir.resolve("expired-ca.pem"), EXPIRED_CA.certificate());
        Pki.writePem(dir.resolve("not-a-crl.crl"), OTHER.certificate());
    }
}
