package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.DotNetDayOfWeek;
import io.gatehouse.expr.lib.TimeSpan;

import static io.gatehouse.expr.internal.Args.d;
import static io.gatehouse.expr.internal.Args.format;
import static io.gatehouse.expr.internal.Args.i;
import static io.gatehouse.expr.internal.Args.s;

/**
 * {@code System}'s dates and times: {@code DateTime}, {@code DateTimeOffset}, {@code TimeSpan},
 * {@code TimeZoneInfo}, {@code DayOfWeek} and {@code DateTimeKind}.
 */
final class NsSystemDateTime {
    private static final Type S = Type.STRING;

    private NsSystemDateTime() {
    }

    static void registerDateTime(Library l) {
        Members m = l.m;
        Type DT = l.tDateTime;
        Type TS = l.tTimeSpan;
        dateTime(l, m, DT, TS);
    }

    static void registerTimeSpan(Library l) {
        Members m = l.m;
        Type TS = l.tTimeSpan;
        timeSpan(l, m, TS);
    }

    /** Enum values as static members. */
    static void registerEnums(Library l) {
        l.enumType("DayOfWeek", l.tDayOfWeek, DotNetDayOfWeek.values());
        l.enumType("DateTimeKind", l.tKind, DateTime.Kind.values());
    }

    /** {@code new DateTimeOffset(dateTime)}: the same instant (DateTimeOffset shares DateTime's type here). */
    static void registerDateTimeOffset(Library l) {
        Members m = l.m;
        m.method("new:DateTime", ".ctor", l.tDateTime, (o, a, x) -> a[0], l.tDateTime);
    }

