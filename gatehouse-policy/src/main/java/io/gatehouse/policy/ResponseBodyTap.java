package io.gatehouse.policy;

/**
 * Sees the bytes of a backend response body that the gateway streams to the client without
 * buffering it (see {@link Exchange#tapResponseBody}): each part as it passes, then the end. Called
 * on the connection's event loop: it must be quick, must not block, and must not keep the array
 * it is handed (it may be reused).
 */
public interface ResponseBodyTap {
    /** The next {@code length} bytes of the body, from {@code offset} of {@code data}. */
    void bytes(byte[] data, int offset, int length);

    /** The body ended: {@code complete} when its last byte came, false when it broke off. */
    void end(boolean complete);
}
