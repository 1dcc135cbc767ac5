package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.cert.X509Certificate;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

import io.netty.handler.ssl.OpenSslPrivateKeyMethod;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenSigner}'s contract with BoringSSL, without a token: each TLS SignatureScheme id is
 * signed through the key's provider (here one that records what it is asked and on which thread,
 * and signs with the JDK's software keys), and the signature verifies with BouncyCastle under the
 * scheme's own definition (RFC 8446 4.2.3: PSS with MGF1 over the same hash and a salt as long as
 * the hash; ECDSA DER-encoded; the input is the message, hashed by the signature). The token
 * itself is driven end to end in the CLI's Pkcs11KeysTest.
 */
class TokenSignerTest {
    private static final Provider BC = new BouncyCastleProvider();
    static final List<String> CALLS = new CopyOnWriteArrayList<>();

    /** A "token" provider: every Signature it gives out records its algorithm and thread, then signs in software. */
    static final class RecordingProvider extends Provider {
        RecordingProvider() {
            super("RecordingToken", "1", "signs in software, records each call");
            for (String alg : List.of("SHA1withRSA", "SHA256withRSA", "SHA384withRSA", "SHA512withRSA", "RSASSA-PSS",
                    "SHA1withECDSA", "SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA", "Ed25519")) {
                putService(new Service(this, "Signature", alg, RecordingSpi.class.getName(), null, null) {
                    @Override
                    public Object newInstance(Object constructorParameter) {
                        return new RecordingSpi(alg);
                    }
                });
            }
        }
    }

    static final class RecordingSpi extends SignatureSpi {
        private final String alg;
        private final Signature delegate;

        RecordingSpi(String alg) {
            this.alg = alg;
            try {
                delegate = Signature.getInstance(alg);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            throw new InvalidKeyException("a token key signs only");
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            delegate.initSign(privateKey);
        }

        @Override
        protected void engineUpdate(byte b) throws SignatureException {
            delegate.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
            delegate.update(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            CALLS.add(alg + " on " + Thread.currentThread().getName());
            return delegate.sign();
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            throw new SignatureException("a token key signs only");
        }

        @Override
        protected void engineSetParameter(AlgorithmParameterSpec params) throws java.security.InvalidAlgorithmParameterException {
            delegate.setParameter(params);
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException(param);
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException(param);
        }
    }

    private static KeyPair pair(String alg, Object spec) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
        if (spec instanceof Integer bits) {
            g.initialize(bits);
        } else {
            g.initialize((ECGenParameterSpec) spec);
        }
        return g.generateKeyPair();
    }

    /** Any certificate: the signer uses the key only (the chain is BoringSSL's business). */
    private static final X509Certificate CERT = Pki.ca("CN=signer-test", Duration.ofDays(1)).certificate();

    private static TokenSigner signer(KeyPair kp) {
        X509Certificate cert = CERT;
        return new TokenSigner(new KeyMaterial(kp.getPrivate(), List.of(cert), new RecordingProvider()));
    }

    private static void signsAs(TokenSigner signer, PublicKey pub, int scheme, String bcAlgorithm) throws Exception {
        byte[] message = ("TLS 1.3, server CertificateVerify " + scheme).getBytes();
        byte[] sig = signer.sign(null, scheme, message).get(10, TimeUnit.SECONDS);
        Signature v = Signature.getInstance(bcAlgorithm, BC);
        v.initVerify(pub);
        v.update(message);
        assertThat(v.verify(sig)).as("scheme 0x%04x verifies as %s", scheme, bcAlgorithm).isTrue();
    }

    @Test
    void rsaSchemesSignTheMessageAsTheirDefinitionsSayOffTheCallersThread() throws Exception {
        KeyPair rsa = pair("RSA", 2048);
        TokenSigner s = signer(rsa);
        CALLS.clear();
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PKCS1_SHA256, "SHA256withRSA");
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PKCS1_SHA384, "SHA384withRSA");
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PKCS1_SHA512, "SHA512withRSA");
        // BouncyCastle's SHAxwithRSAandMGF1: MGF1 over the same hash, salt as long as the hash
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PSS_RSAE_SHA256, "SHA256withRSAandMGF1");
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PSS_RSAE_SHA384, "SHA384withRSAandMGF1");
        signsAs(s, rsa.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PSS_RSAE_SHA512, "SHA512withRSAandMGF1");
        assertThat(CALLS).hasSize(6).allSatisfy(c -> assertThat(c).contains(" on gatehouse-pkcs11-"));
        assertThat(CALLS.get(3)).startsWith("RSASSA-PSS");
    }

    @Test
    void ecdsaSchemesSignWithTheirCurvesHash() throws Exception {
        KeyPair p256 = pair("EC", new ECGenParameterSpec("secp256r1"));
        KeyPair p384 = pair("EC", new ECGenParameterSpec("secp384r1"));
        CALLS.clear();
        signsAs(signer(p256), p256.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_ECDSA_SECP256R1_SHA256, "SHA256withECDSA");
        signsAs(signer(p384), p384.getPublic(), OpenSslPrivateKeyMethod.SSL_SIGN_ECDSA_SECP384R1_SHA384, "SHA384withECDSA");
        assertThat(CALLS).containsExactly(
                "SHA256withECDSA on " + CALLS.get(0).substring(CALLS.get(0).indexOf(" on ") + 4),
                "SHA384withECDSA on " + CALLS.get(1).substring(CALLS.get(1).indexOf(" on ") + 4));
        assertThat(CALLS).allSatisfy(c -> assertThat(c).contains(" on gatehouse-pkcs11-"));
    }

    @Test
    void aSchemeTheGatewayDoesNotOfferFailsTheFutureNotTheThread() throws Exception {
        TokenSigner s = signer(pair("RSA", 2048));
        var f = s.sign(null, OpenSslPrivateKeyMethod.SSL_SIGN_RSA_PKCS1_MD5_SHA1, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SSLException.class).hasMessageContaining("not supported for a PKCS#11 key");
    }

    @Test
    void aKeyInMemoryIsNotATokenKey() throws Exception {
        KeyPair kp = pair("RSA", 2048);
        X509Certificate cert = CERT;
        KeyMaterial inMemory = new KeyMaterial(kp.getPrivate(), List.of(cert));
        assertThat(inMemory.onToken()).isFalse();
        assertThat(inMemory.toString()).contains("******").doesNotContain("token");
        assertThatThrownBy(() -> new TokenSigner(inMemory)).isInstanceOf(IllegalArgumentException.class);
        KeyMaterial onToken = new KeyMaterial(kp.getPrivate(), List.of(cert), new RecordingProvider());
        assertThat(onToken.toString()).contains("on PKCS#11 token RecordingToken");
    }
}
