package io.gatehouse.policy.corpus;

import io.gatehouse.common.Diagnostic;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loads every real APIM policy document under {@code src/test/resources/corpus/<source>/} (see
 * {@code corpus/SOURCES.md}) the way a config load would, and compares each outcome with the golden
 * file {@code corpus/EXPECTED.tsv}.
 *
 * <p>The environment declares what a user's config would declare for the document: every named
 * value it references, an empty fragment for every {@code include-fragment} whose fragment is not in
 * the corpus; certificates and backends it names are left to the config, as {@code gatehouse
 * policy check} does (warnings). So a refusal here is a construct Gatehouse does not support (or a
 * mistake in the document itself), never a missing reference.
 *
 * <p>Fails when an outcome changes, when the load rate falls below the rate recorded in the golden
 * file, or when a refusal does not name what it refuses. Run with
 * {@code -Dgatehouse.corpus.update=true} to rewrite the golden file after a deliberate change.
 */
class CorpusTest {
    private static final Path CORPUS = Path.of("src/test/resources/corpus");
    private static final Path EXPECTED = CORPUS.resolve("EXPECTED.tsv");
    private static final String RATE_LINE = "# min-load-rate\t";
    /** APIM named value names: letters, digits, '.', '-', '_' (and '/' as one corpus document writes). */
    private static final Pattern FRAGMENT_REF = Pattern.compile("fragment-id\\s*=\\s*\"([^\"]+)\"");
    /**
     * A refusal names what it refuses: a quoted name ('x' or "x"), an element (<x>), an attribute
     * followed by its quoted value (base-url ''), or the certificate thumbprint it cannot resolve.
     */
    private static final Pattern NAMES_SOMETHING = Pattern.compile(
            "'[^']+'|\"[^\"]+\"|<[^>\\s]+>|[a-z]+(-[a-z]+)+ '[^']*'|thumbprint [0-9A-Fa-f]{40}");
    private static final Pattern UNSUPPORTED_ELEMENT = Pattern.compile("^policy '([^']+)' is not supported");

    record Outcome(String document, boolean loads, String message, List<String> allErrors) {
        String tsv() {
            return document + "\t" + (loads ? "loads" : "refused") + "\t" + (loads ? "" : message.replace('\t', ' ').replace('\n', ' '));
        }
    }

    @Test
    void realPolicyDocumentsLoadAsRecordedAndRefusalsNameTheirCause() throws IOException {
        List<Path> docs = documents();
        assertThat(docs).as("corpus documents under " + CORPUS.toAbsolutePath()).hasSizeGreaterThan(40);
        List<Outcome> outcomes = new ArrayList<>();
        for (Path doc : docs) {
            outcomes.add(load(doc));
        }
        long loaded = outcomes.stream().filter(Outcome::loads).count();
        double rate = (double) loaded / outcomes.size();
        System.out.println(report(outcomes, loaded, rate));

        if (Boolean.getBoolean("gatehouse.corpus.update")) {
            writeGolden(outcomes, rate);
            return;
        }
        assertThat(EXPECTED).as("golden file; create it with -Dgatehouse.corpus.update=true").exists();
        List<String> lines = Files.readAllLines(EXPECTED, StandardCharsets.UTF_8);
        double minRate = lines.stream().filter(l -> l.startsWith(RATE_LINE))
                .map(l -> Double.parseDouble(l.substring(RATE_LINE.length()).trim())).findFirst().orElse(1.0);
        List<String> expected = lines.stream().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
        List<String> actual = outcomes.stream().map(Outcome::tsv).toList();

        for (Outcome o : outcomes) {
            if (!o.loads()) {
                assertThat(o.message()).as("refusal of %s must name the element or construct", o.document())
                        .containsPattern(NAMES_SOMETHING);
            }
        }
        assertThat(actual).as("outcomes changed: check the diff, then rerun with -Dgatehouse.corpus.update=true")
                .containsExactlyElementsOf(expected);
        assertThat(rate).as("load rate").isGreaterThanOrEqualTo(minRate - 1e-9);
    }

    private static List<Path> documents() throws IOException {
        try (Stream<Path> s = Files.walk(CORPUS)) {
            return s.filter(p -> p.toString().endsWith(".xml")).sorted().toList();
        }
    }

