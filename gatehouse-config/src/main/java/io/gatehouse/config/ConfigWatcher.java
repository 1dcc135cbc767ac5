package io.gatehouse.config;

import io.gatehouse.config.keyvault.KeyVaultSource;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Reloads a config when it or any file it references changes, and on demand ({@link #reloadNow()},
 * for SIGHUP). Watches the folders of the files with the JDK {@link WatchService} on one daemon
 * thread, waits until changes have been quiet for {@link #DEBOUNCE_MILLIS} (an editor or
 * {@code cp} writes in several steps, and a certificate and its key are usually replaced
 * together), then loads with {@link ConfigLoader} and hands the result, good or bad, to the
 * consumer. The consumer decides whether to swap the running config or keep it. No failure while
 * loading or in the consumer, not even a {@link StackOverflowError}, ends the watching thread.
 *
 * <p>Kubernetes mounts replace files through a {@code ..data} symlink swap; a change to any
 * {@code ..}-prefixed entry in a watched folder therefore counts too.
 */
public final class ConfigWatcher implements AutoCloseable {
    static final long DEBOUNCE_MILLIS = 300;
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path configFile;
    private final Consumer<ConfigResult> onChange;
    private final Map<String, String> env;
    private final KeyVaultSource keyVault;
    private final Object reloadLock = new Object();
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private volatile Set<Path> watchedFiles = Set.of();
    private WatchService watchService;
    private Thread thread;
    private volatile boolean closed;

    public ConfigWatcher(Path configFile, Consumer<ConfigResult> onChange) {
        this(configFile, onChange, System.getenv());
    }

    /** With the given variables for {@code ${env:NAME}} (tests pass their own). */
    public ConfigWatcher(Path configFile, Consumer<ConfigResult> onChange, Map<String, String> env) {
        this(configFile, onChange, env, new KeyVaultSource());
    }

    /**
     * With the process's Key Vault source: each reload reads the config's Key Vault references
     * again (their latest versions) and keeps the last good version of one that cannot be read.
     */
    public ConfigWatcher(Path configFile, Consumer<ConfigResult> onChange, Map<String, String> env, KeyVaultSource keyVault) {
        this.configFile = requireNonNull(configFile, "configFile");
        this.onChange = requireNonNull(onChange, "onChange");
        this.env = Map.copyOf(env);
        this.keyVault = requireNonNull(keyVault, "keyVault");
    }

    /**
     * Starts watching the config file and the files the current config references (loading it
     * once to find them). Does not call the consumer: the caller has usually just loaded the
     * config itself.
     */
    public void start() {
        start(ConfigLoader.load(configFile, env, keyVault).watchedFiles());
    }

    /**
     * Starts watching the given files (usually {@link ConfigResult#watchedFiles()} of the load the
     * caller just did, which saves loading twice); each reload then updates the set.
     */
    public synchronized void start(Set<Path> initialFiles) {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        requireNonNull(initialFiles, "initialFiles");
        try {
            watchService = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot watch files for config reload", e);
        }
        Set<Path> files = new HashSet<>(initialFiles);
        files.add(configFile.toAbsolutePath().normalize());
        register(files);
        thread = Thread.ofPlatform().daemon().name("gatehouse-config-watcher").unstarted(this::run);
        thread.start();
    }

    /** Loads the config now and hands the result to the consumer (SIGHUP); returns it as well. */
    public ConfigResult reloadNow() {
        synchronized (reloadLock) {
            ConfigResult result = ConfigLoader.load(configFile, env, keyVault); // never throws: failures are diagnostics
            if (watchService != null && !closed) {
                register(result.watchedFiles());
            }
            try {
                onChange.accept(result);
            } catch (Throwable e) { // even a StackOverflowError: the watcher must outlive one bad reload
                log.error("config reload consumer failed; still watching for the next change", e);
            }
            return result;
        }
    }

    /** The files being watched, absolute and normalised. */
    public Set<Path> watchedFiles() {
        return watchedFiles;
    }

    @Override
    public void close() {
        Thread thread;
        synchronized (this) {
            closed = true;
            thread = this.thread;
            if (watchService != null) {
                try {
                    watchService.close();
                } catch (IOException e) {
                    log.debug("closing the watch service", e);
                }
            }
        }
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void register(Set<Path> files) {
        watchedFiles = Set.copyOf(files);
        Set<Path> folders = new HashSet<>();
        for (Path f : files) {
            Path parent = f.getParent();
            if (parent != null) {
                folders.add(parent);
            }
        }
        Set<Path> registered = new HashSet<>(keys.values());
        for (Path folder : folders) {
            if (registered.contains(folder)) {
                continue;
            }
            try {
                WatchKey key = folder.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                keys.put(key, folder);
            } catch (IOException | ClosedWatchServiceException e) {
                log.warn("cannot watch folder {} for config changes: {}", folder, e.toString());
            }
        }
        keys.entrySet().removeIf(e -> {
            if (!folders.contains(e.getValue())) {
                e.getKey().cancel();
                return true;
            }
            return false;
        });
    }

    private void run() {
        long deadline = 0;
        while (!closed) {
            try {
                WatchKey key = deadline == 0 ? watchService.take()
                        : watchService.poll(Math.max(1, deadline - System.nanoTime() / 1_000_000), TimeUnit.MILLISECONDS);
                if (key != null) {
                    if (relevant(key)) {
                        deadline = System.nanoTime() / 1_000_000 + DEBOUNCE_MILLIS;
                    }
                    key.reset();
                } else if (deadline != 0 && System.nanoTime() / 1_000_000 >= deadline) {
                    deadline = 0;
                    // the consumer says how it went: reloaded (with the new generation) or refused, and why
                    log.info("a config file changed: reloading {}", configFile);
                    reloadNow();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (Throwable e) { // anything, so that later edits and certificate rotations are still applied
                log.error("config watcher failed; it keeps watching", e);
            }
        }
    }

    private boolean relevant(WatchKey key) {
        Path folder;
        synchronized (this) {
            folder = keys.get(key);
        }
        boolean relevant = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                relevant = true;
                continue;
            }
            if (folder == null || !(event.context() instanceof Path name)) {
                continue;
            }
            if (name.toString().startsWith("..") || watchedFiles.contains(folder.resolve(name).normalize())) {
                relevant = true;
            }
        }
        return relevant;
    }
}
