package io.gatehouse.common.x509;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import javax.security.auth.x500.X500Principal;

/**
 * Certificate names and fingerprints written the way .NET writes them, so that the strings a
 * policy compares ({@code context.Request.Certificate.Subject}, {@code .Issuer},
 * {@code .Thumbprint}, {@code .SerialNumber}) are the strings APIM users already have in their
 * policies.
 *
 * <p>.NET's {@code X509Certificate2.Subject} lists the relative distinguished names in reverse
 * encoding order ("CN=clinic-app, O=Contoso, C=US" for a name encoded C, O, CN), separated by
 * {@code ", "}, with its own short attribute names ({@code S} for stateOrProvinceName, {@code E}
 * for emailAddress) and double-quote quoting rather than RFC 4514 backslash escapes.
 */
public final class DotNetNames {

    private static final HexFormat UPPER_HEX = HexFormat.of().withUpperCase();

    /** OID to the short name .NET prints; anything else prints as {@code OID.<dotted>}. */
    private static final Map<String, String> SHORT_NAMES = Map.ofEntries(
            Map.entry("2.5.4.3", "CN"),
            Map.entry("2.5.4.4", "SN"),
            Map.entry("2.5.4.5", "SERIALNUMBER"),
            Map.entry("2.5.4.6", "C"),
            Map.entry("2.5.4.7", "L"),
            Map.entry("2.5.4.8", "S"),
            Map.entry("2.5.4.9", "STREET"),
            Map.entry("2.5.4.10", "O"),
            Map.entry("2.5.4.11", "OU"),
            Map.entry("2.5.4.12", "T"),
            Map.entry("2.5.4.13", "Description"),
            Map.entry("2.5.4.17", "PostalCode"),
            Map.entry("2.5.4.18", "POBox"),
            Map.entry("2.5.4.20", "Phone"),
            Map.entry("2.5.4.24", "X21Address"),
            Map.entry("2.5.4.42", "G"),
            Map.entry("2.5.4.43", "I"),
            Map.entry("2.5.4.46", "dnQualifier"),
            Map.entry("1.2.840.113549.1.9.1", "E"),
            Map.entry("1.2.840.113549.1.9.2", "UnstructuredName"),
            Map.entry("1.2.840.113549.1.9.8", "UnstructuredAddress"),
            Map.entry("0.9.2342.19200300.100.1.25", "DC"));

    /** Names (upper-cased) accepted when parsing a distinguished name, to their OID. */
    private static final Map<String, String> NAME_TO_OID = Map.ofEntries(
            Map.entry("CN", "2.5.4.3"), Map.entry("COMMONNAME", "2.5.4.3"),
            Map.entry("SN", "2.5.4.4"), Map.entry("SURNAME", "2.5.4.4"),
            Map.entry("SERIALNUMBER", "2.5.4.5"),
            Map.entry("C", "2.5.4.6"), Map.entry("COUNTRYNAME", "2.5.4.6"),
            Map.entry("L", "2.5.4.7"), Map.entry("LOCALITYNAME", "2.5.4.7"),
            Map.entry("S", "2.5.4.8"), Map.entry("ST", "2.5.4.8"),
            Map.entry("STATEORPROVINCENAME", "2.5.4.8"),
            Map.entry("STREET", "2.5.4.9"), Map.entry("STREETADDRESS", "2.5.4.9"),
            Map.entry("O", "2.5.4.10"), Map.entry("ORGANIZATIONNAME", "2.5.4.10"),
            Map.entry("OU", "2.5.4.11"), Map.entry("ORGANIZATIONALUNITNAME", "2.5.4.11"),
            Map.entry("T", "2.5.4.12"), Map.entry("TITLE", "2.5.4.12"),
            Map.entry("DESCRIPTION", "2.5.4.13"),
            Map.entry("POSTALCODE", "2.5.4.17"),
            Map.entry("POBOX", "2.5.4.18"),
            Map.entry("PHONE", "2.5.4.20"),
            Map.entry("X21ADDRESS", "2.5.4.24"),
            Map.entry("G", "2.5.4.42"), Map.entry("GN", "2.5.4.42"), Map.entry("GIVENNAME", "2.5.4.42"),
            Map.entry("I", "2.5.4.43"), Map.entry("INITIALS", "2.5.4.43"),
            Map.entry("DNQUALIFIER", "2.5.4.46"),
            Map.entry("E", "1.2.840.113549.1.9.1"), Map.entry("EMAIL", "1.2.840.113549.1.9.1"),
            Map.entry("EMAILADDRESS", "1.2.840.113549.1.9.1"),
            Map.entry("UNSTRUCTUREDNAME", "1.2.840.113549.1.9.2"),
            Map.entry("UNSTRUCTUREDADDRESS", "1.2.840.113549.1.9.8"),
            Map.entry("DC", "0.9.2342.19200300.100.1.25"),
            Map.entry("UID", "0.9.2342.19200300.100.1.1"));

