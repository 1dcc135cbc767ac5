package io.gatehouse.expr.lib;

/** The .NET enums policy expressions use as arguments. Constant names match .NET exactly. */
public final class DotnetEnums {
    private DotnetEnums() {
    }

    public enum StringComparison {
        CurrentCulture, CurrentCultureIgnoreCase, InvariantCulture, InvariantCultureIgnoreCase, Ordinal,
        OrdinalIgnoreCase;

        public boolean ignoreCase() {
            return name().endsWith("IgnoreCase");
        }
    }

    public enum StringSplitOptions { None, RemoveEmptyEntries, TrimEntries }

    /** Newtonsoft.Json.Formatting. */
    public enum Formatting { None, Indented }

    public enum RegexOptions { None, IgnoreCase, Multiline, Singleline, ExplicitCapture, IgnorePatternWhitespace, CultureInvariant }

    /** Several RegexOptions combined with '|', printed as .NET prints flags ("IgnoreCase, Multiline"). */
    public record RegexFlags(java.util.Set<RegexOptions> options) {
        public RegexFlags {
            options = java.util.Collections.unmodifiableSet(java.util.EnumSet.copyOf(options));
        }

        @Override
        public String toString() {
            return options.isEmpty() ? "None" : String.join(", ", options.stream().map(Enum::name).toList());
        }
    }

    /** CultureInfo: only the invariant culture exists here; any provider argument is accepted and ignored. */
    public enum CultureInfo { InvariantCulture, CurrentCulture }
}
