package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.CertificateInventory;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse certificates (--admin HOST:PORT | -c FILE) [--json]}: every certificate and CA
 * certificate with its source, thumbprint, expiry and users, from a running gateway's admin port
 * ({@code GET /certificates}) or straight from a config file.
 */
@Command(name = "certificates", description = "List every certificate and CA certificate: source, subject, thumbprints, expiry, days left, what uses it, last refresh and last error. From a running gateway (--admin) or a config file (-c). Exit 0, or 2 when any is expired or within the expiry warning, 1 when it cannot be read.")
final class CertificatesCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, description = "read the certificates from this config file")
    Path config;
    @Option(names = "--admin", description = "ask a running gateway's admin port (HOST:PORT or a URL)")
    String admin;
    @Option(names = "--json", description = "print the JSON the admin port serves")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ObjectMapper mapper = new ObjectMapper(); // made here, not statically: picocli instantiates every command
        if ((config == null) == (admin == null)) {
            System.err.println("gatehouse certificates: give either --admin HOST:PORT (a running gateway) or -c FILE"
                    + " (a config file)");
            return 1;
        }
        JsonNode doc;
        if (admin != null) {
            String base = admin.contains("://") ? admin : "http://" + admin;
            URI uri = URI.create(base.replaceAll("/+$", "") + "/certificates");
            try {
                HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                        .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                                HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    System.err.println("gatehouse certificates: " + uri + " answered " + r.statusCode()
                            + " (is this a Gatehouse admin port?)");
                    return 1;
                }
                doc = mapper.readTree(r.body());
            } catch (IOException e) {
                System.err.println("gatehouse certificates: cannot reach " + uri + ": " + e.getMessage());
                return 1;
            }
        } else {
            ConfigResult result = ConfigLoader.load(config);
            if (result.config() == null) {
                System.out.print(result.diagnostics().render());
                return 1;
            }
            Instant now = Instant.now();
            doc = mapper.valueToTree(CertificateInventory.of(result.config(), now).toJson(now));
        }
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        } else {
            System.out.print(table(doc));
        }
        boolean expiring = false;
        for (JsonNode c : doc.path("certificates")) {
            expiring |= c.path("expiringSoon").asBoolean();
        }
        return expiring ? 2 : 0;
    }

    /** The inventory as a table, then one paragraph per certificate with the long fields. */
    static String table(JsonNode doc) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "KIND", "SOURCE", "NOT AFTER", "DAYS LEFT", "SUBJECT"});
        for (JsonNode c : doc.path("certificates")) {
            String days = c.path("daysLeft").asText() + (c.path("expiringSoon").asBoolean()
                    ? (c.path("daysLeft").asLong() < 0 ? " EXPIRED" : " WARNING") : "");
            rows.add(new String[] {c.path("id").asText(), c.path("kind").asText(), c.path("source").asText(),
                    c.path("notAfter").asText(), days, c.path("subject").asText()});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                out.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
            }
            out.append('\n');
        }
        for (JsonNode c : doc.path("certificates")) {
            out.append('\n').append(c.path("kind").asText()).append(" '").append(c.path("id").asText()).append("'\n");
            line(out, "location", c.path("location").asText());
            line(out, "issuer", c.path("issuer").asText());
            line(out, "thumbprint", c.path("thumbprint").asText() + " (SHA-1)");
            line(out, "sha256", c.path("sha256").asText());
            line(out, "valid", c.path("notBefore").asText() + " to " + c.path("notAfter").asText());
            List<String> users = new ArrayList<>();
            c.path("usedBy").forEach(u -> users.add(u.asText()));
            line(out, "used by", users.isEmpty() ? "nothing in the config" : String.join("; ", users));
            line(out, "last refresh", c.path("lastRefresh").asText());
            if (!c.path("lastError").isNull() && !c.path("lastError").isMissingNode()) {
                line(out, "last error", c.path("lastError").asText());
            }
        }
        out.append('\n').append("expiry warning: ").append(doc.path("expiryWarningDays").asText())
                .append(" days (gateway.certificates.expiryWarningDays)\n");
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append("  ").append(String.format("%-13s", label + ":")).append(value).append('\n');
    }
}
