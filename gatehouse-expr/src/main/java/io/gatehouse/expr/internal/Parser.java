package io.gatehouse.expr.internal;

import io.gatehouse.expr.internal.Ast.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser for the C# subset, one method per precedence level, C#'s precedence. */
public final class Parser {
    public static final Set<String> KEYWORD_TYPES = Set.of("bool", "byte", "char", "decimal", "double", "float", "int",
            "long", "object", "sbyte", "short", "string", "uint", "ulong", "ushort");
    private static final Set<String> VALUE_TYPES = Set.of("bool", "byte", "char", "decimal", "double", "float", "int",
            "long", "sbyte", "short", "uint", "ulong", "ushort", "DateTime", "TimeSpan", "Guid", "Int32", "Int64",
            "Double", "Boolean", "Decimal", "DateTimeOffset", "Char");
    private static final Set<String> RESERVED = Set.of("true", "false", "null", "new", "is", "as", "if", "else", "for",
            "foreach", "while", "do", "return", "break", "continue", "in", "out", "typeof", "default", "this", "throw",
            "try", "catch", "switch", "case", "finally", "using", "const", "lock", "goto", "yield", "checked",
            "unchecked", "await", "ref");
    private static final Set<String> ASSIGN_OPS = Set.of("=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", "??=");

    private final String src;
    private final List<Token> toks;
    private final Set<String> typeNames;
    private final int maxDepth;
    private int p;
    private int depth;

    public Parser(String src, List<Token> toks, Set<String> typeNames, int maxDepth) {
        this.src = src;
        this.toks = toks;
        this.typeNames = typeNames;
        this.maxDepth = maxDepth;
    }

    /** {@code @( expr )}: the tokens start at the '('. */
    public Expr parseParenthesized() {
        expect("(");
        Expr e = expression();
        expect(")");
        expectEnd();
        return e;
    }

    /** {@code @{ statements }}: the tokens start at the '{'. */
    public Block parseBlockText() {
        Block b = block();
        expectEnd();
        return b;
    }

    /** A bare expression (an interpolation hole). */
    public Expr parseBare() {
        Expr e = expression();
        expectEnd();
        return e;
    }

    // ---- tokens

    private Token peek() {
        return toks.get(p);
    }

    private Token peek(int k) {
        return toks.get(Math.min(p + k, toks.size() - 1));
    }

    private boolean at(String s) {
        return peek().is(s);
    }

    private boolean accept(String s) {
        if (at(s)) {
            p++;
            return true;
        }
        return false;
    }

    private Token expect(String s) {
        if (!at(s)) {
            throw error(peek(), "expected '" + s + "' but found " + describe(peek()));
        }
        return toks.get(p++);
    }

    private void expectEnd() {
        if (peek().kind() != Token.Kind.EOF) {
            throw error(peek(), "unexpected " + describe(peek()) + " after the end of the expression");
        }
    }

    private static String describe(Token t) {
        return t.kind() == Token.Kind.EOF ? "the end of the expression" : "'" + t.text() + "'";
    }

    private SyntaxError error(Token t, String msg) {
        return new SyntaxError(t.start(), msg);
    }

    private boolean isIdent(Token t) {
        return t.kind() == Token.Kind.IDENT && !RESERVED.contains(t.text());
    }

    private String ident(String what) {
        Token t = peek();
        if (!isIdent(t)) {
            throw error(t, "expected " + what + " but found " + describe(t));
        }
        p++;
        return t.text();
    }

    private void enter() {
        if (++depth > maxDepth) {
            throw error(peek(), "the expression is nested too deeply (limit " + maxDepth + ")");
        }
    }

    // ---- statements

    private Block block() {
        enter();
        Token open = expect("{");
        List<Stmt> stmts = new ArrayList<>();
        while (!at("}")) {
            if (peek().kind() == Token.Kind.EOF) {
                throw error(peek(), "expected '}' to close the block opened at offset " + open.start());
            }
            stmts.add(statement());
        }
        Token close = expect("}");
        depth--;
        return new Block(open.start(), stmts, close.start());
    }

    private Stmt statement() {
        enter();
        try {
            return statement0();
        } finally {
            depth--;
        }
    }

