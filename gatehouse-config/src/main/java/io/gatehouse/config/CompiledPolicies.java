package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.config.model.PolicyRef;
import io.gatehouse.policy.ChainCheck;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.GraphqlApiSchema;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.elements.identity.ManagedIdentityEndpoint;
import io.gatehouse.config.model.ManagedIdentityConfig;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.spi.OutboundHttp;
import io.gatehouse.tls.CaStore;
import io.gatehouse.tls.KeyMaterial;
import io.gatehouse.tls.RevocationMode;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every policy document of a config, compiled once at load: the global, API and operation
 * documents composed into one {@link EffectivePolicy} per API and per operation. A route with no
 * policy at any scope has none here, and the data plane streams it straight to the backend
 * (APIM's default policy, {@code <backend><forward-request/></backend>}).
 */
public final class CompiledPolicies {
    private static final CompiledPolicies NONE = new CompiledPolicies(Map.of(), Map.of(), ChainCheck.NONE, null, Map.of(), Set.of());

    private final Map<String, EffectivePolicy> byApi;
    private final Map<String, EffectivePolicy> byOperation;
    /**
     * For products with a policy document: global, product, API (and operation) composed, by
     * product, API (and operation) id; a request in a product's context runs these instead.
     */
    private final Map<String, EffectivePolicy> byProduct;
    private final ChainCheck chainCheck;
    private final OutboundHttp.Deferred outbound;
    /** The config's external cache, bound by the gateway; null when {@code gateway.externalCache} is not set. */
    private final io.gatehouse.policy.spi.ExternalCache.Deferred externalCache;
    /** The APIs' GraphQL schemas that parsed, and the APIs whose schema file did not (reported at load). */
    private final Map<String, GraphqlApiSchema> graphqlSchemas;
    private final Set<String> brokenGraphqlSchemas;

    private CompiledPolicies(Map<String, EffectivePolicy> byApi, Map<String, EffectivePolicy> byOperation,
                             ChainCheck chainCheck, OutboundHttp.Deferred outbound,
                             Map<String, GraphqlApiSchema> graphqlSchemas, Set<String> brokenGraphqlSchemas) {
        this(byApi, byOperation, Map.of(), chainCheck, outbound, graphqlSchemas, brokenGraphqlSchemas, null);
    }

    private CompiledPolicies(Map<String, EffectivePolicy> byApi, Map<String, EffectivePolicy> byOperation,
                             Map<String, EffectivePolicy> byProduct, ChainCheck chainCheck, OutboundHttp.Deferred outbound,
                             Map<String, GraphqlApiSchema> graphqlSchemas, Set<String> brokenGraphqlSchemas,
                             io.gatehouse.policy.spi.ExternalCache.Deferred externalCache) {
        this.byProduct = Map.copyOf(byProduct);
        this.externalCache = externalCache;
        this.byApi = Map.copyOf(byApi);
        this.byOperation = Map.copyOf(byOperation);
        this.chainCheck = chainCheck;
        this.outbound = outbound;
        this.graphqlSchemas = Map.copyOf(graphqlSchemas);
        this.brokenGraphqlSchemas = Set.copyOf(brokenGraphqlSchemas);
    }

    /**
     * Gives these policies the gateway's outbound client ({@code send-request}, managed identity,
     * OpenID keys). Policies are compiled before a gateway takes the config; until it binds its
     * client, their calls fail with a 500 saying there is none. A later bind replaces the client.
     */
    public void bindOutbound(OutboundHttp http) {
        if (outbound != null) {
            outbound.bind(http);
        }
    }

    /** The client {@link #bindOutbound} gave these policies, or null (none yet, or no policies). */
    public OutboundHttp boundOutbound() {
        return outbound == null ? null : outbound.bound();
    }

    /**
     * Gives these policies the gateway's connection to {@code gateway.externalCache}: their
     * counters and external cache entries go there from now on (until then, to this process's
     * memory). Nothing happens when the config has no external cache or no policies.
     */
    public void bindExternalCache(io.gatehouse.policy.spi.ExternalCache cache) {
        if (externalCache != null) {
            externalCache.bind(cache);
        }
    }

    /** True when these policies were compiled against an external cache (one the gateway must bind). */
    public boolean usesExternalCache() {
        return externalCache != null;
    }

    /**
     * The client-certificate chain check the policies use ({@code validate-client-certificate},
     * {@code Verify()}), with results remembered per chain for 30 s.
     */
    public ChainCheck chainCheck() {
        return chainCheck;
    }

    public static CompiledPolicies none() {
        return NONE;
    }

    /** The policy for requests to the API that match no listed operation (or when it lists none); null: none. */
    public EffectivePolicy forApi(String apiId) {
        return byApi.get(apiId);
    }

    /** The policy for one operation; null: none at any scope. */
    public EffectivePolicy forOperation(String apiId, String operationId) {
        return byOperation.get(apiId + '\u0000' + operationId);
    }

    public boolean isEmpty() {
        return byApi.isEmpty() && byOperation.isEmpty() && byProduct.isEmpty();
    }

    /**
     * The policy for requests to the API in product {@code productId}'s context (a subscription to
     * the product, or its open access) that match no listed operation; null when the product has
     * no policy document (then {@link #forApi} applies).
     */
    public EffectivePolicy forProduct(String productId, String apiId) {
        return byProduct.get(productId + '\u0000' + apiId);
    }

    /** Like {@link #forProduct} for one operation; null when the product has no policy document. */
    public EffectivePolicy forProductOperation(String productId, String apiId, String operationId) {
        return byProduct.get(productId + '\u0000' + apiId + '\u0000' + operationId);
    }

    /**
     * Compiles every document; problems go to {@code d} with file:line:column.
     */
    static CompiledPolicies compile(GatehouseConfig model, Map<PolicyRef, SourceText> sources,
                                    Map<String, String> namedValues, Map<String, SourceText> fragments,
                                    Map<String, KeyMaterial> keyPairs, Map<String, List<X509Certificate>> certificates,
                                    CaStore caStore, RevocationMode revocation, Map<String, String> hostEnvironment,
                                    Diagnostics d) {
        return compile(model, sources, namedValues, fragments, keyPairs, certificates, caStore, revocation,
                hostEnvironment, Map.of(), d);
    }

    /**
     * Like the above, with the APIs' GraphQL schemas ({@code apis[].graphql.schema}) by API id:
     * each is parsed and checked here, whether or not a policy uses it, and the API and operation
     * documents of an API compile knowing its schema.
     */
    static CompiledPolicies compile(GatehouseConfig model, Map<PolicyRef, SourceText> sources,
                                    Map<String, String> namedValues, Map<String, SourceText> fragments,
                                    Map<String, KeyMaterial> keyPairs, Map<String, List<X509Certificate>> certificates,
                                    CaStore caStore, RevocationMode revocation, Map<String, String> hostEnvironment,
                                    Map<String, SourceText> graphqlSchemas, Diagnostics d) {
        Map<String, GraphqlApiSchema> schemas = new LinkedHashMap<>();
        graphqlSchemas.forEach((apiId, sdl) -> {
            GraphqlApiSchema schema = GraphqlApiSchema.parse(sdl, d);
            if (schema != null) {
                schemas.put(apiId, schema);
            }
        });
        boolean anyPolicy = model.globalPolicy() != null
                || model.products().stream().anyMatch(p -> p.policy() != null)
                || model.apis().stream().anyMatch(a -> a.policy() != null
                || a.operations().stream().anyMatch(o -> o.policy() != null));
        Set<String> broken = new java.util.HashSet<>(graphqlSchemas.keySet());
        broken.removeAll(schemas.keySet());
        if (!anyPolicy && fragments.isEmpty()) {
            return schemas.isEmpty() && broken.isEmpty() ? NONE
                    : new CompiledPolicies(Map.of(), Map.of(), ChainCheck.NONE, null, schemas, broken);
        }
        ChainCheck check = chainCheck(caStore, revocation);
        OutboundHttp.Deferred outbound = new OutboundHttp.Deferred();
        io.gatehouse.policy.spi.ExternalCache.Deferred external = model.gateway().externalCache() == null ? null
                : new io.gatehouse.policy.spi.ExternalCache.Deferred();
        PolicyEnvironment.Builder env = environment(model, namedValues, fragments, keyPairs, certificates, caStore, check,
                hostEnvironment).outboundHttp(outbound).externalCache(external);
        graphql(env, model, schemas, broken);
        PolicyEngine engine = new PolicyEngine(env.build());
        engine.checkFragments(d);

        PolicyDocument global = parse(engine, sources, model.globalPolicy(), Scope.GLOBAL, d);
        // product documents compile without an API (context.Api is the request's; PolicyEnvironment.api() is null)
        Map<String, PolicyDocument> productDocs = new LinkedHashMap<>();
        for (io.gatehouse.config.model.ProductConfig p : model.products()) {
            PolicyDocument doc = parse(engine, sources, p.policy(), Scope.PRODUCT, d);
            if (doc != null) {
                productDocs.put(p.id(), doc);
            }
        }
        Map<String, EffectivePolicy> byApi = new HashMap<>();
        Map<String, EffectivePolicy> byOperation = new HashMap<>();
        Map<String, EffectivePolicy> byProduct = new HashMap<>();
        for (ApiConfig api : model.apis()) {
            PolicyEngine apiEngine = engine.forApi(api.id());
            PolicyDocument apiDoc = parse(apiEngine, sources, api.policy(), Scope.API, d);
            if (global != null || apiDoc != null) {
                byApi.put(api.id(), engine.compose(global, apiDoc, null, d));
            }
            List<String> products = new java.util.ArrayList<>();
            for (io.gatehouse.config.model.ProductConfig p : model.products()) {
                if (productDocs.containsKey(p.id()) && p.apis().contains(api.id())) {
                    products.add(p.id());
                    byProduct.put(p.id() + '\u0000' + api.id(), engine.compose(
                            java.util.Arrays.asList(global, productDocs.get(p.id()), apiDoc).stream()
                                    .filter(java.util.Objects::nonNull).toList(), d));
                }
            }
            for (OperationConfig op : api.operations()) {
                PolicyDocument opDoc = parse(apiEngine, sources, op.policy(), Scope.OPERATION, d);
                if (global != null || apiDoc != null || opDoc != null) {
                    byOperation.put(api.id() + '\u0000' + op.id(), engine.compose(global, apiDoc, opDoc, d));
                }
                for (String p : products) {
                    byProduct.put(p + '\u0000' + api.id() + '\u0000' + op.id(), engine.compose(
                            java.util.Arrays.asList(global, productDocs.get(p), apiDoc, opDoc).stream()
                                    .filter(java.util.Objects::nonNull).toList(), d));
                }
            }
        }
        return new CompiledPolicies(byApi, byOperation, byProduct, check, outbound, schemas, broken, external);
    }

    /**
     * What the config's policies may refer to: its named values (secret ones marked), fragments,
     * certificates, backends, the chain check and the managed identity endpoint. The gateway's
     * loads and {@code gatehouse policy check -c CONFIG} build it the same way.
     */
    static PolicyEnvironment.Builder environment(GatehouseConfig model, Map<String, String> namedValues,
                                                 Map<String, SourceText> fragments, Map<String, KeyMaterial> keyPairs,
                                                 Map<String, List<X509Certificate>> certificates, CaStore caStore,
                                                 ChainCheck check, Map<String, String> hostEnvironment) {
        PolicyEnvironment.Builder env = PolicyEnvironment.builder();
        java.util.Set<String> secret = new java.util.HashSet<>();
        for (io.gatehouse.config.model.NamedValueConfig nv : model.namedValues()) {
            if (nv.secret() || nv.keyVault() != null) {
                secret.add(nv.name());
            }
        }
        namedValues.forEach((name, value) -> {
            if (secret.contains(name)) {
                env.secretNamedValue(name, value);
            } else {
                env.namedValue(name, value);
            }
        });
        fragments.forEach(env::fragment);
        keyPairs.forEach(env::keyPair);
        certificates.forEach((id, chain) -> {
            if (!chain.isEmpty()) {
                env.certificate(id, chain.get(0));
            }
        });
        for (BackendConfig b : model.backends()) {
            env.backendId(b.id());
        }
        for (ApiConfig api : model.apis()) {
            if (api.definition() != null) {
                env.apiDefinition(api.definition()); // apis[].openApi, for the validation policies
            }
        }
        env.chainCheck(check);
        env.outgoingTrustAnchors(caStore.roots());
        env.managedIdentity(managedIdentity(model.gateway().managedIdentity(), hostEnvironment));
        env.skipUnsupportedPolicies(model.gateway().skipUnsupportedPolicies());
        if (model.gateway().externalCache() != null) {
            env.externalCache(new io.gatehouse.policy.spi.ExternalCache.Deferred()); // compile() binds its own
        }
        if (model.gateway().daprHttpEndpoint() != null) {
            env.daprEndpoint(model.gateway().daprHttpEndpoint());
        }
        return env;
    }

    /** Tells {@code env} each API's GraphQL schema, or that it has none, or that its file did not parse. */
    static void graphql(PolicyEnvironment.Builder env, GatehouseConfig model, Map<String, GraphqlApiSchema> schemas,
                        Set<String> broken) {
        for (ApiConfig api : model.apis()) {
            GraphqlApiSchema schema = schemas.get(api.id());
            if (schema != null) {
                env.graphqlSchema(api.id(), schema);
            } else if (broken.contains(api.id())) {
                env.brokenGraphqlSchema(api.id()); // reported at the schema file: its policies do not report it again
            } else {
                env.apiWithoutGraphqlSchema(api.id());
            }
        }
    }

    /** {@link #graphql} with the schemas this config's load read. */
    void graphql(PolicyEnvironment.Builder env, GatehouseConfig model) {
        graphql(env, model, graphqlSchemas, brokenGraphqlSchemas);
    }

    private static PolicyDocument parse(PolicyEngine engine, Map<PolicyRef, SourceText> sources, PolicyRef ref,
                                        Scope scope, Diagnostics d) {
        if (ref == null) {
            return null;
        }
        SourceText text = sources.get(ref);
        if (text == null) {
            return null; // unreadable: already reported by the loader
        }
        d.source(text);
        return engine.parse(text, scope, d);
    }

    /** validate-client-certificate's trust check, backed by the CA store and the revocation mode. */
    /** The configured token service, else the one an Azure host publishes in its environment, else none. */
    static ManagedIdentityEndpoint managedIdentity(ManagedIdentityConfig c, Map<String, String> hostEnvironment) {
        if (c == null) {
            return ManagedIdentityEndpoint.fromEnvironment(hostEnvironment);
        }
        return c.style().equals("imds") ? ManagedIdentityEndpoint.imds(c.endpoint())
                : ManagedIdentityEndpoint.appService(c.endpoint(), c.identityHeader());
    }

    static ChainCheck chainCheck(CaStore store, RevocationMode mode) {
        // path building costs more than the rest of a request: results are kept per chain for 30 s
        return store.isEmpty() ? ChainCheck.NONE : ChainCheck.of(store, mode).cached(Duration.ofSeconds(30), 10_000);
    }
}
