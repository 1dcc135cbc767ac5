package io.gatehouse.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class HostnameMatcherTest {

    static final Pki.Issued CA = Pki.ca("CN=Name Test CA", Duration.ofDays(2));

    @Test
    void matchesDnsNamesIgnoringCaseAndTrailingDot() {
        var c = Pki.issue(CA, Pki.IssueRequest.server("backend.local", "Backend.Local", "api.contoso.local")).certificate();
        assertThat(HostnameMatcher.matches(c, "backend.local")).isTrue();
        assertThat(HostnameMatcher.matches(c, "BACKEND.local.")).isTrue();
        assertThat(HostnameMatcher.matches(c, "api.contoso.local")).isTrue();
        assertThat(HostnameMatcher.matches(c, "other.local")).isFalse();
        assertThat(HostnameMatcher.matches(c, "x.backend.local")).isFalse();
    }

    @Test
    void wildcardCoversExactlyOneLeftMostLabel() {
        var c = Pki.issue(CA, Pki.IssueRequest.server("wild", "*.contoso.local")).certificate();
        assertThat(HostnameMatcher.matches(c, "api.contoso.local")).isTrue();
        assertThat(HostnameMatcher.matches(c, "a.b.contoso.local")).isFalse();
        assertThat(HostnameMatcher.matches(c, "contoso.local")).isFalse();
        var tld = Pki.issue(CA, Pki.IssueRequest.server("tld", "*.local")).certificate();
        assertThat(HostnameMatcher.matches(tld, "contoso.local")).isFalse();
    }

    @Test
    void ipAddressesMatchOnlyIpSans() {
        var c = Pki.issue(CA, Pki.IssueRequest.server("10.0.0.5", "10.0.0.5", "::1", "host.local")).certificate();
        assertThat(HostnameMatcher.matches(c, "10.0.0.5")).isTrue();
        assertThat(HostnameMatcher.matches(c, "[::1]")).isTrue();
        assertThat(HostnameMatcher.matches(c, "0:0:0:0:0:0:0:1")).isTrue();
        assertThat(HostnameMatcher.matches(c, "10.0.0.6")).isFalse();
        var dnsOnly = Pki.issue(CA, Pki.IssueRequest.server("10.0.0.7", "10.0.0.7.nip.io")).certificate();
        assertThat(HostnameMatcher.matches(dnsOnly, "10.0.0.7")).isFalse();
    }

    @Test
    void commonNameIsNeverUsedAndTheMessageSaysSo() {
        var noSan = Pki.issue(CA, new Pki.IssueRequest("CN=legacy.local", List.of(), List.of(), true, false, null, null,
                null)).certificate();
        assertThat(HostnameMatcher.matches(noSan, "legacy.local")).isFalse();
        assertThat(HostnameMatcher.names(noSan)).containsExactly(
                "no subject alternative names; its common name 'legacy.local' is not used for name checks");
    }
}
