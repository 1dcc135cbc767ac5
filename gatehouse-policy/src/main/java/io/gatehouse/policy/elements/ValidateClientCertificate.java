package io.gatehouse.policy.elements;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.xml.XmlElement;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * APIM's {@code validate-client-certificate}
 * (https://learn.microsoft.com/azure/api-management/validate-client-certificate-policy): the
 * certificate the client presented must pass every check switched on by the top-level attributes
 * (validity dates, trust, revocation) and match every attribute of at least one
 * {@code <identity>}. A failure is a 401 with LastError.Source {@code validate-client-certificate}
 * and a Reason such as {@code ClientCertificateExpired}, unless {@code ignore-error="true"}.
 *
 * <p>Revocation ({@code validate-revocation}, with {@code gateway.revocation.mode}): a revoked
 * certificate is {@code ClientCertificateRevoked}; in hard-fail mode a certificate whose status no
 * source could give (responder down, CRL stale or badly signed) is
 * {@code ClientCertificateRevocationUnknown} (APIM documents no name for this case). The check
 * runs on the event loop and reads cached revocation information only: the gateway downloads it
 * right after the handshake, before the connection's first request reaches the policies (see
 * {@link ChainCheck}).
 *
 * <p>Thumbprints compare ignoring case, spaces and invisible characters; subjects and issuers
 * compare as X.500 names (attribute order, spacing and case do not matter).
 */
public final class ValidateClientCertificate implements Policy {
    public static final PolicyType TYPE = new PolicyType("validate-client-certificate", EnumSet.of(Section.INBOUND),
            ValidateClientCertificate::compile);

    static final String SOURCE = "validate-client-certificate";
    private static final int MAX_IDENTITIES = 10;
    private static final String[] IDENTITY_ATTRIBUTES = {"thumbprint", "serial-number", "common-name", "subject",
            "dns-name", "issuer-subject", "issuer-thumbprint", "issuer-certificate-id", "certificate-id"};

    /** One {@code <identity>}: the attributes it gives, already normalized; null means "not checked". */
    record Identity(String thumbprint, String serialNumber, String commonName, String subject, String dnsName,
                    String issuerSubject, String issuerThumbprint, X509Certificate issuerCertificate,
                    X509Certificate certificate) {
    }

    private final boolean validateRevocation;
    private final boolean validateTrust;
    private final boolean validateNotBefore;
    private final boolean validateNotAfter;
    private final boolean ignoreError;
    private final Identity[] identities;
    private final boolean needsIssuers;
    private final ChainCheck chainCheck;
    private final Clock clock;

