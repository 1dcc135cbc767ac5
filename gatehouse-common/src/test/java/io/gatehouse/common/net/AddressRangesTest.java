package io.gatehouse.common.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressRangesTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void matchesWithinTheirPrefixOnly() throws Exception {
        AddressRanges r = AddressRanges.of(List.of("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12", "fd00::/8"));
        assertThat(r.contains(ip("10.255.1.2"))).isTrue();
        assertThat(r.contains(ip("11.0.0.1"))).isFalse();
        assertThat(r.contains(ip("192.168.1.7"))).isTrue();
        assertThat(r.contains(ip("192.168.1.8"))).isFalse();
        assertThat(r.contains(ip("172.31.255.255"))).isTrue();
        assertThat(r.contains(ip("172.32.0.0"))).isFalse();
        assertThat(r.contains(ip("fd12::1"))).isTrue();
        assertThat(r.contains(ip("fe80::1"))).isFalse();
        assertThat(r.contains(ip("::ffff:10.1.2.3"))).as("an IPv4-mapped peer").isTrue();
        assertThat(AddressRanges.NONE.contains(ip("10.0.0.1"))).isFalse();
        assertThat(AddressRanges.of(List.of("0.0.0.0/0")).contains(ip("8.8.8.8"))).isTrue();
        assertThat(AddressRanges.of(List.of("0.0.0.0/0")).contains(ip("::1"))).as("v4 ranges never match v6").isFalse();
    }

    @Test
    void refusesNamesAndBadPrefixes() {
        assertThatThrownBy(() -> AddressRanges.parse("proxy.internal")).hasMessageContaining("not an IPv4 or IPv6");
        assertThatThrownBy(() -> AddressRanges.parse("10.0.0.0/33")).hasMessageContaining("/0 to /32");
        assertThatThrownBy(() -> AddressRanges.parse("fd00::/129")).hasMessageContaining("/0 to /128");
        assertThatThrownBy(() -> AddressRanges.parse("10.0.0.0/x")).hasMessageContaining("invalid prefix length");
        assertThatThrownBy(() -> AddressRanges.parse("")).hasMessageContaining("not an IPv4 or IPv6");
    }
}
