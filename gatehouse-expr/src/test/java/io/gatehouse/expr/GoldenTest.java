package io.gatehouse.expr;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs {@code golden/expressions.txt}. A case is one or more lines of expression text followed by
 * one expectation line:
 * <ul>
 *   <li>{@code => value} — the value, printed by {@link Fixtures#repr};</li>
 *   <li>{@code !! message} — evaluation throws ExpressionException with this message;</li>
 *   <li>{@code error L:C: message} — compiling reports this first diagnostic (origin is 1:1).</li>
 * </ul>
 * A first line starting {@code [bool]} or {@code [string]} compiles with that expected type.
 * Run with {@code -Dgolden.print=true} to print every actual outcome.
 */
class GoldenTest {
    /** Default limits except a long time budget, so the iteration limit (not machine speed) decides. */
    private static final ExpressionCompiler COMPILER = new ExpressionCompiler(
            new ExprLimits(64 * 1024, 100, 1_000_000, java.time.Duration.ofSeconds(30)));

    record Case(int line, String text, Class<?> expected, String expectation) {
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        try (InputStream in = GoldenTest.class.getResourceAsStream("/golden/expressions.txt")) {
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            String[] lines = all.split("\n", -1);
            StringBuilder text = new StringBuilder();
            int start = 0;
            for (int i = 0; i < lines.length; i++) {
                String l = lines[i];
                if (text.isEmpty() && (l.isBlank() || l.startsWith("#"))) {
                    continue;
                }
                if (l.startsWith("=> ") || l.startsWith("!! ") || l.startsWith("error ")) {
                    String t = text.toString();
                    Class<?> expected = Object.class;
                    if (t.startsWith("[bool] ")) {
                        expected = Boolean.class;
                        t = t.substring(7);
                    } else if (t.startsWith("[string] ")) {
                        expected = String.class;
                        t = t.substring(9);
                    }
                    out.add(new Case(start, t, expected, l));
                    text.setLength(0);
                    continue;
                }
                if (text.isEmpty()) {
                    start = i + 1;
                } else {
                    text.append('\n');
                }
                text.append(l);
            }
            if (!text.isEmpty()) {
                throw new IllegalStateException("golden file ends inside a case starting at line " + start);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    static String outcome(Case c) {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = COMPILER.compile(c.text(), new Position("golden", 1, 1), c.expected(), d);
        if (e == null) {
            assertThat(d.hasErrors()).as("null result must come with errors").isTrue();
            Diagnostic first = d.all().get(0);
            return "error " + first.line() + ":" + first.column() + ": " + first.message();
        }
        assertThat(d.hasErrors()).isFalse();
        try {
            return "=> " + Fixtures.repr(e.evaluate(Fixtures.context()));
        } catch (ExpressionException ex) {
            return "!! " + ex.getMessage();
        }
    }

    @org.junit.jupiter.api.Test
    void corpusHasAtLeast300Cases() {
        assertThat(cases()).hasSizeGreaterThanOrEqualTo(300);
    }

    @TestFactory
    Stream<DynamicTest> goldenExpressions() {
        List<Case> cases = cases();
        boolean print = Boolean.getBoolean("golden.print");
        return cases.stream().map(c -> DynamicTest.dynamicTest("line " + c.line() + ": " + c.text(), () -> {
            String actual = outcome(c);
            if (print) {
                System.out.println("@@ " + c.line() + " | " + c.text().replace("\n", "\\n") + "\n   want " + c.expectation()
                        + "\n   got  " + actual);
            }
            assertThat(actual).as("golden line %d: %s", c.line(), c.text()).isEqualTo(c.expectation());
        }));
    }
}
