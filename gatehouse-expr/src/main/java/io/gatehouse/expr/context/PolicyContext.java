package io.gatehouse.expr.context;

import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.TimeSpan;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code context} variable of a policy expression: one per request, filled by the gateway and
 * read by expressions. Not thread-safe: one request is handled by one thread at a time.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ContextVariables">APIM context variables</a>
 */
public final class PolicyContext {
    /** One {@code context.Trace(source, message)} call. */
    public record TraceEntry(String source, String message) {
    }

    /**
     * What the gateway knows about a request, asked for only when a policy reads it: most policies
     * read little of it (the guide's read the client certificate and nothing else), and building all
     * of it for every request cost a policy route more than the policies themselves.
     */
    public interface Source {
        /** {@code context.Api}; a new object each call (policies may change its service URL). */
        ApiInfo api();

        /** {@code context.Operation}, or null when the API has no operations. */
        OperationInfo operation();

        /** The URL as received, e.g. {@code https://host/path?query}. */
        String receivedUrl();

        /** The parameters the operation's URL template matched; empty when none. */
        Map<String, String> matchedParameters();
    }

    private ApiInfo api;
    private OperationInfo operation;
    private Source source;             // api and operation come from it until set or read
    private final Request request = new Request();
    private final Response response = new Response();
    private Variables variables;       // made on first use
    private LastError lastError;
    private Guid requestId;            // made on first read when the gateway set none (a random UUID is not free)
    private String requestIdText;      // the gateway's id, parsed on first read
    private DateTime timestamp;        // likewise: set with started(...), or derived from startNanos on first read
    private long startNanos;
    private Deployment deployment = Deployment.LOCAL;
    private User user;
    private Subscription subscription;
    private Product product;
    private List<TraceEntry> traces;   // made on the first context.Trace()

    /** A context whose elapsed time runs from now. */
    public PolicyContext() {
        this(System.nanoTime());
    }

    /**
     * A context for a request received at {@code startNanos} ({@link System#nanoTime()}): the start
     * of {@link #elapsed()}, and of {@link #timestamp()} unless {@link #started} sets another.
     */
    public PolicyContext(long startNanos) {
        this.startNanos = startNanos;
    }

    /** Takes {@code s} for {@code context.Api}, {@code context.Operation} and the request's URL and matched parameters, read on demand. */
    public PolicyContext source(Source s) {
        this.source = s;
        request.source(s);
        return this;
    }

    public ApiInfo api() {
        if (api == null && source != null) {
            api = source.api();
        }
        return api;
    }

    public PolicyContext api(ApiInfo a) {
        this.api = a;
        return this;
    }

    public OperationInfo operation() {
        if (operation == null && source != null) {
            operation = source.operation();
        }
        return operation;
    }

    public PolicyContext operation(OperationInfo o) {
        this.operation = o;
        return this;
    }

    public Request request() {
        return request;
    }

    public Response response() {
        return response;
    }

    public Variables variables() {
        if (variables == null) {
            variables = new Variables();
        }
        return variables;
    }

    public LastError lastError() {
        return lastError;
    }

    public PolicyContext lastError(LastError e) {
        this.lastError = e;
        return this;
    }

    public Guid requestId() {
        if (requestId == null) {
            requestId = requestIdText != null ? new Guid(java.util.UUID.fromString(requestIdText)) : Guid.newGuid();
        }
        return requestId;
    }

    public PolicyContext requestId(Guid id) {
        this.requestId = id;
        return this;
    }

    /** The gateway's request id in its GUID text form; parsed only if a policy reads it. */
    public PolicyContext requestId(String id) {
        this.requestId = null;
        this.requestIdText = id;
        return this;
    }

    /** When the gateway received the request, UTC. */
    public DateTime timestamp() {
        if (timestamp == null) { // the wall clock now, less the time since the request came
            timestamp = DateTime.ofInstant(Instant.now().minusNanos(Math.max(0, System.nanoTime() - startNanos)),
                    DateTime.Kind.Utc);
        }
        return timestamp;
    }

    /** Sets the receive time and the start of {@link #elapsed()}. */
    public PolicyContext started(DateTime ts, long nanoTime) {
        this.timestamp = ts;
        this.startNanos = nanoTime;
        return this;
    }

    public TimeSpan elapsed() {
        return TimeSpan.fromNanos(System.nanoTime() - startNanos);
    }

    public Deployment deployment() {
        return deployment;
    }

    public PolicyContext deployment(Deployment d) {
        this.deployment = d;
        return this;
    }

    public User user() {
        return user;
    }

    public PolicyContext user(User u) {
        this.user = u;
        return this;
    }

    public Subscription subscription() {
        return subscription;
    }

    public PolicyContext subscription(Subscription s) {
        this.subscription = s;
        return this;
    }

    public Product product() {
        return product;
    }

    public PolicyContext product(Product p) {
        this.product = p;
        return this;
    }

    /** The source of an entry written by {@code context.Trace(message)}, the one-argument form APIM documents. */
    public static final String TRACE_SOURCE = "context.Trace";

    /** {@code context.Trace(source, message)}: recorded for the request trace. */
    public void trace(String source, Object message) {
        if (traces == null) {
            traces = new ArrayList<>(2);
        }
        traces.add(new TraceEntry(source, io.gatehouse.expr.lib.Dotnet.toStr(message)));
    }

    public List<TraceEntry> traces() {
        return traces == null ? List.of() : List.copyOf(traces);
    }
}
