package io.gatehouse.config.keyvault;

import io.gatehouse.config.LoadedConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the Key Vault references of the config in service current: every
 * {@code gateway.keyVault.refreshInterval}, and on demand ({@link #refreshNow()}, for the admin
 * endpoint), it reads each versionless reference's latest enabled version; when one differs from
 * the version in service it runs {@code reload} (the config watcher's reload, which reads the
 * references again, builds a new config and hands it to the gateway, which swaps it in without
 * dropping a request). Pinned references are not read again. A read that fails changes nothing:
 * the last good version keeps serving, and {@link #status()} shows the failure.
 *
 * <p>All work runs on one daemon thread, one refresh at a time, never on an event loop.
 */
public final class KeyVaultRefresher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.keyvault");

    private final KeyVaultSource source;
    private final Runnable reload;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-keyvault");
        t.setDaemon(true);
        return t;
    });
    private volatile LoadedConfig current;
    private ScheduledFuture<?> next;
    private Duration interval;
    /** Which chain of scheduled refreshes is current: a refresh of an older chain does not schedule another. */
    private long chain;

    /**
     * @param source the process's Key Vault source (the one the config loads use)
     * @param reload loads the config again and, when it loads, puts it in service (and calls
     *     {@link #inService})
     */
    public KeyVaultRefresher(KeyVaultSource source, Runnable reload) {
        this.source = Objects.requireNonNull(source, "source");
        this.reload = Objects.requireNonNull(reload, "reload");
    }

    /** The config now serving: its references are the ones refreshed, on its interval. */
    public synchronized void inService(LoadedConfig config) {
        current = Objects.requireNonNull(config, "config");
        Duration wanted = config.model().gateway().keyVault().refreshInterval();
        boolean any = config.keyVaultItems().stream().anyMatch(i -> !i.reference().pinned());
        if (!any) {
            cancel();
            interval = null;
            return;
        }
        if (next == null || !wanted.equals(interval)) {
            cancel();
            interval = wanted;
            schedule();
        }
    }

    private void cancel() {
        chain++;
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }

    private void schedule() {
        if (executor.isShutdown()) {
            return;
        }
        long mine = chain;
        next = executor.schedule(() -> {
            try {
                refresh();
            } catch (RuntimeException | Error e) {
                log.error("Key Vault refresh failed; trying again in {}", interval, e);
            }
            synchronized (this) {
                if (interval != null && chain == mine) {
                    schedule();
                }
            }
        }, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Refreshes now on the refresher's thread; completes with the status afterwards. */
    public CompletableFuture<List<KeyVaultStatus>> refreshNow() {
        CompletableFuture<List<KeyVaultStatus>> done = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    refresh();
                    done.complete(status());
                } catch (RuntimeException | Error e) {
                    done.completeExceptionally(e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /** @return whether a new version was found (and a reload run) */
    private boolean refresh() {
        LoadedConfig config = current;
        if (config == null || config.keyVaultItems().isEmpty()) {
            return false;
        }
        KeyVaultSource.Access access = config.keyVaultAccess();
        List<String> changed = new ArrayList<>();
        for (KeyVaultItem item : config.keyVaultItems()) {
            if (item.reference().pinned() && item.version() != null) {
                continue;
            }
            String what = switch (item.kind()) {
                case "caCertificate" -> "CA certificate '" + item.id() + "'";
                case "namedValue" -> "named value '" + item.id() + "'";
                case "subscriptionKey" -> "subscription key " + item.id();
                default -> "certificate '" + item.id() + "'";
            };
            KeyVaultSource.Outcome o = source.read(item.reference(), item.identityClientId(), access, what,
                    !item.kind().equals("namedValue") && !item.kind().equals("subscriptionKey"));
            if (o.error() == null && o.value() != null && !o.value().version().equals(item.version())) {
                changed.add(what + ": version " + item.version() + " -> " + o.value().version());
            }
        }
        if (changed.isEmpty()) {
            log.debug("Key Vault refresh: no new versions");
            return false;
        }
        log.info("Key Vault: new secret versions ({}); reloading", String.join("; ", changed));
        reload.run();
        return true;
    }

    /** For each Key Vault item of the config in service: the version in service, the last refresh and its failure. */
    public List<KeyVaultStatus> status() {
        LoadedConfig config = current;
        if (config == null) {
            return List.of();
        }
        List<KeyVaultStatus> out = new ArrayList<>();
        for (KeyVaultItem item : config.keyVaultItems()) {
            out.add(source.status(item));
        }
        return List.copyOf(out);
    }

    @Override
    public synchronized void close() {
        interval = null;
        cancel();
        executor.shutdownNow();
    }
}
