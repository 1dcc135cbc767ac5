package io.gatehouse.expr.lib;

import java.math.BigDecimal;
import java.util.Map;

/** JSON reading and writing for the {@link JToken} model, with Newtonsoft-like messages and layout. */
public final class Json {
    private static final int MAX_DEPTH = 64;

    private final String s;
    private int i;
    private int line = 1;
    private int lineStart;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON value; throws IllegalArgumentException with a Newtonsoft-style message. */
    public static JToken parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("Value cannot be null. (Parameter 'json')");
        }
        Json p = new Json(text);
        p.ws();
        if (p.i >= text.length()) {
            throw new IllegalArgumentException("Error reading JToken from JsonReader. Path '', line 0, position 0.");
        }
        JToken t = p.value(0);
        p.ws();
        if (p.i < text.length()) {
            throw p.error("Additional text encountered after finished reading JSON content: " + text.charAt(p.i) + ".");
        }
        return t;
    }

    private IllegalArgumentException error(String msg) {
        return new IllegalArgumentException(msg + " Path '', line " + line + ", position " + (i - lineStart) + ".");
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\n') {
                line++;
                lineStart = i + 1;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                break;
            }
            i++;
        }
    }

    private JToken value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("The reader's MaxDepth of " + MAX_DEPTH + " has been exceeded.");
        }
        ws();
        if (i >= s.length()) {
            throw error("Unexpected end of content while loading JObject.");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{' -> {
                i++;
                JObject o = new JObject();
                ws();
                if (peek() == '}') {
                    i++;
                    return o;
                }
                while (true) {
                    ws();
                    if (peek() != '"') {
                        throw error("Invalid property identifier character: " + (i < s.length() ? s.charAt(i) : ' ') + ".");
                    }
                    String name = string();
                    ws();
                    if (peek() != ':') {
                        throw error("Invalid character after parsing property name. Expected ':' but got: "
                                + (i < s.length() ? s.charAt(i) : ' ') + ".");
                    }
                    i++;
                    o.set(name, value(depth + 1));
                    ws();
                    char n = peek();
                    i++;
                    if (n == '}') {
                        return o;
                    }
                    if (n != ',') {
                        i--;
                        throw error("After parsing a value an unexpected character was encountered: " + n + ".");
                    }
                }
            }
            case '[' -> {
                i++;
                JArray a = new JArray();
                ws();
                if (peek() == ']') {
                    i++;
                    return a;
                }
                while (true) {
                    a.items().add(value(depth + 1));
                    ws();
                    char n = peek();
                    i++;
                    if (n == ']') {
                        return a;
                    }
                    if (n != ',') {
                        i--;
                        throw error("After parsing a value an unexpected character was encountered: " + n + ".");
                    }
                }
            }
            case '"' -> {
                return new JValue(string());
            }
            case 't', 'f', 'n' -> {
                for (String w : new String[] {"true", "false", "null"}) {
                    if (s.startsWith(w, i)) {
                        i += w.length();
                        return new JValue(w.equals("null") ? null : Boolean.valueOf(w));
                    }
                }
                throw error("Unexpected character encountered while parsing value: " + c + ".");
            }
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    int start = i;
                    i++;
                    while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
                        i++;
                    }
                    String num = s.substring(start, i);
                    try {
                        if (num.contains(".") || num.contains("e") || num.contains("E")) {
                            return new JValue(Double.parseDouble(num));
                        }
                        try {
                            return new JValue(Long.parseLong(num));
                        } catch (NumberFormatException e) {
                            return new JValue(new BigDecimal(num));
                        }
                    } catch (NumberFormatException e) {
                        throw error("Input string '" + num + "' is not a valid number.");
                    }
                }
                throw error("Unexpected character encountered while parsing value: " + c + ".");
            }
        }
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private String string() {
        i++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("Unterminated string. Expected delimiter: \".");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                if (i >= s.length()) {
                    throw error("Unterminated string. Expected delimiter: \".");
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw error("Unexpected end while parsing Unicode escape sequence.");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("Invalid Unicode escape sequence.");
                        }
                        i += 4;
                    }
                    default -> sb.append(e);
                }
            } else {
                sb.append(c);
            }
        }
    }

    static void write(JToken t, StringBuilder sb, boolean indented, int level) {
        switch (t) {
            case JValue v -> writeValue(v.value(), sb);
            case JProperty p -> {
                quote(p.name(), sb);
                sb.append(indented ? ": " : ":");
                write(p.value(), sb, indented, level);
            }
            case JObject o -> {
                if (o.properties().isEmpty()) {
                    sb.append("{}");
                    return;
                }
                sb.append('{');
                boolean first = true;
                for (Map.Entry<String, JToken> e : o.properties().entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    newline(sb, indented, level + 1);
                    quote(e.getKey(), sb);
                    sb.append(indented ? ": " : ":");
                    write(e.getValue(), sb, indented, level + 1);
                }
                newline(sb, indented, level);
                sb.append('}');
            }
            case JArray a -> {
                if (a.items().isEmpty()) {
                    sb.append("[]");
                    return;
                }
                sb.append('[');
                boolean first = true;
                for (JToken item : a.items()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    newline(sb, indented, level + 1);
                    write(item, sb, indented, level + 1);
                }
                newline(sb, indented, level);
                sb.append(']');
            }
        }
    }

    private static void newline(StringBuilder sb, boolean indented, int level) {
        if (indented) {
            sb.append("\n").append("  ".repeat(level));
        }
    }

    private static void writeValue(Object v, StringBuilder sb) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String str) {
            quote(str, sb);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                sb.append(d.isNaN() ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            } else {
                String r = Dotnet.formatDouble(d);
                sb.append(r.contains(".") || r.contains("E") ? r : r + ".0");
            }
        } else {
            sb.append(v);
        }
    }

    /** {@code s} as a JSON string literal, quotes included. */
    public static String quoted(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        quote(s, sb);
        return sb.toString();
    }

    static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
