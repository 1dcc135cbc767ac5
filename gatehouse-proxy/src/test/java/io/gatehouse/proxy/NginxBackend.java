package io.gatehouse.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx (Debian's nginx-light) as the backend, configured with {@code ssl_verify_client
 * on}: it only answers a gateway that presents a certificate from the CA it trusts, and says in
 * its response whose certificate it saw.
 */
public final class NginxBackend implements AutoCloseable {
    private final Process process;
    public final int port;
    private final Path prefix;

    public NginxBackend(Path prefix, Path serverCert, Path serverKey, Path trustedClientCa) {
        String nginx = ExternalTools.require("nginx");
        this.prefix = prefix;
        this.port = Ports.free();
        try {
            Files.createDirectories(prefix.resolve("tmp"));
            Files.createDirectories(prefix.resolve("logs"));
            String conf = """
                    worker_processes 1;
                    pid %1$s/nginx.pid;
                    error_log %1$s/logs/error.log info;
                    events { worker_connections 256; }
                    http {
                      access_log off;
                      client_body_temp_path %1$s/tmp/body;
                      proxy_temp_path %1$s/tmp/proxy;
                      fastcgi_temp_path %1$s/tmp/fastcgi;
                      uwsgi_temp_path %1$s/tmp/uwsgi;
                      scgi_temp_path %1$s/tmp/scgi;
                      server {
                        listen 127.0.0.1:%2$d ssl;
                        server_name backend.gatehouse.test;
                        ssl_certificate %3$s;
                        ssl_certificate_key %4$s;
                        ssl_client_certificate %5$s;
                        ssl_verify_client on;
                        location / {
                          default_type application/json;
                          return 200 '{"nginxSawClient": "$ssl_client_s_dn", "verify": "$ssl_client_verify", "uri": "$request_uri", "host": "$http_host"}';
                        }
                      }
                    }
                    """.formatted(prefix, port, serverCert, serverKey, trustedClientCa);
            Path confFile = prefix.resolve("nginx.conf");
            Files.writeString(confFile, conf);
            process = new ProcessBuilder(nginx, "-p", prefix.toString(), "-c", confFile.toString(), "-g", "daemon off;")
                    .redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("logs/stdout.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitPort();
    }

    private void awaitPort() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("nginx exited: " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        throw new AssertionError("nginx did not listen on " + port + ": " + log());
    }

    public String log() {
        try {
            StringBuilder sb = new StringBuilder();
            for (String f : List.of("logs/stdout.log", "logs/error.log")) {
                Path p = prefix.resolve(f);
                if (Files.exists(p)) {
                    sb.append(Files.readString(p));
                }
            }
            return sb.toString();
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
