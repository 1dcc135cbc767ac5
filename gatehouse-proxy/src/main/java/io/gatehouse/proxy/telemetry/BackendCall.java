package io.gatehouse.proxy.telemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * One call to a backend or another service, as a CLIENT span, child of the request's SERVER span:
 * started before the connection is taken (connecting and the TLS handshake are inside it), ended
 * once the answer is in or the call failed. Each call is ended once, by whoever saw its end.
 */
public final class BackendCall {
    private final Span span;
    private int status;
    private boolean ended;

    BackendCall(Span span) {
        this.span = span;
    }

    /** The backend answered with {@code code} (recorded; the span ends with {@link #end}). */
    public void status(int code) {
        this.status = code;
    }

    /**
     * Ends the call: {@code errorType} (a low-cardinality reason, such as {@code BackendConnectionFailure}
     * or {@code timeout}) when it failed, else null. A 4xx or 5xx answer is an error of a client span.
     */
    public void end(String errorType) {
        if (ended) {
            return;
        }
        ended = true;
        if (status > 0) {
            span.setAttribute(SemConv.HTTP_RESPONSE_STATUS_CODE, status);
        }
        if (errorType != null) {
            span.setAttribute(SemConv.ERROR_TYPE, errorType);
            span.setStatus(StatusCode.ERROR);
        } else if (status >= 400) {
            span.setAttribute(SemConv.ERROR_TYPE, Integer.toString(status));
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /** The answer's status and the end together (status {@code code}, no failure). */
    public void answered(int code) {
        status(code);
        end(null);
    }

    Span span() {
        return span;
    }
}
