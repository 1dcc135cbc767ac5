package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code gatehouse policy check FILE...}: checks standalone policy documents and fragments the
 * way a config load would. Without a config, named values, fragments, certificates and backends
 * are unknown, so references to them are warnings, not errors (an unknown {@code {{name}}} is a
 * placeholder: one warning, and no error from an attribute that would need its value); with one
 * ({@code -c CONFIG}), they are checked against its named values, certificates, backends and
 * fragments as a load would. A fragment given among the files is known by its file name without
 * {@code .xml}.
 */
public final class PolicyCheck {
    private PolicyCheck() {
    }

    /** Every diagnostic for the files, checked without a config; the CLI prints them and exits 1 when there are errors. */
    public static Diagnostics check(List<Path> files) {
        return check(files, PolicyEnvironment.builder().lenientReferences(true), new Diagnostics());
    }

    /**
     * Every diagnostic for the files, checked against {@code env} (a config's named values,
     * certificates, backends and fragments), added to {@code d}.
     */
    public static Diagnostics check(List<Path> files, PolicyEnvironment.Builder env, Diagnostics d) {
        return check(files, env, d, null);
    }

    /**
     * Like {@link #check(List, PolicyEnvironment.Builder, Diagnostics)}, the documents compiled as
     * API {@code apiId}'s (its GraphQL schema, for {@code validate-graphql-request}); null: as a
     * document of no API in particular (at global scope such a policy needs every API's schema).
     */
    public static Diagnostics check(List<Path> files, PolicyEnvironment.Builder env, Diagnostics d, String apiId) {
        List<SourceText> sources = new ArrayList<>();
        for (Path f : files) {
            String name = f.toString();
            String text;
            try {
                text = Files.readString(f, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                d.error(name, 0, 0, "cannot read the file: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
                continue;
            }
            SourceText src = new SourceText(name, text);
            sources.add(src);
            if (isFragment(text)) {
                String id = f.getFileName().toString().replaceFirst("\\.xml$", "");
                env.fragment(id, src);
            }
        }
        PolicyEngine engine = new PolicyEngine(env.build());
        if (apiId != null) {
            engine = engine.forApi(apiId);
        }
        for (SourceText src : sources) {
            try {
                if (isFragment(src.text())) {
                    engine.checkFragment(src, d);
                } else {
                    engine.parse(src, Scope.API, d);
                }
            } catch (Throwable t) { // one file's failure is reported and the others are still checked
                d.internalError(src.name(), t);
            }
        }
        return d;
    }

    private static boolean isFragment(String text) {
        int i = text.indexOf('<');
        while (i >= 0 && (text.startsWith("<?", i) || text.startsWith("<!", i))) {
            int end = text.indexOf('>', i);
            i = end < 0 ? -1 : text.indexOf('<', end);
        }
        return i >= 0 && text.startsWith("<fragment", i);
    }
}
