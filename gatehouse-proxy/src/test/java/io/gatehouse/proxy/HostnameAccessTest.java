package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.StandardConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What protects an API, end to end with real clients: {@code apis[].hostnames} (an API bound to
 * the strict hostname is not found through the lax one, through no SNI or over plain HTTP with
 * another Host), {@code clientCertificate: required} (403 without a certificate that verifies
 * against the hostname's CAs), SNI/Host agreement after normalisation (421), HTTP/2's
 * {@code :authority}, and {@code trustedCaCertificateIds} (a backend's CA verifies no client on a
 * hostname that names its own CAs: not in the handshake, not in {@code Verify()}, not in
 * {@code validate-client-certificate}).
 */
class HostnameAccessTest {
    static final String LAX = TestWorld.API_HOST;        // request, the default binding, trusts client-ca only
    static final String STRICT = TestWorld.STRICT_HOST;  // require-and-verify, trusts client-ca only
    static final String UNSCOPED = TestWorld.REQUIRE_HOST; // request, no trustedCaCertificateIds: every Root

    @TempDir
    static Path tmp;
    static TestWorld world;
    static TestBackend backend;
    static GatewayHarness gw;
    static int port;
    static int plainPort;
    /** A client certificate issued by the backends' CA, which is a Root CA certificate too. */
    static Pki.Issued backendCaClient;

    @BeforeAll
    static void start() throws IOException {
        world = new TestWorld(tmp.resolve("pki"));
        backendCaClient = Pki.issue(world.backendCa, Pki.IssueRequest.client("CN=records-client,O=Contoso,C=US")
                .withValidity(Duration.ofDays(30)));
        Files.writeString(world.file("records-client.pem"), Pki.pem(backendCaClient.certificate()));
        Files.writeString(world.file("records-client.key"), Pki.pem(backendCaClient.keyPair().getPrivate()));
        // the wildcard hostnames' certificate, as an operator would have it (curl checks the name)
        Pki.Issued wild = Pki.issue(world.gatewayCa, Pki.IssueRequest.server("*.wild.gatehouse.test", "*.wild.gatehouse.test")
                .withValidity(Duration.ofDays(30)));
        Files.writeString(world.file("wild.pem"), Pki.pem(wild.certificate(), world.gatewayCa.certificate()));
        Files.writeString(world.file("wild.key"), Pki.pem(wild.keyPair().getPrivate()));
        backend = new TestBackend(null);
        port = Ports.free();
        plainPort = Ports.free();
        gw = GatewayHarness.start(tmp, """
                gateway:
                  listeners:
                    - port: %d
                      bind: 127.0.0.1
                    - port: %d
                      bind: 127.0.0.1
                      tls: false
                hostnames:
                  - hostName: %s
                    certificateId: gateway-tls
                    clientCertificateMode: request
                    defaultSslBinding: true
                    trustedCaCertificateIds: [client-ca]
                  - hostName: %s
                    certificateId: gateway-tls
                    clientCertificateMode: require-and-verify
                    trustedCaCertificateIds: [client-ca]
                  - hostName: %s
                    certificateId: gateway-tls
                    clientCertificateMode: request
                  - hostName: "*.wild.gatehouse.test"
                    certificateId: wild-tls
                    clientCertificateMode: require-and-verify
                    trustedCaCertificateIds: [client-ca]
                  - hostName: open.wild.gatehouse.test
                    certificateId: wild-tls
                    clientCertificateMode: request
                caCertificates:
                  - id: client-ca
                    file: %s
                    storeName: Root
                  - id: backend-ca
                    file: %s
                    storeName: Root
                %s
                  - id: wild-tls
                    certificateFile: %s
                    keyFile: %s
                backends:
                  - id: echo
                    url: http://127.0.0.1:%d
                  - id: records
                    url: https://127.0.0.1:1
                    tls:
                      trustedCaCertificateIds: [backend-ca]
                apis:
                  - id: secure
                    path: secure
                    backendId: echo
                    hostnames: [%s]
                  - id: partner
                    path: partner
                    backendId: echo
                    clientCertificate: required
                  - id: open
                    path: open
                    backendId: echo
                  - id: wild
                    path: wild
                    backendId: echo
                    hostnames: ["*.wild.gatehouse.test"]
                  - id: verify
                    path: verify
                    backendId: echo
                    policyXml: |
                      <policies>
                        <inbound>
                          <base />
                          <choose>
                            <when condition="@(context.Request.Certificate == null || !context.Request.Certificate.Verify())">
                              <return-response><set-status code="401" reason="Unauthorized" /></return-response>
                            </when>
                          </choose>
                        </inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                  - id: vcc
                    path: vcc
                    backendId: echo
                    policyXml: |
                      <policies>
                        <inbound>
                          <base />
                          <validate-client-certificate validate-revocation="false" validate-trust="true"
                              validate-not-before="true" validate-not-after="true" ignore-error="false" />
                        </inbound>
                        <backend><base /></backend>
                        <outbound><base /></outbound>
                      </policies>
                """.formatted(port, plainPort, LAX, STRICT, UNSCOPED, world.path("client-ca.pem"),
                world.path("backend-ca.pem"), E2e.gatewayCertificate(world), world.path("wild.pem"), world.path("wild.key"),
                backend.port(), STRICT));
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    // ------------------------------------------------------------ HTTP/1.1 over JDK SSLSocket

    @ParameterizedTest(name = "SNI {0}, certificate {1}, Host {2}, {3}: {4}")
    @CsvSource({
            // sni (none: no SNI), cert,  host,                     path,            expected
            // an API bound to the strict hostname is not found elsewhere, certificate or not
            "api.gatehouse.test,    none,    api.gatehouse.test,         /secure/x,   404",
            "api.gatehouse.test,    rogue,   api.gatehouse.test,         /secure/x,   404",
            "api.gatehouse.test,    client,  api.gatehouse.test,         /secure/x,   404",
            "none,                  none,    127.0.0.1,                  /secure/x,   404",
            "none,                  rogue,   127.0.0.1,                  /secure/x,   404",
            "strict.gatehouse.test, client,  strict.gatehouse.test,      /secure/x,   200",
            "strict.gatehouse.test, none,    strict.gatehouse.test,      /secure/x,   refused",
            "strict.gatehouse.test, rogue,   strict.gatehouse.test,      /secure/x,   refused",
            // an API served everywhere that requires a verified certificate
            "api.gatehouse.test,    none,    api.gatehouse.test,         /partner/x,  403",
            "api.gatehouse.test,    rogue,   api.gatehouse.test,         /partner/x,  403",
            "api.gatehouse.test,    expired, api.gatehouse.test,         /partner/x,  403",
            "api.gatehouse.test,    client,  api.gatehouse.test,         /partner/x,  200",
            "none,                  none,    127.0.0.1,                  /partner/x,  403",
            "none,                  client,  127.0.0.1,                  /partner/x,  200",
            "strict.gatehouse.test, client,  strict.gatehouse.test,      /partner/x,  200",
            // the default binding's rules without SNI: no certificate asked for is required
            "none,                  none,    127.0.0.1,                  /open/x,     200",
            // SNI and Host must agree, compared normalised
            "api.gatehouse.test,    client,  strict.gatehouse.test,      /secure/x,   421",
            "api.gatehouse.test,    none,    STRICT.gatehouse.test.:443, /open/x,     421",
            "none,                  none,    strict.gatehouse.test,      /open/x,     421",
            "strict.gatehouse.test, client,  STRICT.GATEHOUSE.TEST.:443, /secure/x,   200",
            "strict.gatehouse.test, client,  api.gatehouse.test,         /secure/x,   421",
            // a Host naming no configured hostname stays on the connection's hostname
            "api.gatehouse.test,    none,    elsewhere.test,             /secure/x,   404",
            "strict.gatehouse.test, client,  elsewhere.test,             /secure/x,   200",
            // a wildcard hostname is the hostname of every name one label under it, for SNI and Host alike
            "a.wild.gatehouse.test,   none,   a.wild.gatehouse.test,     /wild/x,     refused",
            "a.wild.gatehouse.test,   rogue,  a.wild.gatehouse.test,     /wild/x,     refused",
            "A.Wild.gatehouse.test.,  client, a.wild.gatehouse.test,     /wild/x,     200",
            "a.wild.gatehouse.test,   client, b.wild.gatehouse.test:443, /wild/x,     200",
            "a.wild.gatehouse.test,   client, api.gatehouse.test,        /open/x,     421",
            "api.gatehouse.test,      none,   a.wild.gatehouse.test,     /open/x,     421",
            "api.gatehouse.test,      client, a.wild.gatehouse.test,     /wild/x,     421",
            "none,                    none,   a.wild.gatehouse.test,     /open/x,     421",
            "api.gatehouse.test,      client, api.gatehouse.test,        /wild/x,     404",
            // exactly one label: deeper names and the bare domain are not under it
            "a.b.wild.gatehouse.test, none,   a.b.wild.gatehouse.test,   /open/x,     200",
            "a.b.wild.gatehouse.test, client, a.b.wild.gatehouse.test,   /wild/x,     404",
            "wild.gatehouse.test,     none,   wild.gatehouse.test,       /open/x,     200",
            // a hostname configured by its full name wins over the wildcard that covers it
            "open.wild.gatehouse.test, none,  open.wild.gatehouse.test,  /open/x,     200",
            "open.wild.gatehouse.test, none,  a.wild.gatehouse.test,     /open/x,     421",
            "a.wild.gatehouse.test,   client, open.wild.gatehouse.test,  /open/x,     421",
    })
    void http1(String sni, String cert, String host, String path, String expected) {
        Reply r = request(sni.equals("none") ? null : sni, cert(cert), host, path);
        assertStatus(r, expected);
    }

    @Test
    void sniWithATrailingDotIsTheStrictHostname() {
        assertStatus(request(STRICT + ".", null, STRICT, "/secure/x"), "refused");
        assertStatus(request(STRICT + ".", world.rogueClient, STRICT, "/secure/x"), "refused");
        assertStatus(request(STRICT + ".", world.client, STRICT + ".", "/secure/x"), "200");
        assertStatus(request("STRICT.gatehouse.test.", world.client, STRICT, "/secure/x"), "200");
    }

    @Test
    void refusalBodyDoesNotSayWhyButTheLogAndMetricsNameTheCheck() {
        try (LogCapture logs = new LogCapture()) {
            Reply r = request(LAX, world.rogueClient, LAX, "/partner/x");
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.body()).isEqualTo("{\"statusCode\": 403, \"message\": \"Forbidden\"}");
            String line = logs.await(l -> l.contains("ClientCertificateRequired") && l.contains("partner"),
                    Duration.ofSeconds(5));
            assertThat(line).contains("clinic-app").contains(LAX);
            Reply none = request(LAX, null, LAX, "/partner/x");
            assertThat(none.body()).isEqualTo(r.body());
        }
        String metrics = gw.gateway.metrics().scrape();
        assertThat(metrics).contains("gatehouse_client_certificate_refusals_total{api=\"partner\",check=\"missing\"}");
        assertThat(metrics).containsPattern(
                "gatehouse_client_certificate_refusals_total\\{api=\"partner\",check=\"(?!missing)[a-z_]+\"\\}");
    }

    // ------------------------------------------------------------ plain HTTP: the Host picks the hostname

    @ParameterizedTest(name = "plain HTTP, Host {0}, {1}: {2}")
    @CsvSource({
            "strict.gatehouse.test,      /secure/x,  200",
            "Strict.Gatehouse.Test.:80,  /secure/x,  200",
            "api.gatehouse.test,         /secure/x,  404",
            "127.0.0.1,                  /secure/x,  404",
            "127.0.0.1,                  /open/x,    200",
            "strict.gatehouse.test,      /partner/x, 403",
            "a.wild.gatehouse.test,      /wild/x,    200",
            "a.wild.gatehouse.test,      /partner/x, 403",
            "a.b.wild.gatehouse.test,    /wild/x,    404",
            "open.wild.gatehouse.test,   /wild/x,    404",
    })
    void plainHttp(String host, String path, int expected) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", plainPort)) {
            assertThat(exchange(s, host, path).status()).isEqualTo(expected);
        }
    }

    // ------------------------------------------------------------ HTTP/2

    @ParameterizedTest(name = "HTTP/2 SNI {0}, certificate {1}, :authority {2}, {3}: {4}")
    @CsvSource({
            "api.gatehouse.test,    none,    ,                              /secure/x,  404",
            "api.gatehouse.test,    rogue,   ,                              /partner/x, 403",
            "api.gatehouse.test,    client,  ,                              /partner/x, 200",
            "api.gatehouse.test,    client,  strict.gatehouse.test,         /secure/x,  421",
            "strict.gatehouse.test, client,  ,                              /secure/x,  200",
            "strict.gatehouse.test, client,  STRICT.GATEHOUSE.TEST.,        /secure/x,  200",
            "strict.gatehouse.test, client,  api.gatehouse.test,            /open/x,    421",
            "a.wild.gatehouse.test, client,  ,                              /wild/x,    200",
            "a.wild.gatehouse.test, client,  b.wild.gatehouse.test,         /wild/x,    200",
            "api.gatehouse.test,    client,  a.wild.gatehouse.test,         /open/x,    421",
    })
    void http2WithCurl(String sni, String cert, String authority, String path, int expected) {
        List<String> extra = new java.util.ArrayList<>(List.of("--http2"));
        if (authority != null) {
            extra.addAll(List.of("-H", "Host: " + authority + ":" + port)); // curl sends it as :authority
        }
        E2e.CurlResult r = E2e.curl(world, sni, port, path, cert.equals("none") ? null : cert,
                extra.toArray(String[]::new));
        assertThat(r.status()).as(r.stderr()).isEqualTo(expected);
        assertThat(r.httpVersion()).isEqualTo("2");
    }

    @Test
    void http2WithoutSniGetsTheDefaultBindingsApisOnly() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
                .sslContext(presenting(world.client))
                .connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> secure = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + port + "/secure/x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(secure.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(secure.statusCode()).isEqualTo(404);
        HttpResponse<String> partner = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + port + "/partner/x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(partner.statusCode()).isEqualTo(200);
    }

    // ------------------------------------------------------------ scoped trust

    @Test
    void aBackendsCaDoesNotVerifyClientsOfAHostnameThatNamesItsOwnCas() {
        // the handshake of the verifying hostname refuses it
        assertStatus(request(STRICT, backendCaClient, STRICT, "/secure/x"), "refused");
        // a lax hostname lets it through the handshake, but neither Verify() nor validate-client-certificate accepts it
        assertStatus(request(LAX, backendCaClient, LAX, "/verify/x"), "401");
        assertStatus(request(LAX, backendCaClient, LAX, "/vcc/x"), "401");
        assertStatus(request(LAX, backendCaClient, LAX, "/partner/x"), "403");
        // the same client certificate on a hostname without trustedCaCertificateIds: every Root CA counts, as in APIM
        assertStatus(request(UNSCOPED, backendCaClient, UNSCOPED, "/verify/x"), "200");
        assertStatus(request(UNSCOPED, backendCaClient, UNSCOPED, "/vcc/x"), "200");
        assertStatus(request(UNSCOPED, backendCaClient, UNSCOPED, "/partner/x"), "200");
        // and a client CA certificate passes on both
        assertStatus(request(LAX, world.client, LAX, "/verify/x"), "200");
        assertStatus(request(LAX, world.client, LAX, "/vcc/x"), "200");
    }

    @Test
    void theCertificateRequestNamesOnlyTheHostnamesCas() {
        String openssl = ExternalTools.require("openssl");
        String scoped = sClient(openssl, LAX);
        String unscoped = sClient(openssl, UNSCOPED);
        assertThat(scoped).contains("Acceptable client certificate CA names").contains("Contoso Clinic Root CA")
                .doesNotContain("Contoso Backend CA");
        assertThat(unscoped).contains("Contoso Clinic Root CA").contains("Contoso Backend CA");
    }

    @Test
    void curlWithATrailingDotInTheUrlIsServedAsTheStrictHostname() {
        String curl = ExternalTools.require("curl");
        for (String cert : new String[] {null, "client"}) {
            List<String> cmd = new java.util.ArrayList<>(List.of(curl, "-sS", "--max-time", "20",
                    "--resolve", STRICT + ".:" + port + ":127.0.0.1", "--cacert", world.path("gateway-ca.pem"),
                    "-o", "/dev/null", "-w", "%{http_code}"));
            if (cert != null) {
                cmd.addAll(List.of("--cert", world.path(cert + ".pem"), "--key", world.path(cert + ".key")));
            }
            cmd.add("https://" + STRICT + ".:" + port + "/secure/x");
            Proc p = Proc.run(cmd, null, null, 60);
            if (cert == null) {
                assertThat(p.exitCode()).as("no certificate: the strict handshake refuses; %s", p.stderr()).isNotZero();
            } else {
                assertThat(p.stdout().trim()).as(p.stderr()).isEqualTo("200");
            }
        }
    }

    // ------------------------------------------------------------ helpers

    /**
     * The handshake's verdict on the client's chain, recorded once per connection
     * ({@code HandshakeInfo.clientVerification}, logged at DEBUG by "gatehouse.tls"): verified on a
     * hostname whose mode verifies in the handshake; on a {@code request} hostname, judged by that
     * hostname's chain check (its trustedCaCertificateIds), naming the check that failed.
     */
    @Test
    void theHandshakeRecordsTheRealVerdictOnTheClientChain() {
        ch.qos.logback.classic.Logger tlsLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("gatehouse.tls");
        ch.qos.logback.classic.Level was = tlsLog.getLevel();
        tlsLog.setLevel(ch.qos.logback.classic.Level.DEBUG);
        try (LogCapture logs = new LogCapture()) {
            assertStatus(request(STRICT, world.client, STRICT, "/open/x"), "200");
            assertThat(handshakeLine(logs, STRICT, "clinic-app")).endsWith(" verified");

            assertStatus(request(LAX, world.client, LAX, "/open/x"), "200");
            assertThat(handshakeLine(logs, LAX, "clinic-app")).endsWith(" verified");

            assertStatus(request(LAX, world.expiredClient, LAX, "/open/x"), "200");
            assertThat(handshakeLine(logs, LAX, "expired-app")).contains("not verified, expired: ");

            // issued by a Root CA certificate the strict and lax hostnames do not trust
            assertStatus(request(LAX, backendCaClient, LAX, "/open/x"), "200");
            assertThat(handshakeLine(logs, LAX, "records-client")).contains("not verified, chain: ");

            // the same certificate on a hostname that trusts every Root CA certificate
            assertStatus(request(UNSCOPED, backendCaClient, UNSCOPED, "/open/x"), "200");
            assertThat(handshakeLine(logs, UNSCOPED, "records-client")).endsWith(" verified");

            assertStatus(request(LAX, null, LAX, "/open/x"), "200");
            logs.await(l -> l.startsWith("TLS handshake from ") && l.contains("'" + LAX + "'")
                    && l.endsWith("client certificate none"), Duration.ofSeconds(5));
        } finally {
            tlsLog.setLevel(was);
        }
    }

    private static String handshakeLine(LogCapture logs, String hostname, String subject) {
        return logs.await(l -> l.startsWith("TLS handshake from ") && l.contains("hostname '" + hostname + "':")
                && l.contains("CN=" + subject), Duration.ofSeconds(5));
    }

    record Reply(int status, String body, String error) {
    }

    private static void assertStatus(Reply r, String expected) {
        if (expected.equals("refused")) {
            assertThat(r.status()).as("expected the handshake to fail; got %s %s", r.status(), r.body()).isEqualTo(-1);
        } else {
            assertThat(r.status()).as("%s %s", r.body(), r.error()).isEqualTo(Integer.parseInt(expected));
        }
    }

    private static Pki.Issued cert(String name) {
        return switch (name) {
            case "none" -> null;
            case "client" -> world.client;
            case "rogue" -> world.rogueClient;
            case "expired" -> world.expiredClient;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** A TLS server name sent as given (the JDK's SNIHostName refuses a trailing dot, which clients do send). */
    static final class RawServerName extends SNIServerName {
        RawServerName(String name) {
            super(StandardConstants.SNI_HOST_NAME, name.getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** One HTTP/1.1 request over TLS to 127.0.0.1 with SNI {@code sni} (null: none); status -1 when the handshake fails. */
    static Reply request(String sni, Pki.Issued cert, String host, String path) {
        try (SSLSocket s = (SSLSocket) presenting(cert).getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(sni == null ? List.of() : List.of(new RawServerName(sni)));
            s.setSSLParameters(p);
            s.setSoTimeout(10_000);
            s.startHandshake();
            return exchange(s, host, path);
        } catch (IOException e) {
            return new Reply(-1, "", e.toString());
        }
    }

    /**
     * Trusts the gateway's CA and presents {@code cert} whatever CA names the server's
     * CertificateRequest lists (as curl does): the JDK's key manager would send nothing to a
     * hostname that does not name the certificate's issuer, and the test would then prove nothing.
     */
    static javax.net.ssl.SSLContext presenting(Pki.Issued cert) {
        try {
            javax.net.ssl.SSLContext base = DownstreamMtlsTestSupport.trusting(world);
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", world.gatewayCa.certificate());
            tmf.init(trust);
            javax.net.ssl.KeyManager[] kms = null;
            if (cert != null) {
                kms = new javax.net.ssl.KeyManager[] {new AlwaysPresent(cert)};
            }
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(kms, tmf.getTrustManagers(), null);
            return base == null ? null : ctx;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Presents one certificate to every server, whatever CA names it asks for. */
    static final class AlwaysPresent extends javax.net.ssl.X509ExtendedKeyManager {
        private final Pki.Issued cert;

        AlwaysPresent(Pki.Issued cert) {
            this.cert = cert;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return "client";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers,
                javax.net.ssl.SSLEngine engine) {
            return "client";
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return null;
        }

        @Override
        public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
            return new java.security.cert.X509Certificate[] {cert.certificate()};
        }

        @Override
        public java.security.PrivateKey getPrivateKey(String alias) {
            return cert.keyPair().getPrivate();
        }
    }

    private static Reply exchange(java.net.Socket s, String host, String path) throws IOException {
        s.setSoTimeout(10_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
            all.write(buf, 0, n);
        }
        String text = all.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.1 ")) {
            return new Reply(-1, text, "no HTTP response");
        }
        int status = Integer.parseInt(text.substring(9, 12));
        int head = text.indexOf("\r\n\r\n");
        return new Reply(status, head < 0 ? "" : text.substring(head + 4), null);
    }

    private static String sClient(String openssl, String servername) {
        return Proc.run(List.of(openssl, "s_client", "-connect", "127.0.0.1:" + port, "-servername", servername,
                "-CAfile", world.path("gateway-ca.pem"), "-tls1_2"), null, "Q\n", 30).stdout();
    }
}
