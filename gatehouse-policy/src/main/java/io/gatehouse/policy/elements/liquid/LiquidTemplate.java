package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Liquid template compiled once, at load, and rendered per request: the subset of DotLiquid
 * that APIM's {@code set-body template="liquid"} runs, in its "C# mode" (Pascal-case filter names,
 * .NET date formats).
 *
 * <p>Supported: {@code {{ value | Filter: arg, arg }}} output; tags {@code if/elsif/else},
 * {@code unless}, {@code case/when}, {@code for ... in ... [limit:n] [offset:n] [reversed]} with
 * {@code forloop.index/index0/rindex/rindex0/first/last/length}, {@code break}, {@code continue},
 * {@code assign}, {@code capture}, {@code comment}, {@code raw}, and APIM's {@code JSONArrayFor},
 * which writes a comma between iterations. Text is kept exactly as written (DotLiquid trims no
 * whitespace) unless a delimiter has a dash: {@code {%-}, {@code -%}}, {@code {{-}, {@code -}}}.
 * Conditions are evaluated right to left, as in Liquid. Output is not escaped: use
 * {@code Escape} when a value goes into XML or HTML.
 *
 * <p>Every syntax error is reported with its position, and an unknown filter or a filter given the
 * wrong number of arguments is a load error. Rendering is bounded ({@link #MAX_STEPS},
 * {@link #MAX_OUTPUT}) so a template cannot loop a request forever.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-body-policy#using-liquid-templates-with-set-body">APIM: Liquid templates with set-body</a>
 */
public final class LiquidTemplate {
    /** Loop iterations plus rendered nodes allowed for one rendering. */
    public static final int MAX_STEPS = 1_000_000;
    /** Characters one rendering may produce. */
    public static final int MAX_OUTPUT = 16 * 1024 * 1024;
    /** Items a range such as {@code (1..n)} may have. */
    public static final int MAX_RANGE = 100_000;

    /** Where compile errors go. */
    @FunctionalInterface
    public interface Reporter {
        void error(Position at, String message);
    }

    private final List<Node> nodes;
    private final Set<String> roots;

    private LiquidTemplate(List<Node> nodes, Set<String> roots) {
        this.nodes = nodes;
        this.roots = Set.copyOf(roots);
    }

    /**
     * Compiles {@code source}. A bare {@code {{name}}} whose name is a defined named value (and not
     * a template variable such as {@code body} or {@code context}) is replaced by that value, as
     * APIM resolves named values before the template runs. Returns null after reporting when the
     * template has errors.
     */
    public static LiquidTemplate compile(LiquidSource source, Function<String, String> namedValues, Reporter reporter) {
        Parser p = new Parser(source, namedValues, reporter);
        List<Node> nodes = p.parse();
        return p.errors > 0 ? null : new LiquidTemplate(nodes, p.roots);
    }

    /** True if the template reads the variable {@code root} (e.g. {@code body}) anywhere. */
    public boolean reads(String root) {
        return roots.contains(root);
    }

    /** Renders with {@code globals} as the top-level variables. */
    public String render(Map<String, Object> globals) {
        Renderer r = new Renderer(globals);
        r.block(nodes);
        return r.out.toString();
    }

    // ---- AST ----

    sealed interface Expr permits Literal, PathExpr, RangeExpr {
    }

    record Literal(Object value) implements Expr {
    }

    /** {@code root.a[0]["b"]}: segments are String names or Exprs. */
    record PathExpr(String root, List<Object> segments) implements Expr {
    }

    record RangeExpr(Expr from, Expr to) implements Expr {
    }

    record FilterCall(String name, List<Expr> args, Position at) {
    }

    record Filtered(Expr base, List<FilterCall> filters) {
    }

    sealed interface Cond permits Compare, Logic {
    }

    /** {@code left op right}, or just {@code left} (truthiness) when op is null. */
    record Compare(Expr left, String op, Expr right) implements Cond {
    }

    record Logic(Cond left, boolean and, Cond right) implements Cond {
    }

    sealed interface Node permits Text, Output, If, For, Assign, Capture, Case, Jump {
    }

    record Text(String text) implements Node {
    }

    record Output(Filtered value, Position at) implements Node {
    }

    record Branch(Cond cond, List<Node> body) {
    }

    record If(List<Branch> branches, List<Node> otherwise) implements Node {
    }

    record For(String var, Expr collection, Expr limit, Expr offset, boolean reversed, List<Node> body, List<Node> otherwise,
               boolean jsonArray, Position at) implements Node {
    }

    record Assign(String name, Filtered value, Position at) implements Node {
    }

    record Capture(String name, List<Node> body) implements Node {
    }

    record When(List<Expr> values, List<Node> body) {
    }

    record Case(Expr subject, List<When> whens, List<Node> otherwise) implements Node {
    }

    record Jump(boolean isBreak) implements Node {
    }

    // ---- lexing ----

    private enum Kind { TEXT, OUTPUT, TAG }

    /** One piece of the template: text, or the inside of a {@code {{ }}} / {@code {% %}}, with its source offset. */
    private record Tok(Kind kind, String text, int offset, int open) {
    }

    private static final Pattern TAG_NAME = Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_]*)");

    private static final class Parser {
        private final LiquidSource source;
        private final String src;
        private final Function<String, String> namedValues;
        private final Reporter reporter;
        private final List<Tok> toks = new ArrayList<>();
        private final Set<String> roots = new TreeSet<>();
        private int i;
        private int errors;

        Parser(LiquidSource source, Function<String, String> namedValues, Reporter reporter) {
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
            String end = block(body, ends);
            if (end == null) {
                error(at, "{% " + opened + " %} is not closed: expected {% end" + opened + " %}");
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
                    branches.add(new Branch(name.equals("unless") && c != null ? new Logic(null, false, c) : c, body));
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
    }

    /** Reads expressions inside one {@code {{ }}} or {@code {% %}}. */
    private static final class Lex {
        private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?");
        private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*\\??");
        private final Parser parser;
        private final String s;
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

        Cond condition() {
            Cond left = comparison();
            if (left == null) {
                return null;
            }
            if (acceptWord("and")) {
                Cond right = condition();
                return right == null ? null : new Logic(left, true, right);
            }
            if (acceptWord("or")) {
                Cond right = condition();
                return right == null ? null : new Logic(left, false, right);
            }
            return left;
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
                p++;
                Expr from = expr();
                if (from == null || !expect("..")) {
                    return null;
                }
                Expr to = expr();
                if (to == null || !expect(")")) {
                    return null;
                }
                return new RangeExpr(from, to);
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
                    p++;
                    Expr k = expr();
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

    // ---- rendering ----

    private static final class Renderer {
        private final Deque<Map<String, Object>> scopes = new ArrayDeque<>();
        private final StringBuilder out = new StringBuilder();
        private int steps;
        private Boolean jump; // TRUE = break, FALSE = continue, null = none

        Renderer(Map<String, Object> globals) {
            scopes.push(new HashMap<>(globals));
        }

        void step() {
            if (++steps > MAX_STEPS) {
                throw new LiquidException("the template took more than " + MAX_STEPS + " steps");
            }
        }

        void write(String s) {
            if (out.length() + s.length() > MAX_OUTPUT) {
                throw new LiquidException("the template produced more than " + MAX_OUTPUT + " characters");
            }
            out.append(s);
        }

        void block(List<Node> nodes) {
            for (Node n : nodes) {
                if (jump != null) {
                    return;
                }
                step();
                node(n);
            }
        }

        private void node(Node n) {
            switch (n) {
                case Text t -> write(t.text());
                case Output o -> write(Values.str(eval(o.value())));
                case If f -> {
                    for (Branch b : f.branches()) {
                        if (test(b.cond())) {
                            block(b.body());
                            return;
                        }
                    }
                    block(f.otherwise());
                }
                case Case c -> {
                    Object v = eval(c.subject());
                    for (When w : c.whens()) {
                        for (Expr e : w.values()) {
                            if (Values.equal(v, eval(e))) {
                                block(w.body());
                                return;
                            }
                        }
                    }
                    block(c.otherwise());
                }
                case For f -> loop(f);
                case Assign a -> scopes.getLast().put(a.name(), eval(a.value()));
                case Capture c -> {
                    int mark = out.length();
                    block(c.body());
                    String captured = out.substring(mark);
                    out.setLength(mark);
                    scopes.getLast().put(c.name(), captured);
                }
                case Jump j -> jump = j.isBreak();
            }
        }

        private void loop(For f) {
            List<Object> items = Values.iterable(eval(f.collection()));
            int offset = f.offset() == null ? 0 : intArg(eval(f.offset()), "offset");
            int from = Math.min(Math.max(offset, 0), items.size());
            int to = items.size();
            if (f.limit() != null) {
                to = Math.min(to, from + Math.max(0, intArg(eval(f.limit()), "limit")));
            }
            List<Object> slice = new ArrayList<>(items.subList(from, to));
            if (f.reversed()) {
                Collections.reverse(slice);
            }
            if (slice.isEmpty()) {
                block(f.otherwise());
                return;
            }
            Map<String, Object> scope = new HashMap<>();
            scopes.push(scope);
            try {
                int len = slice.size();
                for (int k = 0; k < len; k++) {
                    step();
                    if (f.jsonArray() && k > 0) {
                        write(",");
                    }
                    Map<String, Object> forloop = new LinkedHashMap<>();
                    forloop.put("index", (long) k + 1);
                    forloop.put("index0", (long) k);
                    forloop.put("rindex", (long) (len - k));
                    forloop.put("rindex0", (long) (len - k - 1));
                    forloop.put("first", k == 0);
                    forloop.put("last", k == len - 1);
                    forloop.put("length", (long) len);
                    scope.put("forloop", forloop);
                    scope.put(f.var(), slice.get(k));
                    block(f.body());
                    if (jump != null) {
                        boolean brk = jump;
                        jump = null;
                        if (brk) {
                            break;
                        }
                    }
                }
            } finally {
                scopes.pop();
            }
        }

        private static int intArg(Object v, String what) {
            Number n = Values.number(v);
            if (n == null) {
                throw new LiquidException(what + ": '" + Values.str(v) + "' is not a number");
            }
            return n.intValue();
        }

        private boolean test(Cond c) {
            return switch (c) {
                case Logic l when l.left() == null -> !test(l.right()); // unless
                case Logic l -> l.and() ? test(l.left()) && test(l.right()) : test(l.left()) || test(l.right());
                case Compare cmp when cmp.op() == null -> Values.truthy(eval(cmp.left()));
                case Compare cmp -> {
                    Object a = eval(cmp.left());
                    Object b = eval(cmp.right());
                    yield switch (cmp.op()) {
                        case "==" -> Values.equal(a, b);
                        case "!=", "<>" -> !Values.equal(a, b);
                        case "contains" -> Values.contains(a, b);
                        default -> {
                            Integer r = Values.compare(a, b);
                            if (r == null) {
                                yield false;
                            }
                            yield switch (cmp.op()) {
                                case "<" -> r < 0;
                                case ">" -> r > 0;
                                case "<=" -> r <= 0;
                                default -> r >= 0;
                            };
                        }
                    };
                }
            };
        }

        private Object eval(Filtered f) {
            Object v = eval(f.base());
            for (FilterCall call : f.filters()) {
                List<Object> args = new ArrayList<>(call.args().size());
                for (Expr a : call.args()) {
                    args.add(eval(a));
                }
                try {
                    v = Filters.apply(call.name(), v, args);
                } catch (LiquidException e) {
                    throw new LiquidException(call.at() + ": " + call.name() + ": " + e.getMessage());
                }
            }
            return v;
        }

        private Object eval(Expr e) {
            return switch (e) {
                case Literal l -> l.value();
                case RangeExpr r -> {
                    int a = intArg(eval(r.from()), "range start");
                    int b = intArg(eval(r.to()), "range end");
                    if ((long) b - a >= MAX_RANGE) {
                        throw new LiquidException("range (" + a + ".." + b + ") is too long");
                    }
                    List<Object> l = new ArrayList<>();
                    for (long k = a; k <= b; k++) {
                        l.add(k);
                    }
                    yield l;
                }
                case PathExpr p -> {
                    Object v = lookup(p.root());
                    for (Object seg : p.segments()) {
                        v = Values.member(v, seg instanceof Expr x ? eval(x) : seg);
                    }
                    yield v;
                }
            };
        }

        private Object lookup(String name) {
            for (Map<String, Object> scope : scopes) {
                if (scope.containsKey(name)) {
                    return scope.get(name);
                }
            }
            return null;
        }
    }
}
