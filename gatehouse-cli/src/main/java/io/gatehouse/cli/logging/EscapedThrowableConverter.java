package io.gatehouse.cli.logging;

import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import io.gatehouse.common.LogText;

/**
 * {@code %safeEx}: the stack trace as logback writes it, one frame a line, but with each
 * exception's message and class name (of the exception, its causes and suppressed ones) escaped
 * by {@link LogText}: an exception that quotes a request ({@code "bad header name \r\nFAKE"})
 * cannot forge a line. The frames come from the code and are written as they are.
 */
public final class EscapedThrowableConverter extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy tp) {
        return super.throwableProxyToString(tp == null ? null : new Escaped(tp));
    }

    /** The same throwable with escaped message and class name, down its causes and suppressed ones. */
    private record Escaped(IThrowableProxy delegate) implements IThrowableProxy {
        @Override
        public String getMessage() {
            return LogText.escape(delegate.getMessage());
        }

        @Override
        public String getOverridingMessage() {
            return LogText.escape(delegate.getOverridingMessage());
        }

        @Override
        public String getClassName() {
            return LogText.escape(delegate.getClassName());
        }

        @Override
        public StackTraceElementProxy[] getStackTraceElementProxyArray() {
            return delegate.getStackTraceElementProxyArray();
        }

        @Override
        public int getCommonFrames() {
            return delegate.getCommonFrames();
        }

        @Override
        public IThrowableProxy getCause() {
            IThrowableProxy cause = delegate.getCause();
            return cause == null ? null : new Escaped(cause);
        }

        @Override
        public IThrowableProxy[] getSuppressed() {
            IThrowableProxy[] suppressed = delegate.getSuppressed();
            if (suppressed == null) {
                return null;
            }
            IThrowableProxy[] out = new IThrowableProxy[suppressed.length];
            for (int i = 0; i < suppressed.length; i++) {
                out[i] = new Escaped(suppressed[i]);
            }
            return out;
        }

        @Override
        public boolean isCyclic() {
            return delegate.isCyclic();
        }
    }
}
