package io.gatehouse.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian package {@code redis-server}) for tests: on a free loopback
 * port, in its own temporary folder, with a password ({@code --requirepass}) and nothing saved to
 * disk. Missing: the test is skipped with a message, or fails under
 * {@code -Dgatehouse.requireExternalTools=true} ({@link ExternalTools#require}).
 */
public final class RedisServer implements AutoCloseable {
    public final int port;
    public final String password;
    private final Path dir;
    private final String binary;
    private final List<String> tls; // extra options: TLS (with --tls-cert-file: the port is the TLS port), or a cluster node's
    private Process process;

    public RedisServer(Path dir, String password) {
        this(dir, password, Ports.free());
    }

    public RedisServer(Path dir, String password, int port) {
        this(dir, password, port, List.of());
    }

    /**
     * With TLS only: {@code port} is the TLS port ({@code --tls-port}, plain port off), serving
     * {@code certFile}/{@code keyFile}; clients are not asked for certificates.
     */
    public static RedisServer tls(Path dir, String password, Path certFile, Path keyFile, Path caFile) {
        return new RedisServer(dir, password, Ports.free(), List.of("--tls-cert-file", certFile.toString(), "--tls-key-file",
                keyFile.toString(), "--tls-ca-cert-file", caFile.toString(), "--tls-auth-clients", "no"));
    }

    /**
     * A node for a Redis Cluster ({@code --cluster-enabled yes}), not in one yet: on a port whose
     * cluster bus port (port + 10000) is free too.
     */
    public static RedisServer clusterNode(Path dir, String password) {
        int port;
        for (;;) {
            port = Ports.free();
            if (port + 10000 <= 65535) {
                try (java.net.ServerSocket bus = new java.net.ServerSocket(port + 10000, 1, java.net.InetAddress.getLoopbackAddress())) {
                    break;
                } catch (IOException inUse) {
                    // another
                }
            }
        }
        return new RedisServer(dir, password, port, List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--masterauth", password));
    }

    private RedisServer(Path dir, String password, int port, List<String> tls) {
        this.tls = tls;
        this.binary = ExternalTools.require("redis-server");
        this.dir = dir;
        this.password = password;
        this.port = port;
        start();
    }

    /** Starts (again, after {@link #stop}) on the same port. */
    public void start() {
        try {
            Files.createDirectories(dir);
            List<String> cmd = new ArrayList<>(List.of(binary, "--bind", "127.0.0.1",
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no"));
            if (!tls.contains("--tls-cert-file")) {
                cmd.addAll(List.of("--port", Integer.toString(port)));
                cmd.addAll(tls); // other options (a cluster node's)
            } else {
                cmd.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port)));
                cmd.addAll(tls);
            }
            if (password != null) {
                cmd.addAll(List.of("--requirepass", password));
            }
            process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited: " + log());
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
        throw new AssertionError("redis-server did not listen on " + port + ": " + log());
    }

    /** Stops the server (SIGKILL: as a crash, nothing said to the clients). */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A {@code redis-cli}-free command: sends {@code args} as RESP and returns the raw reply. */
    public String command(String... args) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            StringBuilder sb = new StringBuilder();
            if (password != null) {
                resp(sb, "AUTH", password);
            }
            resp(sb, args);
            s.getOutputStream().write(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            Thread.sleep(100);
            byte[] buf = new byte[65536];
            int n = s.getInputStream().read(buf);
            String reply = n <= 0 ? "" : new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8);
            return password != null && reply.startsWith("+OK\r\n") ? reply.substring(5) : reply;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void resp(StringBuilder sb, String... args) {
        sb.append('*').append(args.length).append("\r\n");
        for (String a : args) {
            sb.append('$').append(a.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
        }
    }

    public String log() {
        try {
            Path f = dir.resolve("redis.log");
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
