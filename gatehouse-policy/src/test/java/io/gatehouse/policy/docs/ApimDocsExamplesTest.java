package io.gatehouse.policy.docs;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.docs.DocsExamples.Example;
import io.gatehouse.policy.elements.AzureOnly;
import io.gatehouse.policy.spi.PolicyRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden test over APIM's documentation examples: each stored example either loads or is refused
 * exactly as {@code apim-docs/EXPECTED.tsv} records, with the same messages. A change in Gatehouse
 * that makes an example load (a policy implemented) or stop loading (a regression) fails here until
 * the golden file is regenerated with {@code -Dgatehouse.docs.update=true} and the diff reviewed.
 *
 * <p>Examples load the way a user's config would: named values, the fragment, certificates and the
 * backend they name are declared ({@link DocsExamples#ENVIRONMENT}); references are not lenient.
 */
class ApimDocsExamplesTest {
    /** The golden file in the source tree (surefire runs in the module directory). */
    private static final Path GOLDEN = Path.of("src/test/resources/apim-docs/EXPECTED.tsv");
    private static final String HEADER = "# example\toutcome\tmessages (errors when refused, warnings when loaded; ' | ' between)";

    record Outcome(String outcome, String messages) {
        String row(String id) {
            return id + "\t" + outcome + "\t" + messages;
        }
    }

    private static Map<String, Outcome> actual;
    private static Map<String, Outcome> expected;

    @BeforeAll
    static void loadEveryExample() throws IOException {
        actual = new LinkedHashMap<>();
        for (Example e : DocsExamples.all()) {
            actual.put(e.id(), load(e));
        }
        if (Boolean.getBoolean("gatehouse.docs.update")) {
            StringBuilder sb = new StringBuilder(HEADER).append('\n');
            actual.forEach((id, o) -> sb.append(o.row(id)).append('\n'));
            Files.writeString(GOLDEN, sb, StandardCharsets.UTF_8);
        }
        expected = new LinkedHashMap<>();
        // the source copy when run from the module directory (as surefire does), else the classpath copy
        Path golden = Files.exists(GOLDEN) ? GOLDEN : DocsExamples.root().resolve("EXPECTED.tsv");
        for (String line : Files.readAllLines(golden, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            assertThat(f).as("EXPECTED.tsv row '%s' (expected: example, outcome, messages)", line).hasSize(3);
            expected.put(f[0], new Outcome(f[1], f[2]));
        }
    }

    /** Loads one example as a config load would: parse at API scope, then compose into the operation's policy. */
    static Outcome load(Example e) {
        PolicyEngine engine = DocsExamples.engine();
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = DocsExamples.parse(engine, e, d);
        if (!d.hasErrors()) {
            engine.compose(null, doc, null, d);
        }
        boolean refused = d.hasErrors();
        String messages = d.all().stream()
                .filter(x -> x.isError() == refused)
                .map(ApimDocsExamplesTest::oneLine)
                .collect(Collectors.joining(" | "));
        return new Outcome(refused ? "refused" : "loads", messages);
    }

    private static String oneLine(Diagnostic x) {
        return (x.line() + ":" + x.column() + ": " + x.message()).replaceAll("[\\t\\r\\n]+", " ");
    }

    static List<Example> examples() {
        return DocsExamples.all();
    }

    /** Policies from the pages that Gatehouse does not run: unknown to the registry, or registered only to refuse (Azure-only). */
    static boolean notImplemented(String policy) {
        return PolicyRegistry.builtIn().find(policy) == null || AzureOnly.TYPES.stream().anyMatch(t -> t.name().equals(policy));
    }

    static List<Example> examplesOfPoliciesGatehouseLacks() {
        return DocsExamples.all().stream().filter(e -> notImplemented(e.policy())).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void outcomeMatchesTheGoldenFile(Example e) {
        assertThat(expected).as("EXPECTED.tsv has no row for %s (run with -Dgatehouse.docs.update=true)", e).containsKey(e.id());
        assertThat(actual.get(e.id())).as("%s", e.resource()).isEqualTo(expected.get(e.id()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examplesOfPoliciesGatehouseLacks")
    void examplesOfPoliciesGatehouseLacksAreRefusedNamingTheElement(Example e) {
        Outcome o = actual.get(e.id());
        assertThat(o.outcome()).as("%s uses <%s>, which Gatehouse does not run", e, e.policy()).isEqualTo("refused");
        assertThat(o.messages()).as("%s", e).containsAnyOf("'" + e.policy() + "'", "<" + e.policy() + ">", "<" + e.policy() + " ");
    }

    @Test
    void goldenFileListsExactlyTheStoredExamples() {
        assertThat(expected.keySet()).containsExactlyElementsOf(actual.keySet());
    }

    @Test
    void everyStoredPolicyHasItsPageInSources() throws IOException {
        String sources = Files.readString(DocsExamples.root().resolve("SOURCES.md"), StandardCharsets.UTF_8);
        Set<String> policies = new TreeSet<>();
        DocsExamples.all().forEach(e -> policies.add(e.policy()));
        for (String p : policies) {
            assertThat(sources).as("SOURCES.md names the page for %s", p).contains("articles/api-management/" + p + "-policy.md");
        }
    }

    @Test
    void everyPolicyGatehouseRunsHasAtLeastOneExample() {
        Set<String> covered = DocsExamples.all().stream().map(Example::policy).collect(Collectors.toSet());
        // base has no reference page of its own (it is documented with scopes); the rest each have one
        List<String> implemented = List.of("include-fragment", "choose", "return-response", "set-status", "set-header",
                "set-body", "set-variable", "set-backend-service", "forward-request", "trace", "authentication-certificate",
                "validate-client-certificate", "set-query-parameter", "set-method", "rewrite-uri", "check-header", "ip-filter",
                "mock-response", "authentication-basic", "cors", "rate-limit", "rate-limit-by-key", "quota", "quota-by-key",
                "limit-concurrency", "find-and-replace", "json-to-xml", "xml-to-json", "validate-jwt", "validate-azure-ad-token",
                "cache-lookup-value", "cache-store-value", "cache-remove-value", "send-request", "send-one-way-request",
                "retry", "wait");
        for (String p : implemented) {
            assertThat(PolicyRegistry.builtIn().find(p)).as("%s is registered", p).isNotNull();
        }
        assertThat(covered).containsAll(implemented);
    }
}
