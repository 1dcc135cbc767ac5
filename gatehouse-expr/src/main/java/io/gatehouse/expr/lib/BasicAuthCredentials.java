package io.gatehouse.expr.lib;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** APIM's {@code string.AsBasic()}: the user id and password of a Basic Authorization value. */
public record BasicAuthCredentials(String userId, String password) {
    /** Parses "Basic base64(user:password)" (the scheme is optional); null when it is not one, as APIM returns. */
    public static BasicAuthCredentials parse(String text) {
        if (text == null) {
            return null;
        }
        String t = text.trim();
        if (t.regionMatches(true, 0, "Basic ", 0, 6)) {
            t = t.substring(6).trim();
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(t), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : new BasicAuthCredentials(decoded.substring(0, colon), decoded.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "BasicAuthCredentials[userId=" + userId + ", password=******]";
    }
}
