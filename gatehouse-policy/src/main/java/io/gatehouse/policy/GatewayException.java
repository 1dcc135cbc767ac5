package io.gatehouse.policy;

import static java.util.Objects.requireNonNull;

/**
 * A request failed: a policy refused it, an expression threw, or the gateway could not reach the
 * backend. It becomes {@code context.LastError} for the {@code on-error} section and, unless
 * on-error answers otherwise, a small JSON error response with {@link #status()}.
 *
 * <p>{@link #getMessage()} is the internal detail for LastError.Message, the log and the trace;
 * it never goes into the response body, which carries only {@link #publicMessage()}.
 */
public class GatewayException extends RuntimeException {
    /** APIM's reason when a policy expression throws. */
    public static final String EXPRESSION_FAILURE = "ExpressionValueEvaluationFailure";

    private final int status;
    private final String source;
    private final String reason;
    private Scope scope;
    private Section section;
    private String path;
    private String policyId;

    /**
     * @param status the HTTP status of the default error response (400-599)
     * @param source the failing policy's element name or a gateway stage such as {@code forward-request}
     * @param reason a stable code, e.g. {@code BackendConnectionFailure}
     * @param message internal detail for LastError.Message and logs
     */
    public GatewayException(int status, String source, String reason, String message) {
        this(status, source, reason, message, null);
    }

    public GatewayException(int status, String source, String reason, String message, Throwable cause) {
        super(requireNonNull(message, "message"), cause, false, cause != null);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 400-599)");
        }
        this.status = status;
        this.source = requireNonNull(source, "source");
        this.reason = requireNonNull(reason, "reason");
    }

    public int status() {
        return status;
    }

    public String source() {
        return source;
    }

    public String reason() {
        return reason;
    }

    /** The scope of the policy that failed, or null when the failure was not in a policy. */
    public Scope scope() {
        return scope;
    }

    public Section section() {
        return section;
    }

    /** Where in the section the failing policy is, e.g. {@code choose/when[1]/set-header[2]}. */
    public String path() {
        return path;
    }

    /** The {@code id} attribute of the failing policy, if the author gave one. */
    public String policyId() {
        return policyId;
    }

    /** Records where the failure happened; the innermost location wins. */
    public GatewayException locate(Scope scope, String path, String policyId) {
        if (this.path == null) {
            this.scope = scope;
            this.path = path;
            this.policyId = policyId;
        }
        return this;
    }

    /** Records the running section, once. */
    public GatewayException inSection(Section section) {
        if (this.section == null) {
            this.section = section;
        }
        return this;
    }

    /**
     * {@code context.LastError.Message}: {@link #getMessage()}, unless the failure's detail is not
     * for policies (which may put it in a response), such as why a subscription key was refused.
     */
    public String lastErrorMessage() {
        return getMessage();
    }

    /** The message safe to show a client: a short phrase for the status, no internals. */
    public String publicMessage() {
        return publicMessage(status);
    }

    public static String publicMessage(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 401 -> "Access denied due to missing or invalid client certificate";
            case 403 -> "Forbidden";
            case 404 -> "Resource not found";
            case 408 -> "Request timeout";
            case 413 -> "Request entity too large";
            case 429 -> "Too many requests";
            case 502 -> "Bad gateway";
            case 503 -> "Service unavailable";
            case 504 -> "Gateway timeout";
            default -> status >= 500 ? "Internal server error" : "Request failed";
        };
    }
}
