package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <mock-response status-code="200" content-type="application/json"/>}: ends the pipeline
 * with that status, as {@code return-response} does. APIM fills the body from the operation's
 * response examples; Gatehouse has no API schemas yet, so the body is empty.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/mock-response-policy">APIM mock-response</a>
 */
public final class MockResponse implements Policy {
    public static final PolicyType TYPE = new PolicyType("mock-response",
            EnumSet.of(Section.INBOUND, Section.OUTBOUND, Section.ON_ERROR), MockResponse::compile);

    private final int status;
    private final String contentType;

    private MockResponse(int status, String contentType) {
        this.status = status;
        this.contentType = contentType;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "status-code", "content-type");
        ctx.noContent(e);
        int status = a.integer("status-code", 200, 100, 599);
        String contentType = a.text("content-type", "application/json");
        if (contentType != null && (contentType.isBlank() || contentType.indexOf('/') < 0)) {
            ctx.error(a.position("content-type"), "attribute 'content-type' on <mock-response>: '" + contentType
                    + "' (expected a media type such as application/json)");
            return null;
        }
        return new MockResponse(status, contentType == null ? "application/json" : contentType.strip());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        Response r = exchange.context().response();
        Headers h = r.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        r.statusCode(status).statusReason(reason(status)).body(new MessageBody(new byte[0], contentType));
        exchange.markResponded();
        return DONE;
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "";
        };
    }
}
