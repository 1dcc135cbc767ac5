package io.gatehouse.policy.elements;

import io.gatehouse.expr.context.Headers;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.Response;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.Scope;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlText;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * {@code <cross-domain>} with an Adobe {@code <cross-domain-policy>} (Flash) or a Silverlight
 * {@code <access-policy>} inside (inbound, global scope only): answers {@code GET /crossdomain.xml}
 * or {@code GET /clientaccesspolicy.xml} respectively with that document, without calling a
 * backend; every other request passes. The document is served as written (constants only).
 *
 * <p>A {@code domain="*"} grants every site: prefer naming the domains.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/cross-domain-policy">APIM cross-domain</a>
 */
public final class CrossDomain implements Policy {
    public static final PolicyType TYPE = new PolicyType("cross-domain", EnumSet.of(Section.INBOUND), CrossDomain::compile);

    private final String path;
    private final byte[] document;
    private final String contentType;

    private CrossDomain(String path, String document, String contentType) {
        this.path = path;
        this.document = document.getBytes(StandardCharsets.UTF_8);
        this.contentType = contentType;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        ctx.onlyChildren(e, "cross-domain-policy", "access-policy");
        boolean ok = true;
        if (ctx.scope() != Scope.GLOBAL && !ctx.inFragment()) {
            ctx.error(e.position(), "<cross-domain> is allowed only in the global policy (it answers /crossdomain.xml for the whole gateway); found at "
                    + ctx.scope().label() + " scope");
            ok = false;
        }
        List<XmlElement> docs = e.elements().stream().filter(c -> c.name().equals("cross-domain-policy") || c.name().equals("access-policy")).toList();
        if (docs.size() != 1) {
            ctx.error(e.position(), "<cross-domain> needs exactly one <cross-domain-policy> (Flash) or <access-policy> (Silverlight), found " + docs.size());
            return null;
        }
        if (!ok) {
            return null;
        }
        XmlElement doc = docs.get(0);
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        write(doc, sb);
        return doc.name().equals("cross-domain-policy")
                ? new CrossDomain("/crossdomain.xml", sb.toString(), "text/x-cross-domain-policy")
                : new CrossDomain("/clientaccesspolicy.xml", sb.toString(), "text/xml");
    }

    private static void write(XmlElement e, StringBuilder sb) {
        sb.append('<').append(e.name());
        for (XmlAttribute a : e.attributes()) {
            sb.append(' ').append(a.name()).append("=\"").append(escape(a.text(), true)).append('"');
        }
        if (e.children().isEmpty()) {
            sb.append(" />");
            return;
        }
        sb.append('>');
        for (XmlNode n : e.children()) {
            if (n instanceof XmlElement c) {
                write(c, sb);
            } else if (n instanceof XmlText t) {
                sb.append(escape(t.value().text(), false));
            }
        }
        sb.append("</").append(e.name()).append('>');
    }

    private static String escape(String s, boolean attribute) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append(attribute ? "&quot;" : "\"");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        var req = exchange.context().request();
        if (!req.method().equalsIgnoreCase("GET") || req.url() == null || !req.url().path().equalsIgnoreCase(path)) {
            return DONE;
        }
        Response r = exchange.context().response();
        Headers h = r.headers();
        for (String name : List.copyOf(h.keys())) {
            h.remove(name);
        }
        h.set("Content-Type", contentType);
        r.statusCode(200).statusReason("OK").body(new MessageBody(document.clone(), contentType));
        exchange.markResponded();
        return DONE;
    }
}
