package io.gatehouse.cli;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.proxy.Explainer;
import io.gatehouse.tls.CertificateFiles;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse explain -c FILE --cert F [--host H] [--method M] [--path P]}. */
@Command(name = "explain", description = "Which hostname, API and operation would take a request, and what every certificate check on the way says about a certificate, and why. Exit 0 when the request would reach the backend, 1 when it would not.")
final class ExplainCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true)
    Path config;
    @Option(names = "--cert", description = "the client certificate (PEM; a chain file is used as sent)")
    Path cert;
    @Option(names = "--host", description = "the hostname (SNI) the client calls; default: the defaultSslBinding hostname")
    String host;
    @Option(names = "--method", defaultValue = "GET")
    String method;
    @Option(names = "--path", defaultValue = "/")
    String path;

    @Override
    public Integer call() {
        ConfigResult result = ConfigLoader.load(config);
        if (result.config() == null) {
            System.out.print(result.diagnostics().render());
            return 1;
        }
        List<X509Certificate> chain = cert == null ? List.of() : CertificateFiles.readCertificates(cert);
        Explainer.Report report = Explainer.explain(result.config(), chain, host, method.toUpperCase(java.util.Locale.ROOT), path);
        System.out.print(report.text());
        System.out.println("verdict: " + (report.reachesBackend() ? "this request reaches the backend"
                : "this request does not reach the backend (see above why)"));
        return report.reachesBackend() ? 0 : 1;
    }
}
