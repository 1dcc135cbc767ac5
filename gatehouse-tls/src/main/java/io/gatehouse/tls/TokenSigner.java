package io.gatehouse.tls;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.crypto.Cipher;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslAsyncPrivateKeyMethod;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;

/**
 * BoringSSL's private-key callbacks for a key on a PKCS#11 token: the handshake's signature (and,
 * for the RSA key exchange, its decryption) is done by the token through the SunPKCS11 provider
 * the key came from, on a small pool of signing threads, never on the event loop (a token may take
 * milliseconds per signature, and a hardware one may block on I/O). The handshake resumes when
 * the returned future completes.
 *
 * <p>BoringSSL hands {@code sign} the message to be signed, not its digest (its
 * {@code SSL_PRIVATE_KEY_METHOD.sign} contract; Netty's own tests sign the input with
 * {@code SHA256withRSA}), so each TLS SignatureScheme maps to the JCA algorithm that hashes and
 * signs: {@code rsa_pkcs1_*} to {@code SHA*withRSA}, {@code rsa_pss_rsae_*} to
 * {@code RSASSA-PSS} with MGF1 over the same hash and a salt as long as the hash (RFC 8446
 * 4.2.3), {@code ecdsa_*} to {@code SHA*withECDSA} (DER-encoded, as TLS sends it), and
 * {@code ed25519} to {@code Ed25519}. {@code decrypt} is raw RSA ({@code RSA/ECB/NoPadding}):
 * BoringSSL removes the padding itself.
 */
final class TokenSigner implements OpenSslAsyncPrivateKeyMethod {
    /** BoringSSL's signature algorithm ids are read from the native library: load it first. */
    private static final boolean NATIVE_LOADED = OpenSsl.isAvailable();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Shared by every token key: as many threads as cores (at least two), queued beyond that. */
    private static final ExecutorService SIGNING = signingPool();

    private final KeyMaterial key;

    TokenSigner(KeyMaterial key) {
        this.key = Objects.requireNonNull(key, "key");
        if (!key.onToken()) {
            throw new IllegalArgumentException("not a token key: " + key);
        }
    }

    private static ExecutorService signingPool() {
        int n = Math.max(2, Runtime.getRuntime().availableProcessors());
        ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "gatehouse-pkcs11-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    @Override
    public Future<byte[]> sign(SSLEngine engine, int signatureAlgorithm, byte[] input) {
        return run(() -> signNow(signatureAlgorithm, input));
    }

    @Override
    public Future<byte[]> decrypt(SSLEngine engine, byte[] input) {
        return run(() -> {
            if (!"RSA".equals(key.key().getAlgorithm())) {
                throw new SSLException("decryption asked of a " + key.key().getAlgorithm() + " key");
            }
            Cipher c = Cipher.getInstance("RSA/ECB/NoPadding", key.token());
            c.init(Cipher.DECRYPT_MODE, key.key());
            return c.doFinal(input);
        });
    }

    /** Signs now, on the calling thread (the pool's; tests call it directly). */
    byte[] signNow(int signatureAlgorithm, byte[] input) throws GeneralSecurityException, SSLException {
        Signature s = signature(signatureAlgorithm);
        s.initSign(key.key());
        s.update(input);
        return s.sign();
    }

    /** JCA algorithm and, for RSA-PSS, its hash, per BoringSSL signature algorithm id (not compile-time constants). */
    private record Scheme(String jca, String pssHash, int saltLength) {
    }

    private static final Map<Integer, Scheme> SCHEMES = Map.ofEntries(
            Map.entry(SSL_SIGN_RSA_PKCS1_SHA1, new Scheme("SHA1withRSA", null, 0)),
            Map.entry(SSL_SIGN_RSA_PKCS1_SHA256, new Scheme("SHA256withRSA", null, 0)),
            Map.entry(SSL_SIGN_RSA_PKCS1_SHA384, new Scheme("SHA384withRSA", null, 0)),
            Map.entry(SSL_SIGN_RSA_PKCS1_SHA512, new Scheme("SHA512withRSA", null, 0)),
            Map.entry(SSL_SIGN_ECDSA_SHA1, new Scheme("SHA1withECDSA", null, 0)),
            Map.entry(SSL_SIGN_ECDSA_SECP256R1_SHA256, new Scheme("SHA256withECDSA", null, 0)),
            Map.entry(SSL_SIGN_ECDSA_SECP384R1_SHA384, new Scheme("SHA384withECDSA", null, 0)),
            Map.entry(SSL_SIGN_ECDSA_SECP521R1_SHA512, new Scheme("SHA512withECDSA", null, 0)),
            Map.entry(SSL_SIGN_RSA_PSS_RSAE_SHA256, new Scheme("RSASSA-PSS", "SHA-256", 32)),
            Map.entry(SSL_SIGN_RSA_PSS_RSAE_SHA384, new Scheme("RSASSA-PSS", "SHA-384", 48)),
            Map.entry(SSL_SIGN_RSA_PSS_RSAE_SHA512, new Scheme("RSASSA-PSS", "SHA-512", 64)),
            Map.entry(SSL_SIGN_ED25519, new Scheme("Ed25519", null, 0)));
    // rsa_pkcs1_md5_sha1 is for TLS 1.0 and 1.1 only, which the gateway does not offer

    private Signature signature(int alg) throws GeneralSecurityException, SSLException {
        Scheme scheme = SCHEMES.get(alg);
        if (scheme == null) {
            throw new SSLException("signature algorithm 0x" + Integer.toHexString(alg)
                    + " is not supported for a PKCS#11 key");
        }
        Signature s = Signature.getInstance(scheme.jca(), key.token());
        if (scheme.pssHash() != null) {
            s.setParameter(new PSSParameterSpec(scheme.pssHash(), "MGF1", new MGF1ParameterSpec(scheme.pssHash()),
                    scheme.saltLength(), PSSParameterSpec.TRAILER_FIELD_BC));
        }
        return s;
    }

    private interface Work {
        byte[] run() throws Exception;
    }

    private static Future<byte[]> run(Work work) {
        Promise<byte[]> done = ImmediateEventExecutor.INSTANCE.newPromise();
        try {
            SIGNING.execute(() -> {
                try {
                    done.setSuccess(work.run());
                } catch (Throwable t) {
                    done.setFailure(t);
                }
            });
        } catch (RejectedExecutionException e) {
            done.setFailure(e);
        }
        return done;
    }
}
