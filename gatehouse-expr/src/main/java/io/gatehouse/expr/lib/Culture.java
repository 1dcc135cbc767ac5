package io.gatehouse.expr.lib;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.NumberFormat;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.FormatStyle;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A specific {@code CultureInfo} ({@code new CultureInfo("de-DE")}): numbers get the culture's
 * decimal and group separators and currency, custom date formats its month and day names and date
 * separator. The invariant culture is {@link DotnetEnums.CultureInfo#InvariantCulture}, and
 * {@code CurrentCulture} is invariant too: a gateway has no user locale.
 *
 * <p>Culture data comes from the JDK's CLDR tables, which .NET on Linux (ICU) also follows; a
 * standard date pattern such as {@code "d"} differs between the two, so those are refused for a
 * specific culture rather than guessed (write a custom pattern such as {@code "dd.MM.yyyy"}).
 */
public final class Culture {
    private static final Set<String> LANGUAGES = new HashSet<>(Arrays.asList(Locale.getISOLanguages()));
    private final String name;
    private final Locale locale;

    private Culture(String name, Locale locale) {
        this.name = name;
        this.locale = locale;
    }

    /** {@code new CultureInfo(name)}; throws IllegalArgumentException with .NET's wording for unknown names. */
    public static Object of(String name) {
        if (name == null) {
            throw new IllegalArgumentException("Value cannot be null. (Parameter 'name')");
        }
        if (name.isEmpty()) {
            return DotnetEnums.CultureInfo.InvariantCulture;
        }
        Locale l = Locale.forLanguageTag(name);
        if (l.getLanguage().isEmpty() || !LANGUAGES.contains(l.getLanguage()) || !l.toLanguageTag().equalsIgnoreCase(name)) {
            throw new IllegalArgumentException("Culture is not supported. (Parameter 'name') " + name
                    + " is an invalid culture identifier.");
        }
        return new Culture(l.toLanguageTag(), l);
    }

    /** The culture of a provider argument; null for the invariant culture. */
    public static Culture from(Object provider) {
        return provider instanceof Culture c ? c : null;
    }

    public String name() {
        return name;
    }

    public Locale locale() {
        return locale;
    }

    private DecimalFormatSymbols symbols() {
        return DecimalFormatSymbols.getInstance(locale);
    }

    /** Formats a number as .NET would for this culture; {@code invariant} is the invariant-culture text. */
    public String number(Object value, String format, String invariant) {
        String f = format == null ? "" : format;
        char spec = f.isEmpty() ? 'G' : Character.toUpperCase(f.charAt(0));
        if (spec == 'X') {
            return invariant;
        }
        if (spec == 'C' && (f.length() == 1 || f.substring(1).chars().allMatch(Character::isDigit))) {
            NumberFormat nf = NumberFormat.getCurrencyInstance(locale);
            int digits = f.length() > 1 ? Integer.parseInt(f.substring(1)) : nf.getCurrency() == null ? 2
                    : Math.max(nf.getCurrency().getDefaultFractionDigits(), 0);
            nf.setMinimumFractionDigits(digits);
            nf.setMaximumFractionDigits(digits);
            nf.setRoundingMode(java.math.RoundingMode.HALF_EVEN);
            return nf.format(value instanceof java.math.BigDecimal b ? b : new java.math.BigDecimal(value.toString()));
        }
        DecimalFormatSymbols s = symbols();
        char dec = s.getDecimalSeparator();
        char group = s.getGroupingSeparator();
        StringBuilder sb = new StringBuilder(invariant.length());
        for (char c : invariant.toCharArray()) {
            sb.append(c == '.' ? dec : c == ',' ? group : c);
        }
        return sb.toString();
    }

    /** Reads a number written in this culture into the invariant form the parsers take. */
    public String invariantNumber(String s) {
        DecimalFormatSymbols sy = symbols();
        char dec = sy.getDecimalSeparator();
        char group = sy.getGroupingSeparator();
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == group || group == '\u202f' && (c == '\u00a0' || c == ' ') || group == '\u00a0' && (c == '\u202f' || c == ' ')) {
                continue;
            }
            sb.append(c == dec ? '.' : c);
        }
        return sb.toString();
    }

    /** The month name; {@code inDate} picks the form used next to a day number (genitive in some languages). */
    public String monthName(int month, boolean abbreviated, boolean inDate) {
        java.time.format.TextStyle style = abbreviated
                ? (inDate ? java.time.format.TextStyle.SHORT : java.time.format.TextStyle.SHORT_STANDALONE)
                : (inDate ? java.time.format.TextStyle.FULL : java.time.format.TextStyle.FULL_STANDALONE);
        return java.time.Month.of(month).getDisplayName(style, locale);
    }

    public String dayName(java.time.DayOfWeek d, boolean abbreviated) {
        return d.getDisplayName(abbreviated ? java.time.format.TextStyle.SHORT : java.time.format.TextStyle.FULL, locale);
    }

    public String amPm(boolean pm) {
        return java.text.DateFormatSymbols.getInstance(locale).getAmPmStrings()[pm ? 1 : 0];
    }

    /** The culture's date separator, read off its short date pattern ("." for de-DE, "/" for fr-FR). */
    public String dateSeparator() {
        String p = DateTimeFormatterBuilder.getLocalizedDateTimePattern(FormatStyle.SHORT, null, IsoChronology.INSTANCE, locale);
        for (char c : p.toCharArray()) {
            if (!Character.isLetter(c) && c != '\'' && c != ' ') {
                return String.valueOf(c);
            }
        }
        return "/";
    }

    public String upper(String s) {
        return s.toUpperCase(locale);
    }

    public String lower(String s) {
        return s.toLowerCase(locale);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Culture c && c.name.equals(name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name);
    }

    @Override
    public String toString() {
        return name;
    }

    /** A value to be formatted in a culture: what string.Format(provider, ...) passes to each hole. */
    public record Bound(Object value, Culture culture) {
        public String format(String f) {
            if (value instanceof Number) {
                return culture.number(value, f == null ? "" : f, Dotnet.formatValue(value, f));
            }
            if (value instanceof DateTime d) {
                return d.format(f == null || f.isEmpty() ? "G" : f, culture);
            }
            return Dotnet.formatValue(value, f);
        }

        @Override
        public String toString() {
            return format(null);
        }
    }
}
