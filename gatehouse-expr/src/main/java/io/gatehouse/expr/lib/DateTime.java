package io.gatehouse.expr.lib;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * .NET {@code System.DateTime}: 100-ns ticks since 0001-01-01 plus a {@link Kind}.
 *
 * <p>Gatehouse runs its clock in UTC, so {@code Local} values carry the same wall time as UTC ones;
 * the kind only changes how "o" and "K" print the offset. Equality and ordering compare ticks
 * only, as .NET does. Formatting follows the invariant culture.
 */
public final class DateTime implements Comparable<DateTime> {
    public enum Kind { Unspecified, Utc, Local }

    /** Ticks at 1970-01-01T00:00:00Z. */
    public static final long EPOCH_TICKS = 621_355_968_000_000_000L;
    public static final long MAX_TICKS = 3_155_378_975_999_999_999L;
    public static final DateTime MIN_VALUE = new DateTime(0, Kind.Unspecified);
    public static final DateTime MAX_VALUE = new DateTime(MAX_TICKS, Kind.Unspecified);

    private final long ticks;
    private final Kind kind;

    public DateTime(long ticks, Kind kind) {
        if (ticks < 0 || ticks > MAX_TICKS) {
            throw new IllegalArgumentException(
                    "The added or subtracted value results in an un-representable DateTime.");
        }
        this.ticks = ticks;
        this.kind = kind;
    }

    public static DateTime of(int year, int month, int day, int hour, int minute, int second, int millis, Kind kind) {
        try {
            LocalDateTime ldt = LocalDateTime.of(year, month, day, hour, minute, second, millis * 1_000_000);
            return fromLocal(ldt, kind);
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("Year, Month, and Day parameters describe an un-representable DateTime.");
        }
    }

    public static DateTime ofInstant(Instant instant, Kind kind) {
        long ticks = Math.addExact(Math.multiplyExact(instant.getEpochSecond(), TimeSpan.TICKS_PER_SECOND),
                instant.getNano() / 100) + EPOCH_TICKS;
        return new DateTime(ticks, kind);
    }

    public static DateTime utcNow() {
        return ofInstant(Instant.now(), Kind.Utc);
    }

    public static DateTime fromLocal(LocalDateTime ldt, Kind kind) {
        return ofInstant(ldt.toInstant(ZoneOffset.UTC), kind);
    }

    public long ticks() {
        return ticks;
    }

    public Kind kind() {
        return kind;
    }

    public Instant toInstant() {
        long t = ticks - EPOCH_TICKS;
        return Instant.ofEpochSecond(Math.floorDiv(t, TimeSpan.TICKS_PER_SECOND),
                Math.floorMod(t, TimeSpan.TICKS_PER_SECOND) * 100);
    }

    public LocalDateTime local() {
        return LocalDateTime.ofInstant(toInstant(), ZoneOffset.UTC);
    }

    public int year() {
        return local().getYear();
    }

    public int month() {
        return local().getMonthValue();
    }

    public int day() {
        return local().getDayOfMonth();
    }

    public int hour() {
        return local().getHour();
    }

    public int minute() {
        return local().getMinute();
    }

    public int second() {
        return local().getSecond();
    }

    public int millisecond() {
        return (int) (ticks / TimeSpan.TICKS_PER_MS % 1000);
    }

    public int dayOfYear() {
        return local().getDayOfYear();
    }

    /** .NET's DayOfWeek order: Sunday = 0. */
    public DotNetDayOfWeek dayOfWeek() {
        DayOfWeek d = local().getDayOfWeek();
        return DotNetDayOfWeek.values()[d.getValue() % 7];
    }

    public DateTime date() {
        return new DateTime(ticks - ticks % TimeSpan.TICKS_PER_DAY, kind);
    }

    public TimeSpan timeOfDay() {
        return new TimeSpan(ticks % TimeSpan.TICKS_PER_DAY);
    }

    public DateTime add(TimeSpan span) {
        return new DateTime(ticks + span.ticks(), kind);
    }

    public DateTime addTicks(long t) {
        return new DateTime(ticks + t, kind);
    }

    public DateTime addUnits(double value, long ticksPerUnit) {
        double t = value * ticksPerUnit;
        if (Double.isNaN(t) || Math.abs(t) > MAX_TICKS) {
            throw new IllegalArgumentException("Value to add was out of range.");
        }
        return new DateTime(ticks + Math.round(t), kind);
    }

