package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.policy.spi.OutboundHttp.Failure;
import io.netty.handler.codec.DecoderException;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/**
 * How {@link OutboundClient} turns {@link UpstreamCollector}'s failures into the policies'
 * {@link Failure} kinds, with messages that name the call and, for a URL no backend matches, the
 * server rather than the internal target id.
 */
class OutboundClientTest {
    private static final String WHERE = "send-request GET http://127.0.0.1:8080";
    private static final UpstreamTarget DEFAULT = target(OutboundTargets.DEFAULT_ID);
    private static final UpstreamTarget RECORDS = target("records");

    private static UpstreamTarget target(String id) {
        return new UpstreamTarget(id, URI.create("http://127.0.0.1:8080"), "127.0.0.1", 8080, "", "127.0.0.1:8080", null,
                "127.0.0.1", false, Duration.ofSeconds(30), null, null);
    }

    private static Failure map(io.gatehouse.policy.GatewayException g, UpstreamTarget target) {
        return OutboundClient.failure(new CompletionException(g), WHERE, target);
    }

    @Test
    void theWholeCallsTimeoutIsATimeout() {
        Failure f = map(FailureKind.TIMEOUT.exception("backend 'outbound': no response within 1000 ms", null), DEFAULT);
        assertThat(f.kind()).isEqualTo(Failure.Kind.TIMEOUT);
        assertThat(f.getMessage()).isEqualTo(WHERE + ": no response within 1000 ms");
    }

    @Test
    void aResponseOverTheLimitIsTooLargeAndSaysWhichLimit() {
        Failure f = map(FailureKind.RESPONSE_TOO_LARGE.exception("backend 'outbound' answered with more than 16777216 bytes, "
                + OutboundClient.MAX_BODY_IS, null), DEFAULT);
        assertThat(f.kind()).isEqualTo(Failure.Kind.TOO_LARGE);
        assertThat(f.getMessage()).isEqualTo(WHERE + ": the server answered with more than 16777216 bytes, "
                + "the most the gateway reads for a policy's outbound call");
    }

    @Test
    void aConnectionClosedBeforeTheResponseEndedOrNotHttpIsAProtocolFailure() {
        Failure closed = map(FailureKind.BACKEND_CONNECTION_FAILURE.exception(
                "backend 'outbound' closed the connection before the response was complete", null), DEFAULT);
        assertThat(closed.kind()).isEqualTo(Failure.Kind.PROTOCOL);
        assertThat(closed.getMessage()).isEqualTo(WHERE + ": the server closed the connection before the response was complete");

        Failure garbled = map(FailureKind.BACKEND_CONNECTION_FAILURE.exception("backend 'outbound': bad", new DecoderException("bad")),
                DEFAULT);
        assertThat(garbled.kind()).isEqualTo(Failure.Kind.PROTOCOL);
    }

    @Test
    void thePoolsFailuresAreConnectionTlsOrTimeout() {
        UpstreamException refused = new UpstreamException(FailureKind.BACKEND_CONNECTION_FAILURE,
                "backend 'outbound': cannot connect to 127.0.0.1:8080: connection refused", null, new ConnectException());
        Failure c = map(refused.kind.exception(refused.getMessage(), refused), DEFAULT);
        assertThat(c.kind()).isEqualTo(Failure.Kind.CONNECTION);
        assertThat(c.getMessage()).isEqualTo(WHERE + ": cannot connect to 127.0.0.1:8080: connection refused");

        UpstreamException tls = new UpstreamException(FailureKind.BACKEND_CONNECTION_FAILURE,
                "backend 'records': TLS handshake failed: not trusted", null, new SSLHandshakeException("x"));
        Failure t = map(tls.kind.exception(tls.getMessage(), tls), RECORDS);
        assertThat(t.kind()).isEqualTo(Failure.Kind.TLS);
        assertThat(t.getMessage()).as("a configured backend keeps its id").isEqualTo(WHERE
                + ": backend 'records': TLS handshake failed: not trusted");

        UpstreamException handshakeTimeout = new UpstreamException(FailureKind.TIMEOUT,
                "backend 'outbound': TLS handshake with the backend timed out after 1000 ms", null, null);
        assertThat(map(handshakeTimeout.kind.exception(handshakeTimeout.getMessage(), handshakeTimeout), DEFAULT).kind())
                .isEqualTo(Failure.Kind.TIMEOUT);
    }

    @Test
    void aBrokenConnectionIsAConnectionFailure() {
        Failure f = map(FailureKind.BACKEND_CONNECTION_FAILURE.exception("backend 'outbound': java.io.IOException: reset",
                new java.io.IOException("reset")), DEFAULT);
        assertThat(f.kind()).isEqualTo(Failure.Kind.CONNECTION);
    }
}
