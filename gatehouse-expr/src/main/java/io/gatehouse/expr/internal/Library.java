package io.gatehouse.expr.internal;

import io.gatehouse.expr.ExpressionException;
import io.gatehouse.expr.context.ApiInfo;
import io.gatehouse.expr.context.Deployment;
import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.LastError;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Oid;
import io.gatehouse.expr.context.OperationInfo;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Product;
import io.gatehouse.expr.context.Request;
import io.gatehouse.expr.context.Response;
import io.gatehouse.expr.context.Subscription;
import io.gatehouse.expr.context.Url;
import io.gatehouse.expr.context.User;
import io.gatehouse.expr.context.Variables;
import io.gatehouse.expr.context.X500DistinguishedName;
import io.gatehouse.expr.context.X509Certificate2;
import io.gatehouse.expr.context.X509Extension;
import io.gatehouse.expr.context.X509NameType;
import io.gatehouse.expr.internal.Members.Method;
import io.gatehouse.expr.internal.Members.Prop;
import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.DotNetDayOfWeek;
import io.gatehouse.expr.lib.DotnetEnums.CultureInfo;
import io.gatehouse.expr.lib.DotnetEnums.Formatting;
import io.gatehouse.expr.lib.DotnetEnums.RegexOptions;
import io.gatehouse.expr.lib.DotnetEnums.StringComparison;
import io.gatehouse.expr.lib.DotnetEnums.StringSplitOptions;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.JArray;
import io.gatehouse.expr.lib.JObject;
import io.gatehouse.expr.lib.JProperty;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.JValue;
import io.gatehouse.expr.lib.RegexMatch;
import io.gatehouse.expr.lib.TextEncoding;
import io.gatehouse.expr.lib.TimeSpan;
import io.gatehouse.expr.lib.Uri;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a policy expression may name: the context model, the .NET types and their members.
 * Built once; read-only afterwards, so compilers on many threads share it.
 */
public final class Library {
    public static final Library INSTANCE = new Library();

    /** An indexer {@code x[key]} of a type. */
    public record Indexer(Type key, Type type, Get get, Set set) {
        @FunctionalInterface
        public interface Get {
            Object get(Object target, Object key);
        }

        @FunctionalInterface
        public interface Set {
            void set(Object target, Object key, Object value);
        }
    }

    static final Set<String> LINQ = Set.of("Any", "All", "Where", "Select", "First", "FirstOrDefault", "Last",
            "LastOrDefault", "Single", "SingleOrDefault", "Count", "Contains", "OrderBy", "OrderByDescending", "ToList",
            "ToArray", "Sum", "Max", "Min", "Average", "Distinct", "Skip", "Take", "Reverse", "ElementAt", "Concat",
            "SelectMany", "SkipWhile", "TakeWhile", "LongCount", "ElementAtOrDefault", "DefaultIfEmpty", "Union", "Intersect",
            "Except", "SequenceEqual", "Append", "Prepend", "Aggregate", "Zip", "ToDictionary", "ThenBy", "ThenByDescending", "Cast", "OfType",
            "GroupBy", "ToLookup", "ToHashSet", "Chunk", "MaxBy", "MinBy", "DistinctBy", "ExceptBy", "IntersectBy", "UnionBy");

    final Members m = new Members();
    private final Map<String, String> statics = new HashMap<>();
    private final Map<String, Indexer> indexers = new HashMap<>();
    private final Map<String, Type> elements = new HashMap<>();

