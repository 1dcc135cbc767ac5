package io.gatehouse.expr.internal;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/** Splits C# expression text into tokens; all literal forms C# has for the types we support. */
public final class Lexer {
    private static final String[] OPS = {
        "<<=", "??=", "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "?[", "++", "--", "+=", "-=", "*=", "/=",
        "%=", "&=", "|=", "^=", "<<",
        "(", ")", "[", "]", "{", "}", ".", ",", ";", ":", "?", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", "=",
        "<", ">",
    };

    private final String src;
    private final int limit;
    private int i;

    /** Lexes src from offset start up to (not including) end. */
    public Lexer(String src, int start, int end) {
        this.src = src;
        this.i = start;
        this.limit = end;
    }

    public List<Token> tokens() {
        List<Token> out = new ArrayList<>();
        while (true) {
            Token t = next();
            out.add(t);
            if (t.kind() == Token.Kind.EOF) {
                return out;
            }
        }
    }

    private char at(int k) {
        return k < limit ? src.charAt(k) : '\0';
    }

    private void skipSpace() {
        while (i < limit) {
            char c = src.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '/' && at(i + 1) == '/') {
                while (i < limit && src.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && at(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                if (end < 0 || end + 2 > limit) {
                    throw new SyntaxError(i, "unterminated comment: expected '*/'");
                }
                i = end + 2;
            } else {
                return;
            }
        }
    }

    private Token next() {
        skipSpace();
        if (i >= limit) {
            return new Token(Token.Kind.EOF, "<end>", null, limit, limit);
        }
        int start = i;
        char c = src.charAt(i);
        if (c == '$' || (c == '@' && (at(i + 1) == '"' || (at(i + 1) == '$' && at(i + 2) == '"')))) {
            boolean interp = false;
            boolean verbatim = false;
            while (src.charAt(i) == '$' || src.charAt(i) == '@') {
                if (src.charAt(i) == '$') {
                    interp = true;
                } else {
                    verbatim = true;
                }
                i++;
                if (i >= limit) {
                    break;
                }
            }
            if (at(i) != '"') {
                if (c == '@' && !interp && Character.isJavaIdentifierStart(at(start + 1))) {
                    i = start + 1;
                    Token id = identifier(i);
                    return new Token(Token.Kind.IDENT, id.text(), null, start, id.end());
                }
                throw new SyntaxError(start, "unexpected character '" + c + "'");
            }
            i++;
            return interp ? interpolated(start, verbatim) : new Token(Token.Kind.STRING, src.substring(start, i),
                    verbatim ? verbatimBody() : regularBody(), start, i);
        }
        if (c == '@' && Character.isJavaIdentifierStart(at(i + 1))) {
            Token id = identifier(i + 1);
            return new Token(Token.Kind.IDENT, id.text(), null, start, id.end());
        }
        if (c == '"' && at(i + 1) == '"' && at(i + 2) == '"') {
            throw new SyntaxError(i, "raw string literals (\"\"\"...\"\"\") are not supported in policy expressions: use \"...\" or @\"...\"");
        }
        if (c == '"') {
            i++;
            String v = regularBody();
            return new Token(Token.Kind.STRING, src.substring(start, i), v, start, i);
        }
        if (c == '\'') {
            i++;
            char v;
            if (at(i) == '\\') {
                v = escape();
            } else if (at(i) == '\'' || at(i) == '\n' || i >= limit) {
                throw new SyntaxError(start, "empty or unterminated character literal");
            } else {
                v = src.charAt(i++);
            }
            if (at(i) != '\'') {
                throw new SyntaxError(start, "too many characters in character literal");
            }
            i++;
            return new Token(Token.Kind.CHAR, src.substring(start, i), v, start, i);
        }
        if (Character.isDigit(c) || (c == '.' && Character.isDigit(at(i + 1)))) {
            return number();
        }
        if (Character.isJavaIdentifierStart(c) && c != '$') {
            return identifier(i);
        }
        for (String op : OPS) {
            if (src.startsWith(op, i) && i + op.length() <= limit) {
                i += op.length();
                return new Token(Token.Kind.OP, op, null, start, i);
            }
        }
        throw new SyntaxError(start, "unexpected character '" + c + "'");
    }

    private Token identifier(int from) {
        i = from;
        int start = i;
        while (i < limit && Character.isJavaIdentifierPart(src.charAt(i)) && src.charAt(i) != '$') {
            i++;
        }
        return new Token(Token.Kind.IDENT, src.substring(start, i), null, start, i);
    }

    private Token number() {
        int start = i;
        boolean hex = false;
        if (src.charAt(i) == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X')) {
            hex = true;
            i += 2;
            while (i < limit && (Character.digit(src.charAt(i), 16) >= 0 || src.charAt(i) == '_')) {
                i++;
            }
        } else {
            while (i < limit && (Character.isDigit(src.charAt(i)) || src.charAt(i) == '_')) {
                i++;
            }
        }
        boolean real = false;
        if (!hex && at(i) == '.' && Character.isDigit(at(i + 1))) {
            real = true;
            i++;
            while (i < limit && (Character.isDigit(src.charAt(i)) || src.charAt(i) == '_')) {
                i++;
            }
        }
        if (!hex && (at(i) == 'e' || at(i) == 'E')) {
            int save = i;
            i++;
            if (at(i) == '+' || at(i) == '-') {
                i++;
            }
            if (!Character.isDigit(at(i))) {
                i = save;
            } else {
                real = true;
                while (i < limit && Character.isDigit(src.charAt(i))) {
                    i++;
                }
            }
        }
        String body = src.substring(start, i).replace("_", "");
        int sfxStart = i;
        while (i < limit && Character.isLetter(src.charAt(i))) {
            i++;
        }
        String suffix = src.substring(sfxStart, i).toUpperCase();
        String text = src.substring(start, i);
        try {
            Object v;
            switch (suffix) {
                case "M" -> v = hex ? null : new BigDecimal(body);
                case "D", "F" -> v = hex ? null : Double.parseDouble(body);
                case "" -> {
                    if (real) {
                        v = Double.parseDouble(body);
                    } else {
                        long l = hex ? Long.parseUnsignedLong(body.substring(2), 16) : Long.parseLong(body);
                        v = (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) ? (Object) (int) l
                                : hex && l >= 0 && l <= 0xFFFFFFFFL ? (Object) (int) l : (Object) l;
                        if (!hex && l > Integer.MAX_VALUE && l <= 0xFFFFFFFFL) {
                            v = l;
                        }
                    }
                }
                case "L", "U", "UL", "LU" -> {
                    if (real) {
                        throw new SyntaxError(start, "invalid suffix '" + suffix + "' on a real literal");
                    }
                    v = hex ? Long.parseUnsignedLong(body.substring(2), 16) : Long.parseLong(body);
                    if (suffix.equals("U") && (Long) v <= Integer.MAX_VALUE && (Long) v >= 0) {
                        v = (int) (long) (Long) v;
                    }
                }
                default -> throw new SyntaxError(sfxStart, "invalid numeric literal suffix '" + src.substring(sfxStart, i) + "'");
            }
            if (v == null) {
                throw new SyntaxError(sfxStart, "invalid suffix on a hexadecimal literal");
            }
            return new Token(Token.Kind.NUMBER, text, v, start, i);
        } catch (NumberFormatException e) {
            throw new SyntaxError(start, "integral constant is too large: " + text);
        }
    }

    private char escape() {
        int start = i;
        i++;
        char e = at(i++);
        switch (e) {
            case 'n': return '\n';
            case 't': return '\t';
            case 'r': return '\r';
            case '0': return '\0';
            case '\\': return '\\';
            case '"': return '"';
            case '\'': return '\'';
            case 'a': return '\u0007';
            case 'b': return '\b';
            case 'f': return '\f';
            case 'v': return '\u000B';
            case 'u': {
                if (i + 4 > limit) {
                    throw new SyntaxError(start, "unrecognized escape sequence");
                }
                try {
                    char c = (char) Integer.parseInt(src.substring(i, i + 4), 16);
                    i += 4;
                    return c;
                } catch (NumberFormatException ex) {
                    throw new SyntaxError(start, "unrecognized escape sequence");
                }
            }
            case 'x': {
                int k = i;
                while (k < limit && k < i + 4 && Character.digit(src.charAt(k), 16) >= 0) {
                    k++;
                }
                if (k == i) {
                    throw new SyntaxError(start, "unrecognized escape sequence");
                }
                char c = (char) Integer.parseInt(src.substring(i, k), 16);
                i = k;
                return c;
            }
            default:
                throw new SyntaxError(start, "unrecognized escape sequence '\\" + e + "'");
        }
    }

    private String regularBody() {
        StringBuilder sb = new StringBuilder();
        int start = i - 1;
        while (true) {
            if (i >= limit || src.charAt(i) == '\n') {
                throw new SyntaxError(start, "unterminated string literal: expected '\"'");
            }
            char c = src.charAt(i);
            if (c == '"') {
                i++;
                return sb.toString();
            }
            if (c == '\\') {
                sb.append(escape());
            } else {
                sb.append(c);
                i++;
            }
        }
    }

    private String verbatimBody() {
        StringBuilder sb = new StringBuilder();
        int start = i - 1;
        while (true) {
            if (i >= limit) {
                throw new SyntaxError(start, "unterminated string literal: expected '\"'");
            }
            char c = src.charAt(i++);
            if (c == '"') {
                if (at(i) == '"') {
                    sb.append('"');
                    i++;
                } else {
                    return sb.toString();
                }
            } else {
                sb.append(c);
            }
        }
    }

    private Token interpolated(int start, boolean verbatim) {
        List<Object> parts = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= limit || (!verbatim && src.charAt(i) == '\n')) {
                throw new SyntaxError(start, "unterminated interpolated string: expected '\"'");
            }
            char c = src.charAt(i);
            if (c == '"') {
                if (verbatim && at(i + 1) == '"') {
                    sb.append('"');
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (c == '{') {
                if (at(i + 1) == '{') {
                    sb.append('{');
                    i += 2;
                    continue;
                }
                if (sb.length() > 0) {
                    parts.add(sb.toString());
                    sb.setLength(0);
                }
                parts.add(hole());
                continue;
            }
            if (c == '}') {
                if (at(i + 1) == '}') {
                    sb.append('}');
                    i += 2;
                    continue;
                }
                throw new SyntaxError(i, "'}' in an interpolated string must be doubled: '}}'");
            }
            if (c == '\\' && !verbatim) {
                sb.append(escape());
                continue;
            }
            sb.append(c);
            i++;
        }
        if (sb.length() > 0) {
            parts.add(sb.toString());
        }
        return new Token(Token.Kind.INTERPOLATED, src.substring(start, i), parts, start, i);
    }

    /** Scans one {expr[,align][:format]} hole; i is on the '{'. */
    private Token.Hole hole() {
        int open = i;
        i++;
        int exprStart = i;
        int depth = 0;
        int exprEnd = -1;
        String align = null;
        while (true) {
            if (i >= limit) {
                throw new SyntaxError(open, "unterminated interpolation hole: expected '}'");
            }
            char c = src.charAt(i);
            if (c == '"' || c == '\'') {
                Lexer sub = new Lexer(src, i, limit);
                sub.next();
                i = sub.i;
                continue;
            }
            if (c == '@' && at(i + 1) == '"' || c == '$' && (at(i + 1) == '"' || at(i + 1) == '@')) {
                Lexer sub = new Lexer(src, i, limit);
                sub.next();
                i = sub.i;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']') && depth > 0) {
                depth--;
            } else if (c == '}' && depth > 0) {
                depth--;
            } else if (depth == 0 && (c == '}' || c == ':' || c == ',')) {
                if (c == ':' && src.startsWith("::", i)) {
                    i += 2;
                    continue;
                }
                exprEnd = i;
                break;
            }
            i++;
        }
        String expr = src.substring(exprStart, exprEnd);
        if (expr.isBlank()) {
            throw new SyntaxError(open, "empty interpolation hole: expected an expression");
        }
        if (src.charAt(i) == ',') {
            int as = ++i;
            while (i < limit && src.charAt(i) != ':' && src.charAt(i) != '}') {
                i++;
            }
            align = src.substring(as, i).trim();
        }
        String format = null;
        if (i < limit && src.charAt(i) == ':') {
            int fs = ++i;
            while (i < limit && src.charAt(i) != '}') {
                i++;
            }
            format = src.substring(fs, i);
        }
        if (i >= limit) {
            throw new SyntaxError(open, "unterminated interpolation hole: expected '}'");
        }
        i++;
        return new Token.Hole(expr, exprStart, align, format);
    }
}
