package io.gatehouse.cli.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.gatehouse.common.LogText;

/**
 * {@code %safeMsg}: the formatted message (template and arguments) with control characters,
 * line breaks included, escaped by {@link LogText}, so one event is one line whatever a request
 * or a config put into an argument. The pattern's own {@code %n} ends the line.
 */
public final class EscapedMessageConverter extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
        return LogText.escape(super.convert(event));
    }
}
