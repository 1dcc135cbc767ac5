package io.gatehouse.cli;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.ConfigWatcher;
import io.gatehouse.config.keyvault.KeyVaultRefresher;
import io.gatehouse.config.keyvault.KeyVaultSource;
import io.gatehouse.proxy.Gateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse run -c FILE}: serves until SIGTERM or Ctrl-C (which drain in-flight requests),
 * reloading on SIGHUP or when the config or a file it names changes, and when a Key Vault secret it
 * names has a new version ({@link KeyVaultRefresher}).
 */
@Command(name = "run", description = "Run the gateway from a config file.")
final class RunCommand implements Callable<Integer> {
    /**
     * The logger, made on first use: picocli instantiates every command to parse any one, and a
     * static logger here started logging (logback) for `gatehouse pki inspect` and `--version` too.
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger("gatehouse");
    }

    @Option(names = {"-c", "--config"}, required = true, description = "the config file")
    Path config;

    @Option(names = "--no-watch", description = "do not reload when files change (SIGHUP still reloads)")
    boolean noWatch;

    /**
     * One log line per line of the diagnostics: the log escapes line breaks inside a message (so
     * that nothing from a config can forge a line), and the excerpts and carets stay readable.
     */
    private static void logLines(String rendered, boolean error) {
        rendered.stripTrailing().lines().forEach(line -> {
            if (error) {
                Log.LOG.error("  {}", line);
            } else {
                Log.LOG.warn("  {}", line);
            }
        });
    }

    /** The first error of a refused config, as validate prints it (file:line:col: message), for /health. */
    static String firstError(ConfigResult result) {
        long errors = result.diagnostics().errorCount();
        String first = result.diagnostics().all().stream().filter(d -> d.isError()).findFirst()
                .map(Object::toString).orElse("the config could not be loaded");
        return errors + " error" + (errors == 1 ? "" : "s") + "; the first: " + first;
    }

    @Override
    public Integer call() throws Exception {
        KeyVaultSource keyVault = new KeyVaultSource(); // the last good version of each Key Vault secret, across reloads
        ConfigResult first = ConfigLoader.load(config, System.getenv(), keyVault);
        if (!first.diagnostics().isEmpty()) {
            System.out.print(first.diagnostics().render());
        }
        if (first.config() == null) {
            System.out.println(config + ": not started: the config has " + first.diagnostics().errorCount() + " error(s)");
            return 1;
        }
        Gateway gateway = new Gateway(first.config()).start();
        Object lock = new Object();
        ConfigWatcher watcher = new ConfigWatcher(config, result -> {
            synchronized (lock) {
                if (result.config() == null) {
                    Log.LOG.error("reload refused, still serving the previous configuration ({} error(s)):",
                            result.diagnostics().errorCount());
                    logLines(result.diagnostics().render(), true);
                    gateway.reloadRefused(firstError(result));
                    return;
                }
                if (!result.diagnostics().isEmpty()) {
                    Log.LOG.warn("reloading with warnings:");
                    logLines(result.diagnostics().render(), false);
                }
                try {
                    gateway.reload(result.config());
                } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                    Log.LOG.error("reload refused, still serving the previous configuration: {}", e.toString());
                    gateway.reloadRefused("the gateway could not take the new config: " + e.getClass().getSimpleName());
                }
            }
        }, System.getenv(), keyVault);
        KeyVaultRefresher refresher = new KeyVaultRefresher(keyVault, watcher::reloadNow);
        gateway.keyVault(refresher);
        if (!noWatch) {
            watcher.start(first.watchedFiles());
        }
        Signals.onHangup(() -> {
            Log.LOG.info("SIGHUP: reloading {} (and reading its Key Vault references again)", config);
            watcher.reloadNow();
        });
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signals.onTerminate(stopRequested::countDown);
        Duration drain = first.config().model().gateway().drainTimeout();
        Thread fallback = new Thread(() -> {
            refresher.close();
            watcher.close();
            gateway.stop(drain);
        }, "gatehouse-shutdown");
        Runtime.getRuntime().addShutdownHook(fallback); // exits other than SIGTERM/SIGINT
        stopRequested.await();
        Log.LOG.info("stopping: draining in-flight requests (up to {} s)", drain.toSeconds());
        refresher.close();
        watcher.close();
        gateway.stop(drain);
        Log.LOG.info("stopped");
        return 0;
    }
}
