package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * {@code <set-query-parameter name="..." exists-action="override|skip|append|delete"><value>...</value></set-query-parameter>}:
 * changes a query parameter of {@code context.Request.Url}, which is what {@code forward-request}
 * sends. Several {@code <value>}s give a repeated parameter; a value that evaluates to null is left out.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/set-query-parameter-policy">APIM set-query-parameter</a>
 */
public final class SetQueryParameter implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-query-parameter", EnumSet.of(Section.INBOUND, Section.BACKEND),
            SetQueryParameter::compile);

    enum Action { OVERRIDE, SKIP, APPEND, DELETE }

    private final Value<String> name;
    private final Action action;
    private final List<Value<String>> values;

    private SetQueryParameter(Value<String> name, Action action, List<Value<String>> values) {
        this.name = name;
        this.action = action;
        this.values = List.copyOf(values);
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        NameValues nv = NameValues.compile(e, ctx);
        if (nv == null) {
            return null;
        }
        return new SetQueryParameter(nv.name(), Action.valueOf(nv.action().name()), nv.values());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Url url = exchange.context().request().url();
        String n = name.get(exchange);
        if (url == null || n == null || n.isEmpty()) {
            return DONE;
        }
        Map<String, List<String>> query = url.query();
        switch (action) {
            case DELETE -> query.remove(n);
            case SKIP -> {
                if (!query.containsKey(n)) {
                    put(exchange, query, n, false);
                }
            }
            case APPEND -> put(exchange, query, n, true);
            case OVERRIDE -> put(exchange, query, n, false);
        }
        return DONE;
    }

    private void put(Exchange exchange, Map<String, List<String>> query, String n, boolean append) {
        List<String> out = append && query.containsKey(n) ? new ArrayList<>(query.get(n)) : new ArrayList<>();
        for (Value<String> v : values) {
            String s = v.get(exchange);
            if (s != null) {
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            query.remove(n);
        } else {
            query.put(n, out);
        }
    }
}
