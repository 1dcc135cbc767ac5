package io.gatehouse.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Position;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.spi.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Exchange#responder()}: the policy that produced the response, with its element and
 * position, on every request (the access log reads it); and what {@link PolicySteps} hears while
 * the policies run, which request tracing records.
 */
class ResponderAndStepsTest {
    private final PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().namedValue("greeting", "hello").build());

    private static final String DOC = """
            <policies>
              <inbound>
                <set-variable name="v" value="one" />
                <choose>
                  <when condition="@(context.Request.Headers.GetValueOrDefault("X-Deny", "") == "yes")">
                    <return-response><set-status code="403" reason="Forbidden" /></return-response>
                  </when>
                </choose>
                <check-header name="X-Key" failed-check-httpcode="401" failed-check-error-message="Missing key" ignore-case="true" />
                <set-header name="X-Greeting" exists-action="override"><value>{{greeting}}</value></set-header>
              </inbound>
              <backend><forward-request /></backend>
              <on-error>
                <choose>
                  <when condition="@(context.Request.Headers.GetValueOrDefault("X-Teapot", "") == "yes")">
                    <return-response><set-status code="418" reason="Teapot" /></return-response>
                  </when>
                </choose>
              </on-error>
            </policies>
            """;

    private static int line(String text) {
        String[] lines = DOC.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(text)) {
                return i + 1;
            }
        }
        throw new AssertionError(text);
    }

    private Exchange run(PolicySteps steps, boolean async, String... headers) throws Exception {
        EffectivePolicy p = Harness.compile(engine, DOC);
        PolicyContext ctx = new PolicyContext();
        for (int i = 0; i < headers.length; i += 2) {
            ctx.request().headers().set(headers[i], headers[i + 1]);
        }
        Exchange x = new Exchange(ctx).steps(steps);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        f.async = async;
        p.execute(x, f).toCompletableFuture().get(10, TimeUnit.SECONDS);
        return x;
    }

    @Test
    void returnResponseInsideAWhenIsTheResponderWithItsPosition() throws Exception {
        Exchange x = run(null, false, "X-Deny", "yes");
        assertThat(x.context().response().statusCode()).isEqualTo(403);
        Block.Item r = x.responder();
        assertThat(r).isNotNull();
        assertThat(r.element()).isEqualTo("return-response");
        assertThat(r.at()).isEqualTo(new Position("api.xml", line("<return-response><set-status code=\"403\""), 9));
        assertThat(r.path()).isEqualTo("choose/when/return-response");
        assertThat(r.scope()).isEqualTo(Scope.API);
    }

    @Test
    void theFailingPolicyIsTheResponderUnlessOnErrorAnswersItself() throws Exception {
        Exchange failed = run(null, false);
        assertThat(failed.context().response().statusCode()).isEqualTo(401);
        assertThat(failed.responder().element()).isEqualTo("check-header");
        assertThat(failed.responder().at().line()).isEqualTo(line("<check-header"));

        Exchange teapot = run(null, false, "X-Teapot", "yes");
        assertThat(teapot.context().response().statusCode()).isEqualTo(418);
        assertThat(teapot.responder().element()).isEqualTo("return-response");
        assertThat(teapot.responder().at().line()).isEqualTo(line("code=\"418\""));
    }

    @Test
    void aForwardedRequestHasNoResponderSyncOrAsync() throws Exception {
        for (boolean async : new boolean[] {false, true}) {
            Exchange x = run(null, async, "X-Key", "k");
            assertThat(x.context().response().statusCode()).isEqualTo(200);
            assertThat(x.responder()).as("async " + async).isNull();
        }
    }

    @Test
    void stepsHearEveryPolicyConditionVariableHeaderAndFailureInOrder() throws Exception {
        List<String> heard = new ArrayList<>();
        PolicySteps steps = new PolicySteps() {
            @Override
            public void step(Position at, String element, String what) {
                heard.add("step " + element + "@" + at.line());
            }

            @Override
            public void policy(Block.Item item, Section section) {
                heard.add("policy " + item.element() + "@" + item.at().line() + " " + item.scope().label() + "/" + section.element());
            }

            @Override
            public void condition(Position at, String condition, Boolean value) {
                heard.add("condition@" + at.line() + "=" + value);
            }

            @Override
            public void variable(String name, Object value) {
                heard.add("variable " + name + "=" + value);
            }

            @Override
            public void header(String message, String name, String action, List<String> values) {
                heard.add("header " + message + " " + name + " " + action + " " + values);
            }

            @Override
            public void failed(GatewayException failure) {
                heard.add("failed " + failure.source() + " " + failure.reason());
            }
        };
        run(steps, false, "X-Key", "k");
        assertThat(heard).containsExactly(
                "policy set-variable@" + line("<set-variable") + " api/inbound",
                "variable v=one",
                "policy choose@" + line("<choose>") + " api/inbound",
                "condition@" + line("X-Deny") + "=false",
                "step choose@" + line("<choose>"),
                "policy check-header@" + line("<check-header") + " api/inbound",
                "policy set-header@" + line("<set-header") + " api/inbound",
                "header request X-Greeting override [hello]",
                "policy forward-request@" + line("<forward-request") + " api/backend");
        heard.clear();
        run(steps, false);
        assertThat(heard).contains("failed check-header HeaderNotFound")
                .contains("policy choose@" + line("<choose>", 2) + " api/on-error");
        assertThat(heard.indexOf("failed check-header HeaderNotFound"))
                .isLessThan(heard.indexOf("policy choose@" + line("<choose>", 2) + " api/on-error"));
    }

    @Test
    void aPolicyFromAFragmentNamesTheFragmentAndItsOwnFileAndLine() throws Exception {
        PolicyEngine withFragment = new PolicyEngine(PolicyEnvironment.builder()
                .fragment("deny-all", new io.gatehouse.common.SourceText("fragments/deny-all.xml", """
                        <fragment>
                          <set-variable name="from" value="fragment" />
                          <return-response><set-status code="401" reason="Unauthorized" /></return-response>
                        </fragment>
                        """)).build());
        EffectivePolicy p = Harness.compile(withFragment,
                "<policies>\n<inbound>\n<include-fragment fragment-id=\"deny-all\" />\n</inbound>\n</policies>");
        List<String> heard = new ArrayList<>();
        Exchange x = new Exchange(new PolicyContext()).steps(new PolicySteps() {
            @Override
            public void step(Position at, String element, String what) {
            }

            @Override
            public void policy(Block.Item item, Section section) {
                heard.add(item.element() + " " + item.at().file() + ":" + item.at().line() + " fragment=" + item.fragment());
            }
        });
        p.execute(x, new Harness.RecordingForwarder()).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(heard).containsExactly(
                "include-fragment api.xml:3 fragment=null",
                "set-variable fragments/deny-all.xml:2 fragment=deny-all",
                "return-response fragments/deny-all.xml:3 fragment=deny-all");
        assertThat(x.responder().element()).isEqualTo("return-response");
        assertThat(x.responder().at().file()).isEqualTo("fragments/deny-all.xml");
        assertThat(x.responder().fragment()).isEqualTo("deny-all");
    }

    /** The line of the {@code n}th line holding {@code text}. */
    private static int line(String text, int n) {
        String[] lines = DOC.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(text) && --n == 0) {
                return i + 1;
            }
        }
        throw new AssertionError(text);
    }
}
