package io.gatehouse.proxy;

import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** JDK client TLS settings for the tests. */
final class DownstreamMtlsTestSupport {
    private DownstreamMtlsTestSupport() {
    }

    /** Trusts the test gateway's CA; presents no client certificate. */
    static SSLContext trusting(TestWorld w) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", w.gatewayCa.certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
