package io.gatehouse.tls.conformance;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assumptions;

/**
 * Where the conformance vectors are: {@code shared/conformance} in the folder beside the clone
 * ({@code ../shared/conformance} from the repository root), or under {@code -Dgatehouse.sharedDir=DIR}
 * when that is set. Missing vectors skip the test with a message, and fail it when
 * {@code -Dgatehouse.requireExternalTools=true} (as {@code .ci/run} sets), like the external tools.
 */
final class ConformanceVectors {
    private ConformanceVectors() {
    }

    /** The vectors' path under the conformance folder (for example {@code nist-pkits}); skips or fails when absent. */
    static Path require(String relative, String what) {
        Path path = conformanceDir().resolve(relative).toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            String message = what + " not found at " + path + " (put the vectors in ../shared/conformance beside "
                    + "the clone, or point -Dgatehouse.sharedDir at the folder that holds conformance/)";
            if (Boolean.getBoolean("gatehouse.requireExternalTools")) {
                throw new AssertionError(message + "; they are required with gatehouse.requireExternalTools=true");
            }
            Assumptions.abort(message);
        }
        return path;
    }

    static Path conformanceDir() {
        String shared = System.getProperty("gatehouse.sharedDir");
        if (shared != null && !shared.isBlank()) {
            return Path.of(shared).resolve("conformance");
        }
        Path root = repositoryRoot();
        return (root.getParent() == null ? root : root.getParent()).resolve("shared").resolve("conformance");
    }

    /** The folder holding the root pom and ./mvnw, found upwards from the working directory (the module's, under Maven). */
    static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path d = start; d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                return d;
            }
        }
        return start.getParent() == null ? start : start.getParent();
    }
}
