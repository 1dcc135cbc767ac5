package io.gatehouse.policy.elements;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.Harness;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.tls.Pki;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;

import static io.gatehouse.policy.elements.Policies.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * send-request with authentication-certificate against an in-process HTTPS server that requires
 * a client certificate, signed by a private CA that send-request trusts only when the config lists
 * it among its Root CA certificates.
 */
class SendRequestMutualTlsTest {
    @Test
    void presentsTheConfiguredClientCertificateToAServerSignedByAConfiguredRootCa() throws Exception {
        Pki.Issued ca = Pki.ca("CN=Lab Test CA", Duration.ofDays(1));
        Pki.Issued serverCert = Pki.issue(ca, Pki.IssueRequest.server("localhost"));
        Pki.Issued clientCert = Pki.issue(ca, Pki.IssueRequest.client("CN=gatehouse-sender"));

        KeyStore serverKeys = KeyStore.getInstance("PKCS12");
        serverKeys.load(null, null);
        serverKeys.setKeyEntry("s", serverCert.keyPair().getPrivate(), new char[0], serverCert.chain().toArray(new X509Certificate[0]));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.certificate());
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(serverKeys, new char[0]);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext serverSsl = SSLContext.getInstance("TLS");
        serverSsl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(serverSsl) {
            @Override
            public void configure(HttpsParameters params) {
                var p = serverSsl.getDefaultSSLParameters();
                p.setNeedClientAuth(true);
                params.setSSLParameters(p);
            }
        });
        server.createContext("/who", x -> {
            X509Certificate peer = (X509Certificate) ((HttpsExchange) x).getSSLSession().getPeerCertificates()[0];
            byte[] b = peer.getSubjectX500Principal().getName().getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        });
        server.start();

        String xml = """
                <policies><inbound>
                  <send-request mode="new" response-variable-name="who" timeout="10">
                    <set-url>https://localhost:%d/who</set-url>
                    <authentication-certificate certificate-id="lab-client" />
                  </send-request>
                </inbound><backend><forward-request/></backend></policies>""".formatted(server.getAddress().getPort());
        try {
            // the lab's CA is one of the config's Root CA certificates: send-request trusts it
            PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder().keyPair("lab-client", clientCert.keyMaterial())
                    .outgoingTrustAnchors(List.of(ca.certificate())).build());
            PolicyContext c = request("GET", "https://api.local/x");
            Harness.run(Harness.compile(engine, xml), c, new Harness.RecordingForwarder());
            assertThat(c.lastError()).isNull();
            Response r = (Response) c.variables().get("who");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body().readString(true)).isEqualTo("CN=gatehouse-sender");

            // without it, only the JDK's CAs are trusted and the call fails
            PolicyEngine untrusting = new PolicyEngine(PolicyEnvironment.builder().keyPair("lab-client", clientCert.keyMaterial()).build());
            PolicyContext refused = request("GET", "https://api.local/x");
            Harness.run(Harness.compile(untrusting, xml), refused, new Harness.RecordingForwarder());
            assertThat(refused.lastError()).isNotNull();
            assertThat(refused.variables().get("who")).isNull();
        } finally {
            server.stop(0);
        }
    }
}
