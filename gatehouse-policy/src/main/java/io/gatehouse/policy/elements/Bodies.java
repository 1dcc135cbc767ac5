package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Body helpers shared by find-and-replace, json-to-xml and xml-to-json. */
final class Bodies {
    private Bodies() {
    }

    /** The charset named in a Content-Type, or UTF-8. */
    static Charset charset(String contentType) {
        if (contentType != null) {
            for (String part : contentType.split(";")) {
                String p = part.strip().toLowerCase(Locale.ROOT);
                if (p.startsWith("charset=")) {
                    try {
                        return Charset.forName(p.substring(8).replace("\"", ""));
                    } catch (RuntimeException e) {
                        return StandardCharsets.UTF_8;
                    }
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** The message's Content-Type: the header if set, else the body's. */
    static String contentType(PolicyContext c, Message target) {
        String h = target.headers(c).getValueOrDefault("Content-Type", null);
        if (h != null) {
            return h;
        }
        MessageBody b = target.body(c);
        return b == null ? null : b.contentType();
    }

    /** True for application/json, text/json and any +json type. */
    static boolean isJson(String contentType) {
        String m = mediaType(contentType);
        return m.equals("application/json") || m.equals("text/json") || m.endsWith("+json");
    }

    /** True for application/xml, text/xml and any +xml type. */
    static boolean isXml(String contentType) {
        String m = mediaType(contentType);
        return m.equals("application/xml") || m.equals("text/xml") || m.endsWith("+xml");
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        return (semi >= 0 ? contentType.substring(0, semi) : contentType).strip().toLowerCase(Locale.ROOT);
    }

    /** True if the request's Accept header lists a media type {@code test} accepts. */
    static boolean accepts(PolicyContext c, java.util.function.Predicate<String> test) {
        String accept = c.request().headers().getValueOrDefault("Accept", "");
        for (String part : accept.split(",")) {
            if (test.test(part)) {
                return true;
            }
        }
        return false;
    }

    /** Replaces the body and the Content-Type header of the message. */
    static void replace(PolicyContext c, Message target, byte[] bytes, String contentType) {
        target.body(c, new MessageBody(bytes, contentType));
        Headers h = target.headers(c);
        h.set("Content-Type", contentType);
    }
}
