package io.gatehouse.policy.elements;

import io.gatehouse.policy.spi.Block;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.xml.XmlElement;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code <include-fragment fragment-id="..."/>}: the fragment's policies, compiled in place at
 * load (so they must suit the including section). Fragments may include fragments; a cycle is an
 * error naming the chain.
 */
public final class IncludeFragment {
    public static final PolicyType TYPE = new PolicyType("include-fragment", PolicyType.ALL, IncludeFragment::compile);

    private IncludeFragment() {
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        String id = ctx.attributes(e, "fragment-id").requiredText("fragment-id");
        ctx.noContent(e);
        if (id == null) {
            return null;
        }
        if (ctx.fragmentStack().contains(id)) {
            List<String> chain = new ArrayList<>(ctx.fragmentStack().subList(ctx.fragmentStack().indexOf(id), ctx.fragmentStack().size()));
            chain.add(id);
            ctx.error(e.position(), "fragment cycle: " + String.join(" -> ", chain));
            return null;
        }
        XmlElement root = ctx.fragments().fragment(id, ctx.diagnostics());
        if (root == null) {
            String msg = "unknown fragment '" + id + "'" + Suggest.hint(id, ctx.environment().fragmentIds());
            if (ctx.environment().lenientReferences()) {
                ctx.warning(e.position(), msg);
            } else {
                ctx.error(e.position(), msg);
            }
            return null;
        }
        Block b = ctx.forFragment(id).block(root);
        return b;
    }
}