    /** TimeZoneInfo (Windows or IANA ids; the gateway's local zone is UTC). */
    static void registerTimeZoneInfo(Library l) {
        Members m = l.m;
        Type tz = m.type("TimeZoneInfo", io.gatehouse.expr.lib.DotnetTimeZone.class);
        l.staticName("TimeZoneInfo", "TimeZoneInfo");
        Type dt = l.tDateTime;
        String tzs = "static:TimeZoneInfo";
        l.staticProp("TimeZoneInfo", "Utc", tz, o -> io.gatehouse.expr.lib.DotnetTimeZone.UTC);
        l.staticProp("TimeZoneInfo", "Local", tz, o -> io.gatehouse.expr.lib.DotnetTimeZone.UTC);
        m.method(tzs, "FindSystemTimeZoneById", tz, (o, a, x) -> zone(a[0]), S);
        m.method(tzs, "ConvertTimeFromUtc", dt, (o, a, x) -> ((io.gatehouse.expr.lib.DotnetTimeZone) nonNull(a[1], "destinationTimeZone"))
                .fromUtc((io.gatehouse.expr.lib.DateTime) a[0]), dt, tz);
        m.method(tzs, "ConvertTime", dt, (o, a, x) -> ((io.gatehouse.expr.lib.DotnetTimeZone) nonNull(a[1], "destinationTimeZone"))
                .fromUtc((io.gatehouse.expr.lib.DateTime) a[0]), dt, tz);
        m.method(tzs, "ConvertTimeToUtc", dt, (o, a, x) -> ((io.gatehouse.expr.lib.DateTime) a[0]).toUniversalTime(), dt);
        m.method(tzs, "ConvertTimeToUtc", dt, (o, a, x) -> ((io.gatehouse.expr.lib.DotnetTimeZone) nonNull(a[1], "sourceTimeZone"))
                .toUtc((io.gatehouse.expr.lib.DateTime) a[0]), dt, tz);
        m.method(tzs, "ConvertTimeBySystemTimeZoneId", dt, (o, a, x) -> zone(a[1]).fromUtc((io.gatehouse.expr.lib.DateTime) a[0]), dt, S);
        m.method(tzs, "ConvertTimeBySystemTimeZoneId", dt, (o, a, x) -> zone(a[2]).fromUtc(zone(a[1]).toUtc((io.gatehouse.expr.lib.DateTime) a[0])), dt, S, S);
        m.prop(tz, "Id", S, o -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).id());
        m.prop(tz, "DisplayName", S, o -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).id());
        m.prop(tz, "StandardName", S, o -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).id());
        m.prop(tz, "BaseUtcOffset", l.tTimeSpan, o -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).baseUtcOffset());
        m.prop(tz, "SupportsDaylightSavingTime", Type.BOOL, o -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).supportsDaylightSavingTime());
        m.method(tz, "GetUtcOffset", l.tTimeSpan, (o, a, x) -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).utcOffset((io.gatehouse.expr.lib.DateTime) a[0]), dt);
        m.method(tz, "IsDaylightSavingTime", Type.BOOL, (o, a, x) -> ((io.gatehouse.expr.lib.DotnetTimeZone) o).isDaylightSavingTime((io.gatehouse.expr.lib.DateTime) a[0]), dt);
    }

    private static DateTime dt(Object o) {
        return (DateTime) o;
    }

    private static void dateTime(Library l, Members m, Type DT, Type TS) {
        Type S = Type.STRING;
        Type I = Type.INT;
        Type D = Type.DOUBLE;
        for (String owner : new String[] {"DateTime", "DateTimeOffset"}) {
            l.staticProp(owner, "UtcNow", DT, o -> DateTime.utcNow());
            l.staticProp(owner, "Now", DT, o -> DateTime.utcNow().toLocalTime());
            l.staticProp(owner, "MinValue", DT, o -> DateTime.MIN_VALUE);
            l.staticProp(owner, "MaxValue", DT, o -> DateTime.MAX_VALUE);
            String so = "static:" + owner;
            m.method(so, "Parse", DT, (o, a, t) -> parseDate(s(a[0])), S);
            m.method(so, "Parse", DT, (o, a, t) -> parseDate(s(a[0])), S, l.tCulture);
            m.outMethod(so, "TryParse", Type.BOOL, 1, DT, (o, a, t) -> {
                try {
                    ((Object[]) a[1])[0] = parseDate(s(a[0]));
                    return true;
                } catch (RuntimeException e) {
                    ((Object[]) a[1])[0] = DateTime.MIN_VALUE;
                    return false;
                }
            }, S, Type.OBJECT);
        }
        l.staticProp("DateTime", "Today", DT, o -> DateTime.utcNow().toLocalTime().date());
        m.method("static:DateTime", "DaysInMonth", I, (o, a, t) -> java.time.YearMonth.of(i(a[0]), i(a[1])).lengthOfMonth(), I, I);
        m.method("static:DateTime", "IsLeapYear", Type.BOOL, (o, a, t) -> java.time.Year.isLeap(i(a[0])), I);
        m.method("static:DateTime", "SpecifyKind", DT, (o, a, t) -> new DateTime(dt(a[0]).ticks(), (DateTime.Kind) a[1]), DT, l.tKind);
        m.method("static:DateTimeOffset", "FromUnixTimeSeconds", DT, (o, a, t) -> DateTime.ofInstant(java.time.Instant.ofEpochSecond(Ops.asLong(a[0])), DateTime.Kind.Utc), Type.LONG);
        m.method("static:DateTimeOffset", "FromUnixTimeMilliseconds", DT, (o, a, t) -> DateTime.ofInstant(java.time.Instant.ofEpochMilli(Ops.asLong(a[0])), DateTime.Kind.Utc), Type.LONG);

        String t = DT.name();
        m.prop(t, "Year", I, o -> dt(o).year());
        m.prop(t, "Month", I, o -> dt(o).month());
        m.prop(t, "Day", I, o -> dt(o).day());
        m.prop(t, "Hour", I, o -> dt(o).hour());
        m.prop(t, "Minute", I, o -> dt(o).minute());
        m.prop(t, "Second", I, o -> dt(o).second());
        m.prop(t, "Millisecond", I, o -> dt(o).millisecond());
        m.prop(t, "Ticks", Type.LONG, o -> dt(o).ticks());
        m.prop(t, "DayOfWeek", l.tDayOfWeek, o -> dt(o).dayOfWeek());
        m.prop(t, "DayOfYear", I, o -> dt(o).dayOfYear());
        m.prop(t, "Date", DT, o -> dt(o).date());
        m.prop(t, "TimeOfDay", TS, o -> dt(o).timeOfDay());
        m.prop(t, "Kind", l.tKind, o -> dt(o).kind());
        m.prop(t, "UtcDateTime", DT, o -> dt(o).toUniversalTime());
        m.prop(t, "DateTime", DT, o -> dt(o));
        m.method(t, "AddDays", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_DAY), D);
        m.method(t, "AddHours", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_HOUR), D);
        m.method(t, "AddMinutes", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_MINUTE), D);
        m.method(t, "AddSeconds", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_SECOND), D);
        m.method(t, "AddMilliseconds", DT, (o, a, x) -> addUnits(o, a[0], TimeSpan.TICKS_PER_MS), D);
        m.method(t, "AddTicks", DT, (o, a, x) -> guard(() -> dt(o).addTicks(Ops.asLong(a[0]))), Type.LONG);
        m.method(t, "AddMonths", DT, (o, a, x) -> guard(() -> dt(o).addMonths(i(a[0]))), I);
        m.method(t, "AddYears", DT, (o, a, x) -> guard(() -> dt(o).addYears(i(a[0]))), I);
        m.method(t, "Add", DT, (o, a, x) -> guard(() -> dt(o).add((TimeSpan) a[0])), TS);
        m.method(t, "Subtract", TS, (o, a, x) -> dt(o).subtract(dt(a[0])), DT);
        m.method(t, "Subtract", DT, (o, a, x) -> guard(() -> dt(o).subtract((TimeSpan) a[0])), TS);
        m.method(t, "ToUniversalTime", DT, (o, a, x) -> dt(o).toUniversalTime());
        m.method(t, "ToLocalTime", DT, (o, a, x) -> dt(o).toLocalTime());
        m.method(t, "ToString", S, (o, a, x) -> dateFormat(o, s(a[0])), S);
        m.method(t, "ToString", S, (o, a, x) -> dateFormat(o, s(a[0]), a[1]), S, l.tCulture);
        m.method(t, "ToString", S, (o, a, x) -> io.gatehouse.expr.lib.Culture.from(a[0]) == null ? dt(o).toString()
                : dateFormat(o, "G", a[0]), l.tCulture);
        m.method(t, "ToUnixTimeSeconds", Type.LONG, (o, a, x) -> dt(o).toInstant().getEpochSecond());
        m.method(t, "ToUnixTimeMilliseconds", Type.LONG, (o, a, x) -> dt(o).toInstant().toEpochMilli());
        m.method(t, "CompareTo", I, (o, a, x) -> dt(o).compareTo(dt(a[0])), DT);
        m.method(t, "ToShortDateString", S, (o, a, x) -> dt(o).format("d"));
        m.method(t, "ToShortTimeString", S, (o, a, x) -> dt(o).format("t"));
        m.method(t, "ToLongDateString", S, (o, a, x) -> dt(o).format("D"));
        m.method(t, "ToLongTimeString", S, (o, a, x) -> dt(o).format("T"));
        String nc = "new:DateTime";
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), 0, 0, 0, 0, DateTime.Kind.Unspecified)), I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), 0, DateTime.Kind.Unspecified)), I, I, I, I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), 0, (DateTime.Kind) a[6])), I, I, I, I, I, I, l.tKind);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6]), DateTime.Kind.Unspecified)), I, I, I, I, I, I, I);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> DateTime.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4]), i(a[5]), i(a[6]), (DateTime.Kind) a[7])), I, I, I, I, I, I, I, l.tKind);
        m.method(nc, ".ctor", DT, (o, a, x) -> guard(() -> new DateTime(Ops.asLong(a[0]), DateTime.Kind.Unspecified)), Type.LONG);
    }

    private static Object addUnits(Object o, Object v, long unit) {
        return guard(() -> dt(o).addUnits(d(v), unit));
    }

    private static String dateFormat(Object o, String f) {
        try {
            return dt(o).format(f);
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static String dateFormat(Object o, String f, Object provider) {
        try {
            return dt(o).format(f, io.gatehouse.expr.lib.Culture.from(provider));
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static DateTime parseDate(String s) {
        if (s == null) {
            throw Ops.argNull("s");
        }
        try {
            return DateTime.parse(s);
        } catch (IllegalArgumentException e) {
            throw format(e.getMessage());
        }
    }

    private static Object guard(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (ArithmeticException e) {
            throw new ExpressionException("System.OverflowException", e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    private static TimeSpan ts(Object o) {
        return (TimeSpan) o;
    }

    private static void timeSpan(Library l, Members m, Type TS) {
        Type D = Type.DOUBLE;
        Type I = Type.INT;
        String so = "static:TimeSpan";
        m.method(so, "FromDays", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_DAY)), D);
        m.method(so, "FromHours", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_HOUR)), D);
        m.method(so, "FromMinutes", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_MINUTE)), D);
        m.method(so, "FromSeconds", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_SECOND)), D);
        m.method(so, "FromMilliseconds", TS, (o, a, t) -> guard(() -> TimeSpan.fromUnits(d(a[0]), TimeSpan.TICKS_PER_MS)), D);
        m.method(so, "FromTicks", TS, (o, a, t) -> new TimeSpan(Ops.asLong(a[0])), Type.LONG);
        m.method(so, "Parse", TS, (o, a, t) -> {
            try {
                return TimeSpan.parse(s(a[0]));
            } catch (IllegalArgumentException e) {
                throw format(e.getMessage());
            }
        }, Type.STRING);
        m.outMethod(so, "TryParse", Type.BOOL, 1, TS, (o, a, t) -> {
            try {
                ((Object[]) a[1])[0] = TimeSpan.parse(s(a[0]));
                return true;
            } catch (RuntimeException e) {
                ((Object[]) a[1])[0] = TimeSpan.ZERO;
                return false;
            }
        }, Type.STRING, Type.OBJECT);
        l.staticProp("TimeSpan", "Zero", TS, o -> TimeSpan.ZERO);
        l.staticProp("TimeSpan", "MaxValue", TS, o -> new TimeSpan(Long.MAX_VALUE));
        l.staticProp("TimeSpan", "MinValue", TS, o -> new TimeSpan(Long.MIN_VALUE));
        String t = TS.name();
        m.prop(t, "Days", I, o -> ts(o).days());
        m.prop(t, "Hours", I, o -> ts(o).hours());
        m.prop(t, "Minutes", I, o -> ts(o).minutes());
        m.prop(t, "Seconds", I, o -> ts(o).seconds());
        m.prop(t, "Milliseconds", I, o -> ts(o).milliseconds());
        m.prop(t, "Ticks", Type.LONG, o -> ts(o).ticks());
        m.prop(t, "TotalDays", D, o -> ts(o).totalDays());
        m.prop(t, "TotalHours", D, o -> ts(o).totalHours());
        m.prop(t, "TotalMinutes", D, o -> ts(o).totalMinutes());
        m.prop(t, "TotalSeconds", D, o -> ts(o).totalSeconds());
        m.prop(t, "TotalMilliseconds", D, o -> ts(o).totalMilliseconds());
        m.method(t, "Add", TS, (o, a, x) -> guard(() -> ts(o).add(ts(a[0]))), TS);
        m.method(t, "Subtract", TS, (o, a, x) -> guard(() -> ts(o).subtract(ts(a[0]))), TS);
        m.method(t, "Negate", TS, (o, a, x) -> ts(o).negate());
        m.method(t, "Duration", TS, (o, a, x) -> ts(o).duration());
        m.method(t, "CompareTo", I, (o, a, x) -> ts(o).compareTo(ts(a[0])), TS);
        String nc = "new:TimeSpan";
        m.method(nc, ".ctor", TS, (o, a, x) -> new TimeSpan(Ops.asLong(a[0])), Type.LONG);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(0, i(a[0]), i(a[1]), i(a[2]), 0), I, I, I);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), 0), I, I, I, I);
        m.method(nc, ".ctor", TS, (o, a, x) -> TimeSpan.of(i(a[0]), i(a[1]), i(a[2]), i(a[3]), i(a[4])), I, I, I, I, I);
    }

    private static io.gatehouse.expr.lib.DotnetTimeZone zone(Object id) {
        try {
            return io.gatehouse.expr.lib.DotnetTimeZone.find((String) id);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException(id == null ? "System.ArgumentNullException" : "System.TimeZoneNotFoundException", e.getMessage());
        }
    }

    private static Object nonNull(Object v, String param) {
        if (v == null) {
            throw Ops.argNull(param);
        }
        return v;
    }
}