    private Stmt statement0() {
        Token t = peek();
        int pos = t.start();
        if (at("{")) {
            return block();
        }
        if (accept(";")) {
            return new Empty(pos);
        }
        if (t.kind() == Token.Kind.IDENT) {
            switch (t.text()) {
                case "if" -> {
                    p++;
                    expect("(");
                    Expr c = expression();
                    expect(")");
                    Stmt then = statement();
                    Stmt other = accept("else") ? statement() : null;
                    return new If(pos, c, then, other);
                }
                case "while" -> {
                    p++;
                    expect("(");
                    Expr c = expression();
                    expect(")");
                    return new While(pos, c, statement());
                }
                case "do" -> {
                    p++;
                    Stmt body = statement();
                    expect("while");
                    expect("(");
                    Expr c = expression();
                    expect(")");
                    expect(";");
                    return new DoWhile(pos, body, c);
                }
                case "for" -> {
                    p++;
                    expect("(");
                    List<Stmt> init = new ArrayList<>();
                    if (!at(";")) {
                        Stmt decl = tryLocal();
                        if (decl != null) {
                            init.add(decl);
                        } else {
                            do {
                                Expr e = expression();
                                init.add(new ExprStmt(e.pos(), e));
                            } while (accept(","));
                        }
                    }
                    expect(";");
                    Expr cond = at(";") ? null : expression();
                    expect(";");
                    List<Expr> step = new ArrayList<>();
                    if (!at(")")) {
                        do {
                            step.add(expression());
                        } while (accept(","));
                    }
                    expect(")");
                    return new For(pos, init, cond, step, statement());
                }
                case "foreach" -> {
                    p++;
                    expect("(");
                    TypeRef type = null;
                    if (at("var") && peek(1).is("(")) {
                        throw error(peek(1), "deconstruction ('var (a, b)') is not supported in policy expressions: use the pair's Key and Value");
                    }
                    if (!accept("var")) {
                        type = type();
                        if (type == null) {
                            throw error(peek(), "expected a type or 'var' in foreach");
                        }
                    }
                    int namePos = peek().start();
                    String name = ident("a loop variable name");
                    expect("in");
                    Expr src = expression();
                    expect(")");
                    return new Foreach(pos, type, name, namePos, src, statement());
                }
                case "return" -> {
                    p++;
                    Expr v = at(";") ? null : expression();
                    expect(";");
                    return new Return(pos, v);
                }
                case "break" -> {
                    p++;
                    expect(";");
                    return new Break(pos);
                }
                case "continue" -> {
                    p++;
                    expect(";");
                    return new Continue(pos);
                }
                case "else" -> throw error(t, "'else' without a matching 'if'");
                case "try" -> {
                    return tryStatement();
                }
                case "throw" -> {
                    p++;
                    Expr v = at(";") ? null : expression();
                    expect(";");
                    return new Throw(pos, v);
                }
                case "switch" -> {
                    return switchStatement();
                }
                case "checked", "unchecked" -> {
                    p++;
                    if (!at("{")) {
                        throw error(t, "'" + t.text() + "' expressions are not supported; use a '" + t.text() + " { }' block");
                    }
                    return block();
                }
                case "const" -> {
                    p++;
                    Stmt decl = tryLocal();
                    if (decl == null) {
                        throw error(peek(), "expected a type and a name after 'const'");
                    }
                    expect(";");
                    return decl;
                }
                case "using" -> {
                    return usingStatement();
                }
                case "lock", "goto", "yield" -> throw error(t, "'" + t.text() + "' statements are not supported in policy expressions");
                case "case", "default" -> {
                    if (!(t.text().equals("default") && peek(1).is("("))) {
                        throw error(t, "'" + t.text() + "' label outside a 'switch' statement");
                    }
                }
                case "catch", "finally" -> throw error(t, "'" + t.text() + "' without a matching 'try'");
                case "ref" -> throw error(t, "'ref' locals and arguments are not supported in policy expressions");
                case "static" -> {
                    p++;
                    Stmt fn = tryLocalFunction();
                    if (fn == null) {
                        throw error(t, "'static' is only allowed before a local function here");
                    }
                    return fn;
                }
                default -> {
                }
            }
        }
        if (at("var") && peek(1).is("(")) {
            throw error(peek(1), "deconstruction ('var (a, b) = ...') is not supported in policy expressions");
        }
        Stmt fn = tryLocalFunction();
        if (fn != null) {
            return fn;
        }
        Stmt decl = tryLocal();
        if (decl != null) {
            expect(";");
            return decl;
        }
        Expr e = expression();
        expect(";");
        return new ExprStmt(pos, e);
    }

    private Stmt tryStatement() {
        int pos = toks.get(p++).start();
        Block body = block();
        List<Catch> catches = new ArrayList<>();
        while (at("catch")) {
            int cpos = toks.get(p++).start();
            TypeRef type = null;
            String name = null;
            int namePos = 0;
            if (accept("(")) {
                type = type();
                if (type == null) {
                    throw error(peek(), "expected an exception type after 'catch ('");
                }
                if (isIdent(peek())) {
                    namePos = peek().start();
                    name = toks.get(p++).text();
                }
                expect(")");
            }
            Expr filter = null;
            if (at("when") && peek(1).is("(")) {
                p += 2;
                filter = expression();
                expect(")");
            }
            catches.add(new Catch(cpos, type, name, namePos, filter, block()));
        }
        Block fin = null;
        if (accept("finally")) {
            fin = block();
        }
        if (catches.isEmpty() && fin == null) {
            throw error(peek(), "expected 'catch' or 'finally' after the 'try' block");
        }
        return new Try(pos, body, List.copyOf(catches), fin);
    }

