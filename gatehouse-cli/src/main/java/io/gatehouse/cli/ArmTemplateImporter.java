package io.gatehouse.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code gatehouse import arm TEMPLATE.json}: an ARM template export of an APIM service (the
 * portal's "Export template", or {@code az group export}) with its
 * {@code Microsoft.ApiManagement/service/*} resources. The resources are laid out as the APIOps
 * extractor lays them out, in a temporary folder, and {@link ApiopsImporter} writes the config, so
 * both imports carry over and list the same things. What an ARM export has and APIOps keeps
 * elsewhere: operations' methods and URL templates (written as hand-written {@code operations}
 * when the API has no inline specification).
 *
 * <p>Template expressions are resolved only where the export's shape is fixed: resource names
 * ({@code [concat(parameters('service'), '/echo-api')]}), {@code resourceId(...)} references in
 * scopes, owners and version sets, and a property that is exactly {@code [parameters('x')]} with a
 * default value. Any other expression is listed.
 */
final class ArmTemplateImporter {
    private static final String PREFIX = "Microsoft.ApiManagement/service";
    private static final Pattern LITERAL = Pattern.compile("'((?:[^']|'')*)'");
    private static final Pattern PARAMETER = Pattern.compile("\\[\\s*parameters\\(\\s*'((?:[^']|'')*)'\\s*\\)\\s*]");

    private static final Map<String, String> OTHER = Map.ofEntries(
            Map.entry("loggers", "loggers: Gatehouse writes an access log and OpenTelemetry spans instead"),
            Map.entry("diagnostics", "diagnostics settings: see the access log and telemetry settings"),
            Map.entry("apis/diagnostics", "diagnostics settings: see the access log and telemetry settings"),
            Map.entry("gateways", "self-hosted gateway resources: the Gatehouse config is the gateway"),
            Map.entry("certificates", "certificates: add them under certificates (file, PFX or Key Vault)"),
            Map.entry("users", "users"),
            Map.entry("groups", "developer portal groups"),
            Map.entry("tags", "tags"),
            Map.entry("apis/schemas", "API schemas: give the API an OpenAPI document with openApi"),
            Map.entry("apis/releases", "API releases"),
            Map.entry("apis/tags", "tags"),
            Map.entry("apis/operations/tags", "tags"),
            Map.entry("products/groups", "developer portal groups"),
            Map.entry("products/tags", "tags"));

    private final Path template;
    private final Path output;
    private final String filesDir;
    private final int port;
    private final boolean force;
    private final Map<Path, String> origins = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private JsonNode parameters;
    private Path root;

    ArmTemplateImporter(Path template, Path output, String filesDir, int port, boolean force) {
        this.template = template;
        this.output = output;
        this.filesDir = filesDir;
        this.port = port;
        this.force = force;
    }

    ApiopsImporter.Result run() throws ApiopsImporter.ImportException {
        JsonNode doc;
        try {
            doc = ApiopsImporter.JSON.readTree(template.toFile());
        } catch (JsonProcessingException e) {
            throw new ApiopsImporter.ImportException(ApiopsImporter.located(template, e, "not valid JSON"));
        } catch (IOException e) {
            throw new ApiopsImporter.ImportException(template + ": cannot read: " + e.getMessage());
        }
        if (doc == null || !doc.isObject() || !doc.path("resources").isArray()) {
            throw new ApiopsImporter.ImportException(template + ": not an ARM template (no \"resources\" list)");
        }
        parameters = doc.path("parameters");
        try {
            root = Files.createTempDirectory("gatehouse-arm-");
            try {
                int found = 0;
                for (JsonNode r : doc.get("resources")) {
                    found += resource(r, null, null);
                }
                if (found == 0) {
                    throw new ApiopsImporter.ImportException(template + ": no " + PREFIX + "/* resources in the template");
                }
                return new ApiopsImporter(root, output, filesDir, port, force)
                        .convertedFrom("the ARM template " + template, "gatehouse import arm", origins, notes).run();
            } finally {
                ApiopsImporter.deleteTree(root); // best effort: never in place of the result or the error
            }
        } catch (IOException e) {
            throw new ApiopsImporter.ImportException("cannot convert the template: " + e.getMessage());
        }
    }

    /** One resource (and the resources nested in it); returns how many APIM resources it held. */
    private int resource(JsonNode r, String parentType, List<String> parentName) throws IOException, ApiopsImporter.ImportException {
        String type = r.path("type").asText("");
        String rawName = r.path("name").asText("");
        List<String> name = segments(rawName);
        if (parentType != null && !type.startsWith("Microsoft.")) { // a nested resource: type and name relative to its parent
            type = parentType + "/" + type;
            List<String> full = new ArrayList<>(parentName);
            full.addAll(name);
            name = full;
        }
        if (!type.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            notes.add("resource " + type + " '" + rawName + "': not an API Management resource");
            return 0;
        }
        String kind = type.length() == PREFIX.length() ? "" : type.substring(PREFIX.length() + 1);
        int depth = kind.isEmpty() ? 1 : kind.split("/").length + 1;
        // the last depth names are service/child/...; a literal service name may come first
        List<String> n = name.size() >= depth ? name.subList(name.size() - depth, name.size()) : name;
        if (n.size() == depth - 1) { // the service's name was a parameter: the rest is the child's
            n = new ArrayList<>(n);
            n.add(0, "service");
        }
        String label = (kind.isEmpty() ? "service" : kind) + " '" + String.join("/", n.subList(Math.min(1, n.size()), n.size())) + "'";
        int count = 1;
        if (n.size() != depth) {
            notes.add(label + ": its name '" + rawName + "' could not be read");
        } else {
            place(kind, n.subList(1, n.size()), r.path("properties"), label);
        }
        for (JsonNode child : r.path("resources")) {
            count += resource(child, type, name);
        }
        return count;
    }

    private void place(String kind, List<String> n, JsonNode properties, String label) throws IOException {
        ObjectNode p = properties.isObject() ? ((ObjectNode) properties).deepCopy() : ApiopsImporter.JSON.createObjectNode();
        resolveParameters(p, label);
        switch (kind) {
            case "" -> notes.add("the service resource (SKU, custom hostnames, identity, network): add listeners and hostnames yourself");
            case "policies" -> policy(p, dir(label), "policy.xml", label);
            case "apis" -> {
                Path d = dir(label, "apis", n.get(0));
                JsonNode format = p.remove("format");
                JsonNode value = p.remove("value");
                if (format != null && value != null && value.isTextual()) {
                    String f = format.asText().toLowerCase(Locale.ROOT);
                    if (f.endsWith("-link")) {
                        notes.add(label + ": its specification is a link (" + f + "), not in the template: give the API openApi: FILE");
                    } else if (f.equals("openapi") || f.equals("openapi+json") || f.equals("swagger-json")) {
                        Files.writeString(d.resolve(f.equals("openapi") ? "specification.yaml" : "specification.json"),
                                value.asText(), StandardCharsets.UTF_8);
                    } else if (f.equals("graphql-link") || f.equals("graphql")) {
                        Files.writeString(d.resolve("specification.graphql"), value.asText(), StandardCharsets.UTF_8);
                    } else {
                        notes.add(label + ": specification format " + f + " is not read");
                    }
                }
                JsonNode set = p.get("apiVersionSetId");
                if (set != null && set.isTextual()) {
                    p.put("apiVersionSetId", reference(set.asText()));
                }
                info(d, "apiInformation.json", p);
            }
            case "apis/operations" -> info(dir(label, "apis", n.get(0), "operations", n.get(1)), "operationInformation.json", p);
            case "apis/policies" -> policy(p, dir(label, "apis", n.get(0)), "policy.xml", label);
            case "apis/operations/policies" -> policy(p, dir(label, "apis", n.get(0), "operations", n.get(1)), "policy.xml", label);
            case "products" -> info(dir(label, "products", n.get(0)), "productInformation.json", p);
            case "products/apis" -> info(dir(label, "products", n.get(0), "apis", n.get(1)), "productApiInformation.json", ApiopsImporter.JSON.createObjectNode());
            case "products/policies" -> policy(p, dir(label, "products", n.get(0)), "policy.xml", label);
            case "namedValues", "properties" -> info(dir(label, "named values", n.get(0)), "namedValueInformation.json", p);
            case "backends" -> info(dir(label, "backends", n.get(0)), "backendInformation.json", p);
            case "apiVersionSets" -> info(dir(label, "version sets", n.get(0)), "versionSetInformation.json", p);
            case "policyFragments" -> {
                Path d = dir(label, "policy fragments", n.get(0));
                policy(p, d, "policy.xml", label);
                p.remove("value");
                p.remove("format");
                info(d, "policyFragmentInformation.json", p);
            }
            case "subscriptions" -> {
                for (String k : List.of("scope", "ownerId")) {
                    JsonNode v = p.get(k);
                    if (v != null && v.isTextual()) {
                        p.put(k, reference(v.asText()));
                    }
                }
                info(dir(label, "subscriptions", n.get(0)), "subscriptionInformation.json", p);
            }
            default -> notes.add(label + ": " + OTHER.getOrDefault(kind, "not an artifact the importer knows"));
        }
    }

    private Path dir(String label, String... parts) throws IOException {
        Path d = root;
        for (String part : parts) {
            d = d.resolve(part);
        }
        Files.createDirectories(d);
        if (parts.length > 0) {
            origins.putIfAbsent(d, label);
        }
        return d;
    }

    private void info(Path dir, String file, JsonNode properties) throws IOException {
        ObjectNode o = ApiopsImporter.JSON.createObjectNode();
        o.set("properties", properties);
        Files.writeString(dir.resolve(file), ApiopsImporter.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o), StandardCharsets.UTF_8);
    }

    private void policy(JsonNode p, Path dir, String file, String label) throws IOException {
        String format = p.path("format").asText("xml").toLowerCase(Locale.ROOT);
        JsonNode value = p.get("value");
        if (format.endsWith("-link") || value == null || !value.isTextual()) {
            notes.add(label + ": the policy is " + (format.endsWith("-link") ? "a link (" + format + ")" : "missing")
                    + ", not in the template");
            return;
        }
        Path f = dir.resolve(file);
        Files.writeString(f, value.asText(), StandardCharsets.UTF_8);
        origins.put(f, label);
    }

    /** Replaces {@code [parameters('x')]} values by x's default; lists other expressions. */
    private void resolveParameters(ObjectNode p, String label) {
        List<String> names = new ArrayList<>();
        p.fieldNames().forEachRemaining(names::add);
        for (String k : names) {
            JsonNode v = p.get(k);
            if (v.isObject()) {
                resolveParameters((ObjectNode) v, label);
            } else if (v.isTextual() && isExpression(v.asText()) && !k.equals("apiVersionSetId") && !k.equals("scope")
                    && !k.equals("ownerId")) {
                Matcher m = PARAMETER.matcher(v.asText().strip());
                JsonNode def = m.matches() ? parameters.path(m.group(1).replace("''", "'")).get("defaultValue") : null;
                if (def != null && def.isValueNode()) {
                    p.set(k, def.isTextual() ? TextNode.valueOf(def.asText()) : def);
                } else {
                    notes.add(label + ": " + k + " is a template expression (" + v.asText()
                            + ") that the import cannot work out: fill it in");
                    p.remove(k);
                }
            }
        }
    }

    private static boolean isExpression(String s) {
        String t = s.strip();
        return t.startsWith("[") && !t.startsWith("[[") && t.endsWith("]");
    }

    /** A resource name's segments: {@code service/api} or {@code [concat(parameters('s'), '/api')]}. */
    static List<String> segments(String name) {
        String n = name.strip();
        if (isExpression(n)) {
            String expr = n.substring(1, n.length() - 1).replaceAll("(parameters|variables)\\(\\s*'(?:[^']|'')*'\\s*\\)", "");
            StringBuilder b = new StringBuilder();
            Matcher m = LITERAL.matcher(expr);
            while (m.find()) {
                b.append(m.group(1).replace("''", "'"));
            }
            n = b.toString();
        }
        List<String> out = new ArrayList<>();
        for (String s : n.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * A reference as APIM writes it: {@code [resourceId('Microsoft.ApiManagement/service/products',
     * parameters('s'), 'starter')]} is {@code /products/starter}; a resource id or an APIOps-style
     * path stays as it is.
     */
    static String reference(String value) {
        String v = value.strip();
        if (!isExpression(v) || !v.contains("resourceId(")) {
            return v;
        }
        String expr = v.substring(1, v.length() - 1).replaceAll("(parameters|variables)\\(\\s*'(?:[^']|'')*'\\s*\\)", "");
        List<String> literals = new ArrayList<>();
        Matcher m = LITERAL.matcher(expr);
        while (m.find()) {
            literals.add(m.group(1).replace("''", "'"));
        }
        if (literals.isEmpty()) {
            return v;
        }
        String type = literals.get(0);
        List<String> typeParts = List.of(type.split("/"));
        String last = typeParts.get(typeParts.size() - 1);
        if (type.equalsIgnoreCase(PREFIX)) {
            return "/apis"; // the whole service: all APIs
        }
        int nameCount = typeParts.size() - 2; // Microsoft.ApiManagement/service/x/y: service plus x..y names
        List<String> names = literals.subList(1, literals.size());
        String name = names.isEmpty() ? "" : names.get(names.size() - 1);
        if (nameCount > 2 && names.size() >= 2) { // e.g. service/apis/operations: keep the parent too
            return "/" + typeParts.get(typeParts.size() - 2) + "/" + names.get(names.size() - 2) + "/" + last + "/" + name;
        }
        return "/" + last + "/" + name;
    }
}
