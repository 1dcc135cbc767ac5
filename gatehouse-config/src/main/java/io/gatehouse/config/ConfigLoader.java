package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.config.model.NamedValueConfig;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Loads a Gatehouse config file (YAML, or JSON) and everything it refers to, and reports every
 * problem at once with file, line and column. It never throws for a user's mistake: problems
 * come back as diagnostics, and the config is null when any of them is an error.
 *
 * <p>The file's display name in diagnostics is the path exactly as given (a relative path stays
 * relative); files it references are shown relative to the same place.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Loads with the process environment for {@code ${env:NAME}}. */
    public static ConfigResult load(Path file) {
        return load(file, System.getenv());
    }

    /** Loads with the given variables for {@code ${env:NAME}} (tests pass their own). */
    public static ConfigResult load(Path file, Map<String, String> env) {
        return load(file, env, Instant.now());
    }

    /**
     * Loads with the given variables, reading Key Vault references through {@code keyVault}: the
     * process's one source, which keeps the last version read of each secret, so a reload that
     * cannot reach a vault keeps what was read before. The other overloads use a new source, with
     * nothing read before ({@code gatehouse validate}).
     */
    public static ConfigResult load(Path file, Map<String, String> env, KeyVaultSource keyVault) {
        return load(file, env, Instant.now(), keyVault);
    }

    static ConfigResult load(Path file, Map<String, String> env, Instant now) {
        return load(file, env, now, new KeyVaultSource());
    }

    static ConfigResult load(Path file, Map<String, String> env, Instant now, KeyVaultSource keyVault) {
        requireNonNull(file, "file");
        requireNonNull(env, "env");
        requireNonNull(keyVault, "keyVault");
        Diagnostics diagnostics = new Diagnostics();
        String name = file.toString();
        ConfigFiles files = new ConfigFiles(file);
        try {
            return load(file, env, now, diagnostics, files, keyVault);
        } catch (Throwable t) { // a bug or hostile input must not stop a load, least of all a reload: Diagnostics.internalError
            diagnostics.internalError(name, t);
            return new ConfigResult(null, diagnostics, files.watched());
        }
    }

    private static ConfigResult load(Path file, Map<String, String> env, Instant now, Diagnostics diagnostics, ConfigFiles files,
            KeyVaultSource keyVault) {
        String name = file.toString();
        Path absolute = file.toAbsolutePath().normalize();
        String problem = files.problem(absolute);
        if (problem != null) {
            diagnostics.error(name, 0, 0, problem);
            return new ConfigResult(null, diagnostics, files.watched());
        }
        String text;
        try {
            text = Files.readString(absolute, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            diagnostics.error(name, 0, 0, "the config file is not UTF-8 text");
            return new ConfigResult(null, diagnostics, files.watched());
        } catch (IOException e) {
            diagnostics.error(name, 0, 0, "cannot read the config file: " + e.getMessage());
            return new ConfigResult(null, diagnostics, files.watched());
        }

        YamlNode root = new YamlParser(name, diagnostics).parse(text);
        ConfigReader reader = new ConfigReader(name, files, env, diagnostics);
        reader.rawText = text;
        GatehouseConfig model = root == null && diagnostics.hasErrors() ? null : reader.read(root, absolute);
        MaterialLoader materials = new MaterialLoader(reader, files, diagnostics, now, keyVault);
        Map<String, String> namedValues = new LinkedHashMap<>();
        CompiledPolicies policies = CompiledPolicies.none();
        if (model != null) {
            new ConfigChecks(reader, diagnostics).check(model);
            materials.load(model);
            for (NamedValueConfig nv : model.namedValues()) {
                if (nv.keyVault() == null) {
                    namedValues.put(nv.name(), nv.value());
                } else if (materials.keyVaultNamedValues.containsKey(nv.name())) {
                    namedValues.put(nv.name(), materials.keyVaultNamedValues.get(nv.name()));
                }
            }
            // policies are compiled even when the config has errors, so every problem shows at once
            policies = CompiledPolicies.compile(model, reader.policySources, namedValues, reader.fragmentSources,
                    materials.keyPairs, materials.certificates, materials.caStore(), materials.revocation(model),
                    env, reader.graphqlSchemaSources, diagnostics);
        }
        diagnostics.source(Redaction.redact(name, text, reader.secretScalars, reader.secretSpans));

        if (model == null || diagnostics.hasErrors()) {
            return new ConfigResult(null, diagnostics, files.watched());
        }
        LoadedConfig loaded = new LoadedConfig(model, materials.keyPairs, materials.certificates, materials.caCertificates,
                materials.caStore(), materials.revocation(model), namedValues, reader.fragmentSources,
                reader.policySources, policies, materials.keyVaultItems, materials.subscriptionKeys);
        return new ConfigResult(loaded, diagnostics, files.watched());
    }
}
