package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;

import java.util.List;

/** Test helpers for single policies: compile a document, run it, read the diagnostics. */
final class Policies {
    static final PolicyEngine ENGINE = new PolicyEngine(PolicyEnvironment.builder()
            .outboundHttp(io.gatehouse.policy.TestOutboundHttp.INSTANCE)
            .namedValue("basic-password", "S3cret-pw")
            .namedValue("partner-ip", "10.1.2.3")
            .build());

    private Policies() {
    }

    static EffectivePolicy compile(String xml) {
        return Harness.compile(ENGINE, xml);
    }

    /** Compiles {@code <policies><inbound>inner</inbound></policies>}. */
    static EffectivePolicy inbound(String inner) {
        return compile("<policies><inbound>" + inner + "</inbound><backend><forward-request/></backend></policies>");
    }

    static PolicyContext request(String method, String url) {
        PolicyContext c = new PolicyContext();
        c.request().method(method).url(Url.parse(url));
        return c;
    }

    static Exchange run(EffectivePolicy p, PolicyContext c) {
        return Harness.run(p, c, new Harness.RecordingForwarder());
    }

    /** The rendered diagnostics ("file:line:col: error: message") for a document. */
    static List<String> diagnostics(String xml) {
        Diagnostics d = new Diagnostics();
        ENGINE.parse(new SourceText("p.xml", xml), Scope.API, d);
        return d.all().stream().map(Object::toString).toList();
    }

    static List<String> inboundDiagnostics(String inner) {
        return diagnostics("<policies><inbound>" + inner + "</inbound></policies>");
    }
}
