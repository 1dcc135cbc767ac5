package io.gatehouse.expr.context;

/** {@code context.Api}. IsCurrentRevision is always true: Gatehouse has no revisions. */
public record ApiInfo(String id, String name, String path, Url serviceUrl, String version,
                      SubscriptionKeyParameterNames subscriptionKeyParameterNames) {
    public ApiInfo {
        subscriptionKeyParameterNames = subscriptionKeyParameterNames == null ? SubscriptionKeyParameterNames.DEFAULT
                : subscriptionKeyParameterNames;
    }

    /** An API whose subscription key goes by APIM's default names. */
    public ApiInfo(String id, String name, String path, Url serviceUrl, String version) {
        this(id, name, path, serviceUrl, version, SubscriptionKeyParameterNames.DEFAULT);
    }

    public boolean isCurrentRevision() {
        return true;
    }

    public String revision() {
        return "1";
    }
}
