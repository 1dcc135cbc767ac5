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
            "try", "catch", "switch", "case");
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
                default -> {
                }
            }
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
                init = expression();
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
            Expr a = expression();
            expect(":");
            Expr b = expression();
            return new Cond(c.pos(), c, a, b);
        }
        return c;
    }

    private Expr coalesce() {
        Expr l = binary(0);
        if (at("??")) {
            Token op = toks.get(p++);
            enter();
            Expr r = coalesce();
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
        boolean negated = accept("not");
        if (accept("null")) {
            return new Is(left.pos(), left, null, negated, null, 0);
        }
        TypeRef type = type();
        if (type == null) {
            throw error(peek(), "expected a type or 'null' after 'is'");
        }
        String bind = null;
        int bindPos = 0;
        if (isIdent(peek()) && !at("and") && !at("or")) {
            bindPos = peek().start();
            bind = toks.get(p++).text();
        }
        return new Is(left.pos(), left, type, negated, bind, bindPos);
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
        return postfix(primary());
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
                    default -> {
                    }
                }
                if (KEYWORD_TYPES.contains(t.text())) {
                    p++;
                    return new TypeExpr(t.start(), new TypeRef(t.start(), t.text(), List.of(), 0, false));
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
                    expect(")");
                    return e;
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
        if (at("[")) {
            p++;
            expect("]");
            return new New(kw.start(), null, List.of(), initializer(), true, null);
        }
        Token tt = peek();
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
        if (!at("(")) {
            throw error(peek(), "expected '(' or '[' after 'new " + name + "'");
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

    private List<Expr> initializer() {
        expect("{");
        List<Expr> items = new ArrayList<>();
        while (!at("}")) {
            items.add(expression());
            if (!accept(",")) {
                break;
            }
        }
        expect("}");
        return items;
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
