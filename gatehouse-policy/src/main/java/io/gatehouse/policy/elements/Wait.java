package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code <wait for="all|any">} with {@code send-request}, {@code cache-lookup-value} and
 * {@code choose} children: runs them at the same time and goes on when all of them (or the first
 * one) finished. The {@code send-request} calls are all started first and their responses stored
 * in their variables on one thread once the wait is over, so the request's context is never
 * changed by two threads at once; the other children run on the calling thread meanwhile.
 *
 * <p>{@code for="any"} accepts only {@code send-request} children: the responses that arrived by
 * the time the first one did are stored, later ones are dropped (Gatehouse never changes a
 * request's context after the pipeline moved on). Allowed in every section.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/wait-policy">APIM wait</a>
 */
public final class Wait implements Policy {
    public static final PolicyType TYPE = new PolicyType("wait", PolicyType.ALL, Wait::compile);
    private static final Set<String> CHILDREN = Set.of("send-request", "cache-lookup-value", "choose");

    private final Block.Item[] items;
    private final boolean any;

    private Wait(List<Block.Item> items, boolean any) {
        this.items = items.toArray(new Block.Item[0]);
        this.any = any;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "for");
        boolean any = a.choice("for", "all", "all", "any").equals("any");
        boolean ok = true;
        for (XmlElement c : e.elements()) {
            if (!CHILDREN.contains(c.name()) || (any && !c.name().equals("send-request"))) {
                ctx.error(c.position(), "<" + c.name() + "> is not allowed inside <wait" + (any ? " for=\"any\"" : "")
                        + ">; expected: " + (any ? "<send-request>" : "<send-request>, <cache-lookup-value> or <choose>"));
                ok = false;
            }
        }
        Block body = ctx.block(e);
        if (!ok) {
            return null;
        }
        if (body.isEmpty()) {
            ctx.error(e.position(), "<wait> needs at least one <send-request>, <cache-lookup-value> or <choose>");
            return null;
        }
        return new Wait(body.items(), any);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        int n = items.length;
        Object[] results = new Object[n];
        boolean[] arrived = new boolean[n];
        List<CompletableFuture<?>> stages = new ArrayList<>(n);
        // start every call first: their values are evaluated here, against the context as it is now
        for (int i = 0; i < n; i++) {
            if (items[i].policy() instanceof SendRequest s) {
                int index = i;
                Block.Item item = items[i];
                CompletionStage<Object> f;
                if (exchange.steps() != null) {
                    exchange.steps().policy(item, exchange.section());
                }
                try {
                    f = s.fetch(exchange);
                } catch (GatewayException g) {
                    throw g.locate(item.scope(), item.path(), item.policyId());
                }
                stages.add(f.toCompletableFuture().handle((r, t) -> {
                    if (t != null) {
                        throw new CompletionException(locate(t, item));
                    }
                    synchronized (results) {
                        results[index] = r;
                        arrived[index] = true;
                    }
                    return null;
                }));
            }
        }
        for (Block.Item item : items) {
            if (!(item.policy() instanceof SendRequest)) {
                CompletionStage<Void> st;
                if (exchange.steps() != null) {
                    exchange.steps().policy(item, exchange.section());
                }
                try {
                    st = item.policy().apply(exchange);
                } catch (GatewayException g) {
                    throw g.locate(item.scope(), item.path(), item.policyId());
                }
                stages.add(st.toCompletableFuture().handle((v, t) -> {
                    if (t != null) {
                        throw new CompletionException(locate(t, item));
                    }
                    return null;
                }));
            }
        }
        CompletableFuture<?>[] all = stages.toArray(new CompletableFuture[0]);
        CompletableFuture<?> done = any ? CompletableFuture.anyOf(all) : CompletableFuture.allOf(all);
        return done.thenRun(() -> {
            synchronized (results) {
                for (int i = 0; i < n; i++) {
                    if (arrived[i] && items[i].policy() instanceof SendRequest s) {
                        s.store(exchange, results[i]);
                    }
                }
                // for "any": responses arriving from now on are dropped
                java.util.Arrays.fill(arrived, false);
            }
        });
    }

    private static Throwable locate(Throwable t, Block.Item item) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof GatewayException g) {
            return g.locate(item.scope(), item.path(), item.policyId());
        }
        return c;
    }

    @Override
    public Policy withBase(Policy parentSection) {
        List<Block.Item> out = new ArrayList<>(items.length);
        boolean changed = false;
        for (Block.Item i : items) {
            Policy p = i.policy().withBase(parentSection);
            changed |= p != i.policy();
            out.add(i.with(p));
        }
        return changed ? new Wait(out, any) : this;
    }
}
