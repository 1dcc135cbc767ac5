package io.gatehouse.expr.context;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A request or response body as APIM's {@code IMessageBody}. {@code As<T>()} reads it; unless
 * {@code preserveContent: true} is passed, reading consumes it, and (as on APIM) a later read of a
 * consumed body sees it empty: {@code As<string>} returns "", {@code As<byte[]>} an empty array, and
 * the JSON forms fail as for an empty document. Keep the bytes small: the proxy buffered them.
 */
public final class MessageBody {
    private final byte[] bytes;
    private final String contentType;
    private boolean consumed;

    public MessageBody(byte[] bytes, String contentType) {
        this.bytes = bytes == null ? new byte[0] : bytes;
        this.contentType = contentType;
    }

    public static MessageBody ofString(String text, String contentType) {
        return new MessageBody(text.getBytes(StandardCharsets.UTF_8), contentType);
    }

    public String contentType() {
        return contentType;
    }

    public boolean consumed() {
        return consumed;
    }

    /** The bytes as they are (not consuming), for the gateway to forward. Empty once consumed. */
    public byte[] bytes() {
        return consumed ? new byte[0] : bytes.clone();
    }

    /** Reads the body; consumes it unless preserveContent. */
    public byte[] read(boolean preserveContent) {
        byte[] out = consumed ? new byte[0] : bytes.clone();
        if (!preserveContent) {
            consumed = true;
        }
        return out;
    }

    public String readString(boolean preserveContent) {
        return new String(read(preserveContent), charset());
    }

    private Charset charset() {
        if (contentType != null) {
            for (String part : contentType.split(";")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
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

    @Override
    public String toString() {
        return "MessageBody[" + bytes.length + " bytes, " + contentType + "]";
    }
}
