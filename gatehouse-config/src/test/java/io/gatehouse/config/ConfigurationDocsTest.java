package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} names every key the config reader accepts. The keys are read
 * from the reader's source (its {@code *_KEYS} lists and its {@code section(...)} calls), so a
 * key added there without a line in the reference fails here.
 */
class ConfigurationDocsTest {
    private static final Pattern KEY_LIST = Pattern.compile("_KEYS = List\\.of\\(([^;]*)\\);");
    private static final Pattern SECTION = Pattern.compile("section\\(\\w+, \"[^\"]+\", \"[^\"]+\",((?:\\s*\"[^\"]+\",?)+)\\)");
    private static final Pattern STRING = Pattern.compile("\"([^\"]+)\"");

    @Test
    void everyKeyTheReaderAcceptsIsInTheReference() throws IOException {
        Path root = ReadmeWalkthroughConfigTest.repositoryRoot();
        String reader = Files.readString(root.resolve("gatehouse-config/src/main/java/io/gatehouse/config/ConfigReader.java"));
        String reference = Files.readString(root.resolve("docs/configuration.md"));
        Set<String> keys = new LinkedHashSet<>();
        collect(KEY_LIST.matcher(reader), keys);
        collect(SECTION.matcher(reader), keys);
        assertThat(keys).as("keys found in ConfigReader (the pattern must still match its source)").hasSizeGreaterThan(60)
                .contains("maxConnections", "trustedCaCertificateIds", "forwardClientCertificate", "globalXml");
        List<String> missing = new ArrayList<>();
        for (String key : keys) {
            // as a cell `key`, or as a part of a dotted name: `listeners[].key`, `tls.key`, `key.mode`
            if (!Pattern.compile("`(?:[\\w\\[\\]]+\\.)*" + Pattern.quote(key) + "(?:\\[\\])?(?:\\.[\\w.\\[\\]]+)?`")
                    .matcher(reference).find()) {
                missing.add(key);
            }
        }
        assertThat(missing).as("keys ConfigReader accepts that docs/configuration.md does not name").isEmpty();
    }

    private static void collect(Matcher m, Set<String> into) {
        while (m.find()) {
            Matcher s = STRING.matcher(m.group(1));
            while (s.find()) {
                into.add(s.group(1));
            }
        }
    }
}
