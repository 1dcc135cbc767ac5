package io.gatehouse.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

import io.gatehouse.common.x509.DotNetNames;

/**
 * A private key and its certificate chain, leaf first. {@link #toString()} names the leaf and
 * never prints the key.
 */
public record KeyMaterial(PrivateKey key, List<X509Certificate> chain) {

    public KeyMaterial {
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(Objects.requireNonNull(chain, "chain"));
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("chain: empty (expected: the certificate for the key, then its issuers)");
        }
    }

    /** The certificate that belongs to the key. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    @Override
    public String toString() {
        return "KeyMaterial[leaf='" + DotNetNames.format(leaf().getSubjectX500Principal()) + "', chain="
                + chain.size() + " certificate(s), key=" + key.getAlgorithm() + " ******]";
    }
}
