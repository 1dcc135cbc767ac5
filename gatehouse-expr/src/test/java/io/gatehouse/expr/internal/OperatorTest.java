package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class OperatorTest {
    private static final Object[] VALUES = {0, 7, -3, 'a', 5L, -2L, 2.5, -0.0, Double.NaN, new BigDecimal("1.50"), "s", null};

    @Test
    void looksUpOperatorsBySymbol() {
        assertThat(Operator.binary("-")).isEqualTo(Operator.SUB);
        assertThat(PrefixOperator.of("-")).isEqualTo(PrefixOperator.NEGATE);
        assertThat(Operator.binary("??")).isEqualTo(Operator.COALESCE);
        assertThat(Operator.binary("=>")).isNull();
        assertThat(PrefixOperator.of("*")).isNull();
        for (Operator o : Operator.values()) {
            assertThat(Operator.binary(o.symbol())).isEqualTo(o);
        }
        for (PrefixOperator o : PrefixOperator.values()) {
            assertThat(PrefixOperator.of(o.symbol())).isEqualTo(o);
        }
    }

    /** Every operator computes a value from values: none is left without a behaviour. */
    @Test
    void everyOperatorHasAValueBehaviour() {
        assertThat(Operator.CONDITIONAL_AND.apply(true, false)).isEqualTo(false);
        assertThat(Operator.CONDITIONAL_AND.apply(true, true)).isEqualTo(true);
        assertThat(Operator.CONDITIONAL_OR.apply(false, true)).isEqualTo(true);
        assertThat(Operator.CONDITIONAL_OR.apply(false, false)).isEqualTo(false);
        assertThat(Operator.COALESCE.apply(null, "b")).isEqualTo("b");
        assertThat(Operator.COALESCE.apply("a", "b")).isEqualTo("a");
        assertThat(PrefixOperator.NOT.apply(true)).isEqualTo(false);
        assertThat(PrefixOperator.NEGATE.apply(5L)).isEqualTo(-5L);
        assertThat(PrefixOperator.PLUS.apply('a')).isEqualTo(97);
        assertThat(PrefixOperator.PLUS.apply(2.5)).isEqualTo(2.5);
        assertThat(PrefixOperator.COMPLEMENT.apply(0)).isEqualTo(-1);
        Throwable t = catchThrowable(() -> PrefixOperator.PLUS.apply("s"));
        assertThat(t).isInstanceOf(ExpressionException.class).hasMessageContaining("Operator '+' cannot be applied to operand of type");
        for (Operator o : Operator.values()) {
            boolean logical = o == Operator.CONDITIONAL_AND || o == Operator.CONDITIONAL_OR;
            Throwable any = catchThrowable(() -> o.apply(logical ? true : 1, logical ? false : 2));
            assertThat(any).as(o.symbol()).isNull();
        }
        for (PrefixOperator o : PrefixOperator.values()) {
            assertThat(catchThrowable(() -> o.apply(o == PrefixOperator.NOT ? (Object) true : 1))).as(o.symbol()).isNull();
        }
    }

    /** A resolved implementation gives what the dynamic one gives, for every pair of values of those static types. */
    @Test
    void resolvedImplementationsAgreeWithTheDynamicOnes() {
        List<Operator> ops = new ArrayList<>();
        for (Operator o : Operator.values()) {
            if (o.isArithmetic() || o.isBitwise() || o.isShift() || o.isRelational() || o == Operator.EQ || o == Operator.NE) {
                ops.add(o);
            }
        }
        int checked = 0;
        for (Operator o : ops) {
            for (Object a : VALUES) {
                for (Object b : VALUES) {
                    Type ta = staticType(a);
                    Type tb = staticType(b);
                    String dynamic = outcome(() -> o.apply(a, b));
                    assertThat(outcome(() -> o.guarded(ta, tb).apply(a, b))).as("%s %s %s", a, o.symbol(), b).isEqualTo(dynamic);
                    if (a != null && b != null) {
                        assertThat(outcome(() -> o.resolve(ta, tb).apply(a, b))).as("%s %s %s", a, o.symbol(), b).isEqualTo(dynamic);
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(ops.size() * VALUES.length * VALUES.length);
    }

    /** The closure the planner uses for a resolved implementation computes what its apply computes. */
    @Test
    void resolvedClosuresAgreeWithTheirApply() {
        Env env = new Env(new io.gatehouse.expr.context.PolicyContext(), 0, 1, 1_000_000_000L);
        int checked = 0;
        for (Operator o : Operator.values()) {
            if (!(o.isArithmetic() || o.isBitwise() || o.isShift() || o.isRelational() || o == Operator.EQ || o == Operator.NE)) {
                continue;
            }
            for (Object a : VALUES) {
                for (Object b : VALUES) {
                    for (Operator.Impl impl : new Operator.Impl[] {o.resolve(staticType(a), staticType(b)), o.guarded(staticType(a), staticType(b))}) {
                        Planner.Node node = impl.node(e -> a, e -> b);
                        assertThat(outcome(() -> node.eval(env))).as("%s %s %s", a, o.symbol(), b).isEqualTo(outcome(() -> impl.apply(a, b)));
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(1000);
        assertThat(Operator.CONCAT.node(e -> "a", e -> 1).eval(env)).isEqualTo("a1");
    }

    @Test
    void intArithmeticOnANullOperandIsANullReferenceButLiftedArithmeticGivesNull() {
        assertThat(catchThrowable(() -> Operator.ADD.resolve(Type.INT, Type.INT).apply(null, 1))).isInstanceOf(NullPointerException.class);
        assertThat(Operator.ADD.guarded(Type.INT, Type.INT).apply(null, 1)).isNull();
        assertThat(Operator.LT.resolve(Type.INT, Type.INT).apply(null, 1)).isEqualTo(false);
    }

    @Test
    void divisionByZeroFollowsDotnet() {
        assertThat(catchThrowable(() -> Operator.DIV.apply(1, 0))).isInstanceOf(ExpressionException.class)
                .hasMessage("Attempted to divide by zero.");
        assertThat(Operator.DIV.apply(1.0, 0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Operator.DIV.apply(new BigDecimal("1"), new BigDecimal("3")).toString()).isEqualTo("0.3333333333333333333333333333");
    }

    private static Type staticType(Object v) {
        return switch (v) {
            case null -> Type.OBJECT;
            case Integer i -> Type.INT;
            case Character c -> Type.CHAR;
            case Long l -> Type.LONG;
            case Double d -> Type.DOUBLE;
            case BigDecimal d -> Type.DECIMAL;
            case String s -> Type.STRING;
            default -> Type.OBJECT;
        };
    }

    private interface Run {
        Object run();
    }

    private static String outcome(Run r) {
        try {
            Object v = r.run();
            return v == null ? "null" : v.getClass().getSimpleName() + ":" + (v instanceof Object[] a ? Arrays.toString(a) : v);
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ":" + e.getMessage();
        }
    }
}
