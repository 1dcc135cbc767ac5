package io.gatehouse.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Files a config refers to: resolves relative paths against the config file's folder, remembers
 * how to show each one to the user (relative to where the user named the config file), and
 * collects every file to watch for reload.
 */
final class ConfigFiles {
    private final Path baseDir;
    private final Path displayBase;
    private final Set<Path> watched = new LinkedHashSet<>();
    private final Map<Path, String> displayNames = new HashMap<>();

    /**
     * @param configFile the config file as the user named it (may be relative)
     */
    ConfigFiles(Path configFile) {
        Path absolute = configFile.toAbsolutePath().normalize();
        this.baseDir = absolute.getParent();
        this.displayBase = configFile.getParent();
        displayNames.put(absolute, configFile.toString());
        watched.add(absolute);
    }

    /** The absolute, normalised file for a path written in the config; the file is watched from now on. */
    Path resolve(String given) {
        Path p = Path.of(given);
        Path absolute = (p.isAbsolute() ? p : baseDir.resolve(p)).normalize();
        String display = p.isAbsolute() || displayBase == null ? p.normalize().toString()
                : displayBase.resolve(p).normalize().toString();
        displayNames.putIfAbsent(absolute, display);
        watched.add(absolute);
        return absolute;
    }

    /** The file as the user would recognise it: relative paths stay relative. */
    String display(Path file) {
        String d = displayNames.get(file);
        return d != null ? d : file.toString();
    }

    /** Why the file cannot be read, in plain words naming it, or null when it can be. */
    String problem(Path file) {
        if (!Files.exists(file)) {
            return "file not found: " + display(file);
        }
        if (Files.isDirectory(file)) {
            return "expected a file but found a folder: " + display(file);
        }
        if (!Files.isReadable(file)) {
            return "file is not readable (check its permissions): " + display(file);
        }
        return null;
    }

    Set<Path> watched() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(watched));
    }
}