    /** {@code using (var x = e) stmt} and {@code using var x = e;}: the declaration, then the body (nothing to dispose here). */
    private Stmt usingStatement() {
        Token kw = toks.get(p++);
        if (accept("(")) {
            Stmt decl = tryLocal();
            Stmt head;
            if (decl == null) {
                Expr e = expression();
                head = new ExprStmt(e.pos(), e);
            } else {
                head = decl;
            }
            expect(")");
            Stmt body = statement();
            return new Block(kw.start(), List.of(head, body), kw.end());
        }
        Stmt decl = tryLocal();
        if (decl == null) {
            throw error(peek(), "expected '(' or a declaration after 'using'");
        }
        expect(";");
        return decl;
    }

    private Stmt switchStatement() {
        int pos = toks.get(p++).start();
        expect("(");
        Expr subject = expression();
        expect(")");
        Token open = expect("{");
        List<Section> sections = new ArrayList<>();
        while (!at("}")) {
            List<CaseLabel> labels = new ArrayList<>();
            while (at("case") || (at("default") && peek(1).is(":"))) {
                Token lt = toks.get(p++);
                if (lt.is("default")) {
                    expect(":");
                    labels.add(new CaseLabel(lt.start(), null, null));
                    continue;
                }
                Pattern pat = pattern(false);
                Expr guard = null;
                if (at("when")) {
                    p++;
                    guard = expression();
                }
                expect(":");
                labels.add(new CaseLabel(lt.start(), pat, guard));
            }
            if (labels.isEmpty()) {
                if (peek().kind() == Token.Kind.EOF) {
                    throw error(peek(), "expected '}' to close the switch opened at offset " + open.start());
                }
                throw error(peek(), "expected 'case' or 'default' in the switch but found " + describe(peek()));
            }
            List<Stmt> stmts = new ArrayList<>();
            while (!at("case") && !(at("default") && peek(1).is(":")) && !at("}")) {
                if (peek().kind() == Token.Kind.EOF) {
                    throw error(peek(), "expected '}' to close the switch opened at offset " + open.start());
                }
                if (at("goto")) {
                    throw error(peek(), "'goto case' is not supported in policy expressions");
                }
                stmts.add(statement());
            }
            sections.add(new Section(List.copyOf(labels), List.copyOf(stmts)));
        }
        expect("}");
        return new Switch(pos, subject, List.copyOf(sections));
    }

    /** {@code T name(params) { }} or {@code void name(params) => expr;}; null (position restored) otherwise. */
    private Stmt tryLocalFunction() {
        int save = p;
        int pos = peek().start();
        TypeRef ret = type();
        if (ret != null && isIdent(peek()) && peek(1).is("<")) {
            int k = 2;
            while (isIdent(peek(k)) || peek(k).is(",")) {
                k++;
            }
            if (peek(k).is(">") && peek(k + 1).is("(")) {
                throw error(peek(1), "generic local functions are not supported in policy expressions");
            }
        }
        if (ret == null || !isIdent(peek()) || !peek(1).is("(")) {
            p = save;
            return null;
        }
        int namePos = peek().start();
        String name = toks.get(p++).text();
        p++;
        List<Param> params = new ArrayList<>();
        int scan = p;
        int parens = 1;
        while (scan < toks.size() && parens > 0) {
            Token st = toks.get(scan++);
            if (st.is("(")) {
                parens++;
            } else if (st.is(")")) {
                parens--;
            } else if (st.is("=") && parens == 1) {
                throw error(st, "optional parameters ('= value') are not supported in local functions: pass every argument");
            }
        }
        if (!at(")")) {
            do {
                int ppos = peek().start();
                TypeRef pt = type();
                if (pt == null || !isIdent(peek())) {
                    p = save;
                    return null;
                }
                params.add(new Param(pt, toks.get(p++).text(), ppos));
            } while (accept(","));
        }
        if (!accept(")") || !(at("{") || at("=>"))) {
            p = save;
            return null;
        }
        TypeRef r = ret.name().equals("void") && ret.rank() == 0 ? null : ret;
        if (accept("=>")) {
            Expr e = expression();
            expect(";");
            return new LocalFunc(pos, r, name, namePos, List.copyOf(params), null, e);
        }
        return new LocalFunc(pos, r, name, namePos, List.copyOf(params), block(), null);
    }

    // ---- patterns (switch expressions and case labels)

    private Pattern pattern(boolean allowDiscard) {
        enter();
        try {
            Pattern left = andPattern(allowDiscard);
            while (at("or")) {
                int pos = toks.get(p++).start();
                left = new OrPat(pos, left, andPattern(allowDiscard));
            }
            return left;
        } finally {
            depth--;
        }
    }

    private Pattern andPattern(boolean allowDiscard) {
        Pattern left = notPattern(allowDiscard);
        while (at("and")) {
            int pos = toks.get(p++).start();
            left = new AndPat(pos, left, notPattern(allowDiscard));
        }
        return left;
    }

