package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.proxy.ExternalTools;
import io.gatehouse.proxy.Proc;
import io.gatehouse.tls.Pki;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment kit in {@code deploy/}: the Kubernetes manifests parse, reference only ConfigMaps,
 * Secrets, keys and volumes the kit has, probe the admin port the sample config opens, give the
 * gateway longer to stop than it drains, and run it locked down; the sample config passes
 * {@code gatehouse validate} laid out as the Deployment mounts it; the systemd unit passes
 * {@code systemd-analyze verify}. No cluster is needed: the manifests are read as data.
 */
class DeploymentKitTest {
    private static final Path KIT = Path.of("").toAbsolutePath().getParent().resolve("deploy");
    private static final Path K8S = KIT.resolve("kubernetes");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** Every object the kit defines (kustomization's resources, its generated ConfigMaps, the example Secrets), by kind/name. */
    private static final Map<String, JsonNode> objects = new LinkedHashMap<>();
    /** The keys of each ConfigMap and Secret, by kind/name. */
    private static final Map<String, Set<String>> keys = new HashMap<>();
    private static JsonNode kustomization;
    private static JsonNode sampleConfig;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readKit() throws IOException {
        kustomization = YAML.readTree(K8S.resolve("kustomization.yaml").toFile());
        List<String> files = new ArrayList<>();
        kustomization.path("resources").forEach(r -> files.add(r.asText()));
        files.add("secrets.example.yaml");
        for (String f : files) {
            Path p = K8S.resolve(f);
            assertThat(p).as("a resource kustomization.yaml names").isRegularFile();
            try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(p.toFile())) {
                while (docs.hasNext()) {
                    JsonNode d = docs.next();
                    if (d == null || d.isMissingNode() || d.isEmpty()) {
                        continue;
                    }
                    assertThat(d.path("apiVersion").asText()).as("apiVersion in %s", f).isNotEmpty();
                    String id = d.path("kind").asText() + "/" + d.path("metadata").path("name").asText();
                    assertThat(objects.put(id, d)).as("%s defined twice", id).isNull();
                    if (d.path("kind").asText().equals("Secret")) {
                        Set<String> k = new LinkedHashSet<>();
                        d.path("stringData").fieldNames().forEachRemaining(k::add);
                        d.path("data").fieldNames().forEachRemaining(k::add);
                        keys.put(id, k);
                    }
                }
            }
        }
        for (JsonNode gen : kustomization.path("configMapGenerator")) {
            Set<String> k = new LinkedHashSet<>();
            for (JsonNode f : gen.path("files")) {
                String spec = f.asText();
                String key = spec.contains("=") ? spec.substring(0, spec.indexOf('=')) : Path.of(spec).getFileName().toString();
                String file = spec.contains("=") ? spec.substring(spec.indexOf('=') + 1) : spec;
                assertThat(K8S.resolve(file)).as("configMapGenerator file").isRegularFile();
                k.add(key);
            }
            String id = "ConfigMap/" + gen.path("name").asText();
            objects.put(id, gen);
            keys.put(id, k);
        }
        sampleConfig = YAML.readTree(K8S.resolve("gatehouse.yaml").toFile());
    }

    private static JsonNode gatewayDeployment() {
        JsonNode d = objects.get("Deployment/gatehouse");
        assertThat(d).as("Deployment gatehouse in the kit").isNotNull();
        return d;
    }

    private static JsonNode gatewayContainer() {
        for (JsonNode c : gatewayDeployment().path("spec").path("template").path("spec").path("containers")) {
            if (c.path("name").asText().equals("gatehouse")) {
                return c;
            }
        }
        throw new AssertionError("no container named gatehouse");
    }

    private static List<JsonNode> deployments() {
        return objects.entrySet().stream().filter(e -> e.getKey().startsWith("Deployment/")).map(Map.Entry::getValue).toList();
    }

    @Test
    void everyConfigMapSecretKeyAndVolumeADeploymentReferencesIsInTheKit() {
        assertThat(deployments()).hasSizeGreaterThanOrEqualTo(2); // the gateway and Redis
        for (JsonNode d : deployments()) {
            String name = d.path("metadata").path("name").asText();
            JsonNode pod = d.path("spec").path("template").path("spec");
            Set<String> volumes = new LinkedHashSet<>();
            for (JsonNode v : pod.path("volumes")) {
                volumes.add(v.path("name").asText());
                String ref = v.has("configMap") ? "ConfigMap/" + v.path("configMap").path("name").asText()
                        : v.has("secret") ? "Secret/" + v.path("secret").path("secretName").asText() : null;
                if (ref == null) {
                    continue;
                }
                assertThat(keys).as("%s: volume %s refers to %s", name, v.path("name").asText(), ref).containsKey(ref);
                JsonNode source = v.has("configMap") ? v.path("configMap") : v.path("secret");
                for (JsonNode item : source.path("items")) {
                    assertThat(keys.get(ref)).as("%s: volume %s, key of %s", name, v.path("name").asText(), ref)
                            .contains(item.path("key").asText());
                }
            }
            Set<String> mounted = new LinkedHashSet<>();
            for (JsonNode c : pod.path("containers")) {
                for (JsonNode m : c.path("volumeMounts")) {
                    assertThat(volumes).as("%s: container %s mounts a volume", name, c.path("name").asText())
                            .contains(m.path("name").asText());
                    mounted.add(m.path("name").asText());
                }
                for (JsonNode e : c.path("env")) {
                    JsonNode sk = e.path("valueFrom").path("secretKeyRef");
                    if (!sk.isMissingNode()) {
                        assertThat(keys.get("Secret/" + sk.path("name").asText())).as("%s: env %s", name, e.path("name").asText())
                                .isNotNull().contains(sk.path("key").asText());
                    }
                }
            }
            assertThat(mounted).as("%s: every volume is mounted", name).containsExactlyInAnyOrderElementsOf(volumes);
        }
    }

