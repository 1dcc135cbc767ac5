package io.gatehouse.proxy;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.config.LoadedConfig;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.HandshakeInfo;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code gatehouse explain}: which hostname, API and operation would take a request, and what
 * every certificate check on the way says about a given client certificate — the handshake's
 * (for the hostname's mode) and the policies' (run for real, with {@code forward-request}
 * stopping short of the backend). Nothing is served and no backend is called.
 */
public final class Explainer {
    /** The report, and whether a request with this certificate would reach the backend. */
    public record Report(String text, boolean reachesBackend) {
    }

    private Explainer() {
    }

    public static Report explain(LoadedConfig config, List<X509Certificate> chain, String host, String method, String path) {
        GatewaySnapshot snap = new GatewaySnapshot(config, 0);
        StringBuilder out = new StringBuilder();
        X509Certificate leaf = chain.isEmpty() ? null : chain.get(0);
        if (leaf != null) {
            out.append("certificate: ").append(DotNetNames.format(leaf.getSubjectX500Principal()))
                    .append("\n  issuer:     ").append(DotNetNames.format(leaf.getIssuerX500Principal()))
                    .append("\n  thumbprint: ").append(DotNetNames.thumbprint(leaf))
                    .append("\n  valid:      ").append(leaf.getNotBefore().toInstant()).append(" to ")
                    .append(leaf.getNotAfter().toInstant()).append('\n');
        } else {
            out.append("certificate: none\n");
        }

        GatewaySnapshot.HostnameBinding binding = host == null ? snap.defaultBinding : snap.forSni(host);
        if (binding == null) {
            out.append("hostname: no hostname '").append(host).append("' and no defaultSslBinding: the handshake is refused\n");
            return new Report(out.toString(), false);
        }
        ClientCertificateMode mode = binding.mode();
        out.append("hostname: ").append(binding.name()).append(" (clientCertificateMode: ").append(mode.configName())
                .append(binding.config().trustedCaCertificateIds().isEmpty() ? ""
                        : ", trustedCaCertificateIds: " + binding.config().trustedCaCertificateIds())
                .append(host != null && snap.hostnameKey(HostnameAccess.normalize(host)) == null
                        ? "; the default binding, as no hostname is '" + host + "'" : "")
                .append(")\n");
        HostnameAccess.Scope scope = snap.scopes.get(binding.key());
        // the hostname's client CA certificates, as its handshake and its policies use them
        ChainCheck.Result verdict = leaf == null ? null : scope.chainCheck().check(chain, true, Instant.now());
        String chainWords = verdict == null ? "no certificate"
                : verdict.trusted() ? "chains to one of this hostname's CA certificates"
                : "does not verify: " + verdict.reason();
        boolean handshakeOk;
        switch (mode) {
            case NONE -> {
                handshakeOk = true;
                out.append("  handshake: accepted; no certificate is asked for, so policies see none\n");
                chain = List.of();
            }
            case REQUEST -> {
                handshakeOk = true;
                out.append("  handshake: accepted (the certificate ").append(chainWords).append("; policies judge it)\n");
            }
            case REQUIRE -> {
                handshakeOk = leaf != null;
                out.append(handshakeOk ? "  handshake: accepted (the certificate " + chainWords + "; policies judge it)\n"
                        : "  handshake: REFUSED: this hostname requires a certificate\n");
            }
            case VERIFY_IF_GIVEN -> {
                handshakeOk = leaf == null || verdict.trusted();
                out.append(handshakeOk ? "  handshake: accepted (" + chainWords + ")\n"
                        : "  handshake: REFUSED: the certificate " + chainWords + "\n");
            }
            default -> {
                handshakeOk = leaf != null && verdict.trusted();
                out.append(handshakeOk ? "  handshake: accepted (" + chainWords + ")\n"
                        : "  handshake: REFUSED: " + (leaf == null ? "this hostname requires a verified certificate"
                        : "the certificate " + chainWords) + "\n");
            }
        }
        if (!handshakeOk) {
            return new Report(out.toString(), false);
        }

        Router.Match match = scope.router().route(method, path);
        if (match == null) {
            Router.Match elsewhere = snap.router.route(method, path);
            if (elsewhere != null) {
                out.append("route: API '").append(elsewhere.api().config().id()).append("' matches ").append(method)
                        .append(' ').append(path).append(" but is not served on hostname '").append(binding.name())
                        .append("' (its hostnames: ").append(elsewhere.api().config().hostnames()).append("): 404\n");
            } else {
                out.append("route: no API or operation matches ").append(method).append(' ').append(path).append(": 404\n");
            }
            return new Report(out.toString(), false);
        }
        UpstreamTarget target = match.api().target();
        out.append("route: API '").append(match.api().config().id()).append('\'')
                .append(match.operation() == null ? "" : ", operation '" + match.operation().config().id() + "'")
                .append(" -> backend '").append(target.id()).append("' (").append(target.url()).append(")\n");
        if (match.api().config().clientCertificateRequired()) {
            HostnameAccess.Refusal refusal = HostnameAccess.verdict(scope,
                    new HandshakeInfo(binding.name(), "TLSv1.3", "", "http/1.1", chain, null));
            if (refusal != null) {
                out.append("client certificate: REFUSED: the API has clientCertificate: required (")
                        .append(refusal.check()).append("): ").append(refusal.message()).append(": 403\n");
                return new Report(out.toString(), false);
            }
            out.append("client certificate: accepted (the API has clientCertificate: required)\n");
        }
        String keys = Subscriptions.describe(config, match.api().config());
        if (keys != null) {
            out.append(keys); // then the policies as a request with an API-scoped key runs them (no product's)
        }
        if (match.policy() == null) {
            out.append("policies: none at any scope: the request is forwarded\n");
            return new Report(out.toString(), true);
        }
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set("host", binding.name());
        PolicyPath.Inbound in = new PolicyPath.Inbound("00000000-0000-4000-8000-000000000000", System.nanoTime(), match,
                new PolicyPath.Head(method, "https", binding.name(), path, headers),
                new PolicyPath.Client("127.0.0.1", new HandshakeInfo(binding.name(), "TLSv1.3", "", "http/1.1", chain, null),
                        null), new byte[0], null, PolicyPath.Observer.NONE, null, null);
        Exchange x = new Exchange(PolicyPath.context(snap, in));
        x.backendId(match.api().config().backendId());
        List<String> steps = new java.util.ArrayList<>();
        x.steps((at, element, what) -> steps.add("  <" + element + "> at " + at + ": " + what));
        boolean[] forwarded = new boolean[1];
        try {
            match.policy().execute(x, (exchange, settings) -> {
                forwarded[0] = true;
                exchange.context().response().statusCode(200);
                return CompletableFuture.completedFuture(null);
            }).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            out.append("policies: could not be run here: ").append(e).append('\n');
            return new Report(out.toString(), false);
        }
        GatewayException failure = x.failure();
        if (failure != null) {
            out.append("policies: ").append(failure.status()).append(" from ").append(failure.source()).append(" (")
                    .append(failure.reason()).append("): ").append(failure.getMessage()).append('\n');
        } else if (forwarded[0]) {
            out.append("policies: passed; forward-request would call the backend")
                    .append(x.clientCertificate() != null ? " presenting "
                            + DotNetNames.format(x.clientCertificate().leaf().getSubjectX500Principal()) : "").append('\n');
        } else {
            out.append("policies: answered ").append(x.context().response().statusCode())
                    .append(" themselves (return-response or similar); the backend is not called\n");
        }
        steps.forEach(line -> out.append(line).append('\n'));
        return new Report(out.toString(), failure == null && forwarded[0]);
    }
}
