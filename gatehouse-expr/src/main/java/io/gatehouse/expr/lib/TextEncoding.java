package io.gatehouse.expr.lib;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** .NET {@code System.Text.Encoding}: UTF8, ASCII, Unicode (UTF-16LE). */
public record TextEncoding(String name, Charset charset) {
    public static final TextEncoding UTF8 = new TextEncoding("UTF8", StandardCharsets.UTF_8);
    public static final TextEncoding ASCII = new TextEncoding("ASCII", StandardCharsets.US_ASCII);
    public static final TextEncoding UNICODE = new TextEncoding("Unicode", StandardCharsets.UTF_16LE);
    public static final TextEncoding BIG_ENDIAN_UNICODE = new TextEncoding("Unicode", StandardCharsets.UTF_16BE);
    public static final TextEncoding UTF32 = new TextEncoding("UTF32", Charset.forName("UTF-32LE"));
    public static final TextEncoding LATIN1 = new TextEncoding("Latin1", StandardCharsets.ISO_8859_1);

    /**
     * {@code Encoding.GetEncoding(name)}: the encodings .NET has without a code-pages provider (names
     * compared ignoring case, with the aliases .NET accepts); null for any other name.
     */
    public static TextEncoding byName(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "utf-8", "utf8", "unicode-1-1-utf-8", "unicode-2-0-utf-8", "x-unicode20utf8" -> UTF8;
            case "us-ascii", "ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "cp367", "csascii", "ibm367",
                "iso-ir-6", "iso646-us", "iso_646.irv:1991" -> ASCII;
            case "utf-16", "utf-16le", "unicode", "ucs-2", "iso-10646-ucs-2", "unicodefffe" -> name.equalsIgnoreCase("unicodefffe") ? BIG_ENDIAN_UNICODE : UNICODE;
            case "utf-16be" -> BIG_ENDIAN_UNICODE;
            case "utf-32", "utf-32le" -> UTF32;
            case "iso-8859-1", "latin1", "l1", "cp819", "csisolatin1", "ibm819", "iso-ir-100", "iso8859-1", "iso_8859-1",
                "iso_8859-1:1987" -> LATIN1;
            default -> null;
        };
    }

    /** {@code Encoding.GetEncoding(codepage)}, like {@link #byName}. */
    public static TextEncoding byCodePage(int codePage) {
        return switch (codePage) {
            case 65001 -> UTF8;
            case 20127 -> ASCII;
            case 1200 -> UNICODE;
            case 1201 -> BIG_ENDIAN_UNICODE;
            case 12000 -> UTF32;
            case 28591 -> LATIN1;
            default -> null;
        };
    }

    /** {@code WebName}: the IANA name .NET reports. */
    public String webName() {
        if (charset.equals(StandardCharsets.UTF_8)) {
            return "utf-8";
        }
        if (charset.equals(StandardCharsets.US_ASCII)) {
            return "us-ascii";
        }
        if (charset.equals(StandardCharsets.UTF_16LE)) {
            return "utf-16";
        }
        if (charset.equals(StandardCharsets.UTF_16BE)) {
            return "utf-16BE";
        }
        if (charset.equals(StandardCharsets.ISO_8859_1)) {
            return "iso-8859-1";
        }
        return "utf-32";
    }

    /** {@code CodePage}. */
    public int codePage() {
        return switch (webName()) {
            case "utf-8" -> 65001;
            case "us-ascii" -> 20127;
            case "utf-16" -> 1200;
            case "utf-16BE" -> 1201;
            case "iso-8859-1" -> 28591;
            default -> 12000;
        };
    }

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
