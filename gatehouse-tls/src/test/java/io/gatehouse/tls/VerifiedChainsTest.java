package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The handshake's memory of recently verified client chains. */
class VerifiedChainsTest {
    private static final Pki.Issued CA = Pki.ca("CN=Chains Test CA", Duration.ofDays(2));

    private static List<X509Certificate> chain(String cn) {
        return Pki.issue(CA, Pki.IssueRequest.client("CN=" + cn)).chain();
    }

    @Test
    void remembersAValidChainAndNothingElse() {
        VerifiedChains recent = new VerifiedChains(Duration.ofSeconds(30), 100);
        List<X509Certificate> alice = chain("alice");
        assertThat(recent.isKnownValid(alice)).isFalse();
        recent.remember(alice, Instant.now());
        assertThat(recent.isKnownValid(alice)).isTrue();
        assertThat(recent.isKnownValid(List.copyOf(alice))).as("compared by encoding, not identity").isTrue();
        assertThat(recent.isKnownValid(chain("bob"))).isFalse();
    }

    @Test
    void forgetsAfterTheTtlAndNeverRemembersPastTheChainsExpiry() throws Exception {
        VerifiedChains shortLived = new VerifiedChains(Duration.ofMillis(50), 100);
        List<X509Certificate> alice = chain("alice");
        shortLived.remember(alice, Instant.now());
        Thread.sleep(120);
        assertThat(shortLived.isKnownValid(alice)).isFalse();

        VerifiedChains recent = new VerifiedChains(Duration.ofSeconds(30), 100);
        // verified "now" but a certificate of the chain has already expired by then: not kept
        recent.remember(alice, alice.get(0).getNotAfter().toInstant().plusSeconds(1));
        assertThat(recent.isKnownValid(alice)).isFalse();
    }

    @Test
    void staysBoundedByStartingAgainWhenFull() {
        VerifiedChains recent = new VerifiedChains(Duration.ofSeconds(30), 2);
        List<X509Certificate> a = chain("a");
        List<X509Certificate> b = chain("b");
        List<X509Certificate> c = chain("c");
        recent.remember(a, Instant.now());
        recent.remember(b, Instant.now());
        recent.remember(c, Instant.now());
        assertThat(recent.isKnownValid(c)).isTrue();
        assertThat(recent.isKnownValid(a)).isFalse();
    }
}