    // context types
    final Type tContext;
    final Type tApi;
    final Type tOperation;
    final Type tRequest;
    final Type tResponse;
    final Type tHeaders;
    final Type tUrl;
    final Type tQuery;
    final Type tStringMap;
    final Type tBody;
    final Type tVariables;
    final Type tLastError;
    final Type tDeployment;
    final Type tCertMap;
    final Type tUser;
    final Type tSubscription;
    final Type tProduct;
    final Type tCert;
    final Type tX500;
    final Type tOid;
    final Type tExtension;
    final Type tNameType;
    // library types
    final Type tDateTime;
    final Type tTimeSpan;
    final Type tGuid;
    final Type tDayOfWeek;
    final Type tKind;
    final Type tJToken;
    final Type tJObject;
    final Type tJArray;
    final Type tJValue;
    final Type tJProperty;
    final Type tJTokenType;
    final Type tComparison;
    final Type tSplit;
    final Type tFormatting;
    final Type tRegexOptions;
    final Type tCulture;
    final Type tEncoding;
    final Type tUri;
    final Type tRegex;
    final Type tMatch;
    final Type tGroups;
    final Type tBuilder;
    final Type tException;
    Type tXName;
    Type tXNamespace;
    Type tXDocument;
    Type tXElement;

    private Library() {
        for (Type t : new Type[] {Type.INT, Type.LONG, Type.DOUBLE, Type.DECIMAL, Type.BOOL, Type.CHAR, Type.STRING,
            Type.OBJECT, Type.BYTE}) {
            m.type(t.name(), t.cls());
        }
        m.alias("int", Type.INT);
        m.alias("Int32", Type.INT);
        m.alias("short", Type.INT);
        m.alias("Int16", Type.INT);
        m.alias("uint", Type.LONG);
        m.alias("long", Type.LONG);
        m.alias("Int64", Type.LONG);
        m.alias("ulong", Type.LONG);
        m.alias("double", Type.DOUBLE);
        m.alias("float", Type.DOUBLE);
        m.alias("Double", Type.DOUBLE);
        m.alias("Single", Type.DOUBLE);
        m.alias("decimal", Type.DECIMAL);
        m.alias("Decimal", Type.DECIMAL);
        m.alias("bool", Type.BOOL);
        m.alias("Boolean", Type.BOOL);
        m.alias("char", Type.CHAR);
        m.alias("Char", Type.CHAR);
        m.alias("string", Type.STRING);
        m.alias("String", Type.STRING);
        m.alias("object", Type.OBJECT);
        m.alias("Object", Type.OBJECT);
        m.alias("dynamic", Type.OBJECT);
        m.alias("byte", Type.BYTE);
        m.alias("Byte", Type.BYTE);
        m.registerClass(Integer.class, Type.INT);
        m.registerClass(Long.class, Type.LONG);
        m.registerClass(Double.class, Type.DOUBLE);
        m.registerClass(java.math.BigDecimal.class, Type.DECIMAL);
        m.registerClass(Boolean.class, Type.BOOL);
        m.registerClass(Character.class, Type.CHAR);
        m.registerClass(String.class, Type.STRING);
        m.registerClass(String[].class, Type.STRING_ARRAY);
        m.registerClass(byte[].class, Type.BYTE_ARRAY);
        m.alias("List", Type.realListOf(Type.OBJECT));
        m.alias("IEnumerable", Type.listOf(Type.OBJECT));

        tContext = m.type("IProxyRequestContext", PolicyContext.class);
        tApi = m.type("IApi", ApiInfo.class);
        tOperation = m.type("IOperation", OperationInfo.class);
        tRequest = m.type("IRequest", Request.class);
        tResponse = m.type("IResponse", Response.class);
        tHeaders = m.type("IHeaderDictionary", Headers.class);
        tUrl = m.type("IUrl", Url.class);
        tQuery = new Type("IReadOnlyDictionary<string, string[]>", Map.class, null);
        tStringMap = new Type("IReadOnlyDictionary<string, string>", Map.class, null);
        tCertMap = new Type("IReadOnlyDictionary<string, X509Certificate2>", Map.class, null);
        tBody = m.type("IMessageBody", MessageBody.class);
        tVariables = m.type("IReadOnlyDictionary<string, object>", Variables.class);
        tLastError = m.type("ILastError", LastError.class);
        tDeployment = m.type("IDeployment", Deployment.class);
        tUser = m.type("IUser", User.class);
        tSubscription = m.type("ISubscription", Subscription.class);
        tProduct = m.type("IProduct", Product.class);
        tCert = m.type("X509Certificate2", X509Certificate2.class);
        tX500 = m.type("X500DistinguishedName", X500DistinguishedName.class);
        tOid = m.type("Oid", Oid.class);
        tExtension = m.type("X509Extension", X509Extension.class);
        tNameType = m.type("X509NameType", X509NameType.class);
        tDateTime = m.type("DateTime", DateTime.class);
        m.alias("DateTimeOffset", tDateTime);
        tTimeSpan = m.type("TimeSpan", TimeSpan.class);
        tGuid = m.type("Guid", Guid.class);
        tDayOfWeek = m.type("DayOfWeek", DotNetDayOfWeek.class);
        tKind = m.type("DateTimeKind", DateTime.Kind.class);
        tJObject = m.type("JObject", JObject.class);
        tJArray = m.type("JArray", JArray.class);
        tJValue = m.type("JValue", JValue.class);
        tJProperty = m.type("JProperty", JProperty.class);
        tJToken = m.type("JToken", JToken.class);
        tJTokenType = m.type("JTokenType", JToken.Type.class);
        m.parent(tJObject, tJToken);
        m.parent(tJArray, tJToken);
        m.parent(tJValue, tJToken);
        m.parent(tJProperty, tJToken);
        tComparison = m.type("StringComparison", StringComparison.class);
        tSplit = m.type("StringSplitOptions", StringSplitOptions.class);
        tFormatting = m.type("Formatting", Formatting.class);
        tRegexOptions = m.type("RegexOptions", Object.class);
        m.registerClass(RegexOptions.class, tRegexOptions);
        m.registerClass(io.gatehouse.expr.lib.DotnetEnums.RegexFlags.class, tRegexOptions);
        tCulture = m.type("CultureInfo", CultureInfo.class);
        tEncoding = m.type("Encoding", TextEncoding.class);
        tUri = m.type("Uri", Uri.class);
        tRegex = m.type("Regex", java.util.regex.Pattern.class);
        tMatch = m.type("Match", RegexMatch.class);
        m.alias("Group", tMatch);
        tGroups = new Type("GroupCollection", RegexMatch.class, null);
        tBuilder = m.type("StringBuilder", StringBuilder.class);
        tException = m.type("Exception", ExpressionException.class);

        for (String s : new String[] {"String", "string"}) {
            statics.put(s, "String");
        }
        for (String s : new String[] {"int", "Int32"}) {
            statics.put(s, "Int32");
        }
        for (String s : new String[] {"long", "Int64"}) {
            statics.put(s, "Int64");
        }
        for (String s : new String[] {"double", "Double"}) {
            statics.put(s, "Double");
        }
        for (String s : new String[] {"bool", "Boolean"}) {
            statics.put(s, "Boolean");
        }
        for (String s : new String[] {"decimal", "Decimal"}) {
            statics.put(s, "Decimal");
        }
        for (String s : new String[] {"char", "Char"}) {
            statics.put(s, "Char");
        }
        for (String s : new String[] {"DateTime", "DateTimeOffset", "TimeSpan", "Guid", "Math", "Convert", "Encoding",
            "Regex", "JObject", "JArray", "JToken", "BitConverter", "StringComparison", "StringSplitOptions",
            "X509NameType", "Formatting", "DateTimeKind", "DayOfWeek", "Uri", "RegexOptions", "CultureInfo",
            "JTokenType"}) {
            statics.put(s, s);
        }

        // Registration order matters: overloads are tried in the order they were registered, and the
        // first type registered for a Java class is the one its values have at run time.
        NsApim.registerContext(this);
        NsSystemString.register(this);
        NsSystem.registerObject(this);
        NsSystem.registerNumbers(this);
        NsSystem.registerMath(this);
        NsSystem.registerConvert(this);
        NsSystemText.registerEncoding(this);
        NsSystem.registerBitConverter(this);
        NsSystemDateTime.registerDateTime(this);
        NsSystemDateTime.registerTimeSpan(this);
        NsSystem.registerGuid(this);
        NsSystemDateTime.registerEnums(this);
        NsNewtonsoftJson.registerEnums(this);
        NsSystemTextRegularExpressions.registerEnums(this);
        NsSystemGlobalization.registerEnums(this);
        NsNewtonsoftJsonLinq.registerEnums(this);
        NsSystemTextRegularExpressions.registerRegex(this);
        NsSystem.registerUri(this);
        NsNewtonsoftJsonLinq.registerJson(this);
        NsSystemText.registerStringBuilder(this);
        NsSystemCollectionsGeneric.registerArraysAndLists(this);
        NsSystemSecurityCryptography.registerHmac(this);
        NsSystemSecurityCryptography.registerHashes(this);
        NsSystemSecurityCryptography.registerCertificatesAndRsa(this);
        NsApim.registerEncryptDecrypt(this);
        NsSystem.registerRandom(this);
        NsSystemNet.registerWebUtility(this);
        NsSystemDateTime.registerDateTimeOffset(this);
        NsSystem.registerGuidBytes(this);
        NsSystem.registerConvertNarrowing(this);
        NsNewtonsoftJsonLinq.registerJPropertyRemove(this);
        NsNewtonsoftJsonLinq.registerTree(this);
        NsNewtonsoftJson.registerJsonConvert(this);
        NsApim.registerFormContent(this);
        NsSystemCollectionsGeneric.registerDictionary(this);
        NsSystemGlobalization.registerCultureInfo(this);
        NsApim.registerExpressionSyntaxExtensions(this);
        NsSystem.registerMathRound(this);
        NsSystemNet.registerIpAddress(this);
        NsSystemDateTime.registerTimeZoneInfo(this);
        NsSystemCollectionsGeneric.registerHashSet(this);
        NsSystem.registerExceptions(this);
        NsSystemCollectionsGeneric.registerList(this);
        NsSystemCollectionsGeneric.registerEnumerable(this);
        NsSystem.registerArray(this);
        NsSystemXml.register(this);
    }

