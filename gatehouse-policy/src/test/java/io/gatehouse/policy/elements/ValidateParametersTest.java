package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Harness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.gatehouse.policy.elements.ApiFixtures.errors;
import static org.assertj.core.api.Assertions.assertThat;

class ValidateParametersTest {
    private static final String PREVENT = """
            <validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="paramErrors">
              <headers specified-parameter-action="prevent" unspecified-parameter-action="ignore" />
            </validate-parameters>""";

    private static PolicyContext list(String query) {
        PolicyContext c = ApiFixtures.request("listPets", "GET", "https://gw.local/pets" + query);
        c.request().headers().set("X-Tenant", "contoso");
        return c;
    }

    private static PolicyContext getPet(String id) {
        PolicyContext c = ApiFixtures.request("getPet", "GET", "https://gw.local/pets/" + id);
        c.request().matchedParameters().put("petId", id);
        return c;
    }

    private static ApiFixtures.Backend run(String policy, PolicyContext c) {
        ApiFixtures.Backend backend = ApiFixtures.ok();
        Harness.run(ApiFixtures.inbound(policy), c, backend);
        return backend;
    }

    @Test
    void declaredParametersOfTheRightTypesPass() {
        PolicyContext c = list("?limit=10&status=available&status=sold&ids=1,2,3&fields=name|tag&verbose=TRUE");
        assertThat(run(PREVENT, c).calls).isEqualTo(1);
        assertThat(c.variables().containsKey("paramErrors")).isFalse();
        PolicyContext pet = getPet("42");
        assertThat(run(PREVENT, pet).calls).isEqualTo(1);
    }

