package io.gatehouse.policy.spi;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.Section;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

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
        assertThat(r.isKnownButUnsupported("llm-semantic-cache-lookup")).isTrue();
        assertThat(r.isKnownButUnsupported("set-header")).isFalse();
        assertThat(r.suggest("llm-semantic-cache-lookp")).isEqualTo("llm-semantic-cache-lookup");
        Diagnostics d = new Diagnostics();
        new PolicyEngine(PolicyEnvironment.empty()).parse(new SourceText("j.xml",
                "<policies><inbound><llm-semantic-cache-lookup/><http-data-source/></inbound></policies>"), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "j.xml:1:20: error: policy 'llm-semantic-cache-lookup' is not supported: Gatehouse does not have it yet"
                        + " (gateway.unsupportedPolicies: skip loads it as a no-op)",
                "j.xml:1:48: error: policy 'http-data-source' is not supported: Gatehouse does not have it yet"
                        + " (gateway.unsupportedPolicies: skip loads it as a no-op)");
    }

    @Test
    void withSkipUnsupportedPoliciesTheyLoadAsNoOpsWithAWarningAndCountWhenReached() {
        List<String> skipped = new java.util.ArrayList<>();
        io.gatehouse.policy.spi.MetricSink sink = new io.gatehouse.policy.spi.MetricSink() {
            @Override
            public void emit(String namespace, String name, double value, java.util.Map<String, String> dimensions) {
            }

            @Override
            public void policySkipped(String policy) {
                skipped.add(policy);
            }
        };
        String text = "<policies><inbound><log-to-eventhub logger-id=\"l\">x</log-to-eventhub><llm-semantic-cache-lookup/>"
                + "<validate-content unspecified-content-type-action=\"prevent\" max-size=\"100\" size-exceeded-action=\"prevent\"/>"
                + "</inbound></policies>";
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = new PolicyEngine(PolicyEnvironment.builder().skipUnsupportedPolicies(true).metricSink(sink).build())
                .parse(new SourceText("s.xml", text), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).hasSize(3);
        assertThat(d.all().subList(0, 2)).extracting(Object::toString).containsExactly(
                "s.xml:1:20: warning: policy 'log-to-eventhub' is not supported: it sends to Azure Event Hubs, and Gatehouse has no"
                        + " Event Hubs sink yet (use <trace> for request logs); skipped (gateway.unsupportedPolicies: skip): it does"
                        + " nothing when a request reaches it",
                "s.xml:1:" + (text.indexOf("<llm-semantic") + 1) + ": warning: policy 'llm-semantic-cache-lookup' is not supported:"
                        + " Gatehouse does not have it yet; skipped (gateway.unsupportedPolicies: skip): it does nothing when a request reaches it");
        // a validation policy is never skipped: without an API definition it is a load error, not a pass
        assertThat(d.all().get(2).toString())
                .startsWith("s.xml:1:" + (text.indexOf("<validate-content") + 1) + ": error: <validate-content> at api scope checks messages"
                        + " against the API's definition, and no API in the config has one");
        io.gatehouse.policy.spi.Block inbound = doc.section(io.gatehouse.policy.Section.INBOUND).block();
        assertThat(inbound.items()).hasSize(2);
        inbound.items().forEach(i -> i.policy().apply(null));
        assertThat(skipped).containsExactly("log-to-eventhub", "llm-semantic-cache-lookup");
    }

    @Test
    void azureOnlyPoliciesAreRefusedWithTheReason() {
        Diagnostics d = new Diagnostics();
        new PolicyEngine(PolicyEnvironment.empty()).parse(new SourceText("a.xml",
                "<policies><outbound><log-to-eventhub logger-id=\"l\">x</log-to-eventhub></outbound></policies>"), Scope.API, d);
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "a.xml:1:21: error: policy 'log-to-eventhub' is not supported: it sends to Azure Event Hubs, and Gatehouse has no Event Hubs sink yet (use <trace> for request logs)"
                        + " (gateway.unsupportedPolicies: skip loads it as a no-op)");
        assertThat(PolicyRegistry.builtIn().isKnownButUnsupported("log-to-eventhub")).isFalse();
        assertThat(PolicyRegistry.builtIn().find("emit-metric")).isNotNull();
    }

    @Test
    void registeringTheSameNameTwiceIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PolicyRegistry.of(java.util.List.of(STAMP, STAMP)))
                .hasMessageContaining("'stamp' is registered twice");
    }
}
