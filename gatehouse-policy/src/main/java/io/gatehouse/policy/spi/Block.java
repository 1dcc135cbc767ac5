package io.gatehouse.policy.spi;

import io.gatehouse.common.Position;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.PolicySteps;
import io.gatehouse.policy.Scope;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A sequence of policies run in order, as in a section or a {@code <when>}. It stops early once a
 * response was produced ({@code return-response}), resumes after asynchronous policies, and tags
 * failures with the scope, path and id of the failing policy for {@code context.LastError}.
 */
public final class Block implements Policy {
    /**
     * A policy with where it was written: scope, path and id for LastError; its element name,
     * position and the fragment it came from (null outside one) for request traces and
     * {@link Exchange#responder()}.
     */
    public record Item(Policy policy, Scope scope, String path, String policyId, String element, Position at,
                       String fragment) {
        /** Without a position in a file (built-in policies): the element is the path's last segment. */
        public Item(Policy policy, Scope scope, String path, String policyId) {
            this(policy, scope, path, policyId, lastSegment(path), Position.unknown("<built-in>"), null);
        }

        /** The same item running {@code p} instead (after {@code <base/>} was expanded). */
        public Item with(Policy p) {
            return p == policy ? this : new Item(p, scope, path, policyId, element, at, fragment);
        }

        private static String lastSegment(String path) {
            String s = path.substring(path.lastIndexOf('/') + 1);
            int bracket = s.indexOf('[');
            return bracket >= 0 ? s.substring(0, bracket) : s;
        }
    }

    public static final Block EMPTY = new Block(List.of());

    private final Item[] items;

    public Block(List<Item> items) {
        this.items = items.toArray(new Item[0]);
    }

    public List<Item> items() {
        return List.of(items);
    }

    public boolean isEmpty() {
        return items.length == 0;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return run(exchange, 0);
    }

    private CompletionStage<Void> run(Exchange exchange, int from) {
        for (int i = from; i < items.length; i++) {
            if (exchange.isResponded()) {
                return DONE;
            }
            Item item = items[i];
            PolicySteps steps = exchange.steps();
            if (steps != null) {
                steps.policy(item, exchange.section());
            }
            CompletionStage<Void> stage;
            try {
                stage = item.policy.apply(exchange);
            } catch (GatewayException e) {
                exchange.failedAt(item);
                throw e.locate(item.scope, item.path, item.policyId);
            }
            if (stage != DONE) {
                CompletableFuture<Void> f = stage.toCompletableFuture();
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    exchange.respondedBy(item);
                    continue;
                }
                int next = i + 1;
                return stage.handle((v, t) -> {
                    if (t != null) {
                        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                        if (cause instanceof GatewayException g) {
                            exchange.failedAt(item);
                            g.locate(item.scope, item.path, item.policyId);
                        }
                        return CompletableFuture.<Void>failedFuture(cause);
                    }
                    exchange.respondedBy(item);
                    return run(exchange, next);
                }).thenCompose(s -> s);
            }
            exchange.respondedBy(item);
        }
        return DONE;
    }

    @Override
    public Block withBase(Policy parentSection) {
        Item[] out = new Item[items.length];
        boolean changed = false;
        for (int i = 0; i < items.length; i++) {
            Policy p = items[i].policy.withBase(parentSection);
            changed |= p != items[i].policy;
            out[i] = items[i].with(p);
        }
        return changed ? new Block(List.of(out)) : this;
    }
}