    public DateTime addMonths(int months) {
        return fromLocal(local().plusMonths(months), kind);
    }

    public DateTime addYears(int years) {
        return fromLocal(local().plusYears(years), kind);
    }

    public TimeSpan subtract(DateTime other) {
        return new TimeSpan(ticks - other.ticks);
    }

    public DateTime subtract(TimeSpan span) {
        return new DateTime(ticks - span.ticks(), kind);
    }

    public DateTime toUniversalTime() {
        return new DateTime(ticks, Kind.Utc);
    }

    public DateTime toLocalTime() {
        return new DateTime(ticks, Kind.Local);
    }

    @Override
    public int compareTo(DateTime o) {
        return Long.compare(ticks, o.ticks);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DateTime d && d.ticks == ticks;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(ticks);
    }

    /** Invariant culture's general format: {@code MM/dd/yyyy HH:mm:ss}. */
    @Override
    public String toString() {
        return format("G");
    }

    public String format(String format) {
        return format(format, null);
    }

    /**
     * {@code ToString(format, culture)}; culture null is the invariant culture. For a specific culture
     * only the culture-independent standard formats (o, s, u, r) and custom formats are supported.
     */
    public String format(String format, Culture culture) {
        if (format == null || format.isEmpty()) {
            format = "G";
        }
        if (culture != null && format.length() == 1 && "oOsurR".indexOf(format.charAt(0)) < 0) {
            throw new IllegalArgumentException("The standard date format '" + format + "' for culture '" + culture.name()
                    + "' is not supported here: write a custom format such as \"dd.MM.yyyy\"");
        }
        return format0(format, culture);
    }

    private String format0(String format, Culture culture) {
        if (format.length() == 1) {
            switch (format.charAt(0)) {
                case 'o', 'O' -> {
                    return formatCustom("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", null);
                }
                case 's' -> {
                    return formatCustom("yyyy'-'MM'-'dd'T'HH':'mm':'ss", null);
                }
                case 'u' -> {
                    return formatCustom("yyyy'-'MM'-'dd HH':'mm':'ss'Z'", null);
                }
                case 'r', 'R' -> {
                    return formatCustom("ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", null);
                }
                case 'd' -> {
                    return formatCustom("MM/dd/yyyy", culture);
                }
                case 'D' -> {
                    return formatCustom("dddd, dd MMMM yyyy", culture);
                }
                case 't' -> {
                    return formatCustom("HH:mm", culture);
                }
                case 'T' -> {
                    return formatCustom("HH:mm:ss", culture);
                }
                case 'g' -> {
                    return formatCustom("MM/dd/yyyy HH:mm", culture);
                }
                case 'G' -> {
                    return formatCustom("MM/dd/yyyy HH:mm:ss", culture);
                }
                case 'f' -> {
                    return formatCustom("dddd, dd MMMM yyyy HH:mm", culture);
                }
                case 'F' -> {
                    return formatCustom("dddd, dd MMMM yyyy HH:mm:ss", culture);
                }
                case 'M', 'm' -> {
                    return formatCustom("MMMM dd", culture);
                }
                case 'Y', 'y' -> {
                    return formatCustom("yyyy MMMM", culture);
                }
                default -> throw new IllegalArgumentException(
                        "Input string was not in a correct format.");
            }
        }
        return formatCustom(format, culture);
    }

