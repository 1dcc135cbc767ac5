package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.TraceEntry;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.MetricSink;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <llm-emit-token-metric [namespace="API Management"]>} (and {@code azure-openai-emit-token-metric})
 * with one to five {@code <dimension name="..." [value="..."]/>}: when the backend's response has
 * passed, records the call's tokens as three metrics, {@code Prompt Tokens},
 * {@code Completion Tokens} and {@code Total Tokens}, in the namespace, with the dimensions. APIM
 * sends them to Application Insights; Gatehouse records them where {@code emit-metric} does (the
 * gateway's Prometheus registry, on the admin port's {@code /metrics}), so namespace
 * {@code "API Management"} gives {@code api_management_total_tokens_sum} and {@code _count}, with
 * one label per dimension. Dimensions are as emit-metric's (the default ones may leave out their
 * value).
 *
 * <p>Tokens come from the response's {@code usage} (JSON, or the usage chunk of an event stream,
 * read as it passes). For a request with {@code "stream": true} whose stream reports no usage, the
 * prompt is estimated from the request and the completion from the streamed text, as APIM
 * estimates streamed calls. A call whose tokens are unknown (an error, a body without usage)
 * records nothing.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/llm-emit-token-metric-policy">APIM llm-emit-token-metric</a>
 */
public final class LlmEmitTokenMetric implements Policy {
    public static final PolicyType TYPE = new PolicyType("llm-emit-token-metric", EnumSet.of(Section.INBOUND),
            (e, ctx) -> compile("llm-emit-token-metric", e, ctx));
    public static final PolicyType AZURE_OPENAI_TYPE = new PolicyType("azure-openai-emit-token-metric", EnumSet.of(Section.INBOUND),
            (e, ctx) -> compile("azure-openai-emit-token-metric", e, ctx));

    /** APIM's limit of custom dimensions for the token metric policies. */
    static final int MAX_DIMENSIONS = 5;

    private final String source;
    private final String namespace;
    private final List<EmitMetric.Dimension> dimensions;
    private final LlmTokens.Tokenizer tokenizer;
    private final MetricSink sink;

    private LlmEmitTokenMetric(String source, String namespace, List<EmitMetric.Dimension> dimensions, LlmTokens.Tokenizer tokenizer,
                               MetricSink sink) {
        this.source = source;
        this.namespace = namespace;
        this.dimensions = List.copyOf(dimensions);
        this.tokenizer = tokenizer;
        this.sink = sink;
    }

    private static Policy compile(String name, XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "namespace");
        ctx.onlyChildren(e, "dimension");
        long errors = ctx.diagnostics().errorCount();
        String namespace = a.text("namespace", "API Management");
        List<EmitMetric.Dimension> dims = EmitMetric.readDimensions(e, ctx, MAX_DIMENSIONS);
        if (ctx.diagnostics().errorCount() > errors) {
            return null;
        }
        ctx.readsBody(true, false); // "stream": true in the request: its tokens are estimated
        LlmTokens.Tokenizer tokenizer;
        try {
            tokenizer = LlmTokens.Tokenizer.load();
        } catch (RuntimeException | LinkageError x) {
            ctx.error(e.position(), "<" + name + ">: the tokenizer's encodings (cl100k_base, o200k_base) could not be loaded: " + x);
            return null;
        }
        return new LlmEmitTokenMetric(name, namespace, dims, tokenizer, ctx.environment().metricSink());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        // only a streamed call is estimated (prompt() does for "stream": true); anything else is counted from its usage
        return LlmTokens.withPrompt(LlmTokens.bytes(exchange.context().request().body()), false, tokenizer,
                prompt -> exchange.onResponse(r -> response(exchange, r, prompt)));
    }

    private void response(Exchange exchange, Response r, LlmTokens.Prompt prompt) {
        if (exchange.failure() != null || r.statusCode() >= 400 || r.body() == null) {
            return;
        }
        Map<String, String> dims = EmitMetric.dimensionValues(exchange, dimensions);
        MetricSink target = exchange.metricSink() != null ? exchange.metricSink() : sink;
        MessageBody body = r.body();
        if (exchange.isStreamedResponseBody(body)) {
            exchange.tapResponseBody(LlmTokens.tap(body.contentType(), tokenizer, prompt.model(), u -> emit(exchange, target, u, prompt, dims)));
            return;
        }
        emit(exchange, target, LlmTokens.usage(body.bytes(), body.contentType(), tokenizer, prompt.model()), prompt, dims);
    }

    private void emit(Exchange exchange, MetricSink target, LlmTokens.Usage reported, LlmTokens.Prompt prompt, Map<String, String> dims) {
        LlmTokens.Usage u = prompt.stream() ? reported.withPromptEstimate(prompt.estimate()) : reported;
        if (!u.known()) {
            return;
        }
        try {
            if (u.prompt() >= 0) {
                target.emit(namespace, "Prompt Tokens", u.prompt(), dims);
            }
            if (u.completion() >= 0) {
                target.emit(namespace, "Completion Tokens", u.completion(), dims);
            }
            target.emit(namespace, "Total Tokens", u.totalOr(0), dims);
        } catch (RuntimeException e) {
            exchange.trace(new TraceEntry(source, "error", "metric sink failed: " + e, Map.of()));
        }
    }
}
