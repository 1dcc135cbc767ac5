package io.gatehouse.expr.context;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code context.Request}: what the client sent, as the gateway recorded it. */
public final class Request {
    private String method = "GET";
    private Url url;
    private Url originalUrl;
    private final Headers headers = new Headers();
    private MessageBody body;
    private String ipAddress = "";
    private X509Certificate2 certificate;
    private final Map<String, String> matchedParameters = new LinkedHashMap<>();

    public String method() {
        return method;
    }

    public Request method(String m) {
        this.method = m;
        return this;
    }

    public Url url() {
        return url;
    }

    public Request url(Url u) {
        this.url = u;
        return this;
    }

    /** The URL as received, before any rewrite; defaults to {@link #url()}. */
    public Url originalUrl() {
        return originalUrl != null ? originalUrl : url;
    }

    public Request originalUrl(Url u) {
        this.originalUrl = u;
        return this;
    }

    public Headers headers() {
        return headers;
    }

    public MessageBody body() {
        return body;
    }

    public Request body(MessageBody b) {
        this.body = b;
        return this;
    }

    public String ipAddress() {
        return ipAddress;
    }

    public Request ipAddress(String ip) {
        this.ipAddress = ip;
        return this;
    }

    /** The client certificate, or null when the client sent none. */
    public X509Certificate2 certificate() {
        return certificate;
    }

    public Request certificate(X509Certificate2 c) {
        this.certificate = c;
        return this;
    }

    /** Template parameters matched by the operation's URL template; mutable for the gateway. */
    public Map<String, String> matchedParameters() {
        return matchedParameters;
    }
}