    /** A settable property, for object initializers ({@code new HMACSHA256 { Key = key }}). */
    public record Setter(Type type, Set set) {
        @FunctionalInterface
        public interface Set {
            void set(Object target, Object value);
        }
    }

    private final Map<String, Map<String, Setter>> setters = new HashMap<>();

    void setter(Type owner, String name, Type type, Setter.Set set) {
        setters.computeIfAbsent(owner.name(), k -> new HashMap<>()).put(name, new Setter(type, set));
    }

    /** The settable property {@code name} of {@code t}, or null. */
    public Setter setter(Type t, String name) {
        Map<String, Setter> s = setters.get(t.name());
        return s == null ? null : s.get(name);
    }

    /** Makes {@code alias} name the static side of {@code owner} (e.g. {@code SHA256.Create()}). */
    void staticName(String alias, String owner) {
        statics.put(alias, owner);
    }

    // ---- registration helpers used by the Lib* classes

    void indexer(Type owner, Type key, Type value, Indexer.Get get, Indexer.Set set) {
        indexers.put(owner.name(), new Indexer(key, value, get, set));
    }

    void element(Type owner, Type elem) {
        elements.put(owner.name(), elem);
    }

    void staticProp(String owner, String name, Type type, Members.Getter get) {
        m.prop("static:" + owner, name, type, get);
    }