    private static Outcome load(Path file) throws IOException {
        String name = CORPUS.relativize(file).toString().replace('\\', '/');
        String text = Files.readString(file, StandardCharsets.UTF_8);
        SourceText source = new SourceText(name, text);
        // as `gatehouse policy check` reads a standalone document: references the config would
        // provide (certificates by id or thumbprint, backend ids) are warnings, not refusals, and
        // each {{name}} is a placeholder whose value is unknown (no value is made up for it)
        PolicyEnvironment.Builder env = PolicyEnvironment.builder().lenientReferences(true);
        Matcher f = FRAGMENT_REF.matcher(text);
        while (f.find()) {
            env.fragment(f.group(1), new SourceText(f.group(1) + ".xml", "<fragment />"));
        }
        PolicyEngine engine = new PolicyEngine(env.build());
        Diagnostics d = new Diagnostics();
        if (isFragment(text)) {
            engine.checkFragment(source, d);
        } else {
            PolicyDocument doc = engine.parse(source, Scope.API, d);
            if (!d.hasErrors()) {
                engine.compose(null, doc, null, d);
            }
        }
        List<String> errors = d.all().stream().filter(Diagnostic::isError).map(Diagnostic::message).toList();
        return new Outcome(name, errors.isEmpty(), errors.isEmpty() ? "" : errors.get(0), errors);
    }

    private static boolean isFragment(String text) {
        int i = text.indexOf('<');
        while (i >= 0 && (text.startsWith("<?", i) || text.startsWith("<!", i))) {
            int end = text.startsWith("<!--", i) ? text.indexOf("-->", i) : text.indexOf('>', i);
            i = end < 0 ? -1 : text.indexOf('<', end);
        }
        return i >= 0 && text.startsWith("<fragment", i);
    }

    private static String report(List<Outcome> outcomes, long loaded, double rate) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%nAPIM corpus: %d of %d documents load (%.1f%%)%n", loaded, outcomes.size(), rate * 100));
        Map<String, List<String>> firstCauses = new TreeMap<>();
        Map<String, Set<String>> allCauses = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o.loads()) {
                continue;
            }
            firstCauses.computeIfAbsent(cause(o.message()), k -> new ArrayList<>()).add(o.document());
            for (String e : o.allErrors()) {
                allCauses.computeIfAbsent(cause(e), k -> new LinkedHashSet<>()).add(o.document());
            }
        }
        sb.append("Refusals by first cause (documents):\n");
        firstCauses.entrySet().stream().sorted((a, b) -> b.getValue().size() - a.getValue().size())
                .forEach(e -> sb.append(String.format(Locale.ROOT, "  %3d  %s%n", e.getValue().size(), e.getKey())));
        sb.append("Every cause, counted once per document that has it:\n");
        allCauses.entrySet().stream().sorted((a, b) -> b.getValue().size() - a.getValue().size())
                .forEach(e -> sb.append(String.format(Locale.ROOT, "  %3d  %s%n", e.getValue().size(), e.getKey())));
        return sb.toString();
    }

    /**
     * Groups messages by kind: a policy element (or element feature) Gatehouse lacks, a mistake in the
     * document itself (XML, attribute values, references only a real config can satisfy), or an
     * expression construct. Elements are owned by the policy module; expressions by gatehouse-expr.
     */
    static String cause(String message) {
        Matcher m = UNSUPPORTED_ELEMENT.matcher(message);
        if (m.find()) {
            return "[element] <" + m.group(1) + "> is not supported";
        }
        Matcher inside = Pattern.compile("^unexpected <([^>]+)> inside <([^>]+)>").matcher(message);
        if (inside.find()) {
            return "[element] <" + inside.group(1) + "> inside <" + inside.group(2) + "> is not supported";
        }
        if (message.contains("template=\"liquid\"") || message.startsWith("<trace>") || message.contains("takes text or a policy expression, not elements")
                || message.contains("does not accept a policy expression")) {
            return "[element] " + message;
        }
        if (message.startsWith("unknown policy '")) {
            return "[document] " + message;
        }
        if (message.startsWith("<") || message.contains(" on <") || message.matches("^policy '[^']+' is not allowed in the .*")) {
            // a policy element's own check (its attributes, children, scope or section), not an expression
            return "[element] " + message;
        }
        if (message.contains("is not closed") || message.contains("after the end of the root element")
                || message.startsWith("expected <policies> as the root") || message.startsWith("attribute '")
                || message.contains("is not an absolute http(s) URL") || message.contains("thumbprint")) {
            return "[document] " + message;
        }
        return "[expression] " + message;
    }

    private static void writeGolden(List<Outcome> outcomes, double rate) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# Outcome of loading each corpus document (CorpusTest). Regenerate with -Dgatehouse.corpus.update=true.\n");
        sb.append("# document\toutcome\tfirst refusal message\n");
        sb.append(RATE_LINE).append(String.format(Locale.ROOT, "%.4f", Math.floor(rate * 10000) / 10000)).append('\n');
        outcomes.forEach(o -> sb.append(o.tsv()).append('\n'));
        Files.writeString(EXPECTED, sb.toString(), StandardCharsets.UTF_8);
    }
}
