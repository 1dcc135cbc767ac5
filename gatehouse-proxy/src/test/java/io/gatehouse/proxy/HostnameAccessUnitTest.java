package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.LoadedConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Host name normalisation, SNI look-up, the per-hostname routers built at load time, and what
 * {@code gatehouse explain} says about an API's hostnames and clientCertificate.
 */
class HostnameAccessUnitTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static LoadedConfig config;

    @BeforeAll
    static void load() {
        world = new TestWorld(tmp.resolve("pki"));
        GatewayHarness.write(tmp.resolve("gatehouse.yaml"), """
                gateway:
                  listeners:
                    - port: 8443
                %s%s%s
                backends:
                  - id: plain
                    url: http://127.0.0.1:9/base
                apis:
                  - id: secure
                    path: secure
                    backendId: plain
                    hostnames: [STRICT.gatehouse.test, verify.gatehouse.test]
                  - id: partner
                    path: partner
                    backendId: plain
                    clientCertificate: required
                """.formatted(E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world)));
        ConfigResult r = ConfigLoader.load(tmp.resolve("gatehouse.yaml"));
        assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
        config = r.config();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "strict.contoso.local,          strict.contoso.local",
            "Strict.Contoso.Local,          strict.contoso.local",
            "strict.contoso.local.,         strict.contoso.local",
            "STRICT.CONTOSO.LOCAL.:443,     strict.contoso.local",
            "strict.contoso.local:8443,     strict.contoso.local",
            "[::1]:8443,                    ::1",
            "[FE80::1],                     fe80::1",
            "::1,                           ::1",
            "127.0.0.1:80,                  127.0.0.1",
            "'.',                           .",
            "'',                            ''",
    })
    void normalises(String given, String expected) {
        assertThat(HostnameAccess.normalize(given)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[", "[]", "]", ":", "::", "a..", "[::1", "x:y:z]", "\u0130stanbul.test", "h\u0000st", " "})
    void normalisationIsTotal(String odd) {
        assertThat(HostnameAccess.normalize(odd)).isNotNull();
    }

    @Test
    void normalisingNullIsNull() {
        assertThat(HostnameAccess.normalize(null)).isNull();
    }

    /** A base-url an expression computes per request (from a header, say) cannot grow the snapshot without end. */
    @Test
    void targetsMadeWhileRequestsRunAreBounded() {
        GatewaySnapshot snap = new GatewaySnapshot(config, 0);
        UpstreamTarget first = snap.forBaseUrl("https://tenant-0.contoso.test/api");
        assertThat(snap.forBaseUrl("https://tenant-0.contoso.test/api")).isSameAs(first); // built once per URL
        for (int i = 1; i < GatewaySnapshot.MAX_VARIANTS * 3; i++) {
            assertThat(snap.forBaseUrl("https://tenant-" + i + ".contoso.test/api").url().getHost())
                    .isEqualTo("tenant-" + i + ".contoso.test");
        }
        assertThat(snap.variantCount()).isPositive().isLessThanOrEqualTo(GatewaySnapshot.MAX_VARIANTS);
    }

    @Test
    void sniIsLookedUpNormalised() {
        GatewaySnapshot snap = new GatewaySnapshot(config, 0);
        assertThat(snap.forSni("strict.gatehouse.test.").name()).isEqualTo("strict.gatehouse.test");
        assertThat(snap.forSni("STRICT.gatehouse.TEST").name()).isEqualTo("strict.gatehouse.test");
        assertThat(snap.forSni(null)).isSameAs(snap.defaultBinding);
        assertThat(snap.forSni("unknown.test")).isSameAs(snap.defaultBinding);
        assertThat(snap.forHost("Strict.Gatehouse.Test.:443").name()).isEqualTo("strict.gatehouse.test");
    }

    @Test
    void eachHostnameRoutesOnlyItsApis() {
        GatewaySnapshot snap = new GatewaySnapshot(config, 0);
        for (String h : List.of("strict.gatehouse.test", "verify.gatehouse.test")) {
            assertThat(snap.scopes.get(h).router().route("GET", "/secure/1")).as(h).isNotNull();
        }
        for (String h : List.of("open.gatehouse.test", "api.gatehouse.test", "require.gatehouse.test")) {
            assertThat(snap.scopes.get(h).router().route("GET", "/secure/1")).as(h).isNull();
            assertThat(snap.scopes.get(h).router().route("GET", "/partner/1")).as(h).isNotNull();
        }
        assertThat(snap.unbound.router().route("GET", "/secure/1")).isNull();
        assertThat(snap.unbound.router().route("GET", "/partner/1")).isNotNull();
    }

    @Test
    void explainSaysAnApiIsNotServedOnTheDefaultBinding() {
        Explainer.Report r = Explainer.explain(config, List.of(world.client.certificate()), null, "GET", "/secure/1");
        assertThat(r.reachesBackend()).isFalse();
        assertThat(r.text()).contains("hostname: open.gatehouse.test")
                .contains("route: API 'secure' matches GET /secure/1 but is not served on hostname 'open.gatehouse.test'");
    }

    @Test
    void explainReachesAnApiOnItsHostnameEvenWrittenWithATrailingDot() {
        Explainer.Report r = Explainer.explain(config, List.of(world.client.certificate()), "strict.gatehouse.test.",
                "GET", "/secure/1");
        assertThat(r.reachesBackend()).as(r.text()).isTrue();
        assertThat(r.text()).contains("hostname: strict.gatehouse.test (clientCertificateMode: require-and-verify)")
                .contains("route: API 'secure'");
    }

    @Test
    void explainRefusesAnApiThatRequiresACertificateWithoutOne() {
        Explainer.Report none = Explainer.explain(config, List.of(), "api.gatehouse.test", "GET", "/partner/1");
        assertThat(none.reachesBackend()).isFalse();
        assertThat(none.text()).contains("client certificate: REFUSED").contains("(missing)").contains(": 403");
        Explainer.Report rogue = Explainer.explain(config, List.of(world.rogueClient.certificate()), "api.gatehouse.test",
                "GET", "/partner/1");
        assertThat(rogue.reachesBackend()).isFalse();
        assertThat(rogue.text()).contains("client certificate: REFUSED");
        Explainer.Report good = Explainer.explain(config, List.of(world.client.certificate()), "api.gatehouse.test",
                "GET", "/partner/1");
        assertThat(good.reachesBackend()).as(good.text()).isTrue();
        assertThat(good.text()).contains("client certificate: accepted");
    }
}