    private Pattern notPattern(boolean allowDiscard) {
        if (at("not")) {
            int pos = toks.get(p++).start();
            return new NotPat(pos, notPattern(allowDiscard));
        }
        Token t = peek();
        if (t.is("_") && allowDiscard) {
            p++;
            return new Discard(t.start());
        }
        if (t.is("(")) {
            int save = p;
            p++;
            try {
                Pattern inner = pattern(allowDiscard);
                if (accept(")")) {
                    return inner;
                }
            } catch (SyntaxError e) {
                // not a parenthesized pattern: a constant expression such as (1 + 2)
            }
            p = save;
        }
        if (t.is("<") || t.is("<=") || t.is(">") || t.is(">=")) {
            p++;
            return new RelPat(t.start(), t.text(), binary(7));
        }
        if (t.is("var") && isIdent(peek(1))) {
            p++;
            int bindPos = peek().start();
            return new TypePat(t.start(), null, toks.get(p++).text(), bindPos);
        }
        if (t.kind() == Token.Kind.IDENT && !RESERVED.contains(t.text())) {
            int save = p;
            TypeRef type = type();
            if (type != null) {
                if (isIdent(peek()) && !at("when") && !at("and") && !at("or")) {
                    int bindPos = peek().start();
                    return new TypePat(t.start(), type, toks.get(p++).text(), bindPos);
                }
                boolean known = KEYWORD_TYPES.contains(type.name()) || typeNames.contains(type.name())
                        && !peek().is(".");
                if (known && (at("=>") || at(":") || at("when") || at("or") || at("and") || at(")") || at(","))) {
                    return new TypePat(t.start(), type, null, 0);
                }
            }
            p = save;
        }
        return new ConstPat(t.start(), binary(7));
    }

    /** {@code x switch { ... }} after its subject. */
    private Expr switchExpression(Expr subject) {
        Token kw = toks.get(p++);
        expect("{");
        List<Arm> arms = new ArrayList<>();
        while (!at("}")) {
            int pos = peek().start();
            Pattern pat = pattern(true);
            Expr guard = null;
            if (at("when")) {
                p++;
                guard = expression();
            }
            expect("=>");
            Expr result = at("throw") ? throwExpression() : expression();
            arms.add(new Arm(pos, pat, guard, result));
            if (!accept(",")) {
                break;
            }
        }
        expect("}");
        if (arms.isEmpty()) {
            throw error(kw, "a switch expression needs at least one arm");
        }
        return new SwitchExpr(subject.pos(), subject, List.copyOf(arms));
    }

    private Expr throwExpression() {
        Token kw = toks.get(p++);
        return new ThrowExpr(kw.start(), expression());
    }

    /** {@code var x = e} or {@code T x [= e], y [= e]}; null (position restored) when not a declaration. */
    private Stmt tryLocal() {
        int save = p;
        int pos = peek().start();
        TypeRef type = null;
        if (at("var") && isIdent(peek(1))) {
            p++;
        } else {
            type = type();
            if (type == null || !isIdent(peek())) {
                p = save;
                return null;
            }
        }
        List<Declarator> vars = new ArrayList<>();
        do {
            int namePos = peek().start();
            String name = ident("a variable name");
            Expr init = null;
            if (accept("=")) {
                init = type != null && type.rank() > 0 && at("{")
                        ? new New(peek().start(), type, List.of(), initializer(), true, null) : expression();
            }
            vars.add(new Declarator(name, namePos, init));
        } while (accept(","));
        return new Local(pos, type, vars);
    }

    /** Parses a type if one starts here; null (position restored) otherwise. */
    private TypeRef type() {
        int save = p;
        Token t = peek();
        if (t.kind() != Token.Kind.IDENT || (RESERVED.contains(t.text()))) {
            return null;
        }
        p++;
        StringBuilder name = new StringBuilder(t.text());
        while (at(".") && isIdent(peek(1))) {
            p++;
            name.append('.').append(toks.get(p++).text());
        }
        List<TypeRef> args = new ArrayList<>();
        if (at("<")) {
            int s2 = p;
            p++;
            boolean ok = true;
            do {
                TypeRef a = type();
                if (a == null) {
                    ok = false;
                    break;
                }
                args.add(a);
            } while (accept(","));
            if (!ok || !accept(">")) {
                p = s2;
                args.clear();
                if (!typeNames.contains(name.toString())) {
                    p = save;
                    return null;
                }
            }
        }
        boolean nullable = false;
        if (at("?") && VALUE_TYPES.contains(name.toString()) && (!startsExpression(peek(1))
                || isIdent(peek(1)) && (peek(2).is("=") || peek(2).is(";") || peek(2).is(",") || peek(2).is(")")
                || peek(2).is("in")))) {
            p++;
            nullable = true;
        }
        int rank = 0;
        while (at("[") && peek(1).is("]")) {
            p += 2;
            rank++;
        }
        return new TypeRef(t.start(), name.toString(), List.copyOf(args), rank, nullable);
    }

