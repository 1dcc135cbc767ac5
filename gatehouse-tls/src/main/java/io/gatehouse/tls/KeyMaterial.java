package io.gatehouse.tls;

import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

import io.gatehouse.common.x509.DotNetNames;

/**
 * A private key and its certificate chain, leaf first. {@link #toString()} names the leaf and
 * never prints the key.
 *
 * @param token the PKCS#11 provider the key lives on ({@link Pkcs11Tokens}), or null for a key
 *     held in memory. A token key is only a handle: it signs through that provider and never
 *     leaves the token.
 */
public record KeyMaterial(PrivateKey key, List<X509Certificate> chain, Provider token) {

    /** A key held in memory (read from a PEM or PFX file). */
    public KeyMaterial(PrivateKey key, List<X509Certificate> chain) {
        this(key, chain, null);
    }

    public KeyMaterial {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the certificate for the key, then its issuers)");
        }
    }

    /** Whether the key lives on a PKCS#11 token (and can only sign there). */
    public boolean onToken() {
        return token != null;
    }

    /** The certificate that belongs to the key. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    @Override
    public String toString() {
        return "KeyMaterial[leaf='" + DotNetNames.format(leaf().getSubjectX500Principal()) + "', chain="
                + chain.size() + " certificate(s), key=" + key.getAlgorithm()
                + (token != null ? " on PKCS#11 token " + token.getName() : " ******") + "]";
    }
}
