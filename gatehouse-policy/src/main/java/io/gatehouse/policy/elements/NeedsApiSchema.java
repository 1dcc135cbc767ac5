package io.gatehouse.policy.elements;

import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.PolicyType;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * APIM's {@code validate-*} policies that check messages against the API's definition (its
 * OpenAPI or WSDL schema: declared status codes, headers, parameters, content types and body
 * schemas). Gatehouse does not import API definitions yet, so none of them could do what APIM
 * does, and a silent pass would let through what the user meant to block: each is a load error
 * saying so.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/api-management-policies#content-validation">APIM content validation policies</a>
 */
public final class NeedsApiSchema {
    private NeedsApiSchema() {
    }

    private static final Map<String, String> CHECKS = Map.of(
            "validate-content", "request and response bodies against the content types and schemas",
            "validate-parameters", "request path, query and header parameters against the parameters",
            "validate-headers", "response headers against the headers",
            "validate-status-code", "response status codes against the status codes");

    private static final Map<String, Set<Section>> SECTIONS = Map.of(
            "validate-content", EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR),
            "validate-parameters", EnumSet.of(Section.INBOUND),
            "validate-headers", EnumSet.of(Section.OUTBOUND, Section.ON_ERROR),
            "validate-status-code", EnumSet.of(Section.OUTBOUND, Section.ON_ERROR));

    /** One refusing type per schema-bound validation policy. */
    public static final List<PolicyType> TYPES = CHECKS.keySet().stream().sorted()
            .map(name -> new PolicyType(name, SECTIONS.get(name), (element, ctx) -> {
                ctx.error(element.position(), "policy '" + name + "' is not supported yet: it checks " + CHECKS.get(name)
                        + " declared in the API's definition (OpenAPI/WSDL), and Gatehouse does not import API definitions yet");
                return null;
            }))
            .toList();
}
