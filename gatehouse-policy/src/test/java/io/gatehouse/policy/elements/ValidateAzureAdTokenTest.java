package io.gatehouse.policy.elements;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** validate-azure-ad-token against an in-process stand-in for the Entra ID OpenID endpoints. */
class ValidateAzureAdTokenTest {
    private static final String TENANT = "11111111-2222-3333-4444-555555555555";
    private static HttpServer server;
    private static RSAKey key;
    private static String endpoint;

    @BeforeAll
    static void entra() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("entra-1").generate();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
        server.createContext("/" + TENANT + "/v2.0/.well-known/openid-configuration", x -> {
            byte[] b = ("{\"issuer\":\"" + endpoint + "/" + TENANT + "/v2.0\",\"jwks_uri\":\"" + endpoint + "/" + TENANT
                    + "/discovery/v2.0/keys\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.createContext("/" + TENANT + "/discovery/v2.0/keys", x -> {
            byte[] b = new JWKSet(key.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    private static String token(Consumer<JWTClaimsSet.Builder> edit) throws Exception {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(endpoint + "/" + TENANT + "/v2.0").audience("api://lab-backend")
                .claim("azp", "portal-app").claim("roles", List.of("Results.Read"))
                .expirationTime(Date.from(Instant.now().plusSeconds(600)));
        edit.accept(b);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("entra-1").build(), b.build());
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static EffectivePolicy policy() {
        return inbound("""
                <validate-azure-ad-token tenant-id="%s" authentication-endpoint="%s" output-token-variable-name="aad">
                  <client-application-ids><application-id>portal-app</application-id></client-application-ids>
                  <backend-application-ids><application-id>lab-backend</application-id></backend-application-ids>
                  <required-claims><claim name="roles"><value>Results.Read</value></claim></required-claims>
                </validate-azure-ad-token>""".formatted(TENANT, endpoint));
    }

    private static PolicyContext call(EffectivePolicy p, String token) {
        PolicyContext c = request("GET", "https://api.local/results");
        c.request().headers().set("Authorization", "Bearer " + token);
        run(p, c);
        return c;
    }

    @Test
    void acceptsATenantTokenForTheBackendFromAnAllowedClient() throws Exception {
        PolicyContext c = call(policy(), token(b -> { }));
        assertThat(c.lastError()).isNull();
        assertThat(c.variables().containsKey("aad")).isTrue();
    }

    @Test
    void rejectsOtherClientsAudiencesIssuersAndMissingRoles() throws Exception {
        EffectivePolicy p = policy();
        PolicyContext client = call(p, token(b -> b.claim("azp", "someone-else")));
        assertThat(client.response().statusCode()).isEqualTo(401);
        assertThat(client.lastError().source()).isEqualTo("validate-azure-ad-token");
        assertThat(client.lastError().reason()).isEqualTo("TokenClientApplicationNotAllowed");
        assertThat(call(p, token(b -> b.audience("api://other"))).lastError().reason()).isEqualTo("TokenAudienceNotAllowed");
        assertThat(call(p, token(b -> b.issuer("https://sts.windows.net/other-tenant/"))).lastError().reason())
                .isEqualTo("TokenIssuerNotAllowed");
        assertThat(call(p, token(b -> b.claim("roles", List.of("Results.Write")))).lastError().reason())
                .isEqualTo("TokenClaimValueNotAllowed");
        assertThat(call(p, token(b -> b.issuer("https://sts.windows.net/" + TENANT + "/"))).lastError()).as("v1 issuer").isNull();
    }

    @Test
    void requiresTheTenantAndReportsUnknownChildren() {
        assertThat(inboundDiagnostics("""
                <validate-azure-ad-token><client-application-id>x</client-application-id></validate-azure-ad-token>"""))
                .containsExactly(
                        "p.xml:1:45: error: unexpected <client-application-id> inside <validate-azure-ad-token> (did you mean 'client-application-ids'?); "
                                + "expected: <audiences>, <backend-application-ids>, <client-application-ids>, <decryption-keys>, <required-claims>",
                        "p.xml:1:20: error: <validate-azure-ad-token> is missing the required attribute 'tenant-id'");
    }
}
