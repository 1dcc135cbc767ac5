package io.gatehouse.policy.elements.jwt;

import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlElement;

import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.security.Key;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads the child elements {@code validate-jwt} and {@code validate-azure-ad-token} share
 * ({@code <issuer-signing-keys>}, {@code <decryption-keys>}, {@code <audiences>},
 * {@code <issuers>}, {@code <required-claims>}, {@code <openid-config>}), reporting problems with
 * positions. Each method returns null after reporting an error.
 */
public final class JwtElements {
    private JwtElements() {
    }

    /** The token source from header-name / query-parameter-name / token-value: exactly one, or {@code fallbackHeader}. */
    public static JwtCheck.TokenSource source(XmlElement e, Attributes a, CompileContext ctx, String fallbackHeader) {
        int n = (a.has("header-name") ? 1 : 0) + (a.has("query-parameter-name") ? 1 : 0) + (a.has("token-value") ? 1 : 0);
        if (n > 1) {
            ctx.error(e.position(), "<" + e.name() + "> takes only one of header-name, query-parameter-name and token-value");
            return null;
        }
        if (a.has("query-parameter-name")) {
            return new JwtCheck.TokenSource.Query(a.text("query-parameter-name", ""));
        }
        if (a.has("token-value")) {
            var v = a.string("token-value");
            return v == null ? null : new JwtCheck.TokenSource.Expression(v);
        }
        if (a.has("header-name")) {
            return new JwtCheck.TokenSource.Header(a.text("header-name", fallbackHeader));
        }
        if (fallbackHeader == null) {
            ctx.error(e.position(), "<" + e.name() + "> needs one of header-name, query-parameter-name or token-value");
            return null;
        }
        return new JwtCheck.TokenSource.Header(fallbackHeader);
    }

    /**
     * {@code <key>base64</key>}, {@code <key certificate-id="..."/>} or {@code <key n="..." e="..."/>}
     * children of {@code parent}. Symmetric keys are made for {@code symmetricAlgorithm} (HMAC for
     * signing keys, AES for decryption keys).
     */
    public static List<Key> keys(XmlElement parent, CompileContext ctx, String symmetricAlgorithm, boolean[] ok) {
        ctx.attributes(parent);
        ctx.onlyChildren(parent, "key");
        List<Key> keys = new ArrayList<>();
        for (XmlElement k : parent.elements()) {
            if (!k.name().equals("key")) {
                continue;
            }
            Attributes ka = ctx.attributes(k, "certificate-id", "n", "e");
            ctx.noElements(k);
            SourceValue text = k.textValue();
            String body = text == null ? "" : ctx.literal(text);
            if (body == null) { // reported: what an unknown named value holds cannot be checked
                continue;
            }
            body = body.strip();
            int forms = (body.isEmpty() ? 0 : 1) + (ka.has("certificate-id") ? 1 : 0) + (ka.has("n") || ka.has("e") ? 1 : 0);
            if (forms != 1) {
                ctx.error(k.position(), "<key> needs exactly one of: a base64 key as its text, certificate-id, or n and e (an RSA key)");
                ok[0] = false;
                continue;
            }
            if (ka.has("certificate-id")) {
                String id = ka.text("certificate-id", "");
                X509Certificate c = ctx.environment().certificate(id);
                if (c == null) {
                    String msg = "<key certificate-id=\"" + id + "\">: no certificate with that id is configured";
                    if (ctx.environment().lenientReferences()) {
                        ctx.warning(ka.position("certificate-id"), msg);
                    } else {
                        ctx.error(ka.position("certificate-id"), msg);
                        ok[0] = false;
                    }
                    continue;
                }
                keys.add(c.getPublicKey());
            } else if (ka.has("n") || ka.has("e")) {
                String n = ka.requiredText("n");
                String ex = ka.requiredText("e");
                if (n == null || ex == null) {
                    ok[0] = false;
                    continue;
                }
                try {
                    keys.add(JwtCheck.rsa(n.strip(), ex.strip()));
                } catch (Exception bad) {
                    ctx.error(k.position(), "<key>: n and e are not a base64url RSA modulus and exponent");
                    ok[0] = false;
                }
            } else {
                if (CompileContext.isExpression(body)) {
                    ctx.error(text.strip().start(), "<key> does not accept a policy expression");
                    ok[0] = false;
                    continue;
                }
                try {
                    byte[] bytes = Base64.getDecoder().decode(body);
                    keys.add(new SecretKeySpec(bytes, symmetricAlgorithm));
                } catch (IllegalArgumentException bad) {
                    // the key itself is never echoed: it is a secret
                    ctx.error(text.strip().start(), "<key>: the text is not base64 (expected a base64-encoded symmetric key)");
                    ok[0] = false;
                }
            }
        }
        return keys;
    }

