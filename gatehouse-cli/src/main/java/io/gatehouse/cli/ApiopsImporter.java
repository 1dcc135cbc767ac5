package io.gatehouse.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gatehouse.policy.spi.PolicyRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads the artifact folder the APIOps extractor writes (https://github.com/Azure/apiops: one
 * folder per resource, each with an {@code *Information.json} holding the ARM resource's
 * {@code properties}, plus {@code policy.xml} and API specifications) and writes a Gatehouse
 * config with the same APIs, operations' policies, products, subscriptions, named values,
 * backends and fragments.
 *
 * <p>Every file of the folder is accounted for: carried over, or listed (in the report on
 * standard error and in the comment block at the top of the config) with the reason it was not.
 * Secrets never appear in an export; each becomes an {@code ${env:NAME}} reference that is listed
 * as a variable to set. Policy documents and specifications are copied into a folder next to the
 * config (default {@value #DEFAULT_FILES}), so the config does not depend on the export staying
 * where it is.
 */
final class ApiopsImporter {
    static final String DEFAULT_FILES = "apim";

    /** An export that cannot be read: a message naming the file (and line:col where known). */
    static final class ImportException extends Exception {
        ImportException(String message) {
            super(message);
        }
    }

    /** What was written and what the user still has to do. */
    record Result(Path output, Map<String, String> envVars, List<String> toCheck, List<String> notCarried,
                  Map<String, Integer> counts) {
        String report() {
            StringBuilder b = new StringBuilder();
            b.append("gatehouse import: wrote ").append(output);
            List<String> parts = new ArrayList<>();
            counts.forEach((k, v) -> parts.add(v + " " + k));
            b.append(" (").append(String.join(", ", parts)).append(")\n");
            for (String line : todoLines(this)) {
                b.append(line).append('\n');
            }
            return b.toString();
        }
    }

    /** The report's lines, shared by standard error and the config's comment block. */
    static List<String> todoLines(Result r) {
        List<String> out = new ArrayList<>();
        if (!r.envVars().isEmpty()) {
            out.add("Environment variables to set before `gatehouse validate` or `gatehouse run`"
                    + " (exports never hold secrets):");
            r.envVars().forEach((name, what) -> out.add("  " + name + ": " + what));
        }
        if (!r.toCheck().isEmpty()) {
            out.add("Carried over, to check:");
            r.toCheck().forEach(n -> out.add("  - " + n));
        }
        if (!r.notCarried().isEmpty()) {
            out.add("Not carried over (" + r.notCarried().size() + "):");
            r.notCarried().forEach(n -> out.add("  - " + n));
        } else {
            out.add("Everything in the export was carried over.");
        }
        return out;
    }

    /** APIM policies that need an Azure service (Gatehouse refuses them unless gateway.unsupportedPolicies is skip). */
    private static final Set<String> AZURE_ONLY = Set.of("log-to-eventhub", "send-service-bus-message",
            "get-authorization-context", "llm-content-safety", "cosmosdb-data-source");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern ELEMENT = Pattern.compile("<([A-Za-z][A-Za-z0-9._-]*)[\\s/>]");
    private static final Pattern BACKEND_ID = Pattern.compile("<set-backend-service\\b[^>]*\\bbackend-id\\s*=\\s*[\"']([^\"']+)[\"']");
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ObjectMapper YAML = new YAMLMapper();

    private final Path root;
    private final Path output;
    private final Path outDir;
    private final String filesDir;
    private final int port;
    private final boolean force;

    private final Map<String, String> envVars = new LinkedHashMap<>();
    private final List<String> notCarried = new ArrayList<>();
    private final List<String> toCheck = new ArrayList<>();
    private final Set<Path> handled = new LinkedHashSet<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private final Map<String, Set<String>> azureOnlyUses = new LinkedHashMap<>();
    private final Set<String> apiIds = new TreeSet<>();
    private final Set<String> productIds = new TreeSet<>();
    private final Set<String> backendIds = new TreeSet<>();
    private final Map<String, String> apiPaths = new LinkedHashMap<>();
    private final PolicyRegistry registry = PolicyRegistry.builtIn();

    private final StringBuilder namedValues = new StringBuilder();
    private final StringBuilder fragments = new StringBuilder();
    private final StringBuilder backends = new StringBuilder();
    private final StringBuilder certificates = new StringBuilder();
    private final StringBuilder apis = new StringBuilder();
    private final StringBuilder products = new StringBuilder();
    private final StringBuilder subscriptions = new StringBuilder();
    private String globalPolicy;

    ApiopsImporter(Path root, Path output, String filesDir, int port, boolean force) {
        this.root = root;
        this.output = output;
        Path parent = output.toAbsolutePath().getParent();
        this.outDir = parent;
        this.filesDir = filesDir;
        this.port = port;
        this.force = force;
    }

    /** Where the export came from, for the config's first line (an ARM template converts to a folder first). */
    private String source;
    private String command = "gatehouse import apiops";
    /** For a converted export: the resource each file stands for, shown instead of the file. */
    private Map<Path, String> origins = Map.of();

    /** An export converted from another form: its files are named by {@code origins}, and {@code notes} are what the conversion left out. */
    ApiopsImporter convertedFrom(String source, String command, Map<Path, String> origins, List<String> notes) {
        this.source = source;
        this.command = command;
        this.origins = origins;
        this.notCarried.addAll(notes);
        return this;
    }

    Result run() throws ImportException {
        if (!Files.isDirectory(root)) {
            throw new ImportException(root + ": not a folder (give the folder the APIOps extractor wrote)");
        }
        Path files = outDir.resolve(filesDir).normalize();
        if (!force && Files.exists(output)) {
            throw new ImportException(output + " exists; use --force to overwrite it");
        }
        if (!force && Files.exists(files)) {
            throw new ImportException(files + " exists; use --force to overwrite the copied files");
        }
        if (files.toAbsolutePath().normalize().startsWith(root.toAbsolutePath().normalize())) {
            throw new ImportException(files + ": the copied files would go inside the export; write the config elsewhere");
        }
        boolean filesExisted = Files.exists(files);
        try {
            Files.createDirectories(outDir);
            if (Files.exists(root.resolve("policy.xml"))) {
                globalPolicy = copyPolicy(root.resolve("policy.xml"), "policy.xml", "global policy");
            }
            readNamedValues();
            readFragments();
            readBackends();
            readApis();
            readProducts();
            readSubscriptions();
            listTheRest();
            Result result = new Result(output, envVars, toCheck, notCarried, counts);
            Files.writeString(output, render(result), StandardCharsets.UTF_8);
            return result;
        } catch (IOException | UncheckedIOException e) {
            removeCopies(files, filesExisted);
            throw new ImportException("cannot write the config: " + e.getMessage());
        } catch (ImportException e) {
            removeCopies(files, filesExisted);
            throw e;
        }
    }

    /** After a failure, the files folder this run made is removed: nothing half-written is left. */
    private static void removeCopies(Path files, boolean existed) {
        if (!existed) {
            deleteTree(files);
        }
    }

    /** Deletes {@code dir} and everything in it, as far as it can: the error being reported (or the result) matters more. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: the error being reported matters more
        }
    }

    // ---- named values

    private void readNamedValues() throws ImportException, IOException {
        for (Path dir : children(collection("named values", "namedValues"))) {
            Path info = dir.resolve("namedValueInformation.json");
            if (!Files.exists(info)) {
                continue;
            }
            JsonNode p = properties(info);
            handled.add(info);
            String folder = dir.getFileName().toString();
            // policies refer to a named value by its display name ({{displayName}})
            String name = text(p, "displayName", info);
            if (name == null) {
                name = folder;
            }
            if (p.path("tags").isArray() && !p.path("tags").isEmpty()) {
                notCarried.add(rel(info) + ": named value '" + name + "': tags");
            }
            if (!ID.matcher(name).matches()) {
                notCarried.add(rel(info) + ": named value '" + name + "': the name is not a Gatehouse id ([A-Za-z0-9._-]+)");
                continue;
            }
            StringBuilder b = namedValues;
            b.append("  - name: ").append(q(name)).append('\n');
            JsonNode kv = p.get("keyVault");
            if (kv != null && kv.isObject() && text(kv, "secretIdentifier", info) != null) {
                b.append("    keyVault:\n");
                b.append("      secretIdentifier: ").append(q(text(kv, "secretIdentifier", info))).append('\n');
                String client = text(kv, "identityClientId", info);
                if (client != null) {
                    b.append("      identityClientId: ").append(q(client)).append('\n');
                }
                toCheck.add(rel(info) + ": named value '" + name + "' is a Key Vault reference, written as keyVault:"
                        + " the gateway's identity needs read access to the secret (Key Vault Secrets User), and"
                        + " validate reads it");
            } else if (p.path("secret").asBoolean(false)) {
                String env = env("APIM_NAMED_VALUE_" + name);
                envVars.put(env, "secret named value '" + name + "'");
                b.append("    value: ").append(q("${env:" + env + "}")).append("   # secret in APIM: the export holds no value\n");
                b.append("    secret: true\n");
            } else {
                String value = text(p, "value", info);
                b.append("    value: ").append(q(literal(value == null ? "" : value))).append('\n');
            }
            count("named values");
        }
    }

    // ---- fragments

    private void readFragments() throws ImportException, IOException {
        for (Path dir : children(collection("policy fragments", "policyFragments"))) {
            String id = dir.getFileName().toString();
            Path info = dir.resolve("policyFragmentInformation.json");
            Path policy = dir.resolve("policy.xml");
            JsonNode p = Files.exists(info) ? properties(info) : null;
            if (p != null) {
                handled.add(info);
            }
            if (!Files.exists(policy)) {
                notCarried.add(rel(dir) + ": fragment '" + id + "' has no policy.xml");
                continue;
            }
            if (!ID.matcher(id).matches()) {
                notCarried.add(rel(dir) + ": fragment '" + id + "': the name is not a Gatehouse id");
                continue;
            }
            String file = copyPolicy(policy, "fragments/" + id + ".xml", "fragment " + id);
            comment(fragments, "  ", p == null ? null : text(p, "description", info));
            fragments.append("  - id: ").append(q(id)).append('\n');
            fragments.append("    file: ").append(q(file)).append('\n');
            count("fragments");
        }
    }

    // ---- backends

    private void readBackends() throws ImportException, IOException {
        for (Path dir : children(collection("backends"))) {
            Path info = dir.resolve("backendInformation.json");
            if (!Files.exists(info)) {
                continue;
            }
            String id = dir.getFileName().toString();
            JsonNode p = properties(info);
            handled.add(info);
            String url = text(p, "url", info);
            String type = text(p, "type", info);
            if (type != null && type.equalsIgnoreCase("pool")) {
                notCarried.add(rel(info) + ": backend '" + id + "' is a load-balanced pool (type Pool): Gatehouse backends are single URLs");
                continue;
            }
            if (p.has("properties") && p.get("properties").has("serviceFabricCluster")) {
                notCarried.add(rel(info) + ": backend '" + id + "' is a Service Fabric cluster");
                continue;
            }
            if (url == null || !(url.startsWith("http://") || url.startsWith("https://")) || url.contains("?")
                    || url.contains("#") || url.contains("@")) {
                // the URL is shown without its user info: it may hold a password
                notCarried.add(rel(info) + ": backend '" + id + "': url " + (url == null ? "missing"
                        : "'" + url.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", "$1****@") + "'")
                        + " is not an http(s) URL without query, fragment or user info");
                continue;
            }
            if (!ID.matcher(id).matches()) {
                notCarried.add(rel(info) + ": backend '" + id + "': the name is not a Gatehouse id");
                continue;
            }
            comment(backends, "  ", text(p, "description", info));
            backends.append("  - id: ").append(q(id)).append('\n');
            backends.append("    url: ").append(q(url)).append('\n');
            JsonNode tls = p.path("tls");
            if (tls.isObject() && (tls.has("validateCertificateChain") || tls.has("validateCertificateName"))) {
                backends.append("    tls:\n");
                if (tls.has("validateCertificateChain")) {
                    backends.append("      validateCertificateChain: ").append(tls.get("validateCertificateChain").asBoolean(true)).append('\n');
                }
                if (tls.has("validateCertificateName")) {
                    backends.append("      validateCertificateName: ").append(tls.get("validateCertificateName").asBoolean(true)).append('\n');
                }
            }
            JsonNode creds = p.path("credentials");
            List<String> certIds = new ArrayList<>();
            for (JsonNode ref : creds.path("certificateIds")) {
                String name = ref.asText();
                certIds.add(name.substring(name.lastIndexOf('/') + 1));
            }
            int n = 0;
            List<String> thumbprints = new ArrayList<>();
            for (JsonNode t : creds.path("certificate")) {
                thumbprints.add(t.asText());
            }
            if (certIds.isEmpty()) {
                for (String ignored : thumbprints) {
                    certIds.add(id + "-client-" + ++n);
                }
            }
            if (!certIds.isEmpty()) {
                backends.append("    credentials:\n      certificateIds:\n");
                for (int i = 0; i < certIds.size(); i++) {
                    String cert = certIds.get(i);
                    backends.append("        - ").append(q(cert)).append('\n');
                    String thumb = i < thumbprints.size() ? thumbprints.get(i) : null;
                    addCertificate(cert, id, thumb);
                }
            }
            for (String k : List.of("header", "query")) {
                if (creds.path(k).isObject() && !creds.path(k).isEmpty()) {
                    notCarried.add(rel(info) + ": backend '" + id + "': credentials." + k + " (" + String.join(", ", names(creds.path(k)))
                            + ") is not a backend setting in Gatehouse: add a set-" + (k.equals("header") ? "header" : "query-parameter")
                            + " policy with a secret named value");
                }
            }
            if (creds.path("authorization").isObject() && !creds.path("authorization").isEmpty()) {
                notCarried.add(rel(info) + ": backend '" + id + "': credentials.authorization (scheme "
                        + creds.path("authorization").path("scheme").asText("?")
                        + ") is not a backend setting in Gatehouse: add a set-header Authorization policy with a secret named value");
            }
            for (String k : List.of("proxy", "circuitBreaker")) {
                if (p.path(k).isObject() && !p.path(k).isEmpty()) {
                    notCarried.add(rel(info) + ": backend '" + id + "': " + k + " is not carried over");
                }
            }
            backendIds.add(id);
            count("backends");
        }
    }

    private final Set<String> certificatesWritten = new LinkedHashSet<>();

    private void addCertificate(String cert, String backend, String thumbprint) {
        if (!certificatesWritten.add(cert)) {
            return;
        }
        String pfx = env("APIM_CERTIFICATE_" + cert + "_PFX");
        String password = env("APIM_CERTIFICATE_" + cert + "_PASSWORD");
        envVars.put(pfx, "path of the PFX file of certificate '" + cert + "' (backend '" + backend + "'"
                + (thumbprint == null ? "" : ", thumbprint " + thumbprint) + "): APIM certificates are not in the export");
        envVars.put(password, "password of that PFX file (empty when it has none)");
        certificates.append("  - id: ").append(q(cert));
        if (thumbprint != null) {
            certificates.append("   # APIM's thumbprint: ").append(oneLine(thumbprint));
        }
        certificates.append('\n');
        certificates.append("    pfx: ").append(q("${env:" + pfx + "}")).append('\n');
        certificates.append("    password: ").append(q("${env:" + password + "}")).append('\n');
    }

    // ---- APIs

    private void readApis() throws ImportException, IOException {
        Path versionSets = collection("version sets", "versionSets", "apiVersionSets");
        for (Path dir : children(collection("apis"))) {
            String id = dir.getFileName().toString();
            Path info = dir.resolve("apiInformation.json");
            if (!Files.exists(info)) {
                continue;
            }
            JsonNode p = properties(info);
            handled.add(info);
            if (id.contains(";rev=") || p.path("isCurrent").asBoolean(true) == false) {
                notCarried.add(rel(dir) + ": API revision '" + id + "' is not the current revision: revisions are not carried over");
                handled.addAll(filesUnder(dir));
                continue;
            }
            String type = text(p, "type", info);
            if (type == null) {
                type = text(p, "apiType", info);
            }
            type = type == null ? "http" : type.toLowerCase(Locale.ROOT);
            if (!type.equals("http") && !type.equals("graphql")) {
                notCarried.add(rel(dir) + ": API '" + id + "' is of type " + type + " (" + (type.equals("soap")
                        ? "SOAP/WSDL" : type) + "): only http and graphql APIs are carried over");
                handled.addAll(filesUnder(dir));
                continue;
            }
            if (!ID.matcher(id).matches()) {
                notCarried.add(rel(dir) + ": API '" + id + "': the name is not a Gatehouse id");
                handled.addAll(filesUnder(dir));
                continue;
            }
            String path = text(p, "path", info);
            path = path == null ? "" : path;
            String apiVersion = text(p, "apiVersion", info);
            String versionSetId = text(p, "apiVersionSetId", info);
            if (versionSetId != null) {
                String set = versionSetId.substring(versionSetId.lastIndexOf('/') + 1);
                String scheme = versionScheme(versionSets, set);
                if ("segment".equalsIgnoreCase(scheme) && apiVersion != null && !apiVersion.isEmpty()
                        && !path.endsWith("/" + apiVersion)) {
                    path = path.isEmpty() ? apiVersion : path + "/" + apiVersion;
                } else if (!"segment".equalsIgnoreCase(scheme)) {
                    notCarried.add(rel(info) + ": API '" + id + "' is version " + apiVersion + " of version set '" + set
                            + "' (scheme " + (scheme == null ? "unknown" : scheme) + "): Gatehouse chooses APIs by path only;"
                            + " this version is served at '" + path + "' without the version "
                            + (scheme == null ? "" : scheme.toLowerCase(Locale.ROOT)));
                }
            }
            String trimmed = trimSlashes(path);
            String clash = apiPaths.get(trimmed);
            if (clash != null) {
                notCarried.add(rel(info) + ": API '" + id + "' has the same path '" + trimmed + "' as API '" + clash + "'");
                handled.addAll(filesUnder(dir));
                continue;
            }
            apiPaths.put(trimmed, id);
            apiIds.add(id);

            StringBuilder b = apis;
            String title = text(p, "displayName", info);
            String description = text(p, "description", info);
            comment(b, "  ", title == null ? null : title + (description == null ? "" : ": " + description));
            b.append("  - id: ").append(q(id)).append('\n');
            b.append("    path: ").append(q(trimmed)).append('\n');
            String serviceUrl = text(p, "serviceUrl", info);

            Path spec = null;
            for (String name : List.of("specification.yaml", "specification.yml", "specification.json")) {
                if (Files.exists(dir.resolve(name))) {
                    spec = dir.resolve(name);
                    break;
                }
            }
            Set<String> operationIds = null;
            if (type.equals("http") && spec != null) {
                operationIds = operationIds(spec);
                String file = copy(spec, "apis/" + id + "/" + spec.getFileName());
                b.append("    openApi: ").append(q(file)).append('\n');
            }
            if (type.equals("graphql")) {
                Path schema = dir.resolve("specification.graphql");
                if (Files.exists(schema)) {
                    String file = copy(schema, "apis/" + id + "/specification.graphql");
                    b.append("    graphql:\n      schema: ").append(q(file)).append('\n');
                }
                Path resolvers = dir.resolve("resolvers");
                if (Files.isDirectory(resolvers)) {
                    notCarried.add(rel(resolvers) + ": GraphQL resolvers (synthetic GraphQL) are not carried over:"
                            + " API '" + id + "' passes requests through to its service URL");
                    handled.addAll(filesUnder(resolvers));
                }
            }
            for (String other : List.of("specification.wsdl", "specification.wadl")) {
                if (Files.exists(dir.resolve(other))) {
                    notCarried.add(rel(dir.resolve(other)) + ": " + other.substring(other.indexOf('.') + 1).toUpperCase(Locale.ROOT)
                            + " specifications are not read: API '" + id + "' routes every path under its own");
                    handled.add(dir.resolve(other));
                }
            }
            Path policy = dir.resolve("policy.xml");
            String policyBackend = Files.exists(policy) ? backendIdIn(policy) : null;
            if (serviceUrl != null && !serviceUrl.isEmpty()) {
                b.append("    serviceUrl: ").append(q(serviceUrl)).append('\n');
            } else if (policyBackend != null && backendIds.contains(policyBackend)) {
                // APIM lets an API without a service URL get its backend from set-backend-service
                b.append("    backendId: ").append(q(policyBackend)).append("   # the backend its policy sets\n");
            } else {
                // not the specification's server: in an APIM export that is APIM's own gateway URL
                String env = env("APIM_API_" + id + "_SERVICE_URL");
                envVars.put(env, "service URL of API '" + id + "' (none in the export: in APIM its policies set the backend;"
                        + " the specification's server is APIM's own address)");
                b.append("    serviceUrl: ").append(q("${env:" + env + "}")).append('\n');
            }
            // APIM's default is true; Gatehouse's is false, so it is always written
            b.append("    subscriptionRequired: ").append(p.path("subscriptionRequired").asBoolean(true)).append('\n');
            JsonNode keys = p.path("subscriptionKeyParameterNames");
            if (keys.isObject() && (keys.has("header") || keys.has("query"))) {
                b.append("    subscriptionKeyParameterNames:\n");
                if (keys.has("header")) {
                    b.append("      header: ").append(q(keys.get("header").asText())).append('\n');
                }
                if (keys.has("query")) {
                    b.append("      query: ").append(q(keys.get("query").asText())).append('\n');
                }
            }
            for (String k : List.of("contact", "license", "termsOfServiceUrl")) {
                if (p.hasNonNull(k) && !(p.get(k).isContainerNode() && p.get(k).isEmpty())) {
                    notCarried.add(rel(info) + ": API '" + id + "': " + k + " (developer portal information)");
                }
            }
            JsonNode auth = p.path("authenticationSettings");
            if (auth.isObject()) {
                for (String k : List.of("oAuth2", "openid", "oAuth2AuthenticationSettings", "openidAuthenticationSettings")) {
                    JsonNode v = auth.path(k);
                    if ((v.isObject() || v.isArray()) && !v.isEmpty()) {
                        notCarried.add(rel(info) + ": API '" + id + "': authenticationSettings." + k
                                + " (developer portal authorization server) is not carried over: validate tokens with validate-jwt");
                    }
                }
            }
            if (p.path("protocols").isArray() && p.path("protocols").size() > 0) {
                List<String> protocols = new ArrayList<>();
                p.path("protocols").forEach(x -> protocols.add(x.asText()));
                if (protocols.stream().noneMatch(x -> x.equalsIgnoreCase("http"))) {
                    b.append("    # APIM protocols: ").append(String.join(", ", protocols))
                            .append(" (serve it on a TLS listener with a hostname)\n");
                }
            }
            if (Files.exists(policy)) {
                b.append("    policy: ").append(q(copyPolicy(policy, "apis/" + id + "/policy.xml", "API " + id))).append('\n');
            }
            readOperations(dir, id, spec != null && type.equals("http"), operationIds);
            count("APIs");
        }
    }

    private void readOperations(Path apiDir, String apiId, boolean hasSpec, Set<String> operationIds) throws ImportException, IOException {
        List<String> lines = new ArrayList<>();
        boolean declared = false;
        for (Path op : children(apiDir.resolve("operations"))) {
            String name = op.getFileName().toString();
            Path policy = op.resolve("policy.xml");
            // an ARM template's operations carry their method and URL template (APIOps keeps them in the specification)
            Path info = op.resolve("operationInformation.json");
            JsonNode opInfo = !hasSpec && Files.exists(info) ? properties(info) : null;
            if (Files.exists(info)) {
                handled.add(info); // with a specification, the specification defines the operation
            }
            if (!Files.exists(policy) && opInfo == null) {
                continue;
            }
            if (!ID.matcher(name).matches()) {
                notCarried.add(rel(op) + ": operation '" + name + "': the name is not a Gatehouse id");
                handled.addAll(filesUnder(op));
                continue;
            }
            String method = null;
            String template = null;
            if (!hasSpec) {
                method = opInfo == null ? null : text(opInfo, "method", info);
                template = opInfo == null ? null : text(opInfo, "urlTemplate", info);
                if (method == null || template == null) {
                    notCarried.add(rel(policy) + ": operation '" + name + "' of API '" + apiId
                            + "': without an OpenAPI specification its method and URL template are not in the export");
                    handled.add(policy);
                    continue;
                }
                int query = template.indexOf('?');
                if (query >= 0) {
                    notCarried.add(rel(info) + ": operation '" + name + "' of API '" + apiId + "': the query part of its URL template ("
                            + template.substring(query) + ") is not matched: Gatehouse matches the path");
                    template = template.substring(0, query);
                }
            } else if (operationIds != null && !operationIds.contains(name)) {
                notCarried.add(rel(policy) + ": operation '" + name + "' of API '" + apiId
                        + "': the specification has no operationId '" + name + "' (APIM names an imported operation after it)");
                handled.add(policy);
                continue;
            }
            StringBuilder line = new StringBuilder("      - id: ").append(q(name)).append('\n');
            if (method != null) {
                declared = true;
                line.append("        method: ").append(q(method)).append('\n');
                line.append("        urlTemplate: ").append(q(template)).append('\n');
            }
            if (Files.exists(policy)) {
                String file = copyPolicy(policy, "apis/" + apiId + "/operations/" + name + "/policy.xml",
                        "operation " + apiId + "/" + name);
                line.append("        policy: ").append(q(file)).append('\n');
                count("operation policies");
            }
            lines.add(line.toString());
        }
        if (!lines.isEmpty()) {
            apis.append(declared ? "    operations:   # only these operations are routed, as in APIM\n"
                    : "    operations:   # policies of the specification's operations, by operationId\n");
            lines.forEach(apis::append);
        }
    }

    /** The operationIds of an OpenAPI or Swagger document, or null when it cannot be read (the gateway reports it). */
    private Set<String> operationIds(Path spec) throws ImportException {
        JsonNode doc;
        try {
            doc = (spec.toString().endsWith(".json") ? JSON : YAML).readTree(spec.toFile());
        } catch (JsonProcessingException e) {
            throw new ImportException(located(spec, e, "not a valid " + (spec.toString().endsWith(".json") ? "JSON" : "YAML") + " document"));
        } catch (IOException e) {
            throw new ImportException(rel(spec) + ": cannot read: " + e.getMessage());
        }
        Set<String> ids = new TreeSet<>();
        if (doc == null) {
            return ids;
        }
        doc.path("paths").forEach(item -> item.properties().forEach(e -> {
            if (e.getValue().isObject() && e.getValue().has("operationId")) {
                ids.add(e.getValue().get("operationId").asText());
            }
        }));
        return ids;
    }

    private String versionScheme(Path versionSets, String set) throws ImportException {
        if (versionSets == null) {
            return null;
        }
        Path info = versionSets.resolve(set).resolve("versionSetInformation.json");
        if (!Files.exists(info)) {
            return null;
        }
        return text(properties(info), "versioningScheme", info);
    }

    // ---- products

    private void readProducts() throws ImportException, IOException {
        for (Path dir : children(collection("products"))) {
            String id = dir.getFileName().toString();
            Path info = dir.resolve("productInformation.json");
            if (!Files.exists(info)) {
                continue;
            }
            JsonNode p = properties(info);
            handled.add(info);
            if (!ID.matcher(id).matches()) {
                notCarried.add(rel(info) + ": product '" + id + "': the name is not a Gatehouse id");
                continue;
            }
            productIds.add(id);
            List<String> productApis = new ArrayList<>();
            Path apisDir = dir.resolve("apis");
            for (Path a : children(apisDir)) {
                productApis.add(a.getFileName().toString());
                handled.addAll(filesUnder(a));
            }
            Path apisJson = dir.resolve("apis.json"); // the older extractor's list: [{"name": "..."}]
            if (Files.exists(apisJson)) {
                JsonNode list = readJson(apisJson);
                handled.add(apisJson);
                for (JsonNode a : list) {
                    String n = a.isTextual() ? a.asText() : a.path("name").asText(null);
                    if (n != null && !productApis.contains(n)) {
                        productApis.add(n);
                    }
                }
            }
            StringBuilder b = products;
            b.append("  - id: ").append(q(id)).append('\n');
            String name = text(p, "displayName", info);
            if (name != null) {
                b.append("    name: ").append(q(name)).append('\n');
            }
            String description = text(p, "description", info);
            if (description != null) {
                b.append("    description: ").append(q(literal(description))).append('\n');
            }
            List<String> kept = new ArrayList<>();
            for (String a : productApis) {
                if (apiIds.contains(a)) {
                    kept.add(a);
                } else {
                    notCarried.add(rel(dir) + ": product '" + id + "' includes API '" + a + "', which was not carried over");
                }
            }
            b.append("    apis:");
            if (kept.isEmpty()) {
                b.append(" []\n");
            } else {
                b.append('\n');
                kept.forEach(a -> b.append("      - ").append(q(a)).append('\n'));
            }
            b.append("    subscriptionRequired: ").append(p.path("subscriptionRequired").asBoolean(true)).append('\n');
            if (p.has("approvalRequired")) {
                b.append("    approvalRequired: ").append(p.path("approvalRequired").asBoolean(false)).append('\n');
            }
            String state = text(p, "state", info);
            if (state != null) {
                b.append("    state: ").append(q(state)).append('\n');
            }
            Path policy = dir.resolve("policy.xml");
            if (Files.exists(policy)) {
                b.append("    policy: ").append(q(copyPolicy(policy, "products/" + id + "/policy.xml", "product " + id))).append('\n');
            }
            if (p.has("subscriptionsLimit") && !p.get("subscriptionsLimit").isNull()) {
                notCarried.add(rel(info) + ": product '" + id + "': subscriptionsLimit (" + p.get("subscriptionsLimit").asText()
                        + ") is a developer portal setting");
            }
            if (p.has("terms") && !p.get("terms").asText("").isEmpty()) {
                notCarried.add(rel(info) + ": product '" + id + "': terms (developer portal text)");
            }
            count("products");
        }
    }

    // ---- subscriptions

    private void readSubscriptions() throws ImportException, IOException {
        for (Path dir : children(collection("subscriptions"))) {
            String id = dir.getFileName().toString();
            Path info = dir.resolve("subscriptionInformation.json");
            if (!Files.exists(info)) {
                continue;
            }
            JsonNode p = properties(info);
            handled.add(info);
            if (!ID.matcher(id).matches()) {
                notCarried.add(rel(info) + ": subscription '" + id + "': the name is not a Gatehouse id");
                continue;
            }
            String scope = text(p, "scope", info);
            String written = scope(scope);
            if (written == null) {
                notCarried.add(rel(info) + ": subscription '" + id + "': scope '" + scope + "' is not /apis, /apis/{id} or /products/{id}");
                continue;
            }
            if (written.startsWith("/apis/") && !apiIds.contains(written.substring(6))) {
                notCarried.add(rel(info) + ": subscription '" + id + "' is for API '" + written.substring(6) + "', which was not carried over");
                continue;
            }
            if (written.startsWith("/products/") && !productIds.contains(written.substring(10))) {
                notCarried.add(rel(info) + ": subscription '" + id + "' is for product '" + written.substring(10) + "', which was not carried over");
                continue;
            }
            StringBuilder b = subscriptions;
            b.append("  - id: ").append(q(id)).append('\n');
            String name = text(p, "displayName", info);
            if (name != null) {
                b.append("    name: ").append(q(name)).append('\n');
            }
            b.append("    scope: ").append(q(written)).append('\n');
            String primary = env("APIM_SUBSCRIPTION_" + id + "_PRIMARY_KEY");
            String secondary = env("APIM_SUBSCRIPTION_" + id + "_SECONDARY_KEY");
            envVars.put(primary, "primary key of subscription '" + id + "' (copy it from APIM, or issue a new one)");
            envVars.put(secondary, "secondary key of subscription '" + id + "'");
            b.append("    primaryKey: ").append(q("${env:" + primary + "}")).append("   # keys are never in an export\n");
            b.append("    secondaryKey: ").append(q("${env:" + secondary + "}")).append('\n');
            String state = text(p, "state", info);
            if (state != null) {
                b.append("    state: ").append(q(state)).append('\n');
            }
            if (p.has("allowTracing")) {
                b.append("    allowTracing: ").append(p.get("allowTracing").asBoolean(false)).append('\n');
            }
            String owner = text(p, "ownerId", info);
            if (owner != null && !owner.isEmpty()) {
                String ownerId = owner.substring(owner.lastIndexOf('/') + 1);
                b.append("    owner:   # APIM's user; the export has its id only\n      id: ").append(q(ownerId)).append('\n');
            }
            count("subscriptions");
        }
    }

    /** APIOps writes {@code /apis}, {@code /apis/X}, {@code /products/X}; an ARM export writes full resource ids. */
    static String scope(String scope) {
        if (scope == null) {
            return null;
        }
        String s = scope.replaceAll("/+$", "");
        int products = s.lastIndexOf("/products/");
        int apisAt = s.lastIndexOf("/apis/");
        if (products >= 0 && products > apisAt) {
            return "/products/" + s.substring(products + 10);
        }
        if (apisAt >= 0) {
            return "/apis/" + s.substring(apisAt + 6);
        }
        if (s.endsWith("/apis") || s.isEmpty() || s.matches("(?i).*/providers/Microsoft\\.ApiManagement/service/[^/]+")) {
            return "/apis";
        }
        return null;
    }

    // ---- everything else

    private static final Map<String, String> OTHER = Map.ofEntries(
            Map.entry("loggers", "loggers (Application Insights, Event Hubs, Azure Monitor): Gatehouse writes an access log and OpenTelemetry spans instead"),
            Map.entry("diagnostics", "diagnostics settings: see the access log and telemetry settings"),
            Map.entry("gateways", "self-hosted gateway resources: the Gatehouse config is the gateway"),
            Map.entry("tags", "tags"),
            Map.entry("groups", "developer portal groups"),
            Map.entry("version sets", "version sets (versions served by path segment are carried in the API's path)"),
            Map.entry("versionSets", "version sets (versions served by path segment are carried in the API's path)"),
            Map.entry("apiVersionSets", "version sets (versions served by path segment are carried in the API's path)"),
            Map.entry("workspaces", "workspaces"),
            Map.entry("schemas", "global schemas"),
            Map.entry("identity providers", "developer portal identity providers"),
            Map.entry("authorization servers", "developer portal authorization servers"),
            Map.entry("openid connect providers", "developer portal OpenID Connect providers"));

    /** Lists every file not carried over, grouped by what it is. */
    private void listTheRest() throws IOException {
        Map<String, List<String>> rest = new LinkedHashMap<>();
        for (Path f : filesUnder(root)) {
            if (handled.contains(f)) {
                continue;
            }
            Path r = root.relativize(f);
            String top = r.getName(0).toString();
            if (!origins.isEmpty()) {
                rest.computeIfAbsent("not carried over", k -> new ArrayList<>()).add(rel(f));
                continue;
            }
            String why;
            List<String> parts = new ArrayList<>();
            r.forEach(x -> parts.add(x.toString()));
            String file = r.getFileName().toString();
            if (r.getNameCount() == 1) {
                why = "not an APIOps artifact Gatehouse reads";
            } else if (OTHER.containsKey(top)) {
                why = OTHER.get(top);
            } else if (parts.contains("diagnostics") || file.equals("diagnosticInformation.json")) {
                why = OTHER.get("diagnostics");
            } else if (parts.contains("tags") || file.equals("tags.json") || file.startsWith("tag")) {
                why = "tags";
            } else if (parts.contains("releases")) {
                why = "API releases";
            } else if (parts.contains("groups") || file.equals("groups.json")) {
                why = "developer portal groups";
            } else if (parts.contains("schemas")) {
                why = "API schemas (the specification is what Gatehouse reads)";
            } else if (parts.contains("wikis")) {
                why = "developer portal wikis";
            } else {
                why = "not an artifact the importer knows";
            }
            rest.computeIfAbsent(why, k -> new ArrayList<>()).add(r.toString());
        }
        rest.forEach((why, paths) -> notCarried.add(String.join(", ", paths) + ": " + why));
        if (!azureOnlyUses.isEmpty()) {
            azureOnlyUses.forEach((policy, where) -> notCarried.add(String.join(", ", where) + ": <" + policy + "> "
                    + (AZURE_ONLY.contains(policy) ? "needs an Azure service" : "is not in Gatehouse yet")
                    + "; gateway.unsupportedPolicies is skip, so it loads as a no-op with a warning"));
        }
    }

    // ---- writing

    private String render(Result r) {
        StringBuilder b = new StringBuilder();
        b.append("# Gatehouse config imported from ")
                .append(oneLine(source != null ? source : "the APIOps artifacts in " + root)).append('\n');
        b.append("# by `").append(command).append("`. Policy documents and specifications are copies in ")
                .append(filesDir).append("/.\n#\n");
        for (String line : todoLines(r)) {
            b.append("# ").append(line.replaceAll("[\\r\\n\\u0085\\u2028\\u2029]+", " ")).append('\n');
        }
        b.append("#\n# TLS: the listener below is plain HTTP; add hostnames and certificates (configuration.md).\n\n");
        b.append("gateway:\n  listeners:\n    - port: ").append(port).append("\n      tls: false\n");
        if (!azureOnlyUses.isEmpty()) {
            b.append("  # policies Gatehouse cannot run load as no-ops with a warning (listed above)\n");
            b.append("  unsupportedPolicies: skip\n");
        }
        if (globalPolicy != null) {
            b.append("\npolicies:\n  global: ").append(q(globalPolicy)).append('\n');
        }
        section(b, "namedValues", namedValues);
        section(b, "certificates", certificates);
        section(b, "fragments", fragments);
        section(b, "backends", backends);
        section(b, "apis", apis);
        section(b, "products", products);
        section(b, "subscriptions", subscriptions);
        return b.toString();
    }

    private static void section(StringBuilder b, String key, StringBuilder body) {
        if (!body.isEmpty()) {
            b.append('\n').append(key).append(":\n").append(body);
        }
    }

    private void count(String what) {
        counts.merge(what, 1, Integer::sum);
    }

    // ---- files

    private Path collection(String... names) {
        for (String n : names) {
            Path p = root.resolve(n);
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    private static List<Path> children(Path dir) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Copies a policy document and notes the policies in it Gatehouse cannot run; returns the path the config names. */
    private String copyPolicy(Path policy, String to, String what) throws ImportException, IOException {
        String written = copy(policy, to);
        for (String name : elementNames(policy)) {
            if (AZURE_ONLY.contains(name) || registry.isKnownButUnsupported(name)) {
                azureOnlyUses.computeIfAbsent(name, k -> new TreeSet<>()).add(rel(policy));
            }
        }
        return written;
    }

    private String copy(Path from, String to) throws IOException {
        Path target = outDir.resolve(filesDir).resolve(to).normalize();
        Files.createDirectories(target.getParent());
        Files.copy(from, target, StandardCopyOption.REPLACE_EXISTING);
        handled.add(from);
        return outDir.relativize(target).toString().replace('\\', '/');
    }

    /** The element names in a policy document; a document that is not well-formed is listed (the gateway reports where). */
    private Set<String> elementNames(Path policy) throws IOException {
        Set<String> names = new TreeSet<>();
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        try (var in = Files.newInputStream(policy)) {
            XMLStreamReader r = f.createXMLStreamReader(in);
            while (r.hasNext()) {
                if (r.next() == XMLStreamConstants.START_ELEMENT) {
                    names.add(r.getLocalName());
                }
            }
        } catch (XMLStreamException | IllegalArgumentException e) {
            // APIM's "rawxml" (unescaped <, && or " inside @(...)) is not well-formed XML, and the
            // gateway reads it: the element names are found in the text instead
            Matcher m = ELEMENT.matcher(Files.readString(policy));
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /** The backend-id of the first set-backend-service in a policy document, or null. */
    private static String backendIdIn(Path policy) throws IOException {
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        try (var in = Files.newInputStream(policy)) {
            XMLStreamReader r = f.createXMLStreamReader(in);
            while (r.hasNext()) {
                if (r.next() == XMLStreamConstants.START_ELEMENT && r.getLocalName().equals("set-backend-service")) {
                    String id = r.getAttributeValue(null, "backend-id");
                    if (id != null) {
                        return id;
                    }
                }
            }
        } catch (XMLStreamException e) {
            Matcher m = BACKEND_ID.matcher(Files.readString(policy)); // rawxml: see elementNames
            return m.find() ? m.group(1) : null;
        }
        return null;
    }

    private JsonNode readJson(Path file) throws ImportException {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null) {
                throw new ImportException(rel(file) + ": empty file, expected a JSON document");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new ImportException(located(file, e, "not valid JSON"));
        } catch (IOException e) {
            throw new ImportException(rel(file) + ": cannot read: " + e.getMessage());
        }
    }

    /** The resource's {@code properties} (APIOps writes {"properties": {...}}; a bare object is read as the properties). */
    private JsonNode properties(Path file) throws ImportException {
        JsonNode n = readJson(file);
        if (!n.isObject()) {
            throw new ImportException(rel(file) + ":1:1: expected a JSON object with \"properties\"");
        }
        JsonNode p = n.get("properties");
        if (p == null) {
            return n;
        }
        if (!p.isObject()) {
            throw new ImportException(rel(file) + ": \"properties\" should be an object");
        }
        return p;
    }

    private String text(JsonNode p, String key, Path file) throws ImportException {
        JsonNode v = p.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isValueNode() || v.isBinary()) {
            throw new ImportException(rel(file) + ": \"" + key + "\" should be a string, not " + v.getNodeType().toString().toLowerCase(Locale.ROOT));
        }
        return v.asText();
    }

    static String located(Path file, JsonProcessingException e, String what) {
        JsonLocation loc = e.getLocation();
        String where = loc == null || loc.getLineNr() < 1 ? "" : ":" + loc.getLineNr() + ":" + loc.getColumnNr();
        return file + where + ": " + what + ": " + e.getOriginalMessage();
    }

    private String rel(Path p) {
        for (Path at = p; at != null && !origins.isEmpty(); at = at.getParent()) {
            String origin = origins.get(at);
            if (origin != null) {
                return origin;
            }
        }
        try {
            return root.relativize(p).toString();
        } catch (IllegalArgumentException e) {
            return p.toString();
        }
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ---- YAML text

    /** An environment variable name: upper case, anything but letters and digits as '_'. */
    static String env(String name) {
        return name.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]+", "_");
    }

    /** A literal value: '${' would be read as a substitution, so it is written '$${'. */
    static String literal(String value) {
        return value.replace("${", "$${");
    }

    /** A double-quoted YAML scalar. */
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static void comment(StringBuilder b, String indent, String text) {
        if (text != null && !text.isBlank()) {
            b.append(indent).append("# ").append(oneLine(text)).append('\n');
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n\\u0085\\u2028\\u2029]+", " ").strip();
    }

    private static String trimSlashes(String path) {
        return path.replaceAll("^/+", "").replaceAll("/+$", "");
    }
}
