package io.gatehouse.cli;

import org.slf4j.LoggerFactory;

/**
 * Signal handling through the JDK's {@code sun.misc.Signal}, where the platform has it:
 * SIGHUP reloads; SIGTERM and SIGINT stop gracefully so that the process exits 0 after
 * draining (the JVM's default for SIGTERM is exit status 143).
 */
final class Signals {
    private Signals() {
    }

    static void onHangup(Runnable action) {
        handle("HUP", action);
    }

    static void onTerminate(Runnable action) {
        handle("TERM", action);
        handle("INT", action);
    }

    private static void handle(String name, Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LoggerFactory.getLogger("gatehouse").warn("SIG{} handling is not available here: {}", name, e.getMessage());
        }
    }
}
