package io.gatehouse.expr.context;

/** {@code context.Response}: the backend's (or a policy's) response. */
public final class Response {
    private int statusCode = 200;
    private String statusReason = "OK";
    private final Headers headers = new Headers();
    private MessageBody body;

    public int statusCode() {
        return statusCode;
    }

    public Response statusCode(int code) {
        this.statusCode = code;
        return this;
    }

    public String statusReason() {
        return statusReason;
    }

    public Response statusReason(String reason) {
        this.statusReason = reason;
        return this;
    }

    public Headers headers() {
        return headers;
    }

    public MessageBody body() {
        return body;
    }

    public Response body(MessageBody b) {
        this.body = b;
        return this;
    }
}