    private static boolean startsExpression(Token t) {
        return t.kind() != Token.Kind.OP && t.kind() != Token.Kind.EOF || t.is("(") || t.is("!") || t.is("-");
    }

    // ---- expressions

    public Expr expression() {
        enter();
        try {
            return assignment();
        } finally {
            depth--;
        }
    }

    private Expr assignment() {
        Expr lambda = tryLambda();
        if (lambda != null) {
            return lambda;
        }
        Expr left = conditional();
        Token t = peek();
        if (t.kind() == Token.Kind.OP && ASSIGN_OPS.contains(t.text())) {
            p++;
            Expr right = expression();
            return new Assign(left.pos(), t.text(), t.start(), left, right);
        }
        if (t.is(">") && peek(1).is(">=") && peek(1).start() == t.end()) {
            p += 2;
            Expr right = expression();
            return new Assign(left.pos(), ">>=", t.start(), left, right);
        }
        return left;
    }

    private Expr tryLambda() {
        int pos = peek().start();
        List<String> params = new ArrayList<>();
        if (isIdent(peek()) && peek(1).is("=>")) {
            params.add(peek().text());
            p += 2;
        } else if (at("(")) {
            int k = 1;
            List<String> names = new ArrayList<>();
            if (!peek(1).is(")")) {
                while (true) {
                    Token a = peek(k);
                    if (!isIdent(a)) {
                        return null;
                    }
                    if (isIdent(peek(k + 1))) {
                        k++;
                        a = peek(k);
                    }
                    names.add(a.text());
                    k++;
                    if (peek(k).is(",")) {
                        k++;
                        continue;
                    }
                    break;
                }
            }
            if (!peek(k).is(")") || !peek(k + 1).is("=>")) {
                return null;
            }
            params.addAll(names);
            p += k + 2;
        } else {
            return null;
        }
        if (at("{")) {
            return new Lambda(pos, List.copyOf(params), null, block());
        }
        return new Lambda(pos, List.copyOf(params), expression(), null);
    }

    private Expr conditional() {
        Expr c = coalesce();
        if (at("?")) {
            p++;
            Expr a = at("throw") ? throwExpression() : expression();
            expect(":");
            Expr b = at("throw") ? throwExpression() : expression();
            return new Cond(c.pos(), c, a, b);
        }
        return c;
    }

    private Expr coalesce() {
        Expr l = binary(0);
        if (at("??")) {
            Token op = toks.get(p++);
            enter();
            Expr r = at("throw") ? throwExpression() : coalesce();
            depth--;
            return new Binary(l.pos(), "??", op.start(), l, r);
        }
        return l;
    }

    private static final String[][] LEVELS = {
        {"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<", ">", "<=", ">=", "is", "as"}, {"<<", ">>"},
        {"+", "-"}, {"*", "/", "%"},
    };

    private Expr binary(int level) {
        if (level == LEVELS.length) {
            return unary();
        }
        Expr left = binary(level + 1);
        while (true) {
            Token t = peek();
            String op = null;
            for (String candidate : LEVELS[level]) {
                if (candidate.equals(">>")) {
                    if (t.is(">") && peek(1).is(">") && peek(1).start() == t.end()) {
                        op = ">>";
                    }
                } else if (t.is(candidate)) {
                    if (candidate.equals(">") && peek(1).is(">") && peek(1).start() == t.end()) {
                        continue;
                    }
                    if (candidate.equals(">") && peek(1).is(">=") && peek(1).start() == t.end()) {
                        continue;
                    }
                    op = candidate;
                }
            }
            if (op == null) {
                return left;
            }
            p += op.equals(">>") ? 2 : 1;
            enter();
            if (op.equals("is")) {
                left = isPattern(left);
            } else if (op.equals("as")) {
                TypeRef type = type();
                if (type == null) {
                    throw error(peek(), "expected a type after 'as'");
                }
                left = new As(left.pos(), left, type);
            } else {
                Expr right = binary(level + 1);
                left = new Binary(left.pos(), op, t.start(), left, right);
            }
            depth--;
        }
    }

