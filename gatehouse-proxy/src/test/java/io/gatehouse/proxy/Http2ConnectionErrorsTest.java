package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * An error the HTTP/2 codec passes on (a client resetting its connection) ends the connection
 * quietly: it must not reach the end of the pipeline, where Netty logs a warning with a stack
 * trace for each one (a client could flood the log). EmbeddedChannel records what reaches the
 * end of its pipeline and {@code checkException()} throws it.
 */
class Http2ConnectionErrorsTest {
    @Test
    void aResetConnectionIsClosedWithoutReachingTheEndOfThePipeline() {
        EmbeddedChannel ch = new EmbeddedChannel();
        new DownstreamInitializer(null, true).http2(ch.pipeline());
        assertThat(ch.isOpen()).isTrue();
        ch.pipeline().fireExceptionCaught(new IOException("recvAddress(..) failed with error(-104): Connection reset by peer"));
        assertThatCode(ch::checkException).doesNotThrowAnyException();
        ch.runPendingTasks(); // the codec closes after its GOAWAY is written
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
