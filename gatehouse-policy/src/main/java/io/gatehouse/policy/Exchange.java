package io.gatehouse.policy;

import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.elements.cache.Pending;
import io.gatehouse.tls.KeyMaterial;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static java.util.Objects.requireNonNull;

/**
 * One request going through the policies: the APIM {@code context} the gateway filled, plus what
 * policies decided for the gateway to act on: the backend ({@link #backendId()},
 * {@link #baseUrl()}), the client certificate to present upstream ({@link #clientCertificate()}),
 * whether a policy already produced the response ({@link #isResponded()}), trace entries and the
 * failure, if any. Not thread-safe: one request runs on one thread at a time.
 */
public final class Exchange {
    private final PolicyContext context;
    private String backendId;
    private String baseUrl;
    private KeyMaterial clientCertificate;
    private boolean responded;
    private Section section = Section.INBOUND;
    private Forwarder forwarder;
    private GatewayException failure;
    private List<TraceEntry> traces; // made on the first entry: most requests trace nothing
    private Object attachment;
    private List<Consumer<Response>> responseHooks;
    private Pending pendingCacheStore;
    private io.gatehouse.policy.spi.MetricSink metricSink;
    private PolicySteps steps;
    private io.gatehouse.policy.spi.Block.Item responder;
    private boolean responderSet;   // responder is this run's: on-error may name another
    private io.gatehouse.policy.spi.OutboundHttp outboundHttp;
    private io.gatehouse.expr.context.MessageBody streamedResponseBody;
    private List<ResponseBodyTap> responseBodyTaps;
    private OutboundProxy proxy;
    private String backendPath;

    public Exchange(PolicyContext context) {
        this.context = requireNonNull(context, "context");
    }

    public PolicyContext context() {
        return context;
    }

    /**
     * Where {@code emit-metric} sends this request's data points: set by the gateway (its own
     * Prometheus registry); null means the environment's sink.
     */
    public io.gatehouse.policy.spi.MetricSink metricSink() {
        return metricSink;
    }

    public Exchange metricSink(io.gatehouse.policy.spi.MetricSink sink) {
        this.metricSink = sink;
        return this;
    }

    /** Who is told which branches the policies took ({@code gatehouse explain}); null when nobody asks. */
    public PolicySteps steps() {
        return steps;
    }

    public Exchange steps(PolicySteps steps) {
        this.steps = steps;
        return this;
    }

    /**
     * How this request's own calls ({@code send-request}, {@code send-one-way-request}) go out: set
     * by the gateway when it traces requests (the calls then carry the request's W3C trace
     * context); null means the environment's client.
     */
    public io.gatehouse.policy.spi.OutboundHttp outboundHttp() {
        return outboundHttp;
    }

    public Exchange outboundHttp(io.gatehouse.policy.spi.OutboundHttp http) {
        this.outboundHttp = http;
        return this;
    }

    /** The backend entity to call, set by the gateway from the API and overridden by {@code set-backend-service backend-id}. */
    public String backendId() {
        return backendId;
    }

    public Exchange backendId(String id) {
        this.backendId = id;
        return this;
    }

    /** A base URL from {@code set-backend-service base-url}, replacing the backend's URL; null when not set. */
    public String baseUrl() {
        return baseUrl;
    }

    public Exchange baseUrl(String url) {
        this.baseUrl = url;
        return this;
    }

    /**
     * A path that replaces the whole path sent to the backend (the API's base path and the
     * operation's path alike), set by {@code set-backend-service backend-id="dapr"} together with
     * {@link #baseUrl}: the Dapr sidecar's {@code /v1.0/invoke/{app-id}/method/{method}}. Null
     * (the default) sends the request's own path under the backend's. The query string is kept.
     */
    public String backendPath() {
        return backendPath;
    }

    public Exchange backendPath(String path) {
        this.backendPath = path;
        return this;
    }

    /** The HTTP proxy {@code forward-request} goes through, set by the {@code proxy} policy; null for a direct connection. */
    public OutboundProxy proxy() {
        return proxy;
    }

    public Exchange proxy(OutboundProxy proxy) {
        this.proxy = proxy;
        return this;
    }

    /**
     * The key pair to present to the backend instead of the backend entity's own, set by
     * {@code authentication-certificate}; null to use the backend's.
     */
    public KeyMaterial clientCertificate() {
        return clientCertificate;
    }

    public Exchange clientCertificate(KeyMaterial km) {
        this.clientCertificate = km;
        return this;
    }

    /** True once {@code return-response} produced the response in {@code context.Response}: later policies are skipped. */
    public boolean isResponded() {
        return responded;
    }

    /** Ends the pipeline with {@code context.Response} as the answer. */
    public void markResponded() {
        this.responded = true;
    }

    void clearResponded() {
        this.responded = false;
        this.responderSet = false;
    }