    private Expr isPattern(Expr left) {
        if (at("{")) {
            throw error(peek(), "property patterns ('is { Name: value }') are not supported in policy expressions; compare the members instead");
        }
        int save = p;
        Token first = peek();
        boolean general = first.kind() == Token.Kind.STRING || first.kind() == Token.Kind.NUMBER
                || first.kind() == Token.Kind.CHAR || first.is("<") || first.is("<=") || first.is(">") || first.is(">=")
                || first.is("(") || first.is("true") || first.is("false") || first.is("-");
        if (!general) {
            boolean negated = accept("not");
            Expr simple;
            if (accept("null")) {
                simple = new Is(left.pos(), left, null, negated, null, 0);
            } else {
                TypeRef type = type();
                if (type == null) {
                    p = save;
                    general = true;
                    simple = null;
                } else {
                    String bind = null;
                    int bindPos = 0;
                    if (isIdent(peek()) && !at("and") && !at("or")) {
                        bindPos = peek().start();
                        bind = toks.get(p++).text();
                    }
                    simple = new Is(left.pos(), left, type, negated, bind, bindPos);
                }
            }
            if (!general && !at("or") && !at("and")) {
                return simple;
            }
            p = save;
        }
        return new IsPattern(left.pos(), left, pattern(false));
    }

    private Expr unary() {
        Token t = peek();
        if (t.kind() == Token.Kind.OP) {
            switch (t.text()) {
                case "!", "-", "+", "~" -> {
                    p++;
                    enter();
                    Expr operand = unary();
                    depth--;
                    if (t.text().equals("-") && operand instanceof Lit lit && lit.pos() == t.end()) {
                        if (lit.value() instanceof Long l && l == 2147483648L) {
                            return new Lit(t.start(), Integer.MIN_VALUE);
                        }
                    }
                    return new Unary(t.start(), t.text(), operand);
                }
                case "++", "--" -> {
                    p++;
                    Expr target = unary();
                    return new IncDec(t.start(), t.text(), true, target);
                }
                case "(" -> {
                    Expr cast = tryCast();
                    if (cast != null) {
                        return cast;
                    }
                }
                default -> {
                }
            }
        }
        Expr e = postfix(primary());
        while (at("switch") && peek(1).is("{")) {
            enter();
            e = switchExpression(e);
            depth--;
        }
        return e;
    }

    private Expr tryCast() {
        int save = p;
        Token open = toks.get(p++);
        TypeRef type = type();
        if (type != null && at(")")) {
            Token after = peek(1);
            boolean keyword = KEYWORD_TYPES.contains(type.name()) || type.rank() > 0 || type.nullable();
            boolean known = typeNames.contains(type.name()) || type.name().contains(".");
            boolean castFollows = after.kind() == Token.Kind.IDENT && !RESERVED.contains(after.text())
                    || after.kind() == Token.Kind.NUMBER || after.kind() == Token.Kind.STRING
                    || after.kind() == Token.Kind.CHAR || after.kind() == Token.Kind.INTERPOLATED
                    || after.is("(") || after.is("!") || after.is("~") || after.is("new") || after.is("null")
                    || after.is("true") || after.is("false");
            boolean signFollows = after.is("-") || after.is("+");
            boolean plainFollows = castFollows && !after.is("(");
            if ((keyword && (castFollows || signFollows)) || (known && castFollows) || plainFollows) {
                p++;
                enter();
                Expr operand = unary();
                depth--;
                return new Cast(open.start(), type, operand);
            }
        }
        p = save;
        return null;
    }

    private Expr primary() {
        Token t = peek();
        switch (t.kind()) {
            case NUMBER, STRING, CHAR -> {
                p++;
                return new Lit(t.start(), t.value());
            }
            case INTERPOLATED -> {
                p++;
                return interpolation(t);
            }
            case IDENT -> {
                switch (t.text()) {
                    case "true", "false" -> {
                        p++;
                        return new Lit(t.start(), Boolean.valueOf(t.text()));
                    }
                    case "null" -> {
                        p++;
                        return new Lit(t.start(), null);
                    }
                    case "new" -> {
                        return creation();
                    }
                    case "default" -> {
                        p++;
                        if (accept("(")) {
                            TypeRef type = type();
                            if (type == null) {
                                throw error(peek(), "expected a type in 'default( )'");
                            }
                            expect(")");
                            return new DefaultOf(t.start(), type);
                        }
                        return new DefaultOf(t.start(), null);
                    }
                    case "throw" -> {
                        return throwExpression();
                    }
                    case "unchecked" -> {
                        if (peek(1).is("(")) {
                            p += 2;
                            Expr inner = expression();
                            expect(")");
                            return inner;
                        }
                    }
                    case "checked" -> throw error(t, "'checked' arithmetic is not supported: policy expressions use C#'s default unchecked arithmetic");
                    case "switch", "case" -> throw error(t, "'" + t.text() + "' cannot start an expression: a switch expression is written 'value switch { pattern => result, ... }'");
                    default -> {
                    }
                }
                if (KEYWORD_TYPES.contains(t.text())) {
                    p++;
                    return new TypeExpr(t.start(), new TypeRef(t.start(), t.text(), List.of(), 0, false));
                }
                if (t.text().equals("await") || t.text().equals("async")) {
                    throw error(t, "'" + t.text() + "' is not supported: policy expressions run synchronously");
                }
                if (RESERVED.contains(t.text())) {
                    throw error(t, "'" + t.text() + "' is not supported here");
                }
                p++;
                if (at("<")) {
                    Expr generic = tryGenericCall(new Name(t.start(), t.text()), t.start());
                    if (generic != null) {
                        return generic;
                    }
                }
                return new Name(t.start(), t.text());
            }
            case OP -> {
                if (t.is("(")) {
                    p++;
                    Expr e = expression();
                    if (at(",")) {
                        throw error(peek(), "tuples ('(a, b)') are not supported in policy expressions");
                    }
                    expect(")");
                    return e;
                }
                if (t.is("^")) {
                    throw error(t, "from-end indexes ('^1') are not supported in policy expressions: use Length - 1");
                }
                if (t.is("..")) {
                    throw error(t, "ranges ('a..b') are not supported in policy expressions: use Substring or Skip/Take");
                }
            }
            default -> {
            }
        }
        throw error(t, "expected an expression but found " + describe(t));
    }

