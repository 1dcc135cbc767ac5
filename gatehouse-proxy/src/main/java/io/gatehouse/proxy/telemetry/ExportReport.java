package io.gatehouse.proxy.telemetry;

import io.opentelemetry.exporter.internal.FailedExportException;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exporter as the batch processor sees it: every export goes to the OTLP exporter, and its
 * outcome is counted ({@link Counts}) and logged only when it changes (the collector became
 * unreachable, or reachable again), never once per batch. The SDK's own per-batch warnings are
 * silenced ({@link SdkLog}). Nothing logged names a header (they are secrets).
 */
final class ExportReport implements SpanExporter {
    private static final Logger log = LoggerFactory.getLogger("gatehouse.telemetry");
    private static final int UNKNOWN = 0;
    private static final int OK = 1;
    private static final int FAILING = 2;

    /** Spans exported and spans lost to failed exports, over the process's life (all SDKs). */
    static final class Counts {
        final LongAdder exported = new LongAdder();
        final LongAdder failed = new LongAdder();
    }

    private final SpanExporter delegate;
    private final String where;
    private final Counts counts;
    private final AtomicInteger state = new AtomicInteger(UNKNOWN);

    ExportReport(SpanExporter delegate, String where, Counts counts) {
        this.delegate = delegate;
        this.where = where;
        this.counts = counts;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
        int n = spans.size();
        SdkLog.exporting();
        CompletableResultCode r;
        try {
            r = delegate.export(spans);
        } catch (RuntimeException e) {
            outcome(false, n, e);
            return CompletableResultCode.ofFailure();
        }
        r.whenComplete(() -> outcome(r.isSuccess(), n, r.getFailureThrowable()));
        return r;
    }

    private void outcome(boolean ok, int spans, Throwable failure) {
        if (ok) {
            counts.exported.add(spans);
            if (state.getAndSet(OK) == FAILING) {
                log.info("OpenTelemetry: spans reach {} again", where);
            }
            return;
        }
        counts.failed.add(spans);
        if (state.getAndSet(FAILING) != FAILING) {
            log.warn("OpenTelemetry: spans cannot be exported to {}: {}; spans are dropped until an export succeeds "
                    + "(said once; gatehouse_telemetry_spans_failed_total counts them)", where, describe(failure));
        }
    }

    /** Why an export failed, in words: the collector's HTTP status, or what stopped the request (never a header). */
    static String describe(Throwable failure) {
        if (failure instanceof FailedExportException.HttpExportException h && h.failedWithResponse()
                && h.getResponse() != null) {
            return "the collector answered HTTP " + h.getResponse().getStatusCode();
        }
        // the chain without the SDK's wrapper: "ConnectException <- ClosedChannelException", with messages when there are
        StringBuilder out = new StringBuilder();
        String last = null;
        int depth = 0;
        for (Throwable c = failure; c != null && depth < 4; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof FailedExportException || c instanceof java.util.concurrent.CompletionException) {
                continue;
            }
            String m = c.getMessage();
            String one = c.getClass().getSimpleName()
                    + (m == null || m.isBlank() ? "" : ": " + (m.length() > 200 ? m.substring(0, 200) + "..." : m));
            if (one.equals(last)) {
                continue; // the JDK HttpClient wraps a ConnectException in another
            }
            if (depth++ > 0) {
                out.append(" <- ");
            }
            out.append(one);
            last = one;
        }
        return out.isEmpty() ? "the export failed" : out.toString();
    }

    @Override
    public CompletableResultCode flush() {
        return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return delegate.shutdown();
    }

    @Override
    public String toString() {
        return "ExportReport[" + where + "]";
    }
}
