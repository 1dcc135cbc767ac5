package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import static io.gatehouse.policy.elements.Policies.inbound;
import static io.gatehouse.policy.elements.Policies.inboundDiagnostics;
import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

class ValidateODataRequestTest {
    private static final String POLICY = "<validate-odata-request error-variable-name=\"odataError\" min-odata-version=\"4.0\" "
            + "max-odata-version=\"4.0\" max-size=\"64\" />";

    private static PolicyContext run(String policy, PolicyContext c, Harness.RecordingForwarder f) {
        Harness.run(inbound(policy), c, f);
        return c;
    }

    @Test
    void aRequestWithoutOdataVersionIsTakenAsTheDefaultAndPasses() {
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        PolicyContext c = run(POLICY, request("GET", "https://api.local/odata/People?$top=2&$filter=Age%20gt%2030&$count=true"), f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(c.lastError()).isNull();
    }

    @Test
    void aVersionOutsideTheRangeIsRefusedWithAnODataError() {
        PolicyContext c = request("GET", "https://api.local/odata/People");
        c.request().headers().set("OData-Version", "4.01");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        run(POLICY, c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(400);
        JToken body = JToken.parse(Harness.body(c));
        assertThat(body.get("error").get("code").toString(false)).isEqualTo("\"ODataVersionNotSupported\"");
        assertThat(body.get("error").get("message").toString()).contains("maximum is 4.0");
        assertThat(c.lastError().source()).isEqualTo("validate-odata-request");
        assertThat(c.lastError().reason()).isEqualTo("ODataVersionNotSupported");
        assertThat((String) c.variables().get("odataError")).contains("4.01");

        PolicyContext old = request("GET", "https://api.local/odata/People");
        old.request().headers().set("OData-Version", "3.0");
        run(POLICY, old, new Harness.RecordingForwarder());
        assertThat(old.response().statusCode()).isEqualTo(400);
        assertThat(old.lastError().message()).contains("minimum is 4.0");
    }

    @Test
    void badVersionHeadersAreRefused() {
        PolicyContext c = request("GET", "https://api.local/odata/People");
        c.request().headers().set("OData-Version", "four");
        run(POLICY, c, new Harness.RecordingForwarder());
        assertThat(c.lastError().reason()).isEqualTo("ODataVersionInvalid");

        PolicyContext lowMax = request("GET", "https://api.local/odata/People");
        lowMax.request().headers().set("OData-MaxVersion", "3.0");
        run(POLICY, lowMax, new Harness.RecordingForwarder());
        assertThat(lowMax.response().statusCode()).isEqualTo(400);
        assertThat(lowMax.lastError().message()).contains("OData-MaxVersion 3.0");

        PolicyContext above = request("GET", "https://api.local/odata/People");
        above.request().headers().set("OData-Version", "4.01");
        above.request().headers().set("OData-MaxVersion", "4.0");
        run("<validate-odata-request />", above, new Harness.RecordingForwarder());
        assertThat(above.response().statusCode()).isEqualTo(400);
        assertThat(above.lastError().message()).contains("above the request's OData-MaxVersion");
    }

    @Test
    void aPayloadOverMaxSizeIs413() {
        PolicyContext c = request("POST", "https://api.local/odata/People");
        c.request().headers().set("Content-Type", "application/json");
        c.request().body(MessageBody.ofString("{\"UserName\": \"" + "x".repeat(80) + "\"}", "application/json"));
        run(POLICY, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(413);
        assertThat(c.lastError().reason()).isEqualTo("ODataRequestTooLarge");

        PolicyContext small = request("POST", "https://api.local/odata/People");
        small.request().body(MessageBody.ofString("{\"UserName\": \"x\"}", "application/json"));
        run(POLICY, small, new Harness.RecordingForwarder());
        assertThat(small.response().statusCode()).isEqualTo(200);
    }

    @Test
    void systemQueryOptionsFollowTheVersion() {
        String any = "<validate-odata-request />";
        for (String bad : new String[] {"$top=-1", "$skip=x", "$count=yes", "$frobnicate=1", "$top=1&$top=2", "$TOP=1",
                "$inlinecount=allpages", "$filter="}) {
            PolicyContext c = run(any, request("GET", "https://api.local/odata/People?" + bad), new Harness.RecordingForwarder());
            assertThat(c.response().statusCode()).as(bad).isEqualTo(400);
            assertThat(c.lastError().reason()).as(bad).isEqualTo("ODataQueryOptionInvalid");
        }
        // custom options and aliases are not system query options
        PolicyContext custom = run(any, request("GET", "https://api.local/odata/People?debug=1&@p=1&$orderby=Name"), new Harness.RecordingForwarder());
        assertThat(custom.response().statusCode()).isEqualTo(200);
        // 4.01: case-insensitive, $ optional, $compute exists
        PolicyContext v401 = request("GET", "https://api.local/odata/People?top=1&$SKIP=2&$compute=a%20as%20b");
        v401.request().headers().set("OData-Version", "4.01");
        run(any, v401, new Harness.RecordingForwarder());
        assertThat(v401.response().statusCode()).isEqualTo(200);
        // 3.0 has $inlinecount and no $count
        PolicyContext v3 = request("GET", "https://api.local/odata/People?$inlinecount=allpages");
        v3.request().headers().set("OData-Version", "3.0");
        run(any, v3, new Harness.RecordingForwarder());
        assertThat(v3.response().statusCode()).isEqualTo(200);
        PolicyContext v3count = request("GET", "https://api.local/odata/People?$count=true");
        v3count.request().headers().set("OData-Version", "3.0");
        run(any, v3count, new Harness.RecordingForwarder());
        assertThat(v3count.response().statusCode()).isEqualTo(400);
    }

    @Test
    void theDefaultVersionDecidesWithoutAHeader() {
        EffectivePolicy p = inbound("<validate-odata-request default-odata-version=\"4.01\" />");
        PolicyContext c = request("GET", "https://api.local/odata/People?$compute=a%20as%20b");
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        PolicyContext d = request("GET", "https://api.local/odata/People?$compute=a%20as%20b");
        Harness.run(inbound("<validate-odata-request />"), d, new Harness.RecordingForwarder());
        assertThat(d.response().statusCode()).isEqualTo(400);
    }

    @Test
    void attributesAreCheckedAtLoad() {
        assertThat(inboundDiagnostics("""
                <validate-odata-request default-odata-version="5.0" />
                <validate-odata-request min-odata-version="4.01" max-odata-version="4.0" />
                <validate-odata-request min-odata-version="4.01" />
                <validate-odata-request max-size="big" odata="1" />""")).containsExactly(
                "p.xml:1:44: error: attribute 'default-odata-version' on <validate-odata-request>: '5.0' (expected an OData version: 1.0, 2.0, 3.0, 4.0, 4.01)",
                "p.xml:2:25: error: min-odata-version 4.01 is above max-odata-version 4.0",
                "p.xml:3:25: error: default-odata-version 4.0 is outside min-odata-version..max-odata-version (4.01..any): a request without OData-Version would always be refused",
                "p.xml:4:40: error: unknown attribute 'odata' on <validate-odata-request>; expected one of: default-odata-version, error-variable-name, max-odata-version, max-size, min-odata-version",
                "p.xml:4:25: error: attribute 'max-size' on <validate-odata-request>: 'big' (expected: a whole number 0-2147483647)");
    }
}