    private Expr tryGenericCall(Expr target, int pos) {
        int save = p;
        p++;
        List<TypeRef> args = new ArrayList<>();
        do {
            TypeRef a = type();
            if (a == null) {
                p = save;
                return null;
            }
            args.add(a);
        } while (accept(","));
        if (!accept(">") || !at("(")) {
            p = save;
            return null;
        }
        p++;
        List<Arg> callArgs = arguments(")");
        Token close = expect(")");
        return new Call(pos, target, List.copyOf(args), callArgs, close.end());
    }

    private Expr interpolation(Token t) {
        List<Object> parts = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<Object> raw = (List<Object>) t.value();
        for (Object o : raw) {
            if (o instanceof Token.Hole h) {
                List<Token> sub = new Lexer(src, h.offset(), h.offset() + h.expr().length()).tokens();
                Parser inner = new Parser(src, sub, typeNames, maxDepth);
                inner.depth = depth;
                Expr e = inner.parseBare();
                int align = 0;
                if (h.align() != null) {
                    try {
                        align = Integer.parseInt(h.align());
                    } catch (NumberFormatException ex) {
                        throw new SyntaxError(h.offset(), "interpolation alignment must be an integer constant");
                    }
                }
                parts.add(new Hole(e, align, h.format()));
            } else {
                parts.add(o);
            }
        }
        return new Interp(t.start(), List.copyOf(parts));
    }

    private Expr creation() {
        Token kw = toks.get(p++);
        if (at("{")) {
            return anonymousObject(kw);
        }
        if (at("[")) {
            p++;
            expect("]");
            return new New(kw.start(), null, List.of(), initializer(), true, null);
        }
        Token tt = peek();
        if (tt.is("(")) {
            throw error(tt, "target-typed 'new()' is not supported in policy expressions: write the type, e.g. new JObject()");
        }
        if (tt.kind() != Token.Kind.IDENT) {
            throw error(tt, "expected a type after 'new'");
        }
        p++;
        StringBuilder name = new StringBuilder(tt.text());
        while (at(".") && isIdent(peek(1))) {
            p++;
            name.append('.').append(toks.get(p++).text());
        }
        List<TypeRef> targs = new ArrayList<>();
        if (at("<")) {
            p++;
            do {
                TypeRef a = type();
                if (a == null) {
                    throw error(peek(), "expected a type argument");
                }
                targs.add(a);
            } while (accept(","));
            expect(">");
        }
        TypeRef base = new TypeRef(tt.start(), name.toString(), List.copyOf(targs), 0, false);
        if (at("[")) {
            p++;
            if (accept("]")) {
                int rank = 1;
                while (at("[") && peek(1).is("]")) {
                    p += 2;
                    rank++;
                }
                TypeRef arr = new TypeRef(base.pos(), base.name(), base.args(), rank, false);
                return new New(kw.start(), arr, List.of(), initializer(), true, null);
            }
            Expr size = expression();
            expect("]");
            TypeRef arr = new TypeRef(base.pos(), base.name(), base.args(), 1, false);
            List<Expr> init = at("{") ? initializer() : null;
            return new New(kw.start(), arr, List.of(), init, true, size);
        }
        if (at("{")) {
            return new New(kw.start(), base, List.of(), initializer(), false, null);
        }
        if (!at("(")) {
            throw error(peek(), "expected '(', '[' or '{' after 'new " + name + "'");
        }
        p++;
        List<Arg> args = arguments(")");
        expect(")");
        List<Expr> plain = new ArrayList<>();
        for (Arg a : args) {
            if (a.out()) {
                throw new SyntaxError(a.pos(), "'out' is not allowed in a constructor call");
            }
            plain.add(a.expr());
        }
        List<Expr> init = at("{") ? initializer() : null;
        return new New(kw.start(), base, List.copyOf(plain), init, false, null);
    }

