package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * validate-graphql-request and validate-odata-request through the gateway: a JDK HttpClient sends
 * real requests, and a {@link RecordingBackend} shows what (if anything) got through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GraphqlAndODataEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String SDL = """
            type Query {
              users(first: Int): [User!]!
              user(id: ID!): User
            }
            type Mutation {
              deleteUser(id: ID!): Boolean
            }
            type User {
              id: ID!
              name: String
              email: String
              friends: [User!]!
            }
            """;

    @TempDir
    static Path tmp;
    static RecordingBackend backend;
    static GatewayHarness gw;
    static HttpClient http;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        backend = new RecordingBackend();
        port = Ports.free();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        GatewayHarness.write(tmp.resolve("schema.graphql"), SDL);
        GatewayHarness.write(tmp.resolve("graphql.xml"), """
                <policies>
                  <inbound>
                    <validate-graphql-request error-variable-name="gqlErrors" max-size="2048" max-depth="3">
                      <authorize>
                        <rule path="/__*" action="reject" />
                        <rule path="/Mutation/deleteUser" action="reject" />
                        <rule path="/User/email" action="remove" />
                      </authorize>
                    </validate-graphql-request>
                  </inbound>
                  <backend><forward-request /></backend>
                  <on-error>
                    <set-header name="x-lasterror" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header>
                  </on-error>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("odata.xml"), """
                <policies>
                  <inbound>
                    <validate-odata-request error-variable-name="odataError" default-odata-version="4.0"
                        min-odata-version="4.0" max-odata-version="4.01" max-size="1024" />
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                backends:
                  - id: recorder
                    url: %s
                apis:
                  - id: people-graph
                    path: graphql
                    backendId: recorder
                    graphql:
                      schema: schema.graphql
                    policy: graphql.xml
                  - id: people-odata
                    path: odata
                    backendId: recorder
                    policy: odata.xml
                """.formatted(port, backend.url()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static HttpResponse<String> postGraphql(String target, String query) throws Exception {
        String body = "{\"query\": " + io.gatehouse.expr.lib.Json.quoted(query) + "}";
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String target, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + target)).GET().timeout(WAIT);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<RecordingBackend.Request> seen(String target) {
        return backend.requests.stream().filter(r -> r.target().equals(target)).toList();
    }

    private static RecordingBackend.Request awaitSeen(String target) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<RecordingBackend.Request> s = seen(target);
            if (!s.isEmpty()) {
                return s.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the backend got no request for " + target + "; it got "
                + backend.requests.stream().map(RecordingBackend.Request::target).toList());
    }

    @Test
    void aValidQueryReachesTheBackendAsSent() throws Exception {
        HttpResponse<String> r = postGraphql("/graphql?t=valid", "query { users(first: 2) { id name friends { id } } }");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("seen /?t=valid"); // the API path is not part of the backend URL
        assertThat(awaitSeen("/?t=valid").bodyText()).contains("users(first: 2)").contains("friends");
    }

    @Test
    void aGetQueryIsValidatedToo() throws Exception {
        HttpResponse<String> ok = get("/graphql?query=%7B%20users%20%7B%20id%20%7D%20%7D");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        HttpResponse<String> bad = get("/graphql?query=%7B%20userz%20%7B%20id%20%7D%20%7D&t=badget");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(seen("/?query=%7B%20userz%20%7B%20id%20%7D%20%7D&t=badget")).isEmpty();
        assertThat(seen("/?query=%7B%20users%20%7B%20id%20%7D%20%7D")).hasSize(1);
    }

    @Test
    void anUnknownFieldIsRefusedWith400AndAGraphqlErrorsBlock() throws Exception {
        HttpResponse<String> r = postGraphql("/graphql?t=invalid", "{ users { id password } }");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).startsWith("{\"errors\":[").contains("password").doesNotContain("\"data\"");
        assertThat(r.headers().firstValue("x-lasterror")).hasValue("validate-graphql-request/GraphQLValidationFailed");
        Thread.sleep(200);
        assertThat(seen("/?t=invalid")).isEmpty();
    }

    @Test
    void aQueryDeeperThanMaxDepthIsRefused() throws Exception {
        HttpResponse<String> r = postGraphql("/graphql?t=deep", "{ users { friends { friends { id } } } }");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("4 levels deep");
        assertThat(r.headers().firstValue("x-lasterror")).hasValue("validate-graphql-request/GraphQLQueryTooDeep");
        Thread.sleep(200);
        assertThat(seen("/?t=deep")).isEmpty();
    }

    @Test
    void aPayloadOverMaxSizeIs413() throws Exception {
        String big = "{ users { id } }\n#" + "x".repeat(3000);
        HttpResponse<String> r = postGraphql("/graphql?t=big", big);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("max-size");
        Thread.sleep(200);
        assertThat(seen("/?t=big")).isEmpty();
    }

    @Test
    void aRejectRuleStopsTheMutationAndIntrospection() throws Exception {
        HttpResponse<String> r = postGraphql("/graphql?t=reject", "mutation { deleteUser(id: 7) }");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("Mutation.deleteUser");
        HttpResponse<String> intro = postGraphql("/graphql?t=intro", "{ __schema { queryType { name } } }");
        assertThat(intro.statusCode()).isEqualTo(400);
        Thread.sleep(200);
        assertThat(seen("/?t=reject")).isEmpty();
        assertThat(seen("/?t=intro")).isEmpty();
    }

    @Test
    void aRemoveRuleTakesTheFieldOutOfWhatTheBackendGets() throws Exception {
        HttpResponse<String> r = postGraphql("/graphql?t=remove", "{ user(id: 1) { id name email } }");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordingBackend.Request got = awaitSeen("/?t=remove");
        assertThat(got.bodyText()).contains("user(id: 1)").contains("name").doesNotContain("email");
        assertThat(got.header("Content-Length")).isEqualTo(String.valueOf(got.body().length));
    }

    @Test
    void anODataRequestWithinTheVersionRangePasses() throws Exception {
        HttpResponse<String> r = get("/odata/People?$top=2&$count=true&t=odataok", "OData-Version", "4.0", "OData-MaxVersion", "4.01");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        RecordingBackend.Request got = awaitSeen(backend.requests.stream().filter(q -> q.target().contains("t=odataok"))
                .findFirst().map(RecordingBackend.Request::target).orElse("(none)"));
        assertThat(got.target()).startsWith("/People?").contains("top=2").contains("count=true");
        assertThat(got.header("OData-Version")).isEqualTo("4.0");
        HttpResponse<String> noHeader = get("/odata/Airports?t=default");
        assertThat(noHeader.statusCode()).isEqualTo(200);
    }

    @Test
    void anODataVersionOutOfRangeIsRefused() throws Exception {
        HttpResponse<String> r = get("/odata/People?t=v3", "OData-Version", "3.0");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).startsWith("{\"error\":{\"code\":\"ODataVersionNotSupported\"").contains("minimum is 4.0");
        HttpResponse<String> badOption = get("/odata/People?$top=-3&t=badopt");
        assertThat(badOption.statusCode()).isEqualTo(400);
        assertThat(badOption.body()).contains("ODataQueryOptionInvalid");
        Thread.sleep(200);
        assertThat(seen("/People?t=v3")).isEmpty();
        assertThat(backend.requests.stream().filter(q -> q.target().contains("t=badopt")).toList()).isEmpty();
    }

    @Test
    void anODataPayloadOverMaxSizeIs413() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/odata/People?t=big"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"Name\": \"" + "y".repeat(2000) + "\"}")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        Thread.sleep(200);
        assertThat(seen("/People?t=big")).isEmpty();
    }

    @Test
    void theConfigSaysWhichKeyToSetAndWhereTheSchemaIsBroken() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        GatewayHarness.write(dir.resolve("bad.graphql"), "type Query {\n  users: [User\n}\n");
        GatewayHarness.write(dir.resolve("p.xml"), "<policies><inbound><validate-graphql-request max-size=\"100\" /></inbound></policies>");
        GatewayHarness.write(dir.resolve("gatehouse.yaml"), """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                apis:
                  - id: no-schema
                    path: a
                    serviceUrl: http://127.0.0.1:1
                    policy: p.xml
                  - id: broken-schema
                    path: b
                    serviceUrl: http://127.0.0.1:1
                    graphql:
                      schema: bad.graphql
                    policy: p.xml
                """.formatted(Ports.free()));
        ConfigResult result = ConfigLoader.load(dir.resolve("gatehouse.yaml"));
        String rendered = result.diagnostics().render();
        assertThat(result.config()).isNull();
        assertThat(rendered).contains("p.xml:1:20: error: <validate-graphql-request> needs the API's GraphQL schema, and api "
                + "'no-schema' has none: set apis[].graphql.schema to its SDL file in the config");
        assertThat(rendered).contains("bad.graphql:2:10: error: GraphQL schema: Invalid syntax");
        assertThat(result.diagnostics().errorCount()).isEqualTo(2);
    }
}
