package io.gatehouse.expr;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random and mutated expressions (seeded from the golden corpus): compile() only ever reports
 * diagnostics, and what compiles only ever fails with ExpressionException. Bounded to about 15 s;
 * {@code -Dfuzz.seconds=N} and {@code -Dfuzz.seed=S} change that.
 */
class FuzzTest {
    private static final String[] TOKENS = {
        "(", ")", "[", "]", "{", "}", ".", "?.", "?[", ",", ";", ":", "?", "??", "=>", "=", "==", "!=", "+", "-", "*",
        "/", "%", "<", ">", "<<", ">>", "&&", "||", "!", "~", "++", "--", "+=", "is", "as", "not", "null", "new", "var",
        "return", "if", "else", "for", "foreach", "in", "while", "break", "out var x", "out", "x", "y", "context",
        "context.Request", ".Body", ".As<JObject>()", ".As<string>()", "[\"a\"]", "[0]", "0", "1", "-1", "2147483647",
        "1.5", "1e308", "0x7FFFFFFF", "1M", "'c'", "\"s\"", "@\"v\"", "$\"{1}\"", "$\"{", "\"", "'", "@", "$", "\\",
        "int", "string", "JObject", "JArray", "DateTime", "TimeSpan", "Math", "Regex", "(int)", "(string)", "new[] {1}",
        ".Select(a => a)", ".Where(a => true)", ".Count()", ".Length", ".ToString()", ".Substring(1)", "/*", "*/", "//",
        "\n", " ", "<string>", "<int>", "{0}", "string.Format(", "Convert.FromBase64String(", "1 / 0", "int.MinValue",
    };

    @Test
    void compileAndEvaluateOnlyEverReportDiagnosticsOrExpressionExceptions() {
        long seconds = Long.getLong("fuzz.seconds", 15);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Random rnd = new Random(seed);
        List<String> corpus = new ArrayList<>();
        for (GoldenTest.Case c : GoldenTest.cases()) {
            corpus.add(c.text());
        }
        ExpressionCompiler compiler = new ExpressionCompiler(new ExprLimits(8 * 1024, 60, 20_000, Duration.ofMillis(50)));
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        int runs = 0;
        int compiled = 0;
        while (System.nanoTime() < deadline) {
            String input = rnd.nextInt(4) == 0 ? random(rnd) : mutate(rnd, corpus.get(rnd.nextInt(corpus.size())));
            runs++;
            Diagnostics d = new Diagnostics();
            long t0 = System.nanoTime();
            CompiledExpression e;
            try {
                e = compiler.compile(input, new Position("fuzz", 3, 7), rnd.nextBoolean() ? Object.class : Boolean.class, d);
            } catch (Throwable t) {
                throw new AssertionError("compile threw for seed " + seed + " input:\n" + input, t);
            }
            long compileMs = (System.nanoTime() - t0) / 1_000_000;
            if (compileMs > 2_000) {
                fail("compile took " + compileMs + " ms for seed " + seed + " input:\n" + input);
            }
            for (Diagnostic diag : d.all()) {
                assertThat(diag.message()).as("seed %d input:%n%s", seed, input).doesNotContain("internal error");
                assertThat(diag.line()).as("line of %s", diag).isGreaterThanOrEqualTo(3);
            }
            if (e == null) {
                assertThat(d.hasErrors()).as("null without errors, seed %d input:%n%s", seed, input).isTrue();
                continue;
            }
            compiled++;
            t0 = System.nanoTime();
            try {
                e.evaluate(Fixtures.context());
            } catch (ExpressionException ok) {
                assertThat(ok.getMessage()).as("seed %d input:%n%s", seed, input).isNotBlank();
            } catch (Throwable t) {
                throw new AssertionError("evaluate threw " + t + " for seed " + seed + " input:\n" + input, t);
            }
            long evalMs = (System.nanoTime() - t0) / 1_000_000;
            if (evalMs > 2_000) {
                fail("evaluate took " + evalMs + " ms for seed " + seed + " input:\n" + input);
            }
        }
        System.out.println("fuzz: seed " + seed + ", " + runs + " inputs, " + compiled + " compiled");
        assertThat(runs).isGreaterThan(1000);
        assertThat(compiled).as("some mutants must still compile").isGreaterThan(10);
    }

    private static String random(Random rnd) {
        StringBuilder sb = new StringBuilder(rnd.nextBoolean() ? "@(" : "@{");
        int n = rnd.nextInt(40);
        for (int i = 0; i < n; i++) {
            sb.append(TOKENS[rnd.nextInt(TOKENS.length)]);
            if (rnd.nextInt(3) == 0) {
                sb.append(' ');
            }
        }
        if (rnd.nextInt(3) > 0) {
            sb.append(sb.charAt(1) == '(' ? ")" : "}");
        }
        return sb.toString();
    }

    private static String mutate(Random rnd, String s) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + rnd.nextInt(3);
        for (int k = 0; k < edits; k++) {
            int len = sb.length();
            int at = len == 0 ? 0 : rnd.nextInt(len + 1);
            switch (rnd.nextInt(6)) {
                case 0 -> {
                    int end = Math.min(len, at + 1 + rnd.nextInt(6));
                    if (at < end) {
                        sb.delete(at, end);
                    }
                }
                case 1 -> sb.insert(at, TOKENS[rnd.nextInt(TOKENS.length)]);
                case 2 -> {
                    if (len > 2) {
                        int a = rnd.nextInt(len);
                        int b = rnd.nextInt(len);
                        char ca = sb.charAt(a);
                        sb.setCharAt(a, sb.charAt(b));
                        sb.setCharAt(b, ca);
                    }
                }
                case 3 -> {
                    int end = Math.min(len, at + rnd.nextInt(20));
                    sb.insert(at, sb.substring(at, end));
                }
                case 4 -> sb.setLength(at);
                default -> sb.insert(at, (char) (rnd.nextInt(3) == 0 ? rnd.nextInt(0x3000) : 32 + rnd.nextInt(95)));
            }
        }
        return sb.toString();
    }
}
