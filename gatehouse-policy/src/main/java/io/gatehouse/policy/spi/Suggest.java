package io.gatehouse.policy.spi;

import java.util.Collection;

/** "Did you mean" for misspelled element and attribute names. */
public final class Suggest {
    private Suggest() {
    }

    /** The candidate with the smallest edit distance, if it is within a third of the name's length. */
    public static String closest(String name, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int dist = distance(name.toLowerCase(), c.toLowerCase());
            if (dist < bestDistance) {
                best = c;
                bestDistance = dist;
            }
        }
        int limit = Math.max(2, name.length() / 3);
        return bestDistance <= limit ? best : null;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** " (did you mean 'x'?)" or "". */
    public static String hint(String name, Collection<String> candidates) {
        String s = closest(name, candidates);
        return s == null ? "" : " (did you mean '" + s + "'?)";
    }
}
