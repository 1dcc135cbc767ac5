package io.gatehouse.config.model;

import io.gatehouse.common.Position;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * One API.
 *
 * @param path URL suffix without leading or trailing slash ("" is the root)
 * @param backendId the backend entity, or null when serviceUrl is used
 * @param serviceUrl the backend URL when no backend entity is named
 * @param policy null when the API has no policy of its own
 * @param operations empty means every method and path under the API, unless the API has an OpenAPI
 *     document ({@code openApi}): then only these operations match, even none
 * @param hostnames the hostnames (their {@code hostName}s) the API is served on; empty means all
 *     of them, as in APIM
 * @param clientCertificateRequired {@code clientCertificate: required}: a request whose connection
 *     has no client certificate that verifies against its hostname's CA certificates is refused
 *     before any policy runs
 * @param forwardClientCertificate whether the gateway tells the backend the client's verified
 *     certificate itself, and in which header format
 * @param graphqlSchema {@code apis[].graphql.schema}: the API's GraphQL schema (SDL) file, for
 *     {@code validate-graphql-request}; null when the API has none
 * @param openApi {@code apis[].openApi}: the OpenAPI (or Swagger 2.0) document that defines the
 *     API's operations; null when the API has none
 * @param definition the API's definition read from {@code openApi}, for the validation policies;
 *     null when the API has no document
 * @param subscription {@code apis[].subscriptionRequired} and {@code apis[].subscriptionKeyParameterNames}
 */
public record ApiConfig(
        String id,
        String path,
        String backendId,
        URI serviceUrl,
        PolicyRef policy,
        List<OperationConfig> operations,
        Position position,
        List<String> hostnames,
        boolean clientCertificateRequired,
        ForwardClientCertificate forwardClientCertificate,
        Path graphqlSchema,
        Path openApi,
        io.gatehouse.policy.api.ApiDefinition definition,
        SubscriptionKeys subscription) {

    public ApiConfig {
        operations = List.copyOf(operations);
        hostnames = hostnames == null ? List.of() : List.copyOf(hostnames);
        subscription = subscription == null ? SubscriptionKeys.DEFAULT : subscription;
    }

    /**
     * Whether a request needs a subscription key, and where it carries one.
     *
     * @param required {@code apis[].subscriptionRequired} (false by default in Gatehouse; APIM's default is true)
     * @param header {@code subscriptionKeyParameterNames.header}, {@code Ocp-Apim-Subscription-Key} by default
     * @param query {@code subscriptionKeyParameterNames.query}, {@code subscription-key} by default
     */
    public record SubscriptionKeys(boolean required, String header, String query) {
        public static final String DEFAULT_HEADER = "Ocp-Apim-Subscription-Key";
        public static final String DEFAULT_QUERY = "subscription-key";
        public static final SubscriptionKeys DEFAULT = new SubscriptionKeys(false, DEFAULT_HEADER, DEFAULT_QUERY);
    }

    /** An API without an OpenAPI document, needing no subscription key. */
    public ApiConfig(String id, String path, String backendId, URI serviceUrl, PolicyRef policy,
            List<OperationConfig> operations, Position position, List<String> hostnames,
            boolean clientCertificateRequired, ForwardClientCertificate forwardClientCertificate, Path graphqlSchema) {
        this(id, path, backendId, serviceUrl, policy, operations, position, hostnames, clientCertificateRequired,
                forwardClientCertificate, graphqlSchema, null, null, SubscriptionKeys.DEFAULT);
    }

    /** An API without a GraphQL schema or an OpenAPI document. */
    public ApiConfig(String id, String path, String backendId, URI serviceUrl, PolicyRef policy,
            List<OperationConfig> operations, Position position, List<String> hostnames,
            boolean clientCertificateRequired, ForwardClientCertificate forwardClientCertificate) {
        this(id, path, backendId, serviceUrl, policy, operations, position, hostnames, clientCertificateRequired,
                forwardClientCertificate, null, null, null, SubscriptionKeys.DEFAULT);
    }

    /** An API served on every hostname, with the client certificate optional. */
    public ApiConfig(String id, String path, String backendId, URI serviceUrl, PolicyRef policy,
            List<OperationConfig> operations, Position position) {
        this(id, path, backendId, serviceUrl, policy, operations, position, List.of(), false,
                ForwardClientCertificate.NONE, null, null, null, SubscriptionKeys.DEFAULT);
    }

    /** {@code apis[].forwardClientCertificate}. */
    public enum ForwardClientCertificate {
        /** Nothing (the default): identity headers from clients are removed, and none is added. */
        NONE,
        /** RFC 9440 {@code Client-Cert} and {@code Client-Cert-Chain}. */
        RFC9440,
        /** Envoy's {@code X-Forwarded-Client-Cert}. */
        XFCC
    }
}
