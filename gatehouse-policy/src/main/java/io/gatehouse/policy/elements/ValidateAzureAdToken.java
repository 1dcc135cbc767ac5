package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.elements.jwt.JwtCheck;
import io.gatehouse.policy.elements.jwt.JwtElements;
import io.gatehouse.policy.elements.jwt.OpenIdKeys;
import io.gatehouse.policy.elements.jwt.OpenIdSource;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.net.URI;
import java.security.Key;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code <validate-azure-ad-token tenant-id header-name="Authorization"|query-parameter-name|token-value
 * authentication-endpoint="https://login.microsoftonline.com" failed-validation-httpcode="401"
 * failed-validation-error-message output-token-variable-name>} with optional
 * {@code <client-application-ids>}, {@code <backend-application-ids>}, {@code <audiences>},
 * {@code <required-claims>} and {@code <decryption-keys>}: a Microsoft Entra ID token for the
 * tenant. Keys and issuer come from the tenant's OpenID configuration
 * ({@code {authentication-endpoint}/{tenant-id}/v2.0/.well-known/openid-configuration}, fetched
 * asynchronously and cached like {@code validate-jwt}'s {@code openid-config}); the issuer may
 * also be the v1 form {@code https://sts.windows.net/{tenant}/}. Without {@code <audiences>}, the
 * audience must be one of the backend application ids (bare or {@code api://}-prefixed). Client
 * application ids are matched against {@code azp} (v2) or {@code appid} (v1).
 *
 * <p>Failures: {@code context.LastError} Source {@code validate-azure-ad-token}, the reasons of
 * {@link JwtCheck} plus {@code TokenClientApplicationNotAllowed}.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/validate-azure-ad-token-policy">APIM validate-azure-ad-token</a>
 */
public final class ValidateAzureAdToken implements Policy {
    public static final PolicyType TYPE = new PolicyType("validate-azure-ad-token", EnumSet.of(Section.INBOUND),
            ValidateAzureAdToken::compile);

    /** The public Entra ID endpoint, used when {@code authentication-endpoint} is not given. */
    public static final String DEFAULT_ENDPOINT = "https://login.microsoftonline.com";

    private final JwtCheck check;

    private ValidateAzureAdToken(JwtCheck check) {
        this.check = check;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "tenant-id", "header-name", "query-parameter-name", "token-value",
                "authentication-endpoint", "failed-validation-httpcode", "failed-validation-error-message", "output-token-variable-name");
        ctx.onlyChildren(e, "client-application-ids", "backend-application-ids", "audiences", "required-claims", "decryption-keys");
        boolean[] ok = {true};
        String tenant = a.requiredText("tenant-id");
        JwtCheck.TokenSource source = JwtElements.source(e, a, ctx, "Authorization");
        String endpoint = a.text("authentication-endpoint", DEFAULT_ENDPOINT).strip();
        int status = a.integer("failed-validation-httpcode", 401, 400, 599);
        Value<String> message = a.has("failed-validation-error-message") ? a.string("failed-validation-error-message") : null;
        String output = a.text("output-token-variable-name", null);
        Set<String> clients = new LinkedHashSet<>();
        List<String> backends = new ArrayList<>();
        List<Value<String>> audiences = new ArrayList<>();
        List<JwtCheck.Claim> claims = new ArrayList<>();
        List<Key> decryption = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (XmlElement c : e.elements()) {
            if (!seen.add(c.name())) {
                ctx.error(c.position(), "<" + c.name() + "> appears more than once in <validate-azure-ad-token>");
                ok[0] = false;
                continue;
            }
            switch (c.name()) {
                case "client-application-ids" -> clients.addAll(JwtElements.texts(c, "application-id", ctx, ok));
                case "backend-application-ids" -> backends.addAll(JwtElements.texts(c, "application-id", ctx, ok));
                case "audiences" -> audiences.addAll(JwtElements.valueTexts(c, "audience", ctx, ok));
                case "required-claims" -> claims.addAll(JwtElements.claims(c, ctx, ok));
                case "decryption-keys" -> decryption.addAll(JwtElements.keys(c, ctx, "AES", ok));
                default -> ok[0] = false; // reported by onlyChildren
            }
        }
        if (audiences.isEmpty()) {
            for (String b : backends) {
                audiences.add(Value.constant(b));
                audiences.add(Value.constant("api://" + b));
            }
        }
        URI config = null;
        if (tenant != null) {
            String t = tenant.strip().replaceFirst("^https?://", "").replaceAll("/+$", "");
            try {
                URI base = new URI(endpoint.endsWith("/") ? endpoint : endpoint + "/");
                if (base.getHost() == null || !(base.getScheme().equals("https") || base.getScheme().equals("http"))) {
                    throw new IllegalArgumentException();
                }
                config = base.resolve(t + "/v2.0/.well-known/openid-configuration");
            } catch (Exception bad) {
                ctx.error(a.position(a.has("authentication-endpoint") ? "authentication-endpoint" : "tenant-id"),
                        "<validate-azure-ad-token>: tenant-id '" + tenant + "' and authentication-endpoint '" + endpoint
                                + "' do not make an OpenID configuration URL (expected a tenant id or domain, and an https URL)");
                ok[0] = false;
            }
            tenant = t;
        }
        if (tenant == null || config == null || source == null || (a.has("failed-validation-error-message") && message == null) || !ok[0]) {
            return null;
        }
        List<Value<String>> issuers = List.of(Value.constant("https://sts.windows.net/" + tenant + "/"));
        OpenIdKeys keys = new OpenIdKeys(config, ctx.environment().clock(), ctx.environment().outboundHttp(),
                "validate-azure-ad-token");
        return new ValidateAzureAdToken(new JwtCheck(new JwtCheck.Settings("validate-azure-ad-token", source, null, status, message,
                true, true, Duration.ZERO, output, List.of(), decryption, List.of(OpenIdSource.of(keys)), audiences, issuers, claims, clients, true),
                ctx.environment().clock()));
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return check.apply(exchange);
    }
}