    @Test
    void servicesAndTheDisruptionBudgetSelectTheGatewayPods() {
        JsonNode labels = gatewayDeployment().path("spec").path("template").path("metadata").path("labels");
        assertThat(gatewayDeployment().path("spec").path("replicas").asInt()).isEqualTo(2);
        JsonNode pdb = objects.get("PodDisruptionBudget/gatehouse");
        assertThat(pdb).as("a PodDisruptionBudget").isNotNull();
        assertThat(selects(pdb.path("spec").path("selector").path("matchLabels"), labels)).isTrue();
        assertThat(pdb.path("spec").path("minAvailable").asInt()).isBetween(1, 1);
        assertThat(selects(gatewayDeployment().path("spec").path("selector").path("matchLabels"), labels)).isTrue();
        JsonNode svc = objects.get("Service/gatehouse");
        assertThat(selects(svc.path("spec").path("selector"), labels)).isTrue();
        Set<String> portNames = new LinkedHashSet<>();
        gatewayContainer().path("ports").forEach(p -> portNames.add(p.path("name").asText()));
        svc.path("spec").path("ports").forEach(p -> assertThat(portNames).contains(p.path("targetPort").asText()));
        // the Redis Service selects the Redis pods and not the gateways
        JsonNode redis = objects.get("Deployment/gatehouse-redis");
        JsonNode redisLabels = redis.path("spec").path("template").path("metadata").path("labels");
        JsonNode redisSvc = objects.get("Service/gatehouse-redis");
        assertThat(selects(redisSvc.path("spec").path("selector"), redisLabels)).isTrue();
        assertThat(selects(redisSvc.path("spec").path("selector"), labels)).isFalse();
    }