    private DotNetNames() {
    }

    /**
     * The name as .NET's {@code X509Certificate2.Subject} / {@code Issuer} shows it: RDNs in
     * reverse encoding order joined by {@code ", "}, multi-valued RDNs joined by {@code " + "}.
     * An empty name gives {@code ""}.
     */
    public static String format(X500Principal principal) {
        Objects.requireNonNull(principal, "principal");
        List<List<Ava>> rdns = decodeName(principal.getEncoded());
        StringBuilder out = new StringBuilder();
        for (int i = rdns.size() - 1; i >= 0; i--) {
            if (out.length() > 0) {
                out.append(", ");
            }
            List<Ava> rdn = rdns.get(i);
            for (int j = 0; j < rdn.size(); j++) {
                if (j > 0) {
                    out.append(" + ");
                }
                Ava ava = rdn.get(j);
                String shortName = SHORT_NAMES.get(ava.oid());
                out.append(shortName != null ? shortName : "OID." + ava.oid()).append('=');
                out.append(quoteIfNeeded(ava.value()));
            }
        }
        return out.toString();
    }

    /** SHA-1 of the DER encoding, upper-case hex without separators: APIM's "Thumbprint". */
    public static String thumbprint(X509Certificate certificate) {
        return digest("SHA-1", certificate);
    }

    /** SHA-256 of the DER encoding, upper-case hex without separators. */
    public static String sha256(X509Certificate certificate) {
        return digest("SHA-256", certificate);
    }

    /**
     * The serial number as .NET's {@code SerialNumber} shows it: the big-endian bytes of the DER
     * INTEGER in upper-case hex, keeping the leading {@code 00} the encoding has when the top bit
     * of the first byte is set.
     */
    public static String serialNumber(X509Certificate certificate) {
        return UPPER_HEX.formatHex(certificate.getSerialNumber().toByteArray());
    }

