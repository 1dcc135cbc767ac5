package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config mounted from a Kubernetes ConfigMap and Secret: the kubelet writes each version of a
 * volume into a new timestamped folder ({@code ..2026_12_07_18_00_00.000000001}), points a
 * {@code ..data_tmp} symlink at it, renames that over {@code ..data}, then deletes the old folder.
 * The files the config names ({@code gatehouse.yaml -> ..data/gatehouse.yaml}) keep their paths;
 * only the symlink's target changes. These tests lay the folders out and swap them the same way,
 * with real symlinks, and expect the watcher to reload with the new content.
 */
class ConfigMapMountReloadTest {
    @TempDir
    Path dir;
    private final BlockingQueue<ConfigResult> results = new LinkedBlockingQueue<>();
    private ConfigWatcher watcher;
    private int version;

    @AfterEach
    void stop() {
        if (watcher != null) {
            watcher.close();
        }
    }

    /** The kubelet's first write of a volume: the timestamped folder, {@code ..data}, and one symlink per key. */
    private void mount(Path volume, Map<String, String> files) throws IOException {
        Files.createDirectories(volume);
        Path ts = writeVersion(volume, files);
        Files.createSymbolicLink(volume.resolve("..data"), ts.getFileName());
        for (String key : files.keySet()) {
            Files.createSymbolicLink(volume.resolve(key), Path.of("..data", key));
        }
    }

    /** The kubelet's update: a new timestamped folder, {@code ..data_tmp} renamed over {@code ..data}, the old folder removed. */
    private void swap(Path volume, Map<String, String> files) throws IOException {
        Path old = volume.resolve(Files.readSymbolicLink(volume.resolve("..data")));
        Path ts = writeVersion(volume, files);
        Path tmp = Files.createSymbolicLink(volume.resolve("..data_tmp"), ts.getFileName());
        Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE); // rename(2) of the link itself
        try (Stream<Path> walk = Files.walk(old)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private Path writeVersion(Path volume, Map<String, String> files) throws IOException {
        version++;
        Path ts = volume.resolve(String.format("..2026_12_07_18_00_%02d.%09d", version, version));
        Files.createDirectories(ts);
        for (Map.Entry<String, String> f : files.entrySet()) {
            Files.writeString(ts.resolve(f.getKey()), f.getValue());
        }
        return ts;
    }

    private ConfigResult next() throws InterruptedException {
        ConfigResult r = results.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("a reload within 10 s of the ..data swap").isNotNull();
        return r;
    }

    private static final String CONFIG = """
            gateway:
              listeners:
                - port: 8443
            hostnames:
              - hostName: api.contoso.local
                certificateId: gateway-tls
            certificates:
              - id: gateway-tls
                certificateFile: /TLS/tls.crt
                keyFile: /TLS/tls.key
            namedValues:
              - name: greeting
                value: ${file:greeting.txt}
            policies:
              global: global.xml
            apis:
              - id: patients
                path: patients
                serviceUrl: https://backend.local:9443
            """;

    private Map<String, String> configMap(String greeting, String policy) {
        return Map.of("gatehouse.yaml", CONFIG.replace("/TLS", dir.resolve("tls").toString()),
                "greeting.txt", greeting, "global.xml", policy);
    }

    private static Map<String, String> tlsSecret(Path pki, String cert, String key) throws IOException {
        return Map.of("tls.crt", Files.readString(pki.resolve(cert)), "tls.key", Files.readString(pki.resolve(key)));
    }

    @Test
    void aConfigMapUpdateReloadsWithTheNewFilesAndANewHash() throws Exception {
        Path pki = dir.resolve("pki");
        TestPki.writeAll(pki);
        Path configDir = dir.resolve("config");
        mount(configDir, configMap("hello", "<policies />"));
        mount(dir.resolve("tls"), tlsSecret(pki, "gateway.pem", "gateway.key"));
        Path config = configDir.resolve("gatehouse.yaml");
        ConfigResult first = ConfigLoader.load(config, Map.of());
        assertThat(first.diagnostics().all()).as("%s", first.diagnostics().render()).isEmpty();
        watcher = new ConfigWatcher(config, results::add, Map.of());
        watcher.start(first.watchedFiles());

        swap(configDir, configMap("bonjour", "<policies><inbound /></policies>"));

        ConfigResult r = next();
        assertThat(r.ok()).as("%s", r.diagnostics().render()).isTrue();
        assertThat(r.config().namedValues()).containsEntry("greeting", "bonjour");
        assertThat(r.config().policySources().get(r.config().model().globalPolicy()).text())
                .isEqualTo("<policies><inbound /></policies>");
        assertThat(r.config().contentHash()).isNotEqualTo(first.config().contentHash())
                .isEqualTo(ConfigLoader.load(config, Map.of()).config().contentHash());
    }

    @Test
    void aSecretUpdateInItsOwnVolumeReloadsTheCertificate() throws Exception {
        Path pki = dir.resolve("pki");
        TestPki.writeAll(pki);
        Path configDir = dir.resolve("config");
        mount(configDir, configMap("hello", "<policies />"));
        Path tls = dir.resolve("tls");
        mount(tls, tlsSecret(pki, "gateway.pem", "gateway.key"));
        Path config = configDir.resolve("gatehouse.yaml");
        ConfigResult first = ConfigLoader.load(config, Map.of());
        assertThat(first.ok()).as("%s", first.diagnostics().render()).isTrue();
        watcher = new ConfigWatcher(config, results::add, Map.of());
        watcher.start(first.watchedFiles());

        // the Secret now holds another certificate and its key (an expiring one, so its subject differs)
        swap(tls, tlsSecret(pki, "expiring.pem", "expiring.key"));

        ConfigResult r = next();
        assertThat(r.ok()).as("%s", r.diagnostics().render()).isTrue();
        assertThat(r.config().keyPairs().get("gateway-tls").leaf().getSubjectX500Principal())
                .isNotEqualTo(first.config().keyPairs().get("gateway-tls").leaf().getSubjectX500Principal());
        assertThat(r.config().contentHash()).isNotEqualTo(first.config().contentHash());
    }
}
