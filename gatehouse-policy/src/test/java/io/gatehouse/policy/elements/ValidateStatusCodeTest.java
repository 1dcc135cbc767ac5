package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.gatehouse.policy.elements.ApiFixtures.errors;
import static org.assertj.core.api.Assertions.assertThat;

class ValidateStatusCodeTest {
    private static final String PREVENT = """
            <validate-status-code unspecified-status-code-action="prevent" errors-variable-name="statusErrors">
              <status-code code="500" action="detect" />
            </validate-status-code>""";

    private static PolicyContext answer(String operation, int status, String policy) {
        PolicyContext c = ApiFixtures.request(operation, "GET", "https://gw.local/pets/1");
        Harness.run(ApiFixtures.outbound(policy), c, new ApiFixtures.Backend(status, Map.of(), "application/json", "{}"));
        return c;
    }

    @Test
    void declaredStatusesRangesAndDefaultPass() {
        assertThat(answer("getPet", 200, PREVENT).response().statusCode()).isEqualTo(200);
        assertThat(answer("getPet", 404, PREVENT).response().statusCode()).isEqualTo(404);
        assertThat(answer("createPet", 409, PREVENT).response().statusCode()).isEqualTo(409); // 4XX
        assertThat(answer("listPets", 503, PREVENT).response().statusCode()).isEqualTo(503); // default
    }

    @Test
    void anUndeclaredStatusIsPrevented() {
        PolicyContext c = answer("getPet", 418, PREVENT);
        assertThat(c.response().statusCode()).isEqualTo(502);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 502, \"message\": \"" + ApiValidation.INTERNAL + "\"}");
        assertThat(c.lastError().source()).isEqualTo("validate-status-code");
        assertThat(c.lastError().reason()).isEqualTo("Response not allowed");
        assertThat(c.lastError().message()).isEqualTo("Response status code 418 is not allowed.");
        assertThat(errors(c, "statusErrors")).singleElement().satisfies(e -> assertThat(e)
                .containsEntry("Name", "418").containsEntry("Type", "StatusCode").containsEntry("ValidationRule", "Unspecified")
                .containsEntry("Action", "prevent"));
    }

    @Test
    void aCodeOverrideApplies() {
        PolicyContext c = answer("getPet", 500, PREVENT);
        assertThat(c.response().statusCode()).isEqualTo(500);
        assertThat(errors(c, "statusErrors")).singleElement().satisfies(e -> assertThat(e).containsEntry("Action", "detect"));
        PolicyContext ignored = answer("getPet", 418, "<validate-status-code unspecified-status-code-action=\"ignore\" errors-variable-name=\"s\"/>");
        assertThat(ignored.response().statusCode()).isEqualTo(418);
        assertThat(ignored.variables().containsKey("s")).isFalse();
    }

    @Test
    void loadErrors() {
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><outbound>\n<validate-status-code>\n  <status-code code=\"99\" "
                + "action=\"prevent\"/>\n  <status-code code=\"404\"/>\n</validate-status-code></outbound></policies>"))
                .anyMatch(d -> d.startsWith("p.xml:2:1: error: <validate-status-code> is missing the required attribute 'unspecified-status-code-action'"))
                .anyMatch(d -> d.matches("p\\.xml:3:\\d+: error: attribute 'code' on <status-code>: '99' \\(expected: a whole number 100-599\\)"))
                .anyMatch(d -> d.startsWith("p.xml:4:3: error: <status-code> is missing the required attribute 'action'"));
    }
}
