package io.gatehouse.config.keyvault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.TlsConfigException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** A Key Vault secret's value as Key Vault stores a certificate: base64 PFX or PEM, by content type. */
class SecretMaterialTest {
    static final Pki.Issued CA = Pki.ca("CN=Secret Test CA", Duration.ofDays(30));
    static final Pki.Issued LEAF = Pki.issue(CA, Pki.IssueRequest.server("api.test", "api.test"));
    static final Pki.Issued OTHER = Pki.issue(CA, Pki.IssueRequest.server("other.test", "other.test"));

    static String pfx(Pki.Issued i) {
        return Base64.getEncoder().encodeToString(Pki.pfx(new KeyMaterial(i.keyPair().getPrivate(), i.chain()), new char[0]));
    }

    static String pem(Pki.Issued i) {
        return Pki.pem(i.chain().toArray(new X509Certificate[0])) + Pki.pem(i.keyPair().getPrivate());
    }

    @Test
    void aPkcs12SecretIsABase64PfxWithoutAPassword() {
        KeyMaterial km = SecretMaterial.keyPair(pfx(LEAF), "application/x-pkcs12", "certificate 'x'");
        assertThat(km.chain().get(0)).isEqualTo(LEAF.certificate());
        assertThat(km.key()).isEqualTo(LEAF.keyPair().getPrivate());
        // line breaks in the base64 text (as some tools write it) are fine
        String wrapped = pfx(LEAF).replaceAll("(.{64})", "$1\n");
        assertThat(SecretMaterial.keyPair(wrapped, "application/x-pkcs12", "c").chain().get(0)).isEqualTo(LEAF.certificate());
    }

    @Test
    void aPemSecretHoldsTheChainAndTheKey() {
        KeyMaterial km = SecretMaterial.keyPair(pem(LEAF), "application/x-pem-file", "certificate 'x'");
        assertThat(km.chain()).startsWith(LEAF.certificate());
        assertThat(km.key()).isEqualTo(LEAF.keyPair().getPrivate());
        // without a content type, the text decides
        assertThat(SecretMaterial.keyPair(pem(LEAF), null, "c").chain().get(0)).isEqualTo(LEAF.certificate());
        assertThat(SecretMaterial.keyPair(pfx(LEAF), null, "c").chain().get(0)).isEqualTo(LEAF.certificate());
    }

    @Test
    void aSecretThatIsNotAKeyPairSaysWhatIsWrongWithoutShowingTheValue() {
        String keyOfAnother = Pki.pem(LEAF.certificate()) + Pki.pem(OTHER.keyPair().getPrivate());
        assertThatThrownBy(() -> SecretMaterial.keyPair(keyOfAnother, "application/x-pem-file", "certificate 'x'"))
                .isInstanceOf(TlsConfigException.class).hasMessageContaining("does not match");
        assertThatThrownBy(() -> SecretMaterial.keyPair(Pki.pem(LEAF.certificate()), "application/x-pem-file", "certificate 'x'"))
                .hasMessageContaining("holds no private key");
        assertThatThrownBy(() -> SecretMaterial.keyPair("s3cr3t-value!", "application/x-pkcs12", "certificate 'x'"))
                .hasMessageContaining("is not a base64 PFX").hasMessageNotContaining("s3cr3t");
        assertThatThrownBy(() -> SecretMaterial.keyPair(Base64.getEncoder().encodeToString("s3cr3t".getBytes()),
                "application/x-pkcs12", "certificate 'x'")).hasMessageNotContaining("s3cr3t");
    }

    @Test
    void aCaCertificateSecretIsPemDerOrTheCertificateOfAPfx() {
        assertThat(SecretMaterial.certificate(Pki.pem(CA.certificate()), "application/x-pem-file", "CA")).isEqualTo(CA.certificate());
        assertThat(SecretMaterial.certificate(Base64.getEncoder().encodeToString(encoded(CA.certificate())), null, "CA"))
                .isEqualTo(CA.certificate());
        assertThat(SecretMaterial.certificate(pfx(LEAF), "application/x-pkcs12", "CA")).isEqualTo(LEAF.certificate());
        assertThatThrownBy(() -> SecretMaterial.certificate(Pki.pem(CA.certificate(), LEAF.certificate()), null, "CA"))
                .hasMessageContaining("expected exactly one certificate, found 2");
        assertThatThrownBy(() -> SecretMaterial.certificate("***", null, "CA")).isInstanceOf(TlsConfigException.class);
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
