package io.gatehouse.expr;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Members that read a request body in a form other than JSON, and the guarantees around try/catch. */
class BodyReadersTest {
    private static Object run(String text, PolicyContext ctx) {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(text, new Position("<test>", 1, 1), Object.class, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        return e.evaluate(ctx);
    }

    private static PolicyContext withBody(String body, String contentType) {
        PolicyContext c = new PolicyContext();
        c.request().body(MessageBody.ofString(body, contentType));
        return c;
    }

    @Test
    void formUrlEncodedBodyIsReadAsLists() {
        PolicyContext c = withBody("code=abc%2F1&state=s+1", "application/x-www-form-urlencoded");
        assertThat(run("@(context.Request.Body.AsFormUrlEncodedContent(preserveContent: true)[\"code\"].Single())", c))
                .isEqualTo("abc/1");
        assertThat(run("@(context.Request.Body.AsFormUrlEncodedContent()[\"state\"].First())", c)).isEqualTo("s 1");
    }

    @Test
    void formUrlEncodedBodyKeepsRepeatedKeysInOrder() {
        PolicyContext c = withBody("a=1&a=2&b=", "application/x-www-form-urlencoded");
        assertThat(run("@(string.Join(\",\", context.Request.Body.AsFormUrlEncodedContent(true)[\"a\"]) + \"|\" "
                + "+ context.Request.Body.AsFormUrlEncodedContent()[\"b\"].Count)", c)).isEqualTo("1,2|1");
    }

    @Test
    void formContentCanBeExtendedAndWrittenBack() {
        PolicyContext c = withBody("a=x+y&b=%2F", "application/x-www-form-urlencoded");
        assertThat(run("@{ var body = context.Request.Body.AsFormUrlEncodedContent(); body[\"a\"].Add(\"é&\"); "
                + "return body.ToFormUrlEncodedContent(); }", c)).isEqualTo("a=x+y&a=%C3%A9%26&b=%2F");
        PolicyContext d = withBody("k=v1&k=v2", "application/x-www-form-urlencoded");
        assertThat(run("@(JsonConvert.SerializeObject(context.Request.Body.AsFormUrlEncodedContent()))", d))
                .isEqualTo("{\"k\":[\"v1\",\"v2\"]}");
    }

    @Test
    void missingFormKeyThrowsKeyNotFound() {
        PolicyContext c = withBody("a=1", "application/x-www-form-urlencoded");
        assertThatThrownBy(() -> run("@(context.Request.Body.AsFormUrlEncodedContent()[\"zz\"].Count)", c))
                .isInstanceOf(ExpressionException.class)
                .hasMessage("The given key 'zz' was not present in the dictionary.");
    }

    @Test
    void soapBodyIsReadAsXDocument() {
        PolicyContext c = withBody("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
                + "<R xmlns=\"http://tempuri.org/\"><V>42</V></R></s:Body></s:Envelope>", "text/xml");
        assertThat(run("@{ XNamespace t = \"http://tempuri.org/\"; return context.Request.Body.As<XDocument>(preserveContent: true)"
                + ".Descendants(t + \"V\").First().Value; }", c)).isEqualTo("42");
        assertThat(run("@(context.Request.Body.As<XElement>().Name.LocalName)", c)).isEqualTo("Envelope");
    }

    @Test
    void malformedXmlBodyFailsWithXmlException() {
        PolicyContext c = withBody("<a><b></a>", "text/xml");
        assertThatThrownBy(() -> run("@(context.Request.Body.As<XDocument>().Root.Value)", c))
                .isInstanceOfSatisfying(ExpressionException.class,
                        e -> assertThat(e.dotNetType()).isEqualTo("System.Xml.XmlException"));
    }

    @Test
    void catchDoesNotSwallowTheLoopLimit() {
        assertThatThrownBy(() -> run("@{ try { while (true) { } } catch (Exception e) { return \"caught\"; } }", new PolicyContext()))
                .isInstanceOf(ExpressionException.class)
                .hasMessageContaining("limit");
    }

    @Test
    void localFunctionsDoNotShareStateBetweenRuns() throws Exception {
        Diagnostics d = new Diagnostics();
        CompiledExpression e = new ExpressionCompiler().compile(
                "@{ int Twice(int x) { return x * 2; } return Twice(context.Request.Url.Port); }",
                new Position("<test>", 1, 1), Object.class, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        Thread[] threads = new Thread[4];
        Object[] results = new Object[4];
        for (int k = 0; k < threads.length; k++) {
            int port = 1000 + k;
            int slot = k;
            threads[k] = new Thread(() -> {
                PolicyContext c = new PolicyContext();
                c.request().url(io.gatehouse.expr.context.Url.parse("https://h:" + port + "/"));
                for (int i = 0; i < 200; i++) {
                    results[slot] = e.evaluate(c);
                }
            });
            threads[k].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(results).containsExactly(2000, 2002, 2004, 2006);
    }
}
