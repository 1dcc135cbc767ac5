package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.proxy.DownstreamExchange.Phase;
import org.junit.jupiter.api.Test;

/** The phases of an exchange only go forward, skipping those a request does not need. */
class DownstreamExchangeTest {

    @Test
    void aPlainRequestGoesFromItsHeadToDone() {
        DownstreamExchange e = new DownstreamExchange();
        assertThat(e.phase()).isEqualTo(Phase.READING_HEAD);
        e.to(Phase.FORWARDING);
        e.to(Phase.AWAITING_RESPONSE);
        e.to(Phase.RESPONDING);
        assertThat(e.done()).isFalse();
        e.to(Phase.DONE);
        assertThat(e.done()).isTrue();
    }

    @Test
    void aPhaseNeverRepeatsNorGoesBack() {
        DownstreamExchange e = new DownstreamExchange();
        e.to(Phase.POLICIES);
        e.to(Phase.RESPONDING);
        assertThatThrownBy(() -> e.to(Phase.RESPONDING)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RESPONDING to RESPONDING");
        assertThatThrownBy(() -> e.to(Phase.FORWARDING)).isInstanceOf(IllegalStateException.class);
        e.to(Phase.DONE);
        assertThatThrownBy(() -> e.to(Phase.DONE)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anyPhaseCanEndTheExchange() {
        for (Phase p : Phase.values()) {
            if (p == Phase.DONE) {
                continue;
            }
            DownstreamExchange e = new DownstreamExchange();
            if (p != Phase.READING_HEAD) {
                e.to(p);
            }
            e.to(Phase.DONE);
            assertThat(e.done()).as(p.name()).isTrue();
        }
    }
}