    /** The texts of {@code <childName>} children (audiences, issuers, application ids). */
    public static List<String> texts(XmlElement parent, String childName, CompileContext ctx, boolean[] ok) {
        ctx.attributes(parent);
        return values(parent, childName, ctx, ok);
    }

    /**
     * The values of {@code <childName>} children where APIM accepts policy expressions
     * ({@code <audience>}, {@code <issuer>}): constants or expressions evaluated per request.
     */
    public static List<Value<String>> valueTexts(XmlElement parent, String childName, CompileContext ctx, boolean[] ok) {
        ctx.attributes(parent);
        ctx.onlyChildren(parent, childName);
        List<Value<String>> out = new ArrayList<>();
        for (XmlElement c : parent.elements()) {
            if (!c.name().equals(childName)) {
                continue;
            }
            ctx.attributes(c);
            ctx.noElements(c);
            SourceValue t = c.textValue();
            if (t == null || t.text().isBlank()) {
                ctx.error(c.position(), "<" + childName + "> is empty");
                ok[0] = false;
                continue;
            }
            Value<String> v = ctx.string(t.strip(), parent.name());
            if (v == null) {
                ok[0] = false;
            } else {
                out.add(v.isConstant() ? Value.constant(v.constant().strip()) : v);
            }
        }
        return out;
    }

    /** Like {@link #texts} without checking the parent's attributes (the caller did). */
    private static List<String> values(XmlElement parent, String childName, CompileContext ctx, boolean[] ok) {
        ctx.onlyChildren(parent, childName);
        List<String> out = new ArrayList<>();
        for (XmlElement c : parent.elements()) {
            if (!c.name().equals(childName)) {
                continue;
            }
            ctx.attributes(c);
            ctx.noElements(c);
            SourceValue t = c.textValue();
            String v = t == null ? "" : ctx.literal(t);
            if (v == null) { // reported: what an unknown named value holds cannot be checked
                continue;
            }
            v = v.strip();
            if (v.isEmpty()) {
                ctx.error(c.position(), "<" + childName + "> is empty");
                ok[0] = false;
            } else if (CompileContext.isExpression(v)) {
                ctx.error(t.strip().start(), "<" + childName + "> does not accept a policy expression");
                ok[0] = false;
            } else {
                out.add(v);
            }
        }
        return out;
    }

    /** {@code <required-claims><claim name match="all|any" separator><value>...</value></claim></required-claims>}. */
    public static List<JwtCheck.Claim> claims(XmlElement parent, CompileContext ctx, boolean[] ok) {
        ctx.attributes(parent);
        ctx.onlyChildren(parent, "claim");
        List<JwtCheck.Claim> out = new ArrayList<>();
        for (XmlElement c : parent.elements()) {
            if (!c.name().equals("claim")) {
                continue;
            }
            Attributes ca = ctx.attributes(c, "name", "match", "separator");
            String name = ca.requiredText("name");
            String match = ca.choice("match", "all", "all", "any");
            String sep = ca.text("separator", null);
            List<String> values = values(c, "value", ctx, ok);
            if (name == null) {
                ok[0] = false;
                continue;
            }
            out.add(new JwtCheck.Claim(name, match.equals("all"), sep, values));
        }
        return out;
    }

    /** {@code <openid-config url="..."/>}: an absolute http(s) URL, or a policy expression giving one per request. */
    public static OpenIdSource openId(XmlElement e, CompileContext ctx, boolean[] ok) {
        Attributes a = ctx.attributes(e, "url");
        ctx.noContent(e);
        if (a.has("url") && CompileContext.isExpression(a.raw("url").text().strip())) {
            Value<String> computed = a.string("url");
            if (computed == null) {
                ok[0] = false;
                return null;
            }
            return OpenIdSource.computed(computed, ctx.environment().clock(), ctx.environment().outboundHttp(), "validate-jwt");
        }
        String url = a.requiredText("url");
        if (url == null) {
            ok[0] = false;
            return null;
        }
        try {
            URI u = new URI(url.strip());
            if (!"https".equalsIgnoreCase(u.getScheme()) && !"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException();
            }
            return OpenIdSource.of(new OpenIdKeys(u, ctx.environment().clock(), ctx.environment().outboundHttp(), "validate-jwt"));
        } catch (Exception bad) {
            ctx.error(a.position("url"), "attribute 'url' on <openid-config>: '" + url + "' (expected: an absolute https URL)");
            ok[0] = false;
            return null;
        }
    }
}
