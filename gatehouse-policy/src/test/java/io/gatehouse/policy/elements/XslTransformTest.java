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

/** xsl-transform: APIM's documentation examples, parameters, failures and load diagnostics. */
class XslTransformTest {
    private static PolicyContext post(String xml) {
        PolicyContext c = request("POST", "https://api.contoso.com/orders");
        c.request().headers().set("Content-Type", "application/xml");
        c.request().body(MessageBody.ofString(xml, "application/xml"));
        return c;
    }

    private static String requestBody(PolicyContext c) {
        return new String(c.request().body().bytes(), StandardCharsets.UTF_8);
    }

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

    @Test
    void docExampleStampsTheUserAgentParameterOnTheRequestRoot() {
        EffectivePolicy p = inbound("""
                <xsl-transform>
                    <parameter name="User-Agent">@(context.Request.Headers.GetValueOrDefault("User-Agent","non-specified"))</parameter>
                    <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                        <xsl:output method="xml" indent="yes" />
                        <xsl:param name="User-Agent" />
                        <xsl:template match="* | @* | node()">
                            <xsl:copy>
                                <xsl:if test="self::* and not(parent::*)">
                                    <xsl:attribute name="User-Agent">
                                        <xsl:value-of select="$User-Agent" />
                                    </xsl:attribute>
                                </xsl:if>
                                <xsl:apply-templates select="* | @* | node()" />
                            </xsl:copy>
                        </xsl:template>
                    </xsl:stylesheet>
                  </xsl-transform>""");
        assertThat(p.readsRequestBody()).isTrue();
        PolicyContext c = post("<order><id>7</id><item sku=\"a&amp;b\"/></order>");
        c.request().headers().set("User-Agent", "curl/8.5");
        run(p, c);
        assertThat(requestBody(c).replaceAll(">\\s+<", "><").strip())
                .isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><order User-Agent=\"curl/8.5\"><id>7</id><item sku=\"a&amp;b\"/></order>");
        assertThat(c.request().body().contentType()).isEqualTo("application/xml");