    private String formatCustom(String f, Culture culture) {
        LocalDateTime t = local();
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < f.length()) {
            char c = f.charAt(i);
            int n = 1;
            while (i + n < f.length() && f.charAt(i + n) == c) {
                n++;
            }
            switch (c) {
                case 'y' -> {
                    int y = t.getYear();
                    if (n <= 2) {
                        int yy = y % 100;
                        sb.append(n == 2 ? two(yy) : Integer.toString(yy));
                    } else {
                        sb.append(pad(y, n));
                    }
                }
                case 'M' -> sb.append(n == 1 ? Integer.toString(t.getMonthValue()) : n == 2 ? two(t.getMonthValue())
                        : culture != null ? culture.monthName(t.getMonthValue(), n == 3, f.contains("d"))
                        : t.getMonth().getDisplayName(n == 3 ? TextStyle.SHORT : TextStyle.FULL, Locale.ENGLISH));
                case 'd' -> sb.append(n == 1 ? Integer.toString(t.getDayOfMonth()) : n == 2 ? two(t.getDayOfMonth())
                        : culture != null ? culture.dayName(t.getDayOfWeek(), n == 3)
                        : t.getDayOfWeek().getDisplayName(n == 3 ? TextStyle.SHORT : TextStyle.FULL, Locale.ENGLISH));
                case '/' -> sb.append(culture != null ? culture.dateSeparator() : "/");
                case 'H' -> sb.append(n == 1 ? Integer.toString(t.getHour()) : two(t.getHour()));
                case 'h' -> {
                    int h = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
                    sb.append(n == 1 ? Integer.toString(h) : two(h));
                }
                case 'm' -> sb.append(n == 1 ? Integer.toString(t.getMinute()) : two(t.getMinute()));
                case 's' -> sb.append(n == 1 ? Integer.toString(t.getSecond()) : two(t.getSecond()));
                case 'f', 'F' -> {
                    if (n > 7) {
                        throw new IllegalArgumentException("Input string was not in a correct format.");
                    }
                    String frac = pad(ticks % TimeSpan.TICKS_PER_SECOND, 7).substring(0, n);
                    if (c == 'F') {
                        frac = frac.replaceAll("0+$", "");
                        if (frac.isEmpty() && sb.length() > 0 && sb.charAt(sb.length() - 1) == '.') {
                            sb.setLength(sb.length() - 1);
                        }
                    }
                    sb.append(frac);
                }
                case 't' -> {
                    String ampm = culture != null ? culture.amPm(t.getHour() >= 12) : t.getHour() < 12 ? "AM" : "PM";
                    sb.append(n == 1 ? ampm.substring(0, 1) : ampm);
                }
                case 'K' -> {
                    if (kind == Kind.Utc) {
                        sb.append('Z');
                    } else if (kind == Kind.Local) {
                        sb.append("+00:00");
                    }
                    n = 1;
                }
                case 'z' -> sb.append(n == 1 ? "+0" : n == 2 ? "+00" : "+00:00");
                case '\'', '"' -> {
                    int end = f.indexOf(c, i + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException(
                                "Cannot find a matching quote character for the character '" + c + "'.");
                    }
                    sb.append(f, i + 1, end);
                    n = end - i + 1;
                }
                case '\\' -> {
                    if (i + 1 < f.length()) {
                        sb.append(f.charAt(i + 1));
                    }
                    n = 2;
                }
                case '%' -> n = 1;
                default -> sb.append(String.valueOf(c).repeat(n));
            }
            i += n;
        }
        return sb.toString();
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : Integer.toString(v);
    }

    private static String pad(long v, int width) {
        String s = Long.toString(v);
        return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
    }

    /**
     * Parses ISO 8601 (with or without offset), RFC 1123 and the invariant "MM/dd/yyyy HH:mm:ss".
     * A value with an offset or 'Z' becomes UTC kind (Gatehouse's local time is UTC).
     */
    public static DateTime parse(String s) {
        String t = s.trim();
        try {
            return ofInstant(OffsetDateTime.parse(t).toInstant(), Kind.Utc);
        } catch (DateTimeParseException ignored) {
            // next
        }
        try {
            return fromLocal(LocalDateTime.parse(t), Kind.Unspecified);
        } catch (DateTimeParseException ignored) {
            // next
        }
        try {
            return fromLocal(java.time.LocalDate.parse(t).atStartOfDay(), Kind.Unspecified);
        } catch (DateTimeParseException ignored) {
            // next
        }
        try {
            return ofInstant(ZonedDateTime.parse(t, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant(), Kind.Utc);
        } catch (DateTimeParseException ignored) {
            // next
        }
        for (String p : new String[] {"M/d/yyyy H:mm:ss", "M/d/yyyy", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss'Z'"}) {
            try {
                DateTimeFormatter f = DateTimeFormatter.ofPattern(p, Locale.ROOT);
                if (p.contains("H")) {
                    return fromLocal(LocalDateTime.parse(t, f), p.endsWith("'Z'") ? Kind.Utc : Kind.Unspecified);
                }
                return fromLocal(java.time.LocalDate.parse(t, f).atStartOfDay(), Kind.Unspecified);
            } catch (DateTimeParseException ignored) {
                // next
            }
        }
        throw new IllegalArgumentException("String '" + s + "' was not recognized as a valid DateTime.");
    }
}
