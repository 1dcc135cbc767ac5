package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.xml.XmlElement;

import java.util.LinkedHashMap;
import java.util.Map;

/** What rate-limit, rate-limit-by-key, quota and quota-by-key share: counter keys and the header/variable options. */
final class Limits {
    private Limits() {
    }

    /**
     * Runs {@code then} with the store's answer: at once when it is already there (the in-memory
     * store: nothing new on that path), else when it arrives. What {@code then} throws (a 429)
     * fails the returned stage, as it would have failed the policy.
     */
    static <T> java.util.concurrent.CompletionStage<Void> then(java.util.concurrent.CompletionStage<T> answer,
                                                               java.util.function.Consumer<T> then) {
        java.util.concurrent.CompletableFuture<T> f = answer.toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            then.accept(f.getNow(null));
            return io.gatehouse.policy.spi.Policy.DONE;
        }
        return f.thenAccept(then);
    }

    /** {@code next} once {@code first} has completed normally: at once when it already has. */
    static java.util.concurrent.CompletionStage<Void> andThen(java.util.concurrent.CompletionStage<Void> first,
                                                              java.util.function.Supplier<java.util.concurrent.CompletionStage<Void>> next) {
        java.util.concurrent.CompletableFuture<Void> f = first.toCompletableFuture();
        if (f.isDone() && !f.isCompletedExceptionally()) {
            return next.get();
        }
        return f.thenCompose(v -> next.get());
    }

    /**
     * Stages started together (each a round trip to a shared store), as one: complete when all
     * are, failed as the first of them in the list's order that failed (where running them one
     * after another would have stopped). DONE when all have already succeeded.
     */
    static java.util.concurrent.CompletionStage<Void> together(java.util.List<java.util.concurrent.CompletionStage<Void>> started) {
        java.util.concurrent.CompletableFuture<?>[] all = new java.util.concurrent.CompletableFuture<?>[started.size()];
        boolean done = true;
        for (int i = 0; i < all.length; i++) {
            all[i] = started.get(i).toCompletableFuture();
            done &= all[i].isDone();
        }
        if (done) {
            return firstFailure(started);
        }
        return java.util.concurrent.CompletableFuture.allOf(all).handle((v, t) -> null).thenCompose(x -> firstFailure(started));
    }

    private static java.util.concurrent.CompletionStage<Void> firstFailure(java.util.List<java.util.concurrent.CompletionStage<Void>> done) {
        for (java.util.concurrent.CompletionStage<Void> s : done) {
            if (s.toCompletableFuture().isCompletedExceptionally()) {
                return s;
            }
        }
        return io.gatehouse.policy.spi.Policy.DONE;
    }

    /** {@code stage} with its outcome ignored (a store logs its own failures): DONE when already complete. */
    static java.util.concurrent.CompletionStage<Void> settled(java.util.concurrent.CompletionStage<?> stage) {
        java.util.concurrent.CompletableFuture<?> f = stage.toCompletableFuture();
        if (f.isDone()) {
            return io.gatehouse.policy.spi.Policy.DONE;
        }
        return f.handle((v, t) -> null);
    }

    /**
     * Where a policy without counter-key counts: per place in the configuration (scope, section,
     * path), per API below global scope, per operation at operation scope, and per subscription
     * once Gatehouse has them.
     */
    record Location(String prefix, Scope scope) {
        static Location of(String kind, CompileContext ctx) {
            return new Location(kind + "|" + ctx.scope().label() + "|" + ctx.section().element() + "|" + ctx.path(), ctx.scope());
        }

        String key(PolicyContext c) {
            StringBuilder sb = new StringBuilder(prefix);
            if (scope != Scope.GLOBAL && c.api() != null) {
                sb.append("|api=").append(c.api().id());
            }
            if (scope == Scope.OPERATION && c.operation() != null) {
                sb.append("|op=").append(c.operation().id());
            }
            if (c.subscription() != null) {
                sb.append("|sub=").append(c.subscription().id());
            }
            return sb.toString();
        }
    }

    /** The optional header and variable names of rate-limit and rate-limit-by-key. */
    record Reporting(String retryAfterHeader, String retryAfterVariable, String remainingHeader, String remainingVariable,
                     String totalHeader) {
        static final String[] ATTRIBUTES = {"retry-after-header-name", "retry-after-variable-name", "remaining-calls-header-name",
                "remaining-calls-variable-name", "total-calls-header-name"};

        static Reporting read(Attributes a) {
            return new Reporting(a.text("retry-after-header-name", "Retry-After"), a.text("retry-after-variable-name", null),
                    a.text("remaining-calls-header-name", null), a.text("remaining-calls-variable-name", null),
                    a.text("total-calls-header-name", null));
        }

        /**
         * A call was counted: remaining calls into the variable, and the headers onto whatever response
         * leaves (unless that response already has them, as a later rate-limit's 429 does).
         */
        void allowed(Exchange exchange, long limit, long count) {
            long remaining = Math.max(0, limit - count);
            if (remainingVariable != null) {
                exchange.context().variables().set(remainingVariable, (int) Math.min(Integer.MAX_VALUE, remaining));
            }
            if (remainingHeader != null || totalHeader != null) {
                exchange.onResponse(r -> {
                    if (remainingHeader != null && !r.headers().containsKey(remainingHeader)) {
                        r.headers().set(remainingHeader, Long.toString(remaining));
                    }
                    if (totalHeader != null && !r.headers().containsKey(totalHeader)) {
                        r.headers().set(totalHeader, Long.toString(limit));
                    }
                });
            }
        }

        /** The call is refused: variables set, and the headers the 429 should carry. */
        Map<String, String> refused(Exchange exchange, long limit, long retryAfter) {
            if (retryAfterVariable != null) {
                exchange.context().variables().set(retryAfterVariable, (int) Math.min(Integer.MAX_VALUE, retryAfter));
            }
            if (remainingVariable != null) {
                exchange.context().variables().set(remainingVariable, 0);
            }
            Map<String, String> h = new LinkedHashMap<>();
            h.put(retryAfterHeader == null ? "Retry-After" : retryAfterHeader, Long.toString(retryAfter));
            if (remainingHeader != null) {
                h.put(remainingHeader, "0");
            }
            if (totalHeader != null) {
                h.put(totalHeader, Long.toString(limit));
            }
            return h;
        }
    }

    /**
     * A limit of an {@code <api>} child of rate-limit or quota, or of an {@code <operation>} inside
     * one: it applies only to requests of that API (and operation), matched by id when the element
     * gives one (case-insensitive, as APIM's resource ids), else by name, and counts in a counter of
     * its own (per subscription once Gatehouse has them), in addition to the policy's own limit.
     *
     * @param what  how the messages name it, such as {@code <api id="orders">/<operation name="get">}
     * @param label the part of its counter key that tells it from the other children
     */
    record Child<L>(String apiId, String apiName, String operationId, String operationName, L limit, String what, String label) {
        boolean matches(PolicyContext c) {
            if (c.api() == null || !same(apiId, apiName, c.api().id(), c.api().name())) {
                return false;
            }
            if (operationId == null && operationName == null) {
                return true;
            }
            return c.operation() != null && same(operationId, operationName, c.operation().id(), c.operation().name());
        }

        private static boolean same(String id, String name, String actualId, String actualName) {
            return id != null ? id.equalsIgnoreCase(actualId) : name.equals(actualName);
        }

        /** This child's counter key for the request: the policy's place, the child, and the subscription. */
        String key(Location at, PolicyContext c) {
            StringBuilder sb = new StringBuilder(at.prefix()).append('|').append(label);
            if (c.subscription() != null) {
                sb.append("|sub=").append(c.subscription().id());
            }
            return sb.toString();
        }
    }

    /** Reads one child's limit from its attributes (reporting problems); null when broken. */
    interface ChildLimit<L> {
        L read(Attributes a);
    }

    /**
     * The {@code <api>} children of rate-limit or quota {@code e} with their {@code <operation>}
     * children, each with the limit {@code reader} reads from the attributes {@code limitAttributes}.
     * Returns null after reporting when one is broken.
     */
    static <L> java.util.List<Child<L>> children(XmlElement e, CompileContext ctx, ChildLimit<L> reader, String... limitAttributes) {
        long errors = ctx.diagnostics().errorCount();
        java.util.List<Child<L>> out = new java.util.ArrayList<>();
        for (XmlElement api : e.elements()) {
            if (api.name().equals("operation")) {
                ctx.error(api.position(), "<operation> limits of <" + e.name() + "> go inside the <api> they belong to"
                        + " (expected: <api name=\"...\" ...><operation name=\"...\" .../></api>)");
                continue;
            }
            if (!api.name().equals("api")) {
                ctx.error(api.position(), "unexpected <" + api.name() + "> inside <" + e.name() + "> (expected: <api>)");
                continue;
            }
            Attributes a = ctx.attributes(api, concat(limitAttributes));
            String[] ids = reference(api, a, ctx);
            if (ids == null) {
                continue;
            }
            L limit = reader.read(a);
            String apiWhat = "<api " + (ids[0] != null ? "id=\"" + ids[0] : "name=\"" + ids[1]) + "\">";
            String apiLabel = ids[0] != null ? "api-id=" + ids[0].toLowerCase(java.util.Locale.ROOT) : "api-name=" + ids[1];
            if (limit != null) {
                out.add(new Child<>(ids[0], ids[1], null, null, limit, apiWhat, apiLabel));
            }
            for (XmlElement op : api.elements()) {
                if (!op.name().equals("operation")) {
                    ctx.error(op.position(), "unexpected <" + op.name() + "> inside <api> of <" + e.name() + "> (expected: <operation>)");
                    continue;
                }
                ctx.noContent(op);
                Attributes oa = ctx.attributes(op, concat(limitAttributes));
                String[] opIds = reference(op, oa, ctx);
                if (opIds == null) {
                    continue;
                }
                L opLimit = reader.read(oa);
                if (opLimit != null) {
                    out.add(new Child<>(ids[0], ids[1], opIds[0], opIds[1], opLimit,
                            apiWhat + "/<operation " + (opIds[0] != null ? "id=\"" + opIds[0] : "name=\"" + opIds[1]) + "\">",
                            apiLabel + "|" + (opIds[0] != null ? "op-id=" + opIds[0].toLowerCase(java.util.Locale.ROOT) : "op-name=" + opIds[1])));
                }
            }
        }
        return ctx.diagnostics().errorCount() > errors ? null : out;
    }

    private static String[] concat(String... limitAttributes) {
        String[] all = new String[limitAttributes.length + 2];
        all[0] = "name";
        all[1] = "id";
        System.arraycopy(limitAttributes, 0, all, 2, limitAttributes.length);
        return all;
    }

    /** {id, name} of an api or operation child (id wins when both are given, as APIM says); null after reporting neither. */
    private static String[] reference(XmlElement c, Attributes a, CompileContext ctx) {
        String id = a.text("id", null);
        String name = a.text("name", null);
        if ((id == null || id.isBlank()) && (name == null || name.isBlank())) {
            ctx.error(c.position(), "<" + c.name() + "> needs 'id' or 'name' (expected: which " + (c.name().equals("api") ? "API" : "operation")
                    + " the limit is for)");
            return null;
        }
        return new String[] {id == null || id.isBlank() ? null : id.strip(), id == null || id.isBlank() ? name.strip() : null};
    }

    private static final java.util.regex.Pattern RESPONSE = java.util.regex.Pattern.compile("\\bcontext\\s*\\.\\s*Response\\b");

    /**
     * True if {@code v} is an expression that reads {@code context.Response} (found in its source
     * text), so it means something only once the response is known.
     */
    static boolean readsResponse(io.gatehouse.policy.spi.Value<?> v) {
        return v != null && v.expression() != null && RESPONSE.matcher(v.expression().source()).find();
    }

    /** "d.hh:mm:ss" like .NET's TimeSpan, for APIM's quota messages. */
    static String timeSpan(long seconds) {
        long d = seconds / 86400;
        long h = seconds % 86400 / 3600;
        long m = seconds % 3600 / 60;
        long s = seconds % 60;
        return (d > 0 ? d + "." : "") + String.format("%02d:%02d:%02d", h, m, s);
    }
}