    <E extends Enum<E>> void enumType(String owner, Type t, E[] values) {
        for (E e : values) {
            staticProp(owner, e.name(), t, x -> e);
        }
    }

    // ---- queries used by the compiler

    public Type typeNamed(String name) {
        return m.named(name);
    }

    /** Every name that denotes a type or a static class, for the parser's cast detection. */
    public java.util.Set<String> typeNameSet() {
        java.util.Set<String> out = new java.util.HashSet<>(m.typeNames());
        out.addAll(statics.keySet());
        return out;
    }

    public String staticOwner(String name) {
        return statics.get(name);
    }

    public Type contextType() {
        return tContext;
    }

    private String owner(Type t) {
        if (t.isDictionary()) {
            return "Dictionary";
        }
        if (t.isPair()) {
            return "KeyValuePair";
        }
        if (t.isGrouping()) {
            return "IGrouping";
        }
        if (t.isLookup()) {
            return "ILookup";
        }
        if (t.cls() == java.util.LinkedHashSet.class) {
            return "HashSet";
        }
        if (t.isArray()) {
            return "Array";
        }
        if (t.isList()) {
            return t.isRealList() ? "List" : "IEnumerable";
        }
        return t.name();
    }

    public Prop prop(Type t, String name) {
        return m.findProp(owner(t), name);
    }