        PolicyContext noAgent = post("<order/>");
        run(p, noAgent);
        assertThat(requestBody(noAgent)).contains("<order User-Agent=\"non-specified\"/>");
    }

    @Test
    void docExampleCopiesTheResponseWithoutXmlDeclaration() {
        EffectivePolicy p = Policies.compile("""
                <policies>
                  <inbound><base /></inbound>
                  <backend><forward-request /></backend>
                  <outbound>
                      <base />
                      <xsl-transform>
                          <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                            <xsl:output omit-xml-declaration="yes" method="xml" indent="yes" />
                            <!-- Copy all nodes directly-->
                            <xsl:template match="node()| @*|*">
                                <xsl:copy>
                                    <xsl:apply-templates select="@* | node()|*" />
                                </xsl:copy>
                            </xsl:template>
                          </xsl:stylesheet>
                    </xsl-transform>
                  </outbound>
                </policies>""");
        assertThat(p.readsResponseBody()).isTrue();
        PolicyContext c = request("GET", "https://api.contoso.com/orders");
        Harness.run(p, c, answering("<orders count=\"1\"><order>A1</order></orders>", "text/xml"));
        assertThat(Harness.body(c).replaceAll(">\\s+<", "><").strip()).isEqualTo("<orders count=\"1\"><order>A1</order></orders>");
    }

    @Test
    void transformsToAnotherShape() {
        EffectivePolicy p = inbound("""
                <xsl-transform>
                  <parameter parameter-name="channel">web</parameter>
                  <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                    <xsl:output method="text"/>
                    <xsl:param name="channel"/>
                    <xsl:template match="/patient">{"id": "<xsl:value-of select="@id"/>", "channel": "<xsl:value-of select="$channel"/>", "n": <xsl:value-of select="count(visit)"/>}</xsl:template>
                  </xsl:stylesheet>
                </xsl-transform>""");
        PolicyContext c = post("<patient id=\"p-9\"><visit/><visit/></patient>");
        run(p, c);
        assertThat(requestBody(c)).isEqualTo("{\"id\": \"p-9\", \"channel\": \"web\", \"n\": 2}");
    }

    @Test
    void aBodyThatIsNotXmlFailsWith400AndAnEmptyBodyIsLeftAlone() {
        EffectivePolicy p = inbound("""
                <xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                <xsl:template match="/">x</xsl:template></xsl:stylesheet></xsl-transform>""");
        PolicyContext c = post("{\"not\": \"xml\"}");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().source()).isEqualTo("xsl-transform");
        assertThat(c.lastError().reason()).isEqualTo("InvalidXml");

        PolicyContext empty = request("GET", "https://api.contoso.com/orders");
        run(p, empty);
        assertThat(empty.lastError()).isNull();
    }

    @Test
    void refusesADoctypeInTheBody() {
        EffectivePolicy p = inbound("""
                <xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                <xsl:template match="/"><xsl:value-of select="."/></xsl:template></xsl:stylesheet></xsl-transform>""");
        PolicyContext c = post("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>");
        run(p, c);
        assertThat(c.lastError().reason()).isEqualTo("InvalidXml");
    }

    @Test
    void terminatingMessageFailsTheRequestWith500() {
        EffectivePolicy p = inbound("""
                <xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                <xsl:template match="/"><xsl:message terminate="yes">no orders</xsl:message></xsl:template></xsl:stylesheet></xsl-transform>""");
        PolicyContext c = post("<r/>");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().reason()).isEqualTo("XslTransformFailure");
    }

    @Test
    void javaExtensionFunctionsAreRefused() {
        EffectivePolicy p = inbound("""
                <xsl-transform><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:rt="http://xml.apache.org/xalan/java/java.lang.Runtime">
                <xsl:template match="/"><xsl:value-of select="rt:getRuntime()"/></xsl:template></xsl:stylesheet></xsl-transform>""");
        PolicyContext c = post("<r/>");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(c.lastError().reason()).isEqualTo("XslTransformFailure");
    }

    @Test
    void reportsStylesheetErrorsAtTheElementThatHasThem() {
        assertThat(inboundDiagnostics("""
                <xsl-transform>
                  <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                    <xsl:template match="/">
                      <xsl:value-of select="count(("/>
                    </xsl:template>
                  </xsl:stylesheet>
                </xsl-transform>""")).isNotEmpty().allSatisfy(d -> assertThat(d).startsWith("p.xml:4:7: error: the XSLT stylesheet does not compile: "))
                .anySatisfy(d -> assertThat(d).contains("count(("));
    }

    @Test
    void reportsMissingStylesheetAndBadParameters() {
        assertThat(inboundDiagnostics("<xsl-transform mode=\"x\"><parameter>1</parameter><parameter name=\"a\">1</parameter><parameter name=\"a\">2</parameter><foo/></xsl-transform>"))
                .containsExactly(
                        "p.xml:1:35: error: unknown attribute 'mode' on <xsl-transform>",
                        "p.xml:1:44: error: <parameter> in <xsl-transform> is missing the required attribute 'name' (or 'parameter-name')",
                        "p.xml:1:101: error: parameter 'a' is defined twice in <xsl-transform>",
                        "p.xml:1:134: error: unexpected <foo> inside <xsl-transform>; expected: <parameter>, <xsl:stylesheet>",
                        "p.xml:1:20: error: <xsl-transform> needs an <xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"> element");
    }

    @Test
    void validatePoliciesWithoutAnyApiDefinitionAreLoadErrorsSayingSo() {
        String needs = " checks messages against the API's definition, and no API in the config has one: set apis[].openApi to the "
                + "OpenAPI document of each API it applies to";
        assertThat(Policies.diagnostics("""
                <policies><inbound><validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="e"/></inbound>
                <outbound><validate-status-code unspecified-status-code-action="prevent"/><validate-headers specified-header-action="ignore" unspecified-header-action="prevent"/>
                <validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent"/></outbound></policies>"""))
                .containsExactly(
                        "p.xml:1:20: error: <validate-parameters> at api scope" + needs,
                        "p.xml:2:11: error: <validate-status-code> at api scope" + needs,
                        "p.xml:2:75: error: <validate-headers> at api scope" + needs,
                        "p.xml:3:1: error: <validate-content> at api scope" + needs);
    }
}
