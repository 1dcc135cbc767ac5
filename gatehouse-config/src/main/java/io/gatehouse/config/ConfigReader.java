package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.common.Secret;
import io.gatehouse.common.SourceText;
import io.gatehouse.config.model.AdminConfig;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.ManagedIdentityConfig;
import io.gatehouse.config.model.CaCertificateConfig;
import io.gatehouse.config.model.CertificateConfig;
import io.gatehouse.config.model.ConnectionLimits;
import io.gatehouse.config.model.FragmentConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.GatewaySettings;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.config.model.ListenerConfig;
import io.gatehouse.config.model.NamedValueConfig;
import io.gatehouse.config.model.OperationConfig;
import io.gatehouse.config.model.PolicyRef;
import io.gatehouse.config.model.ProductConfig;
import io.gatehouse.config.model.SubscriptionConfig;
import io.gatehouse.tls.ClientCertificateMode;
import io.gatehouse.tls.Pkcs11KeySpec;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns the config tree into the {@link GatehouseConfig} model: known keys, value types,
 * required keys, {@code ${env:}} / {@code ${file:}} substitution, defaults and the checks that
 * need only one entity at a time. Every problem is reported; an entity with a problem in a
 * required value is left out of the model, but its id is remembered so references to it do
 * not produce a second, misleading error.
 */
final class ConfigReader {
    static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern METHOD = Pattern.compile("[A-Z][A-Z0-9_-]*|\\*");
    private static final Pattern USER_INFO = Pattern.compile("://([^/@]*)@");
    private static final Pattern TEMPLATE_PARAM = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

    private static final List<String> LISTENER_KEYS = List.of("port", "tls", "bind", "maxConnections");
    private static final List<String> HOSTNAME_KEYS = List.of("hostName", "certificateId", "negotiateClientCertificate",
            "clientCertificateMode", "defaultSslBinding", "trustedCaCertificateIds");
    private static final List<String> CA_KEYS = List.of("id", "file", "pem", "storeName", "crlFile", "keyVault");
    private static final List<String> CERTIFICATE_KEYS = List.of("id", "certificateFile", "keyFile", "keyPassword", "pfx",
            "password", "keyVault", "pkcs11");
    private static final List<String> PKCS11_KEYS = List.of("library", "tokenLabel", "slot", "slotListIndex", "keyLabel",
            "keyId", "pin");
    private static final Pattern HEX_ID = Pattern.compile("(0x)?([0-9A-Fa-f]{2})+");
    private static final List<String> NAMED_VALUE_KEYS = List.of("name", "value", "secret", "keyVault");
    private static final List<String> FRAGMENT_KEYS = List.of("id", "file");
    private static final List<String> BACKEND_KEYS = List.of("id", "url", "tls", "credentials", "timeout");
    private static final List<String> API_KEYS = List.of("id", "path", "backendId", "serviceUrl", "policy", "policyXml",
            "operations", "hostnames", "clientCertificate", "forwardClientCertificate", "graphql", "openApi",
            "subscriptionRequired", "subscriptionKeyParameterNames");
    private static final List<String> PRODUCT_KEYS = List.of("id", "name", "description", "apis", "subscriptionRequired",
            "approvalRequired", "state", "policy", "policyXml");
    private static final List<String> SUBSCRIPTION_KEYS = List.of("id", "name", "scope", "primaryKey", "secondaryKey",
            "state", "allowTracing", "owner");
    /** A subscription key shorter than this is a warning (APIM generates 32 characters). */
    static final int SHORT_KEY = 16;
    private static final List<String> OPERATION_KEYS = List.of("id", "method", "urlTemplate", "policy", "policyXml");

    static final String DEFAULT_LISTENER_BIND = "0.0.0.0";
    static final String DEFAULT_ADMIN_BIND = "127.0.0.1";
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_BACKEND_TIMEOUT = Duration.ofSeconds(300);

    private final Diagnostics diagnostics;
    private final ConfigFiles files;
    private final Map<String, String> env;
    private final String configName;
    /** The config file's text, to place inline policy XML at its real lines and columns; may be null. */
    String rawText;

    /** The section each model record was read from, for checks that point at one of its keys. */
    final Map<Object, Section> origins = new IdentityHashMap<>();
    /** Ids declared in the file, including entities left out of the model because of an error. */
    final Set<String> declaredCertificates = new LinkedHashSet<>();
    final Set<String> declaredCaCertificates = new LinkedHashSet<>();
    final Set<String> declaredFragments = new LinkedHashSet<>();
    final Set<String> declaredBackends = new LinkedHashSet<>();
    final Set<String> declaredNamedValues = new LinkedHashSet<>();
    final Set<String> declaredApis = new LinkedHashSet<>();
    final Set<String> declaredProducts = new LinkedHashSet<>();
    /** How many CA certificates the file declares with storeName Root, even ones left out because of an error. */
    int declaredRoots;
    /** Every hostName the file declares (as written), even ones left out because of another error. */
    final Set<String> declaredHostNames = new LinkedHashSet<>();
    /** Whether the file lists any hostname, even ones left out because of an error. */
    boolean declaredHostnames;
    /** Values to blank out of source excerpts: passwords and secret named values. */
    final List<YamlNode.Scalar> secretScalars = new ArrayList<>();
    /** Parts of values to blank out of source excerpts: the user info of URLs. */
    final List<Redaction.Span> secretSpans = new ArrayList<>();
    final Map<PolicyRef, SourceText> policySources = new LinkedHashMap<>();
    final Map<String, SourceText> fragmentSources = new LinkedHashMap<>();
    /** {@code apis[].graphql.schema} texts by API id, parsed with the policies. */
    final Map<String, SourceText> graphqlSchemaSources = new LinkedHashMap<>();
    /** Whether the API being read has an OpenAPI document, so its operations may leave method and urlTemplate to it. */
    private boolean operationsFromDocument;

    ConfigReader(String configName, ConfigFiles files, Map<String, String> env, Diagnostics diagnostics) {
        this.configName = configName;
        this.files = files;
        this.env = env;
        this.diagnostics = diagnostics;
    }

    GatehouseConfig read(YamlNode root, Path configFile) {
        Section top;
        if (root == null) {
            diagnostics.error(configName, 0, 0, "the config file is empty (expected at least 'gateway' and 'hostnames')");
            return null;
        }
        if (!(root instanceof YamlNode.Mapping m)) {
            diagnostics.add(root.position().error("expected a mapping of sections (gateway, hostnames, certificates, ...) "
                    + "at the top of the config file, found " + root.describe()));
            return null;
        }
        top = new Section(m, "the config file", List.of("gateway", "hostnames", "caCertificates", "certificates",
                "namedValues", "fragments", "backends", "policies", "apis", "products", "subscriptions"), diagnostics);
        GatewaySettings gateway = gateway(top);
        List<HostnameConfig> hostnames = list(top, "hostnames", "hostname", HOSTNAME_KEYS, this::hostname);
        declaredHostnames = top.node("hostnames") instanceof YamlNode.Sequence seq && !seq.items().isEmpty();
        List<CaCertificateConfig> cas = list(top, "caCertificates", "CA certificate", CA_KEYS, this::caCertificate);
        List<CertificateConfig> certs = list(top, "certificates", "certificate", CERTIFICATE_KEYS, this::certificate);
        List<NamedValueConfig> namedValues = list(top, "namedValues", "named value", NAMED_VALUE_KEYS, this::namedValue);
        List<FragmentConfig> fragments = list(top, "fragments", "fragment", FRAGMENT_KEYS, this::fragment);
        List<BackendConfig> backends = list(top, "backends", "backend", BACKEND_KEYS, this::backend);
        PolicyRef global = null;
        Section policies = section(top, "policies", "policies", "global", "globalXml");
        if (policies != null) {
            global = policy(policies, "global", "globalXml", "global policy");
        }
        List<ApiConfig> apis = list(top, "apis", "api", API_KEYS, this::api);
        List<ProductConfig> products = list(top, "products", "product", PRODUCT_KEYS, this::product);
        List<SubscriptionConfig> subscriptions = list(top, "subscriptions", "subscription", SUBSCRIPTION_KEYS,
                this::subscription);
        if (gateway == null) {
            // already reported; stand-in settings let the checks of everything else still run
            gateway = new GatewaySettings(List.of(), "1.2", GatewaySettings.RevocationMode.SOFT_FAIL, null,
                    DEFAULT_DRAIN_TIMEOUT, null, List.of(), List.of(), ConnectionLimits.defaults());
        }
        return new GatehouseConfig(configFile, gateway, hostnames, cas, certs, namedValues, fragments, backends, global, apis,
                products, subscriptions);
    }

    // ---------------------------------------------------------------- gateway

    private GatewaySettings gateway(Section top) {
        if (!top.has("gateway")) {
            diagnostics.add(top.position().error("missing required section 'gateway' (it lists the listeners)"));
            return null;
        }
        Section g = section(top, "gateway", "gateway", "listeners", "tls", "revocation", "admin", "drainTimeout",
                "managedIdentity", "trustedProxies", "identityHeaders", "timeouts", "limits", "keyVault",
                "certificates", "accessLog", "trace", "telemetry", "unsupportedPolicies", "dapr", "externalCache");
        if (g == null) {
            return null;
        }
        List<ListenerConfig> listeners = list(g, "listeners", "listener", LISTENER_KEYS, this::listener);
        if (!g.has("listeners") || (g.node("listeners") instanceof YamlNode.Sequence seq && seq.items().isEmpty())) {
            diagnostics.add(g.position().error("missing required key 'listeners' in gateway (expected at least one "
                    + "listener, for example '- port: 8443')"));
        }
        String minimum = "1.2";
        Section tls = section(g, "tls", "gateway tls", "minimumProtocolVersion");
        if (tls != null && tls.has("minimumProtocolVersion")) {
            String v = string(tls, "minimumProtocolVersion");
            if (v != null) {
                String n = v.trim().toLowerCase(Locale.ROOT).replace("tlsv", "");
                if (n.equals("1.2") || n.equals("1.3")) {
                    minimum = n;
                } else {
                    diagnostics.add(tls.valuePosition("minimumProtocolVersion").error("minimumProtocolVersion '" + v
                            + "' is not supported (expected: \"1.2\" or \"1.3\")"));
                }
            }
        }
        GatewaySettings.RevocationMode revocation = GatewaySettings.RevocationMode.SOFT_FAIL;
        Section rev = section(g, "revocation", "revocation", "mode");
        if (rev != null && rev.has("mode")) {
            String v = string(rev, "mode");
            if (v != null) {
                switch (v.trim().toLowerCase(Locale.ROOT)) {
                    case "off" -> revocation = GatewaySettings.RevocationMode.OFF;
                    case "soft-fail" -> revocation = GatewaySettings.RevocationMode.SOFT_FAIL;
                    case "hard-fail" -> revocation = GatewaySettings.RevocationMode.HARD_FAIL;
                    default -> diagnostics.add(rev.valuePosition("mode").error("unknown revocation mode '" + v
                            + "' (expected: off, soft-fail or hard-fail)"));
                }
            }
        }
        AdminConfig admin = null;
        Section a = section(g, "admin", "admin", "port", "bind");
        if (a != null) {
            Integer port = port(a, true);
            String bind = bind(a, DEFAULT_ADMIN_BIND);
            if (port != null && bind != null) {
                admin = new AdminConfig(port, bind, a.position());
                origins.put(admin, a);
            }
        }
        Duration drain = seconds(g, "drainTimeout", DEFAULT_DRAIN_TIMEOUT, true);
        GatewaySettings settings = new GatewaySettings(listeners, minimum, revocation, admin,
                drain == null ? DEFAULT_DRAIN_TIMEOUT : drain, managedIdentity(g), trustedProxies(g), identityHeaders(g),
                connectionLimits(g), keyVaultSettings(g), expiryWarning(g), accessLog(g), trace(g), telemetry(g),
                unsupportedPolicies(g), dapr(g), externalCache(g));
        origins.put(settings, g);
        return settings;
    }

