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
import io.gatehouse.expr.lib.Crypto;
import io.gatehouse.expr.lib.Dotnet;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.expr.lib.Json;

import java.util.List;
import java.util.Map;

/**
 * APIM's own members: the context model ({@code context.Request}, {@code .Response}, {@code .Variables},
 * the client certificate...), and APIM's extensions: {@code byte[].Encrypt/Decrypt},
 * {@code Body.AsFormUrlEncodedContent}, {@code ExpressionSyntaxExtensions} (AsJwt, AsBasic).
 */
final class NsApim {
    private static final Type BA = Type.BYTE_ARRAY;
    private static final Type I = Type.INT;
    private static final Type S = Type.STRING;
    private static final Type obj = Type.OBJECT;
    private static final Type str = Type.STRING;

    private NsApim() {
    }

    /** The APIM context model: context.Request, .Response, .Variables, the client certificate... */
    static void registerContext(Library l) {
        Members m = l.m;

        String c = l.tContext.name();
        m.prop(c, "Api", l.tApi, o -> ((PolicyContext) o).api());
        m.prop(c, "Operation", l.tOperation, o -> ((PolicyContext) o).operation());
        m.prop(c, "Request", l.tRequest, o -> ((PolicyContext) o).request());
        m.prop(c, "Response", l.tResponse, o -> ((PolicyContext) o).response());
        m.prop(c, "Variables", l.tVariables, o -> ((PolicyContext) o).variables());
        m.prop(c, "LastError", l.tLastError, o -> ((PolicyContext) o).lastError());
        m.prop(c, "RequestId", l.tGuid, o -> ((PolicyContext) o).requestId());
        m.prop(c, "Timestamp", l.tDateTime, o -> ((PolicyContext) o).timestamp());
        m.prop(c, "Elapsed", l.tTimeSpan, o -> ((PolicyContext) o).elapsed());
        m.prop(c, "Deployment", l.tDeployment, o -> ((PolicyContext) o).deployment());
        m.prop(c, "User", l.tUser, o -> ((PolicyContext) o).user());
        m.prop(c, "Subscription", l.tSubscription, o -> ((PolicyContext) o).subscription());
        m.prop(c, "Product", l.tProduct, o -> ((PolicyContext) o).product());
        m.prop(c, "Tracing", Type.BOOL, o -> true);
        m.method(c, "Trace", Type.VOID, (o, a, t) -> {
            ((PolicyContext) o).trace((String) a[0], a[1]);
            return null;
        }, str, obj);
        // APIM's reference lists void Trace(message: string); the entry's source is "context.Trace"
        m.method(c, "Trace", Type.VOID, (o, a, t) -> {
            ((PolicyContext) o).trace(PolicyContext.TRACE_SOURCE, a[0]);
            return null;
        }, str);

        String api = l.tApi.name();
        m.prop(api, "Id", str, o -> ((ApiInfo) o).id());
        m.prop(api, "Name", str, o -> ((ApiInfo) o).name());
        m.prop(api, "Path", str, o -> ((ApiInfo) o).path());
        m.prop(api, "ServiceUrl", l.tUrl, o -> ((ApiInfo) o).serviceUrl());
        m.prop(api, "IsCurrentRevision", Type.BOOL, o -> ((ApiInfo) o).isCurrentRevision());
        m.prop(api, "Version", str, o -> ((ApiInfo) o).version());
        m.prop(api, "Revision", str, o -> ((ApiInfo) o).revision());
        Type keyNames = m.type("SubscriptionKeyParameterNames", io.gatehouse.expr.context.SubscriptionKeyParameterNames.class);
        m.prop(api, "SubscriptionKeyParameterNames", keyNames, o -> ((ApiInfo) o).subscriptionKeyParameterNames());
        m.prop(keyNames, "Header", str, o -> ((io.gatehouse.expr.context.SubscriptionKeyParameterNames) o).header());
        m.prop(keyNames, "Query", str, o -> ((io.gatehouse.expr.context.SubscriptionKeyParameterNames) o).query());

        String op = l.tOperation.name();
        m.prop(op, "Id", str, o -> ((OperationInfo) o).id());
        m.prop(op, "Name", str, o -> ((OperationInfo) o).name());
        m.prop(op, "Method", str, o -> ((OperationInfo) o).method());
        m.prop(op, "UrlTemplate", str, o -> ((OperationInfo) o).urlTemplate());

        String rq = l.tRequest.name();
        m.prop(rq, "Method", str, o -> ((Request) o).method());
        m.prop(rq, "Url", l.tUrl, o -> ((Request) o).url());
        m.prop(rq, "OriginalUrl", l.tUrl, o -> ((Request) o).originalUrl());
        m.prop(rq, "Headers", l.tHeaders, o -> ((Request) o).headers());
        m.prop(rq, "Body", l.tBody, o -> ((Request) o).body());
        m.prop(rq, "IpAddress", str, o -> ((Request) o).ipAddress());
        m.prop(rq, "Certificate", l.tCert, o -> ((Request) o).certificate());
        m.prop(rq, "MatchedParameters", l.tStringMap, o -> ((Request) o).matchedParameters());

        String rs = l.tResponse.name();
        m.prop(rs, "StatusCode", Type.INT, o -> ((Response) o).statusCode());
        m.prop(rs, "StatusReason", str, o -> ((Response) o).statusReason());
        m.prop(rs, "Headers", l.tHeaders, o -> ((Response) o).headers());
        m.prop(rs, "Body", l.tBody, o -> ((Response) o).body());

        String h = l.tHeaders.name();
        m.method(h, "GetValueOrDefault", str, (o, a, t) -> ((Headers) o).getValueOrDefault((String) a[0], (String) a[1]), str, str);
        m.method(h, "GetValueOrDefault", str, (o, a, t) -> ((Headers) o).getValueOrDefault((String) a[0], null), str);
        m.method(h, "ContainsKey", Type.BOOL, (o, a, t) -> ((Headers) o).containsKey((String) a[0]), str);
        m.outMethod(h, "TryGetValue", Type.BOOL, 1, Type.STRING_ARRAY, (o, a, t) -> {
            String[] v = ((Headers) o).values((String) a[0]);
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, str, obj);
        m.prop(h, "Count", Type.INT, o -> ((Headers) o).count());
        m.prop(h, "Keys", Type.STRING_ARRAY, o -> ((Headers) o).keys().toArray(String[]::new));
        l.indexer(l.tHeaders, str, Type.STRING_ARRAY, (o, k) -> {
            String[] v = ((Headers) o).values((String) k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v;
        }, null);
        Type kvHeaders = pairs(l, l.tHeaders, Type.STRING_ARRAY);
        l.element(l.tQuery, kvHeaders);
        pairs(l, l.tStringMap, str);
        pairs(l, l.tVariables, obj);
        pairs(l, l.tCertMap, l.tCert);

        String u = l.tUrl.name();
        m.prop(u, "Scheme", str, o -> ((Url) o).scheme());
        m.prop(u, "Host", str, o -> ((Url) o).host());
        m.prop(u, "Port", Type.INT, o -> ((Url) o).port());
        m.prop(u, "Path", str, o -> ((Url) o).path());
        m.prop(u, "Query", l.tQuery, o -> ((Url) o).query());
        m.prop(u, "QueryString", str, o -> ((Url) o).queryString());

        String q = l.tQuery.name();
        m.method(q, "GetValueOrDefault", str, (o, a, t) -> joined(o, (String) a[0], (String) a[1]), str, str);
        m.method(q, "GetValueOrDefault", str, (o, a, t) -> joined(o, (String) a[0], null), str);
        m.method(q, "ContainsKey", Type.BOOL, (o, a, t) -> ((Map<?, ?>) o).containsKey(a[0]), str);
        m.prop(q, "Count", Type.INT, o -> ((Map<?, ?>) o).size());
        m.prop(q, "Keys", Type.STRING_ARRAY, o -> ((Map<?, ?>) o).keySet().toArray(String[]::new));
        m.outMethod(q, "TryGetValue", Type.BOOL, 1, Type.STRING_ARRAY, (o, a, t) -> {
            List<?> v = (List<?>) ((Map<?, ?>) o).get(a[0]);
            ((Object[]) a[1])[0] = v == null ? null : v.toArray(String[]::new);
            return v != null;
        }, str, obj);
        l.indexer(l.tQuery, str, Type.STRING_ARRAY, (o, k) -> {
            List<?> v = (List<?>) ((Map<?, ?>) o).get(k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v.toArray(String[]::new);
        }, null);

        String sm = l.tStringMap.name();
        m.method(sm, "GetValueOrDefault", str, (o, a, t) -> {
            Object v = ((Map<?, ?>) o).get(a[0]);
            return v == null ? a[1] : v;
        }, str, str);
        m.method(sm, "GetValueOrDefault", str, (o, a, t) -> ((Map<?, ?>) o).get(a[0]), str);
        m.method(sm, "ContainsKey", Type.BOOL, (o, a, t) -> ((Map<?, ?>) o).containsKey(a[0]), str);
        m.prop(sm, "Count", Type.INT, o -> ((Map<?, ?>) o).size());
        m.prop(sm, "Keys", Type.STRING_ARRAY, o -> ((Map<?, ?>) o).keySet().toArray(String[]::new));
        m.outMethod(sm, "TryGetValue", Type.BOOL, 1, str, (o, a, t) -> {
            Object v = ((Map<?, ?>) o).get(a[0]);
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, str, obj);
        l.indexer(l.tStringMap, str, str, (o, k) -> {
            Object v = ((Map<?, ?>) o).get(k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v;
        }, null);

        String cm = l.tCertMap.name();
        m.method(cm, "ContainsKey", Type.BOOL, (o, a, t) -> ((Map<?, ?>) o).containsKey(a[0]), str);
        m.prop(cm, "Count", Type.INT, o -> ((Map<?, ?>) o).size());
        m.prop(cm, "Keys", Type.STRING_ARRAY, o -> ((Map<?, ?>) o).keySet().toArray(String[]::new));
        m.method(cm, "GetValueOrDefault", l.tCert, (o, a, t) -> ((Map<?, ?>) o).get(a[0]), str);
        m.outMethod(cm, "TryGetValue", Type.BOOL, 1, l.tCert, (o, a, t) -> {
            Object v = ((Map<?, ?>) o).get(a[0]);
            ((Object[]) a[1])[0] = v;
            return v != null;
        }, str, obj);
        l.indexer(l.tCertMap, str, l.tCert, (o, k) -> {
            Object v = ((Map<?, ?>) o).get(k);
            if (v == null) {
                throw Library.keyNotFound(k);
            }
            return v;
        }, null);

        String b = l.tBody.name();
        Members.RetFn asRet = (t, args, ta) -> ta == Type.STRING || ta == Type.BYTE_ARRAY || ta == l.tJObject
                || ta == l.tJArray || ta == l.tJToken || ta.name().equals("XDocument") || ta.name().equals("XElement") ? ta : null;
        m.generic(b, "As", asRet, (o, a, t) -> readBody((MessageBody) o, t, false), new Type[0]);
        m.generic(b, "As", asRet, (o, a, t) -> readBody((MessageBody) o, t, (Boolean) a[0]), Type.BOOL);

        String v = l.tVariables.name();
        m.method(v, "ContainsKey", Type.BOOL, (o, a, t) -> ((Variables) o).containsKey((String) a[0]), str);
        m.prop(v, "Count", Type.INT, o -> ((Variables) o).count());
        m.prop(v, "Keys", Type.STRING_ARRAY, o -> ((Variables) o).asMap().keySet().toArray(String[]::new));
        m.generic(v, "GetValueOrDefault", (t, args, ta) -> ta, (o, a, t) -> {
            Object x = ((Variables) o).get((String) a[0]);
            return x == null ? Conv.zero(t) : Conv.cast(x, t, true);
        }, str);
        m.generic(v, "GetValueOrDefault", (t, args, ta) -> args.get(1).convertibleTo(ta) ? ta : null, (o, a, t) -> {
            Object x = ((Variables) o).get((String) a[0]);
            return x == null ? Conv.cast(a[1], t, false) : Conv.cast(x, t, true);
        }, str, obj);
        m.method(v, "GetValueOrDefault", obj, (o, a, t) -> ((Variables) o).get((String) a[0]), str);
        m.method(v, "GetValueOrDefault", obj, (o, a, t) -> {
            Object x = ((Variables) o).get((String) a[0]);
            return x == null ? a[1] : x;
        }, str, obj);
        m.outMethod(v, "TryGetValue", Type.BOOL, 1, obj, (o, a, t) -> {
            Variables vars = (Variables) o;
            ((Object[]) a[1])[0] = vars.get((String) a[0]);
            return vars.containsKey((String) a[0]);
        }, str, obj);
        l.indexer(l.tVariables, str, obj, (o, k) -> {
            Variables vars = (Variables) o;
            if (!vars.containsKey((String) k)) {
                throw Library.keyNotFound(k);
            }
            return vars.get((String) k);
        }, null);

        String le = l.tLastError.name();
        m.prop(le, "Source", str, o -> ((LastError) o).source());
        m.prop(le, "Reason", str, o -> ((LastError) o).reason());
        m.prop(le, "Message", str, o -> ((LastError) o).message());
        m.prop(le, "Scope", str, o -> ((LastError) o).scope());
        m.prop(le, "Section", str, o -> ((LastError) o).section());
        m.prop(le, "Path", str, o -> ((LastError) o).path());
        m.prop(le, "PolicyId", str, o -> ((LastError) o).policyId());

        String d = l.tDeployment.name();
        m.prop(d, "Region", str, o -> ((Deployment) o).region());
        m.prop(d, "ServiceName", str, o -> ((Deployment) o).serviceName());
        m.prop(d, "ServiceId", str, o -> ((Deployment) o).serviceId());
        m.prop(d, "Certificates", l.tCertMap, o -> ((Deployment) o).certificates());

        m.prop(l.tUser, "Id", str, o -> ((User) o).id());
        m.prop(l.tUser, "Email", str, o -> ((User) o).email());
        m.prop(l.tUser, "FirstName", str, o -> ((User) o).firstName());
        m.prop(l.tUser, "LastName", str, o -> ((User) o).lastName());
        m.prop(l.tSubscription, "Id", str, o -> ((Subscription) o).id());
        m.prop(l.tSubscription, "Name", str, o -> ((Subscription) o).name());
        m.prop(l.tSubscription, "Key", str, o -> reveal(((Subscription) o).key()));
        m.prop(l.tSubscription, "PrimaryKey", str, o -> reveal(((Subscription) o).primaryKey()));
        m.prop(l.tSubscription, "SecondaryKey", str, o -> reveal(((Subscription) o).secondaryKey()));
        m.prop(l.tProduct, "Id", str, o -> ((Product) o).id());
        m.prop(l.tProduct, "Name", str, o -> ((Product) o).name());
        m.prop(l.tProduct, "SubscriptionRequired", Type.BOOL, o -> ((Product) o).subscriptionRequired());
        m.prop(l.tProduct, "ApprovalRequired", Type.BOOL, o -> ((Product) o).approvalRequired());
        // APIM's ProductState enum (NotPublished, Published), read here as its name
        m.prop(l.tProduct, "State", str, o -> ((Product) o).state());
        m.prop(l.tProduct, "Apis", Type.listOf(l.tApi), o -> ((Product) o).apis());

        String x = l.tCert.name();
        m.prop(x, "Thumbprint", str, o -> ((X509Certificate2) o).thumbprint());
        m.prop(x, "Subject", str, o -> ((X509Certificate2) o).subject());
        m.prop(x, "Issuer", str, o -> ((X509Certificate2) o).issuer());
        m.prop(x, "SubjectName", l.tX500, o -> ((X509Certificate2) o).subjectName());
        m.prop(x, "IssuerName", l.tX500, o -> ((X509Certificate2) o).issuerName());
        m.prop(x, "NotBefore", l.tDateTime, o -> ((X509Certificate2) o).notBefore());
        m.prop(x, "NotAfter", l.tDateTime, o -> ((X509Certificate2) o).notAfter());
        m.prop(x, "SerialNumber", str, o -> ((X509Certificate2) o).serialNumber());
        m.prop(x, "Version", Type.INT, o -> ((X509Certificate2) o).version());
        m.prop(x, "SignatureAlgorithm", l.tOid, o -> ((X509Certificate2) o).signatureAlgorithm());
        Type extList = Type.realListOf(l.tExtension);
        m.prop(x, "Extensions", extList, o -> List.copyOf(((X509Certificate2) o).extensions()));
        m.prop(x, "RawData", Type.BYTE_ARRAY, o -> ((X509Certificate2) o).rawData());
        m.prop(x, "HasPrivateKey", Type.BOOL, o -> ((X509Certificate2) o).hasPrivateKey());
        m.prop(x, "FriendlyName", str, o -> "");
        m.method(x, "Verify", Type.BOOL, (o, a, t) -> ((X509Certificate2) o).verify());
        m.method(x, "VerifyNoRevocation", Type.BOOL, (o, a, t) -> ((X509Certificate2) o).verifyNoRevocation());
        m.method(x, "GetNameInfo", str, (o, a, t) -> ((X509Certificate2) o).getNameInfo((X509NameType) a[0], (Boolean) a[1]),
                l.tNameType, Type.BOOL);
        m.method(x, "GetCertHashString", str, (o, a, t) -> ((X509Certificate2) o).getCertHashString());
        m.method(x, "GetSerialNumberString", str, (o, a, t) -> ((X509Certificate2) o).getSerialNumberString());
        m.method(x, "GetRawCertData", Type.BYTE_ARRAY, (o, a, t) -> ((X509Certificate2) o).rawData());
        m.prop(l.tX500, "Name", str, o -> ((X500DistinguishedName) o).name());
        m.prop(l.tX500, "RawData", Type.BYTE_ARRAY, o -> ((X500DistinguishedName) o).rawData());
        m.prop(l.tOid, "Value", str, o -> ((Oid) o).value());
        m.prop(l.tOid, "FriendlyName", str, o -> ((Oid) o).friendlyName());
        m.prop(l.tExtension, "Oid", l.tOid, o -> ((X509Extension) o).oid());
        m.prop(l.tExtension, "Critical", Type.BOOL, o -> ((X509Extension) o).critical());
        m.prop(l.tExtension, "RawData", Type.BYTE_ARRAY, o -> ((X509Extension) o).rawData());
        l.enumType("X509NameType", l.tNameType, X509NameType.values());
    }

    /** APIM's byte[] extensions: input.Encrypt("Aes", key, iv), input.Decrypt("Aes", key, iv). */
    static void registerEncryptDecrypt(Library l) {
        Members m = l.m;
        for (boolean enc : new boolean[] {true, false}) {
            m.method("Array", enc ? "Encrypt" : "Decrypt", BA, (o, a, x) -> {
                if (!(o instanceof byte[] input)) {
                    throw ExpressionException.invalidCast();
                }
                try {
                    return Crypto.symmetric(enc, input, (String) a[0], NsSystemSecurityCryptography.bytes(a[1], "key"), NsSystemSecurityCryptography.bytes(a[2], "iv"));
                } catch (IllegalArgumentException e) {
                    throw crypto(e.getMessage());
                }
            }, S, BA, BA);
        }
    }

    /** {@code context.Request.Body.AsFormUrlEncodedContent(preserveContent)}. */
    static void registerFormContent(Library l) {
        Members m = l.m;
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
    }

    /** ExpressionSyntaxExtensions: APIM's static helpers behind AsJwt / AsBasic. */
    static void registerExpressionSyntaxExtensions(Library l) {
        Members m = l.m;
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
    }

    /** Makes a dictionary type enumerable as KeyValuePair&lt;string, V&gt; (Key, Value), as foreach sees it in C#. */
    private static Type pairs(Library l, Type dictionary, Type value) {
        Type kv = new Type("KeyValuePair<string, " + value.name() + ">", Map.Entry.class, null);
        l.m.prop(kv, "Key", Type.STRING, o -> ((Map.Entry<?, ?>) o).getKey());
        l.m.prop(kv, "Value", value, o -> {
            Object v = ((Map.Entry<?, ?>) o).getValue();
            return v instanceof List<?> list ? list.toArray(String[]::new) : v;
        });
        l.element(dictionary, kv);
        return kv;
    }

    private static String reveal(io.gatehouse.common.Secret s) {
        return s == null ? null : s.revealString();
    }

    private static String joined(Object map, String name, String dflt) {
        List<?> v = (List<?>) ((Map<?, ?>) map).get(name);
        if (v == null) {
            return dflt;
        }
        StringBuilder sb = new StringBuilder();
        for (Object o : v) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(o);
        }
        return sb.toString();
    }

    /** {@code Body.As<T>(preserveContent)}; see {@link MessageBody} for how a consumed body reads. */
    static Object readBody(MessageBody body, Type t, boolean preserve) {
        if (t == Type.BYTE_ARRAY) {
            return body.read(preserve);
        }
        String s = body.readString(preserve);
        if (t == Type.STRING) {
            return s;
        }
        if (t.name().equals("XDocument") || t.name().equals("XElement")) {
            return t.name().equals("XDocument") ? NsSystemXml.parse(s) : NsSystemXml.parseElement(s);
        }
        JToken tok;
        try {
            tok = Json.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ExpressionException("Newtonsoft.Json.JsonReaderException", e.getMessage());
        }
        if (!t.cls().isInstance(tok)) {
            throw new ExpressionException("System.InvalidCastException", "Unable to cast object of type '"
                    + tok.getClass().getSimpleName() + "' to type '" + t.name() + "'.");
        }
        return tok;
    }

    private static ExpressionException crypto(String msg) {
        return new ExpressionException("System.Security.Cryptography.CryptographicException", msg);
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
        return NsSystemNet.percentEncode(s, "-_.~");
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
            String k = NsSystemNet.urlDecode(eq < 0 ? pair : pair.substring(0, eq));
            String v = eq < 0 ? "" : NsSystemNet.urlDecode(pair.substring(eq + 1));
            out.computeIfAbsent(k, x -> new java.util.ArrayList<>()).add(v);
        }
        return out;
    }

    /**
     * Members of APIM's context model that exist on APIM but have no counterpart in Gatehouse, with
     * the reason, so a document that uses one is refused by name rather than as an unknown member.
     */
    private static final Map<String, String> NOT_PROVIDED = Map.ofEntries(
            Map.entry("IProduct.SubscriptionLimit", "Gatehouse products have no subscription limit"),
            Map.entry("IProduct.Groups", "Gatehouse has no developer groups"),
            Map.entry("IUser.Groups", "Gatehouse has no developer groups"),
            Map.entry("IUser.Identities", "Gatehouse has no developer identities"),
            Map.entry("IUser.Note", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("IUser.RegistrationDate", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("IUser.ExternalId", "Gatehouse users carry only Id, Email, FirstName and LastName"),
            Map.entry("ISubscription.CreatedDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("ISubscription.StartDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("ISubscription.EndDate", "Gatehouse subscriptions carry only Id, Name and keys"),
            Map.entry("IApi.Protocols", "Gatehouse APIs are served over the listener's HTTPS"),
            Map.entry("IRequest.PrivateEndpointConnection", "there are no Azure private endpoints outside Azure"),
            Map.entry("IDeployment.GatewayId", "use context.Deployment.ServiceId, the id of this Gatehouse instance"),
            Map.entry("IProxyRequestContext.Workspace", "Gatehouse has no APIM workspaces"));

    /** Why APIM's member {@code type.member} is not provided here, or null when it is not one of those. */
    static String notProvided(String type, String member) {
        return NOT_PROVIDED.get(type + "." + member);
    }
}
