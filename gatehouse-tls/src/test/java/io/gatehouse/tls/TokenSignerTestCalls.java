package io.gatehouse.tls;

import java.util.ArrayList;
import java.util.List;

/** The signatures {@link TokenSignerTest.RecordingProvider} has made ("algorithm on thread"), for other tests. */
final class TokenSignerTestCalls {
    private TokenSignerTestCalls() {
    }

    static int count() {
        return TokenSignerTest.CALLS.size();
    }

    static List<String> since(int before) {
        return new ArrayList<>(TokenSignerTest.CALLS.subList(before, TokenSignerTest.CALLS.size()));
    }
}
