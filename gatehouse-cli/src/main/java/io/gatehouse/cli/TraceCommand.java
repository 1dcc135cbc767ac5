package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ConfigResult;
import io.gatehouse.config.model.AdminConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse trace ID [--admin HOST:PORT | -c FILE] [--json]}: a request trace (a request
 * sent with {@code Apim-Debug-Authorization}, whose response named it in {@code Apim-Trace-Id}),
 * read from a running gateway's admin port ({@code GET /traces/ID}) and printed one line per step.
 */
@Command(name = "trace",
        description = "Print a request trace from a running gateway's admin port (GET /traces/ID): one line per step"
                + " with the milliseconds since the request started, scope/section, file:line, element and detail."
                + " The ID is the Apim-Trace-Id of a response to a request sent with Apim-Debug-Authorization: KEY"
                + " (gateway.trace.keys). Exit 0, or 1 when the trace is unknown or expired or the admin port cannot"
                + " be reached.")
final class TraceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "ID", description = "the trace id (Apim-Trace-Id of the response)")
    String id;
    @Option(names = "--admin", description = "the gateway's admin port: HOST:PORT or a URL")
    String admin;
    @Option(names = {"-c", "--config"}, description = "find the admin port in this config file (gateway.admin;"
            + " 127.0.0.1 unless admin.bind names another address)")
    Path config;
    @Option(names = "--json", description = "print the JSON the admin port serves")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String base = adminBase();
        if (base == null) {
            return 1;
        }
        if (!id.matches("[0-9a-fA-F]{32}")) {
            System.err.println("gatehouse trace: '" + id + "' is not a trace id (32 hexadecimal digits, from the"
                    + " Apim-Trace-Id response header)");
            return 1;
        }
        URI uri = URI.create(base.replaceAll("/+$", "") + "/traces/" + id.toLowerCase(Locale.ROOT));
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                    .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            System.err.println("gatehouse trace: cannot reach the admin port at " + uri + ": " + e);
            return 1;
        }
        if (r.statusCode() == 404) {
            System.err.println("gatehouse trace: no trace " + id + " at " + base + ": unknown, or no longer kept"
                    + " (gateway.trace.retention and gateway.trace.maxTraces bound the traces kept)");
            return 1;
        }
        if (r.statusCode() != 200) {
            System.err.println("gatehouse trace: " + uri + " answered " + r.statusCode() + " (is this a Gatehouse admin port?)");
            return 1;
        }
        ObjectMapper mapper = new ObjectMapper(); // made here, not statically: picocli instantiates every command
        JsonNode doc;
        try {
            doc = mapper.readTree(r.body());
        } catch (IOException e) {
            System.err.println("gatehouse trace: " + uri + " did not answer JSON (is this a Gatehouse admin port?)");
            return 1;
        }
        if (json) {
            System.out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc));
        } else {
            System.out.print(render(doc));
        }
        return 0;
    }

    /** The admin port's base URL, or null (after saying why) when it cannot be found. */
    private String adminBase() {
        if (admin != null) {
            return admin.contains("://") ? admin : "http://" + admin;
        }
        if (config == null) {
            System.err.println("gatehouse trace: give --admin HOST:PORT (the gateway's admin port) or -c FILE (its config,"
                    + " whose gateway.admin is used)");
            return null;
        }
        ConfigResult result = ConfigLoader.load(config);
        if (result.config() == null) {
            System.out.print(result.diagnostics().render());
            return null;
        }
        AdminConfig a = result.config().model().gateway().admin();
        if (a == null) {
            System.err.println("gatehouse trace: " + config + " has no gateway.admin port: traces are read from it");
            return null;
        }
        String host = a.bind() == null || a.bind().equals("0.0.0.0") || a.bind().equals("::") ? "127.0.0.1" : a.bind();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.port();
    }

    /** The trace readably: a summary, then one line per step. */
    static String render(JsonNode t) {
        StringBuilder out = new StringBuilder();
        JsonNode req = t.path("request");
        out.append("trace ").append(t.path("id").asText()).append(" (request ").append(t.path("requestId").asText())
                .append(", ").append(t.path("startedAt").asText()).append(")\n");
        out.append(req.path("method").asText("?")).append(' ').append(req.path("uri").asText("?")).append(" -> ")
                .append(t.path("complete").asBoolean() ? t.path("status").asText() + " in "
                        + t.path("durationMs").asText() + " ms" : "still running");
        JsonNode responder = t.path("responder");
        if (responder.isObject()) {
            out.append("; response produced by <").append(responder.path("element").asText()).append(">")
                    .append(responder.path("at").asText().isEmpty() ? "" : " at " + responder.path("at").asText());
        }
        out.append('\n');
        if (t.path("truncated").asBoolean()) {
            out.append("(truncated: the trace hit its size limits)\n");
        }
        out.append('\n');
        for (JsonNode s : t.path("steps")) {
            String where = s.path("scope").asText() + (s.path("section").asText().isEmpty() ? ""
                    : (s.path("scope").asText().isEmpty() ? "" : "/") + s.path("section").asText());
            String element = s.path("element").asText().isEmpty() ? s.path("kind").asText() : s.path("element").asText();
            out.append(String.format("%10s  %-18s %-24s %-16s %s%n", "+" + String.format(Locale.ROOT, "%.2f",
                    s.path("ms").asDouble()) + " ms", where.isEmpty() ? "-" : where,
                    s.path("at").asText().isEmpty() ? "-" : s.path("at").asText(), element, s.path("detail").asText()));
        }
        return out.toString();
    }
}
