package io.gatehouse.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.x509.AccessDescription;
import org.bouncycastle.asn1.x509.AuthorityInformationAccess;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.ocsp.BasicOCSPResp;
import org.bouncycastle.cert.ocsp.CertificateID;
import org.bouncycastle.cert.ocsp.CertificateStatus;
import org.bouncycastle.cert.ocsp.OCSPException;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.bouncycastle.cert.ocsp.OCSPReqBuilder;
import org.bouncycastle.cert.ocsp.OCSPResp;
import org.bouncycastle.cert.ocsp.RevokedStatus;
import org.bouncycastle.cert.ocsp.SingleResp;
import org.bouncycastle.cert.ocsp.UnknownStatus;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;

/**
 * OCSP (RFC 6960) with BouncyCastle: the responder URLs a certificate names, the request for one
 * certificate, and what a response proves.
 *
 * <p>A response counts only when it is a successful basic response, signed either by the
 * certificate's issuer or by a delegated responder whose certificate the issuer signed directly,
 * carries id-kp-OCSPSigning and is within its validity dates (4.2.2.2; the delegated responder's
 * own revocation is not checked, as id-pkix-ocsp-nocheck invites), holds a single response for
 * the certificate asked about (same issuer name and key hash, same serial), has a thisUpdate no
 * more than 5 minutes in the future and a nextUpdate not passed (without nextUpdate: a thisUpdate
 * at most 5 minutes old). The request carries a nonce; a response that echoes a different nonce
 * does not count, one without a nonce does (responders that pre-sign their answers omit it).
 */
public final class OcspChecks {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Clock difference allowed between the gateway and a responder. */
    static final Duration SKEW = Duration.ofMinutes(5);
    /** How long a response without nextUpdate counts after its thisUpdate. */
    static final Duration NO_NEXT_UPDATE_LIFE = Duration.ofMinutes(5);

    private OcspChecks() {
    }

    /** A certificate's status as a responder gave it. */
    public enum Status {
        GOOD, REVOKED, UNKNOWN
    }

    /**
     * A verified answer.
     *
     * @param encoded the whole response as the responder sent it (what a server staples)
     */
    record Answer(Status status, Instant revokedAt, String revocationReason, Instant thisUpdate, Instant nextUpdate,
            byte[] encoded) {
        /** Until when the answer may be reused: its nextUpdate, else {@link #NO_NEXT_UPDATE_LIFE} after thisUpdate. */
        Instant cacheUntil() {
            return nextUpdate != null ? nextUpdate : thisUpdate.plus(NO_NEXT_UPDATE_LIFE);
        }

        /** Whether the answer is still current at {@code at}. */
        boolean currentAt(Instant at) {
            return !thisUpdate.isAfter(at.plus(SKEW)) && !at.isAfter(cacheUntil());
        }
    }

    /** A request with what its response must match. */
    record Request(byte[] encoded, CertificateID id, byte[] nonce) {
    }

