package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.gatehouse.policy.elements.ApiFixtures.errors;
import static org.assertj.core.api.Assertions.assertThat;

class ValidateHeadersTest {
    private static final String PREVENT = """
            <validate-headers specified-header-action="prevent" unspecified-header-action="prevent" errors-variable-name="hdrErrors">
              <header name="Date" action="ignore" />
            </validate-headers>""";

    private static PolicyContext created(String policy, Map<String, String> headers) {
        PolicyContext c = ApiFixtures.post("{}");
        Harness.run(ApiFixtures.outbound(policy), c, new ApiFixtures.Backend(201, headers, "application/json", "{}"));
        return c;
    }

    @Test
    void declaredHeadersThatConformPass() {
        PolicyContext c = created(PREVENT, Map.of("Location", "/pets/1", "X-Rate-Remaining", "9", "Date", "Mon, 07 Dec 2026 18:00:00 GMT"));
        assertThat(c.response().statusCode()).isEqualTo(201);
        assertThat(c.variables().containsKey("hdrErrors")).isFalse();
    }

    @Test
    void aValueThatDoesNotConformIsA502() {
        PolicyContext c = created(PREVENT, Map.of("Location", "/pets/1", "X-Rate-Remaining", "-1"));
        assertThat(c.response().statusCode()).isEqualTo(502);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 502, \"message\": \"" + ApiValidation.INTERNAL + "\"}");
        assertThat(c.lastError().source()).isEqualTo("validate-headers");
        assertThat(c.lastError().reason()).isEqualTo("Response not allowed");
        assertThat(c.lastError().message()).startsWith("Value of the header X-Rate-Remaining does not conform to the definition.");
        assertThat(errors(c, "hdrErrors").get(0)).containsEntry("Type", "ResponseHeader").containsEntry("Name", "X-Rate-Remaining");

        PolicyContext text = created(PREVENT, Map.of("Location", "/pets/1", "X-Rate-Remaining", "many"));
        assertThat(text.lastError().message()).isEqualTo("Value of the header X-Rate-Remaining couldn't be parsed according to the definition.");
    }

    @Test
    void aMissingRequiredHeaderAndAnUnspecifiedOneAreErrors() {
        PolicyContext missing = created(PREVENT, Map.of());
        assertThat(missing.response().statusCode()).isEqualTo(502);
        assertThat(missing.lastError().message()).isEqualTo("Response must contain the header Location, which the definition requires.");

        PolicyContext extra = created(PREVENT, Map.of("Location", "/pets/1", "X-Powered-By", "PHP"));
        assertThat(extra.response().statusCode()).isEqualTo(502);
        assertThat(extra.lastError().message()).isEqualTo("Unspecified header X-Powered-By is not allowed.");
        assertThat(errors(extra, "hdrErrors").get(0)).containsEntry("ValidationRule", "Unspecified");
    }

    @Test
    void detectKeepsTheResponseAndLogs() {
        String detect = PREVENT.replace("\"prevent\"", "\"detect\"");
        PolicyContext c = created(detect, Map.of("X-Powered-By", "PHP", "Content-Length", "2"));
        assertThat(c.response().statusCode()).isEqualTo(201);
        assertThat(errors(c, "hdrErrors")).extracting(e -> e.get("Name")).containsExactly("Location", "X-Powered-By");
    }

    @Test
    void loadErrors() {
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><outbound>\n<validate-headers specified-header-action=\"prevent\" "
                + "unspecified-header-action=\"deny\">\n  <header action=\"ignore\"/>\n</validate-headers></outbound></policies>"))
                .anyMatch(d -> d.matches("p\\.xml:2:\\d+: error: attribute 'unspecified-header-action' on <validate-headers>: 'deny'.*"))
                .anyMatch(d -> d.startsWith("p.xml:3:3: error: <header> is missing the required attribute 'name'"));
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><inbound>\n<validate-headers specified-header-action=\"prevent\" "
                + "unspecified-header-action=\"prevent\"/></inbound></policies>"))
                .anyMatch(d -> d.startsWith("p.xml:2:1: error:") && d.contains("validate-headers"));
    }
}
