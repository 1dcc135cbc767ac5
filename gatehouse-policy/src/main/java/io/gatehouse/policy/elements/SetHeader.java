package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
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

    enum Action { OVERRIDE, SKIP, APPEND, DELETE }

    private final Value<String> name;
    private final Action action;
    private final List<Value<String>> values;
    private final Message target;

    private SetHeader(Value<String> name, Action action, List<Value<String>> values, Message target) {
        this.name = name;
        this.action = action;
        this.values = List.copyOf(values);
        this.target = target;
    }

    /** Compiles for a fixed target (return-response passes RESPONSE), or by section when null. */
    static SetHeader compile(XmlElement e, CompileContext ctx, Message forced) {
        NameValues nv = NameValues.compile(e, ctx);
        if (nv == null) {
            return null;
        }
        return new SetHeader(nv.name(), Action.valueOf(nv.action().name()), nv.values(),
                forced != null ? forced : Message.of(ctx.section()));
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Headers h = target.headers(exchange.context());
        String n = name.get(exchange);
        if (n == null || n.isEmpty()) {
            return DONE;
        }
        switch (action) {
            case DELETE -> h.remove(n);
            case SKIP -> {
                if (!h.containsKey(n)) {
                    put(exchange, h, n, false);
                }
            }
            case APPEND -> put(exchange, h, n, true);
            case OVERRIDE -> put(exchange, h, n, false);
        }
        return DONE;
    }

    private void put(Exchange exchange, Headers h, String n, boolean append) {
        if (!append) {
            h.remove(n);
        }
        for (Value<String> v : values) {
            String s = v.get(exchange);
            if (s != null) {
                h.add(n, s);
            }
        }
    }
}
