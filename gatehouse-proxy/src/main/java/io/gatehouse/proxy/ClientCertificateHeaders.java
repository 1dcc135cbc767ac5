package io.gatehouse.proxy;

import io.gatehouse.config.model.ApiConfig.ForwardClientCertificate;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code apis[].forwardClientCertificate}: the client's certificate told to the backend by the
 * gateway itself, only when the connection's chain verifies against the hostname's CA store (the
 * same check as {@code Verify()}). Whatever a client sent under these names was removed before
 * (see {@link IdentityHeaders}). The values are made once per connection and format.
 *
 * <ul>
 *   <li>RFC 9440: {@code Client-Cert} is the leaf's DER as a structured-field byte sequence
 *       ({@code :base64:}); {@code Client-Cert-Chain} lists the rest of the chain the client
 *       sent, each the same way, comma-separated.</li>
 *   <li>Envoy's {@code X-Forwarded-Client-Cert}: {@code Hash} (SHA-256 of the DER, hex),
 *       {@code Cert} (the URL-encoded PEM), {@code Subject} (quoted), and a {@code URI} and
 *       {@code DNS} pair for each such subject alternative name.</li>
 * </ul>
 */
final class ClientCertificateHeaders {
    static final AsciiString CLIENT_CERT = AsciiString.cached("client-cert");
    static final AsciiString CLIENT_CERT_CHAIN = AsciiString.cached("client-cert-chain");
    static final AsciiString XFCC = AsciiString.cached("x-forwarded-client-cert");

    /** What one connection's chain becomes, for one format. */
    record Values(String cert, String chain) {
    }

    private ClientCertificateHeaders() {
    }

    static void set(HttpHeaders h, ForwardClientCertificate format, Values v) {
        if (format == ForwardClientCertificate.RFC9440) {
            h.set(CLIENT_CERT, v.cert());
            if (v.chain() != null) {
                h.set(CLIENT_CERT_CHAIN, v.chain());
            }
        } else if (format == ForwardClientCertificate.XFCC) {
            h.set(XFCC, v.cert());
        }
    }

    static Values values(ForwardClientCertificate format, List<X509Certificate> chain) {
        try {
            X509Certificate leaf = chain.get(0);
            if (format == ForwardClientCertificate.RFC9440) {
                String rest = null;
                if (chain.size() > 1) {
                    StringBuilder sb = new StringBuilder();
                    for (X509Certificate c : chain.subList(1, chain.size())) {
                        sb.append(sb.isEmpty() ? "" : ", ").append(byteSequence(c));
                    }
                    rest = sb.toString();
                }
                return new Values(byteSequence(leaf), rest);
            }
            return new Values(xfcc(leaf), null);
        } catch (CertificateEncodingException | CertificateParsingException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("the client certificate could not be encoded again: " + e.getMessage(), e);
        }
    }

    private static String byteSequence(X509Certificate c) throws CertificateEncodingException {
        return ":" + Base64.getEncoder().encodeToString(c.getEncoded()) + ":";
    }

    private static String xfcc(X509Certificate leaf)
            throws CertificateEncodingException, CertificateParsingException, NoSuchAlgorithmException {
        byte[] der = leaf.getEncoded();
        StringBuilder sb = new StringBuilder(der.length * 2);
        sb.append("Hash=").append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)));
        String pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
        sb.append(";Cert=\"").append(URLEncoder.encode(pem, StandardCharsets.UTF_8)).append('"');
        sb.append(";Subject=\"").append(quoted(leaf.getSubjectX500Principal().getName())).append('"');
        if (leaf.getSubjectAlternativeNames() != null) {
            for (List<?> san : leaf.getSubjectAlternativeNames()) {
                int type = (Integer) san.get(0);
                if (type == 6) {
                    sb.append(";URI=").append(quotedIfNeeded(String.valueOf(san.get(1))));
                } else if (type == 2) {
                    sb.append(";DNS=").append(quotedIfNeeded(String.valueOf(san.get(1))));
                }
            }
        }
        return sb.toString();
    }

    /**
     * Inside an XFCC quoted value: backslash and double quote escaped, controls dropped, and
     * anything past ASCII percent-encoded as UTF-8 (a header value carries bytes, not text).
     */
    private static String quoted(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c == '"' || c == '\\') {
                sb.append('\\').append((char) c);
            } else if (c >= 0x80) {
                for (byte b : new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8)) {
                    sb.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
                }
            } else if (c >= 0x20 && c != 0x7f) {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    private static String quotedIfNeeded(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ',' || c == ';' || c == '=' || c == '"' || c <= 0x20 || c >= 0x7f) {
                return "\"" + quoted(s) + "\"";
            }
        }
        return s;
    }
}
