package io.gatehouse.policy.elements.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWEDecrypterFactory;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.expr.lib.Jwt;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.elements.PolicyRejection;
import io.gatehouse.policy.spi.Value;

import java.security.Key;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The token validation shared by {@code validate-jwt} and {@code validate-azure-ad-token}:
 * compiled once at load, immutable apart from the OpenID key caches. Failures reject the request
 * with the configured status and message and {@code context.LastError} Source = the policy name
 * and Reason one of {@code TokenNotPresent}, {@code TokenSchemeNotFound}, {@code TokenInvalid}
 * (not a JWT), {@code TokenDecryptionFailed}, {@code TokenSignatureInvalid},
 * {@code TokenExpirationTimeNotPresent}, {@code TokenExpired}, {@code TokenNotYetValid},
 * {@code TokenAudienceNotAllowed}, {@code TokenIssuerNotAllowed}, {@code TokenClaimNotFound},
 * {@code TokenClaimValueNotAllowed}. The detail in LastError never contains the token.
 *
 * <p>A signed token is accepted only when one of the configured keys (or a key from an OpenID
 * configuration) verifies it: with no key at all, every signed token fails (fail closed).
 */
public final class JwtCheck {
    /** Where the token is read from: a header, a query parameter or an expression. */
    public sealed interface TokenSource {
        record Header(String name) implements TokenSource {
        }

        record Query(String name) implements TokenSource {
        }

        record Expression(Value<String> value) implements TokenSource {
        }
    }

    /** {@code <claim name match separator>} with its allowed values (none: presence only). */
    public record Claim(String name, boolean matchAll, String separator, List<String> values) {
        public Claim {
            values = List.copyOf(values);
        }
    }

    /** Everything the check needs, as read from the policy element. */
    public record Settings(String policy, TokenSource source, String requireScheme, int status, Value<String> message,
                           boolean requireExpiration, boolean requireSigned, Duration clockSkew, String outputVariable,
                           List<Key> signingKeys, List<Key> decryptionKeys, List<OpenIdSource> openId,
                           List<Value<String>> audiences, List<Value<String>> issuers, List<Claim> claims,
                           Set<String> clientApplicationIds, boolean trustOpenIdIssuer) {
        public Settings {
            signingKeys = List.copyOf(signingKeys);
            decryptionKeys = List.copyOf(decryptionKeys);
            openId = List.copyOf(openId);
            audiences = List.copyOf(audiences);
            issuers = List.copyOf(issuers);
            claims = List.copyOf(claims);
            clientApplicationIds = Set.copyOf(clientApplicationIds);
        }

        @Override
        public String toString() {
            // keys (symmetric secrets) never printed
            return "JwtCheck.Settings[" + policy + ", " + signingKeys.size() + " keys, " + openId.size() + " openid]";
        }
    }

    private final Settings s;
    private final Clock clock;

    public JwtCheck(Settings settings, Clock clock) {
        this.s = settings;
        this.clock = clock;
    }