    public List<Method> methods(Type t, String name) {
        return m.findMethods(owner(t), name);
    }

    public Prop staticProp(String owner, String name) {
        return m.findProp("static:" + owner, name);
    }

    public List<Method> staticMethods(String owner, String name) {
        return m.findMethods("static:" + owner, name);
    }

    public List<Method> constructors(Type t) {
        return m.findMethods("new:" + t.name(), ".ctor");
    }

    public boolean isLinq(String name) {
        return LINQ.contains(name);
    }

    /** The element type foreach and LINQ see for a library type, or null when it is not enumerable. */
    public Type elementOf(Type t) {
        Type e = elements.get(t.name());
        if (e == null && isJToken(t)) {
            e = elements.get(tJToken.name());
        }
        return e;
    }

    /**
     * An overload of a method that takes a lambda: its parameter types with null where the lambda goes, the lambda's
     * parameter and return types, the method's return type, and what it does.
     */
    record LambdaMethod(Type[] params, Type[] lambdaParams, Type lambdaRet, Type ret, Checked.FnImpl impl) {
    }

    private final Map<String, List<LambdaMethod>> lambdaMethods = new HashMap<>();

    /** Registers a lambda-taking overload; owner as for {@link Members#method} ("static:T" for a static method). */
    void lambdaMethod(String owner, String name, LambdaMethod lm) {
        lambdaMethods.computeIfAbsent(owner + "." + name, k -> new java.util.ArrayList<>()).add(lm);
    }

    List<LambdaMethod> lambdaMethods(Type t, String name) {
        return lambdaMethods.getOrDefault(owner(t) + "." + name, List.of());
    }

    List<LambdaMethod> staticLambdaMethods(String owner, String name) {
        return lambdaMethods.getOrDefault("static:" + owner + "." + name, List.of());
    }

    public Indexer indexer(Type t) {
        if (t.isDictionary()) {
            return new Indexer(t.key(), t.value(), (o, k) -> {
                Map<?, ?> map = (Map<?, ?>) o;
                if (k == null) {
                    throw Ops.argNull("key");
                }
                if (!map.containsKey(k)) {
                    throw keyNotFound(k);
                }
                return map.get(k);
            }, (o, k, v) -> {
                if (k == null) {
                    throw Ops.argNull("key");
                }
                @SuppressWarnings("unchecked")
                Map<Object, Object> map = (Map<Object, Object>) o;
                map.put(k, v);
            });
        }
        if (t.isLookup()) {
            return new Indexer(t.key(), Type.listOf(t.elem().elem()), (o, k) -> ((NsSystemLinq.Lookup) o).get(k), null);
        }
        if (t.isDynamic()) {
            return new Indexer(Type.OBJECT, Type.OBJECT, Library::dynamicIndex, Library::dynamicSet);
        }
        if (t.isArray()) {
            Type elem = t.elem();
            return new Indexer(Type.INT, elem, (o, k) -> arrayGet(o, (Integer) k), (o, k, v) -> arraySet(o, (Integer) k, v));
        }
        if (t.isRealList()) {
            return new Indexer(Type.INT, t.elem(), (o, k) -> listGet(o, (Integer) k), null);
        }
        if (t == Type.STRING) {
            return new Indexer(Type.INT, Type.CHAR, (o, k) -> {
                String s = (String) o;
                int i = (Integer) k;
                if (i < 0 || i >= s.length()) {
                    throw outOfRange();
                }
                return s.charAt(i);
            }, null);
        }
        Indexer ix = indexers.get(t.name());
        if (ix == null && isJToken(t)) {
            ix = indexers.get("JToken");
        }
        return ix;
    }

