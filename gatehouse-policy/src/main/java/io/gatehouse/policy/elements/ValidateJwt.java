package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.elements.jwt.JwtCheck;
import io.gatehouse.policy.elements.jwt.JwtElements;
import io.gatehouse.policy.elements.jwt.OpenIdSource;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.security.Key;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code <validate-jwt header-name|query-parameter-name|token-value failed-validation-httpcode="401"
 * failed-validation-error-message require-expiration-time="true" require-scheme
 * require-signed-tokens="true" clock-skew="0" output-token-variable-name>} with optional
 * {@code <openid-config url/>}, {@code <issuer-signing-keys>}, {@code <decryption-keys>},
 * {@code <audiences>}, {@code <issuers>} and {@code <required-claims>}: the request must carry a
 * JWT that verifies against a configured or published key and satisfies the claims. Otherwise it
 * fails with the configured status and {@code context.LastError} Source {@code validate-jwt} (the
 * reasons are listed on {@link JwtCheck}). On success the token (a {@code Jwt}) is stored in
 * {@code output-token-variable-name} when given.
 *
 * <p>Audiences and issuers may be policy expressions, evaluated per request, as APIM allows.
 * Differences from APIM: {@code failed-validation-httpcode} is a constant; claim values are
 * constants (named values allowed); a signed token with no key to check it against is refused.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/validate-jwt-policy">APIM validate-jwt</a>
 */
public final class ValidateJwt implements Policy {
    public static final PolicyType TYPE = new PolicyType("validate-jwt", EnumSet.of(Section.INBOUND), ValidateJwt::compile);

    private final JwtCheck check;

    private ValidateJwt(JwtCheck check) {
        this.check = check;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "header-name", "query-parameter-name", "token-value", "failed-validation-httpcode",
                "failed-validation-error-message", "require-expiration-time", "require-scheme", "require-signed-tokens",
                "clock-skew", "output-token-variable-name");
        ctx.onlyChildren(e, "openid-config", "issuer-signing-keys", "decryption-keys", "audiences", "issuers", "required-claims");
        boolean[] ok = {true};
        JwtCheck.TokenSource source = JwtElements.source(e, a, ctx, null);
        int status = a.integer("failed-validation-httpcode", 401, 400, 599);
        Value<String> message = a.has("failed-validation-error-message") ? a.string("failed-validation-error-message") : null;
        boolean requireExp = a.bool("require-expiration-time", true);
        String scheme = a.text("require-scheme", null);
        boolean requireSigned = a.bool("require-signed-tokens", true);
        int skew = a.integer("clock-skew", 0, 0, 86_400);
        String output = a.text("output-token-variable-name", null);
        List<Key> signing = new ArrayList<>();
        List<Key> decryption = new ArrayList<>();
        List<OpenIdSource> openId = new ArrayList<>();
        List<Value<String>> audiences = new ArrayList<>();
        List<Value<String>> issuers = new ArrayList<>();
        List<JwtCheck.Claim> claims = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (XmlElement c : e.elements()) {
            if (!c.name().equals("openid-config") && !seen.add(c.name())) {
                ctx.error(c.position(), "<" + c.name() + "> appears more than once in <validate-jwt>");
                ok[0] = false;
                continue;
            }
            switch (c.name()) {
                case "openid-config" -> {
                    OpenIdSource o = JwtElements.openId(c, ctx, ok);
                    if (o != null) {
                        openId.add(o);
                    }
                }
                case "issuer-signing-keys" -> signing.addAll(JwtElements.keys(c, ctx, "HmacSHA256", ok));
                case "decryption-keys" -> decryption.addAll(JwtElements.keys(c, ctx, "AES", ok));
                case "audiences" -> audiences.addAll(JwtElements.valueTexts(c, "audience", ctx, ok));
                case "issuers" -> issuers.addAll(JwtElements.valueTexts(c, "issuer", ctx, ok));
                case "required-claims" -> claims.addAll(JwtElements.claims(c, ctx, ok));
                default -> ok[0] = false; // reported by onlyChildren
            }
        }
        if (source == null || (a.has("failed-validation-error-message") && message == null) || !ok[0]) {
            return null;
        }
        return new ValidateJwt(new JwtCheck(new JwtCheck.Settings("validate-jwt", source, scheme, status, message, requireExp,
                requireSigned, Duration.ofSeconds(skew), output, signing, decryption, openId, audiences, issuers, claims, Set.of(), false),
                ctx.environment().clock()));
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return check.apply(exchange);
    }
}
