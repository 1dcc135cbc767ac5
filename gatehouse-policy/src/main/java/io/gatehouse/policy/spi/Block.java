package io.gatehouse.policy.spi;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
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
    /** A policy with where it was written, for LastError. */
    public record Item(Policy policy, Scope scope, String path, String policyId) {
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
            CompletionStage<Void> stage;
            try {
                stage = item.policy.apply(exchange);
            } catch (GatewayException e) {
                throw e.locate(item.scope, item.path, item.policyId);
            }
            if (stage != DONE) {
                CompletableFuture<Void> f = stage.toCompletableFuture();
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    continue;
                }
                int next = i + 1;
                return stage.handle((v, t) -> {
                    if (t != null) {
                        Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
                        if (cause instanceof GatewayException g) {
                            g.locate(item.scope, item.path, item.policyId);
                        }
                        return CompletableFuture.<Void>failedFuture(cause);
                    }
                    return run(exchange, next);
                }).thenCompose(s -> s);
            }
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
            out[i] = p == items[i].policy ? items[i] : new Item(p, items[i].scope, items[i].path, items[i].policyId);
        }
        return changed ? new Block(List.of(out)) : this;
    }
}