    /**
     * Removes what a thumbprint copied from a portal often carries (spaces, colons, zero-width
     * and non-breaking spaces, byte-order marks) and upper-cases the rest, so two thumbprints can
     * be compared with {@code equals}. Null gives null.
     */
    public static String normalizeThumbprint(String thumbprint) {
        if (thumbprint == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(thumbprint.length());
        for (int i = 0; i < thumbprint.length(); i++) {
            char c = thumbprint.charAt(i);
            boolean invisible = (c >= '\u200B' && c <= '\u200F') || c == '\uFEFF' || c == '\u00A0'
                    || c == '\u2060';
            if (invisible || c == ':' || Character.isWhitespace(c)) {
                continue;
            }
            out.append(c);
        }
        return out.toString().toUpperCase(Locale.ROOT);
    }

    /**
     * Whether two distinguished names name the same entity, comparing them as X.500 names: each
     * side is read as attribute=value pairs (either .NET's {@code "CN=a, O=b"} form or RFC 4514's
     * {@code "CN=a,O=b"}, quoted or backslash-escaped values), attribute order is ignored,
     * attribute names are compared by meaning ({@code S} = {@code ST}, {@code E} =
     * {@code EMAILADDRESS}, {@code OID.2.5.4.3} = {@code CN}), values ignoring case, surrounding
     * whitespace and repeated inner whitespace. Returns false when either side is null or cannot
     * be read as a name.
     */
    public static boolean sameName(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        List<String> left = parseForComparison(a);
        List<String> right = parseForComparison(b);
        return left != null && left.equals(right);
    }

    /** The name's attribute=value pairs in canonical form, sorted; null when unparseable. */
    private static List<String> parseForComparison(String dn) {
        List<String[]> pairs = parseDn(dn);
        if (pairs == null) {
            return null;
        }
        List<String> canonical = new ArrayList<>(pairs.size());
        for (String[] pair : pairs) {
            String oid = typeToOid(pair[0]);
            if (oid == null) {
                return null;
            }
            canonical.add(oid + "=" + canonicalValue(pair[1]));
        }
        canonical.sort(null);
        return canonical;
    }

    private static String typeToOid(String type) {
        String t = type.trim();
        String upper = t.toUpperCase(Locale.ROOT);
        if (upper.startsWith("OID.")) {
            t = t.substring(4);
            upper = upper.substring(4);
        }
        if (!t.isEmpty() && t.chars().allMatch(ch -> ch == '.' || (ch >= '0' && ch <= '9'))) {
            return t.startsWith(".") || t.endsWith(".") || t.contains("..") ? null : t;
        }
        return NAME_TO_OID.get(upper);
    }

    private static String canonicalValue(String value) {
        String trimmed = value.strip();
        return trimmed.replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /**
     * Splits a DN string into (type, value) pairs; separators {@code ,} {@code ;} {@code +};
     * values may be double-quoted (inner quotes doubled or backslash-escaped) or use RFC 4514
     * backslash escapes, including {@code \XX} hex pairs. Null when malformed.
     */
    private static List<String[]> parseDn(String dn) {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        int n = dn.length();
        if (dn.isBlank()) {
            return out;
        }
        while (true) {
            // type
            int eq = i;
            while (eq < n && dn.charAt(eq) != '=' && dn.charAt(eq) != ',' && dn.charAt(eq) != '+'
                    && dn.charAt(eq) != ';') {
                eq++;
            }
            if (eq >= n || dn.charAt(eq) != '=') {
                return null;
            }
            String type = dn.substring(i, eq).trim();
            if (type.isEmpty()) {
                return null;
            }
            i = eq + 1;
            while (i < n && dn.charAt(i) == ' ') {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && dn.charAt(i) == '"') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = dn.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && dn.charAt(i + 1) == '"') {
                            value.append('"');
                            i += 2;
                            continue;
                        }
                        closed = true;
                        i++;
                        break;
                    }
                    if (c == '\\' && i + 1 < n) {
                        value.append(dn.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    value.append(c);
                    i++;
                }
                if (!closed) {
                    return null;
                }
                while (i < n && dn.charAt(i) == ' ') {
                    i++;
                }
                if (i < n && ",;+".indexOf(dn.charAt(i)) < 0) {
                    return null;
                }
            } else {
                java.io.ByteArrayOutputStream pendingBytes = new java.io.ByteArrayOutputStream();
                while (i < n && ",;+".indexOf(dn.charAt(i)) < 0) {
                    char c = dn.charAt(i);
                    if (c == '\\') {
                        if (i + 1 >= n) {
                            return null;
                        }
                        char next = dn.charAt(i + 1);
                        if (i + 2 < n && isHex(next) && isHex(dn.charAt(i + 2))) {
                            pendingBytes.write(Integer.parseInt(dn.substring(i + 1, i + 3), 16));
                            i += 3;
                            continue;
                        }
                        flush(pendingBytes, value);
                        value.append(next);
                        i += 2;
                        continue;
                    }
                    flush(pendingBytes, value);
                    value.append(c);
                    i++;
                }
                flush(pendingBytes, value);
            }
            out.add(new String[] {type, value.toString()});
            if (i >= n) {
                return out;
            }
            i++; // separator
            while (i < n && dn.charAt(i) == ' ') {
                i++;
            }
            if (i >= n) {
                return null;
            }
        }
    }

