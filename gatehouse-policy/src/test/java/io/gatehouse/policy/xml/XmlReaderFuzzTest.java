package io.gatehouse.policy.xml;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Feeds random and mutated policy documents to the reader and the whole compiler for a bounded
 * time: every input must give a result and diagnostics with valid positions, never an exception
 * and never a hang.
 */
class XmlReaderFuzzTest {
    private static final String[] TOKENS = {"<", ">", "/>", "</", "\"", "'", "&", "&amp;", "&quot;", "&#x41;", "&bogus;", "@(", "@{",
            "(", ")", "{", "}", "[", "]", "=", " ", "\n", "<!--", "-->", "<![CDATA[", "]]>", "<?xml?>", "{{", "}}", "policies",
            "inbound", "backend", "choose", "when", "condition", "set-header", "value", "base", "<base/>", "\\", "\"\"", "//", "/*",
            "*/", "$\"", "@\"", "'x'", "context.Request.Headers", "&&", "<=", "\u200e", "\uFEFF", "\t", "\r\n"};

    @Test
    void randomAndMutatedDocumentsGiveOnlyDiagnostics() throws IOException {
        List<String> seeds = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("golden.dir", "src/test/resources/golden")))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".xml")).sorted().toList()) {
                seeds.add(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        seeds.add("""
                <policies><inbound><base /><choose>
                <when condition="@(context.Request.Certificate == null || context.Request.Certificate.NotAfter < DateTime.UtcNow)">
                <return-response><set-status code="403" reason="Forbidden" /><set-body>@{ return "<a>" + $"{1}"; }</set-body></return-response>
                </when></choose></inbound></policies>""");
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().lenientReferences(true).build());
        Random random = new Random(20261127L);
        long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        int[] runs = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            while (System.nanoTime() < deadline) {
                String doc = random.nextInt(4) == 0 ? randomDocument(random) : mutate(seeds.get(random.nextInt(seeds.size())), random);
                check(doc, engine);
                runs[0]++;
            }
        });
        assertThat(runs[0]).isGreaterThan(500);
    }

    private static void check(String doc, PolicyEngine engine) {
        SourceText src = new SourceText("fuzz.xml", doc);
        Diagnostics d = new Diagnostics();
        try {
            XmlReader.read(src, d);
            engine.parse(src, Scope.API, d);
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("reader threw on input:\n" + doc, e);
        }
        for (Diagnostic x : d.all()) {
            assertThat(x.line()).as(x.toString()).isBetween(1, Math.max(1, src.lineCount()));
        }
    }

    private static String randomDocument(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(80);
        for (int i = 0; i < n; i++) {
            sb.append(TOKENS[r.nextInt(TOKENS.length)]);
        }
        return sb.toString();
    }

    private static String mutate(String s, Random r) {
        StringBuilder sb = new StringBuilder(s);
        int edits = 1 + r.nextInt(6);
        for (int i = 0; i < edits && sb.length() > 0; i++) {
            int at = r.nextInt(sb.length());
            int len = Math.min(sb.length() - at, 1 + r.nextInt(20));
            switch (r.nextInt(5)) {
                case 0 -> sb.delete(at, at + len);
                case 1 -> sb.insert(at, TOKENS[r.nextInt(TOKENS.length)]);
                case 2 -> sb.insert(at, sb.substring(at, at + len));
                case 3 -> sb.setLength(at);
                default -> sb.setCharAt(at, (char) (r.nextInt(2) == 0 ? r.nextInt(128) : r.nextInt(0x3000)));
            }
        }
        return sb.toString();
    }
}
