package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden tests for what {@code gatehouse validate} prints: each folder under
 * {@code src/test/resources/validate/} holds a {@code config.yaml} (or {@code config.json}),
 * optionally an {@code env.properties} for {@code ${env:}}, and {@code expected.txt}, the exact
 * rendered diagnostics. The folder is copied into a temporary directory, fresh certificates are
 * written into its {@code certs/} with {@link TestPki}, and the config is loaded from there.
 * File names in the output are shown relative to the case folder; dates print as {@code <date>}.
 * Literal passwords in the cases contain "S3cret", which must never reach the output.
 *
 * <p>Run with {@code -Dgatehouse.updateGolden=true} to rewrite the expected files after an
 * intended change of wording (then review the diff).
 */
class ValidateGoldenTest {
    private static final Path CASES = Path.of("src/test/resources/validate");

    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> rendersExactlyTheExpectedDiagnostics() throws IOException {
        return cases().stream().map(name -> DynamicTest.dynamicTest(name, () -> check(name)));
    }

    @Test
    void coversAtLeastTwelveKindsOfBrokenConfig() throws IOException {
        long broken = 0;
        for (String name : cases()) {
            if (Files.readString(CASES.resolve(name).resolve("expected.txt")).contains(": error: ")) {
                broken++;
            }
        }
        assertThat(broken).isGreaterThanOrEqualTo(12);
    }

    private static List<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(CASES)) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void check(String name) throws IOException {
        Path source = CASES.resolve(name);
        Path dir = tmp.resolve(name);
        copy(source, dir);
        TestPki.writeAll(dir.resolve("certs"));
        Map<String, String> env = new HashMap<>();
        Path envFile = source.resolve("env.properties");
        if (Files.exists(envFile)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(envFile)) {
                p.load(r);
            }
            p.forEach((k, v) -> env.put(k.toString(), v.toString()));
        }
        Path config = Files.exists(dir.resolve("config.json")) ? dir.resolve("config.json") : dir.resolve("config.yaml");

        ConfigResult result = ConfigLoader.load(config, env);
        String actual = normalise(result.diagnostics().render(), dir);

        Path expectedFile = source.resolve("expected.txt");
        if (Boolean.getBoolean("gatehouse.updateGolden")) {
            Files.writeString(expectedFile, actual);
        }
        String expected = Files.readString(expectedFile, StandardCharsets.UTF_8);
        assertThat(actual).as("diagnostics of case '%s'", name).isEqualTo(expected);
        assertThat(result.ok()).as("loads only when there is no error").isEqualTo(!expected.contains(": error: "));
        assertThat(actual).doesNotContain(TestPki.PFX_PASSWORD).doesNotContain("S3cret")
                .doesNotContain("PRIVATE KEY");
    }

    static String normalise(String rendered, Path dir) {
        return rendered.replace(dir.toString() + "/", "")
                .replaceAll("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC", "<date>");
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (!f.getFileName().toString().equals("expected.txt")) {
                    Files.copy(f, target);
                }
            }
        }
    }
}
