package io.gatehouse.policy;

import java.util.concurrent.CompletionStage;

/**
 * The gateway's side of {@code forward-request}: send {@code exchange.context().Request} to the
 * backend chosen for this request ({@link Exchange#backendId()}, {@link Exchange#baseUrl()}),
 * presenting {@link Exchange#clientCertificate()} if set, and fill {@code context.Response}.
 *
 * <p>On failure, complete exceptionally with a {@link GatewayException}, e.g.
 * {@code new GatewayException(502, "forward-request", "BackendConnectionFailure", "...")}; any other
 * exception is reported as a 502 BackendConnectionFailure.
 *
 * <p>The policies after {@code forward-request} (the outbound section) run on the thread that
 * completes the stage: complete it on the request's event loop.
 */
@FunctionalInterface
public interface Forwarder {
    CompletionStage<Void> forward(Exchange exchange, ForwardSettings settings);
}
