package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.tls.Pki;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden tests for load-time diagnostics: each {@code golden/NN-*.xml} is compiled at API scope
 * under a global policy, and everything reported (headline, source line, caret) must equal
 * {@code NN-*.expected}. Run with {@code -Dgolden.update=true} to rewrite the expected files,
 * then review the diff.
 */
class DiagnosticsGoldenTest {
    private static final Path DIR = Path.of(System.getProperty("golden.dir", "src/test/resources/golden"));
    private static final String GLOBAL = """
            <policies>
              <inbound><set-header name="x-global" exists-action="override"><value>1</value></set-header></inbound>
              <backend><forward-request /></backend>
            </policies>""";

    @TestFactory
    Stream<DynamicTest> everyBrokenDocumentReportsExactlyItsProblems() throws IOException {
        List<Path> docs;
        try (Stream<Path> s = Files.list(DIR)) {
            docs = s.filter(p -> p.getFileName().toString().matches("\\d\\d-.*\\.xml")).sorted().toList();
        }
        assertThat(docs).hasSizeGreaterThanOrEqualTo(15);
        PolicyEngine engine = new PolicyEngine(environment());
        return docs.stream().map(doc -> DynamicTest.dynamicTest(doc.getFileName().toString(), () -> check(engine, doc)));
    }

    private static PolicyEnvironment environment() throws IOException {
        PolicyEnvironment.Builder b = PolicyEnvironment.builder()
                .namedValue("tenant-id", "t1")
                .backendId("patients-backend")
                .keyPair("backend-client-cert", Pki.issue(Pki.ca("CN=ca", Duration.ofDays(1)),
                        Pki.IssueRequest.client("CN=gw")).keyMaterial());
        for (String id : List.of("loop-a", "loop-b", "verify-client")) {
            Path f = DIR.resolve("fragment-" + id + ".xml");
            b.fragment(id, new SourceText(f.getFileName().toString(), Files.readString(f, StandardCharsets.UTF_8)));
        }
        return b.build();
    }

    private static void check(PolicyEngine engine, Path doc) throws IOException {
        Diagnostics d = new Diagnostics();
        String name = doc.getFileName().toString();
        PolicyDocument global = engine.parse(new SourceText("global.xml", GLOBAL), Scope.GLOBAL, d);
        assertThat(d.isEmpty()).isTrue();
        PolicyDocument api = engine.parse(new SourceText(name, Files.readString(doc, StandardCharsets.UTF_8)), Scope.API, d);
        engine.compose(global, api, null, d);
        String actual = d.render();
        Path expectedFile = DIR.resolve(name.replace(".xml", ".expected"));
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(expectedFile, actual, StandardCharsets.UTF_8);
        }
        assertThat(expectedFile).as("golden file for " + name + " (run with -Dgolden.update=true)").exists();
        assertThat(actual).isEqualTo(Files.readString(expectedFile, StandardCharsets.UTF_8));
        assertThat(actual).as("every document here is broken").isNotEmpty();
    }
}
