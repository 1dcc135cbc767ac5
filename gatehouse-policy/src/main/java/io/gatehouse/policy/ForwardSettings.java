package io.gatehouse.policy;

import java.time.Duration;

/**
 * How {@code forward-request} asks the gateway to call the backend.
 *
 * @param timeout how long to wait for the response headers; null means the backend's own timeout
 * @param followRedirects follow 3xx from the backend instead of returning them
 * @param bufferRequestBody read the whole request body before sending (lets retries resend it)
 * @param bufferResponse read the whole response before returning it (false streams it)
 * @param failOnErrorStatusCode a 4xx/5xx backend status raises an error to {@code on-error}
 */
public record ForwardSettings(Duration timeout, boolean followRedirects, boolean bufferRequestBody,
                              boolean bufferResponse, boolean failOnErrorStatusCode) {
    /** APIM's defaults for a bare {@code <forward-request/>}. */
    public static final ForwardSettings DEFAULT = new ForwardSettings(null, false, false, true, false);

    public ForwardSettings {
        if (timeout != null && timeout.isNegative()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 0)");
        }
    }
}
