package io.gatehouse.policy.spi;

import io.gatehouse.policy.elements.AuthenticationBasic;
import io.gatehouse.policy.elements.AuthenticationCertificate;
import io.gatehouse.policy.elements.AuthenticationManagedIdentity;
import io.gatehouse.policy.elements.AzureOnly;
import io.gatehouse.policy.elements.Base;
import io.gatehouse.policy.elements.CacheLookup;
import io.gatehouse.policy.elements.CacheLookupValue;
import io.gatehouse.policy.elements.CacheRemoveValue;
import io.gatehouse.policy.elements.CacheStore;
import io.gatehouse.policy.elements.CacheStoreValue;
import io.gatehouse.policy.elements.CheckHeader;
import io.gatehouse.policy.elements.Choose;
import io.gatehouse.policy.elements.Cors;
import io.gatehouse.policy.elements.CrossDomain;
import io.gatehouse.policy.elements.EmitMetric;
import io.gatehouse.policy.elements.FindAndReplace;
import io.gatehouse.policy.elements.ForwardRequest;
import io.gatehouse.policy.elements.IncludeFragment;
import io.gatehouse.policy.elements.InvokeDaprBinding;
import io.gatehouse.policy.elements.IpFilter;
import io.gatehouse.policy.elements.JsonToXml;
import io.gatehouse.policy.elements.Jsonp;
import io.gatehouse.policy.elements.LimitConcurrency;
import io.gatehouse.policy.elements.LlmEmitTokenMetric;
import io.gatehouse.policy.elements.LlmTokenLimit;
import io.gatehouse.policy.elements.MockResponse;
import io.gatehouse.policy.elements.Proxy;
import io.gatehouse.policy.elements.PublishToDapr;
import io.gatehouse.policy.elements.Quota;
import io.gatehouse.policy.elements.QuotaByKey;
import io.gatehouse.policy.elements.RateLimit;
import io.gatehouse.policy.elements.RateLimitByKey;
import io.gatehouse.policy.elements.RedirectContentUrls;
import io.gatehouse.policy.elements.Retry;
import io.gatehouse.policy.elements.ReturnResponse;
import io.gatehouse.policy.elements.RewriteUri;
import io.gatehouse.policy.elements.SendOneWayRequest;
import io.gatehouse.policy.elements.SendRequest;
import io.gatehouse.policy.elements.SetBackendService;
import io.gatehouse.policy.elements.SetBody;
import io.gatehouse.policy.elements.SetHeader;
import io.gatehouse.policy.elements.SetMethod;
import io.gatehouse.policy.elements.SetQueryParameter;
import io.gatehouse.policy.elements.SetStatus;
import io.gatehouse.policy.elements.SetVariable;
import io.gatehouse.policy.elements.Trace;
import io.gatehouse.policy.elements.ValidateClientCertificate;
import io.gatehouse.policy.elements.ValidateGraphqlRequest;
import io.gatehouse.policy.elements.ValidateContent;
import io.gatehouse.policy.elements.ValidateHeaders;
import io.gatehouse.policy.elements.ValidateParameters;
import io.gatehouse.policy.elements.ValidateStatusCode;
import io.gatehouse.policy.elements.ValidateODataRequest;
import io.gatehouse.policy.elements.ValidateAzureAdToken;
import io.gatehouse.policy.elements.ValidateJwt;
import io.gatehouse.policy.elements.Wait;
import io.gatehouse.policy.elements.XmlToJson;
import io.gatehouse.policy.elements.XslTransform;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Policy types by element name, plus the names of APIM policies Gatehouse knows but does not
 * implement yet: using one of those is a load-time error that says so, never a silent skip.
 */
public final class PolicyRegistry {
    /** APIM policies (https://learn.microsoft.com/azure/api-management/api-management-policies) Gatehouse does not have yet: each is a load-time error naming it. */
    private static final Set<String> APIM_NOT_YET = Set.of(
            "set-graphql-resolver",
            "llm-semantic-cache-lookup", "llm-semantic-cache-store",
            "azure-openai-semantic-cache-lookup", "azure-openai-semantic-cache-store", "sql-data-source",
            "http-data-source");

    private final Map<String, PolicyType> types;

    private PolicyRegistry(Map<String, PolicyType> types) {
        this.types = Map.copyOf(types);
    }

    /** Every policy Gatehouse implements, plus the Azure-only ones, which refuse at load saying why. */
    public static PolicyRegistry builtIn() {
        return of(Stream.concat(AzureOnly.TYPES.stream(), Stream.of(
                Base.TYPE, IncludeFragment.TYPE, Choose.TYPE, ReturnResponse.TYPE, SetStatus.TYPE, SetHeader.TYPE,
                SetBody.TYPE, SetVariable.TYPE, SetBackendService.TYPE, ForwardRequest.TYPE, Trace.TYPE,
                AuthenticationCertificate.TYPE, ValidateClientCertificate.TYPE,
                SetQueryParameter.TYPE, SetMethod.TYPE, RewriteUri.TYPE,
                CheckHeader.TYPE, IpFilter.TYPE, MockResponse.TYPE, AuthenticationBasic.TYPE,
                Cors.TYPE, RateLimit.TYPE, RateLimitByKey.TYPE, Quota.TYPE, QuotaByKey.TYPE, LimitConcurrency.TYPE,
                FindAndReplace.TYPE, JsonToXml.TYPE, XmlToJson.TYPE,
                ValidateJwt.TYPE, ValidateAzureAdToken.TYPE,
                CacheLookupValue.TYPE, CacheStoreValue.TYPE, CacheRemoveValue.TYPE,
                CacheLookup.TYPE, CacheStore.TYPE, EmitMetric.TYPE, RedirectContentUrls.TYPE,
                Jsonp.TYPE, CrossDomain.TYPE,
                SendRequest.TYPE, SendOneWayRequest.TYPE, Retry.TYPE, Wait.TYPE,
                AuthenticationManagedIdentity.TYPE, XslTransform.TYPE,
                ValidateGraphqlRequest.TYPE, ValidateODataRequest.TYPE,
                ValidateContent.TYPE, ValidateParameters.TYPE, ValidateHeaders.TYPE, ValidateStatusCode.TYPE,
                LlmTokenLimit.TYPE, LlmTokenLimit.AZURE_OPENAI_TYPE, LlmEmitTokenMetric.TYPE, LlmEmitTokenMetric.AZURE_OPENAI_TYPE,
                Proxy.TYPE, PublishToDapr.TYPE, InvokeDaprBinding.TYPE)).toList());
    }

    public static PolicyRegistry of(Collection<PolicyType> types) {
        Map<String, PolicyType> m = new LinkedHashMap<>();
        for (PolicyType t : types) {
            if (m.put(t.name(), t) != null) {
                throw new IllegalArgumentException("policy '" + t.name() + "' is registered twice");
            }
        }
        return new PolicyRegistry(m);
    }

    /** This registry plus {@code type} (for a gateway that adds its own policies). */
    public PolicyRegistry with(PolicyType type) {
        Map<String, PolicyType> m = new LinkedHashMap<>(types);
        m.put(type.name(), type);
        return new PolicyRegistry(m);
    }

    public PolicyType find(String name) {
        return types.get(name);
    }

    public boolean isKnownButUnsupported(String name) {
        return !types.containsKey(name) && APIM_NOT_YET.contains(name);
    }

    /** The closest implemented or known APIM policy name, or null when nothing is close. */
    public String suggest(String name) {
        Set<String> all = new TreeSet<>(types.keySet());
        all.addAll(APIM_NOT_YET);
        return Suggest.closest(name, all);
    }
}
