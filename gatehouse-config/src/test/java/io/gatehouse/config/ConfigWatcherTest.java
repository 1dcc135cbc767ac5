package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.Diagnostic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {
    private static final String CONFIG = """
            gateway:
              listeners:
                - port: 8443
            hostnames:
              - hostName: api.contoso.local
                certificateId: gateway-tls
            certificates:
              - id: gateway-tls
                certificateFile: certs/gateway.pem
                keyFile: certs/gateway.key
            namedValues:
              - name: greeting
                value: ${file:values/greeting.txt}
            policies:
              global: policies/global.xml
            apis:
              - id: patients
                path: patients
                serviceUrl: https://backend.local:9443
            """;

    @TempDir
    Path dir;
    private final BlockingQueue<ConfigResult> results = new LinkedBlockingQueue<>();
    private ConfigWatcher watcher;
    private Path config;

    @BeforeEach
    void writeConfig() throws IOException {
        TestPki.writeAll(dir.resolve("certs"));
        Files.createDirectories(dir.resolve("values"));
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("values/greeting.txt"), "hello\n");
        Files.writeString(dir.resolve("policies/global.xml"), "<policies><backend><forward-request /></backend></policies>");
        config = Files.writeString(dir.resolve("config.yaml"), CONFIG);
        assertThat(ConfigLoader.load(config, Map.of()).diagnostics().all()).isEmpty();
        watcher = new ConfigWatcher(config, results::add, Map.of());
    }

    @AfterEach
    void stop() {
        watcher.close();
    }

    private ConfigResult next() throws InterruptedException {
        ConfigResult r = results.poll(10, TimeUnit.SECONDS);
        assertThat(r).as("a reload within 10 s").isNotNull();
        return r;
    }

    @Test
    void changingAReferencedFileHandsTheNewConfigToTheConsumer() throws Exception {
        watcher.start();

        Files.writeString(dir.resolve("values/greeting.txt"), "bonjour\n");

        ConfigResult r = next();
        assertThat(r.ok()).isTrue();
        assertThat(r.config().namedValues()).containsEntry("greeting", "bonjour");
    }

    @Test
    void aBrokenEditHandsOverAResultWithErrors() throws Exception {
        watcher.start();

        Files.writeString(config, CONFIG.replace("certificateId: gateway-tls", "certificateId: gateway-tsl"));

        ConfigResult r = next();
        assertThat(r.ok()).isFalse();
        assertThat(r.diagnostics().all()).extracting(Diagnostic::message)
                .containsExactly("unknown certificate 'gateway-tsl' (did you mean 'gateway-tls'?)");
    }

    @Test
    void replacingAPolicyFileTriggersAReloadWithItsNewText() throws Exception {
        watcher.start();
        Path temp = Files.writeString(dir.resolve("policies/global.xml.tmp"), "<policies><inbound /></policies>");

        Files.move(temp, dir.resolve("policies/global.xml"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);

        ConfigResult r = next();
        assertThat(r.config().policySources().get(r.config().model().globalPolicy()).text())
                .isEqualTo("<policies><inbound /></policies>");
    }

    @Test
    void aBurstOfWritesLeadsToOneReloadOfTheLastVersion() throws Exception {
        watcher.start();

        for (int i = 1; i <= 5; i++) {
            Files.writeString(dir.resolve("values/greeting.txt"), "v" + i);
        }

        ConfigResult r = next();
        List<ConfigResult> more = new ArrayList<>();
        Thread.sleep(4 * ConfigWatcher.DEBOUNCE_MILLIS);
        results.drainTo(more);
        assertThat(more).isEmpty();
        assertThat(r.config().namedValues()).containsEntry("greeting", "v5");
    }

    @Test
    void ignoresUnrelatedFilesInAWatchedFolder() throws Exception {
        watcher.start();

        Files.writeString(dir.resolve("gateway.log"), "a log line\n");
        Files.writeString(dir.resolve("values/notes.txt"), "not referenced\n");

        assertThat(results.poll(3 * ConfigWatcher.DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void watchesFilesThatANewVersionOfTheConfigStartsToReference() throws Exception {
        watcher.start();
        Files.createDirectories(dir.resolve("more"));
        Files.writeString(dir.resolve("more/farewell.txt"), "bye");
        Files.writeString(config, CONFIG + """
                  - id: labs
                    path: labs
                    serviceUrl: https://${file:more/farewell.txt}.local
                """);
        assertThat(next().ok()).isTrue();
        assertThat(watcher.watchedFiles()).contains(dir.resolve("more/farewell.txt"));

        Files.writeString(dir.resolve("more/farewell.txt"), "ciao");

        ConfigResult r = next();
        assertThat(r.config().model().apis().get(1).serviceUrl()).hasToString("https://ciao.local");
    }

    @Test
    void startsFromTheFilesOfALoadTheCallerAlreadyDid() throws Exception {
        ConfigResult initial = ConfigLoader.load(config, Map.of());
        watcher.start(initial.watchedFiles());

        Files.writeString(dir.resolve("policies/global.xml"), "<policies />");

        ConfigResult r = next();
        assertThat(r.config().policySources().get(r.config().model().globalPolicy()).text()).isEqualTo("<policies />");
    }

    @Test
    void reloadNowLoadsImmediatelyAndHandsTheResultOver() throws Exception {
        Files.writeString(dir.resolve("values/greeting.txt"), "hola");

        ConfigResult returned = watcher.reloadNow();

        assertThat(results.poll()).isSameAs(returned);
        assertThat(returned.config().namedValues()).containsEntry("greeting", "hola");
    }

    @Test
    void aHostilePolicyIsRefusedAndTheWatcherStillAppliesTheNextGoodEdit() throws Exception {
        AtomicReference<ConfigResult> running = new AtomicReference<>(ConfigLoader.load(config, Map.of()));
        watcher.close();
        watcher = new ConfigWatcher(config, r -> {
            if (r.ok()) { // as the gateway does: a refused reload keeps the running config
                running.set(r);
            }
            results.add(r);
        }, Map.of());
        watcher.start();
        String head = "<policies><inbound><return-response><set-body template=\"liquid\">";
        // 5,000 nested {% if %} overflowed the stack of this very thread before the Liquid parser had a limit
        Files.writeString(dir.resolve("policies/global.xml"), head + "{% if a %}".repeat(5000) + "x"
                + "{% endif %}".repeat(5000) + "</set-body></return-response></inbound></policies>");

        ConfigResult refused = next();
        assertThat(refused.ok()).isFalse();
        assertThat(refused.diagnostics().all()).extracting(Diagnostic::toString).singleElement().asString()
                .endsWith("global.xml:1:" + (head.length() + 1 + 10 * 100)
                        + ": error: {% if %} is nested too deeply: blocks may be nested at most 100 levels");
        assertThat(running.get().config().namedValues()).containsEntry("greeting", "hello");

        Files.writeString(dir.resolve("policies/global.xml"), "<policies><backend><forward-request /></backend></policies>");
        Files.writeString(dir.resolve("values/greeting.txt"), "bonjour\n");

        ConfigResult applied = next();
        assertThat(applied.ok()).as(applied.diagnostics().render()).isTrue();
        assertThat(running.get()).isSameAs(applied);
        assertThat(running.get().config().namedValues()).containsEntry("greeting", "bonjour");
    }

    @Test
    void aConsumerThatOverflowsTheStackDoesNotEndTheWatcher() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        watcher.close();
        watcher = new ConfigWatcher(config, r -> {
            int call = calls.incrementAndGet();
            results.add(r);
            if (call == 1) {
                throw new StackOverflowError("as from a reload that recursed too deeply");
            }
        }, Map.of());
        watcher.start();

        Files.writeString(dir.resolve("values/greeting.txt"), "one\n");
        assertThat(next().config().namedValues()).containsEntry("greeting", "one");
        Files.writeString(dir.resolve("values/greeting.txt"), "two\n");

        assertThat(next().config().namedValues()).containsEntry("greeting", "two");
        assertThat(calls.get()).isEqualTo(2);
    }
}