    public boolean isJToken(Type t) {
        return JToken.class.isAssignableFrom(t.cls());
    }

    static ExpressionException outOfRange() {
        return new ExpressionException("System.IndexOutOfRangeException", "Index was outside the bounds of the array.");
    }

    static ExpressionException keyNotFound(Object key) {
        return new ExpressionException("System.Collections.Generic.KeyNotFoundException",
                "The given key '" + key + "' was not present in the dictionary.");
    }

    static Object arrayGet(Object o, int i) {
        if (o instanceof Object[] a) {
            if (i < 0 || i >= a.length) {
                throw outOfRange();
            }
            return a[i];
        }
        if (o instanceof byte[] b) {
            if (i < 0 || i >= b.length) {
                throw outOfRange();
            }
            return b[i] & 0xff;
        }
        throw ExpressionException.invalidCast();
    }

    static void arraySet(Object o, int i, Object v) {
        if (o instanceof Object[] a) {
            if (i < 0 || i >= a.length) {
                throw outOfRange();
            }
            a[i] = v;
        } else if (o instanceof byte[] b) {
            if (i < 0 || i >= b.length) {
                throw outOfRange();
            }
            b[i] = (byte) Ops.asInt(v);
        }
    }

    static Object listGet(Object o, int i) {
        List<?> l = (List<?>) o;
        if (i < 0 || i >= l.size()) {
            throw new ExpressionException("System.ArgumentOutOfRangeException",
                    "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')");
        }
        return l.get(i);
    }

    static Object dynamicIndex(Object o, Object key) {
        if (o == null) {
            throw ExpressionException.nullReference();
        }
        Library lib = INSTANCE;
        Type t = lib.m.forValue(o);
        if (o instanceof List<?> && key instanceof Integer i) {
            return listGet(o, i);
        }
        Indexer ix = lib.indexer(t);
        if (ix == null) {
            throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                    "Cannot apply indexing with [] to an expression of type '" + t.name() + "'");
        }
        return ix.get().get(o, ix.key().isDynamic() ? key : Conv.cast(key, ix.key(), false));
    }

    static void dynamicSet(Object o, Object key, Object value) {
        Library lib = INSTANCE;
        Type t = lib.m.forValue(o);
        Indexer ix = lib.indexer(t);
        if (ix == null || ix.set() == null) {
            throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                    "Property or indexer of '" + t.name() + "' cannot be assigned to -- it is read only");
        }
        ix.set().set(o, key, value);
    }

    /** A property of a value whose type was only known at run time. */
    public Object dynamicProp(Object o, String name) {
        Type t = m.forValue(o);
        Prop p = prop(t, name);
        if (p == null) {
            throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                    "'" + t.name() + "' does not contain a definition for '" + name + "'");
        }
        return p.get().get(o);
    }

    /** A method call on a value whose type was only known at run time. */
    public Object dynamicCall(Object o, String name, Object[] args, Type typeArg) {
        Type t = m.forValue(o);
        for (Method cand : methods(t, name)) {
            if (cand.arity() != args.length || cand.outIndex() >= 0 || cand.generic() != (typeArg != null)) {
                continue;
            }
            boolean ok = true;
            Object[] conv = new Object[args.length];
            for (int k = 0; k < args.length && ok; k++) {
                Type p = cand.params()[k];
                Object a = args[k];
                if (p.isDynamic() || a == null && !p.isValueType()) {
                    conv[k] = a;
                } else if (Conv.isInstance(a, p)) {
                    conv[k] = a;
                } else if (p.isNumeric() && Ops.kind(a) >= 0 && m.forValue(a).convertibleTo(p)) {
                    conv[k] = Conv.numeric(a, p);
                } else {
                    ok = false;
                }
            }
            if (ok) {
                return cand.inv().call(o, conv, typeArg);
            }
        }
        throw new ExpressionException("Microsoft.CSharp.RuntimeBinder.RuntimeBinderException",
                "'" + t.name() + "' does not contain a definition for '" + name + "' that takes " + args.length
                        + " arguments");
    }
}