    private ValidateClientCertificate(boolean validateRevocation, boolean validateTrust, boolean validateNotBefore,
                                      boolean validateNotAfter, boolean ignoreError, List<Identity> identities,
                                      ChainCheck chainCheck, Clock clock) {
        this.validateRevocation = validateRevocation;
        this.validateTrust = validateTrust;
        this.validateNotBefore = validateNotBefore;
        this.validateNotAfter = validateNotAfter;
        this.ignoreError = ignoreError;
        this.identities = identities.toArray(new Identity[0]);
        this.needsIssuers = identities.stream().anyMatch(i -> i.issuerThumbprint() != null);
        this.chainCheck = chainCheck;
        this.clock = clock;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "validate-revocation", "validate-trust", "validate-not-before",
                "validate-not-after", "ignore-error");
        boolean revocation = a.bool("validate-revocation", true);
        boolean trust = a.bool("validate-trust", true);
        boolean notBefore = a.bool("validate-not-before", true);
        boolean notAfter = a.bool("validate-not-after", true);
        boolean ignore = a.bool("ignore-error", false);
        ctx.onlyChildren(e, "identities");
        List<Identity> identities = new ArrayList<>();
        boolean ok = true;
        List<XmlElement> groups = e.elements().stream().filter(c -> c.name().equals("identities")).toList();
        if (groups.size() > 1) {
            ctx.error(groups.get(1).position(), "<validate-client-certificate> has more than one <identities>");
            ok = false;
        }
        for (XmlElement group : groups) {
            ctx.attributes(group);
            ctx.onlyChildren(group, "identity");
            for (XmlElement id : group.elements()) {
                if (!id.name().equals("identity")) {
                    continue;
                }
                Identity identity = identity(id, ctx);
                if (identity == null) {
                    ok = false;
                } else {
                    identities.add(identity);
                }
            }
            if (identities.size() > MAX_IDENTITIES) {
                ctx.error(group.position(), "<identities> has " + identities.size() + " <identity> elements (expected: at most "
                        + MAX_IDENTITIES + ")");
                ok = false;
            }
        }
        return ok ? new ValidateClientCertificate(revocation, trust, notBefore, notAfter, ignore, identities,
                ctx.environment().chainCheck(), ctx.environment().clock()) : null;
    }

    private static Identity identity(XmlElement id, CompileContext ctx) {
        Attributes a = ctx.attributes(id, IDENTITY_ATTRIBUTES);
        ctx.noContent(id);
        if (Arrays.stream(IDENTITY_ATTRIBUTES).noneMatch(a::has)) {
            ctx.error(id.position(), "<identity> names nothing to match: give at least one of " + String.join(", ", IDENTITY_ATTRIBUTES));
            return null;
        }
        boolean ok = true;
        String thumbprint = DotNetNames.normalizeThumbprint(a.text("thumbprint", null));
        if (thumbprint != null && !thumbprint.matches("[0-9A-F]{40}")) {
            ctx.error(a.position("thumbprint"), "thumbprint '" + thumbprint + "' is not a SHA-1 thumbprint (expected: 40 hex digits)");
            ok = false;
        }
        String issuerThumbprint = DotNetNames.normalizeThumbprint(a.text("issuer-thumbprint", null));
        if (issuerThumbprint != null && !issuerThumbprint.matches("[0-9A-F]{40}")) {
            ctx.error(a.position("issuer-thumbprint"), "issuer-thumbprint '" + issuerThumbprint
                    + "' is not a SHA-1 thumbprint (expected: 40 hex digits)");
            ok = false;
        }
        String serial = a.text("serial-number", null);
        String serialNorm = null;
        if (serial != null) {
            serialNorm = normalizeSerial(serial);
            if (serialNorm == null) {
                ctx.error(a.position("serial-number"), "serial-number '" + serial + "' is not a hex serial number");
                ok = false;
            }
        }
        String subject = a.text("subject", null);
        String issuerSubject = a.text("issuer-subject", null);
        for (String attr : new String[] {"subject", "issuer-subject"}) {
            String v = a.text(attr, null);
            if (v != null && !DotNetNames.sameName(v, v)) {
                ctx.error(a.position(attr), attr + " '" + v + "' is not a distinguished name (expected e.g. \"CN=client, O=Contoso, C=US\")");
                ok = false;
            }
        }
        X509Certificate issuerCert = certificate(a, "issuer-certificate-id", ctx);
        X509Certificate cert = certificate(a, "certificate-id", ctx);
        if ((a.has("issuer-certificate-id") && issuerCert == null && !ctx.environment().lenientReferences())
                || (a.has("certificate-id") && cert == null && !ctx.environment().lenientReferences())) {
            ok = false;
        }
        return ok ? new Identity(thumbprint, serialNorm, a.text("common-name", null), subject, a.text("dns-name", null),
                issuerSubject, issuerThumbprint, issuerCert, cert) : null;
    }

    private static X509Certificate certificate(Attributes a, String attr, CompileContext ctx) {
        String id = a.text(attr, null);
        if (id == null) {
            return null;
        }
        X509Certificate c = ctx.environment().certificate(id);
        if (c == null) {
            String msg = "unknown certificate '" + id + "' in " + attr + Suggest.hint(id, ctx.environment().certificateIds());
            if (ctx.environment().lenientReferences()) {
                ctx.warning(a.position(attr), msg);
            } else {
                ctx.error(a.position(attr), msg);
            }
        }
        return c;
    }

    /** Hex digits only, upper case, without leading zeros; null when it is not hex. */
    static String normalizeSerial(String s) {
        String t = DotNetNames.normalizeThumbprint(s).replace("-", "");
        if (t.isEmpty() || !t.matches("[0-9A-F]+")) {
            return null;
        }
        return new BigInteger(t, 16).toString(16).toUpperCase(Locale.ROOT);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String failure = check(exchange.context().request().certificate());
        if (failure == null) {
            return DONE;
        }
        int colon = failure.indexOf(':');
        String reason = failure.substring(0, colon);
        String message = failure.substring(colon + 2);
        if (ignoreError) {
            exchange.trace(new TraceEntry(SOURCE, "information", "ignored: " + reason + ": " + message, Map.of()));
            return DONE;
        }
        throw new GatewayException(401, SOURCE, reason, message);
    }

    /** "Reason: message" for the first failed check, or null when the certificate passes. */
    private String check(X509Certificate2 presented) {
        if (presented == null) {
            return "ClientCertificateNotFound: the client presented no certificate";
        }
        X509Certificate cert = presented.certificate();
        Instant now = clock.instant();
        if (validateNotBefore && now.isBefore(cert.getNotBefore().toInstant())) {
            return "ClientCertificateNotYetValid: the certificate is valid only from " + cert.getNotBefore().toInstant();
        }
        if (validateNotAfter && now.isAfter(cert.getNotAfter().toInstant())) {
            return "ClientCertificateExpired: the certificate expired at " + cert.getNotAfter().toInstant();
        }
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(cert);
        for (X509Certificate c : presented.chain()) {
            if (!c.equals(cert)) {
                chain.add(c);
            }
        }
        // the trust of the hostname the certificate's connection is on, where the gateway gave it
        ChainCheck chainCheck = presented.verifier() instanceof ChainCheck.Scoped scoped ? scoped.chainCheck()
                : this.chainCheck;
        ChainCheck.Result r = null;
        if (validateTrust || validateRevocation) {
            r = chainCheck.check(chain, validateRevocation, now);
            if (validateRevocation && r.revoked()) {
                return "ClientCertificateRevoked: " + r.reason();
            }
            if (validateRevocation && r.revocationUnknown()) {
                // hard-fail only: no source (OCSP responder, CRL) could say whether it is revoked
                return "ClientCertificateRevocationUnknown: " + r.reason();
            }
            if (validateTrust && !r.trusted()) {
                return "ClientCertificateNotTrusted: " + r.reason();
            }
        }
        if (identities.length == 0) {
            return null;
        }
        List<X509Certificate> known = new ArrayList<>(chain);
        if (needsIssuers) {
            if (r == null) {
                r = chainCheck.check(chain, false, now);
            }
            known.addAll(r.path());
        }
        for (Identity id : identities) {
            if (matches(id, presented, known)) {
                return null;
            }
        }
        return "ClientCertificateIdentityNotMatched: the certificate (subject '" + presented.subject()
                + "') matches none of the " + identities.length + " allowed identities";
    }

    static boolean matches(Identity id, X509Certificate2 presented, List<X509Certificate> known) {
        X509Certificate cert = presented.certificate();
        if (id.thumbprint() != null && !id.thumbprint().equals(presented.thumbprint())) {
            return false;
        }
        if (id.serialNumber() != null && !id.serialNumber().equals(cert.getSerialNumber().toString(16).toUpperCase(Locale.ROOT))) {
            return false;
        }
        if (id.commonName() != null && !commonNames(cert).contains(id.commonName())) {
            return false;
        }
        if (id.subject() != null && !DotNetNames.sameName(id.subject(), presented.subject())) {
            return false;
        }
        if (id.dnsName() != null && !dnsNames(cert).contains(id.dnsName().toLowerCase(Locale.ROOT))) {
            return false;
        }
        if (id.issuerSubject() != null && !DotNetNames.sameName(id.issuerSubject(), presented.issuer())) {
            return false;
        }
        if (id.issuerThumbprint() != null && !issuers(cert, known).stream()
                .anyMatch(i -> DotNetNames.thumbprint(i).equals(id.issuerThumbprint()))) {
            return false;
        }
        if (id.issuerCertificate() != null && !signedBy(cert, id.issuerCertificate())) {
            return false;
        }
        return id.certificate() == null || id.certificate().equals(cert);
    }

    /** Known certificates (sent along or on the validated path) that really issued {@code cert}: name matches and signature verifies. */
    private static List<X509Certificate> issuers(X509Certificate cert, List<X509Certificate> known) {
        List<X509Certificate> out = new ArrayList<>();
        for (X509Certificate c : known) {
            if (signedBy(cert, c)) {
                out.add(c);
            }
        }
        return out;
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static List<String> commonNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    out.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (Exception e) {
            // an unreadable subject has no common name
        }
        return out;
    }

    private static List<String> dnsNames(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
                        out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (Exception e) {
            // no readable SANs
        }
        return out;
    }
}
