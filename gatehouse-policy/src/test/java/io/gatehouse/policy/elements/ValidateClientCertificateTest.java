package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.expr.context.LastError;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ValidateClientCertificateTest {
    static Pki.Issued ca;
    static Pki.Issued impostorCa;
    static Pki.Issued client;
    static Pki.Issued other;
    static Pki.Issued revoked;
    static Pki.Issued withDns;
    static Pki.Issued fromImpostor;
    static Pki.Issued expired;
    static Pki.Issued notYetValid;
    static PolicyEnvironment env;

    @BeforeAll
    static void pki() {
        ca = Pki.ca("CN=Clinic Client CA,O=Contoso Health,C=US", Duration.ofDays(30));
        impostorCa = Pki.ca("CN=Clinic Client CA,O=Contoso Health,C=US", Duration.ofDays(30));
        client = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,OU=Radiology,O=Contoso Health,C=US"));
        other = Pki.issue(ca, Pki.IssueRequest.client("CN=lab-app,O=Contoso Health,C=US"));
        revoked = Pki.issue(ca, Pki.IssueRequest.client("CN=stolen-laptop,O=Contoso Health,C=US"));
        withDns = Pki.issue(ca, new Pki.IssueRequest("CN=svc", List.of("svc.contoso.local"), List.of(), false, true, null, null, null));
        fromImpostor = Pki.issue(impostorCa, Pki.IssueRequest.client("CN=clinic-app,OU=Radiology,O=Contoso Health,C=US"));
        Instant now = Instant.now();
        expired = Pki.issue(ca, Pki.IssueRequest.client("CN=old,O=Contoso Health,C=US")
                .withValidity(now.minus(3, ChronoUnit.DAYS), now.minus(1, ChronoUnit.DAYS)));
        notYetValid = Pki.issue(ca, Pki.IssueRequest.client("CN=future,O=Contoso Health,C=US")
                .withValidity(now.plus(1, ChronoUnit.DAYS), now.plus(3, ChronoUnit.DAYS)));
        env = PolicyEnvironment.builder()
                .chainCheck(ChainCheck.of(CaStore.of(List.of(ca.certificate()), List.of(),
                        List.of(Pki.crl(ca, List.of(revoked.certificate().getSerialNumber()),
                                now.minus(1, ChronoUnit.HOURS), now.plus(1, ChronoUnit.DAYS)))), RevocationMode.SOFT_FAIL))
                .certificate("client-ca-root", ca.certificate())
                .certificate("clinic-app", client.certificate())
                .build();
    }

    private static EffectivePolicy policy(String validate) {
        String xml = "<policies><inbound>" + validate + "</inbound><backend><forward-request/></backend>"
                + "<outbound/><on-error/></policies>";
        return Harness.compile(new PolicyEngine(env), xml);
    }

    /** Runs the policy for the certificate: null when the request was forwarded, else LastError.Reason. */
    private static String outcome(String validate, Pki.Issued cert) {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = Harness.context(cert);
        Harness.run(policy(validate), ctx, f);
        if (f.calls.get() == 1) {
            assertThat(ctx.lastError()).isNull();
            return null;
        }
        assertThat(ctx.response().statusCode()).isEqualTo(401);
        assertThat(ctx.lastError().source()).isEqualTo("validate-client-certificate");
        return ctx.lastError().reason();
    }

    private static String identity(String attrs, Pki.Issued cert) {
        return outcome("<validate-client-certificate validate-revocation=\"false\"><identities><identity " + attrs
                + "/></identities></validate-client-certificate>", cert);
    }

    @Test
    void acceptsTrustedCertificateWithDefaults() {
        assertThat(outcome("<validate-client-certificate/>", client)).isNull();
    }

    @Test
    void rejectsMissingCertificate() {
        assertThat(outcome("<validate-client-certificate/>", null)).isEqualTo("ClientCertificateNotFound");
    }

    @Test
    void rejectsExpiredCertificateUnlessNotAfterIsOff() {
        assertThat(outcome("<validate-client-certificate/>", expired)).isEqualTo("ClientCertificateExpired");
        assertThat(outcome("<validate-client-certificate validate-not-after=\"false\" validate-trust=\"false\" validate-revocation=\"false\"/>",
                expired)).isNull();
    }

    @Test
    void rejectsNotYetValidCertificateUnlessNotBeforeIsOff() {
        assertThat(outcome("<validate-client-certificate/>", notYetValid)).isEqualTo("ClientCertificateNotYetValid");
        assertThat(outcome("<validate-client-certificate validate-not-before=\"false\" validate-trust=\"false\" validate-revocation=\"false\"/>",
                notYetValid)).isNull();
    }

    @Test
    void rejectsCertificateFromImpostorCaWithSameNameUnlessTrustIsOff() {
        assertThat(outcome("<validate-client-certificate/>", fromImpostor)).isEqualTo("ClientCertificateNotTrusted");
        assertThat(outcome("<validate-client-certificate validate-trust=\"false\" validate-revocation=\"false\"/>", fromImpostor)).isNull();
    }

    @Test
    void rejectsRevokedCertificateUnlessRevocationIsOff() {
        assertThat(outcome("<validate-client-certificate/>", revoked)).isEqualTo("ClientCertificateRevoked");
        assertThat(outcome("<validate-client-certificate validate-revocation=\"false\"/>", revoked)).isNull();
    }

    /** Hard-fail with no source for the certificate's status: its own reason, distinct from revoked and untrusted. */
    @Test
    void unknownRevocationStatusInHardFailHasItsOwnReason() {
        PolicyEnvironment hard = PolicyEnvironment.builder()
                .chainCheck(ChainCheck.of(CaStore.of(List.of(ca.certificate()), List.of(), List.of()),
                        RevocationMode.HARD_FAIL, io.gatehouse.tls.RevocationSources.NONE))
                .build();
        for (String attrs : List.of("", " validate-revocation=\"false\"")) {
            String xml = "<policies><inbound><validate-client-certificate" + attrs + "/></inbound>"
                    + "<backend><forward-request/></backend><outbound/><on-error/></policies>";
            Harness.RecordingForwarder f = new Harness.RecordingForwarder();
            PolicyContext ctx = Harness.context(client);
            Harness.run(Harness.compile(new PolicyEngine(hard), xml), ctx, f);
            if (attrs.isEmpty()) {
                assertThat(ctx.response().statusCode()).isEqualTo(401);
                assertThat(ctx.lastError().reason()).isEqualTo("ClientCertificateRevocationUnknown");
                assertThat(ctx.lastError().message()).contains("revocation mode hard-fail");
            } else {
                assertThat(f.calls.get()).isEqualTo(1);
            }
        }
    }

    @Test
    void ignoreErrorLetsTheRequestThrough() {
        assertThat(outcome("<validate-client-certificate ignore-error=\"true\"/>", null)).isNull();
    }

    @Test
    void matchesThumbprintIgnoringCaseSpacesAndInvisibleCharacters() {
        String tp = DotNetNames.thumbprint(client.certificate());
        String messy = "\u200e" + tp.toLowerCase().replaceAll("(..)", "$1 ").strip();
        assertThat(identity("thumbprint=\"" + messy + "\"", client)).isNull();
        assertThat(identity("thumbprint=\"" + tp + "\"", other)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesSerialNumber() {
        String serial = client.certificate().getSerialNumber().toString(16);
        assertThat(identity("serial-number=\"" + serial.toLowerCase() + "\"", client)).isNull();
        assertThat(identity("serial-number=\"" + serial + "\"", other)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesCommonName() {
        assertThat(identity("common-name=\"clinic-app\"", client)).isNull();
        assertThat(identity("common-name=\"clinic-app\"", other)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesSubjectAsX500NameInEitherForm() {
        assertThat(identity("subject=\"CN=clinic-app, OU=Radiology, O=Contoso Health, C=US\"", client)).isNull();
        assertThat(identity("subject=\"cn=clinic-app,ou=radiology,o=contoso health,c=us\"", client)).isNull();
        assertThat(identity("subject=\"CN=clinic-app, O=Contoso Health, C=US\"", client)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesDnsName() {
        assertThat(identity("dns-name=\"svc.contoso.local\"", withDns)).isNull();
        assertThat(identity("dns-name=\"svc.contoso.local\"", client)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesIssuerSubject() {
        assertThat(identity("issuer-subject=\"CN=Clinic Client CA, O=Contoso Health, C=US\"", client)).isNull();
        assertThat(identity("issuer-subject=\"CN=Other CA\"", client)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesIssuerThumbprintOnlyForTheRealIssuer() {
        String caTp = DotNetNames.thumbprint(ca.certificate());
        assertThat(identity("issuer-thumbprint=\"" + caTp + "\"", client)).isNull();
        // same issuer name, different key: the impostor's chain does not contain our CA
        assertThat(outcome("<validate-client-certificate validate-trust=\"false\" validate-revocation=\"false\"><identities>"
                + "<identity issuer-thumbprint=\"" + caTp + "\"/></identities></validate-client-certificate>", fromImpostor))
                .isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesIssuerCertificateIdBySignature() {
        assertThat(identity("issuer-certificate-id=\"client-ca-root\"", client)).isNull();
        assertThat(outcome("<validate-client-certificate validate-trust=\"false\" validate-revocation=\"false\"><identities>"
                + "<identity issuer-certificate-id=\"client-ca-root\"/></identities></validate-client-certificate>", fromImpostor))
                .isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void matchesCertificateId() {
        assertThat(identity("certificate-id=\"clinic-app\"", client)).isNull();
        assertThat(identity("certificate-id=\"clinic-app\"", other)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void requiresEveryAttributeOfOneIdentity() {
        String tp = DotNetNames.thumbprint(client.certificate());
        assertThat(identity("thumbprint=\"" + tp + "\" common-name=\"clinic-app\"", client)).isNull();
        assertThat(identity("thumbprint=\"" + tp + "\" common-name=\"lab-app\"", client)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void acceptsAnyOfSeveralIdentities() {
        String xml = "<validate-client-certificate validate-revocation=\"false\"><identities>"
                + "<identity common-name=\"nobody\"/><identity common-name=\"lab-app\"/></identities></validate-client-certificate>";
        assertThat(outcome(xml, other)).isNull();
        assertThat(outcome(xml, client)).isEqualTo("ClientCertificateIdentityNotMatched");
    }

    @Test
    void failureFillsLastErrorAndAnswersSmallJson() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext ctx = Harness.context(expired);
        Exchange ex = Harness.run(policy("<validate-client-certificate id=\"mtls\"/>"), ctx, f);
        LastError e = ctx.lastError();
        assertThat(e.source()).isEqualTo("validate-client-certificate");
        assertThat(e.reason()).isEqualTo("ClientCertificateExpired");
        assertThat(e.section()).isEqualTo("inbound");
        assertThat(e.scope()).isEqualTo("api");
        assertThat(e.path()).isEqualTo("validate-client-certificate");
        assertThat(e.policyId()).isEqualTo("mtls");
        assertThat(e.message()).contains("expired");
        assertThat(f.calls).hasValue(0);
        assertThat(Harness.body(ctx)).isEqualTo("{\"statusCode\": 401, \"message\": \"Access denied due to missing or invalid client certificate\"}");
        assertThat(ex.failure().reason()).isEqualTo("ClientCertificateExpired");
    }

    @Test
    void reportsBadIdentityAttributesAtLoad() {
        Diagnostics d = new Diagnostics();
        new PolicyEngine(env).parse(new SourceText("v.xml", """
                <policies><inbound>
                  <validate-client-certificate validate-trust="yes">
                    <identities><identity thumbprint="ABC" issuer-certificate-id="nope" subjekt="CN=x"/></identities>
                  </validate-client-certificate>
                </inbound></policies>"""), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactlyInAnyOrder(
                "v.xml:2:32: error: attribute 'validate-trust' on <validate-client-certificate>: 'yes' (expected: true or false)",
                "v.xml:3:73: error: unknown attribute 'subjekt' on <identity> (did you mean 'subject'?); expected one of: "
                        + "certificate-id, common-name, dns-name, issuer-certificate-id, issuer-subject, issuer-thumbprint, serial-number, subject, thumbprint",
                "v.xml:3:27: error: thumbprint 'ABC' is not a SHA-1 thumbprint (expected: 40 hex digits)",
                "v.xml:3:44: error: unknown certificate 'nope' in issuer-certificate-id");
    }
}
