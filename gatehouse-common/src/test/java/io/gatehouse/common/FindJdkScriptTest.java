package io.gatehouse.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .mvn/find-jdk.sh}, which {@code ./mvnw} and {@code ./gatehouse} source so that the
 * README's commands work as typed where the default java is older than 21: run with
 * {@code sh} against a folder of fake JDKs ({@code GATEHOUSE_JVM_DIR} stands in for
 * {@code /usr/lib/jvm}), it keeps a JAVA_HOME of 21+, else picks the newest JDK 21+.
 */
@DisabledOnOs(OS.WINDOWS)
class FindJdkScriptTest {
    @TempDir
    Path jvms;

    private Path jdk(String name, String version, boolean withJavac) throws IOException {
        Path home = jvms.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
        for (String tool : withJavac ? new String[] {"java", "javac"} : new String[] {"java"}) {
            Path exe = home.resolve("bin").resolve(tool);
            Files.writeString(exe, "#!/bin/sh\nexit 0\n");
            Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return home;
    }

    /** JAVA_HOME after sourcing the script (empty when unset) and what it wrote to stderr. */
    private String[] source(String javaHome) throws IOException, InterruptedException {
        Path script = repositoryRoot().resolve(".mvn/find-jdk.sh");
        ProcessBuilder pb = new ProcessBuilder("sh", "-c",
                "set -euf; . \"$1\"; printf '%s' \"${JAVA_HOME:-}\"", "sh", script.toString());
        Map<String, String> env = pb.environment();
        env.remove("JAVA_HOME");
        if (javaHome != null) {
            env.put("JAVA_HOME", javaHome);
        }
        env.put("GATEHOUSE_JVM_DIR", jvms.toString());
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exit status; stderr: %s", err).isZero();
        return new String[] {out, err};
    }

    @Test
    void withoutJavaHomeTheNewestJdk21OrNewerIsChosen() throws Exception {
        jdk("java-17-openjdk-amd64", "17.0.15", true);
        jdk("temurin-21-jdk-amd64", "21.0.5", true);
        Path newest = jdk("temurin-25-jdk-amd64", "25.0.3", true);
        jdk("jre-26", "26", false); // a runtime without javac cannot build

        assertThat(source(null)[0]).isEqualTo(newest.toString());
    }

    @Test
    void aJavaHomeOlderThan21IsReplacedWithANote() throws Exception {
        Path old = jdk("java-17-openjdk-amd64", "17.0.15", true);
        Path newer = jdk("temurin-21-jdk-amd64", "21.0.5", true);

        String[] r = source(old.toString());
        assertThat(r[0]).isEqualTo(newer.toString());
        assertThat(r[1]).contains("older than JDK 21");
    }

    @Test
    void aJavaHome21OrNewerIsKept() throws Exception {
        Path chosen = jdk("my-jdk-21", "21.0.1", true);
        jdk("temurin-25-jdk-amd64", "25.0.3", true);

        String[] r = source(chosen.toString());
        assertThat(r[0]).isEqualTo(chosen.toString());
        assertThat(r[1]).isEmpty();
    }

    @Test
    void withNoJdk21AnywhereJavaHomeStaysUnsetAndTheJavaOnPathIsUsed() throws Exception {
        jdk("java-17-openjdk-amd64", "17.0.15", true);

        assertThat(source(null)[0]).isEmpty();
    }

    private static Path repositoryRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(".mvn/find-jdk.sh"))) {
                return d;
            }
        }
        throw new AssertionError("no .mvn/find-jdk.sh above " + Path.of("").toAbsolutePath());
    }
}
