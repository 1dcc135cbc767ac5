package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.ForwardSettings;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** set-body template="liquid": APIM's documentation examples as golden tests, and its diagnostics. */
class SetBodyLiquidTest {
    private static PolicyContext post(String body, String contentType) {
        PolicyContext c = request("POST", "https://api.contoso.com/orders");
        c.request().headers().set("Content-Type", contentType);
        c.request().body(MessageBody.ofString(body, contentType));
        return c;
    }

    private static String requestBody(PolicyContext c) {
        return new String(c.request().body().bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void docExampleConvertsJsonToSoap() {
        EffectivePolicy p = inbound("""
                <set-body template="liquid">
                    <soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
                        <soap:Body>
                            <GetOpenOrders>
                                <cust>{{body.getOpenOrders.cust}}</cust>
                            </GetOpenOrders>
                        </soap:Body>
                    </soap:Envelope>
                </set-body>""");
        assertThat(p.readsRequestBody()).isTrue();
        PolicyContext c = post("{\"getOpenOrders\": {\"cust\": \"1234 & Sons\"}}", "application/json");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("""
                <soap:Envelope xmlns="http://tempuri.org/" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
                        <soap:Body>
                            <GetOpenOrders>
                                <cust>1234 & Sons</cust>
                            </GetOpenOrders>
                        </soap:Body>
                    </soap:Envelope>""");
        assertThat(c.request().body().contentType()).isEqualTo("application/json");
    }

    @Test
    void docExampleTransformsJson() {
        EffectivePolicy p = inbound("""
                <set-body template="liquid">
                {
                "order": {
                    "id": "{{body.customer.purchase.identifier}}",
                    "summary": "{{body.customer.purchase.orderShortDesc}}"
                    }
                }
                </set-body>""");
        PolicyContext c = post("{\"customer\":{\"purchase\":{\"identifier\":\"P-7\",\"orderShortDesc\":\"2 lamps\"}}}", "application/json");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("""

                {
                "order": {
                    "id": "P-7",
                    "summary": "2 lamps"
                    }
                }
                """);
    }

    @Test
    void convertsASoapResponseToJsonInOutbound() {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound /><backend><forward-request /></backend><outbound>
                <set-body template="liquid"><![CDATA[{"orders": [{% JSONArrayFor o in body.Body.GetOpenOrdersResponse.Order %}{"number": "{{o.Number}}", "total": {{o.Total | Round: 2}}}{% endJSONArrayFor %}], "customer": "{{body.Body.GetOpenOrdersResponse.Customer | Upcase}}"}]]></set-body>
                <set-header name="Content-Type" exists-action="override"><value>application/json</value></set-header>
                </outbound></policies>""");
        assertThat(p.readsResponseBody()).isTrue();
        PolicyContext c = request("GET", "https://api.contoso.com/orders");
        Harness.run(p, c, answering("""
                <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetOpenOrdersResponse xmlns="http://tempuri.org/">
                <Customer>contoso</Customer><Order><Number>A1</Number><Total>10.456</Total></Order><Order><Number>A2</Number><Total>3</Total></Order>
                </GetOpenOrdersResponse></s:Body></s:Envelope>""", "text/xml; charset=utf-8"));
        assertThat(Harness.body(c)).isEqualTo("{\"orders\": [{\"number\": \"A1\", \"total\": 10.46},{\"number\": \"A2\", \"total\": 3}], \"customer\": \"CONTOSO\"}");
        assertThat(c.response().headers().getValueOrDefault("Content-Type", "")).isEqualTo("application/json");
    }

    @Test
    void docDateExampleUsesDotNetFormat() {
        EffectivePolicy p = inbound("<set-body template=\"liquid\">{{body.foo.startDateTime| Date:\"yyyyMMddTHH:mm:ssZ\"}}</set-body>");
        PolicyContext c = post("{\"foo\":{\"startDateTime\":\"2023-01-13T08:30:00Z\"}}", "application/json");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("20230113T08:30:00Z");
    }

    @Test
    void parseDateFalseKeepsDateStringsAsWritten() {
        PolicyContext c = post("{\"d\":\"2012-03-21T05:40Z\"}", "application/json");
        run(inbound("<set-body template=\"liquid\">{{body.d}}</set-body>"), c);
        assertThat(requestBody(c)).isEqualTo("03/21/2012 05:40:00");
        PolicyContext kept = post("{\"d\":\"2012-03-21T05:40Z\"}", "application/json");
        run(inbound("<set-body template=\"liquid\" parse-date=\"false\">{{body.d}}</set-body>"), kept);
        assertThat(requestBody(kept)).isEqualTo("2012-03-21T05:40Z");
    }

    @Test
    void readsContextWithoutReadingTheBody() {
        EffectivePolicy p = inbound("<set-body template=\"liquid\">{\"method\": \"{{context.Request.Method}}\", \"path\": \"{{context.Request.Url.Path}}\"}</set-body>");
        assertThat(p.readsRequestBody()).isFalse();
        PolicyContext c = post("ignored", "text/plain");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("{\"method\": \"POST\", \"path\": \"/orders\"}");
    }

    @Test
    void escapesLiteralMarkupTextAndKeepsLiquidInAttributes() {
        EffectivePolicy p = inbound("""
                <set-body template="liquid"><order id="{{body.id}}" note="a &amp; b">Fish &amp; chips {% if body.id > 1 %}x{% endif %}</order></set-body>""");
        PolicyContext c = post("{\"id\": 5}", "application/json");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("<order id=\"5\" note=\"a &amp; b\">Fish &amp; chips x</order>");
    }

    @Test
    void onErrorTemplateReadsLastErrorAndApiAndUser() {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound><check-header name="X-Client-Id" failed-check-httpcode="401" failed-check-error-message="Unknown client" ignore-case="true"><value>a</value></check-header></inbound>
                <backend><forward-request /></backend><outbound />
                <on-error><set-body template="liquid">{"api": "{{context.Api.Name}}", "op": "{{context.Operation.Id}}", "user": "{{context.User.Email | Default: 'anonymous'}}", "source": "{{context.LastError.Source}}", "reason": "{{context.LastError.Reason}}", "status": {{context.Response.StatusCode}}}</set-body></on-error></policies>""");
        PolicyContext c = request("GET", "https://api.contoso.com/patients/7");
        c.api(new io.gatehouse.expr.context.ApiInfo("patients", "Patients", "patients", null, ""));
        c.operation(new io.gatehouse.expr.context.OperationInfo("get-patient", "Get patient", "GET", "/patients/{id}"));
        run(p, c);
        assertThat(Harness.body(c)).isEqualTo("{\"api\": \"Patients\", \"op\": \"get-patient\", \"user\": \"anonymous\", "
                + "\"source\": \"check-header\", \"reason\": \"HeaderNotFound\", \"status\": 401}");
    }

    @Test
    void aTextBodyIsBoundAsItsText() {
        PolicyContext c = post("hello there", "text/plain");
        run(inbound("<set-body template=\"liquid\">{{ body | Upcase }}/{{ body | Split: ' ' | Last }}</set-body>"), c);
        assertThat(requestBody(c)).isEqualTo("HELLO THERE/there");
    }

    @Test
    void aBodyThatIsNotTheJsonItsContentTypeSaysFailsWith400() {
        EffectivePolicy p = inbound("<set-body template=\"liquid\">{{body.x}}</set-body>");
        PolicyContext c = post("{not json", "application/json");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().source()).isEqualTo("set-body");
        assertThat(c.lastError().reason()).isEqualTo("InvalidJson");
    }

