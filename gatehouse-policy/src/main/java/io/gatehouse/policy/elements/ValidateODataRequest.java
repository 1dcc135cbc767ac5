package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.expr.lib.JToken;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Suggest;
import io.gatehouse.policy.xml.XmlElement;

import java.math.BigDecimal;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * APIM's {@code validate-odata-request}
 * (https://learn.microsoft.com/azure/api-management/validate-odata-request-policy): checks that a
 * request to an OData API conforms to the OData protocol before it reaches the backend:
 * <ul>
 *   <li>the {@code OData-Version} header, when present, is a version (else
 *       {@code default-odata-version} is assumed, 4.0 by default), and that version lies within
 *       {@code min-odata-version}..{@code max-odata-version};</li>
 *   <li>{@code OData-MaxVersion}, when present, is a version, is not below the request's
 *       {@code OData-Version}, and allows at least {@code min-odata-version};</li>
 *   <li>the payload is at most {@code max-size} bytes (413 otherwise);</li>
 *   <li>the system query options are ones the assumed version defines ({@code $filter},
 *       {@code $select}, {@code $top}...; {@code $inlinecount} before 4.0, {@code $count},
 *       {@code $search}, {@code $apply} from 4.0, {@code $compute}, {@code $index} and
 *       {@code $schemaversion} from 4.01, where the {@code $} is optional and case does not matter), each given
 *       once, with {@code $top}/{@code $skip} non-negative integers and {@code $count} true or false.</li>
 * </ul>
 * A failure is a 400 (413 for the size) whose body is an OData JSON error
 * {@code {"error": {"code", "message"}}}, context.LastError with source
 * {@code validate-odata-request}, and the message in {@code error-variable-name}'s variable.
 */
public final class ValidateODataRequest implements Policy {
    public static final PolicyType TYPE = new PolicyType("validate-odata-request", EnumSet.of(Section.INBOUND),
            ValidateODataRequest::compile);

    static final String SOURCE = "validate-odata-request";
    /** The OData protocol versions there are. */
    private static final List<String> VERSIONS = List.of("1.0", "2.0", "3.0", "4.0", "4.01");
    private static final BigDecimal V4 = new BigDecimal("4.0");
    private static final BigDecimal V401 = new BigDecimal("4.01");
    private static final Set<String> OPTIONS_V2_V3 = Set.of("$filter", "$select", "$expand", "$orderby", "$top", "$skip",
            "$inlinecount", "$format", "$skiptoken", "$callback");
    private static final Set<String> OPTIONS_V4 = Set.of("$filter", "$select", "$expand", "$orderby", "$top", "$skip",
            "$count", "$search", "$format", "$skiptoken", "$deltatoken", "$apply", "$id", "$levels");
    private static final Set<String> OPTIONS_V401_EXTRA = Set.of("$compute", "$index", "$schemaversion");

    private final String errorVariable;
    private final BigDecimal defaultVersion;
    private final BigDecimal minVersion;
    private final BigDecimal maxVersion;
    private final long maxSize;

    private ValidateODataRequest(String errorVariable, BigDecimal defaultVersion, BigDecimal minVersion,
                                 BigDecimal maxVersion, long maxSize) {
        this.errorVariable = errorVariable;
        this.defaultVersion = defaultVersion;
        this.minVersion = minVersion;
        this.maxVersion = maxVersion;
        this.maxSize = maxSize;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "error-variable-name", "default-odata-version", "min-odata-version",
                "max-odata-version", "max-size");
        ctx.noContent(e);
        boolean ok = true;
        String errorVariable = a.text("error-variable-name", null);
        BigDecimal def = version(a, "default-odata-version", ctx);
        BigDecimal min = version(a, "min-odata-version", ctx);
        BigDecimal max = version(a, "max-odata-version", ctx);
        if ((a.has("default-odata-version") && def == null) || (a.has("min-odata-version") && min == null)
                || (a.has("max-odata-version") && max == null)) {
            ok = false;
        }
        if (def == null) {
            def = V4;
        }
        if (min != null && max != null && min.compareTo(max) > 0) {
            ctx.error(a.position("min-odata-version"), "min-odata-version " + min + " is above max-odata-version " + max);
            ok = false;
        } else if ((min != null && def.compareTo(min) < 0) || (max != null && def.compareTo(max) > 0)) {
            ctx.error(a.position(a.has("default-odata-version") ? "default-odata-version" : "min-odata-version"),
                    "default-odata-version " + def + " is outside min-odata-version..max-odata-version ("
                            + (min == null ? "any" : min.toPlainString()) + ".." + (max == null ? "any" : max.toPlainString())
                            + "): a request without OData-Version would always be refused");
            ok = false;
        }
        long maxSize = -1;
        if (a.has("max-size")) {
            maxSize = a.integer("max-size", -1, 0, Integer.MAX_VALUE);
            ok &= maxSize >= 0;
            ctx.readsBody(true, false);
        }
        return ok ? new ValidateODataRequest(errorVariable, def, min, max, maxSize) : null;
    }

    private static BigDecimal version(Attributes a, String name, CompileContext ctx) {
        String v = a.text(name, null);
        if (v == null) {
            return null;
        }
        BigDecimal parsed = parseVersion(v);
        if (parsed == null) {
            ctx.error(a.position(name), "attribute '" + name + "' on <validate-odata-request>: '" + v
                    + "' (expected an OData version: " + String.join(", ", VERSIONS) + ")");
        }
        return parsed;
    }

    /** "4.0", "4.01"... as a number; null when it is not one of the OData versions. */
    static BigDecimal parseVersion(String v) {
        String s = v.strip();
        return VERSIONS.contains(s) ? new BigDecimal(s) : null;
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        String problem;
        int status = 400;
        String code;
        String header = c.request().headers().getValueOrDefault("OData-Version", null);
        String maxHeader = c.request().headers().getValueOrDefault("OData-MaxVersion", null);
        BigDecimal version = header == null ? defaultVersion : parseVersion(header);
        BigDecimal clientMax = maxHeader == null ? null : parseVersion(maxHeader);
        long size = size(c);
        if (header != null && version == null) {
            code = "ODataVersionInvalid";
            problem = "The OData-Version header '" + header + "' is not an OData version (expected one of " + String.join(", ", VERSIONS) + ").";
        } else if (maxHeader != null && clientMax == null) {
            code = "ODataVersionInvalid";
            problem = "The OData-MaxVersion header '" + maxHeader + "' is not an OData version (expected one of " + String.join(", ", VERSIONS) + ").";
        } else if (minVersion != null && version.compareTo(minVersion) < 0) {
            code = "ODataVersionNotSupported";
            problem = "OData version " + version.toPlainString() + " is not supported: the minimum is " + minVersion.toPlainString() + ".";
        } else if (maxVersion != null && version.compareTo(maxVersion) > 0) {
            code = "ODataVersionNotSupported";
            problem = "OData version " + version.toPlainString() + " is not supported: the maximum is " + maxVersion.toPlainString() + ".";
        } else if (clientMax != null && header != null && clientMax.compareTo(version) < 0) {
            code = "ODataVersionInvalid";
            problem = "OData-Version " + version.toPlainString() + " is above the request's OData-MaxVersion " + clientMax.toPlainString() + ".";
        } else if (clientMax != null && minVersion != null && clientMax.compareTo(minVersion) < 0) {
            code = "ODataVersionNotSupported";
            problem = "OData-MaxVersion " + clientMax.toPlainString() + " is below the minimum OData version " + minVersion.toPlainString()
                    + " this API supports.";
        } else if (maxSize >= 0 && size > maxSize) {
            status = 413;
            code = "ODataRequestTooLarge";
            problem = "The request payload is " + size + " bytes, more than the " + maxSize + " this API allows (max-size).";
        } else {
            code = "ODataQueryOptionInvalid";
            problem = queryProblem(c.request().url().query(), version);
        }
        if (problem == null) {
            return DONE;
        }
        if (errorVariable != null && !errorVariable.isBlank()) {
            c.variables().set(errorVariable.strip(), problem);
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", problem);
        String json = JToken.from(Map.of("error", error)).toString(false);
        throw new PolicyRejection(status, SOURCE, code, problem, problem, Map.of(), json);
    }

    /** The payload size: the body's, else what Content-Length says; 0 without either. */
    private static long size(PolicyContext c) {
        MessageBody b = c.request().body();
        if (b != null) {
            return b.bytes().length;
        }
        String length = c.request().headers().getValueOrDefault("Content-Length", null);
        if (length != null) {
            try {
                return Long.parseLong(length.strip());
            } catch (NumberFormatException ignored) {
                return 0;
            }
        }
        return 0;
    }

    /** What is wrong with the system query options for {@code version}, or null. */
    static String queryProblem(Map<String, List<String>> query, BigDecimal version) {
        boolean v401 = version.compareTo(V401) >= 0;
        boolean v4 = version.compareTo(V4) >= 0;
        Set<String> allowed = new HashSet<>(v4 ? OPTIONS_V4 : OPTIONS_V2_V3);
        if (v401) {
            allowed.addAll(OPTIONS_V401_EXTRA);
        }
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, List<String>> q : query.entrySet()) {
            String name = q.getKey();
            String option;
            if (name.startsWith("$")) {
                option = v401 ? name.toLowerCase(Locale.ROOT) : name;
                if (!allowed.contains(option)) {
                    String lower = name.toLowerCase(Locale.ROOT);
                    return "'" + name + "' is not a system query option of OData " + version.toPlainString()
                            + (allowed.contains(lower) ? " (system query options are lower case before 4.01)" : "")
                            + Suggest.hint(name, allowed) + ".";
                }
            } else if (v401 && allowed.contains("$" + name.toLowerCase(Locale.ROOT))) {
                option = "$" + name.toLowerCase(Locale.ROOT); // 4.01: the $ prefix is optional
            } else {
                continue; // a custom query option or a parameter alias (@p)
            }
            if (!seen.add(option) || q.getValue().size() > 1) {
                return "The system query option '" + option + "' is given more than once.";
            }
            String value = q.getValue().isEmpty() ? "" : q.getValue().get(0);
            switch (option) {
                case "$top", "$skip" -> {
                    if (!value.matches("[0-9]{1,18}")) {
                        return "'" + option + "' must be a non-negative integer, found '" + value + "'.";
                    }
                }
                case "$count" -> {
                    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                        return "'$count' must be true or false, found '" + value + "'.";
                    }
                }
                case "$inlinecount" -> {
                    if (!value.equals("allpages") && !value.equals("none")) {
                        return "'$inlinecount' must be allpages or none, found '" + value + "'.";
                    }
                }
                default -> {
                    if (value.isBlank() && !option.equals("$skiptoken") && !option.equals("$deltatoken")) {
                        return "The system query option '" + option + "' has no value.";
                    }
                }
            }
        }
        return null;
    }
}
