package io.gatehouse.proxy;

import io.gatehouse.tls.Pki;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** JDK client TLS settings for the tests. */
final class DownstreamMtlsTestSupport {
    private DownstreamMtlsTestSupport() {
    }

    /** Trusts the test gateway's CA; presents no client certificate. */
    static SSLContext trusting(TestWorld w) {
        return sslContext(w, null);
    }

    /** Trusts the test gateway's CA and presents {@code clientCert} (null: none). */
    static SSLContext sslContext(TestWorld w, Pki.Issued clientCert) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", w.gatewayCa.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (clientCert != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                keys.setKeyEntry("client", clientCert.keyPair().getPrivate(), new char[0],
                        new java.security.cert.Certificate[] {clientCert.certificate()});
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, new char[0]);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
