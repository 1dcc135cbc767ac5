package io.gatehouse.policy;

import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationMode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ChainCheckTest {
    private static final Pki.Issued CA = Pki.ca("CN=Check CA", Duration.ofDays(2));
    private static final Pki.Issued CLIENT = Pki.issue(CA, Pki.IssueRequest.client("CN=client"));
    private static final Pki.Issued STRANGER = Pki.issue(Pki.ca("CN=Check CA", Duration.ofDays(2)), Pki.IssueRequest.client("CN=client"));

    @Test
    void gatewayCheckTrustsOnlyChainsToTheStoreAndOffersTheStoreAsIssuers() {
        ChainCheck check = ChainCheck.of(CaStore.of(List.of(CA.certificate()), List.of(), List.of()), RevocationMode.SOFT_FAIL);
        ChainCheck.Result ok = check.check(CLIENT.chain(), true, Instant.now());
        assertThat(ok.trusted()).isTrue();
        assertThat(ok.path()).contains(CA.certificate());
        ChainCheck.Result bad = check.check(STRANGER.chain(), true, Instant.now());
        assertThat(bad.trusted()).isFalse();
        assertThat(bad.revoked()).isFalse();
        assertThat(bad.reason()).startsWith("chain: ");
    }

    @Test
    void revokedCertificateIsReportedAsRevokedOnlyWhenAsked() {
        var crl = Pki.crl(CA, List.of(CLIENT.certificate().getSerialNumber()), Instant.now().minusSeconds(60), Instant.now().plusSeconds(3600));
        ChainCheck check = ChainCheck.of(CaStore.of(List.of(CA.certificate()), List.of(), List.of(crl)), RevocationMode.SOFT_FAIL);
        assertThat(check.check(CLIENT.chain(), true, Instant.now()).revoked()).isTrue();
        assertThat(check.check(CLIENT.chain(), false, Instant.now()).trusted()).isTrue();
    }

    @Test
    void cachedCheckRemembersResultsForTheTtl() {
        AtomicInteger calls = new AtomicInteger();
        ChainCheck counting = (chain, rev, at) -> {
            calls.incrementAndGet();
            return ChainCheck.Result.TRUSTED;
        };
        ChainCheck cached = counting.cached(Duration.ofSeconds(30), 100);
        Instant t0 = Instant.now();
        cached.check(CLIENT.chain(), true, t0);
        cached.check(CLIENT.chain(), true, t0.plusSeconds(10));
        assertThat(calls).hasValue(1);
        cached.check(CLIENT.chain(), false, t0.plusSeconds(10));
        assertThat(calls).as("revocation flag is part of the key").hasValue(2);
        cached.check(CLIENT.chain(), true, t0.plusSeconds(31));
        assertThat(calls).as("expired entry").hasValue(3);
    }
}
