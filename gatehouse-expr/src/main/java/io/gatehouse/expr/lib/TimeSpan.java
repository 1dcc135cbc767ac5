package io.gatehouse.expr.lib;

/** .NET {@code System.TimeSpan}: a signed duration in 100-nanosecond ticks. */
public final class TimeSpan implements Comparable<TimeSpan> {
    public static final long TICKS_PER_MS = 10_000L;
    public static final long TICKS_PER_SECOND = 10_000_000L;
    public static final long TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND;
    public static final long TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE;
    public static final long TICKS_PER_DAY = 24 * TICKS_PER_HOUR;
    public static final TimeSpan ZERO = new TimeSpan(0);

    private final long ticks;

    public TimeSpan(long ticks) {
        this.ticks = ticks;
    }

    public static TimeSpan of(int days, int hours, int minutes, int seconds, int millis) {
        return new TimeSpan(days * TICKS_PER_DAY + hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE
                + seconds * TICKS_PER_SECOND + millis * TICKS_PER_MS);
    }

    public static TimeSpan fromNanos(long nanos) {
        return new TimeSpan(nanos / 100);
    }

    public static TimeSpan fromUnits(double value, long ticksPerUnit) {
        double t = value * ticksPerUnit;
        if (Double.isNaN(t) || t > Long.MAX_VALUE || t < Long.MIN_VALUE) {
            throw new ArithmeticException("TimeSpan overflowed because the duration is too long.");
        }
        return new TimeSpan(Math.round(t));
    }

    public long ticks() {
        return ticks;
    }

    public int days() {
        return (int) (ticks / TICKS_PER_DAY);
    }

    public int hours() {
        return (int) (ticks / TICKS_PER_HOUR % 24);
    }

    public int minutes() {
        return (int) (ticks / TICKS_PER_MINUTE % 60);
    }

    public int seconds() {
        return (int) (ticks / TICKS_PER_SECOND % 60);
    }

    public int milliseconds() {
        return (int) (ticks / TICKS_PER_MS % 1000);
    }

    public double totalDays() {
        return (double) ticks / TICKS_PER_DAY;
    }

    public double totalHours() {
        return (double) ticks / TICKS_PER_HOUR;
    }

    public double totalMinutes() {
        return (double) ticks / TICKS_PER_MINUTE;
    }

    public double totalSeconds() {
        return (double) ticks / TICKS_PER_SECOND;
    }

    public double totalMilliseconds() {
        return (double) ticks / TICKS_PER_MS;
    }

    public TimeSpan add(TimeSpan other) {
        return new TimeSpan(Math.addExact(ticks, other.ticks));
    }

    public TimeSpan subtract(TimeSpan other) {
        return new TimeSpan(Math.subtractExact(ticks, other.ticks));
    }

    public TimeSpan negate() {
        return new TimeSpan(-ticks);
    }

    public TimeSpan duration() {
        return new TimeSpan(Math.abs(ticks));
    }

    @Override
    public int compareTo(TimeSpan o) {
        return Long.compare(ticks, o.ticks);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TimeSpan t && t.ticks == ticks;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ticks);
    }

    /** The "c" format: {@code [-][d.]hh:mm:ss[.fffffff]}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        long t = ticks;
        if (t < 0) {
            sb.append('-');
            t = -t;
        }
        long d = t / TICKS_PER_DAY;
        if (d != 0) {
            sb.append(d).append('.');
        }
        sb.append(pad(t / TICKS_PER_HOUR % 24)).append(':').append(pad(t / TICKS_PER_MINUTE % 60)).append(':')
                .append(pad(t / TICKS_PER_SECOND % 60));
        long frac = t % TICKS_PER_SECOND;
        if (frac != 0) {
            String f = Long.toString(frac);
            sb.append('.').append("0".repeat(7 - f.length())).append(f);
        }
        return sb.toString();
    }

    private static String pad(long v) {
        return v < 10 ? "0" + v : Long.toString(v);
    }

    /** Parses "[-][d.]hh:mm[:ss[.fffffff]]" or a plain day count. */
    public static TimeSpan parse(String s) {
        String t = s.trim();
        boolean neg = t.startsWith("-");
        if (neg) {
            t = t.substring(1);
        }
        try {
            long days = 0;
            if (!t.contains(":")) {
                return new TimeSpan((neg ? -1 : 1) * Long.parseLong(t) * TICKS_PER_DAY);
            }
            int dot = t.indexOf('.');
            int colon = t.indexOf(':');
            if (dot >= 0 && dot < colon) {
                days = Long.parseLong(t.substring(0, dot));
                t = t.substring(dot + 1);
            }
            String[] parts = t.split(":");
            if (parts.length < 2 || parts.length > 3) {
                throw new NumberFormatException();
            }
            long h = Long.parseLong(parts[0]);
            long m = Long.parseLong(parts[1]);
            long sec = 0;
            long frac = 0;
            if (parts.length == 3) {
                String sp = parts[2];
                int fd = sp.indexOf('.');
                if (fd >= 0) {
                    String f = (sp.substring(fd + 1) + "0000000").substring(0, 7);
                    frac = Long.parseLong(f);
                    sp = sp.substring(0, fd);
                }
                sec = Long.parseLong(sp);
            }
            if (h > 23 || m > 59 || sec > 59) {
                throw new NumberFormatException();
            }
            long ticks = days * TICKS_PER_DAY + h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE + sec * TICKS_PER_SECOND + frac;
            return new TimeSpan(neg ? -ticks : ticks);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("String '" + s + "' was not recognized as a valid TimeSpan.");
        }
    }
}