    /**
     * {@code gateway.externalCache: {connectionString, password, timeout, failureMode, keyPrefix, earlyAdmission}}:
     * the Redis shared by several gateways; null when absent or wrong (reported). The connection
     * string is secret (it may hold the password): messages show it with the password masked.
     */
    private io.gatehouse.config.model.ExternalCacheSettings externalCache(Section g) {
        Section x = section(g, "externalCache", "gateway externalCache", "connectionString", "password", "timeout",
                "failureMode", "keyPrefix", "earlyAdmission");
        if (x == null) {
            return null;
        }
        io.gatehouse.config.model.RedisConnection connection = null;
        if (!x.has("connectionString")) {
            diagnostics.add(x.position().error("missing required key 'connectionString' in gateway externalCache (expected "
                    + "redis://host:6379, rediss://host:6380, or host:6380,password=...,ssl=True as the Azure portal shows it)"));
        } else {
            Secret cs = secret(x, "connectionString");
            if (cs != null) {
                try {
                    connection = io.gatehouse.config.model.RedisConnection.parse(cs.revealString(),
                            w -> diagnostics.add(x.valuePosition("connectionString").warning("gateway externalCache: " + w)));
                } catch (IllegalArgumentException e) {
                    diagnostics.add(x.valuePosition("connectionString").error("gateway externalCache connectionString: "
                            + e.getMessage()));
                }
            }
        }
        Secret password = x.has("password") ? secret(x, "password") : null;
        if (connection != null && password != null) {
            connection = connection.withPassword(password);
        }
        Duration timeout = io.gatehouse.config.model.ExternalCacheSettings.DEFAULT_TIMEOUT;
        if (x.has("timeout")) {
            String v = string(x, "timeout");
            Duration t = v == null ? null : millisOrSeconds(v);
            if (v != null && (t == null || t.isZero() || t.compareTo(Duration.ofSeconds(60)) > 0)) {
                diagnostics.add(x.valuePosition("timeout").error("gateway externalCache timeout '" + v + "' is not a duration from "
                        + "1 ms to 60 s (expected for example 50ms, or 0.05 for seconds)"));
            } else if (t != null) {
                timeout = t;
            }
        }
        var mode = io.gatehouse.config.model.ExternalCacheSettings.FailureMode.OPEN;
        if (x.has("failureMode")) {
            String v = string(x, "failureMode");
            if (v != null) {
                switch (v.strip().toLowerCase(Locale.ROOT)) {
                    case "open" -> mode = io.gatehouse.config.model.ExternalCacheSettings.FailureMode.OPEN;
                    case "closed" -> mode = io.gatehouse.config.model.ExternalCacheSettings.FailureMode.CLOSED;
                    default -> diagnostics.add(x.valuePosition("failureMode").error("gateway externalCache failureMode '" + v
                            + "' is not known (expected: open, the default, or closed)"));
                }
            }
        }
        String prefix = x.has("keyPrefix") ? string(x, "keyPrefix") : null;
        if (prefix != null && (prefix.length() > 64 || prefix.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            diagnostics.add(x.valuePosition("keyPrefix").error("gateway externalCache keyPrefix '" + prefix + "' must be up to 64 "
                    + "printable characters without spaces (for example gatehouse:prod:)"));
            prefix = null;
        }
        Boolean early = bool(x, "earlyAdmission", true);
        return connection == null ? null
                : new io.gatehouse.config.model.ExternalCacheSettings(connection, timeout, mode, prefix, early == null || early, x.position());
    }

    /** {@code 50ms}, {@code 2s}, or a number of seconds ({@code 0.05}); null when it is none of these. */
    private static Duration millisOrSeconds(String v) {
        String s = v.strip().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).strip()));
            }
            if (s.endsWith("s")) {
                s = s.substring(0, s.length() - 1).strip();
            }
            BigDecimal d = new BigDecimal(s);
            return d.signum() < 0 ? null : Duration.ofMillis(d.movePointRight(3).longValue());
        } catch (NumberFormatException | ArithmeticException e) {
            return null;
        }
    }

    /** {@code gateway.unsupportedPolicies}: {@code error} (the default) or {@code skip}; true for skip. */
    private boolean unsupportedPolicies(Section g) {
        if (!g.has("unsupportedPolicies")) {
            return false;
        }
        String v = string(g, "unsupportedPolicies");
        if (v == null) {
            return false;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "error" -> false;
            case "skip" -> true;
            default -> {
                diagnostics.add(g.valuePosition("unsupportedPolicies").error("unsupportedPolicies '" + v
                        + "' is not known (expected: error, the default, or skip)"));
                yield false;
            }
        };
    }

    /** {@code gateway.accessLog: {format, file, queryString, bufferLines}}; defaults when absent. */
    private io.gatehouse.config.model.AccessLogSettings accessLog(Section g) {
        var d = io.gatehouse.config.model.AccessLogSettings.defaults();
        Section a = section(g, "accessLog", "gateway accessLog", "format", "file", "queryString", "bufferLines");
        if (a == null) {
            return d;
        }
        var format = d.format();
        String f = a.has("format") ? string(a, "format") : null;
        if (f != null) {
            String n = f.strip().toLowerCase(Locale.ROOT);
            int i = io.gatehouse.config.model.AccessLogSettings.Format.NAMES.indexOf(n);
            if (i < 0) {
                diagnostics.add(a.valuePosition("format").error("unknown accessLog format '" + f + "' (expected one of: "
                        + String.join(", ", io.gatehouse.config.model.AccessLogSettings.Format.NAMES) + ")"));
            } else {
                format = io.gatehouse.config.model.AccessLogSettings.Format.values()[i];
            }
        }
        Path file = null;
        String fileText = a.has("file") ? string(a, "file") : null;
        if (fileText != null) {
            String v = fileText.strip();
            if (v.isEmpty() || v.equals("-") || v.equalsIgnoreCase("stdout")) {
                file = null;
            } else {
                try {
                    file = files.resolve(v);
                    Path dir = file.toAbsolutePath().getParent();
                    if (dir == null || !java.nio.file.Files.isDirectory(dir)) {
                        diagnostics.add(a.valuePosition("file").error("accessLog file '" + v + "': the folder "
                                + dir + " does not exist (expected a file in an existing folder, or 'stdout')"));
                        file = null;
                    } else if (java.nio.file.Files.isDirectory(file)) {
                        diagnostics.add(a.valuePosition("file").error("accessLog file '" + v
                                + "' is a folder (expected a file, or 'stdout')"));
                        file = null;
                    } else if (java.nio.file.Files.exists(file) ? !java.nio.file.Files.isWritable(file)
                            : !java.nio.file.Files.isWritable(dir)) {
                        diagnostics.add(a.valuePosition("file").error("accessLog file '" + v + "' cannot be written by "
                                + "this process (" + (java.nio.file.Files.exists(file) ? "the file" : "its folder " + dir)
                                + " is not writable; expected a file the gateway may append to, or 'stdout')"));
                        file = null;
                    }
                } catch (java.nio.file.InvalidPathException e) {
                    diagnostics.add(a.valuePosition("file").error("'" + v + "' is not a valid file path"));
                }
            }
        }
        Boolean query = bool(a, "queryString", false);
        Integer buffer = a.has("bufferLines") ? integer(a, "bufferLines") : null;
        if (buffer != null && (buffer < 16 || buffer > 1_048_576)) {
            diagnostics.add(a.valuePosition("bufferLines").error("bufferLines " + buffer
                    + " is out of range (expected 16 to 1048576 lines)"));
            buffer = null;
        }
        return new io.gatehouse.config.model.AccessLogSettings(format, file, query != null && query,
                buffer == null ? d.bufferLines() : buffer);
    }

    /** {@code gateway.trace: {keys, retention, maxTraces}}: off when absent or without keys. */
    private io.gatehouse.config.model.TraceSettings trace(Section g) {
        var d = io.gatehouse.config.model.TraceSettings.defaults();
        Section t = section(g, "trace", "gateway trace", "keys", "retention", "maxTraces");
        if (t == null) {
            return d;
        }
        List<Secret> keys = new ArrayList<>();
        YamlNode node = t.node("keys");
        if (node instanceof YamlNode.Sequence seq) {
            for (YamlNode item : seq.items()) {
                if (!(item instanceof YamlNode.Scalar sc) || sc.isNull()) {
                    diagnostics.add(item.position().error("expected a key in 'keys' of gateway trace, found "
                            + item.describe()));
                    continue;
                }
                secretScalars.add(sc);
                String v = substitute(sc, true);
                if (v == null) {
                    continue;
                }
                if (v.strip().length() < 16) {
                    diagnostics.add(item.position().error("a trace key must be at least 16 characters (it lets whoever "
                            + "holds it read every step of a request; for example ${env:GATEHOUSE_TRACE_KEY} holding "
                            + "the output of 'openssl rand -hex 32')"));
                    continue;
                }
                keys.add(Secret.of(v.strip()));
            }
        } else if (node != null) {
            diagnostics.add(node.position().error("expected a list of keys for 'keys' in gateway trace (for example "
                    + "[${env:GATEHOUSE_TRACE_KEY}]), found " + node.describe()));
        }
        Duration retention = orDefault(seconds(t, "retention", d.retention(), false), d.retention());
        Integer max = t.has("maxTraces") ? integer(t, "maxTraces") : null;
        if (max != null && (max < 1 || max > 10_000)) {
            diagnostics.add(t.valuePosition("maxTraces").error("maxTraces " + max
                    + " is out of range (expected 1 to 10000)"));
            max = null;
        }
        return new io.gatehouse.config.model.TraceSettings(keys, retention, max == null ? d.maxTraces() : max);
    }

    /**
     * {@code gateway.dapr: {httpEndpoint}}: where the Dapr sidecar's HTTP API listens, an http(s)
     * URL with a host; null (the default, http://localhost:3500) when absent or wrong (reported).
     */
    private java.net.URI dapr(Section g) {
        Section d = section(g, "dapr", "gateway dapr", "httpEndpoint");
        if (d == null || !d.has("httpEndpoint")) {
            return null;
        }
        String raw = string(d, "httpEndpoint");
        if (raw == null) {
            return null;
        }
        try {
            java.net.URI u = new java.net.URI(raw.strip());
            boolean web = "http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme());
            if (web && u.getHost() != null && u.getRawQuery() == null && u.getRawFragment() == null
                    && u.getRawUserInfo() == null) {
                return u;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        diagnostics.add(d.valuePosition("httpEndpoint").error("gateway dapr httpEndpoint '" + raw + "' is not an "
                + "http(s) URL with a host and no query (expected the sidecar's address, for example http://localhost:3500)"));
        return null;
    }

    /** {@code gateway.telemetry: {serviceName, otlp: {endpoint, headers}}}: off without an endpoint. */
    private io.gatehouse.config.model.TelemetrySettings telemetry(Section g) {
        var d = io.gatehouse.config.model.TelemetrySettings.defaults();
        Section t = section(g, "telemetry", "gateway telemetry", "otlp", "serviceName", "sampleRatio");
        if (t == null) {
            return d;
        }
        String service = t.has("serviceName") ? string(t, "serviceName") : null;
        Section o = section(t, "otlp", "gateway telemetry otlp", "endpoint", "headers");
        java.net.URI endpoint = null;
        Map<String, Secret> headers = new java.util.LinkedHashMap<>();
        if (o != null) {
            String e = required(o, "endpoint");
            if (e != null) {
                try {
                    java.net.URI u = new java.net.URI(e.strip());
                    if (u.getHost() == null || !("http".equalsIgnoreCase(u.getScheme())
                            || "https".equalsIgnoreCase(u.getScheme()))) {
                        throw new java.net.URISyntaxException(e, "not an http or https URL with a host");
                    }
                    endpoint = u;
                } catch (java.net.URISyntaxException bad) {
                    diagnostics.add(o.valuePosition("endpoint").error("otlp endpoint '" + e + "' is not an http(s) URL "
                            + "(expected the collector's OTLP/HTTP address, for example http://localhost:4318)"));
                }
            }
            YamlNode h = o.node("headers");
            if (h instanceof YamlNode.Mapping m) {
                for (YamlNode.Entry entry : m.entries()) {
                    String name = entry.key().value();
                    if (!(entry.value() instanceof YamlNode.Scalar sc) || sc.isNull()) {
                        diagnostics.add(entry.value().position().error("expected a value for header '" + name
                                + "' in gateway telemetry otlp headers, found " + entry.value().describe()));
                        continue;
                    }
                    if (name == null || !HEADER_NAME_OR_PREFIX.matcher(name).matches() || name.endsWith("*")) {
                        diagnostics.add(entry.key().position().error("'" + name + "' is not a header name"));
                        continue;
                    }
                    secretScalars.add(sc);
                    String v = substitute(sc, true);
                    if (v != null) {
                        headers.put(name, Secret.of(v));
                    }
                }
            } else if (h != null) {
                diagnostics.add(h.position().error("expected a mapping of header names to values for 'headers' in "
                        + "gateway telemetry otlp, found " + h.describe()));
            }
        }
        double ratio = 1.0;
        String r = t.has("sampleRatio") ? string(t, "sampleRatio") : null;
        if (r != null) {
            try {
                ratio = Double.parseDouble(r.strip());
            } catch (NumberFormatException e) {
                ratio = Double.NaN;
            }
            if (!(ratio >= 0 && ratio <= 1)) {
                diagnostics.add(t.valuePosition("sampleRatio").error("sampleRatio '" + r
                        + "' is not a share of requests (expected a number from 0 to 1, for example 0.1)"));
                ratio = 1.0;
            }
        }
        return new io.gatehouse.config.model.TelemetrySettings(endpoint, service == null ? null : service.strip(), headers,
                ratio);
    }

    /** {@code gateway.certificates.expiryWarningDays}: a whole number of days, 0 or more (default 30). */
    private Duration expiryWarning(Section g) {
        Section c = section(g, "certificates", "gateway certificates", "expiryWarningDays");
        if (c == null || !c.has("expiryWarningDays")) {
            return null;
        }
        String v = string(c, "expiryWarningDays");
        if (v == null) {
            return null;
        }
        try {
            int days = Integer.parseInt(v.strip());
            if (days >= 0 && days <= 3650) {
                return Duration.ofDays(days);
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        diagnostics.add(c.valuePosition("expiryWarningDays").error("expiryWarningDays '" + v
                + "' is not a number of days (expected a whole number from 0 to 3650, for example 30)"));
        return null;
    }

    /** {@code gateway.trustedProxies: [CIDR, ...]}: literal addresses or ranges, each checked here. */
    private List<String> trustedProxies(Section g) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Position> e : stringList(g, "trustedProxies", "address ranges (for example [10.0.0.0/8])")) {
            try {
                io.gatehouse.common.net.AddressRanges.parse(e.getKey());
                out.add(e.getKey().strip());
            } catch (IllegalArgumentException bad) {
                String why = bad.getMessage();
                diagnostics.add(e.getValue().error("trustedProxies: " + why + (why.contains("(expected") ? ""
                        : " (expected an address or a range such as 10.0.0.0/8 or fd00::/8)")));
            }
        }
        return out;
    }

    private static final Pattern HEADER_NAME_OR_PREFIX = Pattern.compile("[!#$%&'+.^_`|~0-9A-Za-z-]+\\*?");

    /** {@code gateway.identityHeaders: [name, prefix*, ...]}: more request headers no client may send. */
    private List<String> identityHeaders(Section g) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Position> e : stringList(g, "identityHeaders", "header names (for example [X-Employee-Id])")) {
            String v = e.getKey().strip();
            if (HEADER_NAME_OR_PREFIX.matcher(v).matches()) {
                out.add(v);
            } else {
                diagnostics.add(e.getValue().error("identityHeaders: '" + v + "' is not a header name (expected a "
                        + "name such as X-Employee-Id, or a prefix ending in '*' such as X-Employee-*)"));
            }
        }
        return out;
    }

    /** A list of scalars with each one's position; empty when absent or wrong (reported). */
    private List<Map.Entry<String, Position>> stringList(Section s, String key, String what) {
        YamlNode node = s.node(key);
        if (node == null) {
            return List.of();
        }
        if (!(node instanceof YamlNode.Sequence seq)) {
            diagnostics.add(node.position().error("expected a list of " + what + " for '" + key + "', found "
                    + node.describe()));
            return List.of();
        }
        List<Map.Entry<String, Position>> out = new ArrayList<>();
        for (YamlNode item : seq.items()) {
            if (!(item instanceof YamlNode.Scalar sc) || sc.isNull()) {
                diagnostics.add(item.position().error("expected a value in '" + key + "', found " + item.describe()));
                continue;
            }
            String v = substitute(sc, false);
            if (v != null) {
                out.add(Map.entry(v, item.position()));
            }
        }
        return out;
    }

    /**
     * {@code gateway.timeouts: {handshake, requestHeader, keepAliveIdle, bodyIdle, writeIdle}} (seconds,
     * more than 0) and {@code gateway.limits: {maxConnections, maxRequestsPerConnection}}; a value
     * absent or wrong (reported) is its default.
     */
    private ConnectionLimits connectionLimits(Section g) {
        ConnectionLimits d = ConnectionLimits.defaults();
        Duration handshake = d.handshake();
        Duration requestHeader = d.requestHeader();
        Duration keepAliveIdle = d.keepAliveIdle();
        Duration bodyIdle = d.bodyIdle();
        Duration writeIdle = d.writeIdle();
        Section t = section(g, "timeouts", "gateway timeouts", "handshake", "requestHeader", "keepAliveIdle",
                "bodyIdle", "writeIdle");
        if (t != null) {
            handshake = orDefault(seconds(t, "handshake", handshake, false), handshake);
            requestHeader = orDefault(seconds(t, "requestHeader", requestHeader, false), requestHeader);
            keepAliveIdle = orDefault(seconds(t, "keepAliveIdle", keepAliveIdle, false), keepAliveIdle);
            bodyIdle = orDefault(seconds(t, "bodyIdle", bodyIdle, false), bodyIdle);
            writeIdle = orDefault(seconds(t, "writeIdle", writeIdle, false), writeIdle);
        }
        int maxConnections = d.maxConnections();
        boolean derived = true;
        int maxRequests = d.maxRequestsPerConnection();
        Section l = section(g, "limits", "gateway limits", "maxConnections", "maxRequestsPerConnection");
        if (l != null) {
            Integer max = atLeastOne(l, "maxConnections");
            if (max != null) {
                maxConnections = max;
                derived = false;
            }
            Integer requests = atLeastOne(l, "maxRequestsPerConnection");
            if (requests != null) {
                maxRequests = requests;
            }
        }
        return new ConnectionLimits(handshake, requestHeader, keepAliveIdle, bodyIdle, writeIdle, maxConnections,
                derived, maxRequests);
    }

    private static Duration orDefault(Duration v, Duration def) {
        return v == null ? def : v;
    }

    /** A whole number of 1 or more; null when absent or wrong (reported). */
    private Integer atLeastOne(Section s, String key) {
        if (!s.has(key)) {
            return null;
        }
        Integer v = integer(s, key);
        if (v != null && v < 1) {
            diagnostics.add(s.valuePosition(key).error(key + " " + v + " in " + s.kind()
                    + " is out of range (expected: a whole number of 1 or more)"));
            return null;
        }
        return v;
    }

    /** {@code gateway.managedIdentity: {style, endpoint, identityHeader}}; null when absent or wrong (reported). */
    private ManagedIdentityConfig managedIdentity(Section g) {
        Section m = section(g, "managedIdentity", "managedIdentity", "style", "endpoint", "identityHeader");
        if (m == null) {
            return null;
        }
        String style = string(m, "style");
        style = style == null ? "app-service" : style.trim().toLowerCase(Locale.ROOT);
        boolean ok = true;
        if (!style.equals("app-service") && !style.equals("imds")) {
            diagnostics.add(m.valuePosition("style").error("unknown managedIdentity style '" + style
                    + "' (expected: app-service or imds)"));
            ok = false;
        }
        String raw = required(m, "endpoint");
        Secret header = secret(m, "identityHeader");
        if (raw == null) {
            return null;
        }
        URI endpoint = null;
        try {
            endpoint = new URI(raw.trim());
        } catch (URISyntaxException e) {
            // reported below
        }
        if (endpoint == null || endpoint.getHost() == null || endpoint.getScheme() == null
                || !(endpoint.getScheme().equalsIgnoreCase("http") || endpoint.getScheme().equalsIgnoreCase("https"))) {
            diagnostics.add(m.valuePosition("endpoint").error("managedIdentity endpoint '" + raw
                    + "' is not a URL (expected http:// or https:// with a host, for example http://localhost:42356/msi/token)"));
            return null;
        }
        if (!ok) {
            return null;
        }
        if (style.equals("app-service") && header == null) {
            diagnostics.add(m.position().error("managedIdentity with style app-service needs 'identityHeader' "
                    + "(the X-IDENTITY-HEADER secret, for example ${env:IDENTITY_HEADER})"));
            return null;
        }
        return new ManagedIdentityConfig(style, endpoint, header);
    }

    private ListenerConfig listener(Section s) {
        Integer port = port(s, true);
        Boolean tls = bool(s, "tls", true);
        String bind = bind(s, DEFAULT_LISTENER_BIND);
        Integer maxConnections = atLeastOne(s, "maxConnections");
        if (port == null || tls == null || bind == null) {
            return null;
        }
        return new ListenerConfig(port, tls, bind, s.position(), maxConnections);
    }

    private Integer port(Section s, boolean required) {
        if (!s.has("port")) {
            if (required) {
                missing(s, "port");
            }
            return null;
        }
        Integer port = integer(s, "port");
        if (port != null && (port < 1 || port > 65535)) {
            diagnostics.add(s.valuePosition("port").error("port " + port + " is out of range (expected: 1-65535)"));
            return null;
        }
        return port;
    }

    private String bind(Section s, String def) {
        if (!s.has("bind")) {
            return def;
        }
        String v = string(s, "bind");
        if (v == null) {
            return null;
        }
        if (v.isBlank() || v.chars().anyMatch(Character::isWhitespace)) {
            diagnostics.add(s.valuePosition("bind").error("bind address '" + v
                    + "' is not valid (expected: an IP address such as 0.0.0.0, ::, or 127.0.0.1)"));
            return null;
        }
        return v;
    }

    // ---------------------------------------------------------------- hostnames

    private HostnameConfig hostname(Section s) {
        String host = required(s, "hostName");
        if (host != null) {
            declaredHostNames.add(host);
        }
        if (host != null && !HOST_NAME.matcher(host).matches()) {
            diagnostics.add(s.valuePosition("hostName").error("hostName '" + host
                    + "' is not a valid DNS name (expected: for example api.contoso.local or *.contoso.local)"));
            host = null;
        }
        String certificateId = id(s, "certificateId", true);
        Boolean negotiate = s.has("negotiateClientCertificate") ? bool(s, "negotiateClientCertificate", false) : null;
        ClientCertificateMode mode = null;
        boolean modeOk = true;
        if (s.has("clientCertificateMode")) {
            String v = string(s, "clientCertificateMode");
            if (v != null) {
                mode = ClientCertificateMode.fromConfig(v);
                if (mode == null) {
                    List<String> names = new ArrayList<>();
                    for (ClientCertificateMode m : ClientCertificateMode.values()) {
                        names.add(m.configName());
                    }
                    diagnostics.add(s.valuePosition("clientCertificateMode").error("unknown clientCertificateMode '" + v
                            + "' (expected one of: " + String.join(", ", names) + ")"));
                }
            }
            modeOk = mode != null;
        }
        if (mode != null && negotiate != null && negotiate != mode.requestsCertificate()) {
            diagnostics.add(s.keyPosition("negotiateClientCertificate").error("negotiateClientCertificate: " + negotiate
                    + " disagrees with clientCertificateMode: " + mode.configName()
                    + " (give only clientCertificateMode, or make them agree)"));
            modeOk = false;
        }
        if (mode == null && negotiate != null) {
            mode = negotiate ? ClientCertificateMode.REQUEST : ClientCertificateMode.NONE;
        }
        if (mode == null) {
            mode = ClientCertificateMode.NONE;
        }
        Boolean defaultBinding = bool(s, "defaultSslBinding", false);
        List<String> trusted = idList(s, "trustedCaCertificateIds");
        if (host == null) {
            return null;
        }
        // kept even when another value is wrong, so duplicate and reference checks still run;
        // the load fails anyway because the problem was reported
        return new HostnameConfig(host, certificateId, modeOk ? mode : ClientCertificateMode.NONE,
                defaultBinding != null && defaultBinding, s.position(), trusted == null ? List.of() : trusted);
    }

    // ---------------------------------------------------------------- certificates

    private CaCertificateConfig caCertificate(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredCaCertificates.add(id);
        }
        boolean ok = id != null;
        Path file = null;
        String pem = null;
        CertificateConfig.KeyVaultRef keyVault = null;
        if (s.has("file") && s.has("pem")) {
            diagnostics.add(s.keyPosition("pem").error("CA certificate '" + id + "' has both 'file' and 'pem' (expected one)"));
            ok = false;
        } else if (s.has("keyVault") && (s.has("file") || s.has("pem"))) {
            diagnostics.add(s.keyPosition("keyVault").error("CA certificate" + named(id) + " has both '"
                    + (s.has("file") ? "file" : "pem") + "' and 'keyVault' (expected one)"));
            ok = false;
        } else if (s.has("keyVault")) {
            keyVault = keyVaultRef(s, "CA certificate" + named(id));
            ok &= keyVault != null;
        } else if (s.has("file")) {
            file = file(s, "file");
            ok &= file != null;
        } else if (s.has("pem")) {
            pem = string(s, "pem");
            ok &= pem != null;
        } else {
            diagnostics.add(s.position().error("CA certificate" + named(id)
                    + " needs 'file' (a PEM or DER file), 'pem' (inline PEM) or 'keyVault' (a Key Vault secret)"));
            ok = false;
        }
        CaCertificateConfig.StoreName store = null;
        String v = required(s, "storeName");
        if (v != null) {
            switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "root" -> store = CaCertificateConfig.StoreName.ROOT;
                case "certificateauthority" -> store = CaCertificateConfig.StoreName.CERTIFICATE_AUTHORITY;
                default -> diagnostics.add(s.valuePosition("storeName").error("unknown storeName '" + v
                        + "' (expected: Root for a trust anchor, or CertificateAuthority for an intermediate)"));
            }
        }
        ok &= store != null;
        if (store == CaCertificateConfig.StoreName.ROOT) {
            declaredRoots++;
        }
        Path crl = null;
        if (s.has("crlFile")) {
            crl = file(s, "crlFile");
            ok &= crl != null;
        }
        if (!ok) {
            return null;
        }
        return new CaCertificateConfig(id, file, pem, store, crl, s.position(), keyVault);
    }

    private CertificateConfig certificate(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredCertificates.add(id);
        }
        if (s.has("pkcs11")) {
            return pkcs11Certificate(s, id);
        }
        boolean ok = id != null;
        List<String> sources = new ArrayList<>();
        for (String k : List.of("certificateFile", "pfx", "keyVault")) {
            if (s.has(k)) {
                sources.add(k);
            }
        }
        if (sources.isEmpty()) {
            diagnostics.add(s.position().error("certificate" + named(id)
                    + " needs a source: 'certificateFile' (PEM, with 'keyFile' for a key pair), 'pfx' (with 'password'), "
                    + "'keyVault' (a Key Vault secret) or 'pkcs11' (a key on a token)"));
            return null;
        }
        if (sources.size() > 1) {
            diagnostics.add(s.keyPosition(sources.get(1)).error("certificate" + named(id) + " has both '" + sources.get(0)
                    + "' and '" + sources.get(1) + "' (expected exactly one source)"));
            return null;
        }
        Path certificateFile = null;
        Path keyFile = null;
        Secret keyPassword = null;
        Path pfx = null;
        Secret password = null;
        CertificateConfig.KeyVaultRef keyVault = null;
        switch (sources.get(0)) {
            case "certificateFile" -> {
                certificateFile = file(s, "certificateFile");
                ok &= certificateFile != null;
                if (s.has("keyFile")) {
                    keyFile = file(s, "keyFile");
                    ok &= keyFile != null;
                }
                if (s.has("keyPassword")) {
                    if (!s.has("keyFile")) {
                        diagnostics.add(s.keyPosition("keyPassword").error("certificate" + named(id)
                                + " has 'keyPassword' but no 'keyFile'"));
                        ok = false;
                    }
                    keyPassword = secret(s, "keyPassword");
                    ok &= keyPassword != null;
                }
                if (s.has("password")) {
                    diagnostics.add(s.keyPosition("password").error(
                            "'password' belongs with 'pfx'; for an encrypted PEM key use 'keyPassword'"));
                    ok = false;
                }
            }
            case "pfx" -> {
                pfx = file(s, "pfx");
                ok &= pfx != null;
                if (s.has("password")) {
                    password = secret(s, "password");
                    ok &= password != null;
                } else {
                    password = Secret.of("");
                }
                for (String k : List.of("keyFile", "keyPassword")) {
                    if (s.has(k)) {
                        diagnostics.add(s.keyPosition(k).error("'" + k
                                + "' cannot be used with 'pfx' (the PFX holds the key; its password goes in 'password')"));
                        ok = false;
                    }
                }
            }
            default -> {
                keyVault = keyVaultRef(s, "certificate" + named(id));
                ok &= keyVault != null;
                for (String k : List.of("keyFile", "keyPassword", "password")) {
                    if (s.has(k)) {
                        if (!k.equals("keyFile")) {
                            secret(s, k); // kept out of source excerpts
                        }
                        diagnostics.add(s.keyPosition(k).error("'" + k + "' cannot be used with 'keyVault' (the Key "
                                + "Vault secret holds the certificate and its key, as a PFX without a password or PEM)"));
                        ok = false;
                    }
                }
            }
        }
        if (!ok) {
            return null;
        }
        return new CertificateConfig(id, certificateFile, keyFile, keyPassword, pfx, password, keyVault, s.position());
    }

    private static final Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /**
     * {@code keyVault: {secretIdentifier, identityClientId}} under a certificate, CA certificate or
     * named value; null when wrong (reported). The identifier is checked here
     * ({@link io.gatehouse.config.keyvault.KeyVaultReference#parse}); the secret is read at load.
     */
    private CertificateConfig.KeyVaultRef keyVaultRef(Section s, String owner) {
        Section kv = section(s, "keyVault", "keyVault", "secretIdentifier", "identityClientId");
        if (kv == null) {
            return null;
        }
        String sid = required(kv, "secretIdentifier");
        String client = kv.has("identityClientId") ? string(kv, "identityClientId") : null;
        boolean ok = sid != null;
        if (sid != null) {
            String problem = io.gatehouse.config.keyvault.KeyVaultReference.problem(sid.strip());
            if (problem != null) {
                diagnostics.add(kv.valuePosition("secretIdentifier").error(owner + ": " + problem));
                ok = false;
            }
        }
        if (client != null && !GUID.matcher(client.strip()).matches()) {
            diagnostics.add(kv.valuePosition("identityClientId").error(owner + ": identityClientId '" + client
                    + "' is not a client id (expected the GUID of a user-assigned managed identity, for example "
                    + "00000000-0000-0000-0000-000000000000; leave it out for the default identity)"));
            ok = false;
        }
        if (!ok) {
            return null;
        }
        CertificateConfig.KeyVaultRef ref = new CertificateConfig.KeyVaultRef(sid.strip(), client == null ? null : client.strip());
        origins.put(ref, kv);
        return ref;
    }

    /** {@code gateway.keyVault: {refreshInterval, credential, identityClientId}}; defaults when absent or wrong (reported). */
    private io.gatehouse.config.model.KeyVaultSettings keyVaultSettings(Section g) {
        var d = io.gatehouse.config.model.KeyVaultSettings.defaults();
        Section k = section(g, "keyVault", "gateway keyVault", "refreshInterval", "credential", "identityClientId");
        if (k == null) {
            return d;
        }
        Duration interval = orDefault(seconds(k, "refreshInterval", d.refreshInterval(), false), d.refreshInterval());
        String credential = d.credential();
        if (k.has("credential")) {
            String v = string(k, "credential");
            if (v != null && io.gatehouse.config.model.KeyVaultSettings.CREDENTIALS.contains(v.strip().toLowerCase(Locale.ROOT))) {
                credential = v.strip().toLowerCase(Locale.ROOT);
            } else if (v != null) {
                diagnostics.add(k.valuePosition("credential").error("unknown keyVault credential '" + v + "' (expected one of: "
                        + String.join(", ", io.gatehouse.config.model.KeyVaultSettings.CREDENTIALS) + ")"));
            }
        }
        String client = k.has("identityClientId") ? string(k, "identityClientId") : null;
        if (client != null && !GUID.matcher(client.strip()).matches()) {
            diagnostics.add(k.valuePosition("identityClientId").error("identityClientId '" + client
                    + "' is not a client id (expected the GUID of a user-assigned managed identity)"));
            client = null;
        }
        return new io.gatehouse.config.model.KeyVaultSettings(interval, credential, client == null ? null : client.strip());
    }

    /**
     * A certificate whose private key is on a PKCS#11 token: 'pkcs11' (library, the token by
     * tokenLabel, slot or slotListIndex, the key by keyLabel or keyId, pin), and optionally
     * 'certificateFile' for the chain to send (else the token's certificate is sent).
     */
    private CertificateConfig pkcs11Certificate(Section s, String id) {
        boolean ok = id != null;
        for (String k : List.of("keyFile", "keyPassword", "pfx", "password", "keyVault")) {
            if (s.has(k)) {
                diagnostics.add(s.keyPosition(k).error("certificate" + named(id) + ": '" + k + "' cannot be used with "
                        + "'pkcs11' (the key is on the token; 'certificateFile' may give the certificate chain)"));
                ok = false;
            }
        }
        Path certificateFile = null;
        if (s.has("certificateFile")) {
            certificateFile = file(s, "certificateFile");
            ok &= certificateFile != null;
        }
        Section p = section(s, "pkcs11", "pkcs11 key", PKCS11_KEYS.toArray(String[]::new));
        if (p == null) {
            return null;
        }
        Path library = null;
        String libraryText = required(p, "library");
        if (libraryText != null) {
            String problem;
            try {
                library = files.resolve(libraryText.trim());
                problem = files.problem(library);
            } catch (java.nio.file.InvalidPathException e) {
                problem = "'" + libraryText + "' is not a valid file path";
            }
            if (problem != null) {
                diagnostics.add(p.valuePosition("library").error(problem + " (expected the path of the token's PKCS#11 "
                        + "module, e.g. /usr/lib/softhsm/libsofthsm2.so)"));
                library = null;
            }
        }
        ok &= library != null;
        String tokenKey = onlyOne(p, id, "the token", "tokenLabel", "slot", "slotListIndex");
        String tokenLabel = null;
        Long slot = null;
        Integer slotListIndex = null;
        if (tokenKey == null) {
            ok = false;
        } else if (tokenKey.equals("tokenLabel")) {
            tokenLabel = required(p, "tokenLabel");
            ok &= tokenLabel != null;
        } else if (tokenKey.equals("slot")) {
            String v = string(p, "slot");
            try {
                slot = v == null ? null : Long.valueOf(v.trim());
            } catch (NumberFormatException e) {
                diagnostics.add(p.valuePosition("slot").error("expected a slot id for 'slot' in " + p.kind()
                        + " (a whole number, as 'softhsm2-util --show-slots' or 'pkcs11-tool -L' prints it), found '" + v + "'"));
            }
            ok &= slot != null;
        } else {
            slotListIndex = integer(p, "slotListIndex");
            if (slotListIndex != null && slotListIndex < 0) {
                diagnostics.add(p.valuePosition("slotListIndex").error("'slotListIndex' in " + p.kind()
                        + " must be 0 or more, found " + slotListIndex));
                slotListIndex = null;
            }
            ok &= slotListIndex != null;
        }
        String keyKey = onlyOne(p, id, "the key", "keyLabel", "keyId");
        String keyLabel = null;
        String keyId = null;
        if (keyKey == null) {
            ok = false;
        } else if (keyKey.equals("keyLabel")) {
            keyLabel = required(p, "keyLabel");
            ok &= keyLabel != null;
        } else {
            String v = required(p, "keyId");
            if (v != null && !HEX_ID.matcher(v.trim()).matches()) {
                diagnostics.add(p.valuePosition("keyId").error("expected the key's CKA_ID in hex for 'keyId' in " + p.kind()
                        + " (pairs of hex digits, e.g. 01 or a1b2), found '" + v + "'"));
                v = null;
            }
            keyId = v == null ? null : v.trim().replaceFirst("^0x", "");
            ok &= keyId != null;
        }
        Secret pin = null;
        if (p.has("pin")) {
            pin = secret(p, "pin");
        } else {
            missing(p, "pin");
        }
        ok &= pin != null;
        if (!ok) {
            return null;
        }
        Pkcs11KeySpec spec = new Pkcs11KeySpec(library, tokenLabel, slot, slotListIndex, keyLabel, keyId, pin);
        origins.put(spec, p);
        return new CertificateConfig(id, certificateFile, null, null, null, null, null, spec, s.position());
    }

    /** The one key of {@code keys} the section has, or null (reported) when it has none or several. */
    private String onlyOne(Section p, String id, String what, String... keys) {
        List<String> given = new ArrayList<>();
        for (String k : keys) {
            if (p.has(k)) {
                given.add(k);
            }
        }
        if (given.isEmpty()) {
            diagnostics.add(p.position().error("pkcs11 key of certificate" + named(id) + " needs " + what + ": '"
                    + String.join("', '", keys) + "' (one of them)"));
            return null;
        }
        if (given.size() > 1) {
            diagnostics.add(p.keyPosition(given.get(1)).error("pkcs11 key of certificate" + named(id) + " has both '"
                    + given.get(0) + "' and '" + given.get(1) + "' (expected one)"));
            return null;
        }
        return given.get(0);
    }

    // ---------------------------------------------------------------- named values, fragments

    private NamedValueConfig namedValue(Section s) {
        Boolean secret = bool(s, "secret", false);
        String name = id(s, "name", true);
        if (name != null) {
            declaredNamedValues.add(name);
        }
        String value;
        CertificateConfig.KeyVaultRef keyVault = null;
        if (s.has("keyVault")) {
            if (s.has("value")) {
                diagnostics.add(s.keyPosition("keyVault").error("named value" + named(name)
                        + " has both 'value' and 'keyVault' (expected one)"));
            }
            keyVault = keyVaultRef(s, "named value" + named(name));
            value = null;
            if (name != null && keyVault == null) {
                return null;
            }
        } else if (!s.has("value")) {
            diagnostics.add(s.position().error("missing required key 'value' in named value (or 'keyVault' for a "
                    + "value kept in Key Vault)"));
            value = null;
        } else if (Boolean.TRUE.equals(secret) || readElsewhere(s, "value")) {
            // a value kept out of the config file (${env:...}, ${file:...}) is taken as a secret,
            // as a Key Vault one is: it never reaches a diagnostic, a log line or a trace
            secret = true;
            Secret v = secret(s, "value");
            value = v == null ? null : v.revealString();
        } else {
            value = string(s, "value");
        }
        if (name == null) {
            return null;
        }
        if (keyVault != null) {
            return new NamedValueConfig(name, "", true, s.position(), keyVault); // Key Vault named values are secret
        }
        return new NamedValueConfig(name, value == null ? "" : value, Boolean.TRUE.equals(secret), s.position());
    }

    private FragmentConfig fragment(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredFragments.add(id);
        }
        Path file = s.has("file") ? file(s, "file") : null;
        if (!s.has("file")) {
            missing(s, "file");
        }
        if (id == null || file == null) {
            return null;
        }
        String text = readText(file, s.valuePosition("file"));
        if (text == null) {
            return null;
        }
        fragmentSources.put(id, new SourceText(files.display(file), text));
        return new FragmentConfig(id, file, s.position());
    }

    // ---------------------------------------------------------------- backends

    private BackendConfig backend(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredBackends.add(id);
        }
        URI url = url(s, "url", true);
        BackendConfig.BackendTls tls = BackendConfig.BackendTls.defaults();
        Section t = section(s, "tls", "backend tls", "validateCertificateChain", "validateCertificateName",
                "serverName", "trustedCaCertificateIds", "revocation");
        if (t != null) {
            Boolean chain = bool(t, "validateCertificateChain", true);
            Boolean name = bool(t, "validateCertificateName", true);
            String serverName = null;
            if (t.has("serverName")) {
                serverName = string(t, "serverName");
                if (serverName != null && !HOST_NAME.matcher(serverName).matches()) {
                    diagnostics.add(t.valuePosition("serverName").error("serverName '" + serverName
                            + "' is not a valid DNS name"));
                    serverName = null;
                }
            }
            List<String> trusted = idList(t, "trustedCaCertificateIds");
            GatewaySettings.RevocationMode revocation = null;
            if (t.has("revocation")) {
                String v = string(t, "revocation");
                if (v != null) {
                    revocation = switch (v.trim().toLowerCase(Locale.ROOT)) {
                        case "off" -> GatewaySettings.RevocationMode.OFF;
                        case "soft-fail" -> GatewaySettings.RevocationMode.SOFT_FAIL;
                        case "hard-fail" -> GatewaySettings.RevocationMode.HARD_FAIL;
                        default -> {
                            diagnostics.add(t.valuePosition("revocation").error("unknown revocation mode '" + v
                                    + "' for backend" + named(id) + " (expected: off, soft-fail or hard-fail)"));
                            yield null;
                        }
                    };
                }
            }
            if (Boolean.FALSE.equals(chain)) {
                diagnostics.add(t.valuePosition("validateCertificateChain").warning("backend" + named(id)
                        + " does not validate its certificate chain: anyone who can reach the network path can "
                        + "impersonate it (trust its CA with trustedCaCertificateIds instead)"));
            }
            if (Boolean.FALSE.equals(name)) {
                diagnostics.add(t.valuePosition("validateCertificateName").warning("backend" + named(id)
                        + " does not check that its certificate is for its host name: any certificate from a trusted "
                        + "CA is accepted (set serverName instead when the name differs)"));
            }
            if (chain != null && name != null && trusted != null) {
                tls = new BackendConfig.BackendTls(chain, name, serverName, trusted, revocation);
                origins.put(tls, t);
            }
        }
        List<String> certificateIds = List.of();
        Section c = section(s, "credentials", "backend credentials", "certificateIds");
        if (c != null) {
            certificateIds = idList(c, "certificateIds");
        }
        Duration timeout = seconds(s, "timeout", DEFAULT_BACKEND_TIMEOUT, false);
        if (id == null) {
            return null;
        }
        // kept with what could be read (url may be null) so references to and from it are still
        // checked; the load fails anyway because every problem was reported
        return new BackendConfig(id, url, tls, certificateIds == null ? List.of() : certificateIds,
                timeout == null ? DEFAULT_BACKEND_TIMEOUT : timeout, s.position());
    }

    private URI url(Section s, String key, boolean required) {
        String v = required ? required(s, key) : string(s, key);
        if (v == null) {
            return null;
        }
        hideUserInfo(s, key);
        URI uri = null;
        try {
            uri = new URI(v.trim());
        } catch (URISyntaxException e) {
            // reported below
        }
        String scheme = uri == null || uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri == null || !("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            String shown = USER_INFO.matcher(v).replaceFirst("://***@");
            diagnostics.add(s.valuePosition(key).error(key + " '" + shown
                    + "' is not a valid backend URL (expected: http:// or https:// with a host, for example "
                    + "https://backend.local:9443/base, without a query, fragment or user info)"));
            return null;
        }
        return uri;
    }

    /** Keeps {@code user:password@} of a URL out of source excerpts. */
    private void hideUserInfo(Section s, String key) {
        if (!(s.node(key) instanceof YamlNode.Scalar sc) || sc.value() == null) {
            return;
        }
        java.util.regex.Matcher m = USER_INFO.matcher(sc.value());
        if (!m.find()) {
            return;
        }
        if (sc.plainSingleLine() || (sc.quoted() && sc.endLine() == sc.position().line())) {
            Position at = positionIn(sc, m.start(1));
            secretSpans.add(new Redaction.Span(at.line(), at.column(), m.end(1) - m.start(1)));
        } else {
            secretScalars.add(sc);
        }
    }

    // ---------------------------------------------------------------- products and subscriptions

    /** A header name as RFC 9110 allows it (a token). */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** A query parameter name that needs no escaping in a URL. */
    private static final Pattern QUERY_NAME = Pattern.compile("[A-Za-z0-9._~!$'()*+,;:@/?-]+");

    /** {@code apis[].subscriptionRequired} and {@code apis[].subscriptionKeyParameterNames: {header, query}}. */
    private ApiConfig.SubscriptionKeys subscriptionKeys(Section s, String id) {
        Boolean required = bool(s, "subscriptionRequired", false);
        String header = ApiConfig.SubscriptionKeys.DEFAULT_HEADER;
        String query = ApiConfig.SubscriptionKeys.DEFAULT_QUERY;
        Section names = section(s, "subscriptionKeyParameterNames", "subscriptionKeyParameterNames", "header", "query");
        if (names != null) {
            String h = names.has("header") ? string(names, "header") : null;
            if (h != null) {
                if (HEADER_NAME.matcher(h.strip()).matches()) {
                    header = h.strip();
                } else {
                    diagnostics.add(names.valuePosition("header").error("subscription key header '" + h + "' in api"
                            + named(id) + " is not a header name (expected letters, digits and '-', for example "
                            + ApiConfig.SubscriptionKeys.DEFAULT_HEADER + ")"));
                }
            }
            String q = names.has("query") ? string(names, "query") : null;
            if (q != null) {
                if (QUERY_NAME.matcher(q.strip()).matches()) {
                    query = q.strip();
                } else {
                    diagnostics.add(names.valuePosition("query").error("subscription key query parameter '" + q
                            + "' in api" + named(id) + " is not a query parameter name (expected letters, digits, '-' "
                            + "or '_', for example " + ApiConfig.SubscriptionKeys.DEFAULT_QUERY + ")"));
                }
            }
        }
        return new ApiConfig.SubscriptionKeys(Boolean.TRUE.equals(required), header, query);
    }

    private ProductConfig product(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredProducts.add(id);
        }
        String name = s.has("name") ? string(s, "name") : null;
        String description = s.has("description") ? string(s, "description") : null;
        List<String> apis = idList(s, "apis");
        Boolean subscriptionRequired = bool(s, "subscriptionRequired", true);
        Boolean approvalRequired = bool(s, "approvalRequired", false);
        if (Boolean.TRUE.equals(approvalRequired)) {
            diagnostics.add(s.valuePosition("approvalRequired").warning("approvalRequired has no effect in Gatehouse "
                    + "(product" + named(id) + "): there is no developer portal to request subscriptions in; the "
                    + "subscriptions listed under 'subscriptions' are the approved ones"));
        }
        ProductConfig.State state = ProductConfig.State.PUBLISHED;
        String st = s.has("state") ? string(s, "state") : null;
        if (st != null) {
            String v = st.strip();
            state = null;
            for (ProductConfig.State c : ProductConfig.State.values()) {
                if (c.label().equalsIgnoreCase(v)) {
                    state = c;
                }
            }
            if (state == null) {
                List<String> labels = java.util.Arrays.stream(ProductConfig.State.values()).map(ProductConfig.State::label).toList();
                diagnostics.add(s.valuePosition("state").error("unknown product state '" + st + "' (expected: "
                        + String.join(" or ", labels) + ")" + Suggestions.didYouMean(v, labels)));
                state = ProductConfig.State.PUBLISHED;
            }
        }
        PolicyRef policy = policy(s, "policy", "policyXml", "product" + named(id) + " policy");
        if (id == null) {
            return null;
        }
        return new ProductConfig(id, name == null || name.isBlank() ? id : name, description,
                apis == null ? List.of() : apis, !Boolean.FALSE.equals(subscriptionRequired),
                Boolean.TRUE.equals(approvalRequired), state, policy, s.position());
    }

    private SubscriptionConfig subscription(Section s) {
        String id = id(s, "id", true);
        String name = s.has("name") ? string(s, "name") : null;
        SubscriptionConfig.Scope scope = null;
        String raw = required(s, "scope");
        if (raw != null) {
            scope = subscriptionScope(raw.strip());
            if (scope == null) {
                diagnostics.add(s.valuePosition("scope").error("subscription" + named(id) + " has scope '" + raw
                        + "' (expected /apis for every API, /apis/{apiId} or /products/{productId}, as APIM writes it)"));
            }
        }
        String what = "subscription" + named(id);
        Object primary = subscriptionKey(s, "primaryKey", what);
        Object secondary = subscriptionKey(s, "secondaryKey", what);
        if (!s.has("primaryKey") && !s.has("secondaryKey")) {
            diagnostics.add(s.position().error(what + " has no key (expected 'primaryKey', 'secondaryKey' or both: a "
                    + "value, ${env:NAME}, ${file:PATH} or keyVault: {secretIdentifier: ...})"));
        }
        SubscriptionConfig.State state = SubscriptionConfig.State.ACTIVE;
        String st = s.has("state") ? string(s, "state") : null;
        if (st != null) {
            String v = st.strip();
            state = null;
            for (SubscriptionConfig.State c : SubscriptionConfig.State.values()) {
                if (c.label().equalsIgnoreCase(v)) {
                    state = c;
                }
            }
            if (state == null) {
                List<String> labels = java.util.Arrays.stream(SubscriptionConfig.State.values())
                        .map(SubscriptionConfig.State::label).toList();
                diagnostics.add(s.valuePosition("state").error("unknown subscription state '" + st + "' (expected one of: "
                        + String.join(", ", labels) + ")" + Suggestions.didYouMean(v, labels)));
                state = SubscriptionConfig.State.ACTIVE;
            }
        }
        Boolean allowTracing = bool(s, "allowTracing", false);
        SubscriptionConfig.Owner owner = null;
        Section o = section(s, "owner", "subscription owner", "id", "email", "firstName", "lastName");
        if (o != null) {
            owner = new SubscriptionConfig.Owner(o.has("id") ? string(o, "id") : null,
                    o.has("email") ? string(o, "email") : null, o.has("firstName") ? string(o, "firstName") : null,
                    o.has("lastName") ? string(o, "lastName") : null);
        }
        if (id == null || scope == null) {
            return null;
        }
        return new SubscriptionConfig(id, name == null || name.isBlank() ? id : name, scope,
                primary instanceof Secret p ? p : null,
                primary instanceof CertificateConfig.KeyVaultRef p ? p : null,
                secondary instanceof Secret p ? p : null,
                secondary instanceof CertificateConfig.KeyVaultRef p ? p : null,
                state, Boolean.TRUE.equals(allowTracing), owner, s.position());
    }

    /** {@code /apis}, {@code /apis/{id}} or {@code /products/{id}}; null when it is none of them. */
    static SubscriptionConfig.Scope subscriptionScope(String v) {
        String p = v.endsWith("/") && v.length() > 1 ? v.substring(0, v.length() - 1) : v;
        if (p.equals("/apis")) {
            return new SubscriptionConfig.Scope(SubscriptionConfig.Scope.Kind.ALL_APIS, null);
        }
        for (var k : new Object[][] {{"/apis/", SubscriptionConfig.Scope.Kind.API},
                {"/products/", SubscriptionConfig.Scope.Kind.PRODUCT}}) {
            String prefix = (String) k[0];
            if (p.startsWith(prefix) && ID.matcher(p.substring(prefix.length())).matches()) {
                return new SubscriptionConfig.Scope((SubscriptionConfig.Scope.Kind) k[1], p.substring(prefix.length()));
            }
        }
        return null;
    }

    /**
     * A subscription key: a {@link Secret} (a value, {@code ${env:}}, {@code ${file:}}), a Key Vault
     * reference ({@code {keyVault: {...}}}), or null when absent or wrong (reported). Short keys are
     * a warning; the key itself never appears in a message.
     */
    private Object subscriptionKey(Section s, String key, String what) {
        YamlNode node = s.node(key);
        if (node == null) {
            return null;
        }
        if (node instanceof YamlNode.Mapping) {
            Section k = section(s, key, what + " " + key, "keyVault");
            if (k == null) {
                return null;
            }
            if (!k.has("keyVault")) {
                missing(k, "keyVault");
                return null;
            }
            return keyVaultRef(k, what + " " + key);
        }
        Secret v = secret(s, key);
        if (v == null) {
            return null;
        }
        if (v.revealString().isBlank()) {
            diagnostics.add(s.valuePosition(key).error(what + ": '" + key + "' is empty"));
            return null;
        }
        if (v.revealString().length() < SHORT_KEY) {
            diagnostics.add(s.valuePosition(key).warning(what + ": '" + key + "' is shorter than " + SHORT_KEY
                    + " characters, which makes it easy to guess (APIM's keys have 32)"));
        }
        return v;
    }

    // ---------------------------------------------------------------- apis

    private ApiConfig api(Section s) {
        String id = id(s, "id", true);
        if (id != null) {
            declaredApis.add(id);
        }
        String path = null;
        if (!s.has("path")) {
            missing(s, "path");
        } else {
            String raw = string(s, "path");
            if (raw != null) {
                path = apiPath(raw, s.valuePosition("path"));
            }
        }
        Path openApi = null;
        OpenApiDefinitions.Loaded document = null;
        if (s.has("openApi")) {
            openApi = file(s, "openApi");
            String text = openApi == null ? null : readText(openApi, s.valuePosition("openApi"));
            if (text != null) {
                document = OpenApiDefinitions.load(id == null ? "" : id, files.display(openApi), text, diagnostics);
            }
        }
        String backendId = null;
        URI serviceUrl = null;
        if (s.has("backendId") && s.has("serviceUrl")) {
            diagnostics.add(s.keyPosition("serviceUrl").error("api" + named(id)
                    + " has both 'backendId' and 'serviceUrl' (expected one)"));
        } else if (s.has("backendId")) {
            backendId = id(s, "backendId", true);
        } else if (s.has("serviceUrl")) {
            serviceUrl = url(s, "serviceUrl", true);
        } else if (document != null && document.serverUrl() != null) {
            serviceUrl = document.serverUrl(); // as APIM's import: the document's first absolute server URL
        } else if (document != null) {
            diagnostics.add(s.position().error("api" + named(id)
                    + " needs 'backendId' (a backend's id) or 'serviceUrl' (https://...): its OpenAPI document "
                    + files.display(openApi) + " has no absolute http(s) server URL to use instead" + (document.firstServer() == null
                            ? " (it lists no servers)" : " (its first is '" + document.firstServer() + "')")));
        } else if (!s.has("openApi")) {
            diagnostics.add(s.position().error("api" + named(id)
                    + " needs 'backendId' (a backend's id) or 'serviceUrl' (https://...)"));
        }
        PolicyRef policy = policy(s, "policy", "policyXml", "api" + named(id) + " policy");
        List<OperationConfig> operations = new ArrayList<>();
        if (s.has("operations")) {
            operationsFromDocument = s.has("openApi");
            try {
                operations = list(s, "operations", "operation", OPERATION_KEYS, this::operation);
            } finally {
                operationsFromDocument = false;
            }
            Map<String, Position> ids = new LinkedHashMap<>();
            for (OperationConfig op : operations) {
                Position first = ids.putIfAbsent(op.id(), op.position());
                if (first != null) {
                    diagnostics.add(origins.get(op).valuePosition("id").error("duplicate operation id '" + op.id()
                            + "' in api" + named(id) + " (first defined at line " + first.line() + ")"));
                }
            }
        }
        if (document != null) {
            operations = mergeOperations(id, files.display(openApi), document.operations(), operations);
        } else if (s.has("openApi")) {
            operations = new ArrayList<>(); // the document did not load (reported); the load fails
        }
        List<String> hostnames = hostNameList(s, "hostnames");
        boolean certificateRequired = false;
        if (s.has("clientCertificate")) {
            String v = string(s, "clientCertificate");
            if (v != null) {
                switch (v.trim().toLowerCase(Locale.ROOT)) {
                    case "optional" -> certificateRequired = false;
                    case "required" -> certificateRequired = true;
                    default -> diagnostics.add(s.valuePosition("clientCertificate").error("unknown clientCertificate '"
                            + v + "' in api" + named(id) + " (expected: optional or required)"
                            + Suggestions.didYouMean(v.trim(), List.of("optional", "required"))));
                }
            }
        }
        ApiConfig.ForwardClientCertificate forward = ApiConfig.ForwardClientCertificate.NONE;
        String fcc = string(s, "forwardClientCertificate");
        if (fcc != null) {
            switch (fcc.trim().toLowerCase(Locale.ROOT)) {
                case "none", "false" -> forward = ApiConfig.ForwardClientCertificate.NONE;
                case "rfc9440", "client-cert" -> forward = ApiConfig.ForwardClientCertificate.RFC9440;
                case "xfcc", "x-forwarded-client-cert" -> forward = ApiConfig.ForwardClientCertificate.XFCC;
                default -> diagnostics.add(s.valuePosition("forwardClientCertificate").error("unknown "
                        + "forwardClientCertificate '" + fcc + "' (expected none, rfc9440 for Client-Cert and "
                        + "Client-Cert-Chain, or xfcc for X-Forwarded-Client-Cert)"));
            }
        }
        Path graphqlSchema = null;
        Section g = section(s, "graphql", "api graphql settings", "schema");
        if (g != null) {
            if (!g.has("schema")) {
                missing(g, "schema");
            } else {
                graphqlSchema = file(g, "schema");
                String sdl = graphqlSchema == null ? null : readText(graphqlSchema, g.valuePosition("schema"));
                if (sdl == null) {
                    graphqlSchema = null;
                } else if (id != null) {
                    graphqlSchemaSources.put(id, new SourceText(files.display(graphqlSchema), sdl));
                }
            }
        }
        ApiConfig.SubscriptionKeys subscription = subscriptionKeys(s, id);
        if (id == null) {
            return null;
        }
        // kept with what could be read (path may be null) so duplicate and reference checks
        // still run; the load fails anyway because every problem was reported
        return new ApiConfig(id, path, backendId, serviceUrl, policy, operations, s.position(),
                hostnames == null ? List.of() : hostnames, certificateRequired, forward, graphqlSchema, openApi,
                document == null ? null : document.definition(), subscription);
    }

    /**
     * The document's operations, each with the policy of the hand-written operation of the same id
     * (which may not change its method or template), then the hand-written operations the document
     * does not have (which need a method and a template of their own).
     */
    private List<OperationConfig> mergeOperations(String apiId, String documentName, List<OperationConfig> fromDocument,
                                                  List<OperationConfig> handWritten) {
        Map<String, OperationConfig> byId = new LinkedHashMap<>();
        for (OperationConfig op : handWritten) {
            byId.putIfAbsent(op.id(), op);
        }
        List<OperationConfig> merged = new ArrayList<>();
        for (OperationConfig d : fromDocument) {
            OperationConfig h = byId.remove(d.id());
            if (h == null) {
                merged.add(d);
                continue;
            }
            Section hs = origins.get(h);
            if (h.method() != null && !h.method().equals(d.method())) {
                diagnostics.add(hs.valuePosition("method").error("operation '" + h.id() + "' has method " + h.method()
                        + " here but " + d.method() + " in the OpenAPI document at " + d.position()
                        + " (an operation the document defines keeps its method and urlTemplate: leave them out "
                        + "to add a policy, or use a new id for a new operation)"));
            }
            if (h.urlTemplate() != null && !sameTemplate(h.urlTemplate(), d.urlTemplate())) {
                diagnostics.add(hs.valuePosition("urlTemplate").error("operation '" + h.id() + "' has urlTemplate '"
                        + h.urlTemplate() + "' here but '" + d.urlTemplate() + "' in the OpenAPI document at "
                        + d.position() + " (an operation the document defines keeps its method and urlTemplate: "
                        + "leave them out to add a policy, or use a new id for a new operation)"));
            }
            OperationConfig op = new OperationConfig(d.id(), d.method(), d.urlTemplate(), h.policy(), h.position());
            origins.put(op, hs);
            merged.add(op);
        }
        for (OperationConfig h : byId.values()) {
            if (h.method() == null || h.urlTemplate() == null) {
                Section hs = origins.get(h);
                diagnostics.add(hs.valuePosition("id").error("operation '" + h.id() + "' of api" + named(apiId)
                        + " is not in its OpenAPI document " + documentName + " (a new operation needs 'method' and "
                        + "'urlTemplate')" + Suggestions.didYouMean(h.id(),
                                fromDocument.stream().map(OperationConfig::id).toList())));
                continue;
            }
            merged.add(h);
        }
        return merged;
    }

    /** Templates that route the same: equal but for the names of their parameters and a trailing slash. */
    private static boolean sameTemplate(String a, String b) {
        return normalTemplate(a).equals(normalTemplate(b));
    }

    private static String normalTemplate(String t) {
        String n = t.replaceAll("\\{[^}/]*}", "{}");
        return n.length() > 1 && n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private String apiPath(String raw, Position at) {
        String p = raw.trim();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        for (char c : p.toCharArray()) {
            if (Character.isWhitespace(c) || "?#{}*%\\".indexOf(c) >= 0) {
                diagnostics.add(at.error("api path '" + raw + "' may not contain '" + c
                        + "' (expected: URL path segments such as 'patients' or 'v1/patients')"));
                return null;
            }
        }
        if (p.contains("//")) {
            diagnostics.add(at.error("api path '" + raw + "' has an empty segment ('//')"));
            return null;
        }
        return p;
    }

    private OperationConfig operation(Section s) {
        String id = id(s, "id", true);
        boolean mayOmit = operationsFromDocument && !s.has("method") && !s.has("urlTemplate");
        String method = mayOmit ? null : required(s, "method");
        if (method != null) {
            String m = method.trim().toUpperCase(Locale.ROOT);
            if (!METHOD.matcher(m).matches()) {
                diagnostics.add(s.valuePosition("method").error("method '" + method
                        + "' is not an HTTP method (expected: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, or * for any)"));
                method = null;
            } else {
                method = m;
            }
        }
        String template = mayOmit ? null : required(s, "urlTemplate");
        if (template != null) {
            String problem = templateProblem(template);
            if (problem != null) {
                diagnostics.add(s.valuePosition("urlTemplate").error("urlTemplate '" + template + "' " + problem));
                template = null;
            }
        }
        PolicyRef policy = policy(s, "policy", "policyXml", "operation" + named(id) + " policy");
        if (id == null || (!mayOmit && (method == null || template == null))) {
            return null;
        }
        return new OperationConfig(id, method, template, policy, s.position());
    }

    /** What is wrong with a URL template, or null when it is fine. */
    static String templateProblem(String t) {
        if (!t.startsWith("/")) {
            return "must start with '/' (for example /{id} or /files/*)";
        }
        if (t.indexOf('?') >= 0 || t.indexOf('#') >= 0) {
            return "may not contain a query or fragment (query parameters in templates are not supported in this version)";
        }
        Set<String> names = new LinkedHashSet<>();
        int i = 0;
        while (i < t.length()) {
            char c = t.charAt(i);
            if (c == '*') {
                if (i != t.length() - 1) {
                    return "has '*' before the end (a '*' may only end the template, as in /files/*)";
                }
            } else if (c == '}') {
                return "has a '}' without a matching '{'";
            } else if (c == '{') {
                int close = t.indexOf('}', i);
                if (close < 0) {
                    return "has a '{' without a matching '}'";
                }
                String name = t.substring(i + 1, close);
                if (!TEMPLATE_PARAM.matcher(name).matches()) {
                    return "has a parameter '{" + name + "}' with an invalid name (expected letters, digits or '_', as in {id})";
                }
                if (!names.add(name)) {
                    return "uses the parameter '{" + name + "}' twice";
                }
                i = close;
            } else if (Character.isWhitespace(c)) {
                return "may not contain spaces";
            }
            i++;
        }
        return null;
    }

    private PolicyRef policy(Section s, String fileKey, String xmlKey, String what) {
        if (s.has(fileKey) && s.has(xmlKey)) {
            diagnostics.add(s.keyPosition(xmlKey).error(what + " is given twice: '" + fileKey + "' and '" + xmlKey
                    + "' (expected one)"));
            return null;
        }
        if (s.has(fileKey)) {
            Path file = file(s, fileKey);
            if (file == null) {
                return null;
            }
            String text = readText(file, s.valuePosition(fileKey));
            if (text == null) {
                return null;
            }
            PolicyRef ref = new PolicyRef(file, null, s.valuePosition(fileKey));
            policySources.put(ref, new SourceText(files.display(file), text));
            return ref;
        }
        if (s.has(xmlKey)) {
            String xml = string(s, xmlKey);
            if (xml == null) {
                return null;
            }
            Position at = s.valuePosition(xmlKey);
            PolicyRef ref = new PolicyRef(null, xml, at);
            SourceText placed = placeInline(xml, at);
            policySources.put(ref, placed != null ? placed : new SourceText(configName + "#"
                    + what.replace(' ', '-').replace("'", "") + "@" + at.line(), xml));
            return ref;
        }
        return null;
    }

    /**
     * Inline policy XML as a text named after the config file, blank except for the XML, which
     * stands at the lines and columns it has in the config: diagnostics in it then point into the
     * config file. Null when the XML cannot be placed exactly (folded or escaped scalars).
     */
    private SourceText placeInline(String xml, Position at) {
        if (rawText == null || at.line() < 1) {
            return null;
        }
        String[] lines = rawText.split("\n", -1);
        if (at.line() > lines.length) {
            return null;
        }
        String valueLine = stripCr(lines[at.line() - 1]);
        int col = at.column() - 1;
        String[] xmlLines = xml.split("\n", -1);
        StringBuilder sb = new StringBuilder(rawText.length());
        if (col >= 0 && col < valueLine.length() && valueLine.charAt(col) == '|') {
            int first = at.line(); // 0-based index of the line after the indicator
            while (first < lines.length && stripCr(lines[first]).isBlank()) {
                first++;
            }
            if (first >= lines.length) {
                return null;
            }
            String firstLine = stripCr(lines[first]);
            int indent = firstLine.length() - firstLine.stripLeading().length();
            sb.append("\n".repeat(first));
            for (int i = 0; i < xmlLines.length; i++) {
                String l = xmlLines[i];
                String placedLine = l.isEmpty() ? "" : " ".repeat(indent) + l;
                int configIndex = first + i;
                if (!l.isEmpty() && (configIndex >= lines.length || !stripCr(lines[configIndex]).equals(placedLine))) {
                    return null;
                }
                sb.append(placedLine).append('\n');
            }
        } else if (xmlLines.length == 1 && col >= 0 && valueLine.startsWith(xml, col)) {
            sb.append("\n".repeat(at.line() - 1)).append(" ".repeat(col)).append(xml);
        } else {
            return null;
        }
        return new SourceText(configName, sb.toString());
    }

    private static String stripCr(String s) {
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    // ---------------------------------------------------------------- values

    private <T> List<T> list(Section parent, String key, String kind, List<String> keys, Function<Section, T> read) {
        List<T> out = new ArrayList<>();
        YamlNode node = parent.node(key);
        if (node == null) {
            return out;
        }
        if (!(node instanceof YamlNode.Sequence seq)) {
            diagnostics.add(node.position().error("expected a list for '" + key + "' in " + parent.kind() + ", found "
                    + node.describe() + " (start each " + kind + " with '- ')"));
            return out;
        }
        for (YamlNode item : seq.items()) {
            Section s = sectionOf(item, kind, keys);
            if (s == null) {
                continue;
            }
            T value = read.apply(s);
            if (value != null) {
                origins.put(value, s);
                out.add(value);
            }
        }
        return out;
    }

    private Section sectionOf(YamlNode node, String kind, List<String> keys) {
        if (!(node instanceof YamlNode.Mapping m)) {
            diagnostics.add(node.position().error("expected a " + kind + " (a mapping of keys such as '" + keys.get(0)
                    + ": ...'), found " + node.describe()));
            return null;
        }
        return new Section(m, kind, keys, diagnostics);
    }

    /** A nested mapping, or null when absent (or wrong, which is reported). */
    private Section section(Section parent, String key, String kind, String... keys) {
        YamlNode node = parent.node(key);
        if (node == null) {
            return null;
        }
        return sectionOf(node, kind, List.of(keys));
    }

    private void missing(Section s, String key) {
        diagnostics.add(s.position().error("missing required key '" + key + "' in " + s.kind()));
    }

    private String required(Section s, String key) {
        if (!s.has(key)) {
            missing(s, key);
            return null;
        }
        String v = string(s, key);
        if (v != null && v.isBlank()) {
            diagnostics.add(s.valuePosition(key).error("'" + key + "' in " + s.kind() + " is empty"));
            return null;
        }
        return v;
    }

    private String id(Section s, String key, boolean required) {
        String v = required ? required(s, key) : (s.has(key) ? string(s, key) : null);
        if (v != null && !ID.matcher(v).matches()) {
            diagnostics.add(s.valuePosition(key).error(key + " '" + v
                    + "' is not a valid id (expected only letters, digits, '.', '_' and '-')"));
            return null;
        }
        return v;
    }

    /** A list of host names ({@code apis[].hostnames}); null when it is wrong (reported), empty when absent. */
    private List<String> hostNameList(Section s, String key) {
        return checkedList(s, key, "hostName values", "(for example [api.contoso.local]; leave '" + key
                + "' out to serve the API on every hostname)", false, "a hostName", v -> {
                    String t = v.trim();
                    return HOST_NAME.matcher(t).matches() ? t : null;
                }, v -> "'" + v + "' is not a valid DNS name (expected the hostName of an entry under 'hostnames', "
                        + "for example api.contoso.local)");
    }

    /** A list of ids; null when it is wrong (reported), empty when absent. */
    private List<String> idList(Section s, String key) {
        return checkedList(s, key, "ids", "(for example [id-1, id-2])", true, "an id",
                v -> ID.matcher(v).matches() ? v : null,
                v -> "'" + v + "' is not a valid id (expected only letters, digits, '.', '_' and '-')");
    }

    /**
     * A list of scalars under {@code key}, each substituted and then passed through {@code accept}
     * (the value to keep, or null when it is not valid: {@code problem} says why). Null when
     * anything is wrong (all of it reported), empty when the key is absent.
     */
    private List<String> checkedList(Section s, String key, String listOf, String example, boolean emptyAllowed,
            String item, java.util.function.UnaryOperator<String> accept, java.util.function.UnaryOperator<String> problem) {
        YamlNode node = s.node(key);
        if (node == null) {
            return List.of();
        }
        if (!(node instanceof YamlNode.Sequence seq) || (!emptyAllowed && seq.items().isEmpty())) {
            diagnostics.add(node.position().error("expected a list of " + listOf + " for '" + key + "', found "
                    + (node instanceof YamlNode.Sequence ? "an empty list" : node.describe()) + " " + example));
            return null;
        }
        List<String> out = new ArrayList<>();
        boolean ok = true;
        for (YamlNode i : seq.items()) {
            if (!(i instanceof YamlNode.Scalar sc) || sc.isNull()) {
                diagnostics.add(i.position().error("expected " + item + " in '" + key + "', found " + i.describe()));
                ok = false;
                continue;
            }
            String v = substitute(sc, false);
            String kept = v == null ? null : accept.apply(v);
            if (kept != null) {
                out.add(kept);
            } else {
                if (v != null) {
                    diagnostics.add(i.position().error(problem.apply(v)));
                }
                ok = false;
            }
        }
        return ok ? out : null;
    }

    /** The key's text after substitution, or null when absent or wrong (reported). */
    /** True if {@code key}'s value is read from the environment or a file ({@code ${env:...}}, {@code ${file:...}}). */
    private static boolean readElsewhere(Section s, String key) {
        return s.node(key) instanceof YamlNode.Scalar sc && sc.value() != null
                && (sc.value().contains("${env:") || sc.value().contains("${file:"));
    }

    private String string(Section s, String key) {
        YamlNode node = s.node(key);
        if (node == null) {
            return null;
        }
        if (!(node instanceof YamlNode.Scalar sc)) {
            diagnostics.add(node.position().error("expected a value for '" + key + "' in " + s.kind() + ", found "
                    + node.describe()));
            return null;
        }
        return substitute(sc, false);
    }

    private Secret secret(Section s, String key) {
        YamlNode node = s.node(key);
        if (node == null) {
            return null;
        }
        if (!(node instanceof YamlNode.Scalar sc)) {
            diagnostics.add(node.position().error("expected a value for '" + key + "' in " + s.kind() + ", found "
                    + node.describe()));
            return null;
        }
        secretScalars.add(sc);
        String v = substitute(sc, true);
        return v == null ? null : Secret.of(v);
    }

    private Integer integer(Section s, String key) {
        String v = string(s, key);
        if (v == null) {
            return null;
        }
        try {
            return Integer.valueOf(v.trim());
        } catch (NumberFormatException e) {
            diagnostics.add(s.valuePosition(key).error("expected a whole number for '" + key + "' in " + s.kind()
                    + ", found '" + v + "'"));
            return null;
        }
    }

    private Boolean bool(Section s, String key, boolean def) {
        if (!s.has(key)) {
            return def;
        }
        String v = string(s, key);
        if (v == null) {
            return null;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                diagnostics.add(s.valuePosition(key).error("expected true or false for '" + key + "' in " + s.kind()
                        + ", found '" + v + "'"));
                yield null;
            }
        };
    }

    private Duration seconds(Section s, String key, Duration def, boolean allowZero) {
        if (!s.has(key)) {
            return def;
        }
        String v = string(s, key);
        if (v == null) {
            return null;
        }
        try {
            BigDecimal d = new BigDecimal(v.trim());
            if (d.signum() < 0 || (!allowZero && d.signum() == 0) || d.compareTo(BigDecimal.valueOf(86_400L * 365)) > 0) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(d.movePointRight(3).longValue());
        } catch (NumberFormatException | ArithmeticException e) {
            diagnostics.add(s.valuePosition(key).error("expected a number of seconds for '" + key + "' in " + s.kind()
                    + (allowZero ? " (0 or more)" : " (more than 0)") + ", found '" + v + "'"));
            return null;
        }
    }

    /** A file the config names: resolved, watched, and checked to exist and be readable. */
    private Path file(Section s, String key) {
        String v = string(s, key);
        if (v == null) {
            return null;
        }
        if (v.isBlank()) {
            diagnostics.add(s.valuePosition(key).error("'" + key + "' in " + s.kind() + " is empty (expected a file path)"));
            return null;
        }
        Path file;
        try {
            file = files.resolve(v.trim());
        } catch (java.nio.file.InvalidPathException e) {
            diagnostics.add(s.valuePosition(key).error("'" + v + "' is not a valid file path"));
            return null;
        }
        String problem = files.problem(file);
        if (problem != null) {
            diagnostics.add(s.valuePosition(key).error(problem));
            return null;
        }
        return file;
    }

    private String readText(Path file, Position at) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            diagnostics.add(at.error("file is not UTF-8 text: " + files.display(file)));
        } catch (IOException e) {
            diagnostics.add(at.error("cannot read " + files.display(file) + ": " + e.getMessage()));
        }
        return null;
    }

    /**
     * Replaces {@code ${env:NAME}} and {@code ${file:PATH}} in a value; {@code $${} is a literal
     * {@code ${}. Returns null when a substitution fails (reported at the reference).
     */
    String substitute(YamlNode.Scalar sc, boolean secret) {
        String v = sc.value();
        if (v == null || !v.contains("${")) {
            return v;
        }
        StringBuilder out = new StringBuilder();
        boolean ok = true;
        int i = 0;
        while (i < v.length()) {
            int start = v.indexOf("${", i);
            if (start < 0) {
                out.append(v, i, v.length());
                break;
            }
            if (start > 0 && v.charAt(start - 1) == '$') {
                out.append(v, i, start - 1).append("${");
                i = start + 2;
                continue;
            }
            out.append(v, i, start);
            Position at = positionIn(sc, start);
            int end = v.indexOf('}', start);
            if (end < 0) {
                diagnostics.add(at.error("unterminated '${' (expected ${env:NAME} or ${file:PATH})"));
                return null;
            }
            String ref = v.substring(start + 2, end);
            if (ref.startsWith("env:") && ref.length() > 4) {
                String name = ref.substring(4);
                String value = env.get(name);
                if (value == null) {
                    diagnostics.add(at.error("environment variable '" + name + "' is not set"));
                    ok = false;
                } else {
                    out.append(value);
                }
            } else if (ref.startsWith("file:") && ref.length() > 5) {
                String given = ref.substring(5);
                Path file;
                try {
                    file = files.resolve(given);
                } catch (java.nio.file.InvalidPathException e) {
                    diagnostics.add(at.error("'" + given + "' is not a valid file path"));
                    ok = false;
                    i = end + 1;
                    continue;
                }
                String problem = files.problem(file);
                String text = problem == null ? readText(file, at) : null;
                if (problem != null) {
                    diagnostics.add(at.error(problem));
                }
                if (text == null) {
                    ok = false;
                } else {
                    int n = text.length();
                    while (n > 0 && (text.charAt(n - 1) == '\n' || text.charAt(n - 1) == '\r')) {
                        n--;
                    }
                    out.append(text, 0, n);
                }
            } else {
                diagnostics.add(at.error("unknown substitution '${" + ref + "}' (expected ${env:NAME} or ${file:PATH})"));
                ok = false;
            }
            i = end + 1;
        }
        return ok ? out.toString() : null;
    }

    private static Position positionIn(YamlNode.Scalar sc, int offset) {
        Position p = sc.position();
        if (sc.plainSingleLine()) {
            return new Position(p.file(), p.line(), p.column() + offset);
        }
        if (sc.quoted() && sc.endLine() == p.line()) {
            return new Position(p.file(), p.line(), p.column() + 1 + offset);
        }
        return p;
    }

    private static String named(String id) {
        return id == null ? "" : " '" + id + "'";
    }
}
