package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void compilesLiteral() {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile("@(1 + 2 * 3)", new Position("p.xml", 3, 10), Object.class, d);
        assertThat(d.render()).isEmpty();
        assertThat(e.evaluate(new PolicyContext())).isEqualTo(7);
    }
}