    private static void flush(java.io.ByteArrayOutputStream bytes, StringBuilder value) {
        if (bytes.size() > 0) {
            value.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
            bytes.reset();
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }

    /**
     * .NET's quoting: a value with {@code , + = " newline < > # ;} or leading/trailing
     * whitespace is wrapped in double quotes with inner quotes doubled.
     */
    static String quoteIfNeeded(String value) {
        if (value.isEmpty()) {
            return value;
        }
        boolean quote = isQuotableWhitespace(value.charAt(0))
                || isQuotableWhitespace(value.charAt(value.length() - 1));
        for (int i = 0; !quote && i < value.length(); i++) {
            quote = ",+=\"\n<>#;".indexOf(value.charAt(i)) >= 0;
        }
        return quote ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }

    private static boolean isQuotableWhitespace(char c) {
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    }

    private static String digest(String algorithm, X509Certificate certificate) {
        try {
            return UPPER_HEX.formatHex(MessageDigest.getInstance(algorithm).digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot compute " + algorithm + " of a certificate", e);
        }
    }

    // ---- a minimal DER reader for Name ::= SEQUENCE OF SET OF SEQUENCE { OID, ANY } ----

    private record Ava(String oid, String value) {
    }

    private static List<List<Ava>> decodeName(byte[] der) {
        Der name = new Der(der, 0, der.length);
        Der.Tlv seq = name.next();
        if (seq.tag() != 0x30) {
            throw new IllegalArgumentException("not a DER Name");
        }
        List<List<Ava>> rdns = new ArrayList<>();
        Der rdnReader = seq.contents();
        while (rdnReader.hasMore()) {
            Der.Tlv set = rdnReader.next();
            List<Ava> avas = new ArrayList<>();
            Der avaReader = set.contents();
            while (avaReader.hasMore()) {
                Der.Tlv ava = avaReader.next();
                Der parts = ava.contents();
                Der.Tlv oid = parts.next();
                Der.Tlv value = parts.next();
                avas.add(new Ava(decodeOid(oid.bytes()), decodeValue(value)));
            }
            rdns.add(avas);
        }
        return rdns;
    }

    private static String decodeOid(byte[] b) {
        StringBuilder out = new StringBuilder();
        long acc = 0;
        boolean first = true;
        for (byte x : b) {
            acc = (acc << 7) | (x & 0x7F);
            if ((x & 0x80) == 0) {
                if (first) {
                    long top = acc < 40 ? 0 : acc < 80 ? 1 : 2;
                    out.append(top).append('.').append(acc - top * 40);
                    first = false;
                } else {
                    out.append('.').append(acc);
                }
                acc = 0;
            }
        }
        return out.toString();
    }

    private static String decodeValue(Der.Tlv v) {
        byte[] b = v.bytes();
        return switch (v.tag()) {
            case 0x0C -> new String(b, StandardCharsets.UTF_8); // UTF8String
            case 0x13, 0x16, 0x12, 0x1A -> new String(b, StandardCharsets.ISO_8859_1); // Printable, IA5, Numeric, Visible
            case 0x14 -> new String(b, StandardCharsets.ISO_8859_1); // T61String, read as Latin-1
            case 0x1E -> new String(b, StandardCharsets.UTF_16BE); // BMPString
            case 0x1C -> new String(b, java.nio.charset.Charset.forName("UTF-32BE")); // UniversalString
            default -> "#" + UPPER_HEX.formatHex(v.whole());
        };
    }

    /** Reads DER TLVs from a slice of a byte array (definite lengths only). */
    private static final class Der {
        private final byte[] buf;
        private int pos;
        private final int end;

        Der(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        Tlv next() {
            int start = pos;
            if (pos + 2 > end) {
                throw new IllegalArgumentException("truncated DER");
            }
            int tag = buf[pos++] & 0xFF;
            int len = buf[pos++] & 0xFF;
            if (len >= 0x80) {
                int count = len & 0x7F;
                if (count == 0 || count > 4 || pos + count > end) {
                    throw new IllegalArgumentException("bad DER length");
                }
                len = 0;
                for (int i = 0; i < count; i++) {
                    len = (len << 8) | (buf[pos++] & 0xFF);
                }
            }
            if (len < 0 || pos + len > end) {
                throw new IllegalArgumentException("truncated DER");
            }
            Tlv t = new Tlv(tag, buf, start, pos, pos + len);
            pos += len;
            return t;
        }

        record Tlv(int tag, byte[] buf, int start, int valueStart, int end) {
            byte[] bytes() {
                return java.util.Arrays.copyOfRange(buf, valueStart, end);
            }

            byte[] whole() {
                return java.util.Arrays.copyOfRange(buf, start, end);
            }

            Der contents() {
                return new Der(buf, valueStart, end);
            }
        }
    }
}
