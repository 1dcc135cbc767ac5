package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.policy.ChainCheck;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Verify() on one connection asks the chain check again once its last answer is a second old. */
class ConnectionVerifierTest {
    @Test
    void answersAreRememberedForOneSecondPerRevocationFlag() {
        List<Boolean> asked = new ArrayList<>();
        boolean[] trusted = {true};
        ChainCheck check = (chain, revocation, at) -> {
            asked.add(revocation);
            return new ChainCheck.Result(trusted[0], false, trusted[0] ? null : "revoked: test");
        };
        PolicyPath.ConnectionVerifier v = new PolicyPath.ConnectionVerifier(check, List.of());
        long t0 = 1_000_000_000L;
        assertThat(v.verify(true, t0)).isTrue();
        trusted[0] = false; // revoked meanwhile
        assertThat(v.verify(true, t0 + PolicyPath.ConnectionVerifier.REMEMBER_NANOS - 1)).isTrue();
        assertThat(v.verify(false, t0)).as("the other flag has its own answer").isFalse();
        assertThat(v.verify(true, t0 + PolicyPath.ConnectionVerifier.REMEMBER_NANOS)).as("a second later").isFalse();
        assertThat(asked).containsExactly(true, false, true);
    }
}
