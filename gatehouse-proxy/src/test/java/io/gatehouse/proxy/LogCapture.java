package io.gatehouse.proxy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/** Captures the gateway's log lines in a test, to assert that a failure was explained. */
public final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    public LogCapture() {
        appender.start();
        root.addAppender(appender);
    }

    public List<String> lines() {
        synchronized (appender.list) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** Waits briefly for a line matching the predicate (logging can trail the response). */
    public String await(Predicate<String> p, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        do {
            for (String l : lines()) {
                if (p.test(l)) {
                    return l;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no log line matched within " + max + "; lines:\n" + String.join("\n", lines()));
    }

    @Override
    public void close() {
        root.detachAppender(appender);
    }
}
