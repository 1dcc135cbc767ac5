package io.gatehouse.common.x509;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import javax.security.auth.x500.X500Principal;

import org.junit.jupiter.api.Test;

class DotNetNamesTest {

    private static final Map<String, String> KEYWORDS = Map.of(
            "EMAILADDRESS", "1.2.840.113549.1.9.1",
            "SERIALNUMBER", "2.5.4.5",
            "STREET", "2.5.4.9",
            "T", "2.5.4.12",
            "G", "2.5.4.42",
            "SN", "2.5.4.4");

    private static String format(String rfc2253) {
        return DotNetNames.format(new X500Principal(rfc2253, KEYWORDS));
    }

    @Test
    void listsRdnsInReverseEncodingOrder() {
        // RFC 2253 strings list the last-encoded RDN first, so this name is encoded C, O, CN
        X500Principal p = new X500Principal("CN=clinic-app,O=Contoso,C=US");
        assertThat(DotNetNames.format(p)).isEqualTo("CN=clinic-app, O=Contoso, C=US");
    }

    @Test
    void usesDotNetShortNames() {
        assertThat(format("EMAILADDRESS=ops@contoso.com,CN=lab,OU=Pathology,O=Contoso,L=Seattle,ST=Washington,C=US"))
                .isEqualTo("E=ops@contoso.com, CN=lab, OU=Pathology, O=Contoso, L=Seattle, S=Washington, C=US");
        assertThat(format("SERIALNUMBER=42,STREET=1 Main St,T=Dr,G=Ann,SN=Lee,DC=contoso,DC=com"))
                .isEqualTo("SERIALNUMBER=42, STREET=1 Main St, T=Dr, G=Ann, SN=Lee, DC=contoso, DC=com");
    }

    @Test
    void writesUnknownOidsWithOidPrefix() {
        assertThat(format("CN=x,2.5.4.97=VATUS-123")).isEqualTo("CN=x, OID.2.5.4.97=VATUS-123");
    }

    @Test
    void quotesValuesWithSpecialCharactersAndDoublesInnerQuotes() {
        assertThat(format("CN=Smith\\, John,O=Contoso")).isEqualTo("CN=\"Smith, John\", O=Contoso");
        assertThat(format("CN=say \\\"hi\\\",O=a\\=b")).isEqualTo("CN=\"say \"\"hi\"\"\", O=\"a=b\"");
        assertThat(format("CN=a\\+b")).isEqualTo("CN=\"a+b\"");
        assertThat(format("CN=\\#1")).isEqualTo("CN=\"#1\"");
        assertThat(format("CN=a\\;b")).isEqualTo("CN=\"a;b\"");
        assertThat(format("CN=\\<x\\>")).isEqualTo("CN=\"<x>\"");
        assertThat(format("CN=\\ padded\\ ")).isEqualTo("CN=\" padded \"");
        assertThat(format("CN=plain words")).isEqualTo("CN=plain words");
    }

    @Test
    void joinsMultiValuedRdnsWithPlus() {
        // DER sorts a SET by encoding, so the shorter OU attribute is encoded (and printed) first;
        // .NET reverses the RDNs but keeps the attributes inside one RDN in encoding order
        assertThat(format("CN=clinic-app+OU=Lab,O=Contoso")).isEqualTo("OU=Lab + CN=clinic-app, O=Contoso");
    }

    @Test
    void decodesUnicodeValues() {
        assertThat(format("CN=Zürich Klinik,C=CH")).isEqualTo("CN=Zürich Klinik, C=CH");
    }

    @Test
    void emptyNameIsEmptyString() {
        assertThat(DotNetNames.format(new X500Principal(""))).isEmpty();
    }

    @Test
    void sameNameAcceptsDotNetAndRfc2253FormsInAnyOrder() {
        assertThat(DotNetNames.sameName("CN=clinic-app, O=Contoso, C=US", "C=US,O=Contoso,CN=clinic-app")).isTrue();
        assertThat(DotNetNames.sameName("CN=clinic-app, O=Contoso, C=US", "cn=Clinic-App,o=contoso,c=us")).isTrue();
        assertThat(DotNetNames.sameName("S=Washington, E=a@b.com", "EMAILADDRESS=a@b.com,ST=Washington")).isTrue();
        assertThat(DotNetNames.sameName("CN=  Lab   One ", "CN=lab one")).isTrue();
        assertThat(DotNetNames.sameName("CN=\"Smith, John\", O=X", "CN=Smith\\, John,O=X")).isTrue();
        assertThat(DotNetNames.sameName("OID.2.5.4.3=x", "CN=x")).isTrue();
        assertThat(DotNetNames.sameName("CN=a\\2Cb", "CN=\"a,b\"")).isTrue();
        assertThat(DotNetNames.sameName("CN=a + OU=b", "OU=b,CN=a")).isTrue();
    }

    @Test
    void sameNameRejectsDifferentOrMalformedNames() {
        assertThat(DotNetNames.sameName("CN=clinic-app, O=Contoso", "CN=clinic-app, O=Fabrikam")).isFalse();
        assertThat(DotNetNames.sameName("CN=clinic-app, O=Contoso", "CN=clinic-app")).isFalse();
        assertThat(DotNetNames.sameName("CN=a, CN=a", "CN=a")).isFalse();
        assertThat(DotNetNames.sameName("CN=\"unterminated", "CN=unterminated")).isFalse();
        assertThat(DotNetNames.sameName("no equals sign", "no equals sign")).isFalse();
        assertThat(DotNetNames.sameName("XYZ=1", "XYZ=1")).isFalse();
        assertThat(DotNetNames.sameName(null, "CN=a")).isFalse();
    }

    @Test
    void normalizesThumbprintsCopiedFromPortals() {
        assertThat(DotNetNames.normalizeThumbprint("\u200E6d e3:29\u00A081\uFEFFa8\u2060"))
                .isEqualTo("6DE32981A8");
        assertThat(DotNetNames.normalizeThumbprint("ab cd\tef\n")).isEqualTo("ABCDEF");
    }
}
