package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.ForwardSettings;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyDocument;
import org.junit.jupiter.api.Test;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** find-and-replace, json-to-xml and xml-to-json. */
class BodyPoliciesTest {
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

    private static String requestBody(PolicyContext c) {
        return new String(c.request().body().bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void findAndReplaceRewritesTheResponseBodyInOutbound() {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound /><backend><forward-request /></backend>
                <outbound><find-and-replace from="http://orders.internal:8080" to="https://api.contoso.com/orders" /></outbound></policies>""");
        PolicyContext c = request("GET", "https://api.local/orders");
        Harness.run(p, c, answering("{\"next\": \"http://orders.internal:8080/2\", \"self\": \"http://orders.internal:8080/1\"}", "application/json"));
        assertThat(Harness.body(c)).isEqualTo("{\"next\": \"https://api.contoso.com/orders/2\", \"self\": \"https://api.contoso.com/orders/1\"}");
        assertThat(c.response().body().contentType()).isEqualTo("application/json");
    }

    @Test
    void findAndReplaceChangesTheRequestBodyInInboundKeepingItsCharset() {
        EffectivePolicy p = inbound("<find-and-replace from=\"Müller\" to=\"@(context.Request.Headers.GetValueOrDefault(&quot;x-name&quot;, &quot;?&quot;))\" />");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().headers().set("x-name", "Schäfer");
        Charset latin1 = StandardCharsets.ISO_8859_1;
        c.request().body(new MessageBody("name=Müller;Müller".getBytes(latin1), "text/plain; charset=iso-8859-1"));
        run(p, c);
        assertThat(new String(c.request().body().bytes(), latin1)).isEqualTo("name=Schäfer;Schäfer");
    }

    @Test
    void findAndReplaceMakesTheGatewayBufferTheBody() {
        PolicyDocument doc = Harness.parse(Policies.ENGINE, "<policies><outbound><find-and-replace from=\"a\" to=\"b\" /></outbound></policies>",
                io.gatehouse.policy.Scope.API);
        assertThat(Policies.ENGINE.compose(null, doc, null, new io.gatehouse.common.Diagnostics()).readsResponseBody()).isTrue();
    }

    @Test
    void findAndReplaceReportsMissingAndEmptyFrom() {
        assertThat(inboundDiagnostics("<find-and-replace to=\"x\" />\n<find-and-replace from=\"\" to=\"x\" />\n<find-and-replace from=\"a\" too=\"x\" />"))
                .containsExactly(
                        "p.xml:1:20: error: <find-and-replace> is missing the required attribute 'from'",
                        "p.xml:2:19: error: attribute 'from' on <find-and-replace> is empty (expected the text to find)",
                        "p.xml:3:28: error: unknown attribute 'too' on <find-and-replace> (did you mean 'to'?); expected one of: from, to",
                        "p.xml:3:1: error: <find-and-replace> is missing the required attribute 'to'");
    }

    @Test
    void jsonToXmlConvertsTheRequestBody() {
        EffectivePolicy p = inbound("<json-to-xml apply=\"always\" consider-accept-header=\"false\" />");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().body(MessageBody.ofString("{\"id\": 7, \"name\": \"A & B\", \"tags\": [\"x\", \"y\"], \"addr\": {\"zip\": \"1234\"}, \"note\": null, \"ok\": true, \"first name\": \"Jo\"}",
                "application/json"));
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("<Document><id>7</id><name>A &amp; B</name><tags>x</tags><tags>y</tags>"
                + "<addr><zip>1234</zip></addr><note /><ok>true</ok><first_x0020_name>Jo</first_x0020_name></Document>");
        assertThat(c.request().headers().getValueOrDefault("Content-Type", null)).isEqualTo("application/xml; charset=utf-8");
    }

    @Test
    void jsonToXmlHonoursContentTypeAndAcceptHeader() {
        EffectivePolicy onlyJson = Policies.compile("""
                <policies><inbound /><backend><forward-request /></backend>
                <outbound><json-to-xml apply="content-type-json" /></outbound></policies>""");
        PolicyContext wantsXml = request("GET", "https://api.local/x");
        wantsXml.request().headers().set("Accept", "text/html, application/xml;q=0.9");
        Harness.run(onlyJson, wantsXml, answering("{\"a\": 1}", "application/json; charset=utf-8"));
        assertThat(Harness.body(wantsXml)).isEqualTo("<Document><a>1</a></Document>");

        PolicyContext wantsJson = request("GET", "https://api.local/x");
        wantsJson.request().headers().set("Accept", "application/json");
        Harness.run(onlyJson, wantsJson, answering("{\"a\": 1}", "application/json"));
        assertThat(Harness.body(wantsJson)).as("Accept does not ask for XML").isEqualTo("{\"a\": 1}");

        PolicyContext text = request("GET", "https://api.local/x");
        text.request().headers().set("Accept", "application/xml");
        Harness.run(onlyJson, text, answering("{\"a\": 1}", "text/plain"));
        assertThat(Harness.body(text)).as("not JSON by content type").isEqualTo("{\"a\": 1}");
    }

    @Test
    void jsonToXmlRefusesABodyThatIsNotJson() {
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().body(MessageBody.ofString("{not json", "application/json"));
        run(inbound("<json-to-xml apply=\"always\" consider-accept-header=\"false\" />"), c);
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().source()).isEqualTo("json-to-xml");
        assertThat(c.lastError().reason()).isEqualTo("InvalidJson");
    }

    @Test
    void jsonToXmlReportsAttributes() {
        assertThat(inboundDiagnostics("<json-to-xml />\n<json-to-xml apply=\"sometimes\" />\n<json-to-xml apply=\"always\" namespace-separator=\"::\" />"))
                .containsExactly(
                        "p.xml:1:20: error: <json-to-xml> is missing the required attribute 'apply'",
                        "p.xml:2:14: error: attribute 'apply' on <json-to-xml>: 'sometimes' (expected one of: always, content-type-json)",
                        "p.xml:3:29: error: attribute 'namespace-separator' on <json-to-xml> must be one character, such as ':'");
    }

    @Test
    void jsonToXmlWritesNamespacesAndAttributeBlocksForSoap() {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound><json-to-xml apply="always" consider-accept-header="false" namespace-separator=":"
                    namespace-prefix="xmlns" attribute-block-name="#attrs" /></inbound><backend><forward-request/></backend></policies>""");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().body(MessageBody.ofString("""
                {"s:Envelope": {"xmlns:s": "urn:soap", "s:Body": {"Order": {"#attrs": {"id": "7 & 8"}, "undeclared:Item": "x<y"}}}}""",
                "application/json"));
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.request().body().readString(true)).isEqualTo(
                "<s:Envelope xmlns:s=\"urn:soap\"><s:Body><Order id=\"7 &amp; 8\"><undeclared_x003A_Item>x&lt;y</undeclared_x003A_Item>"
                        + "</Order></s:Body></s:Envelope>");
        // without the options the layout stays the basic one, under <Document>
        PolicyContext basic = request("POST", "https://api.local/x");
        basic.request().body(MessageBody.ofString("{\"a\": {\"#attrs\": {\"b\": 1}}}", "application/json"));
        Harness.run(inbound("<json-to-xml apply=\"always\" consider-accept-header=\"false\" />"), basic, new Harness.RecordingForwarder());
        assertThat(basic.request().body().readString(true)).isEqualTo("<Document><a><_x0023_attrs><b>1</b></_x0023_attrs></a></Document>");
    }

