package io.gatehouse.policy.elements;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.Jwt;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** validate-jwt: token sources, signatures (symmetric, RSA n/e, OpenID JWKS), time, audiences, issuers, claims, diagnostics. */
class ValidateJwtTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final String SECRET_B64 = Base64.getEncoder().encodeToString(SECRET);
    private static final String HS_POLICY = """
            <validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt">
              <issuer-signing-keys><key>%s</key></issuer-signing-keys>
              <audiences><audience>api://labs</audience></audiences>
              <issuers><issuer>https://idp.example</issuer></issuers>
              <required-claims>
                <claim name="roles" match="any"><value>lab.read</value><value>lab.admin</value></claim>
                <claim name="scp" match="all" separator=" "><value>read</value><value>write</value></claim>
              </required-claims>
            </validate-jwt>""".formatted(SECRET_B64);

    private static HttpServer server;
    private static RSAKey rsa1;
    private static RSAKey rsa2;
    private static volatile String jwks;
    private static final AtomicInteger jwksFetches = new AtomicInteger();
    private static final AtomicInteger downHits = new AtomicInteger();

    @BeforeAll
    static void idp() throws Exception {
        rsa1 = new RSAKeyGenerator(2048).keyID("k1").generate();
        rsa2 = new RSAKeyGenerator(2048).keyID("k2").generate();
        jwks = new JWKSet(rsa1.toPublicJWK()).toString();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/tenant/.well-known/openid-configuration", x -> {
            byte[] b = ("{\"issuer\":\"https://idp.example\",\"jwks_uri\":\"http://127.0.0.1:" + server.getAddress().getPort()
                    + "/tenant/keys\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.createContext("/tenant/keys", x -> {
            jwksFetches.incrementAndGet();
            byte[] b = jwks.getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.createContext("/down/.well-known/openid-configuration", x -> {
            downHits.incrementAndGet();
            x.sendResponseHeaders(503, -1);
            x.close();
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    static JWTClaimsSet.Builder goodClaims() {
        return new JWTClaimsSet.Builder().issuer("https://idp.example").audience("api://labs").subject("alice")
                .expirationTime(Date.from(Instant.now().plusSeconds(300)))
                .claim("roles", List.of("lab.read")).claim("scp", "read write");
    }

    static String hs(Consumer<JWTClaimsSet.Builder> edit) throws Exception {
        JWTClaimsSet.Builder b = goodClaims();
        edit.accept(b);
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
        jwt.sign(new MACSigner(SECRET));
        return jwt.serialize();
    }

    static String rs(RSAKey key, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static PolicyContext call(EffectivePolicy p, String authorization) {
        PolicyContext c = request("GET", "https://api.local/labs");
        if (authorization != null) {
            c.request().headers().set("Authorization", authorization);
        }
        run(p, c);
        return c;
    }

    @Test
    void acceptsAValidSignedTokenAndStoresItInTheOutputVariable() throws Exception {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext c = request("GET", "https://api.local/labs");
        c.request().headers().set("Authorization", "Bearer " + hs(b -> { }));
        Harness.run(inbound(HS_POLICY), c, f);
        assertThat(c.lastError()).isNull();
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(c.variables().get("jwt")).isInstanceOf(Jwt.class);
        assertThat(((Jwt) c.variables().get("jwt")).subject()).isEqualTo("alice");
    }

    @Test
    void missingTokenIsTokenNotPresentWith401() {
        PolicyContext c = call(inbound(HS_POLICY), null);
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(c.lastError().source()).isEqualTo("validate-jwt");
        assertThat(c.lastError().reason()).isEqualTo("TokenNotPresent");
        assertThat(Harness.body(c)).contains("JWT not present.");
    }

    @Test
    void rejectsTokensThatFailEachDocumentedCheck() throws Exception {
        EffectivePolicy p = inbound(HS_POLICY);
        assertThat(call(p, hs(b -> { })).lastError().reason()).isEqualTo("TokenSchemeNotFound");
        assertThat(call(p, "Bearer not-a-jwt").lastError().reason()).isEqualTo("TokenInvalid");
        assertThat(call(p, "Bearer " + hs(b -> b.expirationTime(Date.from(Instant.now().minusSeconds(60))))).lastError().reason())
                .isEqualTo("TokenExpired");
        assertThat(call(p, "Bearer " + hs(b -> b.notBeforeTime(Date.from(Instant.now().plusSeconds(600))))).lastError().reason())
                .isEqualTo("TokenNotYetValid");
        assertThat(call(p, "Bearer " + hs(b -> b.expirationTime(null))).lastError().reason()).isEqualTo("TokenExpirationTimeNotPresent");
        assertThat(call(p, "Bearer " + hs(b -> b.audience("api://other"))).lastError().reason()).isEqualTo("TokenAudienceNotAllowed");
        assertThat(call(p, "Bearer " + hs(b -> b.issuer("https://evil.example"))).lastError().reason()).isEqualTo("TokenIssuerNotAllowed");
        assertThat(call(p, "Bearer " + hs(b -> b.claim("roles", null))).lastError().reason()).isEqualTo("TokenClaimNotFound");
        assertThat(call(p, "Bearer " + hs(b -> b.claim("roles", List.of("billing")))).lastError().reason())
                .isEqualTo("TokenClaimValueNotAllowed");
        assertThat(call(p, "Bearer " + hs(b -> b.claim("scp", "read"))).lastError().reason()).isEqualTo("TokenClaimValueNotAllowed");
        String token = hs(b -> { });
        String tampered = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA" + token.substring(token.lastIndexOf('.') + 5);
        PolicyContext t = call(p, "Bearer " + tampered);
        assertThat(t.lastError().reason()).isEqualTo("TokenSignatureInvalid");
        assertThat(t.lastError().message()).doesNotContain(tampered);
        assertThat(t.response().statusCode()).isEqualTo(401);
    }

    @Test
    void audiencesAndIssuersMayBeExpressionsEvaluatedPerRequest() throws Exception {
        // as in APIM's documentation: the audience is the host the request was sent to
        EffectivePolicy p = inbound(HS_POLICY
                .replace("<audience>api://labs</audience>", "<audience>@(\"https://\" + context.Request.OriginalUrl.Host)</audience>")
                .replace("<issuer>https://idp.example</issuer>", "<issuer>@(\"https://idp.\" + \"example\")</issuer>"));
        assertThat(call(p, "Bearer " + hs(b -> b.audience("https://api.local"))).lastError()).isNull();
        assertThat(call(p, "Bearer " + hs(b -> b.audience("https://other.local"))).lastError().reason())
                .isEqualTo("TokenAudienceNotAllowed");
        assertThat(call(p, "Bearer " + hs(b -> b.audience("https://api.local").issuer("https://evil.example"))).lastError().reason())
                .isEqualTo("TokenIssuerNotAllowed");
    }

    @Test
    void clockSkewToleratesARecentlyExpiredToken() throws Exception {
        EffectivePolicy p = inbound(HS_POLICY.replace("require-scheme=\"Bearer\"", "clock-skew=\"120\""));
        PolicyContext c = call(p, "Bearer " + hs(b -> b.expirationTime(Date.from(Instant.now().minusSeconds(60)))));
        assertThat(c.lastError()).isNull();
    }

    @Test
    void unsignedTokensAreRefusedUnlessAllowedAndCustomStatusAndMessageApply() {
        String plain = new PlainJWT(goodClaims().build()).serialize();
        EffectivePolicy strict = inbound("""
                <validate-jwt query-parameter-name="access_token" failed-validation-httpcode="403" failed-validation-error-message="Lab token required" />""");
        PolicyContext c = request("GET", "https://api.local/labs?access_token=" + plain);
        run(strict, c);
        assertThat(c.response().statusCode()).isEqualTo(403);
        assertThat(c.lastError().reason()).isEqualTo("TokenSignatureInvalid");
        assertThat(Harness.body(c)).contains("Lab token required");

        EffectivePolicy lax = inbound("<validate-jwt query-parameter-name=\"access_token\" require-signed-tokens=\"false\" />");
        PolicyContext d = request("GET", "https://api.local/labs?access_token=" + plain);
        run(lax, d);
        assertThat(d.lastError()).isNull();
    }

    @Test
    void verifiesRsaTokensWithAKeyGivenAsModulusAndExponent() throws Exception {
        EffectivePolicy p = inbound("""
                <validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Token&quot;, &quot;&quot;))">
                  <issuer-signing-keys><key n="%s" e="%s" /></issuer-signing-keys>
                </validate-jwt>""".formatted(rsa1.getModulus(), rsa1.getPublicExponent()));
        PolicyContext ok = request("GET", "https://api.local/labs");
        ok.request().headers().set("X-Token", rs(rsa1, goodClaims().build()));
        run(p, ok);
        assertThat(ok.lastError()).isNull();
        PolicyContext bad = request("GET", "https://api.local/labs");
        bad.request().headers().set("X-Token", rs(rsa2, goodClaims().build()));
        run(p, bad);
        assertThat(bad.lastError().reason()).isEqualTo("TokenSignatureInvalid");
    }

    @Test
    void fetchesOpenIdKeysAsynchronouslyAndRefreshesOnANewKeyIdAtMostEveryFewMinutes() throws Exception {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/tenant/.well-known/openid-configuration";
        EffectivePolicy p = inbound("<validate-jwt header-name=\"Authorization\"><openid-config url=\"" + url + "\" /></validate-jwt>");
        jwks = new JWKSet(rsa1.toPublicJWK()).toString();
        int before = jwksFetches.get();
        assertThat(call(p, "Bearer " + rs(rsa1, goodClaims().build())).lastError()).isNull();
        assertThat(call(p, "Bearer " + rs(rsa1, goodClaims().build())).lastError()).isNull();
        assertThat(jwksFetches.get() - before).as("cached after the first fetch").isEqualTo(1);

        // key rotation: an unknown kid refreshes (at most once per interval)
        jwks = new JWKSet(List.of(rsa1.toPublicJWK(), rsa2.toPublicJWK())).toString();
        PolicyContext rotated = call(p, "Bearer " + rs(rsa2, goodClaims().build()));
        // the first fetch counts as the last refresh, so the kid-driven refresh waits for the interval
        assertThat(rotated.lastError().reason()).isEqualTo("TokenSignatureInvalid");
        assertThat(jwksFetches.get() - before).isEqualTo(1);

        EffectivePolicy fresh = inbound("<validate-jwt header-name=\"Authorization\"><openid-config url=\"" + url + "\" /></validate-jwt>");
        assertThat(call(fresh, "Bearer " + rs(rsa2, goodClaims().build())).lastError()).isNull();
    }

    @Test
    void theOpenIdConfigurationUrlMayBeComputedPerRequest() throws Exception {
        // the tenant comes from the request, as APIM's multi-tenant examples do
        String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
        EffectivePolicy p = inbound("<validate-jwt header-name=\"Authorization\"><openid-config url=\"@(&quot;" + base
                + "&quot; + context.Request.Headers.GetValueOrDefault(&quot;x-tenant&quot;, &quot;none&quot;) "
                + "+ &quot;/.well-known/openid-configuration&quot;)\" /></validate-jwt>");
        jwks = new JWKSet(rsa1.toPublicJWK()).toString();
        String token = "Bearer " + rs(rsa1, goodClaims().build());
        PolicyContext ok = request("GET", "https://api.local/labs");
        ok.request().headers().set("Authorization", token);
        ok.request().headers().set("x-tenant", "tenant");
        run(p, ok);
        assertThat(ok.lastError()).isNull();

        PolicyContext down = request("GET", "https://api.local/labs");
        down.request().headers().set("Authorization", token);
        down.request().headers().set("x-tenant", "down");
        run(p, down);
        assertThat(down.lastError()).isNotNull();
        assertThat(down.response().statusCode()).isEqualTo(401);
    }

    @Test
    void anUnreachableOpenIdConfigurationRejectsTheTokenWithoutAFetchPerRequest() throws Exception {
        EffectivePolicy p = inbound("<validate-jwt header-name=\"Authorization\"><openid-config url=\"http://127.0.0.1:"
                + server.getAddress().getPort() + "/down/.well-known/openid-configuration\" /></validate-jwt>");
        int before = downHits.get();
        PolicyContext c = call(p, "Bearer " + rs(rsa1, goodClaims().build()));
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(c.lastError().reason()).isEqualTo("TokenSignatureInvalid");
        assertThat(call(p, "Bearer " + rs(rsa1, goodClaims().build())).lastError().reason()).isEqualTo("TokenSignatureInvalid");
        assertThat(downHits.get() - before).isEqualTo(1);
    }

    @Test
    void reportsWrongAttributesAndChildrenWithPositionsAndWithoutEchoingKeys() {
        assertThat(inboundDiagnostics("""
                <validate-jwt header-name="Authorization" query-parameter-name="t" />
                <validate-jwt header-nme="Authorization" failed-validation-httpcode="200" />
                <validate-jwt header-name="A"><issuer-signing-keys><key>%%%%s3cr3t</key></issuer-signing-keys><audience>x</audience></validate-jwt>
                <validate-jwt header-name="A"><required-claims><claim match="some"><value>x</value></claim></required-claims><openid-config url="not a url"/></validate-jwt>"""))
                .containsExactly(
                        "p.xml:1:20: error: <validate-jwt> takes only one of header-name, query-parameter-name and token-value",
                        "p.xml:2:15: error: unknown attribute 'header-nme' on <validate-jwt> (did you mean 'header-name'?); expected one of: "
                                + "clock-skew, failed-validation-error-message, failed-validation-httpcode, header-name, output-token-variable-name, "
                                + "query-parameter-name, require-expiration-time, require-scheme, require-signed-tokens, token-value",
                        "p.xml:2:1: error: <validate-jwt> needs one of header-name, query-parameter-name or token-value",
                        "p.xml:2:42: error: attribute 'failed-validation-httpcode' on <validate-jwt>: '200' (expected: a whole number 400-599)",
                        "p.xml:3:95: error: unexpected <audience> inside <validate-jwt> (did you mean 'audiences'?); expected: <audiences>, <decryption-keys>, <issuer-signing-keys>, <issuers>, <openid-config>, <required-claims>",
                        "p.xml:3:57: error: <key>: the text is not base64 (expected a base64-encoded symmetric key)",
                        "p.xml:4:48: error: <claim> is missing the required attribute 'name'",
                        "p.xml:4:55: error: attribute 'match' on <claim>: 'some' (expected one of: all, any)",
                        "p.xml:4:125: error: attribute 'url' on <openid-config>: 'not a url' (expected: an absolute https URL)")
                .noneMatch(m -> m.contains("s3cr3t"));
    }

    @Test
    void verifiesWithTheCertificateNamedByCertificateId() throws Exception {
        io.gatehouse.tls.Pki.Issued idp = io.gatehouse.tls.Pki.ca("CN=Lab IdP signing", java.time.Duration.ofDays(1));
        io.gatehouse.policy.PolicyEngine engine = new io.gatehouse.policy.PolicyEngine(io.gatehouse.policy.PolicyEnvironment.builder()
                .certificate("idp-signing", idp.certificate()).build());
        EffectivePolicy p = Harness.compile(engine, "<policies><inbound><validate-jwt header-name=\"Authorization\">"
                + "<issuer-signing-keys><key certificate-id=\"idp-signing\" /></issuer-signing-keys></validate-jwt></inbound>"
                + "<backend><forward-request/></backend></policies>");
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256), goodClaims().build());
        jwt.sign(new com.nimbusds.jose.crypto.ECDSASigner((java.security.interfaces.ECPrivateKey) idp.keyPair().getPrivate()));
        assertThat(call(p, "Bearer " + jwt.serialize()).lastError()).isNull();
        assertThat(call(p, "Bearer " + hs(b -> { })).lastError().reason()).isEqualTo("TokenSignatureInvalid");

        assertThat(inboundDiagnostics("<validate-jwt header-name=\"A\"><issuer-signing-keys><key certificate-id=\"nope\" /></issuer-signing-keys></validate-jwt>"))
                .containsExactly("p.xml:1:76: error: <key certificate-id=\"nope\">: no certificate with that id is configured");
    }

    @Test
    void decryptsAnEncryptedTokenWithADecryptionKeyBeforeVerifyingIt() throws Exception {
        byte[] aes = new byte[32];
        new java.security.SecureRandom().nextBytes(aes);
        String policy = """
                <validate-jwt header-name="Authorization">
                  <issuer-signing-keys><key>%s</key></issuer-signing-keys>
                  <decryption-keys><key>%s</key></decryption-keys>
                </validate-jwt>""".formatted(SECRET_B64, Base64.getEncoder().encodeToString(aes));
        com.nimbusds.jose.JWEObject jwe = new com.nimbusds.jose.JWEObject(
                new com.nimbusds.jose.JWEHeader.Builder(com.nimbusds.jose.JWEAlgorithm.DIR, com.nimbusds.jose.EncryptionMethod.A256GCM)
                        .contentType("JWT").build(),
                new com.nimbusds.jose.Payload(SignedJWT.parse(hs(b -> { }))));
        jwe.encrypt(new com.nimbusds.jose.crypto.DirectEncrypter(aes));
        EffectivePolicy p = inbound(policy);
        assertThat(call(p, "Bearer " + jwe.serialize()).lastError()).isNull();

        byte[] other = new byte[32];
        com.nimbusds.jose.JWEObject wrong = new com.nimbusds.jose.JWEObject(
                new com.nimbusds.jose.JWEHeader.Builder(com.nimbusds.jose.JWEAlgorithm.DIR, com.nimbusds.jose.EncryptionMethod.A256GCM)
                        .contentType("JWT").build(),
                new com.nimbusds.jose.Payload(SignedJWT.parse(hs(b -> { }))));
        wrong.encrypt(new com.nimbusds.jose.crypto.DirectEncrypter(other));
        assertThat(call(p, "Bearer " + wrong.serialize()).lastError().reason()).isEqualTo("TokenDecryptionFailed");
    }
}
