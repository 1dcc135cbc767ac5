package io.gatehouse.expr;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Expressions written to break the compiler: each gives a diagnostic or works, never a StackOverflowError. */
class HostileExpressionsTest {
    private static final Position AT = new Position("p.xml", 3, 20);

    private static CompiledExpression compile(String text, Diagnostics d) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> new ExpressionCompiler().compile(text, AT, Object.class, d));
    }

    @Test
    void tenThousandNestedParenthesesAreRefusedAtTheDepthLimit() {
        Diagnostics d = new Diagnostics();
        assertThat(compile("@(" + "(".repeat(10_000) + "1" + ")".repeat(10_000) + ")", d)).isNull();
        assertThat(d.all()).extracting(Diagnostic::toString).first().asString()
                .startsWith("p.xml:3:").endsWith("error: the expression is nested too deeply (limit " + ExprLimits.defaults().maxNestingDepth() + ")");
    }

    @Test
    void chainedAdditionsGiveTheSumOrADiagnosticAtTheExpression() {
        for (int n : new int[] {500, 2_000, 10_000}) {
            Diagnostics d = new Diagnostics();
            CompiledExpression e = compile("@(" + "1+".repeat(n) + "1)", d);
            if (e == null) {
                assertThat(d.all()).as("n=%d", n).extracting(Diagnostic::toString)
                        .containsExactly("p.xml:3:20: error: the expression is nested too deeply to compile");
            } else {
                assertThat(d.all()).as("n=%d", n).isEmpty();
                assertThat(e.evaluate(new PolicyContext())).as("n=%d", n).isEqualTo(n + 1);
            }
        }
        Diagnostics d = new Diagnostics();
        assertThat(compile("@(" + "1+".repeat(500) + "1)", d).evaluate(new PolicyContext())).isEqualTo(501);
    }

    @Test
    void aHundredKilobyteStringLiteralIsRefusedByTheSourceLimit() {
        Diagnostics d = new Diagnostics();
        assertThat(compile("@(\"" + "x".repeat(100_000) + "\")", d)).isNull();
        assertThat(d.all()).extracting(Diagnostic::toString).containsExactly(
                "p.xml:3:20: error: the expression is 100005 characters long; the limit is " + ExprLimits.defaults().maxSourceLength());
    }

    @Test
    void aStringLiteralJustUnderTheSourceLimitWorks() {
        Diagnostics d = new Diagnostics();
        int n = ExprLimits.defaults().maxSourceLength() - 5;
        CompiledExpression e = compile("@(\"" + "\\\"".repeat(n / 2) + "\")", d);
        assertThat(d.all()).isEmpty();
        assertThat((String) e.evaluate(new PolicyContext())).hasSize(n / 2).matches("\"+");
    }
}