    /**
     * The policy that produced the response: the item whose run made {@link #isResponded()} true
     * ({@code return-response}, {@code mock-response}, a cache hit...), or the item that failed
     * (whose error response went out unless on-error answered itself); null when the backend's
     * response went out. Its {@code element()} and {@code at()} name it.
     */
    public io.gatehouse.policy.spi.Block.Item responder() {
        return responder;
    }

    /** Called by a block after {@code item} ran: names it the responder if it produced the response. */
    public void respondedBy(io.gatehouse.policy.spi.Block.Item item) {
        if (responded && !responderSet) {
            responder = item;
            responderSet = true;
        }
    }

    /** Called by a block when {@code item} failed: the innermost failing item is the responder. */
    public void failedAt(io.gatehouse.policy.spi.Block.Item item) {
        if (!responderSet) {
            responder = item;
            responderSet = true;
        }
    }

    /** The section running now. */
    public Section section() {
        return section;
    }

    void section(Section s) {
        this.section = s;
    }

    /** The gateway's forwarder for this execution (used by {@code forward-request}). */
    public Forwarder forwarder() {
        return forwarder;
    }

    void forwarder(Forwarder f) {
        this.forwarder = f;
    }

    /** The failure that sent the request to on-error, with its internal detail for the log; null if none. */
    public GatewayException failure() {
        return failure;
    }

    void failure(GatewayException g) {
        this.failure = g;
    }

    public List<TraceEntry> traces() {
        return traces == null ? List.of() : List.copyOf(traces);
    }

    public void trace(TraceEntry entry) {
        requireNonNull(entry, "entry");
        if (traces == null) {
            traces = new ArrayList<>(2);
        }
        traces.add(entry);
        if (steps != null) {
            steps.traced(entry);
        }
    }

    /** Whatever the gateway wants to carry along (its channel state); policies never touch it. */
    public Object attachment() {
        return attachment;
    }

    public Exchange attachment(Object a) {
        this.attachment = a;
        return this;
    }

    /**
     * Registers {@code hook} to run on the response that finally leaves, whichever it is: the
     * backend's, a {@code return-response} or cache hit, or the error response after on-error.
     * For headers a policy decides in inbound but that must survive a replaced response (CORS,
     * rate-limit remaining calls). Hooks run once, in registration order, when
     * {@link EffectivePolicy#execute} finishes; one that throws is traced and skipped.
     */
    public void onResponse(Consumer<Response> hook) {
        requireNonNull(hook, "hook");
        if (responseHooks == null) {
            responseHooks = new ArrayList<>(2);
        }
        responseHooks.add(hook);
    }

    /** True when a policy registered an {@link #onResponse} hook that has not run yet. */
    public boolean hasResponseHooks() {
        return responseHooks != null;
    }

    /** Runs the hooks of {@link #onResponse} on {@code context.Response}, at most once. */
    void runResponseHooks() {
        List<Consumer<Response>> hooks = responseHooks;
        responseHooks = null;
        if (hooks == null) {
            return;
        }
        for (Consumer<Response> h : hooks) {
            try {
                h.accept(context.response());
            } catch (RuntimeException e) {
                trace(new TraceEntry("gateway", "error", "response hook failed: " + e, java.util.Map.of()));
            }
        }
    }

    /**
     * Set by the gateway when the backend's body stays on its connection and {@code body} (empty)
     * stands for it in {@code context.Response.Body}: if it is still there when the response leaves,
     * the body streams to the client after the policies.
     */
    public void streamedResponseBody(io.gatehouse.expr.context.MessageBody body) {
        this.streamedResponseBody = body;
    }

    /** True when {@code body} is the placeholder of a backend body the gateway streams (see {@link #streamedResponseBody}). */
    public boolean isStreamedResponseBody(io.gatehouse.expr.context.MessageBody body) {
        return body != null && body == streamedResponseBody;
    }

    /**
     * Asks the gateway to show {@code tap} the streamed backend body as it passes to the client
     * (for a policy that reads something at its end, such as an LLM's token usage, without
     * buffering it). Only meaningful from an {@link #onResponse} hook that found
     * {@link #isStreamedResponseBody} true. The gateway ends a tap with {@code end(false)} when the
     * body breaks off or is not sent; a tap may hear no end at all when the client goes away
     * mid-body (the relay stops), so it must hold nothing that needs closing.
     */
    public void tapResponseBody(ResponseBodyTap tap) {
        requireNonNull(tap, "tap");
        if (responseBodyTaps == null) {
            responseBodyTaps = new ArrayList<>(2);
        }
        responseBodyTaps.add(tap);
    }

    /** The taps of {@link #tapResponseBody}, in order; empty when none. */
    public List<ResponseBodyTap> responseBodyTaps() {
        return responseBodyTaps == null ? List.of() : List.copyOf(responseBodyTaps);
    }

    /**
     * What {@code cache-lookup} left for {@code cache-store} after a miss (the key and how to
     * store); null when there was no lookup, a hit, or the request is not cacheable.
     */
    public Pending pendingCacheStore() {
        return pendingCacheStore;
    }

    public void pendingCacheStore(Pending pending) {
        this.pendingCacheStore = pending;
    }
}
