package io.gatehouse.policy.xml;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.SourceText;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class XmlReaderTest {

    private static XmlElement read(String text, Diagnostics d) {
        return XmlReader.read(new SourceText("p.xml", text), d);
    }

    @Test
    void readsRawXmlExpressionWithQuotesLessThanAndAmpersands() {
        String doc = """
                <when condition="@(context.Request.Headers.GetValueOrDefault("x","") == "a" && 1 < 2)">
                  <set-body>@{ var l = new List<string>(); return l.Count > 0 ? "a" : "<b>"; }</set-body>
                </when>""";
        Diagnostics d = new Diagnostics();
        XmlElement when = read(doc, d);
        assertThat(d.all()).isEmpty();
        assertThat(when.attribute("condition").text())
                .isEqualTo("@(context.Request.Headers.GetValueOrDefault(\"x\",\"\") == \"a\" && 1 < 2)");
        XmlElement body = when.elements().get(0);
        assertThat(body.textValue().text())
                .isEqualTo("@{ var l = new List<string>(); return l.Count > 0 ? \"a\" : \"<b>\"; }");
    }

    @Test
    void rawAndWellFormedFormsGiveTheSameValues() {
        String raw = "<when condition=\"@(a == &quot;x&quot; || b == \"y\" && c < 1)\"><set-body>@(\"<&>\")</set-body></when>";
        String wellFormed = "<when condition=\"@(a == &quot;x&quot; || b == &quot;y&quot; &amp;&amp; c &lt; 1)\">"
                + "<set-body>@(&quot;&lt;&amp;&gt;&quot;)</set-body></when>";
        Diagnostics d = new Diagnostics();
        XmlElement a = read(raw, d);
        XmlElement b = read(wellFormed, d);
        assertThat(d.all()).isEmpty();
        assertThat(a.attribute("condition").text()).isEqualTo(b.attribute("condition").text())
                .isEqualTo("@(a == \"x\" || b == \"y\" && c < 1)");
        assertThat(a.elements().get(0).textValue().text()).isEqualTo(b.elements().get(0).textValue().text())
                .isEqualTo("@(\"<&>\")");
    }

    @Test
    void recordsPositionsOfElementsAttributesAndValueCharacters() {
        String doc = "<policies>\n  <inbound>\n    <set-header name=\"a\"\n       exists-action=\"skip\"/>\n  </inbound>\n</policies>";
        Diagnostics d = new Diagnostics();
        XmlElement root = read(doc, d);
        assertThat(d.all()).isEmpty();
        XmlElement setHeader = root.elements().get(0).elements().get(0);
        assertThat(setHeader.position()).isEqualTo(new Position("p.xml", 3, 5));
        XmlAttribute action = setHeader.attribute("exists-action");
        assertThat(action.position()).isEqualTo(new Position("p.xml", 4, 8));
        assertThat(action.value().positionAt(2)).isEqualTo(new Position("p.xml", 4, 25));
    }

    @Test
    void valuePositionsSurviveEntityDecoding() {
        Diagnostics d = new Diagnostics();
        XmlElement e = read("<a v=\"&quot;x\"/>", d);
        SourceValue v = e.attribute("v").value();
        assertThat(v.text()).isEqualTo("\"x");
        assertThat(v.positionAt(1).column()).isEqualTo(13);
    }

    @Test
    void keepsGoingAfterErrorsAndReportsEach() {
        Diagnostics d = new Diagnostics();
        XmlElement root = read("<policies>\n  <inbound>\n    <x a=1 />\n  </outbound>\n</policies>", d);
        assertThat(root).isNotNull();
        assertThat(d.all()).extracting(Object::toString).containsExactly(
                "p.xml:3:10: error: the value of attribute 'a' must be in quotes",
                "p.xml:4:3: error: unexpected end tag </outbound>: expected </inbound>",
                "p.xml:5:1: error: found </policies> but <inbound> (opened at 2:3) is not closed: expected </inbound>");
    }

    @Test
    void readsCdataCommentsAndDeclaration() {
        Diagnostics d = new Diagnostics();
        XmlElement root = read("<?xml version=\"1.0\"?>\n<!-- c --><a><![CDATA[<x>&amp;]]><!-- d --></a>", d);
        assertThat(d.all()).isEmpty();
        assertThat(root.textValue().text()).isEqualTo("<x>&amp;");
    }

    /** Names, attribute values and non-blank text of the whole tree, one line each. */
    private static String dump(XmlElement e, String indent) {
        StringBuilder sb = new StringBuilder(indent).append('<').append(e.name());
        for (XmlAttribute a : e.attributes()) {
            sb.append(' ').append(a.name()).append("=[").append(a.text()).append(']');
        }
        sb.append(">\n");
        for (XmlNode n : e.children()) {
            if (n instanceof XmlElement c) {
                sb.append(dump(c, indent + "  "));
            } else if (n instanceof XmlText t && !t.isBlank()) {
                sb.append(indent).append("  text=[").append(t.value().text().strip()).append("]\n");
            }
        }
        return sb.toString();
    }

    @Test
    void wholeDocumentReadsTheSameInRawAndWellFormedForms() {
        String raw = """
                <policies>
                  <inbound>
                    <base />
                    <choose>
                      <when condition="@(context.Request.Certificate == null || context.Request.Certificate.NotAfter < DateTime.UtcNow || context.Request.Certificate.Issuer != "CN=YourCA, O=YourOrg, C=US")">
                        <return-response>
                          <set-status code="403" reason="Forbidden" />
                          <set-body>@{ var list = new List<string> { "a", "b" }; return list.Count > 1 && list[0] != "<" ? "ok" : $"n={list.Count}"; }</set-body>
                        </return-response>
                      </when>
                      <otherwise>
                        <set-header name="x-who" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault("x-who", "it's me"))</value></set-header>
                      </otherwise>
                    </choose>
                  </inbound>
                </policies>""";
        String wellFormed = """
                <?xml version="1.0" encoding="utf-8"?>
                <policies>
                  <!-- the same document, escaped as XML requires -->
                  <inbound>
                    <base />
                    <choose>
                      <when condition="@(context.Request.Certificate == null || context.Request.Certificate.NotAfter &lt; DateTime.UtcNow || context.Request.Certificate.Issuer != &quot;CN=YourCA, O=YourOrg, C=US&quot;)">
                        <return-response>
                          <set-status code="403" reason="Forbidden" />
                          <set-body><![CDATA[@{ var list = new List<string> { "a", "b" }; return list.Count > 1 && list[0] != "<" ? "ok" : $"n={list.Count}"; }]]></set-body>
                        </return-response>
                      </when>
                      <otherwise>
                        <set-header name="x-who" exists-action="override"><value>@(context.Request.Headers.GetValueOrDefault(&quot;x-who&quot;, &quot;it&apos;s me&quot;))</value></set-header>
                      </otherwise>
                    </choose>
                  </inbound>
                </policies>""";
        Diagnostics d = new Diagnostics();
        String a = dump(read(raw, d), "");
        String b = dump(read(wellFormed, d), "");
        assertThat(d.all()).isEmpty();
        assertThat(a).isEqualTo(b).contains("text=[@{ var list = new List<string>");
    }

    @Test
    void textNodesKnowWhereTheirExpressionStarts() {
        Diagnostics d = new Diagnostics();
        XmlElement body = read("<set-body>\n    @{ return \"<x/>\"; }\n</set-body>", d);
        SourceValue v = body.textValue().strip();
        assertThat(v.text()).isEqualTo("@{ return \"<x/>\"; }");
        assertThat(v.start()).isEqualTo(new Position("p.xml", 2, 5));
    }

    @Test
    void followsCSharpLiteralsAndCommentsInsideExpressions() {
        String[] values = {
                "@(c == 'x' && s != \")\")",
                "@(@\"C:\\path\"\")\" + $\"{h[\"a\"]}>\")",
                "@{ // it's \"quoted\" ) and < here\n return 1; }",
                "@{ /* ) } \" */ return \"}\"; }",
        };
        for (String v : values) {
            Diagnostics d = new Diagnostics();
            XmlElement e = read("<a v=\"" + v + "\" w=\"next\"/>", d);
            assertThat(d.all()).as(v).isEmpty();
            assertThat(e.attribute("v").text()).isEqualTo(v);
            assertThat(e.attribute("w").text()).isEqualTo("next");
        }
    }

    @Test
    void singleQuotedAttributesMayHoldDoubleQuotes() {
        Diagnostics d = new Diagnostics();
        XmlElement e = read("<when condition='@(h.GetValueOrDefault(\"x\", \"\") == \"a\")'/>", d);
        assertThat(d.all()).isEmpty();
        assertThat(e.attribute("condition").text()).isEqualTo("@(h.GetValueOrDefault(\"x\", \"\") == \"a\")");
    }

    @Test
    void deeplyNestedElementsAreReportedNotOverflowed() {
        Diagnostics d = new Diagnostics();
        XmlElement root = read("<a>".repeat(5000), d);
        assertThat(root).isNotNull();
        assertThat(d.all()).extracting(Object::toString).anyMatch(m -> m.contains("nested too deeply"));
    }
}