    @Test
    void xmlToJsonConvertsTheBackendResponseDirectly() {
        EffectivePolicy p = Policies.compile("""
                <policies><inbound /><backend><forward-request /></backend>
                <outbound><xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" /></outbound></policies>""");
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.run(p, c, answering("<?xml version=\"1.0\"?><order id=\"7\" xmlns:x=\"urn:x\"><item>a</item><item>b</item><total>12.50</total><note/>"
                + "<x:ref>r</x:ref><![CDATA[free <text>]]></order>", "text/xml"));
        assertThat(Harness.body(c)).isEqualTo("{\"order\":{\"@id\":\"7\",\"@xmlns:x\":\"urn:x\",\"#text\":\"free <text>\","
                + "\"item\":[\"a\",\"b\"],\"total\":\"12.50\",\"note\":null,\"x:ref\":\"r\"}}");
        assertThat(c.response().headers().getValueOrDefault("Content-Type", null)).isEqualTo("application/json; charset=utf-8");
    }

    @Test
    void xmlToJsonJavascriptFriendlyWithArraysAlways() {
        EffectivePolicy p = inbound("<xml-to-json kind=\"javascript-friendly\" apply=\"always\" always-array-child-elements=\"true\" />");
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().headers().set("Accept", "application/json");
        c.request().body(MessageBody.ofString("<a xmlns=\"urn:a\" v=\"1\"><b>x</b></a>", "application/xml"));
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("{\"a\":{\"v\":\"1\",\"b\":[\"x\"]}}");
    }

    @Test
    void xmlToJsonRefusesDoctypesSoNoEntityIsExpanded() {
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().headers().set("Accept", "application/json");
        c.request().body(MessageBody.ofString("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>", "application/xml"));
        run(inbound("<xml-to-json kind=\"direct\" apply=\"always\" />"), c);
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().reason()).isEqualTo("InvalidXml");
        assertThat(Harness.body(c)).doesNotContain("root:");
    }

    @Test
    void xmlToJsonRefusesDeeplyNestedDocuments() {
        PolicyContext c = request("POST", "https://api.local/x");
        c.request().headers().set("Accept", "application/json");
        c.request().body(MessageBody.ofString("<a>".repeat(80) + "</a>".repeat(80), "application/xml"));
        run(inbound("<xml-to-json kind=\"direct\" apply=\"always\" />"), c);
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().message()).contains("deeper than 64 levels");
    }

    @Test
    void xmlToJsonReportsAttributes() {
        assertThat(inboundDiagnostics("<xml-to-json apply=\"always\" />\n<xml-to-json kind=\"friendly\" apply=\"always\" />"))
                .containsExactly(
                        "p.xml:1:20: error: <xml-to-json> is missing the required attribute 'kind'",
                        "p.xml:2:14: error: attribute 'kind' on <xml-to-json>: 'friendly' (expected one of: javascript-friendly, direct)");
    }

    @Test
    void conversionsAreNotAllowedInBackend() {
        assertThat(Policies.diagnostics("<policies><backend><xml-to-json kind=\"direct\" apply=\"always\" /></backend></policies>"))
                .containsExactly("p.xml:1:20: error: policy 'xml-to-json' is not allowed in the backend section (allowed in: inbound, outbound, on-error)");
    }
}
