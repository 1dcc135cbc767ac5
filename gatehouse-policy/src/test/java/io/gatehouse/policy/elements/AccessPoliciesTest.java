package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static io.gatehouse.policy.elements.Policies.run;
import static org.assertj.core.api.Assertions.assertThat;

/** check-header, ip-filter, mock-response and authentication-basic. */
class AccessPoliciesTest {
    private static final String CHECK = """
            <check-header name="X-Client-Id" failed-check-httpcode="401" failed-check-error-message="Unknown client" ignore-case="true">
              <value>partner-a</value>
              <value>partner-b</value>
            </check-header>""";

    @Test
    void checkHeaderLetsAllowedValuesThroughIgnoringCase() {
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("x-client-id", "PARTNER-B");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(CHECK), c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(c.response().statusCode()).isEqualTo(200);
    }

    @Test
    void checkHeaderRefusesAMissingHeaderWithTheAuthorsStatusAndMessage() {
        PolicyContext c = request("GET", "https://api.local/x");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(CHECK), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 401, \"message\": \"Unknown client\"}");
        assertThat(c.lastError().source()).isEqualTo("check-header");
        assertThat(c.lastError().reason()).isEqualTo("HeaderNotFound");
    }

    @Test
    void checkHeaderRefusesAValueNotListedAndIsCaseSensitiveByDefault() {
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("X-Client-Id", "partner-c");
        run(inbound(CHECK), c);
        assertThat(c.response().statusCode()).isEqualTo(401);
        assertThat(c.lastError().reason()).isEqualTo("HeaderValueNotAllowed");
        assertThat(c.lastError().message()).doesNotContain("partner-c");

        PolicyContext d = request("GET", "https://api.local/x");
        d.request().headers().set("X-Client-Id", "PARTNER-A");
        run(inbound(CHECK.replace(" ignore-case=\"true\"", "")), d);
        assertThat(d.response().statusCode()).isEqualTo(401);
    }

    @Test
    void checkHeaderWithoutValuesOnlyRequiresPresence() {
        EffectivePolicy p = inbound("<check-header name=\"X-Trace\" failed-check-httpcode=\"400\" failed-check-error-message=\"trace id needed\" ignore-case=\"false\" />");
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("X-Trace", "anything");
        run(p, c);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(c.lastError()).isNull();
    }

    @Test
    void checkHeaderReportsMissingAndBadAttributes() {
        assertThat(inboundDiagnostics("""
                <check-header name="a" failed-check-httpcode="200" failed-check-error-message="m" />
                <check-header name="a" failed-check-error-message="m" ignore-case="maybe" />
                <check-header name="a" failed-check-httpcode="403" failed-check-message="m"><valu>x</valu></check-header>""")).containsExactly(
                "p.xml:1:43: error: attribute 'failed-check-httpcode' on <check-header>: '200' (expected: a whole number 400-599 or a policy expression)",
                "p.xml:2:1: error: <check-header> is missing the required attribute 'failed-check-httpcode'",
                "p.xml:2:55: error: attribute 'ignore-case' on <check-header>: 'maybe' (expected: true, false or a policy expression)",
                "p.xml:3:52: error: unknown attribute 'failed-check-message' on <check-header> (did you mean 'failed-check-error-message'?); expected one of: failed-check-error-message, failed-check-httpcode, ignore-case, name",
                "p.xml:3:77: error: unexpected <valu> inside <check-header> (did you mean 'value'?); expected: <value>",
                "p.xml:3:1: error: <check-header> is missing the required attribute 'failed-check-error-message'");
    }

    private static PolicyContext from(String ip) {
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().ipAddress(ip);
        return c;
    }

    @Test
    void ipFilterAllowLetsOnlyListedAddressesAndRangesThrough() {
        EffectivePolicy p = inbound("""
                <ip-filter action="allow">
                  <address>{{partner-ip}}</address>
                  <address-range from="192.168.10.0" to="192.168.10.255" />
                  <address-range from="2001:db8::" to="2001:db8::ffff" />
                </ip-filter>""");
        for (String ok : new String[] {"10.1.2.3", "192.168.10.0", "192.168.10.200", "::ffff:10.1.2.3", "2001:db8::abcd"}) {
            PolicyContext c = from(ok);
            run(p, c);
            assertThat(c.response().statusCode()).as(ok).isEqualTo(200);
        }
        for (String refused : new String[] {"10.1.2.4", "192.168.11.0", "2001:db8::1:0", "2001:db9::"}) {
            PolicyContext c = from(refused);
            run(p, c);
            assertThat(c.response().statusCode()).as(refused).isEqualTo(403);
            assertThat(c.lastError().source()).isEqualTo("ip-filter");
            assertThat(c.lastError().reason()).isEqualTo("CallerIpNotAllowed");
            assertThat(c.lastError().message()).isEqualTo("Caller IP address " + refused + " is not allowed. Access denied.");
        }
    }

    @Test
    void ipFilterForbidRefusesListedAddressesOnly() {
        EffectivePolicy p = inbound("<ip-filter action=\"forbid\"><address>203.0.113.7</address><address>2001:db8::7</address></ip-filter>");
        PolicyContext bad = from("203.0.113.7");
        run(p, bad);
        assertThat(bad.response().statusCode()).isEqualTo(403);
        PolicyContext bad6 = from("2001:0db8:0:0:0:0:0:7");
        run(p, bad6);
        assertThat(bad6.response().statusCode()).isEqualTo(403);
        PolicyContext good = from("203.0.113.8");
        run(p, good);
        assertThat(good.response().statusCode()).isEqualTo(200);
    }

    @Test
    void ipFilterRefusesACallerWhoseAddressCannotBeParsed() {
        PolicyContext c = from("");
        run(inbound("<ip-filter action=\"forbid\"><address>10.0.0.1</address></ip-filter>"), c);
        assertThat(c.response().statusCode()).isEqualTo(403);
        assertThat(c.lastError().reason()).isEqualTo("FailedToParseCallerIP");
    }

    @Test
    void ipFilterParsesLiteralsWithoutResolvingNames() {
        assertThat(IpFilter.parse("10.0.0.1")).containsExactly(10, 0, 0, 1);
        assertThat(IpFilter.parse("[::1]")).hasSize(16);
        assertThat(IpFilter.parse("localhost")).isNull();
        assertThat(IpFilter.parse("example.com")).isNull();
        assertThat(IpFilter.parse(".:1")).isNull(); // not a literal to the JDK: it would have been looked up
        assertThat(IpFilter.parse("::ffff:10.0.0.1")).containsExactly(10, 0, 0, 1);
        assertThat(IpFilter.parse("256.0.0.1")).isNull();
        assertThat(IpFilter.parse("1.2.3")).isNull();
        assertThat(IpFilter.parse("gg::1")).isNull();
    }

    @Test
    void ipFilterReportsBadAddressesRangesAndActions() {
        assertThat(inboundDiagnostics("""
                <ip-filter action="deny"><address>10.0.0.1</address></ip-filter>
                <ip-filter action="allow"><address>intranet.local</address></ip-filter>
                <ip-filter action="allow"><address-range from="10.0.0.9" to="10.0.0.1" /></ip-filter>
                <ip-filter action="allow"><address-range from="10.0.0.1" to="::1" /></ip-filter>
                <ip-filter action="allow"><address-range from="10.0.0.1" /></ip-filter>
                <ip-filter><address>10.0.0.1</address></ip-filter>
                <ip-filter action="allow" />""")).containsExactly(
                "p.xml:1:31: error: attribute 'action' on <ip-filter>: 'deny' (expected one of: allow, forbid)",
                "p.xml:2:36: error: <address>: 'intranet.local' is not an IPv4 or IPv6 address",
                "p.xml:3:58: error: <address-range>: 'to' is below 'from' (expected from <= to)",
                "p.xml:4:27: error: <address-range> mixes IPv4 and IPv6: 'from' and 'to' must be of the same family",
                "p.xml:5:27: error: <address-range> is missing the required attribute 'to'",
                "p.xml:6:1: error: <ip-filter> is missing the required attribute 'action'",
                "p.xml:7:1: error: <ip-filter> needs at least one <address> or <address-range from=\"...\" to=\"...\"/>");
    }

    @Test
    void mockResponseAnswersWithoutCallingTheBackend() {
        PolicyContext c = request("GET", "https://api.local/x");
        c.response().headers().set("x-leftover", "1");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound("<mock-response status-code=\"201\" content-type=\"application/xml\" />"), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(201);
        assertThat(c.response().body().contentType()).isEqualTo("application/xml");
        assertThat(c.response().body().bytes()).isEmpty();
        assertThat(c.response().headers().count()).isZero();

        PolicyContext d = request("GET", "https://api.local/x");
        run(inbound("<mock-response />"), d);
        assertThat(d.response().statusCode()).isEqualTo(200);
        assertThat(d.response().body().contentType()).isEqualTo("application/json");
    }

    @Test
    void mockResponseReportsBadStatusAndContentType() {
        assertThat(inboundDiagnostics("<mock-response status-code=\"OK\" />\n<mock-response content-type=\"json\" />\n<mock-response status=\"200\" />"))
                .containsExactly(
                        "p.xml:1:35: error: attribute 'status-code' on <mock-response>: 'OK' (expected: a whole number 100-599)",
                        "p.xml:2:16: error: attribute 'content-type' on <mock-response>: 'json' (expected a media type such as application/json)",
                        "p.xml:3:16: error: unknown attribute 'status' on <mock-response>; expected one of: content-type, status-code");
    }

    @Test
    void authenticationBasicSetsTheAuthorizationHeaderFromNamedValues() {
        PolicyContext c = request("GET", "https://api.local/x");
        c.request().headers().set("Authorization", "Bearer client-token");
        run(inbound("<authentication-basic username=\"svc-gatehouse\" password=\"{{basic-password}}\" />"), c);
        String expected = "Basic " + Base64.getEncoder().encodeToString("svc-gatehouse:S3cret-pw".getBytes(StandardCharsets.UTF_8));
        assertThat(c.request().headers().values("Authorization")).containsExactly(expected);
    }

    @Test
    void authenticationBasicReportsMissingAttributesWithoutShowingThePassword() {
        assertThat(inboundDiagnostics("<authentication-basic password=\"{{basic-password}}\" />\n<authentication-basic username=\"a:b\" password=\"x\" />\n<authentication-basic username=\"a\" />"))
                .containsExactly(
                        "p.xml:1:20: error: <authentication-basic> is missing the required attribute 'username'",
                        "p.xml:2:23: error: attribute 'username' on <authentication-basic> contains ':', which Basic authentication cannot carry (RFC 7617)",
                        "p.xml:3:1: error: <authentication-basic> is missing the required attribute 'password'")
                .noneMatch(s -> s.contains("S3cret"));
    }
}
