package io.gatehouse.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The checks on a request head, one rule at a time ({@link EdgeHttp1Test} drives them end to end). */
class RequestChecksTest {

    private static HttpRequest get(String target, String... headerPairs) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, target, new DefaultHttpHeaders(false));
        for (int i = 0; i < headerPairs.length; i += 2) {
            r.headers().add(headerPairs[i], headerPairs[i + 1]);
        }
        return r;
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.contoso.local", "API.Contoso.Local:8443", "127.0.0.1", "127.0.0.1:1", "[::1]",
            "[2001:db8::1]:443", "under_score.local", "a", "x.y.z:65535"})
    void validHosts(String host) {
        assertThat(RequestChecks.validHost(host)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "u@api", "api, other", "api other", "api:", "api:65536", "api:0x1", "api:123456",
            "[::1", "[]", "[zz::1]", ":8443", "api/x", "api?x", "api#x", "%61pi", "api\t", "ápi", "api:80:80"})
    void invalidHosts(String host) {
        assertThat(RequestChecks.validHost(host)).isFalse();
    }

    @Test
    void hostIsRequiredOnHttp11AndUniqueEverywhere() {
        assertThat(RequestChecks.check(get("/a"), false).why()).contains("without a Host");
        assertThat(RequestChecks.check(get("/a", "host", "a", "host", "a"), false).why()).contains("more than one Host");
        assertThat(RequestChecks.check(get("/a", "host", "a"), false)).isNull();
        HttpRequest old = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET, "/a");
        assertThat(RequestChecks.check(old, false)).isNull();
        assertThat(RequestChecks.check(get("/a"), true)).as("HTTP/2 without :authority").isNull();
    }

    @Test
    void versionsOtherThan10And11Are505() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.valueOf("HTTP/2.0"), HttpMethod.GET, "/a");
        r.headers().add("host", "a");
        RequestChecks.Refusal refusal = RequestChecks.check(r, false);
        assertThat(refusal.kind()).isEqualTo(FailureKind.VERSION_NOT_SUPPORTED);
    }

    @Test
    void targetsMustBeVisibleAsciiInOriginForm() {
        assertThat(RequestChecks.invalidTargetChar("/a/b?c=d&e=%20")).isEqualTo(-1);
        assertThat(RequestChecks.invalidTargetChar("/a\u0000")).isEqualTo(2);
        assertThat(RequestChecks.invalidTargetChar("/a b")).isEqualTo(2);
        assertThat(RequestChecks.invalidTargetChar("/a#b")).isEqualTo(2);
        assertThat(RequestChecks.invalidTargetChar("/\u00e9")).isEqualTo(1);
        assertThat(RequestChecks.check(get("ftp://evil/a", "host", "a"), false).why()).contains("origin form");
        assertThat(RequestChecks.check(get("*", "host", "a"), false).why()).contains("origin form");
    }

    @Test
    void anAbsoluteFormTargetBecomesOriginFormAndItsAuthorityTheHost() {
        HttpRequest r = get("HTTPS://Strict.Example:8443/a/b?c=1", "host", "lax.example");
        assertThat(RequestChecks.check(r, false)).isNull();
        assertThat(r.uri()).isEqualTo("/a/b?c=1");
        assertThat(r.headers().getAll("host")).containsExactly("Strict.Example:8443");
        HttpRequest bare = get("http://a.example?x=1");
        assertThat(RequestChecks.check(bare, false)).isNull();
        assertThat(bare.uri()).isEqualTo("/?x=1");
        assertThat(RequestChecks.check(get("http://u@a.example/x", "host", "a.example"), false).why())
                .contains("authority");
        assertThat(RequestChecks.check(get("http:///x", "host", "a.example"), false).why()).contains("authority");
    }

    @Test
    void connectionMayNotNameFramingOrRouting() {
        for (String v : List.of("content-length", "Keep-Alive, Transfer-Encoding", "close ,HOST")) {
            HttpHeaders h = new DefaultHttpHeaders().add("connection", v);
            assertThat(RequestChecks.checkConnection(h)).as(v).isNotNull();
        }
        assertThat(RequestChecks.checkConnection(new DefaultHttpHeaders().add("connection", "keep-alive, TE, X-A")))
                .isNull();
        HttpHeaders two = new DefaultHttpHeaders().add("connection", "keep-alive").add("connection", "content-length");
        assertThat(RequestChecks.checkConnection(two)).as("the second Connection line counts too").isNotNull();
    }

    @Test
    void framingIsChunkedAloneOrALengthOrNothing() {
        assertThat(RequestChecks.framing(get("/a", "transfer-encoding", "chunked"))).isEqualTo(RequestChecks.Framing.CHUNKED);
        assertThat(RequestChecks.framing(get("/a", "transfer-encoding", "Chunked "))).isEqualTo(RequestChecks.Framing.CHUNKED);
        assertThat(RequestChecks.framing(get("/a", "transfer-encoding", "gzip, chunked"))).isNull();
        assertThat(RequestChecks.framing(get("/a", "transfer-encoding", "chunked", "transfer-encoding", "chunked"))).isNull();
        assertThat(RequestChecks.framing(get("/a", "content-length", "5"))).isEqualTo(RequestChecks.Framing.LENGTH);
        assertThat(RequestChecks.framing(get("/a"))).isEqualTo(RequestChecks.Framing.NONE);
    }

    @Test
    void identityNamesMatchIgnoringCaseAndUnderscoresAndByPrefix() {
        IdentityHeaders ids = new IdentityHeaders(List.of("X-Employee-Id", "X-Tenant-*"));
        for (String n : List.of("Client-Cert", "CLIENT_CERT", "x-forwarded-client-cert", "X_Forwarded_Client_Cert_Info",
                "x-ssl-anything", "X-Amzn-Mtls-Clientcert-Leaf", "x-ms-client-principal-name", "x_employee_id",
                "X-Tenant-Region", "x-original-url")) {
            assertThat(ids.isIdentity(n)).as(n).isTrue();
        }
        for (String n : List.of("Content-Type", "x-client-id", "client", "x-ssl", "X-Employee-Ids", "x-tenant",
                "authorization", "cookie", "x-request-id", "")) {
            assertThat(ids.isIdentity(n)).as(n).isFalse();
        }
        assertThat(IdentityHeaders.DEFAULT.isIdentity("X-Employee-Id")).isFalse();
    }

    @Test
    void stripKeepsTheStandardForwardingNamesForAddForwardedAndDropsTheRest() {
        HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "1.1.1.1").add("x_forwarded_for", "6.6.6.6")
                .add("X-Forwarded-Port", "1").add("X-Forwarded-Proto", "http").add("Client-Cert", ":x:").add("Accept", "*/*");
        IdentityHeaders.DEFAULT.strip(h, false);
        assertThat(h.names()).containsExactlyInAnyOrder("X-Forwarded-For", "Accept");
        HttpHeaders t = new DefaultHttpHeaders().add("X-Forwarded-For", "1.1.1.1").add("X-Forwarded-Port", "1")
                .add("X-Forwarded-Proto", "http").add("x_forwarded_for", "6.6.6.6");
        IdentityHeaders.DEFAULT.strip(t, true);
        assertThat(t.names()).containsExactlyInAnyOrder("X-Forwarded-For", "X-Forwarded-Port");
    }

    @Test
    void forwardedElementsQuoteIpv6AndTheHost() {
        assertThat(ForwardedHeaders.forwardedElement("10.0.0.1", io.netty.util.AsciiString.of("https"), "a.b:8443"))
                .isEqualTo("for=10.0.0.1;proto=https;host=\"a.b:8443\"");
        assertThat(ForwardedHeaders.forwardedElement("::1", io.netty.util.AsciiString.of("http"), null))
                .isEqualTo("for=\"[::1]\";proto=http");
    }
}
