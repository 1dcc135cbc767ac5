package io.gatehouse.policy.xml;

import io.gatehouse.common.Position;

import java.util.Arrays;

/** Turns character offsets in one file into 1-based line and column positions. */
public final class LineMap {
    private final String file;
    private final int[] lineStarts;
    private final Position fixed;

    private LineMap(Position fixed) {
        this.file = fixed.file();
        this.lineStarts = new int[] {0};
        this.fixed = fixed;
    }

    /** A map that puts every offset at one position (for text that has no file behind it). */
    public static LineMap fixed(Position at) {
        return new LineMap(at);
    }

    public LineMap(String file, CharSequence text) {
        this.file = file;
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                }
                starts[n++] = i + 1;
            }
        }
        this.lineStarts = Arrays.copyOf(starts, n);
        this.fixed = null;
    }

    public String file() {
        return file;
    }

    public Position position(int offset) {
        if (fixed != null) {
            return fixed;
        }
        int idx = Arrays.binarySearch(lineStarts, offset);
        int line = idx >= 0 ? idx : -idx - 2;
        return new Position(file, line + 1, offset - lineStarts[line] + 1);
    }
}
