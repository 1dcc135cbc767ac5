package io.gatehouse.config;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean ...?" for typos in keys, ids and enumerated values. */
final class Suggestions {
    private Suggestions() {
    }

    /**
     * The candidate closest to {@code given}, as {@code " (did you mean 'x'?)"}, or "" when none
     * is close enough to be a likely typo.
     */
    static String didYouMean(String given, Collection<String> candidates) {
        String best = closest(given, candidates);
        return best == null ? "" : " (did you mean '" + best + "'?)";
    }

    static String closest(String given, Collection<String> candidates) {
        if (given == null || given.isEmpty()) {
            return null;
        }
        String g = given.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(g, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        int allowed = Math.max(1, Math.min(3, given.length() / 3));
        return bestDistance <= allowed ? best : null;
    }

    /** Levenshtein distance with adjacent transpositions counting as one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
