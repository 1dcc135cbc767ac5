package io.gatehouse.policy.elements;

import io.gatehouse.policy.spi.PolicyType;

import java.util.List;
import java.util.Map;

/**
 * APIM policies that only make sense against an Azure service Gatehouse has no connector for.
 * Each is registered so that using it is a load-time error saying why, rather than the generic
 * "not supported yet", and never a silent skip: with {@code gateway.unsupportedPolicies: skip}
 * it loads as a no-op with a warning (see {@code CompileContext.unsupported}).
 */
public final class AzureOnly {
    private AzureOnly() {
    }

    /** Policy name to what it needs, in words for the error message. */
    private static final Map<String, String> NEEDS = Map.ofEntries(
            Map.entry("log-to-eventhub", "it sends to Azure Event Hubs, and Gatehouse has no Event Hubs sink yet (use <trace> for request logs)"),
            Map.entry("send-service-bus-message", "it sends to Azure Service Bus, and Gatehouse has no Service Bus sink yet"),
            Map.entry("get-authorization-context", "it reads APIM's credential manager, which Gatehouse does not have"),
            Map.entry("llm-content-safety", "it calls Azure AI Content Safety, which Gatehouse has no connector for"),
            Map.entry("cosmosdb-data-source", "it resolves GraphQL fields from Azure Cosmos DB, which Gatehouse has no connector for"));

    /** One refusing type per Azure-only policy. */
    public static final List<PolicyType> TYPES = NEEDS.entrySet().stream().sorted(Map.Entry.comparingByKey())
            .map(e -> new PolicyType(e.getKey(), PolicyType.ALL, (element, ctx) -> ctx.unsupported(element, e.getValue())))
            .toList();
}
