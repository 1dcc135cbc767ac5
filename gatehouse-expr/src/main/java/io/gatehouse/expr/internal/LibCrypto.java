package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.lib.Crypto;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.Crypto.DotnetRandom;
import io.gatehouse.expr.lib.Crypto.Hash;
import io.gatehouse.expr.lib.Crypto.Hmac;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.JProperty;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The .NET types APIM's allowed-types list names that real policy documents reach for beyond
 * strings, dates and JSON: {@code System.Security.Cryptography} (HMACs, hashes, APIM's
 * {@code byte[].Encrypt/Decrypt}), {@code Random}, {@code WebUtility}, {@code IPAddress},
 * {@code Dictionary}, {@code HashSet}, {@code List} members, {@code JsonConvert}, {@code CultureInfo},
 * exceptions, {@code MidpointRounding}, {@code Guid} bytes and a few conversions.
 */
final class LibCrypto {
    static final String[] HMACS = {"HMACSHA256", "HMACSHA1", "HMACSHA384", "HMACSHA512", "HMACMD5"};
    static final String[] HASHES = {"SHA256", "SHA1", "SHA384", "SHA512", "MD5"};

    private LibCrypto() {
    }

    private static byte[] bytes(Object o, String param) {
        if (o == null) {
            throw LibStrings.argNull(param);
        }
        return (byte[]) o;
    }

    private static ExpressionException crypto(String msg) {
        return new ExpressionException("System.Security.Cryptography.CryptographicException", msg);
    }

