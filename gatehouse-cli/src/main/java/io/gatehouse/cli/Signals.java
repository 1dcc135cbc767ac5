package io.gatehouse.cli;

import org.slf4j.LoggerFactory;

/** SIGHUP handling through the JDK's {@code sun.misc.Signal}, where the platform has it. */
final class Signals {
    private Signals() {
    }

    static void onHangup(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LoggerFactory.getLogger("gatehouse").warn("SIGHUP reload is not available here: {}", e.getMessage());
        }
    }
}
