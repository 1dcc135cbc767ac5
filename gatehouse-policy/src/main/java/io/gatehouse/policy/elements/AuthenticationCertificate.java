package io.gatehouse.policy.elements;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.tls.KeyMaterial;

import java.io.ByteArrayInputStream;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <authentication-certificate certificate-id="..."/>} (or {@code thumbprint="..."}, or
 * {@code body="@(bytes)" password="..."}): the client certificate the gateway presents to the
 * backend for this request, instead of the backend entity's own. Certificate ids and thumbprints
 * are resolved at load; a PFX body is opened per request.
 */
public final class AuthenticationCertificate implements Policy {
    public static final PolicyType TYPE = new PolicyType("authentication-certificate", EnumSet.of(Section.INBOUND),
            AuthenticationCertificate::compile);

    private final KeyMaterial fixed;
    private final Value<Object> body;
    private final Value<String> password;

    private AuthenticationCertificate(KeyMaterial fixed, Value<Object> body, Value<String> password) {
        this.fixed = fixed;
        this.body = body;
        this.password = password;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "certificate-id", "thumbprint", "body", "password");
        ctx.noContent(e);
        int given = (a.has("certificate-id") ? 1 : 0) + (a.has("thumbprint") ? 1 : 0) + (a.has("body") ? 1 : 0);
        if (given != 1) {
            ctx.error(e.position(), "<authentication-certificate> needs exactly one of 'certificate-id', 'thumbprint' or 'body'");
            return null;
        }
        if (a.has("password") && !a.has("body")) {
            ctx.error(a.position("password"), "'password' applies only with 'body' (a PFX)");
            return null;
        }
        if (a.has("certificate-id")) {
            String id = a.text("certificate-id", null);
            if (id == null) {
                return null;
            }
            KeyMaterial km = ctx.environment().keyPair(id);
            if (km == null) {
                String msg = "unknown certificate '" + id + "' (expected the id of a certificate with a private key)"
                        + Suggest.hint(id, ctx.environment().keyPairIds());
                return unresolved(ctx, a, "certificate-id", msg);
            }
            return new AuthenticationCertificate(km, null, null);
        }
        if (a.has("thumbprint")) {
            String tp = a.text("thumbprint", null);
            if (tp == null) {
                return null;
            }
            String want = DotNetNames.normalizeThumbprint(tp);
            for (String id : ctx.environment().keyPairIds()) {
                KeyMaterial km = ctx.environment().keyPair(id);
                if (DotNetNames.thumbprint(km.leaf()).equals(want)) {
                    return new AuthenticationCertificate(km, null, null);
                }
            }
            return unresolved(ctx, a, "thumbprint", "no configured certificate with a private key has thumbprint " + want);
        }
        Value<Object> body = ctx.value(a.raw("body"), Object.class, "authentication-certificate", t -> t);
        Value<String> pw = a.has("password") ? a.string("password") : Value.constant("");
        return body == null || pw == null ? null : new AuthenticationCertificate(null, body, pw);
    }

    private static Policy unresolved(CompileContext ctx, Attributes a, String attr, String msg) {
        if (ctx.environment().lenientReferences()) {
            ctx.warning(a.position(attr), msg);
        } else {
            ctx.error(a.position(attr), msg);
        }
        return null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        if (fixed != null) {
            exchange.clientCertificate(fixed);
            return DONE;
        }
        Object b = body.get(exchange);
        byte[] bytes;
        if (b instanceof byte[] raw) {
            bytes = raw;
        } else if (b instanceof String s) {
            try {
                bytes = Base64.getMimeDecoder().decode(s);
            } catch (IllegalArgumentException ex) {
                throw fail("body is a string but not base64");
            }
        } else {
            throw fail("body evaluated to " + (b == null ? "null" : b.getClass().getSimpleName()) + " (expected: byte[] or base64 string)");
        }
        String pw = password.get(exchange);
        exchange.clientCertificate(openPfx(bytes, pw == null ? new char[0] : pw.toCharArray()));
        return DONE;
    }

    private static KeyMaterial openPfx(byte[] pfx, char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(pfx), password);
            for (Enumeration<String> aliases = ks.aliases(); aliases.hasMoreElements(); ) {
                String alias = aliases.nextElement();
                if (!ks.isKeyEntry(alias)) {
                    continue;
                }
                Key key = ks.getKey(alias, password);
                Certificate[] chain = ks.getCertificateChain(alias);
                if (key instanceof PrivateKey pk && chain != null && chain.length > 0) {
                    List<X509Certificate> certs = new ArrayList<>();
                    for (Certificate c : chain) {
                        certs.add((X509Certificate) c);
                    }
                    return new KeyMaterial(pk, certs);
                }
            }
            throw fail("the PFX holds no private key with a certificate");
        } catch (GatewayException g) {
            throw g;
        } catch (Exception ex) {
            // the message of a wrong password says nothing secret, but keep it generic anyway
            throw fail("the PFX could not be opened (wrong password or not PKCS#12)");
        }
    }

    private static GatewayException fail(String message) {
        return new GatewayException(500, "authentication-certificate", "CertificateNotValid", message);
    }
}
