package io.gatehouse.proxy;

import io.gatehouse.tls.Pki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The PKI every end-to-end test uses, made in code in a temporary folder (nothing binary is
 * committed): CAs for clients, the gateway, backends and the gateway's own client certificate,
 * plus the bad certificates the tests need.
 */
public final class TestWorld {
    public static final String API_HOST = "api.gatehouse.test";
    public static final String STRICT_HOST = "strict.gatehouse.test";
    public static final String OPEN_HOST = "open.gatehouse.test";
    public static final String REQUIRE_HOST = "require.gatehouse.test";
    public static final String VERIFY_HOST = "verify.gatehouse.test";
    public static final String BACKEND_HOST = "backend.gatehouse.test";

    public final Path dir;
    public final Pki.Issued clientCa;
    public final Pki.Issued clientIntermediate;
    public final Pki.Issued client;
    public final Pki.Issued clientViaIntermediate;
    public final Pki.Issued expiredClient;
    public final Pki.Issued rogueCa;
    public final Pki.Issued rogueClient;
    public final Pki.Issued gatewayCa;
    public final Pki.Issued gatewayServer;
    public final Pki.Issued backendCa;
    public final Pki.Issued backendServer;
    public final Pki.Issued gatewayClientCa;
    public final Pki.Issued gatewayClient;
    public final Pki.Issued untrustedGatewayClient;
    public final Pki.Issued altGatewayClient;
    public final Pki.Issued otherClient;

    public TestWorld(Path dir) {
        this.dir = dir;
        Duration day = Duration.ofDays(1);
        Duration year = Duration.ofDays(365);
        clientCa = Pki.ca("CN=Contoso Clinic Root CA,O=Contoso,C=US", year);
        clientIntermediate = Pki.intermediate(clientCa, "CN=Contoso Clinic Issuing CA,O=Contoso,C=US", year);
        client = Pki.issue(clientCa, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US").withValidity(year));
        clientViaIntermediate = Pki.issue(clientIntermediate, Pki.IssueRequest.client("CN=lab-app,O=Contoso,C=US").withValidity(year));
        Instant now = Instant.now();
        expiredClient = Pki.issue(clientCa, Pki.IssueRequest.client("CN=expired-app,O=Contoso,C=US")
                .withValidity(now.minus(Duration.ofDays(30)), now.minus(day)));
        rogueCa = Pki.ca("CN=Contoso Clinic Root CA,O=Contoso,C=US", year); // an impostor with the same name
        rogueClient = Pki.issue(rogueCa, Pki.IssueRequest.client("CN=clinic-app,O=Contoso,C=US").withValidity(year));
        gatewayCa = Pki.ca("CN=Gatehouse Test Server CA", year);
        gatewayServer = Pki.issue(gatewayCa, Pki.IssueRequest.server(API_HOST, API_HOST, STRICT_HOST, OPEN_HOST,
                REQUIRE_HOST, VERIFY_HOST, "localhost", "127.0.0.1").withValidity(year));
        backendCa = Pki.ca("CN=Contoso Backend CA,O=Contoso,C=US", year);
        backendServer = Pki.issue(backendCa, Pki.IssueRequest.server(BACKEND_HOST, BACKEND_HOST, "localhost", "127.0.0.1")
                .withValidity(year));
        gatewayClientCa = Pki.ca("CN=Gateway Client CA,O=Contoso,C=US", year);
        gatewayClient = Pki.issue(gatewayClientCa, Pki.IssueRequest.client("CN=gatehouse-gw,O=Contoso,C=US").withValidity(year));
        altGatewayClient = Pki.issue(gatewayClientCa, Pki.IssueRequest.client("CN=alt-gw,O=Contoso,C=US").withValidity(year));
        otherClient = Pki.issue(clientCa, Pki.IssueRequest.client("CN=other-app,O=Contoso,C=US").withValidity(year));
        Pki.Issued otherCa = Pki.ca("CN=Somebody Else CA", year);
        untrustedGatewayClient = Pki.issue(otherCa, Pki.IssueRequest.client("CN=stranger-gw").withValidity(year));
        try {
            Files.createDirectories(dir);
            pem("client-ca.pem", clientCa);
            pem("client-int.pem", clientIntermediate);
            pair("client", client);
            pair("lab", clientViaIntermediate);
            write("lab-chain.pem", Pki.pem(clientViaIntermediate.certificate(), clientIntermediate.certificate()));
            pair("expired", expiredClient);
            pair("rogue", rogueClient);
            pem("gateway-ca.pem", gatewayCa);
            write("gateway.pem", Pki.pem(gatewayServer.certificate(), gatewayCa.certificate()));
            write("gateway.key", Pki.pem(gatewayServer.keyPair().getPrivate()));
            pem("backend-ca.pem", backendCa);
            pair("backend", backendServer);
            pem("gw-client-ca.pem", gatewayClientCa);
            pair("gw-client", gatewayClient);
            pair("untrusted-gw-client", untrustedGatewayClient);
            pair("alt-gw-client", altGatewayClient);
            pair("other", otherClient);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void pem(String name, Pki.Issued i) throws IOException {
        write(name, Pki.pem(i.certificate()));
    }

    private void pair(String base, Pki.Issued i) throws IOException {
        write(base + ".pem", Pki.pem(i.certificate()));
        write(base + ".key", Pki.pem(i.keyPair().getPrivate()));
    }

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    public String path(String name) {
        return dir.resolve(name).toString();
    }
}
