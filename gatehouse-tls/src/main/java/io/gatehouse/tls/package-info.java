/**
 * TLS for Gatehouse: reading certificates, keys, PFX files and CRLs ({@link io.gatehouse.tls.CertificateFiles}),
 * the CA store and chain verification ({@link io.gatehouse.tls.CaStore}, {@link io.gatehouse.tls.ChainVerifier}),
 * the one factory for Netty contexts ({@link io.gatehouse.tls.SslContextFactory}), the record of a finished
 * handshake ({@link io.gatehouse.tls.HandshakeInfo}), plain-words failure explanations
 * ({@link io.gatehouse.tls.TlsFailures}) and the development PKI ({@link io.gatehouse.tls.Pki}).
 *
 * <p>"Downstream" is client to gateway, "upstream" is gateway to backend.
 */
package io.gatehouse.tls;
