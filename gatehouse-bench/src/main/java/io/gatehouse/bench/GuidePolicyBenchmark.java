package io.gatehouse.bench;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Forwarder;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.Pki;
import io.gatehouse.tls.RevocationMode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The guide's inbound policy (thumbprint, issuer, NotAfter, then Verify()) per request: a new
 * context and exchange, the composed policy executed, a forwarder that answers at once. What is
 * measured is the policy engine's per-request cost, with {@code Verify()} on (chain building
 * against the CA store) or off (the first condition only).
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GuidePolicyBenchmark {
    @Param({"thumbprint-issuer-notafter", "with-verify"})
    public String variant;

    private EffectivePolicy policy;
    private X509Certificate2 certificate;
    private final Forwarder forwarder = (x, s) -> {
        x.context().response().statusCode(200);
        return CompletableFuture.completedFuture(null);
    };

    @Setup
    public void setUp() {
        Pki.Issued ca = Pki.ca("CN=Contoso Clinic Root CA,O=Contoso,C=US", Duration.ofDays(365));
        Pki.Issued client = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US").withValidity(Duration.ofDays(30)));
        CaStore store = CaStore.of(List.of(ca.certificate()), List.of(), List.of());
        // as the gateway does: chain results are reused for 30 s (ChainCheck.cached)
        io.gatehouse.policy.ChainCheck check = io.gatehouse.policy.ChainCheck.of(store, RevocationMode.OFF)
                .cached(Duration.ofSeconds(30), 10_000);
        certificate = new X509Certificate2(client.certificate(), List.of(client.certificate()),
                (c, rev) -> check.check(c.chain(), rev, java.time.Instant.now()).trusted());
        String xml = guidePolicy().replace("YOUR_CERT_THUMBPRINT_HERE", DotNetNames.thumbprint(client.certificate()))
                .replace("CN=YourCA, O=YourOrg, C=US", "CN=Contoso Clinic Root CA, O=Contoso, C=US");
        if (!variant.equals("with-verify")) {
            // the first condition only: the document without its second <choose> (the Verify() check)
            int second = xml.indexOf("<choose>", xml.indexOf("</choose>"));
            xml = xml.substring(0, second) + xml.substring(xml.indexOf("</choose>", second) + "</choose>".length());
        }
        PolicyEngine engine = new PolicyEngine(PolicyEnvironment.empty());
        Diagnostics d = new Diagnostics();
        var doc = engine.parse(new SourceText("guide.xml", xml), io.gatehouse.policy.Scope.API, d);
        if (d.hasErrors()) {
            throw new IllegalStateException(d.render());
        }
        policy = engine.compose(null, doc, null, d);
    }

    /** {@code examples/guide-inbound-policy.xml}, found upwards from the working directory. */
    static String guidePolicy() {
        for (java.nio.file.Path d = java.nio.file.Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            java.nio.file.Path f = d.resolve("examples/guide-inbound-policy.xml");
            if (java.nio.file.Files.isRegularFile(f)) {
                try {
                    return java.nio.file.Files.readString(f);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("run from the repository: examples/guide-inbound-policy.xml not found above "
                + java.nio.file.Path.of("").toAbsolutePath());
    }

    @Benchmark
    public int guidePolicyPerRequest() {
        PolicyContext ctx = new PolicyContext();
        ctx.request().method("GET");
        ctx.request().certificate(certificate);
        Exchange x = new Exchange(ctx);
        policy.execute(x, forwarder);
        int status = ctx.response().statusCode();
        if (status != 200) {
            throw new IllegalStateException("the policy refused the right certificate: " + status);
        }
        return status;
    }
}
