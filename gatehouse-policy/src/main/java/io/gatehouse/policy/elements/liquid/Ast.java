package io.gatehouse.policy.elements.liquid;

import io.gatehouse.common.Position;

import java.util.List;

/** The compiled form of a Liquid template: expressions, conditions and nodes, all immutable. */
final class Ast {
    private Ast() {
    }

    sealed interface Expr permits Literal, PathExpr, RangeExpr {
    }

    record Literal(Object value) implements Expr {
    }

    /** {@code root.a[0]["b"]}: segments are String names or Exprs. */
    record PathExpr(String root, List<Object> segments) implements Expr {
        PathExpr {
            segments = List.copyOf(segments);
        }
    }

    record RangeExpr(Expr from, Expr to) implements Expr {
    }

    record FilterCall(String name, List<Expr> args, Position at) {
        FilterCall {
            args = List.copyOf(args);
        }
    }

    record Filtered(Expr base, List<FilterCall> filters) {
        Filtered {
            filters = List.copyOf(filters);
        }
    }

    sealed interface Cond permits Compare, Logic, Not {
    }

    /** {@code left op right}, or just {@code left} (truthiness) when op is null. */
    record Compare(Expr left, String op, Expr right) implements Cond {
    }

    record Logic(Cond left, boolean and, Cond right) implements Cond {
    }

    /** {@code unless}: the condition negated. */
    record Not(Cond cond) implements Cond {
    }

    sealed interface Node permits Text, Output, If, For, Assign, Capture, Case, Jump {
    }

    record Text(String text) implements Node {
    }

    record Output(Filtered value, Position at) implements Node {
    }

    record Branch(Cond cond, List<Node> body) {
        Branch {
            body = List.copyOf(body);
        }
    }

    record If(List<Branch> branches, List<Node> otherwise) implements Node {
        If {
            branches = List.copyOf(branches);
            otherwise = List.copyOf(otherwise);
        }
    }

    record For(String var, Expr collection, Expr limit, Expr offset, boolean reversed, List<Node> body, List<Node> otherwise,
               boolean jsonArray, Position at) implements Node {
        For {
            body = List.copyOf(body);
            otherwise = List.copyOf(otherwise);
        }
    }

    record Assign(String name, Filtered value, Position at) implements Node {
    }

    record Capture(String name, List<Node> body) implements Node {
        Capture {
            body = List.copyOf(body);
        }
    }

    record When(List<Expr> values, List<Node> body) {
        When {
            values = List.copyOf(values);
            body = List.copyOf(body);
        }
    }

    record Case(Expr subject, List<When> whens, List<Node> otherwise) implements Node {
        Case {
            whens = List.copyOf(whens);
            otherwise = List.copyOf(otherwise);
        }
    }

    record Jump(boolean isBreak) implements Node {
    }
}