    /** Array, collection and object initializers: items are expressions, {@code {a, b}} element lists, {@code Name = v} or {@code [k] = v}. */
    private List<Expr> initializer() {
        expect("{");
        List<Expr> items = new ArrayList<>();
        while (!at("}")) {
            Token t = peek();
            if (t.is("{")) {
                enter();
                items.add(new InitList(t.start(), initializer()));
                depth--;
            } else if (t.is("[")) {
                p++;
                List<Expr> keys = new ArrayList<>();
                do {
                    keys.add(expression());
                } while (accept(","));
                Token close = expect("]");
                Token eq = expect("=");
                Expr v = expression();
                items.add(new Assign(t.start(), "=", eq.start(), new Index(t.start(), null, List.copyOf(keys), false, close.end()), v));
            } else {
                items.add(expression());
            }
            if (!accept(",")) {
                break;
            }
        }
        expect("}");
        return items;
    }

    /** {@code new { a = 1, b, x.c }}. */
    private Expr anonymousObject(Token kw) {
        expect("{");
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!at("}")) {
            if (isIdent(peek()) && peek(1).is("=")) {
                names.add(toks.get(p).text());
                p += 2;
                values.add(expression());
            } else {
                Expr e = expression();
                String n = switch (e) {
                    case Name nm -> nm.name();
                    case Member mb -> mb.name();
                    default -> throw new SyntaxError(e.pos(), "an anonymous object member needs a name: write 'name = value'");
                };
                names.add(n);
                values.add(e);
            }
            if (!accept(",")) {
                break;
            }
        }
        expect("}");
        return new AnonNew(kw.start(), List.copyOf(names), List.copyOf(values));
    }

    private List<Arg> arguments(String close) {
        List<Arg> args = new ArrayList<>();
        if (at(close)) {
            return args;
        }
        do {
            int pos = peek().start();
            if (isIdent(peek()) && peek(1).is(":") ) {
                p += 2;
            }
            if (accept("out")) {
                if (at("var") && isIdent(peek(1))) {
                    p++;
                    args.add(new Arg(null, true, null, toks.get(p++).text(), pos));
                } else {
                    TypeRef ty = type();
                    if (ty != null && isIdent(peek())) {
                        args.add(new Arg(null, true, ty, toks.get(p++).text(), pos));
                    } else if (ty != null && (KEYWORD_TYPES.contains(ty.name()) || ty.nullable())) {
                        // 'out int)' or 'out int?,': a declaration without its name, never a variable
                        throw error(peek(), "expected a variable name after 'out " + ty.name() + (ty.nullable() ? "?" : "")
                                + "' but found " + describe(peek()));
                    } else if (ty != null && ty.args().isEmpty() && ty.rank() == 0 && !ty.name().contains(".")) {
                        args.add(new Arg(new Name(ty.pos(), ty.name()), true, null, null, pos));
                    } else {
                        throw error(peek(), "expected a variable after 'out'");
                    }
                }
            } else {
                args.add(new Arg(expression(), false, null, null, pos));
            }
        } while (accept(","));
        return args;
    }

    private Expr postfix(Expr e) {
        int guard = 0;
        while (true) {
            if (++guard > maxDepth) {
                throw error(peek(), "the expression is nested too deeply (limit " + maxDepth + ")");
            }
            Token t = peek();
            if (t.is("!") && (peek(1).is(".") || peek(1).is("?.") || peek(1).is("[") || peek(1).is(")")
                    || peek(1).is(";") || peek(1).is(",")) && peek(1).start() == t.end()) {
                p++;
                continue;
            }
            if (t.is(".") && (peek(1).is(".") || peek(1).kind() == Token.Kind.NUMBER && peek(1).text().startsWith("."))) {
                throw error(t, "ranges ('a..b') are not supported in policy expressions: use Substring or Skip/Take");
            }
            if ((t.is(".") || t.is("?.")) && peek(1).kind() == Token.Kind.NUMBER && peek(1).text().startsWith(".")) {
                throw error(t, "ranges ('a..b') are not supported in policy expressions: use Substring or Skip/Take");
            }
            if (t.is(".") || t.is("?.")) {
                p++;
                Token nt = peek();
                String name = ident("a member name after '" + t.text() + "'");
                Expr member = new Member(e.pos(), e, name, nt.start(), t.is("?."), nt.end());
                if (at("<")) {
                    Expr generic = tryGenericCall(member, e.pos());
                    if (generic != null) {
                        e = generic;
                        continue;
                    }
                }
                e = member;
            } else if (t.is("(")) {
                p++;
                List<Arg> args = arguments(")");
                Token close = expect(")");
                e = new Call(e.pos(), e, List.of(), args, close.end());
            } else if (t.is("[") || t.is("?[")) {
                p++;
                List<Expr> args = new ArrayList<>();
                do {
                    args.add(expression());
                } while (accept(","));
                Token close = expect("]");
                e = new Index(e.pos(), e, args, t.is("?["), close.end());
            } else if (t.is("++") || t.is("--")) {
                p++;
                e = new IncDec(e.pos(), t.text(), false, e);
            } else {
                return e;
            }
        }
    }
}
