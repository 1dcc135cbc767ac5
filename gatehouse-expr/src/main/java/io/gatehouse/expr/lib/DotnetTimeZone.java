package io.gatehouse.expr.lib;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;

/**
 * {@code System.TimeZoneInfo}: a zone found by its Windows id ("W. Europe Standard Time", as APIM's
 * Windows hosts name them) or its IANA id ("Europe/Berlin"), with conversions to and from UTC. The
 * gateway's own local zone is UTC, so {@code TimeZoneInfo.Local} is UTC and a DateTime of kind Local
 * or Unspecified is read as UTC.
 *
 * <p>Windows ids map to IANA zones as in CLDR's windowsZones table (territory 001); ids not listed
 * there are refused rather than guessed.
 */
public final class DotnetTimeZone {
    /** CLDR windowsZones, territory 001, for the zones policies name most. */
    private static final Map<String, String> WINDOWS = Map.ofEntries(
            Map.entry("UTC", "Etc/UTC"),
            Map.entry("GMT Standard Time", "Europe/London"),
            Map.entry("Greenwich Standard Time", "Atlantic/Reykjavik"),
            Map.entry("W. Europe Standard Time", "Europe/Berlin"),
            Map.entry("Central Europe Standard Time", "Europe/Budapest"),
            Map.entry("Central European Standard Time", "Europe/Warsaw"),
            Map.entry("Romance Standard Time", "Europe/Paris"),
            Map.entry("GTB Standard Time", "Europe/Bucharest"),
            Map.entry("FLE Standard Time", "Europe/Kiev"),
            Map.entry("E. Europe Standard Time", "Europe/Chisinau"),
            Map.entry("Turkey Standard Time", "Europe/Istanbul"),
            Map.entry("Russian Standard Time", "Europe/Moscow"),
            Map.entry("Israel Standard Time", "Asia/Jerusalem"),
            Map.entry("Egypt Standard Time", "Africa/Cairo"),
            Map.entry("South Africa Standard Time", "Africa/Johannesburg"),
            Map.entry("W. Central Africa Standard Time", "Africa/Lagos"),
            Map.entry("Arabian Standard Time", "Asia/Dubai"),
            Map.entry("Pakistan Standard Time", "Asia/Karachi"),
            Map.entry("India Standard Time", "Asia/Calcutta"),
            Map.entry("Bangladesh Standard Time", "Asia/Dhaka"),
            Map.entry("SE Asia Standard Time", "Asia/Bangkok"),
            Map.entry("Singapore Standard Time", "Asia/Singapore"),
            Map.entry("China Standard Time", "Asia/Shanghai"),
            Map.entry("Taipei Standard Time", "Asia/Taipei"),
            Map.entry("Tokyo Standard Time", "Asia/Tokyo"),
            Map.entry("Korea Standard Time", "Asia/Seoul"),
            Map.entry("W. Australia Standard Time", "Australia/Perth"),
            Map.entry("Cen. Australia Standard Time", "Australia/Adelaide"),
            Map.entry("E. Australia Standard Time", "Australia/Brisbane"),
            Map.entry("AUS Eastern Standard Time", "Australia/Sydney"),
            Map.entry("New Zealand Standard Time", "Pacific/Auckland"),
            Map.entry("Hawaiian Standard Time", "Pacific/Honolulu"),
            Map.entry("Alaskan Standard Time", "America/Anchorage"),
            Map.entry("Pacific Standard Time", "America/Los_Angeles"),
            Map.entry("US Mountain Standard Time", "America/Phoenix"),
            Map.entry("Mountain Standard Time", "America/Denver"),
            Map.entry("Central Standard Time", "America/Chicago"),
            Map.entry("Central Standard Time (Mexico)", "America/Mexico_City"),
            Map.entry("Canada Central Standard Time", "America/Regina"),
            Map.entry("Eastern Standard Time", "America/New_York"),
            Map.entry("Atlantic Standard Time", "America/Halifax"),
            Map.entry("SA Pacific Standard Time", "America/Bogota"),
            Map.entry("Pacific SA Standard Time", "America/Santiago"),
            Map.entry("Argentina Standard Time", "America/Buenos_Aires"),
            Map.entry("E. South America Standard Time", "America/Sao_Paulo"));

    public static final DotnetTimeZone UTC = new DotnetTimeZone("UTC", ZoneOffset.UTC);

    private final String id;
    private final ZoneId zone;

    private DotnetTimeZone(String id, ZoneId zone) {
        this.id = id;
        this.zone = zone;
    }

    /** {@code FindSystemTimeZoneById}; IllegalArgumentException with .NET's wording when unknown. */
    public static DotnetTimeZone find(String id) {
        if (id == null) {
            throw new IllegalArgumentException("Value cannot be null. (Parameter 'id')");
        }
        if (id.equals("UTC") || id.equals("Etc/UTC")) {
            return new DotnetTimeZone(id, ZoneOffset.UTC);
        }
        String iana = WINDOWS.get(id);
        try {
            if (iana != null) {
                return new DotnetTimeZone(id, ZoneId.of(iana));
            }
            if (id.contains("/")) {
                return new DotnetTimeZone(id, ZoneId.of(id));
            }
        } catch (DateTimeException e) {
            // fall through to the not-found message
        }
        throw new IllegalArgumentException("The time zone ID '" + id + "' was not found on the local computer.");
    }

    public String id() {
        return id;
    }

    public TimeSpan baseUtcOffset() {
        return TimeSpan.fromUnits(zone.getRules().getStandardOffset(Instant.now()).getTotalSeconds(), TimeSpan.TICKS_PER_SECOND);
    }

    public boolean supportsDaylightSavingTime() {
        return !zone.getRules().isFixedOffset() && (!zone.getRules().getTransitions().isEmpty()
                || !zone.getRules().getTransitionRules().isEmpty());
    }

    public TimeSpan utcOffset(DateTime t) {
        return TimeSpan.fromUnits(zone.getRules().getOffset(t.toInstant()).getTotalSeconds(), TimeSpan.TICKS_PER_SECOND);
    }

    public boolean isDaylightSavingTime(DateTime t) {
        return zone.getRules().isDaylightSavings(t.toInstant());
    }

    /** The wall-clock time in this zone of a UTC (or gateway-local, which is UTC) time. */
    public DateTime fromUtc(DateTime t) {
        LocalDateTime wall = ZonedDateTime.ofInstant(t.toInstant(), zone).toLocalDateTime();
        return DateTime.fromLocal(wall, this == UTC || zone.equals(ZoneOffset.UTC) ? DateTime.Kind.Utc : DateTime.Kind.Unspecified);
    }

    /** UTC of a wall-clock time in this zone. */
    public DateTime toUtc(DateTime wall) {
        Instant i = wall.local().atZone(zone).toInstant();
        return DateTime.ofInstant(i, DateTime.Kind.Utc);
    }

    @Override
    public String toString() {
        return id;
    }
}
