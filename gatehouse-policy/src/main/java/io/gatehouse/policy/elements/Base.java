package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.concurrent.CompletionStage;

/**
 * {@code <base/>}: where the enclosing scope's section runs. Replaced by that section when scopes
 * are composed; at the outermost scope it stands for APIM's default policy.
 */
public final class Base implements Policy {
    public static final PolicyType TYPE = new PolicyType("base", PolicyType.ALL, Base::compile);
    private static final Base INSTANCE = new Base();

    private Base() {
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        ctx.noContent(e);
        return ctx.noteBase(e.position()) ? INSTANCE : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return DONE;
    }

    @Override
    public Policy withBase(Policy parentSection) {
        return parentSection;
    }
}
