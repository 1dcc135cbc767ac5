package io.gatehouse.policy.spi;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.Section;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyRegistryTest {
    /** A whole new policy in a few lines: what adding rate-limit or cors looks like. */
    private static final PolicyType STAMP = new PolicyType("stamp", EnumSet.of(Section.INBOUND), (e, ctx) -> {
        Attributes a = ctx.attributes(e, "header");
        ctx.noContent(e);
        String header = a.requiredText("header");
        return header == null ? null : exchange -> {
            exchange.context().request().headers().set(header, "stamped");
            return Policy.DONE;
        };
    });

    @Test
    void aNewPolicyIsOneRegisteredType() {
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().registry(PolicyRegistry.builtIn().with(STAMP)).build());
        EffectivePolicy p = Harness.compile(engine, "<policies><inbound><stamp header=\"x-stamp\"/></inbound></policies>");
        PolicyContext ctx = new PolicyContext();
        Harness.run(p, ctx, new Harness.RecordingForwarder());
        assertThat(ctx.request().headers().values("x-stamp")).containsExactly("stamped");
    }

    @Test
    void unregisteredApimPoliciesAreErrorsNotSkipped() {
        PolicyRegistry r = PolicyRegistry.builtIn();
        assertThat(r.isKnownButUnsupported("validate-odata-request")).isTrue();
        assertThat(r.isKnownButUnsupported("set-header")).isFalse();
        assertThat(r.suggest("validate-odata-requst")).isEqualTo("validate-odata-request");
        Diagnostics d = new Diagnostics();
        new PolicyEngine(PolicyEnvironment.empty()).parse(new SourceText("j.xml",
                "<policies><inbound><validate-odata-request/><sql-data-source/></inbound></policies>"), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "j.xml:1:20: error: policy 'validate-odata-request' is not supported yet",
                "j.xml:1:45: error: policy 'sql-data-source' is not supported yet");
    }

    @Test
    void azureOnlyPoliciesAreRefusedWithTheReason() {
        Diagnostics d = new Diagnostics();
        new PolicyEngine(PolicyEnvironment.empty()).parse(new SourceText("a.xml",
                "<policies><outbound><log-to-eventhub logger-id=\"l\">x</log-to-eventhub></outbound></policies>"), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "a.xml:1:21: error: policy 'log-to-eventhub' is not supported: it sends to Azure Event Hubs, and Gatehouse has no Event Hubs sink yet (use <trace> for request logs)");
        assertThat(PolicyRegistry.builtIn().isKnownButUnsupported("log-to-eventhub")).isFalse();
        assertThat(PolicyRegistry.builtIn().find("emit-metric")).isNotNull();
    }

    @Test
    void registeringTheSameNameTwiceIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PolicyRegistry.of(java.util.List.of(STAMP, STAMP)))
                .hasMessageContaining("'stamp' is registered twice");
    }
}
