package io.gatehouse.policy.elements.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.tls.KeyMaterial;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.net.http.HttpClient;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * The JDK HTTP clients {@code send-request} uses for one set of trust anchors: the JDK's own
 * trusted CAs plus the config's Root CA certificates (APIM's "CA certificates", which APIM also
 * trusts for its outbound calls), with one client per presented client certificate.
 *
 * <p>One instance per anchor list, shared by every policy compiled from the same config: JDK
 * clients own a selector thread each, so they are built once per config load, never per request.
 */
final class OutgoingClients {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final OutgoingClients JDK_DEFAULT = new OutgoingClients(List.of());
    /** Keyed by the environment's list instance (weak keys compare by identity): a reload brings new clients. */
    private static final Cache<List<X509Certificate>, OutgoingClients> BY_ANCHORS = Caffeine.newBuilder().weakKeys().build();

    private final TrustManager[] trust;
    private final HttpClient plain;
    private final Cache<KeyMaterial, HttpClient> withCertificate = Caffeine.newBuilder().weakKeys().maximumSize(1_000).build();

    private OutgoingClients(List<X509Certificate> anchors) {
        this.trust = anchors.isEmpty() ? null : trustManagers(anchors);
        this.plain = build(null);
    }

    /** The clients trusting the JDK's CAs plus {@code anchors}. */
    static OutgoingClients forAnchors(List<X509Certificate> anchors) {
        return anchors.isEmpty() ? JDK_DEFAULT : BY_ANCHORS.get(anchors, OutgoingClients::new);
    }

    HttpClient plain() {
        return plain;
    }

    /** A client presenting {@code km}; the failure message names the certificate, never the key. */
    HttpClient presenting(KeyMaterial km) {
        return withCertificate.get(km, k -> {
            try {
                char[] pw = new char[0];
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("client", k.key(), pw, k.chain().toArray(new java.security.cert.Certificate[0]));
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, pw);
                return build(kmf.getKeyManagers());
            } catch (Exception e) {
                throw new GatewayException(500, "send-request", "ClientCertificateUnusable",
                        "the client certificate " + k.leaf().getSubjectX500Principal() + " cannot be used: "
                                + e.getClass().getSimpleName());
            }
        });
    }

    private HttpClient build(KeyManager[] keys) {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        if (keys != null || trust != null) {
            try {
                SSLContext ssl = SSLContext.getInstance("TLS");
                ssl.init(keys, trust, null);
                b.sslContext(ssl);
            } catch (Exception e) {
                throw new IllegalStateException("cannot build the TLS context for send-request: " + e.getMessage(), e);
            }
        }
        return b.build();
    }

    /** The JDK's trusted CAs and {@code extra} in one trust manager. */
    private static TrustManager[] trustManagers(List<X509Certificate> extra) {
        try {
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            KeyStore all = KeyStore.getInstance("PKCS12");
            all.load(null, null);
            int n = 0;
            for (TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        all.setCertificateEntry("jdk-" + n++, c);
                    }
                }
            }
            for (X509Certificate c : extra) {
                all.setCertificateEntry("config-" + n++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(all);
            return tmf.getTrustManagers();
        } catch (Exception e) {
            throw new IllegalStateException("cannot build the trust store for send-request: " + e.getMessage(), e);
        }
    }
}