    static void register(Library l) {
        Members m = l.m;
        Type BA = Type.BYTE_ARRAY;
        Type I = Type.INT;
        Type S = Type.STRING;

        // ---- keyed hashes: new HMACSHA256(key), new HMACSHA256 { Key = key }, ComputeHash
        for (String name : HMACS) {
            Type t = m.type(name, Hmac.class);
            l.staticName(name, name);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hmac(name, bytes(a[0], "key")), BA);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hmac(name, randomKey(name)));
            hashMethods(m, t.name(), true);
            m.prop(t, "Key", BA, o -> ((Hmac) o).key());
            l.setter(t, "Key", BA, (o, v) -> {
                if (v == null) {
                    throw LibStrings.argNull("value");
                }
                ((Hmac) o).key((byte[]) v);
            });
            m.prop(t, "HashSize", I, o -> ((Hmac) o).hashSize());
        }
        // ---- hashes: SHA256.Create(), new SHA256Managed(), SHA256.HashData(bytes)
        for (String name : HASHES) {
            Type t = m.type(name, Hash.class);
            l.staticName(name, name);
            m.method("static:" + name, "Create", t, (o, a, x) -> new Hash(name));
            m.method("static:" + name, "HashData", BA, (o, a, x) -> {
                byte[] b = bytes(a[0], "source");
                return Crypto.digest(name, b, 0, b.length);
            }, BA);
            m.alias(name + "Managed", t);
            m.alias(name + "CryptoServiceProvider", t);
            m.method("new:" + name, ".ctor", t, (o, a, x) -> new Hash(name));
            hashMethods(m, t.name(), false);
        }

        // ---- APIM's byte[] extensions: input.Encrypt("Aes", key, iv), input.Decrypt("Aes", key, iv)
        for (boolean enc : new boolean[] {true, false}) {
            m.method("Array", enc ? "Encrypt" : "Decrypt", BA, (o, a, x) -> {
                if (!(o instanceof byte[] input)) {
                    throw ExpressionException.invalidCast();
                }
                try {
                    return Crypto.symmetric(enc, input, (String) a[0], bytes(a[1], "key"), bytes(a[2], "iv"));
                } catch (IllegalArgumentException e) {
                    throw crypto(e.getMessage());
                }
            }, S, BA, BA);
        }

        // ---- System.Random
        Type rnd = m.type("Random", DotnetRandom.class);
        m.method("new:Random", ".ctor", rnd, (o, a, x) -> new DotnetRandom());
        m.method("new:Random", ".ctor", rnd, (o, a, x) -> new DotnetRandom(Ops.asInt(a[0])), I);
        m.method(rnd, "Next", I, (o, a, x) -> ((DotnetRandom) o).next());
        m.method(rnd, "Next", I, (o, a, x) -> guard(() -> ((DotnetRandom) o).next(Ops.asInt(a[0]))), I);
        m.method(rnd, "Next", I, (o, a, x) -> guard(() -> ((DotnetRandom) o).next(Ops.asInt(a[0]), Ops.asInt(a[1]))), I, I);
        m.method(rnd, "NextDouble", Type.DOUBLE, (o, a, x) -> ((DotnetRandom) o).nextDouble());

        // ---- System.Net.WebUtility
        l.staticName("WebUtility", "WebUtility");
        String wu = "static:WebUtility";
        m.method(wu, "UrlEncode", S, (o, a, x) -> a[0] == null ? null : urlEncode((String) a[0]), S);
        m.method(wu, "UrlDecode", S, (o, a, x) -> a[0] == null ? null : urlDecode((String) a[0]), S);
        m.method(wu, "HtmlEncode", S, (o, a, x) -> a[0] == null ? null : htmlEncode((String) a[0]), S);
        m.method(wu, "HtmlDecode", S, (o, a, x) -> a[0] == null ? null : htmlDecode((String) a[0]), S);

        // ---- new DateTimeOffset(dateTime): the same instant (DateTimeOffset shares DateTime's type here)
        m.method("new:DateTime", ".ctor", l.tDateTime, (o, a, x) -> a[0], l.tDateTime);

        // ---- Guid bytes, in .NET's mixed-endian layout
        m.method(l.tGuid, "ToByteArray", BA, (o, a, x) -> guidBytes((Guid) o));
        m.method("new:Guid", ".ctor", l.tGuid, (o, a, x) -> guidOf(bytes(a[0], "b")), BA);

        // ---- Convert.ToByte / ToInt16 / ToChar
        String cv = "static:Convert";
        m.method(cv, "ToByte", Type.BYTE, (o, a, x) -> checkedRange(a[0], 0, 255, "Byte"), Type.OBJECT);
        m.method(cv, "ToInt16", I, (o, a, x) -> checkedRange(a[0], Short.MIN_VALUE, Short.MAX_VALUE, "Int16"), Type.OBJECT);
        m.method(cv, "ToChar", Type.CHAR, (o, a, x) -> (char) (int) checkedRange(a[0], 0, 65535, "Char"), Type.INT);

        // ---- JProperty.Remove()
        m.method(l.tJProperty, "Remove", Type.VOID, (o, a, x) -> {
            try {
                ((JProperty) o).remove();
            } catch (IllegalStateException e) {
                throw new ExpressionException("System.InvalidOperationException", e.getMessage());
            }
            return null;
        });

        // ---- Newtonsoft's JsonConvert
        l.staticName("JsonConvert", "JsonConvert");
        String jc = "static:JsonConvert";
        m.method(jc, "SerializeObject", S, (o, a, x) -> serialize(a[0], false), Type.OBJECT);
        m.method(jc, "SerializeObject", S, (o, a, x) -> serialize(a[0],
                a[1] == io.gatehouse.expr.lib.DotnetEnums.Formatting.Indented), Type.OBJECT, l.tFormatting);
        m.method(jc, "DeserializeObject", Type.OBJECT, (o, a, x) -> parseJson(a[0]), S);
        m.generic(jc, "DeserializeObject", (t, args, ta) -> ta, (o, a, ta) -> deserialize(parseJson(a[0]), ta), S);

        // ---- context.Request.Body.AsFormUrlEncodedContent(preserveContent)
        Type form = new Type("IDictionary<string, IList<string>>", java.util.Map.class, null);
        Type strings = Type.realListOf(S);
        m.method(l.tBody.name(), "AsFormUrlEncodedContent", form, (o, a, x) -> formContent(
                ((io.gatehouse.expr.context.MessageBody) o).readString(false)));
        m.method(l.tBody.name(), "AsFormUrlEncodedContent", form, (o, a, x) -> formContent(
                ((io.gatehouse.expr.context.MessageBody) o).readString((Boolean) a[0])), Type.BOOL);
        l.indexer(form, S, strings, (o, k) -> {
            Object v = ((java.util.Map<?, ?>) o).get(k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v;
        }, null);
        m.method(form.name(), "ContainsKey", Type.BOOL, (o, a, x) -> ((java.util.Map<?, ?>) o).containsKey(a[0]), S);
        m.prop(form.name(), "Count", I, o -> ((java.util.Map<?, ?>) o).size());
        m.method(form.name(), "ToFormUrlEncodedContent", S, (o, a, x) -> toForm((java.util.Map<?, ?>) o));
        m.prop(form.name(), "Keys", Type.STRING_ARRAY, o -> ((java.util.Map<?, ?>) o).keySet().toArray(String[]::new));
        m.outMethod(form.name(), "TryGetValue", Type.BOOL, 1, strings, (o, a, x) -> {
            Object v = ((java.util.Map<?, ?>) o).get(a[0]);
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, S, Type.OBJECT);

        // ---- Dictionary<K, V> (types per instantiation: the Checker types Keys/Values/Key/Value and the indexer)
        String dc = "Dictionary";
        m.method(dc, "Add", Type.VOID, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            if (a[0] == null) {
                throw LibStrings.argNull("key");
            }
            if (map.containsKey(a[0])) {
                throw new ExpressionException("System.ArgumentException", "An item with the same key has already been added. Key: " + a[0]);
            }
            map.put(a[0], a[1]);
            return null;
        }, Type.OBJECT, Type.OBJECT);
        m.method(dc, "ContainsKey", Type.BOOL, (o, a, x) -> mapOf(o).containsKey(a[0]), Type.OBJECT);
        m.method(dc, "ContainsValue", Type.BOOL, (o, a, x) -> mapOf(o).values().stream().anyMatch(v -> Ops.equal(v, a[0])), Type.OBJECT);
        m.method(dc, "Remove", Type.BOOL, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            boolean had = map.containsKey(a[0]);
            map.remove(a[0]);
            return had;
        }, Type.OBJECT);
        m.method(dc, "Clear", Type.VOID, (o, a, x) -> {
            mapOf(o).clear();
            return null;
        });
        m.methodR(dc, "GetValueOrDefault", (t, args, ta) -> t.value(), (o, a, x) -> mapOf(o).get(a[0]), Type.OBJECT);
        m.methodR(dc, "GetValueOrDefault", (t, args, ta) -> t.value(), (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            return map.containsKey(a[0]) ? map.get(a[0]) : a[1];
        }, Type.OBJECT, Type.OBJECT);
        m.outMethod(dc, "TryGetValue", Type.BOOL, 1, Type.OBJECT, (o, a, x) -> {
            java.util.Map<Object, Object> map = mapOf(o);
            ((Object[]) a[1])[0] = map.get(a[0]);
            return map.containsKey(a[0]);
        }, Type.OBJECT, Type.OBJECT);
        m.prop(dc, "Count", I, o -> mapOf(o).size());
        m.prop(dc, "Keys", Type.listOf(Type.OBJECT), o -> new java.util.ArrayList<Object>(mapOf(o).keySet()));
        m.prop(dc, "Values", Type.listOf(Type.OBJECT), o -> new java.util.ArrayList<Object>(mapOf(o).values()));
        m.prop("KeyValuePair", "Key", Type.OBJECT, o -> ((java.util.Map.Entry<?, ?>) o).getKey());
        m.prop("KeyValuePair", "Value", Type.OBJECT, o -> ((java.util.Map.Entry<?, ?>) o).getValue());
        Type cmp = m.type("StringComparer", String.class);
        l.staticName("StringComparer", "StringComparer");
        for (String c : new String[] {"Ordinal", "OrdinalIgnoreCase", "InvariantCulture", "InvariantCultureIgnoreCase",
            "CurrentCulture", "CurrentCultureIgnoreCase"}) {
            l.staticProp("StringComparer", c, cmp, o -> "StringComparer." + c);
        }

        // ---- CultureInfo: specific cultures for number and date formatting
        Type cul = l.tCulture;
        m.registerClass(io.gatehouse.expr.lib.Culture.class, cul);
        m.method("new:CultureInfo", ".ctor", cul, (o, a, x) -> culture(a[0]), S);
        m.method("static:CultureInfo", "GetCultureInfo", cul, (o, a, x) -> culture(a[0]), S);
        m.method("static:CultureInfo", "CreateSpecificCulture", cul, (o, a, x) -> culture(a[0]), S);
        m.prop(cul, "Name", S, o -> o instanceof io.gatehouse.expr.lib.Culture c ? c.name() : "");
        m.prop(cul, "TwoLetterISOLanguageName", S, o -> o instanceof io.gatehouse.expr.lib.Culture c
                ? c.locale().getLanguage() : "iv");
        for (int n = 1; n < LibStrings.MAX_PARAMS; n++) {
            Type[] ps = new Type[n + 1];
            ps[0] = cul;
            ps[1] = S;
            java.util.Arrays.fill(ps, 2, ps.length, Type.OBJECT);
            m.method("static:String", "Format", S, (o, a, x) -> {
                if (a[1] == null) {
                    throw LibStrings.argNull("format");
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

        // ---- ExpressionSyntaxExtensions: APIM's static helpers behind AsJwt / AsBasic
        l.staticName("ExpressionSyntaxExtensions", "ExpressionSyntaxExtensions");
        String ese = "static:ExpressionSyntaxExtensions";
        Type jwt = m.named("Jwt");
        Type basic = m.named("BasicAuthCredentials");
        m.method(ese, "AsJwt", jwt, (o, a, x) -> a[0] == null ? null : io.gatehouse.expr.lib.Jwt.parse((String) a[0]), S);
        m.outMethod(ese, "TryParseJwt", Type.BOOL, 1, jwt, (o, a, x) -> {
            io.gatehouse.expr.lib.Jwt j = a[0] == null ? null : io.gatehouse.expr.lib.Jwt.parse((String) a[0]);
            ((Object[]) a[1])[0] = j;
            return j != null;
        }, S, Type.OBJECT);
        m.method(ese, "AsBasic", basic, (o, a, x) -> a[0] == null ? null
                : io.gatehouse.expr.lib.BasicAuthCredentials.parse((String) a[0]), S);
        m.outMethod(ese, "TryParseBasic", Type.BOOL, 1, basic, (o, a, x) -> {
            Object b = a[0] == null ? null : io.gatehouse.expr.lib.BasicAuthCredentials.parse((String) a[0]);
            ((Object[]) a[1])[0] = b;
            return b != null;
        }, S, Type.OBJECT);

        // ---- Math.Round with MidpointRounding
        Type mr = m.type("MidpointRounding", java.math.RoundingMode.class);
        l.staticName("MidpointRounding", "MidpointRounding");
        java.util.Map<String, java.math.RoundingMode> modes = new java.util.LinkedHashMap<>();
        modes.put("ToEven", java.math.RoundingMode.HALF_EVEN);
        modes.put("AwayFromZero", java.math.RoundingMode.HALF_UP);
        modes.put("ToZero", java.math.RoundingMode.DOWN);
        modes.put("ToNegativeInfinity", java.math.RoundingMode.FLOOR);
        modes.put("ToPositiveInfinity", java.math.RoundingMode.CEILING);
        modes.forEach((n, rm) -> l.staticProp("MidpointRounding", n, mr, o -> rm));
        m.method("static:Math", "Round", Type.DOUBLE, (o, a, x) -> roundDouble(Ops.asDouble(a[0]), 0, (java.math.RoundingMode) a[1]), Type.DOUBLE, mr);
        m.method("static:Math", "Round", Type.DOUBLE, (o, a, x) -> roundDouble(Ops.asDouble(a[0]), Ops.asInt(a[1]), (java.math.RoundingMode) a[2]), Type.DOUBLE, I, mr);
        m.method("static:Math", "Round", Type.DECIMAL, (o, a, x) -> ((java.math.BigDecimal) a[0]).setScale(0, (java.math.RoundingMode) a[1]), Type.DECIMAL, mr);
        m.method("static:Math", "Round", Type.DECIMAL, (o, a, x) -> ((java.math.BigDecimal) a[0]).setScale(Ops.asInt(a[1]), (java.math.RoundingMode) a[2]), Type.DECIMAL, I, mr);

        // ---- System.Net.IPAddress: literals only, never a DNS lookup
        Type ip = m.type("IPAddress", java.net.InetAddress.class);
        l.staticName("IPAddress", "IPAddress");
        Type family = m.type("AddressFamily", String.class);
        l.staticName("AddressFamily", "AddressFamily");
        l.staticProp("AddressFamily", "InterNetwork", family, o -> "InterNetwork");
        l.staticProp("AddressFamily", "InterNetworkV6", family, o -> "InterNetworkV6");
        m.method("static:IPAddress", "Parse", ip, (o, a, x) -> {
            java.net.InetAddress addr = ipLiteral((String) a[0]);
            if (addr == null) {
                throw new ExpressionException("System.FormatException", "An invalid IP address was specified.");
            }
            return addr;
        }, S);
        m.outMethod("static:IPAddress", "TryParse", Type.BOOL, 1, ip, (o, a, x) -> {
            java.net.InetAddress addr = a[0] == null ? null : ipLiteral((String) a[0]);
            ((Object[]) a[1])[0] = addr;
            return addr != null;
        }, S, Type.OBJECT);
        m.method("static:IPAddress", "IsLoopback", Type.BOOL, (o, a, x) -> ((java.net.InetAddress) a[0]).isLoopbackAddress(), ip);
        m.method(ip, "GetAddressBytes", BA, (o, a, x) -> ((java.net.InetAddress) o).getAddress());
        m.method(ip, "ToString", S, (o, a, x) -> ipText((java.net.InetAddress) o));
        m.prop(ip, "AddressFamily", family, o -> o instanceof java.net.Inet6Address ? "InterNetworkV6" : "InterNetwork");
        m.prop(ip, "IsIPv4MappedToIPv6", Type.BOOL, o -> false);
        m.method(ip, "MapToIPv4", ip, (o, a, x) -> o);

        // ---- TimeZoneInfo (Windows or IANA ids; the gateway's local zone is UTC)
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

        // ---- HashSet<T>
        m.method("HashSet", "Add", Type.BOOL, (o, a, x) -> setOf(o).add(a[0]), Type.OBJECT);
        m.method("HashSet", "Contains", Type.BOOL, (o, a, x) -> setOf(o).contains(a[0]), Type.OBJECT);
        m.method("HashSet", "Remove", Type.BOOL, (o, a, x) -> setOf(o).remove(a[0]), Type.OBJECT);
        m.method("HashSet", "Clear", Type.VOID, (o, a, x) -> {
            setOf(o).clear();
            return null;
        });
        m.method("HashSet", "UnionWith", Type.VOID, (o, a, x) -> {
            setOf(o).addAll(Ops.seq(a[0]));
            return null;
        }, Type.OBJECT);
        m.method("HashSet", "IntersectWith", Type.VOID, (o, a, x) -> {
            setOf(o).retainAll(new java.util.HashSet<>(Ops.seq(a[0])));
            return null;
        }, Type.OBJECT);
        m.method("HashSet", "ExceptWith", Type.VOID, (o, a, x) -> {
            setOf(o).removeAll(new java.util.HashSet<>(Ops.seq(a[0])));
            return null;
        }, Type.OBJECT);
        m.prop("HashSet", "Count", I, o -> setOf(o).size());

        // ---- exceptions (caught with catch, made with new Exception(message))
        Type ex = l.tException;
        m.prop(ex, "Message", S, o -> ((ExpressionException) o).getMessage());
        m.prop(ex, "InnerException", ex, o -> null);
        m.prop(ex, "StackTrace", S, o -> "");
        m.prop(ex, "Source", S, o -> "Gatehouse.PolicyExpression");
        m.method(ex, "ToString", S, (o, a, x) -> ((ExpressionException) o).dotNetType() + ": " + ((ExpressionException) o).getMessage());

        // ---- List<T> members beyond Count and the indexer
        m.method("List", "Add", Type.VOID, (o, a, x) -> {
            listOf(o).add(a[0]);
            return null;
        }, Type.OBJECT);
        m.method("List", "AddRange", Type.VOID, (o, a, x) -> {
            if (a[0] == null) {
                throw LibStrings.argNull("collection");
            }
            listOf(o).addAll(Ops.seq(a[0]));
            return null;
        }, Type.OBJECT);
        m.method("List", "Insert", Type.VOID, (o, a, x) -> {
            int at = Ops.asInt(a[0]);
            if (at < 0 || at > listOf(o).size()) {
                throw LibStrings.range("index", "Index must be within the bounds of the List.");
            }
            listOf(o).add(at, a[1]);
            return null;
        }, I, Type.OBJECT);
        m.method("List", "Remove", Type.BOOL, (o, a, x) -> {
            java.util.List<Object> list = listOf(o);
            for (int k = 0; k < list.size(); k++) {
                if (Ops.equal(list.get(k), a[0])) {
                    list.remove(k);
                    return true;
                }
            }
            return false;
        }, Type.OBJECT);
        m.method("List", "RemoveAt", Type.VOID, (o, a, x) -> {
            int at = Ops.asInt(a[0]);
            if (at < 0 || at >= listOf(o).size()) {
                throw LibStrings.range("index", "Index was out of range. Must be non-negative and less than the size of the collection.");
            }
            listOf(o).remove(at);
            return null;
        }, I);
        m.method("List", "Clear", Type.VOID, (o, a, x) -> {
            listOf(o).clear();
            return null;
        });
        m.method("List", "IndexOf", I, (o, a, x) -> {
            java.util.List<Object> list = listOf(o);
            for (int k = 0; k < list.size(); k++) {
                if (Ops.equal(list.get(k), a[0])) {
                    return k;
                }
            }
            return -1;
        }, Type.OBJECT);

        // ---- Array statics that need no lambda
        l.staticName("Array", "Array");
        String ar = "static:Array";
        m.method(ar, "Copy", Type.VOID, (o, a, x) -> {
            arrayCopy(a[0], 0, a[1], 0, Ops.asInt(a[2]));
            return null;
        }, Type.OBJECT, Type.OBJECT, I);
        m.method(ar, "Copy", Type.VOID, (o, a, x) -> {
            arrayCopy(a[0], Ops.asInt(a[1]), a[2], Ops.asInt(a[3]), Ops.asInt(a[4]));
            return null;
        }, Type.OBJECT, I, Type.OBJECT, I, I);
        m.method(ar, "IndexOf", I, (o, a, x) -> {
            java.util.List<Object> items = Ops.seq(a[0]);
            for (int k = 0; k < items.size(); k++) {
                if (Ops.equal(items.get(k), a[1])) {
                    return k;
                }
            }
            return -1;
        }, Type.OBJECT, Type.OBJECT);
        m.method(ar, "Reverse", Type.VOID, (o, a, x) -> {
            reverse(a[0]);
            return null;
        }, Type.OBJECT);
    }

    private static Object culture(Object name) {
        try {
            return io.gatehouse.expr.lib.Culture.of((String) name);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException(name == null ? "System.ArgumentNullException" : "System.Globalization.CultureNotFoundException", e.getMessage());
        }
    }

    private static String serialize(Object v, boolean indented) {
        if (v instanceof String str) {
            return io.gatehouse.expr.lib.JToken.from(str).toString(false);
        }
        return io.gatehouse.expr.lib.JToken.from(v).toString(indented);
    }

    private static io.gatehouse.expr.lib.JToken parseJson(Object text) {
        if (text == null) {
            throw LibStrings.argNull("value");
        }
        try {
            return io.gatehouse.expr.lib.Json.parse((String) text);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonReaderException", e.getMessage());
        }
    }

    /** {@code JsonConvert.DeserializeObject<T>}: JSON tokens as themselves, arrays and lists of values, plain values. */
    private static Object deserialize(io.gatehouse.expr.lib.JToken tok, Type t) {
        if (t.isDynamic() || t.cls().isInstance(tok)) {
            return tok;
        }
        if (t.isArray() || t.isList()) {
            if (!(tok instanceof io.gatehouse.expr.lib.JArray arr)) {
                throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                        "Cannot deserialize the current JSON object into type '" + t.name() + "' because the type requires a JSON array.");
            }
            java.util.List<Object> items = new java.util.ArrayList<>();
            for (io.gatehouse.expr.lib.JToken item : arr.items()) {
                items.add(deserialize(item, t.elem()));
            }
            return t.isList() ? items : Conv.toArray(items.toArray(), t.elem());
        }
        Object v = tok instanceof io.gatehouse.expr.lib.JValue jv ? jv.value() : tok;
        if (v == null) {
            return Conv.zero(t);
        }
        if (t == Type.STRING) {
            return Dotnet.toStr(v);
        }
        try {
            return Conv.cast(v instanceof Long n && t == Type.INT ? (Object) (int) (long) n : v, t, false);
        } catch (ExpressionException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonSerializationException",
                    "Error converting value to type '" + t.name() + "'.");
        }
    }

    /** Back to {@code application/x-www-form-urlencoded}: each value of each key, escaped as .NET's FormUrlEncodedContent does. */
    private static String toForm(java.util.Map<?, ?> form) {
        StringBuilder sb = new StringBuilder();
        for (java.util.Map.Entry<?, ?> e : form.entrySet()) {
            for (Object v : Ops.seq(e.getValue())) {
                if (sb.length() > 0) {
                    sb.append('&');
                }
                sb.append(formEscape(String.valueOf(e.getKey()))).append('=').append(formEscape(v == null ? "" : Dotnet.toStr(v)));
            }
        }
        return sb.toString();
    }

    /** Form encoding as .NET's FormUrlEncodedContent writes it: unreserved are A-Z a-z 0-9 - _ . ~. */
    private static String formEscape(String s) {
        return percentEncode(s, "-_.~");
    }

    private static java.util.Map<String, java.util.List<Object>> formContent(String body) {
        java.util.Map<String, java.util.List<Object>> out = new java.util.LinkedHashMap<>();
        if (body == null || body.isEmpty()) {
            return out;
        }
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = urlDecode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : urlDecode(pair.substring(eq + 1));
            out.computeIfAbsent(k, x -> new java.util.ArrayList<>()).add(v);
        }
        return out;
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
            throw LibStrings.argNull(param);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    private static java.util.Set<Object> setOf(Object o) {
        return (java.util.Set<Object>) o;
    }

    private static double roundDouble(double v, int digits, java.math.RoundingMode mode) {
        if (digits < 0 || digits > 15) {
            throw LibStrings.range("digits", "Rounding digits must be between 0 and 15, inclusive.");
        }
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        return new java.math.BigDecimal(v).setScale(digits, mode).doubleValue();
    }

    /** An IPv4 dotted quad or an IPv6 literal; null otherwise. Never resolves a host name. */
    static java.net.InetAddress ipLiteral(String s) {
        String t = s.trim();
        try {
            if (t.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                String[] parts = t.split("\\.");
                byte[] b = new byte[4];
                for (int k = 0; k < 4; k++) {
                    int v = Integer.parseInt(parts[k]);
                    if (v > 255) {
                        return null;
                    }
                    b[k] = (byte) v;
                }
                return java.net.InetAddress.getByAddress(b);
            }
            if (t.startsWith("[") && t.endsWith("]")) {
                t = t.substring(1, t.length() - 1);
            }
            if (t.contains(":") && t.matches("[0-9A-Fa-f:.%a-zA-Z0-9]+")) {
                return java.net.InetAddress.getByName(t.contains("%") ? t.substring(0, t.indexOf('%')) : t);
            }
        } catch (java.net.UnknownHostException | NumberFormatException e) {
            return null;
        }
        return null;
    }

    /** .NET's text: dotted quad, or the compressed IPv6 form. */
    static String ipText(java.net.InetAddress a) {
        if (a instanceof java.net.Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] w = new int[8];
        for (int k = 0; k < 8; k++) {
            w[k] = ((b[2 * k] & 0xff) << 8) | (b[2 * k + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int k = 0; k < 8; ) {
            if (w[k] != 0) {
                k++;
                continue;
            }
            int j = k;
            while (j < 8 && w[j] == 0) {
                j++;
            }
            if (j - k > bestLen && j - k > 1) {
                bestStart = k;
                bestLen = j - k;
            }
            k = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(w[k]));
        }
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static java.util.Map<Object, Object> mapOf(Object o) {
        return (java.util.Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static java.util.List<Object> listOf(Object o) {
        if (!(o instanceof java.util.ArrayList<?>)) {
            throw new ExpressionException("System.NotSupportedException", "Collection was of a fixed size.");
        }
        return (java.util.List<Object>) o;
    }

    private static void hashMethods(Members m, String owner, boolean keyed) {
        m.method(owner, "ComputeHash", Type.BYTE_ARRAY, (o, a, x) -> {
            byte[] b = bytes(a[0], "buffer");
            return hash(o, b, 0, b.length);
        }, Type.BYTE_ARRAY);
        m.method(owner, "ComputeHash", Type.BYTE_ARRAY, (o, a, x) -> {
            byte[] b = bytes(a[0], "buffer");
            int off = Ops.asInt(a[1]);
            int n = Ops.asInt(a[2]);
            if (off < 0 || n < 0 || off + n > b.length) {
                throw new ExpressionException("System.ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.");
            }
            return hash(o, b, off, n);
        }, Type.BYTE_ARRAY, Type.INT, Type.INT);
        m.method(owner, "Dispose", Type.VOID, (o, a, x) -> null);
        m.method(owner, "Clear", Type.VOID, (o, a, x) -> null);
    }

    private static byte[] hash(Object o, byte[] b, int off, int n) {
        return o instanceof Hmac h ? h.computeHash(b, off, n) : ((Hash) o).computeHash(b, off, n);
    }

    private static byte[] randomKey(String name) {
        byte[] k = new byte[name.equals("HMACSHA384") || name.equals("HMACSHA512") ? 128 : 64];
        new java.security.SecureRandom().nextBytes(k);
        return k;
    }

    private static Object guard(java.util.function.Supplier<Object> f) {
        try {
            return f.get();
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("System.ArgumentOutOfRangeException", e.getMessage());
        }
    }

    private static int checkedRange(Object v, long min, long max, String type) {
        if (v == null) {
            return 0;
        }
        long n;
        if (v instanceof String str) {
            try {
                n = Long.parseLong(str.trim());
            } catch (NumberFormatException e) {
                throw new ExpressionException("System.FormatException", "The input string '" + str + "' was not in a correct format.");
            }
        } else if (v instanceof Character c) {
            n = c;
        } else if (Ops.kind(v) >= 0) {
            double d = Ops.asDouble(v);
            n = Math.round(d);
            if (Math.abs(d - Math.floor(d) - 0.5) < 1e-12) {
                n = (long) Math.rint(d);
            }
        } else {
            throw ExpressionException.invalidCast();
        }
        if (n < min || n > max) {
            throw new ExpressionException("System.OverflowException", "Value was either too large or too small for "
                    + (type.equals("Byte") ? "an unsigned byte" : type.equals("Char") ? "a character" : "an Int16") + ".");
        }
        return (int) n;
    }

    private static void arrayCopy(Object src, int si, Object dst, int di, int n) {
        if (src == null) {
            throw LibStrings.argNull("sourceArray");
        }
        if (dst == null) {
            throw LibStrings.argNull("destinationArray");
        }
        int sl = java.lang.reflect.Array.getLength(src);
        int dl = java.lang.reflect.Array.getLength(dst);
        if (si < 0 || di < 0 || n < 0 || si + n > sl || di + n > dl) {
            throw new ExpressionException("System.ArgumentException",
                    "Source array was not long enough. Check the source index, length, and the array's lower bounds.");
        }
        if (src.getClass() != dst.getClass()) {
            throw new ExpressionException("System.ArrayTypeMismatchException",
                    "Source array type cannot be assigned to destination array type.");
        }
        System.arraycopy(src, si, dst, di, n);
    }

    private static void reverse(Object arr) {
        if (arr instanceof byte[] b) {
            for (int i = 0, j = b.length - 1; i < j; i++, j--) {
                byte t = b[i];
                b[i] = b[j];
                b[j] = t;
            }
        } else if (arr instanceof Object[] a) {
            java.util.Collections.reverse(java.util.Arrays.asList(a));
        } else if (arr == null) {
            throw LibStrings.argNull("array");
        }
    }

    static byte[] guidBytes(Guid g) {
        UUID u = g.uuid();
        return swapGuidFields(ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array());
    }

    static Guid guidOf(byte[] b) {
        if (b.length != 16) {
            throw new ExpressionException("System.ArgumentException", "Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')");
        }
        ByteBuffer buf = ByteBuffer.wrap(swapGuidFields(b)).order(ByteOrder.BIG_ENDIAN);
        return new Guid(new UUID(buf.getLong(), buf.getLong()));
    }

    /**
     * A copy with the byte order of a GUID's first three fields reversed: .NET stores them
     * little-endian, a UUID big-endian. The same swap goes either way.
     */
    private static byte[] swapGuidFields(byte[] b) {
        byte[] out = b.clone();
        out[0] = b[3];
        out[1] = b[2];
        out[2] = b[1];
        out[3] = b[0];
        out[4] = b[5];
        out[5] = b[4];
        out[6] = b[7];
        out[7] = b[6];
        return out;
    }

    /** .NET WebUtility.UrlEncode: unreserved are A-Z a-z 0-9 - _ . ! * ( ); space is '+'; hex upper-case. */
    static String urlEncode(String s) {
        return percentEncode(s, "-_.!*()");
    }

    /** UTF-8 percent-encoding with space as '+', upper-case hex, and {@code unreserved} (beside letters and digits) kept. */
    private static String percentEncode(String s, String unreserved) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || unreserved.indexOf(c) >= 0) {
                sb.append((char) c);
            } else if (c == ' ') {
                sb.append('+');
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return sb.toString();
    }

    static String urlDecode(String s) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%' && k + 2 < s.length()
                    && Character.digit(s.charAt(k + 1), 16) >= 0 && Character.digit(s.charAt(k + 2), 16) >= 0) {
                out.write(Character.digit(s.charAt(k + 1), 16) * 16 + Character.digit(s.charAt(k + 2), 16));
                k += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** .NET WebUtility.HtmlEncode: &lt; &gt; &amp; &quot; &#39;, and U+00A0..U+00FF as &#NNN;. */
    static String htmlEncode(String s) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (c >= 160 && c < 256) {
                        sb.append("&#").append((int) c).append(';');
                    } else if (Character.isHighSurrogate(c) && k + 1 < s.length() && Character.isLowSurrogate(s.charAt(k + 1))) {
                        sb.append("&#").append(Character.toCodePoint(c, s.charAt(k + 1))).append(';');
                        k++;
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    static String htmlDecode(String s) {
        StringBuilder sb = new StringBuilder();
        int k = 0;
        while (k < s.length()) {
            char c = s.charAt(k);
            int semi = c == '&' ? s.indexOf(';', k) : -1;
            if (semi > k + 1 && semi - k <= 10) {
                String ent = s.substring(k + 1, semi);
                String rep = switch (ent) {
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "amp" -> "&";
                    case "quot" -> "\"";
                    case "apos" -> "'";
                    case "nbsp" -> "\u00a0";
                    default -> {
                        try {
                            if (ent.startsWith("#x") || ent.startsWith("#X")) {
                                yield new String(Character.toChars(Integer.parseInt(ent.substring(2), 16)));
                            }
                            if (ent.startsWith("#")) {
                                yield new String(Character.toChars(Integer.parseInt(ent.substring(1))));
                            }
                        } catch (IllegalArgumentException e) {
                            yield null;
                        }
                        yield null;
                    }
                };
                if (rep != null) {
                    sb.append(rep);
                    k = semi + 1;
                    continue;
                }
            }
            sb.append(c);
            k++;
        }
        return sb.toString();
    }
}
