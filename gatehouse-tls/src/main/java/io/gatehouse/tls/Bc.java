package io.gatehouse.tls;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The one BouncyCastle provider the gateway uses (PKIX path validation, PEM key decryption, OCSP
 * signatures, the development PKI), passed to the APIs that need it and never registered JVM-wide.
 * Made on first use: building it loads some three hundred classes, which a command that only
 * reads a certificate never needs.
 */
final class Bc {
    static final BouncyCastleProvider PROVIDER = new BouncyCastleProvider();

    private Bc() {
    }
}