    @Test
    void aPathParameterThatIsNotAnIntegerCannotBeParsed() {
        PolicyContext c = getPet("abc");
        assertThat(run(PREVENT, c).calls).isZero();
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 400, \"message\": \"Value of the path parameter petId couldn't be parsed "
                + "according to the definition. It is not an integer.\"}"); // the value itself is never repeated: it may be a credential
        assertThat(c.lastError().source()).isEqualTo("validate-parameters");
        assertThat(c.lastError().reason()).isEqualTo("Bad request");
        assertThat(errors(c, "paramErrors").get(0)).containsEntry("Name", "petId").containsEntry("Type", "PathParameter")
                .containsEntry("ValidationRule", "IncorrectMessage");
    }

    @Test
    void valuesAreValidatedAgainstTheirSchemas() {
        PolicyContext tooMany = list("?limit=500");
        run(PREVENT, tooMany);
        assertThat(tooMany.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(tooMany)).contains("The value of the query parameter limit does not conform to the definition.")
                .contains("100");
        PolicyContext zero = getPet("0");
        run(PREVENT, zero);
        assertThat(zero.response().statusCode()).isEqualTo(400);
        PolicyContext badItem = list("?ids=1,x");
        run(PREVENT, badItem);
        assertThat(Harness.body(badItem)).contains("ids couldn't be parsed").contains("It is not an integer.").doesNotContain("'x'");
        PolicyContext badEnum = list("?status=available&status=lost");
        run(PREVENT, badEnum);
        assertThat(Harness.body(badEnum)).contains("query parameter status does not conform");
        PolicyContext badBool = list("?verbose=yes");
        run(PREVENT, badBool);
        assertThat(Harness.body(badBool)).contains("It is not a boolean").doesNotContain("yes");
        PolicyContext badHeader = list("");
        badHeader.request().headers().set("X-Tenant", "Contoso1");
        run(PREVENT, badHeader);
        assertThat(Harness.body(badHeader)).contains("header X-Tenant does not conform").contains("pattern");
    }

    @Test
    void aRepeatedScalarAndAMissingRequiredParameterAreErrors() {
        PolicyContext twice = list("?limit=1&limit=2");
        run(PREVENT, twice);
        assertThat(Harness.body(twice)).isEqualTo("{\"statusCode\": 400, \"message\": \"Request cannot contain multiple values for the "
                + "query parameter limit.\"}");
        PolicyContext noTenant = ApiFixtures.request("listPets", "GET", "https://gw.local/pets");
        run(PREVENT, noTenant);
        assertThat(noTenant.response().statusCode()).isEqualTo(400);
        assertThat(Harness.body(noTenant)).contains("Request must contain the header X-Tenant, which the definition requires.");
    }

    @Test
    void unspecifiedParametersFollowTheirActions() {
        PolicyContext c = list("?limit=5&debug=1");
        run(PREVENT, c);
        assertThat(Harness.body(c)).isEqualTo("{\"statusCode\": 400, \"message\": \"Unspecified query parameter debug is not allowed.\"}");
        assertThat(errors(c, "paramErrors").get(0)).containsEntry("Type", "QueryParameter").containsEntry("ValidationRule", "Unspecified");

        String detectHeaders = """
                <validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent" errors-variable-name="paramErrors">
                  <headers unspecified-parameter-action="detect">
                    <parameter name="user-agent" action="ignore" />
                  </headers>
                  <query><parameter name="debug" action="ignore" /></query>
                </validate-parameters>""";
        PolicyContext h = list("?debug=1");
        h.request().headers().set("User-Agent", "curl");
        h.request().headers().set("X-Trace", "on");
        assertThat(run(detectHeaders, h).calls).isEqualTo(1);
        List<Map<String, Object>> errs = errors(h, "paramErrors");
        assertThat(errs).extracting(e -> e.get("Name")).containsExactly("X-Trace");
        assertThat(errs.get(0)).containsEntry("Type", "RequestHeader").containsEntry("Action", "detect")
                .containsEntry("Details", "Unspecified header X-Trace is not allowed.");
    }

    @Test
    void detectModeLogsEveryErrorAndLetsTheRequestThrough() {
        String detect = """
                <validate-parameters specified-parameter-action="detect" unspecified-parameter-action="detect" errors-variable-name="paramErrors">
                  <headers unspecified-parameter-action="ignore" />
                </validate-parameters>""";
        PolicyContext c = list("?limit=0&extra=1");
        assertThat(run(detect, c).calls).isEqualTo(1);
        assertThat(errors(c, "paramErrors")).extracting(e -> e.get("Name")).containsExactly("limit", "extra");
    }

    @Test
    void expressionsMayChooseTheAction() {
        String expr = """
                <validate-parameters specified-parameter-action="@(context.Request.Headers.GetValueOrDefault(&quot;X-Mode&quot;, &quot;prevent&quot;))"
                    unspecified-parameter-action="ignore" />""";
        PolicyContext prevented = list("?limit=0");
        assertThat(run(expr, prevented).calls).isZero();
        PolicyContext ignored = list("?limit=0");
        ignored.request().headers().set("X-Mode", "ignore");
        assertThat(run(expr, ignored).calls).isEqualTo(1);
    }

    @Test
    void onlyOncePerSection() {
        String one = "<validate-parameters specified-parameter-action=\"detect\" unspecified-parameter-action=\"ignore\"/>";
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><inbound>\n" + one + "\n" + one + "</inbound></policies>"))
                .containsExactly("p.xml:3:1: error: <validate-parameters> appears more than once in the inbound section: APIM allows it once per section");
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><inbound>" + one + "</inbound></policies>")).isEmpty();
    }

    @Test
    void loadErrors() {
        assertThat(ApiFixtures.diagnostics(ApiFixtures.ENGINE, "<policies><inbound>\n<validate-parameters specified-parameter-action=\"stop\">\n"
                + "  <path unspecified-parameter-action=\"prevent\"/>\n  <cookies/>\n</validate-parameters></inbound></policies>"))
                .anyMatch(d -> d.matches("p\\.xml:2:\\d+: error: attribute 'specified-parameter-action' on <validate-parameters>: 'stop'.*"))
                .anyMatch(d -> d.startsWith("p.xml:2:1: error: <validate-parameters> is missing the required attribute 'unspecified-parameter-action'"))
                .anyMatch(d -> d.matches("p\\.xml:3:\\d+: error: unknown attribute 'unspecified-parameter-action' on <path>.*"))
                .anyMatch(d -> d.matches("p\\.xml:4:3: error: unexpected <cookies> inside <validate-parameters>.*"));
    }
}
