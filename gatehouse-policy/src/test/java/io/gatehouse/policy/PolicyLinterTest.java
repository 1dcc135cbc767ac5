package io.gatehouse.policy;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.xml.XmlReader;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PolicyLinterTest {
    private static List<String> lint(String condition) {
        Diagnostics d = new Diagnostics();
        PolicyLinter.lint(XmlReader.read(new SourceText("l.xml",
                "<policies><inbound><choose><when condition=\"" + condition + "\"/></choose></inbound></policies>"), d), d);
        return d.all().stream().map(Diagnostic::message).toList();
    }

    @Test
    void acceptsCorrectThumbprintAndNames() {
        assertThat(lint("@(context.Request.Certificate.Thumbprint == \"6DE32981A82952C6D95E4AA16EAB42A199C1A8E6\""
                + " && context.Request.Certificate.Issuer == \"CN=YourCA, O=YourOrg, C=US\")")).isEmpty();
    }

    @Test
    void flagsLowerCaseSpacedInvisibleAndPlaceholderThumbprints() {
        assertThat(lint("@(context.Request.Certificate.Thumbprint != \"6de32981a82952c6d95e4aa16eab42a199c1a8e6\")"))
                .singleElement().asString().contains("lower-case");
        assertThat(lint("@(\"6D E3 29 81 A8 29 52 C6 D9 5E 4A A1 6E AB 42 A1 99 C1 A8 E6\" == context.Request.Certificate.Thumbprint)"))
                .singleElement().asString().contains("spaces or colons");
        assertThat(lint("@(context.Request.Certificate.Thumbprint.Equals(\"\u200e6DE32981A82952C6D95E4AA16EAB42A199C1A8E6\"))"))
                .singleElement().asString().contains("invisible characters").contains("\\u200E");
        assertThat(lint("@(context.Request.Certificate.Thumbprint != \"YOUR_CERT_THUMBPRINT_HERE\")"))
                .singleElement().asString().contains("is not a certificate thumbprint");
        assertThat(lint("@(string.Equals(context.Request.Certificate.Thumbprint, \"abc\"))"))
                .singleElement().asString().contains("is not a certificate thumbprint");
    }

    @Test
    void flagsNamesNotInDotNetForm() {
        assertThat(lint("@(context.Request.Certificate.Issuer != \"CN=YourCA,O=YourOrg,C=US\")"))
                .singleElement().asString().contains("RFC 2253");
        assertThat(lint("@(context.Request.Certificate.Subject == \"C=US, O=YourOrg, CN=client\")"))
                .singleElement().asString().contains("top down");
        assertThat(lint("@(context.Request.Certificate.IssuerName.Name == \"/C=US/O=YourOrg/CN=YourCA\")"))
                .singleElement().asString().contains("OpenSSL");
        assertThat(lint("@(context.Request.Certificate.Issuer == \"C = US, O = YourOrg, CN = YourCA\")"))
                .singleElement().asString().contains("OpenSSL's 'C = US, O = .., CN = ..' form")
                .contains("write \"CN=YourCA, O=YourOrg, C=US\"");
        assertThat(lint("@(context.Request.Certificate.Subject != \"subject=CN = clinic-app\")"))
                .singleElement().asString().contains("OpenSSL's").contains("write \"CN=clinic-app\"");
        // .NET's own form, and a value with ' = ' inside a quoted attribute value, are left alone
        assertThat(lint("@(context.Request.Certificate.Subject == \"CN=clinic-app, O=Contoso, C=US\")")).isEmpty();
    }

    @Test
    void readsVerbatimEscapedAndCharacterLiteralsAsCSharpDoes() {
        assertThat(lint("@(context.Request.Certificate.Thumbprint == @\"C:\\x\"\"y\")"))
                .singleElement().asString().startsWith("\"C:\\x\"\"y\" is not a certificate thumbprint");
        assertThat(lint("@(context.Request.Certificate.Thumbprint == \"a\\\"b\")"))
                .singleElement().asString().startsWith("\"a\\\"b\" is not a certificate thumbprint");
        assertThat(lint("@(context.Request.Headers.GetValueOrDefault('\"'.ToString(), \"\") == \"x\" || context.Request.Certificate.Thumbprint != \"abc\")"))
                .singleElement().asString().startsWith("\"abc\" is not a certificate thumbprint");
    }

    @Test
    void ignoresNamedValuePlaceholders() {
        assertThat(lint("@(context.Request.Certificate.Thumbprint != \"{{trusted-thumbprint}}\")")).isEmpty();
    }

    @Test
    void flagsCertificateDetailsInResponseHeadersOnly() {
        Diagnostics d = new Diagnostics();
        PolicyLinter.lint(XmlReader.read(new SourceText("h.xml", """
                <policies>
                  <inbound><set-header name="x-client-thumb"><value>@(context.Request.Certificate.Thumbprint)</value></set-header></inbound>
                  <on-error><set-header name="x-debug"><value>@(context.Request.Certificate.Subject)</value></set-header></on-error>
                </policies>"""), d), d);
        assertThat(d.all()).extracting(Diagnostic::toString).singleElement().asString()
                .startsWith("h.xml:3:47: warning: this response header carries client certificate details");
    }
}
