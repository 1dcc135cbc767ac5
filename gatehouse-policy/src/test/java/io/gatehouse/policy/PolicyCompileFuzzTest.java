package io.gatehouse.policy;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Every element's compile against hostile values, from every document the test suite holds (the
 * public corpus, APIM's reference examples, the golden documents): each run takes a document and
 * replaces attribute values and element texts with values an element might not expect (empty,
 * whitespace, huge or negative numbers, unknown and known named values, half expressions,
 * expressions of the wrong type, markup), or cuts and repeats pieces of it. The reader, the
 * expression compiler and each policy's compile must answer with diagnostics only: no exception,
 * no "internal error" (the checker's own failure, which the load survives but which is a bug), no
 * hang, and every position inside the document. Bounded in time; the seed is fixed so a failure
 * reproduces, and printed with the input that failed.
 */
class PolicyCompileFuzzTest {
    private static final Path RESOURCES = Path.of("src/test/resources");
    private static final Pattern VALUE = Pattern.compile("=\"([^\"<]*)\"|>([^<]{1,200})</");
    private static final String[] HOSTILE = {"", " ", "0", "-1", "2147483648", "99999999999999999999", "1.5", "NaN", "true", "false",
            "{{known}}", "{{unknown-name}}", "{{known}}/x", "{{}}", "{{", "}}", "@(", "@{", "@()", "@(1)", "@(\"text\")", "@(null)",
            "@(context.Request.Body)", "@{ return null; }", "@(context.Variables[\"x\"])", "@(1/0)", "&amp;", "&#0;", "\u0000",
            "\uFEFF", "\u200e", "a\nb", "https://", "http://[::1", "https://example.org:99999/", "/", "*", "**", "x".repeat(5000),
            "-", "PT1S", "00:00:01", "1e9", "text/xml; charset", "Bearer", "CN=", "%", "%%", "\\", "$", "#", "{0}"};

    @Test
    void hostileValuesInEveryCorpusDocumentGiveOnlyDiagnostics() throws IOException {
        List<String> seeds = new ArrayList<>();
        try (Stream<Path> files = Files.walk(RESOURCES)) {
            for (Path p : files.filter(p -> p.toString().endsWith(".xml")).sorted().toList()) {
                seeds.add(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        assertThat(seeds).as("documents under " + RESOURCES.toAbsolutePath()).hasSizeGreaterThan(150);
        List<PolicyEngine> engines = List.of(
                new PolicyEngine(PolicyEnvironment.builder().lenientReferences(true).build()),
                new PolicyEngine(PolicyEnvironment.builder().namedValue("known", "12").build()),
                new PolicyEngine(PolicyEnvironment.builder().lenientReferences(true).skipUnsupportedPolicies(true)
                        .namedValue("known", "@(context.Request.Url)").build()));
        // each document as it is first: the corpus itself must not make the checker fail
        for (String seed : seeds) {
            for (PolicyEngine engine : engines) {
                check(seed, engine);
            }
        }
        Random random = new Random(20261207L);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int[] runs = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            while (System.nanoTime() < deadline) {
                String doc = mutate(seeds.get(random.nextInt(seeds.size())), random);
                check(doc, engines.get(random.nextInt(engines.size())));
                runs[0]++;
            }
        });
        assertThat(runs[0]).isGreaterThan(300);
    }

    private static void check(String doc, PolicyEngine engine) {
        SourceText src = new SourceText("fuzz.xml", doc);
        Diagnostics d = new Diagnostics();
        try {
            engine.parse(src, Scope.API, d);
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("the compiler threw on input:\n" + doc, e);
        }
        for (Diagnostic x : d.all()) {
            assertThat(x.message()).as("input:\n%s", doc).doesNotContain("internal error");
            assertThat(x.line()).as(x.toString()).isBetween(0, Math.max(1, src.lineCount()));
        }
    }

    /** Replaces some values with hostile ones; sometimes also cuts or repeats a piece. */
    private static String mutate(String s, Random r) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = VALUE.matcher(s);
        while (m.find()) {
            int g = m.group(1) != null ? 1 : 2;
            spans.add(new int[] {m.start(g), m.end(g)});
        }
        StringBuilder sb = new StringBuilder(s);
        if (!spans.isEmpty()) {
            int edits = 1 + r.nextInt(Math.min(4, spans.size()));
            List<int[]> chosen = new ArrayList<>();
            for (int i = 0; i < edits; i++) {
                chosen.add(spans.get(r.nextInt(spans.size())));
            }
            chosen.sort((a, b) -> Integer.compare(b[0], a[0])); // from the end, so earlier offsets hold
            int lastStart = Integer.MAX_VALUE;
            for (int[] span : chosen) {
                if (span[1] > lastStart) {
                    continue; // overlaps one already replaced
                }
                String hostile = HOSTILE[r.nextInt(HOSTILE.length)];
                if (hostile.indexOf('"') >= 0 && sb.charAt(Math.max(0, span[0] - 1)) == '"') {
                    hostile = hostile.replace("\"", "&quot;");
                }
                sb.replace(span[0], span[1], hostile);
                lastStart = span[0];
            }
        }
        if (r.nextInt(5) == 0 && sb.length() > 0) {
            int at = r.nextInt(sb.length());
            int len = Math.min(sb.length() - at, 1 + r.nextInt(40));
            if (r.nextBoolean()) {
                sb.delete(at, at + len);
            } else {
                sb.insert(at, sb.substring(at, at + len));
            }
        }
        return sb.toString();
    }
}
