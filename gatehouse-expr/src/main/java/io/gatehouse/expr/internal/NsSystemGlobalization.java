package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.DotnetEnums.CultureInfo;

import java.util.Locale;

/**
 * {@code System.Globalization}: {@code CultureInfo}, for number and date formatting.
 */
final class NsSystemGlobalization {
    private static final Type S = Type.STRING;

    private NsSystemGlobalization() {
    }

    /** Enum values as static members. */
    static void registerEnums(Library l) {
        l.enumType("CultureInfo", l.tCulture, CultureInfo.values());
    }

    /** CultureInfo: specific cultures for number and date formatting. */
    static void registerCultureInfo(Library l) {
        Members m = l.m;
        Type cul = l.tCulture;
        m.registerClass(io.gatehouse.expr.lib.Culture.class, cul);
        m.method("new:CultureInfo", ".ctor", cul, (o, a, x) -> culture(a[0]), S);
        m.method("static:CultureInfo", "GetCultureInfo", cul, (o, a, x) -> culture(a[0]), S);
        m.method("static:CultureInfo", "CreateSpecificCulture", cul, (o, a, x) -> culture(a[0]), S);
        m.prop(cul, "Name", S, o -> o instanceof io.gatehouse.expr.lib.Culture c ? c.name() : "");
        m.prop(cul, "TwoLetterISOLanguageName", S, o -> o instanceof io.gatehouse.expr.lib.Culture c
                ? c.locale().getLanguage() : "iv");
        for (int n = 1; n < Ops.MAX_PARAMS; n++) {
            Type[] ps = new Type[n + 1];
            ps[0] = cul;
            ps[1] = S;
            java.util.Arrays.fill(ps, 2, ps.length, Type.OBJECT);
            m.method("static:String", "Format", S, (o, a, x) -> {
                if (a[1] == null) {
                    throw Ops.argNull("format");
                }
                io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(a[0]);
                Object[] rest = new Object[a.length - 2];
                for (int k = 0; k < rest.length; k++) {
                    rest[k] = c == null || a[k + 2] == null ? a[k + 2] : new io.gatehouse.expr.lib.Culture.Bound(a[k + 2], c);
                }
                try {
                    return Ops.checkLength(Dotnet.compositeFormat((String) a[1], rest));
                } catch (IllegalArgumentException e) {
                    throw new ExpressionException("System.FormatException", e.getMessage());
                }
            }, ps);
        }
        m.method(S, "ToUpper", S, (o, a, x) -> {
            io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(a[0]);
            return c == null ? ((String) o).toUpperCase(java.util.Locale.ROOT) : c.upper((String) o);
        }, cul);
        m.method(S, "ToLower", S, (o, a, x) -> {
            io.gatehouse.expr.lib.Culture c = io.gatehouse.expr.lib.Culture.from(a[0]);
            return c == null ? ((String) o).toLowerCase(java.util.Locale.ROOT) : c.lower((String) o);
        }, cul);
    }

    private static Object culture(Object name) {
        try {
            return io.gatehouse.expr.lib.Culture.of((String) name);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException(name == null ? "System.ArgumentNullException" : "System.Globalization.CultureNotFoundException", e.getMessage());
        }
    }
}