    @Test
    void aFilterFailingAtRenderFailsTheRequestWith500() {
        EffectivePolicy p = inbound("<set-body template=\"liquid\">{{ body.n | DividedBy: 0 }}</set-body>");
        PolicyContext c = post("{\"n\": 4}", "application/json");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().reason()).isEqualTo("ExpressionValueEvaluationFailure");
        assertThat(c.lastError().message()).contains("DividedBy: divided by 0");
    }

    @Test
    void insideReturnResponseTheTemplateSeesNoBodyAsOnApim() {
        EffectivePolicy p = inbound("<return-response><set-status code=\"200\" reason=\"OK\" /><set-body template=\"liquid\">[{{body.x}}]</set-body></return-response>");
        PolicyContext c = post("{\"x\": 1}", "application/json");
        run(p, c);
        assertThat(Harness.body(c)).isEqualTo("[]");
    }

    @Test
    void reportsTemplateErrorsAtTheirLineAndColumnInThePolicyFile() {
        assertThat(inboundDiagnostics("<set-body template=\"liquid\">\n  {{ body.x | upcase }}\n  {% if body.y %}</set-body>"))
                .containsExactly(
                        "p.xml:2:15: error: unknown filter 'upcase': APIM's Liquid uses Pascal-case filter names, write 'Upcase'",
                        "p.xml:3:3: error: {% if %} is not closed: expected {% endif %}");
        assertThat(inboundDiagnostics("<set-body template=\"liquid\">\n<a>\n  <b>{% for x in %}{% endfor %}</b></a></set-body>"))
                .containsExactly("p.xml:3:18: error: expected a value");
    }

    @Test
    void reportsWrongAttributeValues() {
        assertThat(inboundDiagnostics("<set-body template=\"liquidd\" xsi-nil=\"none\" parse-data=\"x\">x</set-body>"))
                .containsExactly(
                        "p.xml:1:64: error: unknown attribute 'parse-data' on <set-body> (did you mean 'parse-date'?); expected one of: parse-date, template, xsi-nil",
                        "p.xml:1:30: error: attribute 'template' on <set-body>: 'liquidd' (expected one of: none, liquid) (did you mean 'liquid'?)",
                        "p.xml:1:49: error: attribute 'xsi-nil' on <set-body>: 'none' (expected one of: blank, null)");
    }

    /** A backend that answers with a fixed body and content type. */
    private static Forwarder answering(String body, String contentType) {
        return new Forwarder() {
            @Override
            public CompletionStage<Void> forward(Exchange exchange, ForwardSettings settings) {
                exchange.context().response().statusCode(200).statusReason("OK").body(MessageBody.ofString(body, contentType))
                        .headers().set("Content-Type", contentType);
                return CompletableFuture.completedFuture(null);
            }
        };
    }
}
