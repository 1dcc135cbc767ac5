package io.gatehouse.cli;

import io.gatehouse.common.x509.DotNetNames;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.CertificateFiles;
import io.gatehouse.tls.ChainVerifier;
import io.gatehouse.tls.HostnameMatcher;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import io.gatehouse.tls.TlsFailures;
import io.gatehouse.tls.VerificationResult;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse probe URL}: one TLS handshake, reported in the spirit of {@code openssl
 * s_client} — the chain the server sent, the protocol and cipher, whether it asked for a client
 * certificate and from which CAs — then a verdict in plain words with the likely fix. The probe
 * accepts any server chain so that it can report on it, and judges it afterwards.
 */
@Command(name = "probe", description = "Handshake with a TLS server and explain what it did and why it would fail.")
final class ProbeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "https://host[:port][/path]")
    URI url;
    @Option(names = "--cert", description = "client certificate (PEM) to present")
    Path cert;
    @Option(names = "--key", description = "its private key (PEM)")
    Path key;
    @Option(names = "--ca", description = "CA certificate(s) (PEM) to judge the server chain by; default: the JDK's trust store")
    Path ca;
    @Option(names = "--servername", description = "SNI and the name to check; default: the URL's host")
    String serverName;
    @Option(names = "--timeout", defaultValue = "10", description = "seconds (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    /** What the server asked of us during the handshake. */
    private static final class Recorder {
        volatile boolean certificateRequested;
        volatile List<String> acceptableIssuers = List.of();
        volatile List<X509Certificate> serverChain = List.of();
    }

    @Override
    public Integer call() throws Exception {
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : 443;
        String name = serverName != null ? serverName : host;
        KeyMaterial ours = cert != null && key != null ? CertificateFiles.readKeyPair(cert, key, null) : null;
        Recorder rec = new Recorder();
        List<String> problems = new ArrayList<>();
        List<String> fixes = new ArrayList<>();
        System.out.println("probe " + url + " (SNI " + name + ")");

        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {new RecordingKeyManager(rec, ours)},
                new javax.net.ssl.TrustManager[] {new RecordingTrustManager(rec)}, null);
        HttpAnswer answer = null;
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(host, port), timeoutSeconds * 1000);
            System.out.println("  connected to " + raw.getInetAddress().getHostAddress() + ":" + port);
            raw.setSoTimeout(timeoutSeconds * 1000);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, true);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(name)));
            p.setApplicationProtocols(new String[] {"http/1.1"});
            s.setSSLParameters(p);
            try {
                s.startHandshake();
                System.out.println("  TLS: " + s.getSession().getProtocol() + ", " + s.getSession().getCipherSuite());
                answer = httpAnswer(s, name, url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()));
            } catch (javax.net.ssl.SSLException e) {
                X509Certificate leaf = ours == null ? null : ours.leaf();
                problems.add("TLS handshake failed: " + TlsFailures.explain(e, TlsFailures.Side.UPSTREAM, name, leaf));
            } catch (java.io.IOException e) {
                problems.add("the connection failed after the handshake: " + e.getMessage());
            }
        } catch (java.io.IOException e) {
            System.out.println("verdict: cannot connect to " + host + ":" + port + " (" + e.getMessage()
                    + "); check the host, the port and that the server is running");
            return 1;
        }

        List<X509Certificate> chain = rec.serverChain;
        System.out.println("  server chain:");
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            System.out.println("    [" + i + "] " + DotNetNames.format(c.getSubjectX500Principal()) + "; issuer "
                    + DotNetNames.format(c.getIssuerX500Principal()) + "; valid until " + c.getNotAfter().toInstant()
                    + "; thumbprint " + DotNetNames.thumbprint(c));
        }
        if (!chain.isEmpty()) {
            judgeChain(chain, name, problems, fixes);
        }
        System.out.println("  client certificate: " + (rec.certificateRequested
                ? "requested" + (rec.acceptableIssuers.isEmpty() ? " (no CA names sent)" : " (acceptable CAs: "
                + String.join("; ", rec.acceptableIssuers) + ")")
                : "not requested") + "; sent: " + (ours == null ? "none"
                : DotNetNames.format(ours.leaf().getSubjectX500Principal())));
        if (rec.certificateRequested && ours == null) {
            fixes.add("the server asks for a client certificate: pass --cert and --key");
        }
        if (!rec.certificateRequested && ours != null) {
            problems.add("a client certificate was given, but the server did not ask for one, so it was not sent"
                    + " and the server checked nobody's identity");
            fixes.add("turn on client certificate verification on the server (nginx: ssl_verify_client on; Gatehouse:"
                    + " clientCertificateMode require-and-verify), or probe the name or port that has it");
        }
        if (answer != null) {
            System.out.println("  HTTP: " + (answer.text().isEmpty() ? "(no answer)" : answer.statusLine()));
            judgeAnswer(answer, ours != null, problems, fixes);
        }
        if (problems.isEmpty()) {
            System.out.println("verdict: OK" + (fixes.isEmpty() ? "" : " (note: " + String.join("; ", fixes) + ")"));
            return 0;
        }
        System.out.println("verdict: " + String.join("; ", problems));
        if (!fixes.isEmpty()) {
            System.out.println("likely fix: " + String.join("; ", fixes));
        }
        return 1;
    }

    private void judgeChain(List<X509Certificate> chain, String name, List<String> problems, List<String> fixes)
            throws Exception {
        X509Certificate leaf = chain.get(0);
        if (!HostnameMatcher.matches(leaf, name)) {
            problems.add("the server certificate does not match the name " + name + " (it is for: "
                    + String.join(", ", HostnameMatcher.names(leaf)) + ")");
            fixes.add("call the server by one of those names, or set the backend's tls.serverName");
        }
        if (ca != null) {
            CaStore store = CaStore.of(CertificateFiles.readCertificates(ca), List.of(), List.of());
            VerificationResult r = new ChainVerifier(store, RevocationMode.OFF).verify(chain, ChainVerifier.Purpose.SERVER_AUTH);
            System.out.println("  trust (--ca " + ca + "): " + (r.valid() ? "trusted" : "NOT trusted: " + r.reason()));
            if (!r.valid()) {
                problems.add("the server chain is not trusted by " + ca + ": " + r.reason());
                fixes.add("add the server's issuing CA to caCertificates and to the backend's trustedCaCertificateIds");
            }
        } else {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            X509TrustManager jdk = (X509TrustManager) tmf.getTrustManagers()[0];
            try {
                jdk.checkServerTrusted(chain.toArray(X509Certificate[]::new), "UNKNOWN");
                System.out.println("  trust (JDK trust store): trusted");
            } catch (java.security.cert.CertificateException e) {
                System.out.println("  trust (JDK trust store): NOT trusted");
                problems.add("the server chain is not trusted by the JDK trust store (issuer '"
                        + DotNetNames.format(chain.get(chain.size() - 1).getIssuerX500Principal()) + "')");
                fixes.add("pass the issuing CA with --ca, and configure it in the backend's trustedCaCertificateIds");
            }
        }
    }

    /** The first line of the server's answer, its status code (0 when unreadable) and the start of the rest. */
    record HttpAnswer(String statusLine, int status, String text) {
    }

    /** Most of the answer read: enough for a status line, headers and an error page. */
    private static final int ANSWER_BYTES = 8192;

    private static HttpAnswer httpAnswer(SSLSocket s, String host, String path) throws java.io.IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + (path == null || path.isEmpty() ? "/" : path) + " HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        byte[] chunk = new byte[2048];
        try {
            for (int n; buf.size() < ANSWER_BYTES && (n = in.read(chunk)) != -1; ) {
                buf.write(chunk, 0, Math.min(n, ANSWER_BYTES - buf.size()));
            }
        } catch (java.net.SocketTimeoutException | javax.net.ssl.SSLException e) {
            if (buf.size() == 0) {
                throw e; // in TLS 1.3 a refused client certificate arrives as an alert here: a handshake failure
            }
            // else what arrived is judged; a server that cuts the connection after its answer is normal
        }
        String text = buf.toString(StandardCharsets.ISO_8859_1);
        int eol = text.indexOf('\n');
        String line = (eol < 0 ? text : text.substring(0, eol)).strip();
        int status = 0;
        String[] parts = line.split(" ", 3);
        if (parts.length >= 2 && parts[0].startsWith("HTTP/")) {
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException ignored) {
                // not HTTP: reported as it came
            }
        }
        return new HttpAnswer(line.length() > 200 ? line.substring(0, 200) : line, status, text);
    }

    /**
     * What the answer after the handshake says: nginx refuses a client certificate it cannot
     * verify (or a missing one) with its own 400 pages after a handshake that succeeded, and any
     * 4xx or 5xx means the request would not be served.
     */
    static void judgeAnswer(HttpAnswer a, boolean sentCertificate, List<String> problems, List<String> fixes) {
        if (a.text().contains("The SSL certificate error")) {
            problems.add("the server refused our client certificate after the handshake (nginx's \"400 The SSL"
                    + " certificate error\": its error log says which check failed)");
            fixes.add("make sure the server trusts the CA that issued the certificate passed with --cert (nginx:"
                    + " ssl_client_certificate, with ssl_verify_depth deep enough for the chain), and that it is"
                    + " within its validity dates");
        } else if (a.text().contains("No required SSL certificate was sent")) {
            problems.add("the server requires a client certificate and " + (sentCertificate
                    ? "did not get ours (it was not among the CAs it names, or it was refused)"
                    : "none was sent") + " (nginx's \"400 No required SSL certificate was sent\")");
            fixes.add(sentCertificate ? "use a client certificate issued by one of the CAs the server names"
                    : "pass --cert and --key");
        } else if (a.status() >= 400) {
            problems.add("the server answered " + a.statusLine() + " after the handshake");
        } else if (a.text().isEmpty()) {
            problems.add("the server closed the connection after the handshake without answering the request");
        } else if (a.status() == 0) {
            problems.add("the server's answer after the handshake is not HTTP: '" + a.statusLine() + "'");
        }
    }

    /** Accepts any server chain, records it: the probe judges it afterwards, in words. */
    private static final class RecordingTrustManager extends X509ExtendedTrustManager {
        private final Recorder rec;

        RecordingTrustManager(Recorder rec) {
            this.rec = rec;
        }

        private void record(X509Certificate[] chain) {
            rec.serverChain = List.copyOf(Arrays.asList(chain));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            record(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            record(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            record(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the probe is a client: it judges no client certificates");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the probe is a client: it judges no client certificates");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("the probe is a client: it judges no client certificates");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    /** Presents our certificate, if any, and records that the server asked for one. */
    private static final class RecordingKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "probe";
        private final Recorder rec;
        private final KeyMaterial ours;

        RecordingKeyManager(Recorder rec, KeyMaterial ours) {
            this.rec = rec;
            this.ours = ours;
        }

        private String choose(Principal[] issuers) {
            rec.certificateRequested = true;
            List<String> names = new ArrayList<>();
            if (issuers != null) {
                for (Principal p : issuers) {
                    names.add(p instanceof javax.security.auth.x500.X500Principal x ? DotNetNames.format(x) : p.getName());
                }
            }
            rec.acceptableIssuers = List.copyOf(names);
            return ours == null ? null : ALIAS;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return choose(issuers);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return choose(issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ours == null ? null : ours.chain().toArray(X509Certificate[]::new);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ours == null ? null : ours.key();
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return ours == null ? new String[0] : new String[] {ALIAS};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[0];
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
