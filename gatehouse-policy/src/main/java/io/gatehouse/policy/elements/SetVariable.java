package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.concurrent.CompletionStage;

/**
 * {@code <set-variable name="x" value="text or @(expression)"/>}: stores a value in
 * {@code context.Variables} for later expressions.
 */
public final class SetVariable implements Policy {
    public static final PolicyType TYPE = new PolicyType("set-variable", PolicyType.ALL, SetVariable::compile);

    private final String name;
    private final Value<Object> value;

    private SetVariable(String name, Value<Object> value) {
        this.name = name;
        this.value = value;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "name", "value");
        ctx.noContent(e);
        String name = a.requiredText("name");
        if (!a.has("value")) {
            a.missing("value");
            return null;
        }
        Value<Object> v = ctx.value(a.raw("value"), Object.class, "set-variable", t -> t);
        if (name != null && name.isBlank()) {
            ctx.error(a.position("name"), "<set-variable> name is empty");
            return null;
        }
        return name == null || v == null ? null : new SetVariable(name, v);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Object v = value.get(exchange);
        exchange.context().variables().set(name, v);
        if (exchange.steps() != null) {
            exchange.steps().variable(name, v);
        }
        return DONE;
    }
}
