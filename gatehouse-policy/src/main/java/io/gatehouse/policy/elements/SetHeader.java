package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-header name="..." exists-action="override|skip|append|delete"><value>...</value></set-header>}:
 * changes a header of the request (inbound, backend) or the response (outbound, on-error,
 * return-response). Several {@code <value>} elements give a multi-valued header; a value that
 * evaluates to null is left out.
 */
public final class SetHeader implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-header", PolicyType.ALL, (e, ctx) -> compile(e, ctx, null));

    private final NameValues header;
    private final Message target;

    private SetHeader(NameValues header, Message target) {
        this.header = header;
        this.target = target;
    }

    /** Compiles for a fixed target (return-response passes RESPONSE), or by section when null. */
    static SetHeader compile(XmlElement e, CompileContext ctx, Message forced) {
        NameValues nv = NameValues.compile(e, ctx);
        if (nv == null) {
            return null;
        }
        return new SetHeader(nv, forced != null ? forced : Message.of(ctx.section()));
    }

    /**
     * Compiles a {@code <set-header>} that changes a request other than the context's (the one
     * {@code send-request} builds): the same checks as everywhere; apply it with {@link #applyTo}.
     */
    public static SetHeader compileDetached(XmlElement e, CompileContext ctx) {
        return compile(e, ctx, Message.REQUEST);
    }

    /** Changes {@code headers}, the values evaluated against {@code exchange}'s context. */
    public void applyTo(io.gatehouse.expr.context.Headers headers, Exchange exchange) {
        header.applyTo(headers, exchange);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        io.gatehouse.expr.context.Headers h = target.headers(exchange.context());
        if (exchange.steps() == null) {
            header.applyTo(h, exchange);
            return DONE;
        }
        String name = header.applyTo(h, exchange);
        if (name != null) {
            String[] now = h.values(name);
            exchange.steps().header(target.name().toLowerCase(java.util.Locale.ROOT), name,
                    header.action().name().toLowerCase(java.util.Locale.ROOT), now == null ? List.of() : List.of(now));
        }
        return DONE;
    }
}
