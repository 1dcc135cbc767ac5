package io.gatehouse.bench;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.expr.CompiledExpression;
import io.gatehouse.expr.ExpressionCompiler;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.tls.Pki;

import java.time.Duration;
import java.util.List;

/**
 * Per-evaluation cost of a few representative policy expressions, apart from the policy engine:
 * each is compiled once, warmed up, then evaluated N times against one context, best of five
 * rounds reported in nanoseconds per evaluation. A plain main(), not JMH, so it runs in seconds.
 * It needs only gatehouse-expr, gatehouse-common and gatehouse-tls (for the certificate):
 * <pre>
 * ./mvnw -B -o -q compile -pl gatehouse-bench -am
 * java -cp gatehouse-bench/target/classes:gatehouse-expr/target/classes:gatehouse-common/target/classes:\
 *   gatehouse-tls/target/classes:&lt;bcprov, bcutil and bcpkix jdk18on, slf4j-api jars&gt; \
 *   io.gatehouse.bench.ExpressionEvalBench [evaluations per round, default 1000000]
 * </pre>
 * The machine's load moves the numbers by tens of percent: compare builds by alternating runs.
 */
public final class ExpressionEvalBench {
    private ExpressionEvalBench() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Pki.Issued ca = Pki.ca("CN=Contoso Clinic Root CA,O=Contoso,C=US", Duration.ofDays(365));
        Pki.Issued client = Pki.issue(ca, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US").withValidity(Duration.ofDays(30)));
        X509Certificate2 certificate = new X509Certificate2(client.certificate(), List.of(client.certificate()), (c, rev) -> true);
        String thumbprint = DotNetNames.thumbprint(client.certificate());
        PolicyContext ctx = new PolicyContext();
        ctx.request().method("GET").certificate(certificate);
        ctx.request().headers().set("X-Tenant", "clinic-7").set("Accept", "application/json");
        ctx.variables().set("count", 5).set("price", 12.5);

        String[][] cases = {
            {"string ops", "@(context.Request.Headers.GetValueOrDefault(\"X-Tenant\", \"\").ToUpperInvariant().Replace(\"-\", \"_\")"
                    + " + \"/\" + context.Request.Method.ToLower() + \"/\" + \"abc\".Length)"},
            {"thumbprint compare", "@(context.Request.Certificate != null && context.Request.Certificate.Thumbprint == \""
                    + thumbprint + "\" && context.Request.Certificate.NotAfter > DateTime.UtcNow)"},
            {"arithmetic", "@{ int s = 0; long l = 1L; double d = 0.5; for (int i = 0; i < 20; i++) { s += i * 3 % 7;"
                    + " l = l * 3 - i; d = d / 2 + i; } return s + l + (long)d; }"},
            {"linq", "@(new[] { \"a\", \"bb\", \"ccc\", \"dddd\", \"eeeee\" }.Where(x => x.Length > 1)"
                    + ".Select(x => x.ToUpper()).Count(x => x.StartsWith(\"C\") || x.Length > 3))"},
        };
        ExpressionCompiler compiler = new ExpressionCompiler();
        System.out.printf("%-20s %12s  %s%n", "expression", "ns/eval", "result");
        for (String[] c : cases) {
            Diagnostics d = new Diagnostics();
            CompiledExpression e = compiler.compile(c[1], new Position("bench", 1, 1), Object.class, d);
            if (e == null) {
                throw new IllegalStateException(d.render());
            }
            Object result = null;
            for (int k = 0; k < n; k++) { // warm-up
                result = e.evaluate(ctx);
            }
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                for (int k = 0; k < n; k++) {
                    result = e.evaluate(ctx);
                }
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("%-20s %12.1f  %s%n", c[0], (double) best / n, result);
        }
    }
}
