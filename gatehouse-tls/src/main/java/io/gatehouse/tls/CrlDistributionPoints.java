package io.gatehouse.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/**
 * The CRL distribution points a certificate names, and a blocking download of one CRL. The
 * gateway downloads through {@link RevocationSources} (cached, off the event loop, bounded);
 * {@link #fetch} is the plain blocking download for tools, never to be called on an event loop.
 *
 * <p>Follow only the URIs of certificates whose path to a trusted root has been validated (as
 * {@link CrlChecks} does): following the URIs in any certificate a client sent would let any
 * client make the gateway send requests wherever it likes. LDAP and other non-HTTP distribution
 * points are ignored.
 */
public final class CrlDistributionPoints {

    /** Largest CRL accepted from a distribution point. */
    static final int MAX_CRL_BYTES = 16 * 1024 * 1024;

    private CrlDistributionPoints() {
    }

    /** The http(s) URIs in the certificate's cRLDistributionPoints (LDAP and others are skipped). */
    public static List<URI> of(X509Certificate certificate) {
        byte[] ext = certificate.getExtensionValue("2.5.29.31");
        List<URI> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        try {
            CRLDistPoint cdp = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (DistributionPoint dp : cdp.getDistributionPoints()) {
                DistributionPointName name = dp.getDistributionPoint();
                if (name == null || name.getType() != DistributionPointName.FULL_NAME) {
                    continue;
                }
                for (GeneralName gn : GeneralNames.getInstance(name.getName()).getNames()) {
                    if (gn.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        String uri = gn.getName().toString();
                        String lower = uri.toLowerCase(Locale.ROOT);
                        if (lower.startsWith("http://") || lower.startsWith("https://")) {
                            out.add(URI.create(uri));
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new TlsConfigException("the CRL distribution points of certificate "
                    + ChainVerifier.quote(certificate) + " are unreadable");
        }
        return out;
    }

    /**
     * Downloads one CRL (DER, or PEM {@code BEGIN X509 CRL}). Failures are
     * {@link TlsConfigException}s naming the URI: "CRL download from http://... failed: HTTP 404".
     */
    public static X509CRL fetch(URI uri, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        HttpResponse<byte[]> response;
        try {
            response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new TlsConfigException("CRL download from " + uri + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TlsConfigException("CRL download from " + uri + " was interrupted", e);
        }
        if (response.statusCode() != 200) {
            throw new TlsConfigException("CRL download from " + uri + " failed: HTTP " + response.statusCode());
        }
        byte[] body = response.body();
        if (body.length > MAX_CRL_BYTES) {
            throw new TlsConfigException("CRL download from " + uri + " failed: larger than " + MAX_CRL_BYTES + " bytes");
        }
        return parse(body, uri);
    }

    /** A CRL from a download's bytes (DER, or PEM {@code BEGIN X509 CRL}); failures name the URI. */
    static X509CRL parse(byte[] body, URI uri) {
        String head = new String(body, 0, Math.min(body.length, 64), StandardCharsets.ISO_8859_1);
        if (head.contains("-----BEGIN")) {
            String text = new String(body, StandardCharsets.US_ASCII);
            int start = text.indexOf("-----BEGIN X509 CRL-----");
            int end = text.indexOf("-----END X509 CRL-----");
            if (start < 0 || end < start) {
                throw new TlsConfigException("CRL download from " + uri + " returned PEM without 'BEGIN X509 CRL'");
            }
            body = java.util.Base64.getMimeDecoder().decode(text.substring(start + 24, end));
        }
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(body));
        } catch (CRLException | CertificateException | RuntimeException e) {
            throw new TlsConfigException("CRL download from " + uri + " did not return a CRL");
        }
    }
}