    /** Validates the request's token; completes normally when valid, exceptionally with a {@link PolicyRejection}. */
    public CompletionStage<Void> apply(Exchange exchange) {
        String token = token(exchange);
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw reject(exchange, "TokenInvalid", "the token is not a JWT");
        }
        if (jwt instanceof EncryptedJWT enc) {
            jwt = decrypt(exchange, enc);
        }
        JWT parsed = jwt;
        if (jwt instanceof SignedJWT signed) {
            if (s.openId().isEmpty()) {
                verify(exchange, signed, List.of());
                checkClaims(exchange, parsed, token, List.of());
                return CompletableFuture.completedFuture(null);
            }
            String kid = signed.getHeader().getKeyID();
            CompletableFuture<List<OpenIdKeys.Snapshot>> all = CompletableFuture.completedFuture(new ArrayList<>());
            for (OpenIdSource source : s.openId()) {
                OpenIdKeys o = source.resolve(exchange);
                all = all.thenCombine(o.keys(kid).handle((snap, t) -> snap), (acc, snap) -> {
                    if (snap != null) {
                        acc.add(snap);
                    }
                    return acc;
                });
            }
            return all.thenAccept(snaps -> {
                List<JWK> jwks = new ArrayList<>();
                List<String> issuers = new ArrayList<>();
                for (OpenIdKeys.Snapshot snap : snaps) {
                    jwks.addAll(snap.keys());
                    if (s.trustOpenIdIssuer() && snap.issuer() != null) {
                        issuers.add(snap.issuer());
                    }
                }
                verify(exchange, signed, jwks);
                checkClaims(exchange, parsed, token, issuers);
            });
        }
        if (jwt instanceof PlainJWT && s.requireSigned()) {
            throw reject(exchange, "TokenSignatureInvalid", "the token is not signed and require-signed-tokens is true");
        }
        checkClaims(exchange, parsed, token, List.of());
        return CompletableFuture.completedFuture(null);
    }

    private String token(Exchange exchange) {
        String raw = switch (s.source()) {
            case TokenSource.Header h -> {
                String[] v = exchange.context().request().headers().values(h.name());
                yield v == null || v.length == 0 ? null : v[0];
            }
            case TokenSource.Query q -> {
                var url = exchange.context().request().url();
                yield url == null ? null : url.queryValueOrDefault(q.name(), null);
            }
            case TokenSource.Expression e -> e.value().get(exchange);
        };
        if (raw == null || raw.isBlank()) {
            throw reject(exchange, "TokenNotPresent", "JWT not present.");
        }
        raw = raw.strip();
        int space = raw.indexOf(' ');
        String scheme = space < 0 ? null : raw.substring(0, space);
        if (s.requireScheme() != null && (scheme == null || !scheme.equalsIgnoreCase(s.requireScheme()))) {
            throw reject(exchange, "TokenSchemeNotFound", "the token is not preceded by the scheme " + s.requireScheme());
        }
        String token = space < 0 ? raw : raw.substring(space + 1).strip();
        if (token.isEmpty()) {
            throw reject(exchange, "TokenNotPresent", "JWT not present.");
        }
        return token;
    }

    private JWT decrypt(Exchange exchange, EncryptedJWT enc) {
        DefaultJWEDecrypterFactory factory = new DefaultJWEDecrypterFactory();
        for (Key k : s.decryptionKeys()) {
            try {
                JWEDecrypter d = factory.createJWEDecrypter(enc.getHeader(), k);
                enc.decrypt(d);
                SignedJWT nested = enc.getPayload().toSignedJWT();
                return nested != null ? nested : enc;
            } catch (JOSEException | IllegalStateException e) {
                // wrong key type or key: try the next one
            }
        }
        throw reject(exchange, "TokenDecryptionFailed", "no decryption key decrypts the token");
    }

    private void verify(Exchange exchange, SignedJWT jwt, List<JWK> published) {
        DefaultJWSVerifierFactory factory = new DefaultJWSVerifierFactory();
        List<Key> candidates = new ArrayList<>(s.signingKeys());
        String kid = jwt.getHeader().getKeyID();
        for (JWK k : published) {
            if (kid != null && k.getKeyID() != null && !kid.equals(k.getKeyID())) {
                continue;
            }
            Key key = toKey(k);
            if (key != null) {
                candidates.add(key);
            }
        }
        for (Key k : candidates) {
            try {
                JWSVerifier v = factory.createJWSVerifier(jwt.getHeader(), k);
                if (jwt.verify(v)) {
                    return;
                }
            } catch (JOSEException | IllegalStateException e) {
                // key type does not fit the algorithm: try the next one
            }
        }
        throw reject(exchange, "TokenSignatureInvalid", candidates.isEmpty()
                ? "no signing key is configured or published for this token" : "the token signature is invalid");
    }

    private static Key toKey(JWK k) {
        try {
            return switch (k) {
                case RSAKey r -> r.toRSAPublicKey();
                case ECKey e -> e.toECPublicKey();
                case OctetSequenceKey o -> o.toSecretKey();
                default -> null;
            };
        } catch (JOSEException e) {
            return null;
        }
    }

    /** The allowed audiences or issuers for this request (expressions evaluated now). */
    private static List<String> values(List<Value<String>> values, Exchange exchange) {
        List<String> out = new ArrayList<>(values.size() + 1);
        for (Value<String> v : values) {
            String s = v.get(exchange);
            if (s != null) {
                out.add(s.strip());
            }
        }
        return out;
    }

    private void checkClaims(Exchange exchange, JWT jwt, String token, List<String> publishedIssuers) {
        JWTClaimsSet c;
        try {
            c = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw reject(exchange, "TokenInvalid", "the token's claims are not a JSON object");
        }
        Instant now = clock.instant();
        if (c.getExpirationTime() == null) {
            if (s.requireExpiration()) {
                throw reject(exchange, "TokenExpirationTimeNotPresent", "the token has no exp claim and require-expiration-time is true");
            }
        } else if (c.getExpirationTime().toInstant().plus(s.clockSkew()).isBefore(now)) {
            throw reject(exchange, "TokenExpired", "the token expired at " + c.getExpirationTime().toInstant());
        }
        if (c.getNotBeforeTime() != null && c.getNotBeforeTime().toInstant().minus(s.clockSkew()).isAfter(now)) {
            throw reject(exchange, "TokenNotYetValid", "the token is valid from " + c.getNotBeforeTime().toInstant());
        }
        if (!s.audiences().isEmpty() && (c.getAudience() == null || c.getAudience().stream().noneMatch(values(s.audiences(), exchange)::contains))) {
            throw reject(exchange, "TokenAudienceNotAllowed", "the token's audience is not one of the allowed audiences");
        }
        List<String> issuers = values(s.issuers(), exchange);
        issuers.addAll(publishedIssuers);
        if (s.trustOpenIdIssuer() && issuers.isEmpty()) {
            throw reject(exchange, "TokenIssuerNotAllowed", "no issuer is known: the OpenID configuration could not be read");
        }
        if (!issuers.isEmpty() && (c.getIssuer() == null || !issuers.contains(c.getIssuer()))) {
            throw reject(exchange, "TokenIssuerNotAllowed", "the token's issuer " + c.getIssuer() + " is not allowed");
        }
        if (!s.clientApplicationIds().isEmpty()) {
            Object app = c.getClaim("azp") != null ? c.getClaim("azp") : c.getClaim("appid");
            if (!(app instanceof String a) || !s.clientApplicationIds().contains(a)) {
                throw reject(exchange, "TokenClientApplicationNotAllowed", "the token's client application (azp/appid) is not allowed");
            }
        }
        for (Claim claim : s.claims()) {
            Object v = c.getClaim(claim.name());
            if (v == null) {
                throw reject(exchange, "TokenClaimNotFound", "the token has no claim " + claim.name());
            }
            if (claim.values().isEmpty()) {
                continue;
            }
            List<String> present = claimValues(v, claim.separator());
            boolean ok = claim.matchAll() ? present.containsAll(claim.values())
                    : claim.values().stream().anyMatch(present::contains);
            if (!ok) {
                throw reject(exchange, "TokenClaimValueNotAllowed", "the token's claim " + claim.name() + " has no allowed value");
            }
        }
        if (s.outputVariable() != null) {
            exchange.context().variables().set(s.outputVariable(), Jwt.parse(token));
        }
    }

    private static List<String> claimValues(Object v, String separator) {
        List<String> out = new ArrayList<>();
        if (v instanceof Collection<?> col) {
            col.forEach(x -> out.add(String.valueOf(x)));
        } else if (v instanceof Map<?, ?>) {
            out.add(v.toString());
        } else if (separator != null && !separator.isEmpty()) {
            for (String p : String.valueOf(v).split(java.util.regex.Pattern.quote(separator), -1)) {
                out.add(p.strip());
            }
        } else {
            out.add(String.valueOf(v));
        }
        return out;
    }

    private PolicyRejection reject(Exchange exchange, String reason, String detail) {
        String msg = s.message() == null ? null : s.message().get(exchange);
        if (msg == null) {
            msg = reason.equals("TokenNotPresent") ? "JWT not present." : "Invalid JWT.";
        }
        return new PolicyRejection(s.status(), s.policy(), reason, detail, msg, Map.of());
    }

    /** An RSA public key from base64url {@code n} and {@code e}. */
    public static Key rsa(String n, String e) throws JOSEException {
        return new RSAKey.Builder(new Base64URL(n), new Base64URL(e)).build().toRSAPublicKey();
    }
}
