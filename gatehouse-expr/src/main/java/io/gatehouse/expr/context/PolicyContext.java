package io.gatehouse.expr.context;

import io.gatehouse.expr.lib.DateTime;
import io.gatehouse.expr.lib.Guid;
import io.gatehouse.expr.lib.TimeSpan;

import java.util.ArrayList;
import java.util.List;

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

    private ApiInfo api;
    private OperationInfo operation;
    private final Request request = new Request();
    private final Response response = new Response();
    private final Variables variables = new Variables();
    private LastError lastError;
    private Guid requestId;            // made on first read when the gateway set none (a random UUID is not free)
    private String requestIdText;      // the gateway's id, parsed on first read
    private DateTime timestamp;        // likewise: the gateway sets it with started(...)
    private long startNanos = System.nanoTime();
    private Deployment deployment = Deployment.LOCAL;
    private User user;
    private Subscription subscription;
    private Product product;
    private final List<TraceEntry> traces = new ArrayList<>();

    public ApiInfo api() {
        return api;
    }

    public PolicyContext api(ApiInfo a) {
        this.api = a;
        return this;
    }

    public OperationInfo operation() {
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
        if (timestamp == null) {
            timestamp = DateTime.utcNow();
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

    /** {@code context.Trace(source, message)}: recorded for the request trace. */
    public void trace(String source, Object message) {
        traces.add(new TraceEntry(source, io.gatehouse.expr.lib.Dotnet.toStr(message)));
    }

    public List<TraceEntry> traces() {
        return List.copyOf(traces);
    }
}
