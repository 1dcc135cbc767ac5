package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Certificates made inside an expression ({@code new X509Certificate2(pfxBytes, password)}) and the
 * RSA signing a client-assertion policy does with them ({@code GetRSAPrivateKey().SignData(data,
 * HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)}), as the snippets repository's "client id and
 * certificate from Key Vault" sample does. Results are checked against the JDK's own RSA (PKCS #1 v1.5
 * signatures are deterministic, RFC 8017 8.2) and, where openssl is on the PATH, against openssl.
 */
class CertificateFromBytesTest {
    private static final Position AT = new Position("test.xml", 1, 1);
    private static KeyPair keys;
    private static X509Certificate cert;

    @BeforeAll
    static void makeCertificate() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(new X500Name("CN=client-app"),
                BigInteger.valueOf(77), Date.from(Instant.parse("2026-01-01T00:00:00Z")), Date.from(Instant.parse("2036-01-01T00:00:00Z")),
                new X500Name("CN=client-app"), keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
    }

    private static String pfx(String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", keys.getPrivate(), password.toCharArray(), new Certificate[] {cert});
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ks.store(out, password.toCharArray());
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    private static Object eval(String expr, PolicyContext ctx) {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(expr, AT, Object.class, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        return e.evaluate(ctx);
    }

    private static PolicyContext withVariable(String name, Object value) {
        PolicyContext ctx = new PolicyContext();
        ctx.variables().set(name, value);
        return ctx;
    }

    private static byte[] jdkSign(String alg, byte[] data) throws Exception {
        Signature s = Signature.getInstance(alg);
        s.initSign(keys.getPrivate());
        s.update(data);
        return s.sign();
    }

    @Test
    void signsAClientAssertionWithTheKeyOfAPfxReadWithoutAPassword() throws Exception {
        // the snippet's form: new X509Certificate2(bytes, (string)null), a Key Vault PFX has the empty password
        PolicyContext ctx = withVariable("keyVaultCertBase64", pfx(""));
        Object sig = eval("@{ X509Certificate2 certificate = new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"keyVaultCertBase64\"]), (string)null);"
                + " var rsa = certificate.GetRSAPrivateKey();"
                + " return Convert.ToBase64String(rsa.SignData(Encoding.UTF8.GetBytes(\"header.claims\"), HashAlgorithmName.SHA256,"
                + " System.Security.Cryptography.RSASignaturePadding.Pkcs1)); }", ctx);
        assertThat(sig).isEqualTo(Base64.getEncoder().encodeToString(jdkSign("SHA256withRSA", "header.claims".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void readsAPfxWithAPasswordAndRefusesAWrongOne() throws Exception {
        PolicyContext ctx = withVariable("pfx", pfx("s3cret"));
        assertThat(eval("@(new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"pfx\"]), \"s3cret\").HasPrivateKey)", ctx))
                .isEqualTo(true);
        assertThat(eval("@(new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"pfx\"]), \"s3cret\").Subject)", ctx))
                .isEqualTo("CN=client-app");
        assertThatThrownBy(() -> eval("@(new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"pfx\"]), \"wrong\").Subject)", ctx))
                .isInstanceOf(ExpressionException.class)
                .hasMessageContaining("password may be incorrect")
                .hasMessageNotContaining("wrong");
    }

    @Test
    void certHashIsSha1OfTheDerEncodingOrTheNamedHash() throws Exception {
        PolicyContext ctx = withVariable("der", Base64.getEncoder().encodeToString(cert.getEncoded()));
        String make = "new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"der\"]))";
        assertThat(eval("@(Convert.ToBase64String(" + make + ".GetCertHash()))", ctx))
                .isEqualTo(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded())));
        assertThat(eval("@(Convert.ToBase64String(" + make + ".GetCertHash(HashAlgorithmName.SHA256)))", ctx))
                .isEqualTo(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded())));
        // a certificate without its key: HasPrivateKey false, GetRSAPrivateKey() null, the public key verifies
        assertThat(eval("@(" + make + ".HasPrivateKey)", ctx)).isEqualTo(false);
        assertThat(eval("@(" + make + ".GetRSAPrivateKey() == null)", ctx)).isEqualTo(true);
        assertThat(eval("@(" + make + ".GetRSAPublicKey().KeySize)", ctx)).isEqualTo(2048);
        ctx.variables().set("sig", jdkSign("SHA384withRSA", new byte[] {1, 2, 3}));
        assertThat(eval("@(" + make + ".GetRSAPublicKey().VerifyData(new byte[] {1, 2, 3}, (byte[])context.Variables[\"sig\"],"
                + " HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1))", ctx)).isEqualTo(true);
        assertThat(eval("@(" + make + ".GetRSAPublicKey().VerifyData(new byte[] {1, 2, 4}, (byte[])context.Variables[\"sig\"],"
                + " HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1))", ctx)).isEqualTo(false);
    }

    @Test
    void pssSignaturesUseASaltAsLongAsTheHash() throws Exception {
        PolicyContext ctx = withVariable("pfx", pfx(""));
        Object sig = eval("@(new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"pfx\"]), (string)null).GetRSAPrivateKey()"
                + ".SignData(Encoding.UTF8.GetBytes(\"abc\"), HashAlgorithmName.SHA256, RSASignaturePadding.Pss))", ctx);
        Signature v = Signature.getInstance("RSASSA-PSS");
        v.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
        v.initVerify(keys.getPublic());
        v.update("abc".getBytes(StandardCharsets.UTF_8));
        assertThat(v.verify((byte[]) sig)).isTrue();
    }

    @Test
    void hashAlgorithmNameAndPaddingNames() {
        PolicyContext ctx = new PolicyContext();
        assertThat(eval("@(HashAlgorithmName.SHA512.Name)", ctx)).isEqualTo("SHA512");
        assertThat(eval("@(new HashAlgorithmName(\"SHA256\") == HashAlgorithmName.SHA256)", ctx)).isEqualTo(true);
        assertThatThrownBy(() -> eval("@(new X509Certificate2(new byte[] {1, 2, 3}).Subject)", ctx))
                .isInstanceOf(ExpressionException.class).hasMessageContaining("ASN1 corrupted data.");
    }

    @Test
    void readsAnOpensslMadePfxAndOpensslVerifiesTheSignature(@TempDir Path dir) throws Exception {
        boolean present = List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                .anyMatch(d -> Files.isExecutable(Path.of(d, "openssl")));
        if (!present && Boolean.getBoolean("gatehouse.requireExternalTools")) {
            throw new AssertionError("openssl is required (gatehouse.requireExternalTools=true) but not on PATH");
        }
        Assumptions.assumeTrue(present, "openssl not on PATH: skipping the openssl interoperability check");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                "-subj", "/CN=kv-client", "-days", "30");
        run(dir, "openssl", "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "client.pfx", "-passout", "pass:");
        run(dir, "openssl", "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem");
        PolicyContext ctx = withVariable("pfx", Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("client.pfx"))));
        Object sig = eval("@(new X509Certificate2(Convert.FromBase64String((string)context.Variables[\"pfx\"]), (string)null).GetRSAPrivateKey()"
                + ".SignData(Encoding.UTF8.GetBytes(\"header.claims\"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))", ctx);
        Files.write(dir.resolve("sig.bin"), (byte[]) sig);
        Files.writeString(dir.resolve("data.txt"), "header.claims");
        assertThat(run(dir, "openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "data.txt"))
                .contains("Verified OK");
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(String.join(" ", command) + ":\n" + text).isZero();
        return text;
    }
}
