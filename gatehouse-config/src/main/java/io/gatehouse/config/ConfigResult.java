package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import java.nio.file.Path;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of loading a config file.
 *
 * @param config the loaded config, or null when there are errors (warnings alone keep it)
 * @param diagnostics every error and warning found, with the source registered for rendering
 * @param watchedFiles the config file and every file it references, absolute and normalised;
 *     missing files are included so that creating them triggers a reload
 */
public record ConfigResult(LoadedConfig config, Diagnostics diagnostics, Set<Path> watchedFiles) {

    public ConfigResult {
        requireNonNull(diagnostics, "diagnostics");
        watchedFiles = Set.copyOf(watchedFiles);
    }

    /** True when the config loaded: there may still be warnings. */
    public boolean ok() {
        return config != null;
    }
}
