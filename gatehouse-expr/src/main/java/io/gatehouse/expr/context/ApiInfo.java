package io.gatehouse.expr.context;

/** {@code context.Api}. IsCurrentRevision is always true: Gatehouse has no revisions. */
public record ApiInfo(String id, String name, String path, Url serviceUrl, String version) {
    public boolean isCurrentRevision() {
        return true;
    }

    public String revision() {
        return "1";
    }
}
