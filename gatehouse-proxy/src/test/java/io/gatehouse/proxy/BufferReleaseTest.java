package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.PooledByteBufAllocator;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies the gateway holds while it connects to a backend are released when the client
 * goes away first: read from the pool's own count of the memory in buffers, as the admin port's
 * {@code gatehouse_buffer_pool_direct_in_use_bytes} does.
 */
class BufferReleaseTest {
    @TempDir
    Path tmp;
    private GatewayHarness gw;
    private ServerSocket silent;
    private final List<Socket> held = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        synchronized (held) {
            for (Socket s : held) {
                s.close();
            }
        }
        if (silent != null) {
            silent.close();
        }
    }

    @Test
    void bodyPartsWaitingForABackendHandshakeAreReleasedWhenTheClientCloses() throws Exception {
        // a backend that accepts TCP and never answers the TLS handshake: the exchange waits to connect
        silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket s = silent.accept();
                    synchronized (held) {
                        held.add(s);
                    }
                }
            } catch (Exception closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        int port = Ports.free();
        gw = GatewayHarness.start(tmp,
                GatewayHarness.oneApi(port, "records", "mute", "https://127.0.0.1:" + silent.getLocalPort(), 1));
        PooledByteBufAllocator pool = (PooledByteBufAllocator) Buffers.ALLOCATOR;
        long before = pool.pinnedDirectMemory();
        for (int i = 0; i < 8; i++) {
            try (Socket client = new Socket("127.0.0.1", port)) {
                OutputStream out = client.getOutputStream();
                out.write(("POST /records/upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(new byte[64 * 1024]);
                out.flush();
                Thread.sleep(100); // the gateway has read the body parts and holds them for the backend
            }
        }
        // the clients are gone; the backend handshakes time out after 1 s
        long deadline = System.nanoTime() + 6_000_000_000L;
        long now;
        do {
            Thread.sleep(100);
            now = pool.pinnedDirectMemory();
        } while (now > before && System.nanoTime() < deadline);
        assertThat(now).as("direct memory in buffers, before the requests %d", before).isLessThanOrEqualTo(before);
    }
}
