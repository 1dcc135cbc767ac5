package io.gatehouse.policy;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.tls.Pki;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Test helpers: compile documents, build contexts with certificates, run pipelines with a recording forwarder. */
public final class Harness {
    private Harness() {
    }

    /** A forwarder that counts calls and answers 200 "from backend" (or what {@link #answer} sets). */
    public static final class RecordingForwarder implements Forwarder {
        public final AtomicInteger calls = new AtomicInteger();
        public ForwardSettings lastSettings;
        public RuntimeException failWith;
        public int status = 200;
        public boolean async;

        @Override
        public CompletableFuture<Void> forward(Exchange exchange, ForwardSettings settings) {
            calls.incrementAndGet();
            lastSettings = settings;
            if (failWith != null) {
                return async ? CompletableFuture.supplyAsync(() -> {
                    throw failWith;
                }) : CompletableFuture.failedFuture(failWith);
            }
            Runnable fill = () -> exchange.context().response().statusCode(status).statusReason("OK")
                    .body(MessageBody.ofString("from backend", "text/plain"));
            if (async) {
                return CompletableFuture.runAsync(fill);
            }
            fill.run();
            return CompletableFuture.completedFuture(null);
        }
    }

    public static PolicyDocument parse(PolicyEngine engine, String xml, Scope scope) {
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = engine.parse(new SourceText(scope.label() + ".xml", xml), scope, d);
        assertThat(d.hasErrors()).as(d.render()).isFalse();
        return doc;
    }

    public static EffectivePolicy compile(PolicyEngine engine, String xml) {
        return engine.compose(null, parse(engine, xml, Scope.API), null, new Diagnostics());
    }

    public static PolicyContext context(Pki.Issued client) {
        PolicyContext c = new PolicyContext();
        if (client != null) {
            c.request().certificate(new X509Certificate2(client.certificate(), client.chain(), null));
        }
        return c;
    }

    public static Exchange run(EffectivePolicy p, PolicyContext ctx, Forwarder f) {
        Exchange ex = new Exchange(ctx);
        try {
            p.execute(ex, f).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("execute must never fail", e);
        }
        return ex;
    }

    public static String body(PolicyContext ctx) {
        MessageBody b = ctx.response().body();
        return b == null ? null : new String(b.bytes(), StandardCharsets.UTF_8);
    }

    /** A JDK PKIX chain check with one trust anchor and optional CRL, standing in for the gateway's CA store. */
    public static ChainCheck pkix(X509Certificate root, X509CRL crl) {
        return (chain, revocation, at) -> {
            try {
                List<X509Certificate> path = new ArrayList<>();
                for (X509Certificate c : chain) {
                    if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                        path.add(c);
                    }
                }
                PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
                p.setDate(Date.from(at));
                p.setRevocationEnabled(revocation && crl != null);
                if (crl != null) {
                    p.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl))));
                }
                java.security.cert.PKIXCertPathValidatorResult r = (java.security.cert.PKIXCertPathValidatorResult)
                        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), p);
                List<X509Certificate> validated = new ArrayList<>(path);
                validated.add(r.getTrustAnchor().getTrustedCert());
                return ChainCheck.Result.trusted(validated);
            } catch (CertPathValidatorException e) {
                return new ChainCheck.Result(false, e.getReason() == CertPathValidatorException.BasicReason.REVOKED, e.getMessage());
            } catch (Exception e) {
                return new ChainCheck.Result(false, false, e.toString());
            }
        };
    }
}
