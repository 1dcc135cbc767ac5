package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.LoadedConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatehouse explain}: the handshake's and the policies' verdicts on a certificate, without serving. */
class ExplainerTest {
    @TempDir
    static Path tmp;
    static TestWorld world;
    static LoadedConfig config;

    @BeforeAll
    static void load() {
        world = new TestWorld(tmp.resolve("pki"));
        GatewayHarness.write(tmp.resolve("guide.xml"),
                PolicyEndToEndTest.guidePolicy(DotNetNames.thumbprint(world.client.certificate())));
        GatewayHarness.write(tmp.resolve("vcc.xml"), """
                <policies>
                  <inbound>
                    <validate-client-certificate validate-revocation="false" validate-trust="true"
                        validate-not-before="true" validate-not-after="true" ignore-error="false" />
                  </inbound>
                  <backend><forward-request /></backend>
                </policies>
                """);
        GatewayHarness.write(tmp.resolve("gatehouse.yaml"), """
                gateway:
                  listeners:
                    - port: 8443
                %s%s%s
                backends:
                  - id: plain
                    url: http://127.0.0.1:9/base
                apis:
                  - id: guide
                    path: guide
                    backendId: plain
                    policy: guide.xml
                  - id: vcc
                    path: vcc
                    backendId: plain
                    policy: vcc.xml
                  - id: open
                    path: open
                    backendId: plain
                """.formatted(E2e.hostnames(), E2e.clientCas(world), E2e.gatewayCertificate(world)));
        ConfigResult r = ConfigLoader.load(tmp.resolve("gatehouse.yaml"));
        assertThat(r.config()).as(r.diagnostics().render()).isNotNull();
        config = r.config();
    }

    @Test
    void strictHostnameRefusesAnImpostorInTheHandshakeAndSaysWhy() {
        Explainer.Report r = Explainer.explain(config, List.of(world.rogueClient.certificate()), "strict.gatehouse.test",
                "GET", "/guide/1");
        assertThat(r.reachesBackend()).isFalse();
        assertThat(r.text()).contains("hostname: strict.gatehouse.test (clientCertificateMode: require-and-verify)")
                .contains("handshake: REFUSED").contains("did not sign it");
    }

    @Test
    void guidePolicyPassesTheRightCertificateAndAnswers403ToAnother() {
        Explainer.Report ok = Explainer.explain(config, List.of(world.client.certificate()), "api.gatehouse.test", "GET", "/guide/1");
        assertThat(ok.reachesBackend()).as(ok.text()).isTrue();
        assertThat(ok.text()).contains("route: API 'guide' -> backend 'plain'").contains("policies: passed");
        Explainer.Report other = Explainer.explain(config, List.of(world.otherClient.certificate()), "api.gatehouse.test",
                "GET", "/guide/1");
        assertThat(other.reachesBackend()).isFalse();
        assertThat(other.text()).contains("policies: answered 403 themselves");
        // which <when> fired, at its place in the document (the first <choose> of examples/guide-inbound-policy.xml)
        assertThat(other.text()).contains("<when> at " + tmp.resolve("guide.xml") + ":18:").contains("condition true: this <when> runs");
        // with the right certificate neither condition is true
        assertThat(ok.text()).contains("<choose> at " + tmp.resolve("guide.xml") + ":17:")
                .contains("the <when> condition is not true: nothing runs (no <otherwise>)")
                .contains("<choose> at " + tmp.resolve("guide.xml") + ":30:")
                .doesNotContain("condition true");
    }

    @Test
    void validateClientCertificateNamesTheFailedCheck() {
        Explainer.Report r = Explainer.explain(config, List.of(world.expiredClient.certificate()), "api.gatehouse.test",
                "GET", "/vcc/1");
        assertThat(r.reachesBackend()).isFalse();
        assertThat(r.text()).contains("policies: 401 from validate-client-certificate (ClientCertificateExpired)");
    }

    @Test
    void unknownPathIs404AndNoPolicyMeansForwarded() {
        assertThat(Explainer.explain(config, List.of(), "open.gatehouse.test", "GET", "/nothing").text()).contains(": 404");
        Explainer.Report open = Explainer.explain(config, List.of(), null, "GET", "/open/x");
        assertThat(open.reachesBackend()).isTrue();
        assertThat(open.text()).contains("certificate: none").contains("policies: none at any scope");
    }
}
