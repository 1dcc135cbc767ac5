package io.gatehouse.policy.xml;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.SourceText;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A tolerant XML reader for APIM policy documents that records the line and column of every
 * element, attribute and text character.
 *
 * <p>It reads well-formed XML (entities, CDATA, comments, an {@code <?xml?>} declaration) and
 * also APIM's "rawxml" form, where policy expressions inside attribute values and text are
 * written unescaped: {@code condition="@(h.GetValueOrDefault("x","") == "a" && 1 < 2)"}. When
 * a value starts with {@code @(} or {@code @{}, the reader follows the C# code to its matching
 * bracket (skipping string and character literals and comments) instead of stopping at the first
 * quote or {@code <}. This is the one way it departs from XML, and the reason a JDK parser cannot
 * be used.
 *
 * <p>It never throws on bad input: every problem becomes a diagnostic with file:line:column and
 * the reader recovers to read the rest of the document.
 */
public final class XmlReader {
    /** Deeper nesting than this is reported and skipped, so a hostile document cannot overflow the stack. */
    public static final int MAX_DEPTH = 100;
    /** A larger document is refused unread: 256 KiB of UTF-8, APIM's own limit on a policy document. */
    public static final int MAX_DOCUMENT_BYTES = 256 * 1024;

    private final String src;
    private final int n;
    private final LineMap lines;
    private final Diagnostics diagnostics;
    private final Function<String, String> namedValues;
    private final Deque<String> open = new ArrayDeque<>();
    private int pos;
    /** Set when nesting went past {@link #MAX_DEPTH}: the rest is skipped, and the elements it leaves open are not reported again. */
    private boolean tooDeep;

    private XmlReader(SourceText source, Diagnostics diagnostics, Function<String, String> namedValues) {
        this.src = source.text();
        this.n = src.length();
        this.lines = new LineMap(source.name(), src);
        this.diagnostics = diagnostics;
        this.namedValues = namedValues;
    }

    /**
     * Reads one document with no named values: every {@code {{name}}} stays as written (see
     * {@link SourceValue#unresolved()}).
     */
    public static XmlElement read(SourceText source, Diagnostics diagnostics) {
        return read(source, diagnostics, name -> null);
    }

    /**
     * Reads one document. Returns its root element, or null when there is none; problems go to
     * {@code diagnostics}.
     *
     * <p>Named values are substituted as APIM does, as text before the policy is read: each
     * {@code {{name}}} in an attribute value, text or CDATA becomes {@code namedValues}' value
     * for that name, so a value needing a number or a URL ({@code timeout="{{timeout}}"},
     * {@code base-url="{{base}}/v2"}) or an expression ({@code @("{{key}}")}) reads the value.
     * Positions still point at the document as written. A name {@code namedValues} does not know
     * (null) stays as written; the compiler reports it where the value is used. Markup inside a
     * named value is read as text: a named value cannot add elements or attributes.
     */
    public static XmlElement read(SourceText source, Diagnostics diagnostics, Function<String, String> namedValues) {
        diagnostics.source(source);
        long bytes = utf8Length(source.text());
        if (bytes > MAX_DOCUMENT_BYTES) {
            diagnostics.error(source.name(), 1, 1, "the policy document is " + bytes + " bytes: at most " + MAX_DOCUMENT_BYTES
                    + " bytes (256 KiB, APIM's limit on a policy document) are read");
            return null;
        }
        return new XmlReader(source, diagnostics, requireNonNull(namedValues, "namedValues")).document();
    }

    private static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private XmlElement document() {
        if (n > 0 && src.charAt(0) == '\uFEFF') {
            pos = 1;
        }
        skipMisc();
        if (pos >= n) {
            error(pos, "empty document: expected a root element such as <policies>");
            return null;
        }
        while (pos < n && (src.charAt(pos) != '<' || pos + 1 >= n || !isNameStart(src.charAt(pos + 1)))) {
            int at = pos;
            int next = src.indexOf('<', pos + 1);
            error(at, "expected the root element, found '" + snippet(at) + "'");
            pos = next < 0 ? n : next;
            skipMisc();
        }
        if (pos >= n) {
            return null;
        }
        XmlElement root = element(0);
        skipMisc();
        if (pos < n) {
            error(pos, "unexpected content after the end of the root element <" + root.name() + ">: '" + snippet(pos) + "'");
        }
        return root;
    }

    /** Skips whitespace, comments, processing instructions and DOCTYPE between top-level items. */
    private void skipMisc() {
        while (true) {
            skipWs();
            if (startsWith("<?")) {
                skipTo(pos, "?>", "processing instruction");
            } else if (startsWith("<!--")) {
                skipTo(pos, "-->", "comment");
            } else if (startsWith("<!")) {
                error(pos, "a DOCTYPE or other declaration is not allowed in a policy document");
                skipTo(pos, ">", "declaration");
            } else {
                return;
            }
        }
    }

    private void skipTo(int start, String end, String what) {
        int e = src.indexOf(end, start + 2);
        if (e < 0) {
            error(start, what + " is not closed: expected '" + end + "'");
            pos = n;
        } else {
            pos = e + end.length();
        }
    }

    private XmlElement element(int depth) {
        int start = pos;
        Position at = lines.position(start);
        pos++; // '<'
        String name = readName();
        List<XmlAttribute> attributes = new ArrayList<>();
        List<XmlNode> children = new ArrayList<>();
        // attributes
        while (true) {
            skipWs();
            if (pos >= n) {
                error(start, "element <" + name + "> is not closed: expected '>' or '/>'");
                return new XmlElement(name, at, attributes, children);
            }
            char c = src.charAt(pos);
            if (c == '/' && startsWith("/>")) {
                pos += 2;
                return new XmlElement(name, at, attributes, children);
            }
            if (c == '>') {
                pos++;
                break;
            }
            if (c == '<') {
                error(start, "element <" + name + "> is not closed: expected '>' or '/>' before the next '<'");
                return new XmlElement(name, at, attributes, children);
            }
            if (isNameStart(c)) {
                XmlAttribute a = attribute(name);
                if (a != null) {
                    boolean dup = false;
                    for (XmlAttribute other : attributes) {
                        dup |= other.name().equals(a.name());
                    }
                    if (dup) {
                        diagnostics.add(a.position().error("attribute '" + a.name() + "' is given twice on <" + name + ">"));
                    } else {
                        attributes.add(a);
                    }
                }
            } else {
                error(pos, "unexpected character '" + c + "' in the tag <" + name + ">: expected an attribute name, '>' or '/>'");
                pos++;
                // skip the rest of this junk so one slip gives one error
                while (pos < n && !Character.isWhitespace(src.charAt(pos)) && src.charAt(pos) != '>' && !startsWith("/>")) {
                    pos++;
                }
            }
        }
        // content
        open.push(name);
        try {
            while (true) {
                if (pos >= n) {
                    if (!tooDeep) {
                        error(start, "element <" + name + "> is not closed: expected </" + name + ">");
                    }
                    break;
                }
                if (startsWith("</")) {
                    int endStart = pos;
                    pos += 2;
                    String endName = readName();
                    skipWs();
                    if (pos < n && src.charAt(pos) == '>') {
                        pos++;
                    } else {
                        error(endStart, "end tag </" + endName + "> is not closed: expected '>'");
                    }
                    if (endName.equals(name)) {
                        break;
                    }
                    if (open.contains(endName)) {
                        error(endStart, "found </" + endName + "> but <" + name + "> (opened at "
                                + at.line() + ":" + at.column() + ") is not closed: expected </" + name + ">");
                        pos = endStart; // let the enclosing element take its end tag
                        break;
                    }
                    error(endStart, "unexpected end tag </" + endName + ">: expected </" + name + ">");
                    continue;
                }
                if (startsWith("<!--")) {
                    skipTo(pos, "-->", "comment");
                } else if (startsWith("<![CDATA[")) {
                    int s = pos + 9;
                    int e = src.indexOf("]]>", s);
                    if (e < 0) {
                        error(pos, "CDATA section is not closed: expected ']]>'");
                        e = n;
                    }
                    children.add(new XmlText(raw(s, e), true));
                    pos = Math.min(n, e + 3);
                } else if (startsWith("<?")) {
                    skipTo(pos, "?>", "processing instruction");
                } else if (startsWith("<!")) {
                    error(pos, "a declaration is not allowed inside an element");
                    skipTo(pos, ">", "declaration");
                } else if (src.charAt(pos) == '<') {
                    if (pos + 1 >= n || !isNameStart(src.charAt(pos + 1))) {
                        error(pos, "expected an element name after '<' (write '&lt;' for a literal '<' in text)");
                        children.add(text(pos + 1));
                    } else if (depth + 1 >= MAX_DEPTH) {
                        error(pos, "elements are nested too deeply (more than " + MAX_DEPTH + " levels): the rest of the document is skipped");
                        tooDeep = true;
                        pos = n;
                    } else {
                        children.add(element(depth + 1));
                    }
                } else {
                    children.add(text(pos));
                }
            }
        } finally {
            open.pop();
        }
        return new XmlElement(name, at, attributes, children);
    }

    private XmlAttribute attribute(String elementName) {
        int start = pos;
        String name = readName();
        Position at = lines.position(start);
        skipWs();
        if (pos >= n || src.charAt(pos) != '=') {
            error(start, "attribute '" + name + "' on <" + elementName + "> has no value: expected " + name + "=\"...\"");
            return null;
        }
        pos++;
        skipWs();
        if (pos >= n) {
            error(start, "attribute '" + name + "' on <" + elementName + "> has no value: expected " + name + "=\"...\"");
            return null;
        }
        char q = src.charAt(pos);
        if (q != '"' && q != '\'') {
            error(pos, "the value of attribute '" + name + "' must be in quotes");
            int s = pos;
            while (pos < n && !Character.isWhitespace(src.charAt(pos)) && src.charAt(pos) != '>' && !startsWith("/>")) {
                pos++;
            }
            return new XmlAttribute(name, at, decode(s, pos));
        }
        int s = pos + 1;
        if (isExpressionStart(s)) {
            int end = scanExpression(s);
            if (end > 0) {
                int k = end;
                while (k < n && Character.isWhitespace(src.charAt(k))) {
                    k++;
                }
                if (k < n && src.charAt(k) == q) {
                    pos = k + 1;
                    return new XmlAttribute(name, at, decode(s, k));
                }
            } else {
                // the code never closes: keep the damage to this line and this tag
                char open = src.charAt(s + 1);
                error(s, "the expression in attribute '" + name + "' is not closed: expected '" + closer(open)
                        + "' to match '@" + open + "', then " + q);
                int eol = src.indexOf('\n', s);
                eol = eol < 0 ? n : eol;
                int tagEnd = src.lastIndexOf("/>", eol);
                if (tagEnd < s) {
                    tagEnd = src.lastIndexOf('>', eol);
                }
                int e = tagEnd > s ? tagEnd : eol;
                int valueEnd = e;
                while (valueEnd > s && Character.isWhitespace(src.charAt(valueEnd - 1))) {
                    valueEnd--;
                }
                if (valueEnd > s && src.charAt(valueEnd - 1) == q) {
                    valueEnd--;
                }
                pos = e;
                return new XmlAttribute(name, at, decode(s, valueEnd));
            }
        }
        int e = src.indexOf(q, s);
        if (e < 0) {
            error(s - 1, "the value of attribute '" + name + "' is not closed: expected a closing " + q);
            int eol = src.indexOf('\n', s);
            e = eol < 0 ? n : eol;
            pos = e;
        } else {
            pos = e + 1;
            if (pos < n && isNameChar(src.charAt(pos))) {
                error(s - 1, "the value of attribute '" + name + "' runs into what follows it: is a closing " + q + " missing?");
                while (pos < n && !Character.isWhitespace(src.charAt(pos)) && src.charAt(pos) != '>' && !startsWith("/>")) {
                    pos++;
                }
            }
        }
        return new XmlAttribute(name, at, decode(s, e));
    }

    /** Text up to the next '<', following an expression that starts the text (after whitespace) to its end. */
    private XmlText text(int from) {
        int s = pos;
        int i = from;
        int k = i;
        while (k < n && Character.isWhitespace(src.charAt(k))) {
            k++;
        }
        if (isExpressionStart(k)) {
            int end = scanExpression(k);
            if (end > 0) {
                i = end;
            }
        }
        int e = src.indexOf('<', i);
        if (e < 0) {
            e = n;
        }
        pos = e;
        return new XmlText(decode(s, e), false);
    }

    private boolean isExpressionStart(int i) {
        return i + 1 < n && src.charAt(i) == '@' && (src.charAt(i + 1) == '(' || src.charAt(i + 1) == '{');
    }

    /**
     * Follows C# code from the '@' at {@code at} to the bracket that closes the one after it.
     * Returns the index after that bracket, or -1 when the code does not close properly (the
     * caller then falls back to plain XML rules and the expression compiler reports the problem).
     */
    int scanExpression(int at) {
        return scanBalanced(at + 1, src.charAt(at + 1) == '{');
    }

    private int scanBalanced(int i, boolean comments) {
        char[] stack = new char[16];
        int depth = 0;
        stack[depth++] = closer(src.charAt(i));
        i++;
        while (i < n) {
            char c = src.charAt(i);
            switch (c) {
                case '(', '[', '{' -> {
                    if (depth == stack.length) {
                        if (depth >= 4096) {
                            return -1;
                        }
                        stack = Arrays.copyOf(stack, depth * 2);
                    }
                    stack[depth++] = closer(c);
                    i++;
                }
                case ')', ']', '}' -> {
                    if (stack[depth - 1] != c) {
                        return -1;
                    }
                    depth--;
                    i++;
                    if (depth == 0) {
                        return i;
                    }
                }
                case '"' -> {
                    boolean verbatim = i > 0 && (src.charAt(i - 1) == '@' || (src.charAt(i - 1) == '$' && i > 1 && src.charAt(i - 2) == '@'));
                    boolean interpolated = i > 0 && (src.charAt(i - 1) == '$' || (src.charAt(i - 1) == '@' && i > 1 && src.charAt(i - 2) == '$'));
                    int e = skipString(i, verbatim, interpolated);
                    if (e < 0) {
                        return -1;
                    }
                    i = e + 1;
                }
                case '\'' -> i = skipChar(i);
                case '&' -> {
                    // well-formed XML writes C# strings as &quot;...&quot;
                    if (src.startsWith("&quot;", i)) {
                        int e = src.indexOf("&quot;", i + 6);
                        if (e < 0) {
                            return -1;
                        }
                        i = e + 6;
                    } else {
                        i++;
                    }
                }
                case '/' -> {
                    if (comments && i + 1 < n && src.charAt(i + 1) == '/') {
                        int e = src.indexOf('\n', i);
                        i = e < 0 ? n : e + 1;
                    } else if (comments && i + 1 < n && src.charAt(i + 1) == '*') {
                        int e = src.indexOf("*/", i + 2);
                        if (e < 0) {
                            return -1;
                        }
                        i = e + 2;
                    } else {
                        i++;
                    }
                }
                default -> i++;
            }
        }
        return -1;
    }

    private static char closer(char open) {
        return switch (open) {
            case '(' -> ')';
            case '[' -> ']';
            default -> '}';
        };
    }

    /** Returns the index of the closing quote, or -1. */
    private int skipString(int i, boolean verbatim, boolean interpolated) {
        i++;
        while (i < n) {
            char c = src.charAt(i);
            if (c == '"') {
                if (verbatim && i + 1 < n && src.charAt(i + 1) == '"') {
                    i += 2;
                    continue;
                }
                return i;
            }
            if (!verbatim && c == '\\') {
                i += 2;
                continue;
            }
            if (!verbatim && c == '\n') {
                return -1;
            }
            if (interpolated && c == '{') {
                if (i + 1 < n && src.charAt(i + 1) == '{') {
                    i += 2;
                    continue;
                }
                int e = scanBalanced(i, false);
                if (e < 0) {
                    return -1;
                }
                i = e;
                continue;
            }
            i++;
        }
        return -1;
    }

    /** A C# char literal is short; an apostrophe that does not close soon is just a character. */
    private int skipChar(int i) {
        int limit = Math.min(n, i + 10);
        for (int k = i + 1; k < limit; k++) {
            char c = src.charAt(k);
            if (c == '\\') {
                k++;
            } else if (c == '\'') {
                return k > i + 1 ? k + 1 : i + 1;
            } else if (c == '\n') {
                break;
            }
        }
        return i + 1;
    }

    /** The source range with entities decoded; every character keeps its source offset. */
    private SourceValue decode(int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int[] offs = new int[to - from + 1];
        int k = 0;
        int i = from;
        while (i < to) {
            char c = src.charAt(i);
            if (c == '&') {
                int semi = src.indexOf(';', i);
                if (semi > i && semi < to && semi - i <= 10) {
                    int cp = entity(src.substring(i + 1, semi));
                    if (cp >= 0) {
                        for (char ch : Character.toChars(cp)) {
                            sb.append(ch);
                            offs[k++] = i;
                        }
                        i = semi + 1;
                        continue;
                    }
                }
            }
            if (c == '\r' && i + 1 < to && src.charAt(i + 1) == '\n') {
                i++;
                continue;
            }
            sb.append(c);
            offs[k++] = i;
            i++;
        }
        offs[k] = to;
        return new SourceValue(sb.toString(), Arrays.copyOf(offs, k + 1), lines).substitute(namedValues);
    }

    private SourceValue raw(int from, int to) {
        int[] offs = new int[to - from + 1];
        for (int i = 0; i < offs.length; i++) {
            offs[i] = from + i;
        }
        return new SourceValue(src.substring(from, to), offs, lines).substitute(namedValues);
    }

    private static int entity(String name) {
        switch (name) {
            case "lt": return '<';
            case "gt": return '>';
            case "amp": return '&';
            case "quot": return '"';
            case "apos": return '\'';
            default:
                try {
                    int cp;
                    if (name.startsWith("#x") || name.startsWith("#X")) {
                        cp = Integer.parseInt(name.substring(2), 16);
                    } else if (name.startsWith("#")) {
                        cp = Integer.parseInt(name.substring(1));
                    } else {
                        return -1;
                    }
                    return Character.isValidCodePoint(cp) ? cp : -1;
                } catch (NumberFormatException e) {
                    return -1;
                }
        }
    }

    private String readName() {
        int s = pos;
        while (pos < n && isNameChar(src.charAt(pos))) {
            pos++;
        }
        if (s == pos) {
            error(pos, "expected a name, found '" + snippet(pos) + "'");
        }
        return src.substring(s, pos);
    }

    private static boolean isNameStart(char c) {
        return Character.isLetter(c) || c == '_' || c == ':';
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == ':';
    }

    private void skipWs() {
        while (pos < n && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    private boolean startsWith(String s) {
        return src.startsWith(s, pos);
    }

    private String snippet(int at) {
        if (at >= n) {
            return "end of file";
        }
        int e = Math.min(n, at + 12);
        int nl = src.indexOf('\n', at);
        if (nl >= 0 && nl < e) {
            e = nl;
        }
        return src.substring(at, Math.max(e, at + 1)).strip();
    }

    private void error(int offset, String message) {
        diagnostics.add(lines.position(Math.min(offset, n)).error(message));
    }
}
