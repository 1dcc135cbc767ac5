package io.gatehouse.policy;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.LastError;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.Policy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The composed policy for one operation: inbound, backend, outbound, and on-error for failures.
 * Immutable and shared by all requests; {@link #execute} runs it for one request.
 */
public final class EffectivePolicy {
    private static final Section[] MAIN = {Section.INBOUND, Section.BACKEND, Section.OUTBOUND};

    private final Block[] sections;
    private final boolean readsRequestBody;
    private final boolean readsResponseBody;
    private final boolean forwardsOnly;
    private final boolean handlesErrors;

    EffectivePolicy(Block[] sections, boolean readsRequestBody, boolean readsResponseBody) {
        this.sections = sections.clone();
        this.readsRequestBody = readsRequestBody;
        this.readsResponseBody = readsResponseBody;
        this.forwardsOnly = computeForwardsOnly();
        List<Policy> onError = new java.util.ArrayList<>();
        flatten(section(Section.ON_ERROR), onError);
        this.handlesErrors = !onError.isEmpty();
    }

    /**
     * True when nothing can look at the backend's answer: no outbound or on-error policies, and a
     * backend section that is one plain {@code forward-request} (no redirects to follow, no error
     * raised on a 4xx/5xx). The gateway may then hand the forward to its plain streaming path.
     * Decided once, when the policy is composed.
     */
    public boolean forwardsOnly() {
        return forwardsOnly;
    }

    private boolean computeForwardsOnly() {
        List<Policy> backend = new java.util.ArrayList<>();
        flatten(section(Section.BACKEND), backend);
        List<Policy> after = new java.util.ArrayList<>();
        flatten(section(Section.OUTBOUND), after);
        flatten(section(Section.ON_ERROR), after);
        return after.isEmpty() && backend.size() == 1
                && backend.get(0) instanceof io.gatehouse.policy.elements.ForwardRequest f
                && !f.settings().followRedirects() && !f.settings().failOnErrorStatusCode();
    }

    /** The policies of a block with {@code <base/>} expanded (an empty parent expands to nothing). */
    private static void flatten(Policy p, List<Policy> out) {
        if (p instanceof Block b) {
            for (Block.Item item : b.items()) {
                flatten(item.policy(), out);
            }
        } else if (p != null && !(p instanceof io.gatehouse.policy.elements.Base)) {
            out.add(p);
        }
    }

    /** True if an expression reads {@code context.Request.Body}: the gateway must buffer the request body. */
    public boolean readsRequestBody() {
        return readsRequestBody;
    }

    /** True if an expression reads {@code context.Response.Body}: the gateway must buffer the response body. */
    public boolean readsResponseBody() {
        return readsResponseBody;
    }

    /** The composed section (for tests and {@code gatehouse explain}). */
    public Block section(Section s) {
        return sections[s.ordinal()];
    }

    /**
     * Runs the policies for one request: inbound, then backend (where {@code forward-request}
     * calls {@code forwarder}), then outbound; {@code return-response} ends early. Any failure
     * sets {@code context.LastError}, prepares the APIM-style error response
     * ({@code {"statusCode": 401, "message": "..."}}) and runs on-error, which may change it.
     *
     * <p>The stage never completes exceptionally: when it completes, {@code context.Response} holds
     * the answer, unless a forward happened and no policy changed it, in which case it holds the
     * backend's. Synchronous pipelines return an already completed stage. Last, the
     * {@link Exchange#onResponse} hooks run on that response.
     */
    public CompletionStage<Void> execute(Exchange exchange, Forwarder forwarder) {
        CompletionStage<Void> s = executeSections(exchange, forwarder);
        if (s == Policy.DONE) {
            exchange.runResponseHooks();
            return s;
        }
        return s.thenRun(exchange::runResponseHooks);
    }

    /**
     * Runs on-error alone, for a step the gateway runs before the policies that failed (APIM's
     * "predefined errors for built-in steps": a missing or invalid subscription key): LastError is
     * {@code failure} and the response its error response, which on-error may change or replace,
     * as after a policy's failure in inbound. Then the {@link Exchange#onResponse} hooks run.
     */
    public CompletionStage<Void> executeOnError(Exchange exchange, GatewayException failure) {
        exchange.section(Section.INBOUND);
        CompletionStage<Void> s = onError(exchange, failure);
        if (s == Policy.DONE) {
            exchange.runResponseHooks();
            return s;
        }
        return s.thenRun(exchange::runResponseHooks);
    }

    /**
     * Whether on-error holds a policy once {@code <base/>} is expanded (APIM's template's
     * {@code <on-error><base /></on-error>} over empty parents holds none).
     */
    public boolean handlesErrors() {
        return handlesErrors;
    }

    private CompletionStage<Void> executeSections(Exchange exchange, Forwarder forwarder) {
        exchange.forwarder(forwarder);
        CompletionStage<Void> s;
        try {
            s = run(exchange, 0);
        } catch (Throwable t) {
            return onError(exchange, t);
        }
        if (s == Policy.DONE) {
            return s;
        }
        return s.handle((v, t) -> t == null ? Policy.DONE : onError(exchange, t)).thenCompose(x -> x);
    }

    private CompletionStage<Void> run(Exchange exchange, int from) {
        for (int i = from; i < MAIN.length; i++) {
            if (exchange.isResponded()) {
                return Policy.DONE;
            }
            Section section = MAIN[i];
            exchange.section(section);
            CompletionStage<Void> stage = sections[section.ordinal()].apply(exchange);
            if (stage != Policy.DONE) {
                CompletableFuture<Void> f = stage.toCompletableFuture();
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    continue;
                }
                int next = i + 1;
                return stage.thenCompose(v -> run(exchange, next));
            }
        }
        return Policy.DONE;
    }

    private CompletionStage<Void> onError(Exchange exchange, Throwable t) {
        GatewayException g = asGatewayException(t);
        g.inSection(exchange.section());
        exchange.failure(g);
        if (exchange.steps() != null) {
            exchange.steps().failed(g);
        }
        exchange.trace(new TraceEntry(g.source(), "error", g.reason() + ": " + g.getMessage(), Map.of()));
        exchange.context().lastError(new LastError(g.source(), g.reason(), g.lastErrorMessage(),
                g.scope() == null ? "" : g.scope().label(),
                g.section() == null ? "" : g.section().element(),
                g.path() == null ? "" : g.path(),
                g.policyId() == null ? "" : g.policyId()));
        errorResponse(exchange.context().response(), g.status(), g.publicMessage());
        if (g instanceof io.gatehouse.policy.elements.PolicyRejection r) {
            r.responseHeaders().forEach(exchange.context().response().headers()::set); // e.g. Retry-After on a 429
            if (r.jsonBody() != null) { // e.g. GraphQL's {"errors": [...]} from validate-graphql-request
                exchange.context().response().body(MessageBody.ofString(r.jsonBody(), "application/json"));
            }
        }
        exchange.clearResponded();
        exchange.section(Section.ON_ERROR);
        Block onError = sections[Section.ON_ERROR.ordinal()];
        if (onError.isEmpty()) {
            return Policy.DONE;
        }
        CompletionStage<Void> s;
        try {
            s = onError.apply(exchange);
        } catch (Throwable inner) {
            return onErrorFailed(exchange, inner);
        }
        if (s == Policy.DONE) {
            return s;
        }
        return s.handle((v, inner) -> {
            if (inner != null) {
                onErrorFailed(exchange, inner);
            }
            return (Void) null;
        });
    }

    /** on-error itself failed: answer 500 and keep the first failure as LastError. */
    private static CompletionStage<Void> onErrorFailed(Exchange exchange, Throwable inner) {
        GatewayException g = asGatewayException(inner);
        exchange.trace(new TraceEntry(g.source(), "error", "on-error failed: " + g.reason() + ": " + g.getMessage(), Map.of()));
        errorResponse(exchange.context().response(), 500, GatewayException.publicMessage(500));
        exchange.markResponded();
        return Policy.DONE;
    }

    static GatewayException asGatewayException(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof GatewayException g) {
            return g;
        }
        return new GatewayException(500, "gateway", "InternalError", "unexpected " + c, c);
    }

    /** Replaces the response with APIM's small JSON error body: status and a public message, nothing internal. */
    static void errorResponse(Response response, int status, String message) {
        Headers h = response.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        h.set("Content-Type", "application/json");
        response.statusCode(status).statusReason(reasonPhrase(status));
        response.body(MessageBody.ofString("{\"statusCode\": " + status + ", \"message\": " + io.gatehouse.expr.lib.Json.quoted(message) + "}",
                "application/json"));
    }

    static String reasonPhrase(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 413 -> "Payload Too Large";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "";
        };
    }

}
