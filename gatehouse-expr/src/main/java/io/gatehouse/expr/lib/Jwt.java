package io.gatehouse.expr.lib;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * APIM's {@code Jwt} from {@code string.AsJwt()}: the token's header and claims, decoded but NOT
 * verified. Never base an access decision on it alone; use validate-jwt for that.
 */
public final class Jwt {
    private final Map<String, String> header;
    private final Map<String, List<String>> claims;

    private Jwt(Map<String, String> header, Map<String, List<String>> claims) {
        this.header = header;
        this.claims = claims;
    }

    /** Decodes a compact JWS ("a.b.c", optionally prefixed "Bearer "); null when it is not one, as APIM returns. */
    public static Jwt parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.regionMatches(true, 0, "Bearer ", 0, 7)) {
            t = t.substring(7).trim();
        }
        String[] parts = t.split("\\.", -1);
        if (parts.length != 3) {
            return null;
        }
        try {
            JToken h = Json.parse(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
            JToken p = Json.parse(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            if (!(h instanceof JObject ho) || !(p instanceof JObject po)) {
                return null;
            }
            Map<String, String> header = new LinkedHashMap<>();
            ho.properties().forEach((k, v) -> header.put(k, Dotnet.toStr(v)));
            Map<String, List<String>> claims = new LinkedHashMap<>();
            po.properties().forEach((k, v) -> {
                List<String> values = new ArrayList<>();
                if (v instanceof JArray a) {
                    a.items().forEach(x -> values.add(Dotnet.toStr(x)));
                } else {
                    values.add(v instanceof JValue jv ? Dotnet.toStr(jv) : v.toString(false));
                }
                claims.put(k, values);
            });
            return new Jwt(header, claims);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public Map<String, String> header() {
        return header;
    }

    /** Claim name to values (an array claim has several). */
    public Map<String, List<String>> claims() {
        return claims;
    }

    private String first(String name) {
        List<String> v = claims.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    public String id() {
        return first("jti");
    }

    public String issuer() {
        return first("iss");
    }

    public String subject() {
        return first("sub");
    }

    public String algorithm() {
        return header.get("alg");
    }

    public String[] audiences() {
        List<String> v = claims.get("aud");
        return v == null ? new String[0] : v.toArray(String[]::new);
    }

    private DateTime time(String name) {
        String v = first(name);
        if (v == null) {
            return null;
        }
        try {
            return DateTime.ofInstant(Instant.ofEpochSecond((long) Double.parseDouble(v)), DateTime.Kind.Utc);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public DateTime expirationTime() {
        return time("exp");
    }

    public DateTime notBefore() {
        return time("nbf");
    }

    public DateTime issuedAt() {
        return time("iat");
    }

    @Override
    public String toString() {
        return "Jwt" + claims.keySet();
    }
}
