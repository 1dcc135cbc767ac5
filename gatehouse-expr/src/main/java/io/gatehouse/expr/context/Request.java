package io.gatehouse.expr.context;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code context.Request}: what the client sent, as the gateway recorded it. */
public final class Request {
    private String method = "GET";
    private Url url;
    private Url originalUrl;
    private String rawUrl;       // the URL as received, parsed on first use (see receivedUrl)
    private PolicyContext.Source source; // the matched parameters, and the received URL while urlFromSource
    private boolean urlFromSource;
    private final Headers headers = new Headers();
    private MessageBody body;
    private String ipAddress = "";
    private X509Certificate2 certificate;
    private Map<String, String> matchedParameters; // made on first use

    /** Takes the received URL and the matched parameters from {@code s} when first read (see {@link PolicyContext#source}). */
    Request source(PolicyContext.Source s) {
        this.source = s;
        this.urlFromSource = s != null;
        return this;
    }

    /** The URL as received: set by {@link #receivedUrl}, or asked of the source on first use. */
    private String rawUrl() {
        if (urlFromSource) {
            urlFromSource = false;
            rawUrl = source.receivedUrl();
        }
        return rawUrl;
    }

    public String method() {
        return method;
    }

    public Request method(String m) {
        this.method = m;
        return this;
    }

    public Url url() {
        if (url == null && rawUrl() != null) {
            url = Url.parse(rawUrl);
        }
        return url;
    }

    public Request url(Url u) {
        this.url = u;
        return this;
    }

    /**
     * Sets the URL and the original URL to {@code text} as received, both parsed only when first
     * read: a policy that never looks at the URL costs no parsing, and the gateway can then forward
     * the received target as it came ({@link #urlUnread()}).
     */
    public Request receivedUrl(String text) {
        this.urlFromSource = false;
        this.rawUrl = text;
        this.url = null;
        this.originalUrl = null;
        return this;
    }

    /** True when the URL was set with {@link #receivedUrl} and nothing has read or replaced it since. */
    public boolean urlUnread() {
        return url == null && (rawUrl != null || urlFromSource);
    }

    /** The URL as received, before any rewrite; defaults to {@link #url()}. */
    public Url originalUrl() {
        if (originalUrl == null && rawUrl() != null) {
            originalUrl = Url.parse(rawUrl);
        }
        return originalUrl != null ? originalUrl : url();
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
        if (matchedParameters == null) {
            matchedParameters = new LinkedHashMap<>();
            if (source != null) {
                matchedParameters.putAll(source.matchedParameters());
            }
        }
        return matchedParameters;
    }
}
