package io.gatehouse.expr.lib;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** .NET {@code System.Text.Encoding}: UTF8, ASCII, Unicode (UTF-16LE). */
public record TextEncoding(String name, Charset charset) {
    public static final TextEncoding UTF8 = new TextEncoding("UTF8", StandardCharsets.UTF_8);
    public static final TextEncoding ASCII = new TextEncoding("ASCII", StandardCharsets.US_ASCII);
    public static final TextEncoding UNICODE = new TextEncoding("Unicode", StandardCharsets.UTF_16LE);

    public byte[] getBytes(String s) {
        return s.getBytes(charset);
    }

    public String getString(byte[] b, int offset, int count) {
        return new String(b, offset, count, charset);
    }

    @Override
    public String toString() {
        return "System.Text." + name + "Encoding";
    }
}