    private static boolean selects(JsonNode selector, JsonNode labels) {
        assertThat(selector.isObject() && !selector.isEmpty()).as("a non-empty selector").isTrue();
        for (var it = selector.fields(); it.hasNext();) {
            var e = it.next();
            if (!e.getValue().asText().equals(labels.path(e.getKey()).asText(null))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void probesUseTheSampleConfigsAdminPortAndHealth() {
        JsonNode admin = sampleConfig.path("gateway").path("admin");
        int adminPort = admin.path("port").asInt();
        assertThat(adminPort).isPositive();
        assertThat(admin.path("bind").asText("127.0.0.1")).as("the kubelet probes the pod's address, not loopback")
                .isIn("0.0.0.0", "::");
        JsonNode c = gatewayContainer();
        Map<String, Integer> ports = new HashMap<>();
        c.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            JsonNode get = c.path(probe).path("httpGet");
            assertThat(get.path("path").asText()).as(probe).isEqualTo("/health");
            JsonNode port = get.path("port");
            int number = port.isInt() ? port.asInt() : ports.getOrDefault(port.asText(), -1);
            assertThat(number).as("%s port", probe).isEqualTo(adminPort);
        }
        int listener = sampleConfig.path("gateway").path("listeners").get(0).path("port").asInt();
        assertThat(ports).containsEntry("https", listener);
        // the container runs the config where the ConfigMap is mounted
        List<String> args = new ArrayList<>();
        c.path("args").forEach(a -> args.add(a.asText()));
        String configPath = args.get(args.indexOf("-c") + 1);
        assertThat(mountOf(configPath)).as("the -c file is in a mounted volume").isNotNull();
    }

    /** The volume name mounted at the folder holding {@code path} in the gateway container, or null. */
    private static String mountOf(String path) {
        String folder = path.substring(0, path.lastIndexOf('/'));
        for (JsonNode m : gatewayContainer().path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(folder)) {
                return m.path("name").asText();
            }
        }
        return null;
    }

    @Test
    void theGatewayStopsWithinItsGracePeriodAndRunsLockedDown() {
        JsonNode pod = gatewayDeployment().path("spec").path("template").path("spec");
        long drain = sampleConfig.path("gateway").path("drainTimeout").asLong(30);
        JsonNode c = gatewayContainer();
        long preStop = c.path("lifecycle").path("preStop").path("sleep").path("seconds").asLong(0);
        long grace = pod.path("terminationGracePeriodSeconds").asLong(30);
        assertThat(grace).as("terminationGracePeriodSeconds > preStop %d s + drainTimeout %d s", preStop, drain)
                .isGreaterThan(preStop + drain);
        JsonNode sc = c.path("securityContext");
        assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(sc.path("capabilities").path("drop").toString()).isEqualTo("[\"ALL\"]");
        assertThat(sc.path("runAsNonRoot").asBoolean() || pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsUser").asInt()).isNotZero();
        assertThat(c.path("resources").path("requests").path("memory").asText()).isNotEmpty();
        assertThat(c.path("resources").path("limits").path("memory").asText()).isNotEmpty();
        // the only writable place the gateway needs is /tmp (Netty's native libraries)
        Map<String, Boolean> writable = new HashMap<>();
        c.path("volumeMounts").forEach(m -> writable.put(m.path("mountPath").asText(), !m.path("readOnly").asBoolean()));
        assertThat(writable).containsEntry("/tmp", true);
        writable.forEach((path, rw) -> assertThat(!rw || path.equals("/tmp")).as("%s writable", path).isTrue());
    }

    @Test
    void theSampleConfigPassesValidateLaidOutAsTheDeploymentMountsIt() throws Exception {
        Path root = layOut(tmp);
        Path config = root.resolve("etc/gatehouse/config/gatehouse.yaml");
        ConfigResult r = ConfigLoader.load(config, Map.of());
        assertThat(r.diagnostics().all()).as("%s", r.diagnostics().render()).isEmpty();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        synchronized (DeploymentKitTest.class) {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            try {
                exit = Main.execute("validate", "--hash", "-c", config.toString());
            } finally {
                System.setOut(old);
            }
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("OK (0 errors, 0 warnings)")
                .contains("\nconfig hash: " + r.config().contentHash() + "\n");
        assertThat(exit).isZero();
    }

    /**
     * Writes the files the gateway container would see, under {@code root} instead of {@code /}:
     * each ConfigMap and Secret volume at its mount path, with the keys its items name. The
     * Secrets' contents are made here (a certificate for the sample's hostname, a CA, text).
     */
    static Path layOut(Path root) throws IOException {
        JsonNode pod = gatewayDeployment().path("spec").path("template").path("spec");
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        String host = sampleConfig.path("hostnames").get(0).path("hostName").asText();
        Pki.Issued ca = Pki.ca("CN=Kit Test Root", Duration.ofDays(30));
        Pki.Issued server = Pki.issue(ca, Pki.IssueRequest.server(host, host));
        for (JsonNode m : gatewayContainer().path("volumeMounts")) {
            JsonNode v = volumes.get(m.path("name").asText());
            Path dir = root.resolve(m.path("mountPath").asText().substring(1));
            Files.createDirectories(dir);
            if (v.has("configMap")) {
                for (JsonNode item : v.path("configMap").path("items")) {
                    Files.copy(K8S.resolve(item.path("key").asText()), dir.resolve(item.path("path").asText()));
                }
            } else if (v.has("secret")) {
                for (JsonNode item : v.path("secret").path("items")) {
                    String key = item.path("key").asText();
                    String content = switch (key) {
                        case "tls.crt" -> Pki.pem(server.certificate(), ca.certificate());
                        case "tls.key" -> Pki.pem(server.keyPair().getPrivate());
                        case "ca.crt" -> Pki.pem(ca.certificate());
                        default -> "value-of-" + key + "\n";
                    };
                    Files.writeString(dir.resolve(item.path("path").asText()), content);
                }
            }
        }
        return root;
    }

    @Test
    void theSystemdUnitVerifiesAndOutlastsTheDrain() throws Exception {
        Path unit = KIT.resolve("systemd/gatehouse.service");
        String text = Files.readString(unit);
        Matcher stop = Pattern.compile("(?m)^TimeoutStopSec=(\\d+)$").matcher(text);
        assertThat(stop.find()).as("TimeoutStopSec").isTrue();
        assertThat(Long.parseLong(stop.group(1))).as("TimeoutStopSec > the default drainTimeout (30 s)").isGreaterThan(30);
        assertThat(text).containsPattern("(?m)^ExecReload=/bin/kill -HUP \\$MAINPID$")
                .containsPattern("(?m)^ProtectSystem=strict$").containsPattern("(?m)^NoNewPrivileges=yes$")
                .containsPattern("(?m)^User=gatehouse$").containsPattern("(?m)^ReadWritePaths=");
        String analyze = ExternalTools.require("systemd-analyze");
        // verify checks that ExecStart's program exists: point it at this test's own Java for the check
        Matcher exec = Pattern.compile("(?m)^ExecStart=(\\S+)").matcher(text);
        assertThat(exec.find()).isTrue();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path copy = tmp.resolve("gatehouse.service");
        Files.writeString(copy, text.replace(exec.group(1), java));
        Proc p = Proc.run(List.of(analyze, "verify", copy.toString()), null, null, 60);
        assertThat(p.exitCode()).as("%s", p).isZero();
        assertThat((p.stdout() + p.stderr()).strip()).as("systemd-analyze verify says nothing about a good unit").isEmpty();
    }
}
