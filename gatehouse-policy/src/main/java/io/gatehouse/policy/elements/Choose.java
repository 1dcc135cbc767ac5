package io.gatehouse.policy.elements;

import io.gatehouse.common.Position;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <choose>} with {@code <when condition="@(...)">} branches and an optional final
 * {@code <otherwise>}: runs the first branch whose condition is true.
 */
public final class Choose implements Policy {
    public static final PolicyType TYPE = new PolicyType("choose", PolicyType.ALL, Choose::compile);

    private final List<Value<Boolean>> conditions;
    private final Block[] branches;
    private final Block otherwise;
    /** Where each {@code <when>} is, then the {@code <choose>} itself: for {@link io.gatehouse.policy.PolicySteps}. */
    private final Position[] positions;
    /** Each {@code <when>}'s condition as written, for request traces. */
    private final String[] texts;

    private Choose(List<Value<Boolean>> conditions, Block[] branches, Block otherwise, Position[] positions, String[] texts) {
        this.conditions = List.copyOf(conditions);
        this.branches = branches;
        this.otherwise = otherwise;
        this.positions = positions;
        this.texts = texts;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        ctx.onlyChildren(e, "when", "otherwise");
        List<Value<Boolean>> conditions = new ArrayList<>();
        List<Block> branches = new ArrayList<>();
        List<Position> positions = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        Block otherwise = null;
        Position otherwiseAt = e.position();
        boolean ok = true;
        int whenIndex = 0;
        for (XmlElement c : e.elements()) {
            if (c.name().equals("when")) {
                whenIndex++;
                if (otherwise != null) {
                    ctx.error(c.position(), "<when> after <otherwise>: <otherwise> must be the last branch of <choose>");
                    ok = false;
                }
                ctx.attributes(c, "condition");
                XmlAttribute cond = c.attribute("condition");
                Value<Boolean> v = null;
                if (cond == null) {
                    ctx.error(c.position(), "<when> is missing the required attribute 'condition'");
                } else {
                    v = ctx.value(cond.value(), Boolean.class, "choose", t -> {
                        ctx.error(cond.position(), "the condition of <when> must be a policy expression such as @(...) returning true or false, found '" + cond.text() + "'");
                        return null;
                    });
                }
                Block b = ctx.nested("when" + (whenIndex > 1 ? "[" + whenIndex + "]" : ""), () -> ctx.block(c));
                ok &= v != null;
                positions.add(c.position());
                texts.add(cond == null ? "" : cond.text());
                conditions.add(v);
                branches.add(b);
            } else if (c.name().equals("otherwise")) {
                ctx.attributes(c);
                if (otherwise != null) {
                    ctx.error(c.position(), "<choose> has more than one <otherwise>");
                    ok = false;
                }
                otherwise = ctx.nested("otherwise", () -> ctx.block(c));
                otherwiseAt = c.position();
            }
        }
        if (whenIndex == 0) {
            ctx.error(e.position(), "<choose> needs at least one <when condition=\"@(...)\">");
            ok = false;
        }
        positions.add(otherwiseAt);
        return ok ? new Choose(conditions, branches.toArray(new Block[0]), otherwise == null ? Block.EMPTY : otherwise,
                positions.toArray(new Position[0]), texts.toArray(new String[0])) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        for (int i = 0; i < branches.length; i++) {
            Boolean b = conditions.get(i).get(exchange);
            if (exchange.steps() != null) {
                exchange.steps().condition(positions[i], texts[i], b);
            }
            if (b != null && b) {
                if (exchange.steps() != null) {
                    exchange.steps().step(positions[i], "when", "condition true: this <when> runs"
                            + (branches.length > 1 ? " (" + ordinal(i + 1) + " of " + branches.length + ")" : ""));
                }
                return branches[i].apply(exchange);
            }
        }
        if (exchange.steps() != null) {
            exchange.steps().step(positions[branches.length], otherwise == Block.EMPTY ? "choose" : "otherwise",
                    (branches.length == 1 ? "the <when> condition is not true: " : "no <when> condition is true: ")
                            + (otherwise == Block.EMPTY ? "nothing runs (no <otherwise>)" : "<otherwise> runs"));
        }
        return otherwise.apply(exchange);
    }

    private static String ordinal(int n) {
        return switch (n) {
            case 1 -> "1st";
            case 2 -> "2nd";
            case 3 -> "3rd";
            default -> n + "th";
        };
    }

    @Override
    public Policy withBase(Policy parentSection) {
        Block[] bs = new Block[branches.length];
        for (int i = 0; i < bs.length; i++) {
            bs[i] = branches[i].withBase(parentSection);
        }
        return new Choose(conditions, bs, otherwise.withBase(parentSection), positions, texts);
    }
}
