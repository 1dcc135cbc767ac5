package io.gatehouse.policy;

import io.gatehouse.common.SourceText;
import io.gatehouse.expr.ExpressionCompiler;
import io.gatehouse.policy.elements.CounterStore;
import io.gatehouse.policy.elements.cache.ResponseCache;
import io.gatehouse.policy.spi.MetricSink;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.policy.elements.identity.ManagedIdentityEndpoint;
import io.gatehouse.policy.elements.identity.ManagedIdentityTokens;
import io.gatehouse.policy.spi.PolicyRegistry;
import io.gatehouse.tls.KeyMaterial;

import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Everything policies may refer to by name, fixed for one config load: named values
 * ({@code {{name}}}), fragments, certificates by id, the backends, how to check client certificate
 * chains, and the clock. Immutable; build with {@link #builder()}.
 */
public final class PolicyEnvironment {
    private final Map<String, String> namedValues;
    private final Set<String> secretValues;
    private final Map<String, SourceText> fragments;
    private final Map<String, KeyMaterial> keyPairs;
    private final Map<String, X509Certificate> certificates;
    private final Set<String> backendIds;
    private final ChainCheck chainCheck;
    private final Clock clock;
    private final boolean lenientReferences;
    private final boolean skipUnsupportedPolicies;
    private final PolicyRegistry registry;
    private final ExpressionCompiler expressionCompiler;
    private final List<X509Certificate> outgoingTrustAnchors;
    private final ResponseCache responseCache;
    private final CounterStore counterStore;
    private final io.gatehouse.policy.spi.ExternalCache externalCache;
    private final MetricSink metricSink;
    private final ManagedIdentityTokens managedIdentity;
    private final OutboundHttp outboundHttp;
    private final Map<String, GraphqlApiSchema> graphqlSchemas;
    private final Set<String> apisWithoutGraphqlSchema;
    private final Set<String> brokenGraphqlSchemas;
    private final Map<String, io.gatehouse.policy.api.ApiDefinition> apiDefinitions;
    private final String api;
    private final java.net.URI daprEndpoint;

    /** Where the Dapr sidecar's HTTP API is when the config names none, as APIM's self-hosted gateway assumes. */
    public static final java.net.URI DEFAULT_DAPR_ENDPOINT = java.net.URI.create("http://localhost:3500");

    private PolicyEnvironment(Builder b) {
        this.namedValues = Map.copyOf(b.namedValues);
        this.secretValues = b.secretNames.stream().map(b.namedValues::get).filter(v -> v != null && !v.isEmpty())
                .collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.fragments = Map.copyOf(b.fragments);
        this.keyPairs = Map.copyOf(b.keyPairs);
        Map<String, X509Certificate> certs = new LinkedHashMap<>(b.certificates);
        b.keyPairs.forEach((id, km) -> certs.putIfAbsent(id, km.leaf()));
        this.certificates = Map.copyOf(certs);
        this.backendIds = Set.copyOf(b.backendIds);
        this.chainCheck = b.chainCheck;
        this.clock = b.clock;
        this.lenientReferences = b.lenientReferences;
        this.skipUnsupportedPolicies = b.skipUnsupportedPolicies;
        this.registry = b.registry;
        this.expressionCompiler = b.expressionCompiler;
        this.outgoingTrustAnchors = b.outgoingTrustAnchors;
        this.responseCache = b.responseCache != null ? b.responseCache : ResponseCache.withDefaults();
        this.counterStore = b.counterStore;
        this.externalCache = b.externalCache;
        this.metricSink = b.metricSink;
        this.outboundHttp = b.outboundHttp;
        this.daprEndpoint = b.daprEndpoint;
        this.managedIdentity = b.managedIdentity == null ? null
                : new ManagedIdentityTokens(b.managedIdentity, b.clock, b.outboundHttp);
        this.graphqlSchemas = Map.copyOf(b.graphqlSchemas);
        this.apisWithoutGraphqlSchema = Set.copyOf(b.apisWithoutGraphqlSchema);
        this.brokenGraphqlSchemas = Set.copyOf(b.brokenGraphqlSchemas);
        this.apiDefinitions = Map.copyOf(b.apiDefinitions);
        this.api = null;
    }

    /** A copy of {@code o} for compiling the documents of API {@code api} (see {@link #api()}). */
    private PolicyEnvironment(PolicyEnvironment o, String api) {
        this.namedValues = o.namedValues;
        this.secretValues = o.secretValues;
        this.skipUnsupportedPolicies = o.skipUnsupportedPolicies;
        this.daprEndpoint = o.daprEndpoint;
        this.fragments = o.fragments;
        this.keyPairs = o.keyPairs;
        this.certificates = o.certificates;
        this.backendIds = o.backendIds;
        this.chainCheck = o.chainCheck;
        this.clock = o.clock;
        this.lenientReferences = o.lenientReferences;
        this.registry = o.registry;
        this.expressionCompiler = o.expressionCompiler;
        this.outgoingTrustAnchors = o.outgoingTrustAnchors;
        this.responseCache = o.responseCache;
        this.counterStore = o.counterStore;
        this.externalCache = o.externalCache;
        this.metricSink = o.metricSink;
        this.outboundHttp = o.outboundHttp;
        this.managedIdentity = o.managedIdentity;
        this.graphqlSchemas = o.graphqlSchemas;
        this.apisWithoutGraphqlSchema = o.apisWithoutGraphqlSchema;
        this.brokenGraphqlSchemas = o.brokenGraphqlSchemas;
        this.apiDefinitions = o.apiDefinitions;
        this.api = api;
    }

    /**
     * This environment for compiling the API and operation documents of API {@code apiId}: the
     * same in everything, plus {@link #api()}, so policies bound to the API's definition (its
     * GraphQL schema) find it at load.
     */
    public PolicyEnvironment forApi(String apiId) {
        return new PolicyEnvironment(this, requireNonNull(apiId, "apiId"));
    }

    /**
     * The API whose documents are being compiled, or null for the global (and product) document
     * and for standalone checks: a policy there runs for whichever API the request reaches.
     */
    public String api() {
        return api;
    }

    /**
     * The definition of API {@code apiId} ({@code apis[].openApi}), or null when it has none. The
     * policies bound to it ({@code validate-content}, ...) compile their schemas from it at load.
     */
    public io.gatehouse.policy.api.ApiDefinition apiDefinition(String apiId) {
        return apiId == null ? null : apiDefinitions.get(apiId);
    }

    /** Every API's definition by API id (for policies at global and product scope). */
    public Map<String, io.gatehouse.policy.api.ApiDefinition> apiDefinitions() {
        return apiDefinitions;
    }

    /** The GraphQL schema of API {@code apiId} ({@code apis[].graphql.schema}), or null when it has none. */
    public GraphqlApiSchema graphqlSchema(String apiId) {
        return apiId == null ? null : graphqlSchemas.get(apiId);
    }

    /** Every API's GraphQL schema, by API id. */
    public Map<String, GraphqlApiSchema> graphqlSchemas() {
        return graphqlSchemas;
    }

    /** The APIs the config declares without a GraphQL schema (for policies at global scope). */
    public Set<String> apisWithoutGraphqlSchema() {
        return apisWithoutGraphqlSchema;
    }

    /** True when some API's schema file has errors (already reported at the file). */
    public boolean anyGraphqlSchemaBroken() {
        return !brokenGraphqlSchemas.isEmpty();
    }

    /** True when API {@code apiId}'s schema file has errors (already reported at the file). */
    public boolean graphqlSchemaBroken(String apiId) {
        return apiId != null && brokenGraphqlSchemas.contains(apiId);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An environment with nothing configured (every reference is unknown). */
    public static PolicyEnvironment empty() {
        return builder().build();
    }

    public String namedValue(String name) {
        return namedValues.get(name);
    }

    public Set<String> namedValueNames() {
        return namedValues.keySet();
    }

    /** The values of the secret named values: no diagnostic may show them. */
    public Set<String> secretValues() {
        return secretValues;
    }

    public SourceText fragment(String id) {
        return fragments.get(id);
    }

    public Set<String> fragmentIds() {
        return fragments.keySet();
    }

    /** A certificate with its private key, for {@code authentication-certificate}; null if unknown. */
    public KeyMaterial keyPair(String id) {
        return keyPairs.get(id);
    }

    public Set<String> keyPairIds() {
        return keyPairs.keySet();
    }

    /** A certificate by id (key pairs and public-only ones), for identity matching; null if unknown. */
    public X509Certificate certificate(String id) {
        return certificates.get(id);
    }

    public Set<String> certificateIds() {
        return certificates.keySet();
    }

    public Set<String> backendIds() {
        return backendIds;
    }

    public ChainCheck chainCheck() {
        return chainCheck;
    }

    public Clock clock() {
        return clock;
    }

    /**
     * True when checking standalone files ({@code gatehouse policy check}): unknown named values,
     * fragments, certificates and backends are warnings, because the config that defines them is
     * not known.
     */
    public boolean lenientReferences() {
        return lenientReferences;
    }

    /**
     * {@code gateway.unsupportedPolicies: skip}: a policy Gatehouse cannot run loads as a no-op
     * with a warning (and counts its executions) instead of being a load error.
     */
    public boolean skipUnsupportedPolicies() {
        return skipUnsupportedPolicies;
    }

    public PolicyRegistry registry() {
        return registry;
    }

    /**
     * CA certificates that {@code send-request} trusts besides the JDK's own: the config's Root
     * CA certificates, as APIM trusts its uploaded CA certificates for outbound calls. Kept for
     * tools that describe the environment; the gateway's {@link #outboundHttp()} applies them.
     */
    public List<X509Certificate> outgoingTrustAnchors() {
        return outgoingTrustAnchors;
    }

    /** The compiler for policy expressions (its limits apply to every expression). */
    public ExpressionCompiler expressionCompiler() {
        return expressionCompiler;
    }

    /**
     * Where {@code cache-lookup}/{@code cache-store} keep responses: the one given to the builder
     * (to keep entries across config reloads), else a bounded cache of this environment's own.
     */
    public ResponseCache responseCache() {
        return responseCache;
    }

    /** Where rate-limit and quota count; {@link CounterStore#local()} unless the builder set another. */
    public CounterStore counterStore() {
        return counterStore;
    }

    /**
     * The cache several gateways share ({@code gateway.externalCache}), or null when the config
     * has none: then {@code caching-type="external"} is an error and every counter and value stays
     * in this process.
     */
    public io.gatehouse.policy.spi.ExternalCache externalCache() {
        return externalCache;
    }

    /**
     * Where rate-limit, rate-limit-by-key, quota and quota-by-key count: the external cache's
     * counters when there is one, else {@link #counterStore()}.
     */
    public io.gatehouse.policy.elements.LimitCounters limitCounters() {
        return externalCache != null ? externalCache.counters() : counterStore;
    }

    /** Where {@code emit-metric} sends; {@link MetricSink#NONE} unless the builder set one. */
    public MetricSink metricSink() {
        return metricSink;
    }

    /**
     * The token service {@code authentication-managed-identity} gets tokens from, with its token
     * cache (shared by every policy of this load); null when none is configured, in which case
     * the policy loads and fails at runtime as APIM does without an identity.
     */
    public ManagedIdentityTokens managedIdentity() {
        return managedIdentity;
    }

    /**
     * How policies call other services ({@code send-request}, {@code send-one-way-request},
     * managed identity tokens, OpenID key fetches): the gateway's outbound client.
     * {@link OutboundHttp#NONE} unless the builder set one: compiling needs none, and every call
     * made without one fails with a 500 saying so.
     */
    public OutboundHttp outboundHttp() {
        return outboundHttp;
    }

    /**
     * The Dapr sidecar's HTTP API ({@code gateway.dapr.httpEndpoint}): {@code publish-to-dapr},
     * {@code invoke-dapr-binding} and {@code set-backend-service backend-id="dapr"} call it;
     * {@link #DEFAULT_DAPR_ENDPOINT} unless the builder set another.
     */
    public java.net.URI daprEndpoint() {
        return daprEndpoint;
    }

    /** Builds a {@link PolicyEnvironment}; every map is copied. */
    public static final class Builder {
        private final Map<String, String> namedValues = new LinkedHashMap<>();
        private final Set<String> secretNames = new java.util.HashSet<>();
        private boolean skipUnsupportedPolicies;
        private final Map<String, SourceText> fragments = new LinkedHashMap<>();
        private final Map<String, KeyMaterial> keyPairs = new LinkedHashMap<>();
        private final Map<String, X509Certificate> certificates = new LinkedHashMap<>();
        private final Set<String> backendIds = new LinkedHashSet<>();
        private ChainCheck chainCheck = ChainCheck.NONE;
        private Clock clock = Clock.systemUTC();
        private boolean lenientReferences;
        private PolicyRegistry registry = PolicyRegistry.builtIn();
        private ExpressionCompiler expressionCompiler = new ExpressionCompiler();
        private List<X509Certificate> outgoingTrustAnchors = List.of();
        private ResponseCache responseCache;
        private CounterStore counterStore = CounterStore.local();
        private io.gatehouse.policy.spi.ExternalCache externalCache;
        private MetricSink metricSink = MetricSink.NONE;
        private ManagedIdentityEndpoint managedIdentity;
        private OutboundHttp outboundHttp = OutboundHttp.NONE;
        private final Map<String, GraphqlApiSchema> graphqlSchemas = new LinkedHashMap<>();
        private final Set<String> apisWithoutGraphqlSchema = new LinkedHashSet<>();
        private final Set<String> brokenGraphqlSchemas = new LinkedHashSet<>();
        private final Map<String, io.gatehouse.policy.api.ApiDefinition> apiDefinitions = new LinkedHashMap<>();
        private java.net.URI daprEndpoint = DEFAULT_DAPR_ENDPOINT;

        private Builder() {
        }

        public Builder namedValue(String name, String value) {
            namedValues.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
            return this;
        }

        /** A named value whose value is secret ({@code secret: true}, from Key Vault): diagnostics never show it. */
        public Builder secretNamedValue(String name, String value) {
            namedValue(name, value);
            secretNames.add(name);
            return this;
        }

        public Builder fragment(String id, SourceText source) {
            fragments.put(requireNonNull(id, "id"), requireNonNull(source, "source"));
            return this;
        }

        public Builder keyPair(String id, KeyMaterial keyMaterial) {
            keyPairs.put(requireNonNull(id, "id"), requireNonNull(keyMaterial, "keyMaterial"));
            return this;
        }

        public Builder certificate(String id, X509Certificate certificate) {
            certificates.put(requireNonNull(id, "id"), requireNonNull(certificate, "certificate"));
            return this;
        }

        public Builder backendId(String id) {
            backendIds.add(requireNonNull(id, "id"));
            return this;
        }

        public Builder chainCheck(ChainCheck check) {
            this.chainCheck = requireNonNull(check, "check");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock");
            return this;
        }

        /** See {@link PolicyEnvironment#skipUnsupportedPolicies()}. */
        public Builder skipUnsupportedPolicies(boolean skip) {
            skipUnsupportedPolicies = skip;
            return this;
        }

        public Builder lenientReferences(boolean lenient) {
            this.lenientReferences = lenient;
            return this;
        }

        public Builder registry(PolicyRegistry registry) {
            this.registry = requireNonNull(registry, "registry");
            return this;
        }

        public Builder expressionCompiler(ExpressionCompiler compiler) {
            this.expressionCompiler = requireNonNull(compiler, "compiler");
            return this;
        }

        /** CA certificates {@code send-request} trusts besides the JDK's (see {@link PolicyEnvironment#outgoingTrustAnchors()}). */
        public Builder outgoingTrustAnchors(List<X509Certificate> anchors) {
            this.outgoingTrustAnchors = List.copyOf(anchors);
            return this;
        }

        public Builder responseCache(ResponseCache cache) {
            this.responseCache = requireNonNull(cache, "cache");
            return this;
        }

        public Builder counterStore(CounterStore store) {
            this.counterStore = requireNonNull(store, "store");
            return this;
        }

        /** The shared cache of {@code gateway.externalCache}; null (the default) for none. */
        public Builder externalCache(io.gatehouse.policy.spi.ExternalCache cache) {
            this.externalCache = cache;
            return this;
        }

        public Builder metricSink(MetricSink sink) {
            this.metricSink = requireNonNull(sink, "sink");
            return this;
        }

        /** Where {@code authentication-managed-identity} gets tokens; null (the default) for nowhere. */
        public Builder managedIdentity(ManagedIdentityEndpoint endpoint) {
            this.managedIdentity = endpoint;
            return this;
        }

        /** The client outgoing calls go through (see {@link PolicyEnvironment#outboundHttp()}). */
        public Builder outboundHttp(OutboundHttp http) {
            this.outboundHttp = requireNonNull(http, "http");
            return this;
        }

        /** An API's definition from its OpenAPI document ({@code apis[].openApi}), under its API id. */
        public Builder apiDefinition(io.gatehouse.policy.api.ApiDefinition definition) {
            apiDefinitions.put(definition.apiId(), definition);
            return this;
        }

        /** API {@code apiId}'s GraphQL schema ({@code apis[].graphql.schema}). */
        public Builder graphqlSchema(String apiId, GraphqlApiSchema schema) {
            graphqlSchemas.put(requireNonNull(apiId, "apiId"), requireNonNull(schema, "schema"));
            apisWithoutGraphqlSchema.remove(apiId);
            return this;
        }

        /** An API the config declares with no GraphQL schema (policies at global scope must know them). */
        public Builder apiWithoutGraphqlSchema(String apiId) {
            if (!graphqlSchemas.containsKey(requireNonNull(apiId, "apiId"))) {
                apisWithoutGraphqlSchema.add(apiId);
            }
            return this;
        }

        /** An API whose schema file has errors, already reported: policies needing it fail without a second error. */
        public Builder brokenGraphqlSchema(String apiId) {
            brokenGraphqlSchemas.add(requireNonNull(apiId, "apiId"));
            return this;
        }

        /** The Dapr sidecar's HTTP API, an absolute http(s) URL (see {@link PolicyEnvironment#daprEndpoint()}). */
        public Builder daprEndpoint(java.net.URI endpoint) {
            this.daprEndpoint = requireNonNull(endpoint, "endpoint");
            return this;
        }

        public PolicyEnvironment build() {
            return new PolicyEnvironment(this);
        }
    }
}
