package io.gatehouse.tls;

import java.net.URI;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import javax.net.ssl.SSLEngine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;

/**
 * OCSP stapling for one of the gateway's own server certificates: when the certificate names an
 * OCSP responder (authorityInfoAccess, http) and its chain holds its issuer, the response is
 * fetched in the background through {@link RevocationSources#shared()} (cached until its
 * nextUpdate, refreshed before it while connections keep asking), and each new connection's
 * engine gets the current response before its handshake. Only a verified, current "good" response
 * is stapled; until one is at hand (responder down, first seconds after start) handshakes go on
 * without a staple. Needs BoringSSL with OCSP support: {@link SslContextFactory#downstream} turns it
 * on in the server context for such certificates. Never waits: safe on an event loop.
 */
public final class OcspStaple {

    private static final Logger log = LoggerFactory.getLogger("gatehouse.tls");

    private final X509Certificate leaf;
    private final X509Certificate issuer;
    private final URI responder;
    private final RevocationSources sources;
    private volatile boolean warnedRevoked;

    private OcspStaple(X509Certificate leaf, X509Certificate issuer, URI responder, RevocationSources sources) {
        this.leaf = leaf;
        this.issuer = issuer;
        this.responder = responder;
        this.sources = sources;
    }

    /**
     * The staple for a server key pair, with its first fetch started; null when its certificate
     * names no OCSP responder or its chain does not hold the issuer.
     */
    public static OcspStaple forServer(KeyMaterial key) {
        return forServer(key, RevocationSources.shared());
    }

    static OcspStaple forServer(KeyMaterial key, RevocationSources sources) {
        Objects.requireNonNull(key, "key");
        X509Certificate issuer = issuerFor(key);
        if (issuer == null) {
            if (!OcspChecks.responders(key.leaf()).isEmpty()) {
                log.info("the server certificate {} names the OCSP responder {} but its file does not hold the"
                        + " issuer's certificate: no OCSP stapling", ChainVerifier.quote(key.leaf()),
                        OcspChecks.responders(key.leaf()).get(0));
            }
            return null;
        }
        OcspStaple s = new OcspStaple(key.leaf(), issuer, OcspChecks.responders(key.leaf()).get(0), sources);
        s.current();
        return s;
    }

    /** The issuer of the key's certificate when the certificate names a responder and the chain holds the issuer, else null. */
    static X509Certificate issuerFor(KeyMaterial key) {
        X509Certificate leaf = key.leaf();
        List<URI> responders = OcspChecks.responders(leaf);
        if (responders.isEmpty()) {
            return null;
        }
        for (X509Certificate c : key.chain()) {
            if (!c.equals(leaf) && c.getSubjectX500Principal().equals(leaf.getIssuerX500Principal())) {
                try {
                    leaf.verify(c.getPublicKey());
                    return c;
                } catch (java.security.GeneralSecurityException | RuntimeException ignored) {
                    // another key of that name
                }
            }
        }
        return null; // forServer says so, once per load
    }

    /** The DER response to staple now, or null (fetching goes on in the background). */
    public byte[] current() {
        CompletableFuture<RevocationSources.Fetched<OcspChecks.Answer>> f = sources.ocsp(responder, leaf, issuer);
        RevocationSources.Fetched<OcspChecks.Answer> fetched = f.getNow(null);
        if (fetched == null || !fetched.ok() || !fetched.value().currentAt(Instant.now())) {
            return null;
        }
        OcspChecks.Answer a = fetched.value();
        if (a.status() != OcspChecks.Status.GOOD) {
            if (!warnedRevoked) {
                warnedRevoked = true;
                log.warn("the OCSP responder {} says the gateway's server certificate {} is {}: not stapled",
                        responder, ChainVerifier.quote(leaf), a.status().name().toLowerCase(java.util.Locale.ROOT));
            }
            return null;
        }
        return a.encoded();
    }

    /** Gives a BoringSSL engine the current response, before its handshake; other engines are left alone. */
    public void applyTo(SSLEngine engine) {
        if (engine instanceof ReferenceCountedOpenSslEngine e) {
            byte[] response = current();
            if (response != null) {
                try {
                    e.setOcspResponse(response);
                } catch (IllegalStateException notEnabled) {
                    // a context made without OCSP support (the JDK provider, or BoringSSL without it)
                }
            }
        }
    }

    /** The responder asked. */
    public URI responder() {
        return responder;
    }
}
