package io.gatehouse.proxy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP proxy for the tests: Debian's {@code tinyproxy}, started in the foreground on a
 * free port from a generated config file (requiring {@code BasicAuth user password} when given),
 * logging every request it handles to a file the tests read.
 */
final class Tinyproxy implements AutoCloseable {
    final int port;
    final Path log;
    private final Process process;

    Tinyproxy(Path dir, String user, String password) {
        String tinyproxy = ExternalTools.require("tinyproxy");
        this.port = Ports.free();
        try {
            Files.createDirectories(dir);
            this.log = dir.resolve("tinyproxy.log");
            Path conf = dir.resolve("tinyproxy.conf");
            Files.writeString(conf, """
                    Port %d
                    Listen 127.0.0.1
                    Timeout 30
                    MaxClients 50
                    LogLevel Info
                    LogFile "%s"
                    PidFile "%s"
                    Allow 127.0.0.1
                    %s
                    """.formatted(port, log, dir.resolve("tinyproxy.pid"),
                    user == null ? "" : "BasicAuth " + user + " " + password));
            process = new ProcessBuilder(tinyproxy, "-d", "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("tinyproxy did not start on port " + port + ": " + output(dir));
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private static String output(Path dir) {
        try {
            return Files.readString(dir.resolve("stdout.log"));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** What tinyproxy logged so far. */
    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
