package io.gatehouse.expr.internal;

import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.TextEncoding;

import static io.gatehouse.expr.internal.Args.i;
import static io.gatehouse.expr.internal.Args.n;
import static io.gatehouse.expr.internal.Args.s;
import static io.gatehouse.expr.internal.Args.sb;

/**
 * {@code System.Text}: {@code Encoding} and {@code StringBuilder}.
 */
final class NsSystemText {
    private static final Type I = Type.INT;
    private static final Type S = Type.STRING;

    private NsSystemText() {
    }

    /** Encoding. */
    static void registerEncoding(Library l) {
        Members m = l.m;
        l.staticProp("Encoding", "UTF8", l.tEncoding, o -> TextEncoding.UTF8);
        l.staticProp("Encoding", "ASCII", l.tEncoding, o -> TextEncoding.ASCII);
        l.staticProp("Encoding", "Unicode", l.tEncoding, o -> TextEncoding.UNICODE);
        m.method(l.tEncoding, "GetBytes", Type.BYTE_ARRAY, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("s");
            }
            return ((TextEncoding) o).getBytes(s(a[0]));
        }, S);
        l.staticProp("Encoding", "BigEndianUnicode", l.tEncoding, o -> TextEncoding.BIG_ENDIAN_UNICODE);
        l.staticProp("Encoding", "UTF32", l.tEncoding, o -> TextEncoding.UTF32);
        l.staticProp("Encoding", "Latin1", l.tEncoding, o -> TextEncoding.LATIN1);
        m.method("static:Encoding", "GetEncoding", l.tEncoding, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("name");
            }
            TextEncoding e = TextEncoding.byName(s(a[0]));
            if (e == null) {
                throw new io.gatehouse.expr.ExpressionException("System.ArgumentException",
                        "'" + s(a[0]) + "' is not a supported encoding name. For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method. (Parameter 'name')");
            }
            return e;
        }, S);
        m.method("static:Encoding", "GetEncoding", l.tEncoding, (o, a, t) -> {
            TextEncoding e = TextEncoding.byCodePage(i(a[0]));
            if (e == null) {
                throw new io.gatehouse.expr.ExpressionException("System.NotSupportedException",
                        "No data is available for encoding " + i(a[0]) + ". For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method.");
            }
            return e;
        }, I);
        m.prop(l.tEncoding, "WebName", S, o -> ((TextEncoding) o).webName());
        m.prop(l.tEncoding, "CodePage", I, o -> ((TextEncoding) o).codePage());
        m.method(l.tEncoding, "GetByteCount", I, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("s");
            }
            return ((TextEncoding) o).getBytes(s(a[0])).length;
        }, S);
        m.method(l.tEncoding, "GetString", S, (o, a, t) -> {
            if (a[0] == null) {
                throw Ops.argNull("bytes");
            }
            byte[] b = (byte[]) a[0];
            return ((TextEncoding) o).getString(b, 0, b.length);
        }, Type.BYTE_ARRAY);
        m.method(l.tEncoding, "GetString", S, (o, a, t) -> {
            byte[] b = (byte[]) a[0];
            int off = i(a[1]);
            int n = i(a[2]);
            if (off < 0 || n < 0 || off + n > b.length) {
                throw Ops.outOfRange("count", "Index and count must refer to a location within the buffer.");
            }
            return ((TextEncoding) o).getString(b, off, n);
        }, Type.BYTE_ARRAY, I, I);
    }

    static void registerStringBuilder(Library l) {
        Members m = l.m;
        builder(l, m);
    }

    private static StringBuilder grow(StringBuilder b) {
        if (b.length() > Ops.MAX_STRING) {
            throw Ops.tooLong();
        }
        return b;
    }

    private static void builder(Library l, Members m) {
        Type SB = l.tBuilder;
        Type S = Type.STRING;
        m.method("new:StringBuilder", ".ctor", SB, (o, a, t) -> new StringBuilder());
        m.method("new:StringBuilder", ".ctor", SB, (o, a, t) -> new StringBuilder(a[0] == null ? "" : s(a[0])), S);
        m.method(SB, "Append", SB, (o, a, t) -> grow(sb(o).append(Dotnet.toStr(a[0]))), Type.OBJECT);
        m.method(SB, "AppendLine", SB, (o, a, t) -> grow(sb(o).append('\n')));
        m.method(SB, "AppendLine", SB, (o, a, t) -> grow(sb(o).append(a[0] == null ? "" : s(a[0])).append('\n')), S);
        m.method(SB, "AppendFormat", SB, (o, a, t) -> grow(sb(o).append(Dotnet.compositeFormat(s(a[0]), new Object[] {a[1]}))), S, Type.OBJECT);
        m.method(SB, "Insert", SB, (o, a, t) -> {
            int at = i(a[0]);
            if (at < 0 || at > sb(o).length()) {
                throw Ops.outOfRange("index", "Index was out of range. Must be non-negative and less than or equal to the size of the collection.");
            }
            return grow(sb(o).insert(at, Dotnet.toStr(a[1])));
        }, Type.INT, Type.OBJECT);
        m.method(SB, "Clear", SB, (o, a, t) -> {
            sb(o).setLength(0);
            return o;
        });
        m.method(SB, "Replace", SB, (o, a, t) -> {
            String r = sb(o).toString().replace(s(a[0]), a[1] == null ? "" : s(a[1]));
            sb(o).setLength(0);
            return grow(sb(o).append(r));
        }, S, S);
        m.method(SB, "Remove", SB, (o, a, t) -> {
            int start = i(a[0]);
            int len = i(a[1]);
            if (len < 0) {
                throw Ops.outOfRange("length", "Length cannot be less than zero.");
            }
            if (start < 0) {
                throw Ops.outOfRange("startIndex", "StartIndex cannot be less than zero.");
            }
            if (len > sb(o).length() - start) {
                throw Ops.outOfRange("length", "Index and length must refer to a location within the string.");
            }
            sb(o).delete(start, start + len);
            return o;
        }, I, I);
        m.method(SB, "AppendFormat", SB, (o, a, t) -> grow(sb(o).append(Dotnet.compositeFormat(s(a[0]), new Object[] {a[1], a[2]}))),
                S, Type.OBJECT, Type.OBJECT);
        m.method(SB, "AppendFormat", SB, (o, a, t) -> grow(sb(o).append(Dotnet.compositeFormat(s(a[0]), new Object[] {a[1], a[2], a[3]}))),
                S, Type.OBJECT, Type.OBJECT, Type.OBJECT);
        m.method(SB, "ToString", S, (o, a, t) -> sb(o).toString());
        m.prop(SB, "Length", Type.INT, o -> sb(o).length());
    }
}
