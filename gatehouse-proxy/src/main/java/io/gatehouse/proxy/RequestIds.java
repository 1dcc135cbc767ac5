package io.gatehouse.proxy;

import java.util.concurrent.ThreadLocalRandom;

/** Request ids in the GUID form APIM uses for {@code context.RequestId}. */
final class RequestIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RequestIds() {
    }

    static String next() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = (r.nextLong() & ~0xF000L) | 0x4000L;                       // version 4
        long lo = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        char[] out = new char[36];
        int p = 0;
        for (int i = 0; i < 16; i++) {
            long v = i < 8 ? hi >>> (56 - 8 * i) : lo >>> (56 - 8 * (i - 8));
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                out[p++] = '-';
            }
            out[p++] = HEX[(int) (v >>> 4) & 0xF];
            out[p++] = HEX[(int) v & 0xF];
        }
        return new String(out);
    }
}
