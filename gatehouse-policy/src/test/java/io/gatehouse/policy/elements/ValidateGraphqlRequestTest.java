package io.gatehouse.policy.elements;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.GraphqlApiSchema;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ValidateGraphqlRequestTest {
    static final String SDL = """
            type Query {
              users(first: Int): [User!]!
              user(id: ID!): User
              node(id: ID!): Node
              contact(id: ID!): Contact
            }
            type Mutation {
              deleteUser(id: ID!): Boolean
              rename(id: ID!, name: String!): User
            }
            interface Node { id: ID! }
            interface Contact { email: String }
            type User implements Node & Contact {
              id: ID!
              name: String
              email: String
              friends: [User!]!
            }
            """;

    static GraphqlApiSchema schema() {
        Diagnostics d = new Diagnostics();
        GraphqlApiSchema s = GraphqlApiSchema.parse(new SourceText("schema.graphql", SDL), d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        return s;
    }

    private static final PolicyEnvironment ENV = PolicyEnvironment.builder().graphqlSchema("gql", schema())
            .apiWithoutGraphqlSchema("rest").build();
    private static final PolicyEngine API_ENGINE = new PolicyEngine(ENV).forApi("gql");

    private static EffectivePolicy inbound(String inner) {
        return Harness.compile(API_ENGINE, "<policies><inbound>" + inner + "</inbound><backend><forward-request/></backend></policies>");
    }

    private static List<String> diagnostics(PolicyEngine engine, String inner) {
        Diagnostics d = new Diagnostics();
        engine.parse(new SourceText("p.xml", "<policies><inbound>" + inner + "</inbound></policies>"), Scope.API, d);
        return d.all().stream().map(Object::toString).toList();
    }

    private static PolicyContext post(String query) {
        return postJson(JToken.from(java.util.Map.of("query", query)).toString(false));
    }

    private static PolicyContext postJson(String json) {
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(Url.parse("https://api.local/graphql"));
        c.request().headers().set("Content-Type", "application/json");
        c.request().body(new MessageBody(json.getBytes(StandardCharsets.UTF_8), "application/json"));
        return c;
    }

    private static String requestBody(PolicyContext c) {
        return new String(c.request().body().bytes(), StandardCharsets.UTF_8);
    }

    private static final String BASIC = "<validate-graphql-request error-variable-name=\"gqlErrors\" max-size=\"102400\" max-depth=\"3\" />";

    @Test
    void aValidQueryReachesTheBackendUnchanged() {
        PolicyContext c = post("query { users(first: 2) { id name friends { id } } }");
        String before = requestBody(c);
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(BASIC), c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        assertThat(c.response().statusCode()).isEqualTo(200);
        assertThat(requestBody(c)).isEqualTo(before);
        assertThat(c.variables().containsKey("GraphQLErrors")).isFalse();
    }

    @Test
    void anUnknownFieldIsARequestErrorWithAnErrorsBlockAndNoData() {
        PolicyContext c = post("{\n  users { id nmae }\n}");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(BASIC), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(400);
        JToken body = JToken.parse(Harness.body(c));
        assertThat(body.get("data")).isNull();
        assertThat(body.get("errors").get(0).get("message").toString(false)).contains("nmae");
        assertThat(body.get("errors").get(0).get("locations").get(0).get("line").toString(false)).isEqualTo("2");
        assertThat(c.lastError().source()).isEqualTo("validate-graphql-request");
        assertThat(c.lastError().reason()).isEqualTo("GraphQLValidationFailed");
        assertThat((String) c.variables().get("GraphQLErrors")).contains("nmae");
        assertThat((String) c.variables().get("gqlErrors")).isEqualTo(c.variables().get("GraphQLErrors"));
    }

    @Test
    void aSyntaxErrorIsARequestErrorWithItsLocation() {
        PolicyContext c = post("{ users { id ");
        Harness.run(inbound(BASIC), c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().reason()).isEqualTo("GraphQLSyntaxError");
        assertThat(Harness.body(c)).contains("\"errors\"").contains("\"locations\"");
    }

    @Test
    void depthIsLimitedByMaxDepthAndDefaultsToSix() {
        String three = "{ users { friends { id } } }";
        String four = "{ users { friends { friends { id } } } }";
        PolicyContext ok = post(three);
        Harness.run(inbound(BASIC), ok, new Harness.RecordingForwarder());
        assertThat(ok.response().statusCode()).isEqualTo(200);
        PolicyContext deep = post(four);
        Harness.run(inbound(BASIC), deep, new Harness.RecordingForwarder());
        assertThat(deep.response().statusCode()).isEqualTo(400);
        assertThat(deep.lastError().reason()).isEqualTo("GraphQLQueryTooDeep");
        // fragments count where they are spread
        PolicyContext viaFragment = post("query { users { ...F } } fragment F on User { friends { friends { id } } }");
        Harness.run(inbound(BASIC), viaFragment, new Harness.RecordingForwarder());
        assertThat(viaFragment.lastError().reason()).isEqualTo("GraphQLQueryTooDeep");

        String noDepth = "<validate-graphql-request max-size=\"102400\" />";
        PolicyContext six = post("{ users { friends { friends { friends { friends { id } } } } } }");
        Harness.run(inbound(noDepth), six, new Harness.RecordingForwarder());
        assertThat(six.response().statusCode()).isEqualTo(200);
        PolicyContext seven = post("{ users { friends { friends { friends { friends { friends { id } } } } } } }");
        Harness.run(inbound(noDepth), seven, new Harness.RecordingForwarder());
        assertThat(seven.response().statusCode()).isEqualTo(400);
    }

    @Test
    void aPayloadOverMaxSizeIs413() {
        String policy = "<validate-graphql-request max-size=\"40\" />";
        PolicyContext c = post("{ users { id name email friends { id name email } } }");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(policy), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(413);
        assertThat(c.lastError().reason()).isEqualTo("GraphQLRequestTooLarge");
        PolicyContext small = post("{ users { id } }");
        Harness.run(inbound(policy), small, new Harness.RecordingForwarder());
        assertThat(small.response().statusCode()).isEqualTo(200);
    }

    @Test
    void moreThan250FieldsIsARequestError() {
        StringBuilder q = new StringBuilder("{ users { ");
        for (int i = 0; i < 251; i++) {
            q.append("a").append(i).append(": id ");
        }
        PolicyContext c = post(q.append("} }").toString());
        Harness.run(inbound(BASIC), c, new Harness.RecordingForwarder());
        assertThat(c.lastError().reason()).isEqualTo("GraphQLTooManyFields");
    }

    @Test
    void variablesMustMatchTheirDeclaredTypes() {
        String q = "query Q($id: ID!) { user(id: $id) { name } }";
        PolicyContext good = postJson("{\"query\": " + JToken.from(q).toString(false) + ", \"variables\": {\"id\": \"7\"}}");
        Harness.run(inbound(BASIC), good, new Harness.RecordingForwarder());
        assertThat(good.response().statusCode()).isEqualTo(200);
        PolicyContext missing = postJson("{\"query\": " + JToken.from(q).toString(false) + ", \"variables\": {}}");
        Harness.run(inbound(BASIC), missing, new Harness.RecordingForwarder());
        assertThat(missing.response().statusCode()).isEqualTo(400);
        assertThat(missing.lastError().message()).contains("id");
    }

    @Test
    void severalOperationsNeedAnOperationName() {
        String q = "query A { users { id } } query B { user(id: 1) { id } }";
        PolicyContext none = post(q);
        Harness.run(inbound(BASIC), none, new Harness.RecordingForwarder());
        assertThat(none.response().statusCode()).isEqualTo(400);
        assertThat(none.lastError().message()).contains("operationName");
        PolicyContext named = postJson("{\"query\": " + JToken.from(q).toString(false) + ", \"operationName\": \"B\"}");
        Harness.run(inbound(BASIC), named, new Harness.RecordingForwarder());
        assertThat(named.response().statusCode()).isEqualTo(200);
    }

    @Test
    void getRequestsCarryTheQueryInTheUrl() {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://api.local/graphql?query=%7B%20users%20%7B%20id%20%7D%20%7D"));
        Harness.run(inbound(BASIC), c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        PolicyContext bad = new PolicyContext();
        bad.request().method("GET").url(Url.parse("https://api.local/graphql?query=%7B%20nope%20%7D"));
        Harness.run(inbound(BASIC), bad, new Harness.RecordingForwarder());
        assertThat(bad.response().statusCode()).isEqualTo(400);
        PolicyContext noQuery = new PolicyContext();
        noQuery.request().method("GET").url(Url.parse("https://api.local/graphql"));
        Harness.run(inbound(BASIC), noQuery, new Harness.RecordingForwarder());
        assertThat(noQuery.lastError().reason()).isEqualTo("GraphQLBadRequest");
    }

    @Test
    void aPostThatIsNotJsonIsRefused() {
        PolicyContext c = new PolicyContext();
        c.request().method("POST").url(Url.parse("https://api.local/graphql"));
        c.request().headers().set("Content-Type", "text/plain");
        c.request().body(MessageBody.ofString("{ users { id } }", "text/plain"));
        Harness.run(inbound(BASIC), c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().reason()).isEqualTo("GraphQLBadRequest");
    }

    private static final String RULES = """
            <validate-graphql-request error-variable-name="gqlErrors" max-size="102400">
              <authorize>
                <rule path="/__*" action="reject" />
                <rule path="/Mutation/deleteUser" action="@(context.Request.Headers.GetValueOrDefault("X-Role", "") == "admin" ? "allow" : "reject")" />
                <rule path="/User/email" action="remove" />
                <rule path="/User/name" action="ignore" />
                <rule path="/User/*" action="allow" />
              </authorize>
            </validate-graphql-request>""";

    @Test
    void aRejectRuleStopsTheRequest() {
        PolicyContext c = post("mutation { deleteUser(id: 1) }");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(RULES), c, f);
        assertThat(f.calls.get()).isZero();
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().reason()).isEqualTo("GraphQLUnauthorizedField");
        assertThat(Harness.body(c)).contains("Mutation.deleteUser");

        PolicyContext admin = post("mutation { deleteUser(id: 1) }");
        admin.request().headers().set("X-Role", "admin");
        Harness.RecordingForwarder g = new Harness.RecordingForwarder();
        Harness.run(inbound(RULES), admin, g);
        assertThat(g.calls.get()).isEqualTo(1);
    }

    @Test
    void introspectionIsRejectedByTheDoubleUnderscoreRule() {
        PolicyContext c = post("{ __schema { types { name } } }");
        Harness.run(inbound(RULES), c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(400);
        assertThat(c.lastError().message()).contains("__schema");
    }

    @Test
    void aRemoveRuleTakesTheFieldOutOfTheForwardedQuery() {
        String q = "query Q($id: ID!, $n: Int) { user(id: $id) { id email } users(first: $n) { ...F } } fragment F on User { name email }";
        PolicyContext c = postJson("{\"query\": " + JToken.from(q).toString(false) + ", \"variables\": {\"id\": \"1\", \"n\": 2}, \"extensions\": {\"x\": 1}}");
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(RULES), c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        JToken sent = JToken.parse(requestBody(c));
        String query = (String) ((io.gatehouse.expr.lib.JValue) sent.get("query")).value();
        assertThat(query).doesNotContain("email").contains("user(id: $id)").contains("fragment F on User").contains("name");
        assertThat(sent.get("variables").get("id").toString(false)).isEqualTo("\"1\"");
        assertThat(sent.get("extensions").get("x").toString(false)).isEqualTo("1");
        assertThat((String) c.variables().get("GraphQLErrors")).contains("User.email").contains("removed");
        assertThat((String) c.variables().get("gqlErrors")).contains("User.email");
    }

    @Test
    void removingEveryFieldOfASelectionRemovesTheParentAndUnusedVariables() {
        String q = "query Q($id: ID!, $n: Int) { user(id: $id) { email } users(first: $n) { id } }";
        PolicyContext c = postJson("{\"query\": " + JToken.from(q).toString(false) + ", \"variables\": {\"id\": \"1\", \"n\": 2}}");
        Harness.run(inbound(RULES), c, new Harness.RecordingForwarder());
        JToken sent = JToken.parse(requestBody(c));
        String query = (String) ((io.gatehouse.expr.lib.JValue) sent.get("query")).value();
        assertThat(query).doesNotContain("user(").doesNotContain("$id").contains("users(first: $n)");
        assertThat(sent.get("variables").get("id")).isNull();
        assertThat(sent.get("variables").get("n").toString(false)).isEqualTo("2");

        PolicyContext all = post("{ user(id: 1) { email } }");
        Harness.run(inbound(RULES), all, new Harness.RecordingForwarder());
        assertThat(all.response().statusCode()).isEqualTo(400);
    }

    @Test
    void aRuleOnAnObjectTypeCoversTheFieldSelectedThroughAnInterfaceItImplements() {
        PolicyContext c = post("{ contact(id: 1) { email } node(id: 1) { id ... on User { email name } } }");
        Harness.run(inbound(RULES), c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        String query = (String) ((io.gatehouse.expr.lib.JValue) JToken.parse(requestBody(c)).get("query")).value();
        assertThat(query).doesNotContain("email").doesNotContain("contact").contains("name");
        assertThat((String) c.variables().get("GraphQLErrors")).contains("Contact.email").contains("User.email");
    }

    @Test
    void aRemovalInAGetRequestRewritesTheQueryParameter() {
        PolicyContext c = new PolicyContext();
        c.request().method("GET").url(Url.parse("https://api.local/graphql?query=%7B%20users%20%7B%20id%20email%20%7D%20%7D&x=1"));
        Harness.RecordingForwarder f = new Harness.RecordingForwarder();
        Harness.run(inbound(RULES), c, f);
        assertThat(f.calls.get()).isEqualTo(1);
        String query = c.request().url().queryValueOrDefault("query", null);
        assertThat(query).contains("users").contains("id").doesNotContain("email");
        assertThat(c.request().url().queryValueOrDefault("x", null)).isEqualTo("1");
    }

    @Test
    void attributesAndRulesAreCheckedAtLoad() {
        assertThat(diagnostics(API_ENGINE, """
                <validate-graphql-request max-depth="0" />
                <validate-graphql-request max-size="200000" />
                <validate-graphql-request max-size="1"><authorize><rule path="Query/users" /><rule path="/Query/userz" />\
                <rule path="/Nobody/x" /><rule path="/Node/id" /><rule path="/User/id" action="maybe" /></authorize></validate-graphql-request>""")).containsExactly(
                "p.xml:1:20: error: <validate-graphql-request> is missing the required attribute 'max-size'",
                "p.xml:1:46: error: attribute 'max-depth' on <validate-graphql-request>: '0' (expected: a whole number 1-1000 or a policy expression)",
                "p.xml:2:27: error: attribute 'max-size' on <validate-graphql-request>: '200000' (expected: a whole number 1-102400 or a policy expression)",
                "p.xml:3:57: error: rule path 'Query/users' (expected /type/field such as /Query/users, /field for a field of the operation's root type, or a pattern with * such as /__* for the introspection fields)",
                "p.xml:3:84: error: rule path '/Query/userz': type 'Query' has no field 'userz' (did you mean 'user'?)",
                "p.xml:3:112: error: rule path '/Nobody/x': the schema has no type 'Nobody'",
                "p.xml:3:137: error: rule path '/Node/id': 'Node' is an interface: rules apply to fields of object types (APIM applies no permissions to input types, unions, interfaces or scalars)",
                "p.xml:3:177: error: rule action 'maybe' (expected: allow, remove, reject, ignore or a policy expression)");
    }

    @Test
    void aPolicyWithoutASchemaIsALoadErrorSayingWhichKeyToSet() {
        assertThat(diagnostics(new PolicyEngine(ENV).forApi("rest"), "<validate-graphql-request max-size=\"100\" />")).containsExactly(
                "p.xml:1:20: error: <validate-graphql-request> needs the API's GraphQL schema, and api 'rest' has none: set apis[].graphql.schema to its SDL file in the config");
        assertThat(diagnostics(new PolicyEngine(ENV), "<validate-graphql-request max-size=\"100\" />")).containsExactly(
                "p.xml:1:20: error: <validate-graphql-request> at api scope runs for every API, and api 'rest' has no GraphQL schema: set apis[].graphql.schema for it, or move the policy into the GraphQL APIs' own policies");
        assertThat(diagnostics(new PolicyEngine(PolicyEnvironment.empty()), "<validate-graphql-request max-size=\"100\" />")).containsExactly(
                "p.xml:1:20: error: <validate-graphql-request> needs the API's GraphQL schema, and no API in the config has one: set apis[].graphql.schema to the SDL file of each API this policy applies to");
    }

    @Test
    void aStandaloneCheckWithoutAConfigWarnsInsteadOfFailing() {
        PolicyEngine lenient = new PolicyEngine(PolicyEnvironment.builder().lenientReferences(true).build());
        assertThat(diagnostics(lenient, "<validate-graphql-request max-size=\"100\"><authorize><rule path=\"/Query/x\" /></authorize></validate-graphql-request>"))
                .containsExactly("p.xml:1:20: warning: <validate-graphql-request> needs the API's GraphQL schema, and no API in the config has one: "
                        + "set apis[].graphql.schema to the SDL file of each API this policy applies to (rule paths are not checked)");
    }

    @Test
    void aPolicyOutsideAnApiPicksTheSchemaOfTheApiTheRequestReached() {
        PolicyEngine global = new PolicyEngine(PolicyEnvironment.builder().graphqlSchema("gql", schema()).build());
        EffectivePolicy p = Harness.compile(global, "<policies><inbound>" + BASIC + "</inbound><backend><forward-request/></backend></policies>");
        PolicyContext c = post("{ users { id } }");
        c.api(new io.gatehouse.expr.context.ApiInfo("gql", "gql", "graphql", null, ""));
        Harness.run(p, c, new Harness.RecordingForwarder());
        assertThat(c.response().statusCode()).isEqualTo(200);
        PolicyContext bad = post("{ nope }");
        bad.api(new io.gatehouse.expr.context.ApiInfo("gql", "gql", "graphql", null, ""));
        Harness.run(p, bad, new Harness.RecordingForwarder());
        assertThat(bad.response().statusCode()).isEqualTo(400);
    }

    @Test
    void schemaErrorsNameTheFileLineAndColumn() {
        Diagnostics d = new Diagnostics();
        assertThat(GraphqlApiSchema.parse(new SourceText("s.graphql", "type Query {\n  a: Missing\n}\n"), d)).isNull();
        assertThat(d.all().get(0).toString()).startsWith("s.graphql:1:1: error: GraphQL schema: ").contains("'Missing'");
        Diagnostics syntax = new Diagnostics();
        assertThat(GraphqlApiSchema.parse(new SourceText("t.graphql", "type Query {\n  a: \n"), syntax)).isNull();
        assertThat(syntax.all().get(0).toString()).startsWith("t.graphql:3:");
    }
}
