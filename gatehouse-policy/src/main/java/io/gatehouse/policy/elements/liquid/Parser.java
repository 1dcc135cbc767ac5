package io.gatehouse.policy.elements.liquid;

import io.gatehouse.policy.elements.liquid.Ast.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a template into {@link Ast} nodes in one pass: the lexer cuts it into text, {@code {{ }}}
 * and {@code {% %}} pieces (skipping {@code comment} and keeping {@code raw} as text), then a
 * recursive-descent parser reads blocks up to their end tags and {@link Lex} reads the
 * expressions inside each piece. Every problem is reported with its position; parsing goes on
 * so that one load shows them all.
 */
final class Parser {
    private enum Kind { TEXT, OUTPUT, TAG }

    /** One piece of the template: text, or the inside of a {@code {{ }}} / {@code {% %}}, with its source offset. */
    private record Tok(Kind kind, String text, int offset, int open) {
    }

    private static final Pattern TAG_NAME = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)");

    private final LiquidSource source;
    private final String src;
    private final Function<String, String> namedValues;
    private final LiquidTemplate.Reporter reporter;
    private final List<Tok> toks = new ArrayList<>();
    final Set<String> roots = new TreeSet<>();
    private int i;
    private int depth;
    /** Set when nesting went past the limit: the rest is skipped, and the blocks it leaves open are not reported again. */
    private boolean tooDeep;
    int errors;

    Parser(LiquidSource source, Function<String, String> namedValues, LiquidTemplate.Reporter reporter) {
        this.source = source;
        this.src = source.text();
        this.namedValues = namedValues;
        this.reporter = reporter;
    }

    void error(int offset, String message) {
        errors++;
        reporter.error(source.positionAt(offset), message);
    }

    List<Node> parse() {
        lex();
        List<Node> out = new ArrayList<>();
        block(out, Set.of());
        return out;
    }

    private void lex() {
        int pos = 0;
        int n = src.length();
        boolean trimNext = false;
        while (pos < n) {
            int o = src.indexOf("{{", pos);
            int t = src.indexOf("{%", pos);
            int open = o < 0 ? t : t < 0 ? o : Math.min(o, t);
            String text = src.substring(pos, open < 0 ? n : open);
            boolean trimPrev = open >= 0 && open + 2 < n && src.charAt(open + 2) == '-';
            if (trimNext) {
                text = text.stripLeading();
            }
            if (trimPrev) {
                text = text.stripTrailing();
            }
            if (!text.isEmpty()) {
                toks.add(new Tok(Kind.TEXT, text, pos, pos));
            }
            if (open < 0) {
                return;
            }
            boolean output = open == o;
            String close = output ? "}}" : "%}";
            int contentStart = open + 2 + (trimPrev ? 1 : 0);
            int end = src.indexOf(close, contentStart);
            if (end < 0) {
                error(open, (output ? "'{{'" : "'{%'") + " is not closed: expected '" + close + "'");
                return;
            }
            int contentEnd = end;
            trimNext = contentEnd > contentStart && src.charAt(contentEnd - 1) == '-';
            if (trimNext) {
                contentEnd--;
            }
            String content = src.substring(contentStart, contentEnd);
            pos = end + 2;
            if (!output) {
                Matcher m = TAG_NAME.matcher(content);
                String name = m.lookingAt() ? m.group(1) : "";
                if (name.equals("comment") || name.equals("raw")) {
                    Pattern endTag = Pattern.compile("\\{%-?\\s*end" + name + "\\s*-?%}");
                    Matcher em = endTag.matcher(src);
                    if (!em.find(pos)) {
                        error(open, "{% " + name + " %} is not closed: expected {% end" + name + " %}");
                        return;
                    }
                    if (name.equals("raw") && em.start() > pos) {
                        toks.add(new Tok(Kind.TEXT, src.substring(pos, em.start()), pos, pos));
                    }
                    trimNext = em.group().endsWith("-%}");
                    pos = em.end();
                    continue;
                }
            }
            toks.add(new Tok(output ? Kind.OUTPUT : Kind.TAG, content, contentStart, open));
        }
    }

    /**
     * Parses nodes into {@code out} until one of {@code ends} (a tag name) and returns it, or
     * null at the end of the template.
     */
    private String block(List<Node> out, Set<String> ends) {
        while (i < toks.size()) {
            Tok t = toks.get(i++);
            switch (t.kind()) {
                case TEXT -> out.add(new Text(t.text()));
                case OUTPUT -> {
                    Node o = output(t);
                    if (o != null) {
                        out.add(o);
                    }
                }
                case TAG -> {
                    Matcher m = TAG_NAME.matcher(t.text());
                    if (!m.lookingAt()) {
                        error(t.offset(), "expected a tag name after '{%'");
                        continue;
                    }
                    String name = m.group(1);
                    if (ends.contains(name)) {
                        i--;
                        return name;
                    }
                    Node node = tag(name, new Lex(this, t.text(), t.offset(), m.end()), t.open());
                    if (node != null) {
                        out.add(node);
                    }
                }
            }
        }
        return null;
    }

    private Node output(Tok t) {
        String bare = t.text();
        if (bare.matches("[A-Za-z0-9._-]+")) {
            String root = bare.contains(".") ? bare.substring(0, bare.indexOf('.')) : bare;
            String v = root.equals("body") || root.equals("context") ? null : namedValues.apply(bare);
            if (v != null) {
                return new Text(v);
            }
        }
        Lex lex = new Lex(this, t.text(), t.offset(), 0);
        if (lex.atEnd()) {
            error(t.offset(), "empty output '{{ }}': expected a value");
            return null;
        }
        Filtered f = lex.filtered();
        if (f == null) {
            return null;
        }
        lex.expectEnd("output");
        return new Output(f, source.positionAt(t.offset()));
    }

    /** The closing tag of a block; reports and returns null when the template ends first. */
    private String close(List<Node> body, Set<String> ends, String opened, int at) {
        if (tooDeep) {
            return null;
        }
        if (depth >= LiquidTemplate.MAX_NESTING) {
            error(at, "{% " + opened + " %} is nested too deeply: blocks may be nested at most "
                    + LiquidTemplate.MAX_NESTING + " levels");
            tooDeep = true;
            i = toks.size();
            return null;
        }
        depth++;
        String end;
        try {
            end = block(body, ends);
        } finally {
            depth--;
        }
        if (end == null) {
            if (!tooDeep) {
                error(at, "{% " + opened + " %} is not closed: expected {% end" + opened + " %}");
            }
            return null;
        }
        Tok t = toks.get(i++);
        Matcher m = TAG_NAME.matcher(t.text());
        m.lookingAt();
        if (end.startsWith("end")) {
            Lex rest = new Lex(this, t.text(), t.offset(), m.end());
            rest.expectEnd("{% " + end + " %}");
        }
        return end;
    }

    private Node tag(String name, Lex lex, int at) {
        switch (name) {
            case "if", "unless" -> {
                List<Branch> branches = new ArrayList<>();
                Cond c = lex.condition();
                lex.expectEnd("{% " + name + " %}");
                String endName = "end" + name;
                Set<String> ends = name.equals("if") ? Set.of("elsif", "else", endName) : Set.of("else", endName);
                List<Node> body = new ArrayList<>();
                String end = close(body, ends, name, at);
                branches.add(new Branch(name.equals("unless") && c != null ? new Not(c) : c, body));
                List<Node> otherwise = List.of();
                while (end != null && end.equals("elsif")) {
                    Tok t = toks.get(i - 1);
                    Lex el = new Lex(this, t.text(), t.offset(), t.text().indexOf("elsif") + 5);
                    Cond ec = el.condition();
                    el.expectEnd("{% elsif %}");
                    List<Node> b = new ArrayList<>();
                    end = close(b, ends, name, at);
                    branches.add(new Branch(ec, b));
                }
                if (end != null && end.equals("else")) {
                    List<Node> b = new ArrayList<>();
                    end = close(b, Set.of(endName), name, at);
                    otherwise = b;
                }
                if (end == null || branches.stream().anyMatch(b -> b.cond() == null)) {
                    return null;
                }
                return new If(List.copyOf(branches), otherwise);
            }
            case "case" -> {
                Expr subject = lex.expr();
                lex.expectEnd("{% case %}");
                // text between {% case %} and the first {% when %} is ignored, as in Liquid
                String end = close(new ArrayList<>(), Set.of("when", "else", "endcase"), name, at);
                List<When> whens = new ArrayList<>();
                List<Node> otherwise = List.of();
                while (end != null && end.equals("when")) {
                    Tok t = toks.get(i - 1);
                    Lex wl = new Lex(this, t.text(), t.offset(), t.text().indexOf("when") + 4);
                    List<Expr> values = new ArrayList<>();
                    do {
                        Expr v = wl.expr();
                        if (v == null) {
                            break;
                        }
                        values.add(v);
                    } while (wl.accept(",") || wl.acceptWord("or"));
                    wl.expectEnd("{% when %}");
                    List<Node> b = new ArrayList<>();
                    end = close(b, Set.of("when", "else", "endcase"), name, at);
                    whens.add(new When(values, b));
                }
                if (end != null && end.equals("else")) {
                    List<Node> b = new ArrayList<>();
                    end = close(b, Set.of("endcase"), name, at);
                    otherwise = b;
                }
                return end == null || subject == null ? null : new Case(subject, whens, otherwise);
            }
            case "for", "JSONArrayFor" -> {
                String var = lex.ident("a loop variable name");
                if (var != null && !lex.acceptWord("in")) {
                    error(lex.offset(), "expected 'in' after the loop variable in {% " + name + " %}");
                    var = null;
                }
                Expr coll = var == null ? null : lex.expr();
                Expr limit = null;
                Expr offset = null;
                boolean reversed = false;
                while (coll != null && !lex.atEnd()) {
                    if (lex.acceptWord("reversed")) {
                        reversed = true;
                    } else if (lex.acceptWord("limit")) {
                        lex.expect(":");
                        limit = lex.expr();
                    } else if (lex.acceptWord("offset")) {
                        lex.expect(":");
                        offset = lex.expr();
                    } else {
                        error(lex.offset(), "unexpected '" + lex.rest() + "' in {% " + name + " %} (expected: limit:, offset: or reversed)");
                        break;
                    }
                }
                String endName = "end" + name;
                List<Node> body = new ArrayList<>();
                String end = close(body, Set.of("else", endName), name, at);
                List<Node> otherwise = List.of();
                if (end != null && end.equals("else")) {
                    List<Node> b = new ArrayList<>();
                    end = close(b, Set.of(endName), name, at);
                    otherwise = b;
                }
                if (end == null || coll == null) {
                    return null;
                }
                return new For(var, coll, limit, offset, reversed, body, otherwise, name.equals("JSONArrayFor"), source.positionAt(at));
            }
            case "assign" -> {
                String var = lex.ident("a variable name");
                if (var == null) {
                    return null;
                }
                if (!lex.accept("=")) {
                    error(lex.offset(), "expected '=' after '" + var + "' in {% assign %}");
                    return null;
                }
                Filtered f = lex.filtered();
                lex.expectEnd("{% assign %}");
                return f == null ? null : new Assign(var, f, source.positionAt(at));
            }
            case "capture" -> {
                String var = lex.ident("a variable name");
                lex.expectEnd("{% capture %}");
                List<Node> body = new ArrayList<>();
                String end = close(body, Set.of("endcapture"), name, at);
                return end == null || var == null ? null : new Capture(var, body);
            }
            case "break", "continue" -> {
                lex.expectEnd("{% " + name + " %}");
                return new Jump(name.equals("break"));
            }
            case "elsif", "else", "when", "endif", "endunless", "endfor", "endcase", "endcapture", "endJSONArrayFor",
                 "endcomment", "endraw" -> {
                error(at, "{% " + name + " %} without a matching opening tag");
                return null;
            }
            default -> {
                error(at, "unknown tag '" + name + "' (supported: assign, capture, case, comment, for, if, JSONArrayFor, raw, unless)");
                return null;
            }
        }
    }

    private static final class Lex {
        private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
        private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*\\??");
        private final Parser parser;
        private final String s;
        /** Ranges and indexes open around the value being read: at most {@link LiquidTemplate#MAX_NESTING}. */
        private int ranges;
        private final int base;
        private int p;

        Lex(Parser parser, String s, int base, int start) {
            this.parser = parser;
            this.s = s;
            this.base = base;
            this.p = start;
        }

        int offset() {
            return base + p;
        }

        void ws() {
            while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
                p++;
            }
        }

        boolean atEnd() {
            ws();
            return p >= s.length();
        }

        String rest() {
            ws();
            String r = s.substring(p).strip();
            return r.length() > 30 ? r.substring(0, 27) + "..." : r;
        }

        boolean accept(String sym) {
            ws();
            if (s.startsWith(sym, p)) {
                p += sym.length();
                return true;
            }
            return false;
        }

        boolean acceptWord(String w) {
            ws();
            int e = p + w.length();
            if (s.startsWith(w, p) && (e >= s.length() || !Character.isLetterOrDigit(s.charAt(e)) && s.charAt(e) != '_')) {
                p = e;
                return true;
            }
            return false;
        }

        boolean expect(String sym) {
            if (accept(sym)) {
                return true;
            }
            parser.error(offset(), "expected '" + sym + "'" + (atEnd() ? "" : ", found '" + rest() + "'"));
            return false;
        }

        void expectEnd(String where) {
            if (!atEnd()) {
                parser.error(offset(), "unexpected '" + rest() + "' in " + where);
            }
        }

        String ident(String what) {
            ws();
            Matcher m = IDENT.matcher(s).region(p, s.length());
            if (!m.lookingAt()) {
                parser.error(offset(), "expected " + what + (atEnd() ? "" : ", found '" + rest() + "'"));
                return null;
            }
            p = m.end();
            return m.group();
        }

        Filtered filtered() {
            Expr base = expr();
            if (base == null) {
                return null;
            }
            List<FilterCall> filters = new ArrayList<>();
            while (accept("|")) {
                int at = offset();
                ws();
                at = offset();
                String name = ident("a filter name after '|'");
                if (name == null) {
                    return null;
                }
                List<Expr> args = new ArrayList<>();
                if (accept(":")) {
                    do {
                        Expr a = expr();
                        if (a == null) {
                            return null;
                        }
                        args.add(a);
                    } while (accept(","));
                }
                String problem = Filters.check(name, args.size());
                if (problem != null) {
                    parser.error(at, problem);
                    return null;
                }
                filters.add(new FilterCall(name, List.copyOf(args), parser.source.positionAt(at)));
            }
            return new Filtered(base, List.copyOf(filters));
        }

        /**
         * Comparisons joined by {@code and} / {@code or}, grouped from the right as Liquid does
         * ({@code a or b and c} is {@code a or (b and c)}); read in a loop, at most
         * {@link LiquidTemplate#MAX_NESTING} of them.
         */
        Cond condition() {
            int start = offset();
            List<Cond> operands = new ArrayList<>();
            List<Boolean> ands = new ArrayList<>();
            while (true) {
                Cond c = comparison();
                if (c == null) {
                    return null;
                }
                operands.add(c);
                if (operands.size() > LiquidTemplate.MAX_NESTING) {
                    parser.error(start, "the condition joins more than " + LiquidTemplate.MAX_NESTING
                            + " comparisons with 'and' / 'or'");
                    p = s.length();
                    return null;
                }
                if (acceptWord("and")) {
                    ands.add(true);
                } else if (acceptWord("or")) {
                    ands.add(false);
                } else {
                    break;
                }
            }
            Cond result = operands.get(operands.size() - 1);
            for (int k = operands.size() - 2; k >= 0; k--) {
                result = new Logic(operands.get(k), ands.get(k), result);
            }
            return result;
        }

        private Cond comparison() {
            Expr left = expr();
            if (left == null) {
                return null;
            }
            for (String op : new String[] {"==", "!=", "<>", "<=", ">=", "<", ">"}) {
                if (accept(op)) {
                    Expr right = expr();
                    return right == null ? null : new Compare(left, op, right);
                }
            }
            if (acceptWord("contains")) {
                Expr right = expr();
                return right == null ? null : new Compare(left, "contains", right);
            }
            return new Compare(left, null, null);
        }

        Expr expr() {
            ws();
            if (p >= s.length()) {
                parser.error(offset(), "expected a value");
                return null;
            }
            char c = s.charAt(p);
            if (c == '\'' || c == '"') {
                int e = s.indexOf(c, p + 1);
                if (e < 0) {
                    parser.error(offset(), "string is not closed: expected " + c);
                    p = s.length();
                    return null;
                }
                String v = s.substring(p + 1, e);
                p = e + 1;
                return new Literal(v);
            }
            if (c == '(') {
                if (++ranges > LiquidTemplate.MAX_NESTING) {
                    parser.error(offset(), "ranges are nested more than " + LiquidTemplate.MAX_NESTING + " levels deep");
                    p = s.length();
                    return null;
                }
                p++;
                try {
                    Expr from = expr();
                    if (from == null || !expect("..")) {
                        return null;
                    }
                    Expr to = expr();
                    if (to == null || !expect(")")) {
                        return null;
                    }
                    return new RangeExpr(from, to);
                } finally {
                    ranges--;
                }
            }
            Matcher num = NUMBER.matcher(s).region(p, s.length());
            if (num.lookingAt()) {
                p = num.end();
                String t = num.group();
                return new Literal(num.group(1) == null ? (Object) Long.parseLong(t) : new java.math.BigDecimal(t));
            }
            Matcher id = IDENT.matcher(s).region(p, s.length());
            if (!id.lookingAt()) {
                parser.error(offset(), "expected a value, found '" + rest() + "'");
                p = s.length();
                return null;
            }
            String root = id.group();
            p = id.end();
            switch (root) {
                case "true":
                    return new Literal(Boolean.TRUE);
                case "false":
                    return new Literal(Boolean.FALSE);
                case "nil", "null":
                    return new Literal(null);
                case "empty":
                    return new Literal(Values.EMPTY);
                case "blank":
                    return new Literal(Values.BLANK);
                default:
                    break;
            }
            List<Object> segs = new ArrayList<>();
            while (p < s.length()) {
                if (s.charAt(p) == '.' && !s.startsWith("..", p)) {
                    p++;
                    Matcher m = IDENT.matcher(s).region(p, s.length());
                    if (!m.lookingAt()) {
                        parser.error(offset(), "expected a name after '.'");
                        return null;
                    }
                    segs.add(m.group());
                    p = m.end();
                } else if (s.charAt(p) == '[') {
                    if (++ranges > LiquidTemplate.MAX_NESTING) {
                        parser.error(offset(), "indexes [...] are nested more than " + LiquidTemplate.MAX_NESTING + " levels deep");
                        p = s.length();
                        return null;
                    }
                    p++;
                    Expr k;
                    try {
                        k = expr();
                    } finally {
                        ranges--;
                    }
                    if (k == null || !expect("]")) {
                        return null;
                    }
                    segs.add(k instanceof Literal l && l.value() instanceof String str ? str : k);
                } else {
                    break;
                }
            }
            parser.roots.add(root);
            return new PathExpr(root, List.copyOf(segs));
        }
    }
}
