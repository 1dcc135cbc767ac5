package io.gatehouse.policy.elements;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Secret;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.elements.identity.ManagedIdentityEndpoint;
import io.gatehouse.policy.elements.identity.ManagedIdentityTokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * authentication-managed-identity against an in-process token service speaking the App Service
 * ({@code X-IDENTITY-HEADER}) and IMDS ({@code Metadata: true}) shapes.
 */
class AuthenticationManagedIdentityTest {
    private static final String TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.token-body.sig";
    private static final String HEADER_SECRET = "identity-header-s3cret";

    /** A clock tests move forward. */
    private static final class MovableClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T10:00:00Z"));

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<String> queries = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> answer = new AtomicReference<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final MovableClock clock = new MovableClock();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/msi/token", this::handle);
        server.start();
        answer.set("{\"access_token\":\"" + TOKEN + "\",\"expires_on\":\"" + clock.instant().plusSeconds(3600).getEpochSecond()
                + "\",\"resource\":\"https://vault.azure.net\",\"token_type\":\"Bearer\"}");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange x) throws IOException {
        calls.incrementAndGet();
        queries.add(x.getRequestURI().getRawQuery());
        headers.add(Map.of("X-IDENTITY-HEADER", String.valueOf(x.getRequestHeaders().getFirst("X-IDENTITY-HEADER")),
                "Metadata", String.valueOf(x.getRequestHeaders().getFirst("Metadata"))));
        byte[] b = answer.get().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status.get(), b.length);
        x.getResponseBody().write(b);
        x.close();
    }

    private URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/msi/token");
    }

    private PolicyEngine engine(ManagedIdentityEndpoint endpoint) {
        return new PolicyEngine(PolicyEnvironment.builder().managedIdentity(endpoint).clock(clock)
                .outboundHttp(io.gatehouse.policy.TestOutboundHttp.INSTANCE).build());
    }

    private static EffectivePolicy inbound(PolicyEngine engine, String inner) {
        return Harness.compile(engine, "<policies><inbound>" + inner + "</inbound><backend><forward-request/></backend></policies>");
    }

    private static PolicyContext run(EffectivePolicy p) {
        PolicyContext c = Policies.request("GET", "https://api.contoso.com/secrets");
        Harness.run(p, c, new Harness.RecordingForwarder());
        return c;
    }

    @Test
    void docExampleSetsTheBearerTokenFromAnAppServiceStyleTokenService() {
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"https://vault.azure.net\"/>");
        PolicyContext c = run(p);
        assertThat(c.lastError()).isNull();
        assertThat(c.request().headers().getValueOrDefault("Authorization", null)).isEqualTo("Bearer " + TOKEN);
        assertThat(queries).containsExactly("api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net");
        assertThat(headers.get(0)).containsEntry("X-IDENTITY-HEADER", HEADER_SECRET);
    }

    @Test
    void insideSendRequestTheTokenGoesOnTheRequestItSendsNotOnTheBackendRequest() {
        server.createContext("/vault/secrets/db", x -> {
            byte[] b = String.valueOf(x.getRequestHeaders().getFirst("Authorization")).getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))), """
                <send-request mode="new" response-variable-name="secret" timeout="10">
                  <set-url>http://127.0.0.1:%d/vault/secrets/db</set-url>
                  <set-method>GET</set-method>
                  <authentication-managed-identity resource="https://vault.azure.net" />
                </send-request>""".formatted(server.getAddress().getPort()));
        PolicyContext c = run(p);
        assertThat(c.lastError()).isNull();
        io.gatehouse.expr.context.Response r = (io.gatehouse.expr.context.Response) c.variables().get("secret");
        assertThat(r.body().readString(true)).isEqualTo("Bearer " + TOKEN);
        assertThat(c.request().headers().getValueOrDefault("Authorization", null)).isNull();
    }

    @Test
    void cachesTheTokenUntilShortlyBeforeItExpires() {
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"https://vault.azure.net\"/>");
        run(p);
        run(p);
        clock.now.set(clock.instant().plus(Duration.ofMinutes(54)));
        run(p);
        assertThat(calls).hasValue(1);
        clock.now.set(clock.instant().plus(Duration.ofMinutes(2))); // 4 minutes left: refresh
        assertThat(run(p).request().headers().getValueOrDefault("Authorization", null)).isEqualTo("Bearer " + TOKEN);
        assertThat(calls).hasValue(2);
    }

    @Test
    void docExampleWithOutputVariableUsesImdsAndAUserAssignedIdentity() {
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.imds(uri())), """
                <authentication-managed-identity resource="api://orders-app" client-id="0b6f2d8e-1111-2222-3333-444455556666"
                   output-token-variable-name="msi-access-token" ignore-error="false" />
                <set-header name="Authorization" exists-action="override">
                   <value>@("Bearer " + (string)context.Variables["msi-access-token"])</value>
                </set-header>""");
        PolicyContext c = run(p);
        assertThat(c.variables().get("msi-access-token")).isEqualTo(TOKEN);
        assertThat(c.request().headers().getValueOrDefault("Authorization", null)).isEqualTo("Bearer " + TOKEN);
        assertThat(queries).containsExactly("api-version=2018-02-01&resource=api%3A%2F%2Forders-app&client_id=0b6f2d8e-1111-2222-3333-444455556666");
        assertThat(headers.get(0)).containsEntry("Metadata", "true").containsEntry("X-IDENTITY-HEADER", "null");
    }

    @Test
    void resourceMayBeAnExpressionAndEachResourceHasItsOwnToken() {
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"@(context.Request.Headers.GetValueOrDefault(&quot;x-aud&quot;, &quot;https://storage.azure.com/&quot;))\"/>");
        run(p);
        PolicyContext c = Policies.request("GET", "https://api.contoso.com/secrets");
        c.request().headers().set("x-aud", "https://database.windows.net/");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(queries).containsExactly("api-version=2019-08-01&resource=https%3A%2F%2Fstorage.azure.com%2F",
                "api-version=2019-08-01&resource=https%3A%2F%2Fdatabase.windows.net%2F");
    }

    @Test
    void theTokenCacheStaysBoundedWhenTheResourceComesFromTheRequest() {
        ManagedIdentityTokens tokens = new ManagedIdentityTokens(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET)), clock,
                io.gatehouse.policy.TestOutboundHttp.INSTANCE);
        for (int i = 0; i < ManagedIdentityTokens.MAX_ENTRIES + 50; i++) {
            tokens.token("api://app-" + i, null).toCompletableFuture().join();
        }
        assertThat(tokens.cachedTokens()).isLessThanOrEqualTo(ManagedIdentityTokens.MAX_ENTRIES);
        assertThat(tokens.cachedTokens()).isGreaterThan(0);
        assertThat(tokens.toString()).doesNotContain(HEADER_SECRET).doesNotContain(TOKEN);
    }

    @Test
    void aRefusingTokenServiceFailsTheRequestWithoutCachingTheFailure() {
        status.set(400);
        answer.set("{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}");
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"https://vault.azure.net\"/>");
        PolicyContext c = run(p);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().source()).isEqualTo("authentication-managed-identity");
        assertThat(c.lastError().reason()).isEqualTo(AuthenticationManagedIdentity.REASON);
        assertThat(c.lastError().message()).contains("answered 400: Identity not found").doesNotContain(HEADER_SECRET);
        assertThat(c.request().headers().containsKey("Authorization")).isFalse();
        run(p);
        assertThat(calls).hasValue(2);
    }

    @Test
    void ignoreErrorCarriesOnWithoutAToken() {
        server.stop(0);
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"https://vault.azure.net\" ignore-error=\"true\"/>");
        Harness.RecordingForwarder backend = new Harness.RecordingForwarder();
        PolicyContext c = Policies.request("GET", "https://api.contoso.com/secrets");
        Harness.run(p, c, backend);
        assertThat(c.lastError()).isNull();
        assertThat(backend.calls).hasValue(1);
        assertThat(c.request().headers().containsKey("Authorization")).isFalse();
    }

    @Test
    void anUnreachableTokenServiceFailsWithAReason() {
        server.stop(0);
        EffectivePolicy p = inbound(engine(ManagedIdentityEndpoint.appService(uri(), Secret.of(HEADER_SECRET))),
                "<authentication-managed-identity resource=\"https://vault.azure.net\"/>");
        PolicyContext c = run(p);
        assertThat(c.lastError().reason()).isEqualTo(AuthenticationManagedIdentity.REASON);
        assertThat(c.lastError().message()).contains("could not be reached");
    }

    @Test
    void withoutATokenServiceItLoadsAndFailsAtRuntime() {
        EffectivePolicy p = inbound(new PolicyEngine(PolicyEnvironment.empty()),
                "<authentication-managed-identity resource=\"https://graph.microsoft.com\"/>");
        PolicyContext c = run(p);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().reason()).isEqualTo(AuthenticationManagedIdentity.REASON);
        assertThat(c.lastError().message()).contains("no managed identity token service is configured");
    }

    @Test
    void reportsWrongAttributesAndSections() {
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.empty());
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("p.xml", """
                <policies><inbound>
                <authentication-managed-identity client-id=""/>
                <authentication-managed-identity resource="x" ignore-error="maybe" token-variable="t"/>
                <authentication-managed-identity resource="x" client-id="@(context.Variables[&quot;id&quot;])"/>
                </inbound><outbound><authentication-managed-identity resource="x"/></outbound></policies>"""), Scope.API, d);
        assertThat(d.all().stream().map(Object::toString)).containsExactly(
                "p.xml:2:1: error: <authentication-managed-identity> is missing the required attribute 'resource'",
                "p.xml:2:34: error: attribute 'client-id' on <authentication-managed-identity> is empty (expected: the client ID of a user-assigned identity, or leave it out for the system-assigned one)",
                "p.xml:3:68: error: unknown attribute 'token-variable' on <authentication-managed-identity>; expected one of: client-id, ignore-error, output-token-variable-name, resource",
                "p.xml:3:47: error: attribute 'ignore-error' on <authentication-managed-identity>: 'maybe' (expected: true or false)",
                "p.xml:4:47: error: attribute 'client-id' on <authentication-managed-identity> does not accept a policy expression",
                "p.xml:5:21: error: policy 'authentication-managed-identity' is not allowed in the outbound section (allowed in: inbound)");
    }

    @Test
    void endpointsKeepTheIdentityHeaderSecret() {
        ManagedIdentityEndpoint e = ManagedIdentityEndpoint.fromEnvironment(Map.of("IDENTITY_ENDPOINT", "http://localhost:42356/msi/token",
                "IDENTITY_HEADER", HEADER_SECRET));
        assertThat(e.style()).isEqualTo(ManagedIdentityEndpoint.Style.APP_SERVICE);
        assertThat(e.toString()).doesNotContain(HEADER_SECRET).contains("localhost:42356");
        assertThat(ManagedIdentityEndpoint.fromEnvironment(Map.of("IDENTITY_ENDPOINT", "http://localhost/x"))).isNull();
        assertThatThrownBy(() -> ManagedIdentityEndpoint.imds(URI.create("ftp://x/token"))).hasMessageContaining("expected: an http or https URL");
        assertThatThrownBy(() -> ManagedIdentityEndpoint.appService(URI.create("http://x/token"), null)).hasMessageContaining("identity header");
    }
}