    /** The http:// OCSP responder URLs in the certificate's authorityInfoAccess (others are ignored). */
    public static List<URI> responders(X509Certificate certificate) {
        byte[] ext = certificate.getExtensionValue(Extension.authorityInfoAccess.getId());
        List<URI> out = new ArrayList<>();
        if (ext == null) {
            return out;
        }
        try {
            AuthorityInformationAccess aia = AuthorityInformationAccess.getInstance(
                    ASN1OctetString.getInstance(ext).getOctets());
            for (AccessDescription d : aia.getAccessDescriptions()) {
                if (d.getAccessMethod().equals(AccessDescription.id_ad_ocsp)
                        && d.getAccessLocation().getTagNo() == GeneralName.uniformResourceIdentifier) {
                    String uri = d.getAccessLocation().getName().toString();
                    String lower = uri.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("http://") || lower.startsWith("https://")) {
                        out.add(URI.create(uri));
                    }
                }
            }
        } catch (RuntimeException e) {
            return List.of(); // an unreadable extension names no responder
        }
        return out;
    }

    /** The request for the certificate with {@code serial} issued by {@code issuer} (SHA-1 CertID, as RFC 5019 asks), with a nonce. */
    static Request request(X509Certificate issuer, BigInteger serial) {
        try {
            CertificateID id = new CertificateID(digests().get(CertificateID.HASH_SHA1),
                    new JcaX509CertificateHolder(issuer), serial);
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            OCSPReq req = new OCSPReqBuilder().addRequest(id)
                    .setRequestExtensions(new Extensions(new Extension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce, false,
                            new DEROctetString(nonce))))
                    .build();
            return new Request(req.getEncoded(), id, nonce);
        } catch (OCSPException | OperatorCreationException | CertificateException | IOException e) {
            throw new TlsConfigException("cannot build an OCSP request: " + e.getMessage(), e);
        }
    }

    /**
     * What a response proves about the request's certificate, checked as the class comment says;
     * a response that proves nothing is a {@link TlsConfigException} saying why.
     */
    static Answer verify(byte[] body, Request request, X509Certificate issuer, Instant now) {
        try {
            OCSPResp resp = new OCSPResp(body);
            if (resp.getStatus() != OCSPResp.SUCCESSFUL) {
                throw new TlsConfigException("the OCSP responder answered " + statusWords(resp.getStatus()));
            }
            if (!(resp.getResponseObject() instanceof BasicOCSPResp basic)) {
                throw new TlsConfigException("the OCSP response is not a basic OCSP response");
            }
            if (!signedByIssuerOrDelegate(basic, issuer, now)) {
                throw new TlsConfigException("the OCSP response is not signed by " + ChainVerifier.quote(issuer)
                        + " or a responder it authorised (id-kp-OCSPSigning)");
            }
            Extension nonce = basic.getExtension(OCSPObjectIdentifiers.id_pkix_ocsp_nonce);
            if (nonce != null) {
                byte[] echoed = nonce.getExtnValue().getOctets();
                byte[] expected = new DEROctetString(request.nonce()).getEncoded();
                if (!Arrays.equals(echoed, request.nonce()) && !Arrays.equals(echoed, expected)) {
                    throw new TlsConfigException("the OCSP response carries another request's nonce");
                }
            }
            X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(issuer);
            for (SingleResp s : basic.getResponses()) {
                CertificateID id = s.getCertID();
                if (!id.getSerialNumber().equals(request.id().getSerialNumber())
                        || !id.matchesIssuer(issuerHolder, digests())) {
                    continue;
                }
                Instant thisUpdate = s.getThisUpdate().toInstant();
                Instant nextUpdate = s.getNextUpdate() == null ? null : s.getNextUpdate().toInstant();
                if (thisUpdate.isAfter(now.plus(SKEW))) {
                    throw new TlsConfigException("the OCSP response is dated " + thisUpdate + ", in the future");
                }
                Status status;
                Instant revokedAt = null;
                String reason = null;
                CertificateStatus cs = s.getCertStatus();
                if (cs == CertificateStatus.GOOD) {
                    status = Status.GOOD;
                } else if (cs instanceof RevokedStatus r) {
                    status = Status.REVOKED;
                    revokedAt = r.getRevocationTime().toInstant();
                    reason = r.hasRevocationReason() ? reasonWords(r.getRevocationReason()) : null;
                } else if (cs instanceof UnknownStatus) {
                    status = Status.UNKNOWN;
                } else {
                    throw new TlsConfigException("the OCSP response gives an unreadable status");
                }
                Answer a = new Answer(status, revokedAt, reason, thisUpdate, nextUpdate, body.clone());
                if (!a.currentAt(now)) {
                    throw new TlsConfigException("the OCSP response is stale (thisUpdate " + thisUpdate
                            + (nextUpdate == null ? ", no nextUpdate" : ", nextUpdate " + nextUpdate) + ")");
                }
                return a;
            }
            throw new TlsConfigException("the OCSP response does not answer for the certificate asked about");
        } catch (IOException | OCSPException | OperatorCreationException | CertificateException e) {
            throw new TlsConfigException("the OCSP response is unreadable: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e instanceof TlsConfigException t) {
                throw t;
            }
            throw new TlsConfigException("the OCSP response is unreadable: " + e, e);
        }
    }

    private static boolean signedByIssuerOrDelegate(BasicOCSPResp basic, X509Certificate issuer, Instant now)
            throws OperatorCreationException, OCSPException, CertificateException, IOException {
        if (basic.isSignatureValid(verifier(issuer))) {
            return true;
        }
        X509CertificateHolder issuerHolder = new JcaX509CertificateHolder(issuer);
        for (X509CertificateHolder responder : basic.getCerts()) {
            if (!responder.getIssuer().equals(issuerHolder.getSubject())
                    || !responder.isValidOn(java.util.Date.from(now))) {
                continue;
            }
            try {
                if (!responder.isSignatureValid(new JcaContentVerifierProviderBuilder()
                        .setProvider(Bc.PROVIDER).build(issuer.getPublicKey()))) {
                    continue; // not issued by the certificate's issuer
                }
            } catch (org.bouncycastle.cert.CertException e) {
                continue;
            }
            org.bouncycastle.asn1.x509.ExtendedKeyUsage eku =
                    org.bouncycastle.asn1.x509.ExtendedKeyUsage.fromExtensions(responder.getExtensions());
            if (eku == null || !eku.hasKeyPurposeId(KeyPurposeId.id_kp_OCSPSigning)) {
                continue;
            }
            ContentVerifierProvider v = new JcaContentVerifierProviderBuilder().setProvider(Bc.PROVIDER)
                    .build(responder);
            if (basic.isSignatureValid(v)) {
                return true;
            }
        }
        return false;
    }

    private static ContentVerifierProvider verifier(X509Certificate issuer) throws OperatorCreationException {
        return new JcaContentVerifierProviderBuilder().setProvider(Bc.PROVIDER).build(issuer.getPublicKey());
    }

    private static DigestCalculatorProvider digests() throws OperatorCreationException {
        return new JcaDigestCalculatorProviderBuilder().setProvider(Bc.PROVIDER).build();
    }

    private static String statusWords(int status) {
        return switch (status) {
            case OCSPResp.MALFORMED_REQUEST -> "malformedRequest";
            case OCSPResp.INTERNAL_ERROR -> "internalError";
            case OCSPResp.TRY_LATER -> "tryLater";
            case OCSPResp.SIG_REQUIRED -> "sigRequired";
            case OCSPResp.UNAUTHORIZED -> "unauthorized";
            default -> "status " + status;
        };
    }

    private static String reasonWords(int reason) {
        return switch (reason) {
            case 1 -> "keyCompromise";
            case 2 -> "cACompromise";
            case 3 -> "affiliationChanged";
            case 4 -> "superseded";
            case 5 -> "cessationOfOperation";
            case 6 -> "certificateHold";
            case 8 -> "removeFromCRL";
            case 9 -> "privilegeWithdrawn";
            case 10 -> "aACompromise";
            default -> "unspecified";
        };
    }
}
