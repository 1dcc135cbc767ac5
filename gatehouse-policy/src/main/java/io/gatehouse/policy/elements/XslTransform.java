package io.gatehouse.policy.elements;

import io.gatehouse.common.Position;
import io.gatehouse.expr.context.MessageBody;
import io.gatehouse.expr.context.PolicyContext;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.elements.liquid.SafeXml;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.SourceValue;
import io.gatehouse.policy.xml.XmlAttribute;
import io.gatehouse.policy.xml.XmlElement;
import io.gatehouse.policy.xml.XmlNode;
import io.gatehouse.policy.xml.XmlText;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

import javax.xml.XMLConstants;
import javax.xml.transform.ErrorListener;
import javax.xml.transform.SourceLocator;
import javax.xml.transform.Templates;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerConfigurationException;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import javax.xml.transform.stream.StreamSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code <xsl-transform><parameter name="...">value or @(expression)</parameter><xsl:stylesheet .../></xsl-transform>}:
 * applies an XSLT 1.0 stylesheet to the request body (inbound) or the response body (outbound).
 * The stylesheet is compiled once, at load, by the JDK's XSLT processor; its errors are load
 * errors at the element they concern. Each {@code parameter} (APIM's statement names the
 * attribute {@code parameter-name}, its example {@code name}: both are read) is passed as the
 * {@code xsl:param} of that name, evaluated per request.
 *
 * <p>The processor runs with secure processing: no Java extension functions, no external
 * stylesheets, documents or DTDs; a body with a DTD is refused. An empty body is left as it is.
 * A body that is not XML fails with 400 (request) or 502 (response), Reason {@code InvalidXml};
 * a transformation that fails (such as {@code xsl:message terminate="yes"}) fails with 500,
 * Reason {@code XslTransformFailure}. The Content-Type stays as it was.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/xsl-transform-policy">APIM xsl-transform</a>
 */
public final class XslTransform implements Policy {
    public static final PolicyType TYPE = new PolicyType("xsl-transform", EnumSet.of(Section.INBOUND, Section.OUTBOUND), XslTransform::compile);
    private static final String XSLT_NS = "http://www.w3.org/1999/XSL/Transform";
    private static final String NAME = "xsl-transform";
    private static final Pattern LINE = Pattern.compile("line (\\d+): *");

    private final Templates templates;
    private final Map<String, Value<String>> parameters;
    private final Message target;

    private XslTransform(Templates templates, Map<String, Value<String>> parameters, Message target) {
        this.templates = templates;
        this.parameters = parameters;
        this.target = target;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        ctx.attributes(e);
        long before = ctx.diagnostics().errorCount();
        Map<String, Value<String>> params = new LinkedHashMap<>();
        XmlElement sheet = null;
        for (XmlNode n : e.children()) {
            if (n instanceof XmlText t) {
                if (!t.isBlank()) {
                    ctx.error(t.position(), "<xsl-transform> takes <parameter> elements and one <xsl:stylesheet>, not text");
                }
                continue;
            }
            XmlElement c = (XmlElement) n;
            if (c.name().equals("parameter")) {
                Attributes pa = ctx.attributes(c, "name", "parameter-name");
                ctx.noElements(c);
                String name = pa.has("parameter-name") ? pa.text("parameter-name", null) : pa.text("name", null);
                if (name == null) {
                    ctx.error(c.position(), "<parameter> in <xsl-transform> is missing the required attribute 'name' (or 'parameter-name')");
                    continue;
                }
                if (params.containsKey(name)) {
                    ctx.error(c.position(), "parameter '" + name + "' is defined twice in <xsl-transform>");
                    continue;
                }
                SourceValue text = c.textValue() == null ? SourceValue.synthetic("", c.position()) : c.textValue();
                Value<String> v = ctx.string(text, NAME);
                if (v != null) {
                    params.put(name, v);
                }
            } else if (c.name().equals("xsl:stylesheet") || c.name().equals("xsl:transform")) {
                if (sheet != null) {
                    ctx.error(c.position(), "<xsl-transform> takes one <xsl:stylesheet>, found a second");
                    continue;
                }
                sheet = c;
            } else {
                ctx.error(c.position(), "unexpected <" + c.name() + "> inside <xsl-transform>; expected: <parameter>, <xsl:stylesheet>");
            }
        }
        if (sheet == null) {
            ctx.error(e.position(), "<xsl-transform> needs an <xsl:stylesheet version=\"1.0\" xmlns:xsl=\"" + XSLT_NS + "\"> element");
            return null;
        }
        Templates templates = stylesheet(sheet, ctx);
        if (templates == null || ctx.diagnostics().errorCount() > before) {
            return null;
        }
        Message target = Message.of(ctx.section());
        ctx.readsBody(target == Message.REQUEST, target == Message.RESPONSE);
        return new XslTransform(templates, Map.copyOf(params), target);
    }

    /** The stylesheet written back as XML, with the source position of each element's start. */
    private record Markup(String text, List<Integer> offsets, List<Position> positions) {
        /** The element written at (line, column) of the markup; with no column, the first element on that line. */
        Position near(int line, int column) {
            int lineStart = 0;
            for (int l = 1; l < line; l++) {
                int nl = text.indexOf('\n', lineStart);
                if (nl < 0) {
                    break;
                }
                lineStart = nl + 1;
            }
            int lineEnd = text.indexOf('\n', lineStart);
            lineEnd = lineEnd < 0 ? text.length() : lineEnd;
            if (column <= 0) {
                for (int i = 0; i < offsets.size(); i++) {
                    if (offsets.get(i) >= lineStart && offsets.get(i) < lineEnd) {
                        return positions.get(i);
                    }
                }
            }
            int offset = lineStart + Math.max(0, column - 1);
            Position best = positions.get(0);
            for (int i = 0; i < offsets.size() && offsets.get(i) <= offset; i++) {
                best = positions.get(i);
            }
            return best;
        }
    }

    private static Templates stylesheet(XmlElement sheet, CompileContext ctx) {
        Markup markup = serialize(sheet);
        TransformerFactory f = TransformerFactory.newDefaultInstance();
        List<TransformerException> problems = new ArrayList<>();
        try {
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            f.setErrorListener(new ErrorListener() {
                @Override
                public void warning(TransformerException ex) {
                    // XSLT warnings (such as an unused parameter) are not the user's problem here
                }

                @Override
                public void error(TransformerException ex) {
                    problems.add(ex);
                }

                @Override
                public void fatalError(TransformerException ex) {
                    problems.add(ex);
                }
            });
            Templates t = f.newTemplates(new StreamSource(new StringReader(markup.text())));
            if (problems.isEmpty()) {
                return t;
            }
        } catch (TransformerConfigurationException ex) {
            if (problems.isEmpty()) {
                problems.add(ex);
            }
        }
        // XSLTC often reports one mistake several times, some with a line (in the locator or as
        // "line N:" in the text) and some without: those without take the first line found
        List<Position> at = new ArrayList<>();
        List<String> messages = new ArrayList<>();
        Position first = null;
        for (TransformerException ex : problems) {
            String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage().strip();
            Matcher m = LINE.matcher(msg);
            int line = -1;
            int column = -1;
            SourceLocator l = ex.getLocator();
            if (l != null && l.getLineNumber() > 0) {
                line = l.getLineNumber();
                column = l.getColumnNumber();
            }
            if (m.lookingAt()) {
                line = line > 0 ? line : Integer.parseInt(m.group(1));
                msg = msg.substring(m.end());
            }
            Position p = line > 0 ? markup.near(line, column) : null;
            if (first == null) {
                first = p;
            }
            if (!messages.contains(msg)) {
                messages.add(msg);
                at.add(p);
            }
        }
        for (int i = 0; i < messages.size(); i++) {
            Position p = at.get(i) != null ? at.get(i) : first != null ? first : sheet.position();
            ctx.error(p, "the XSLT stylesheet does not compile: " + messages.get(i));
        }
        return null;
    }

    private static Markup serialize(XmlElement root) {
        StringBuilder sb = new StringBuilder();
        List<Integer> offsets = new ArrayList<>();
        List<Position> positions = new ArrayList<>();
        write(root, sb, offsets, positions);
        return new Markup(sb.toString(), offsets, positions);
    }

    private static void write(XmlNode n, StringBuilder sb, List<Integer> offsets, List<Position> positions) {
        if (n instanceof XmlText t) {
            escape(t.value().text(), sb, false);
            return;
        }
        XmlElement e = (XmlElement) n;
        offsets.add(sb.length());
        positions.add(e.position());
        sb.append('<').append(e.name());
        for (XmlAttribute a : e.attributes()) {
            sb.append(' ').append(a.name()).append("=\"");
            escape(a.text(), sb, true);
            sb.append('"');
        }
        if (e.children().isEmpty()) {
            sb.append("/>");
            return;
        }
        sb.append('>');
        for (XmlNode c : e.children()) {
            write(c, sb, offsets, positions);
        }
        sb.append("</").append(e.name()).append('>');
    }

    private static void escape(String s, StringBuilder sb, boolean attribute) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append(attribute ? "&quot;" : "\"");
                case '\n' -> sb.append(attribute ? "&#10;" : "\n");
                case '\t' -> sb.append(attribute ? "&#9;" : "\t");
                default -> sb.append(c);
            }
        }
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        PolicyContext c = exchange.context();
        MessageBody body = target.body(c);
        byte[] in = body == null ? new byte[0] : body.bytes();
        if (in.length == 0) {
            return DONE;
        }
        Map<String, String> values = new LinkedHashMap<>();
        parameters.forEach((name, v) -> values.put(name, v.get(exchange)));
        Document doc;
        try {
            doc = parse(in);
        } catch (IllegalArgumentException ex) {
            boolean request = target == Message.REQUEST;
            throw new PolicyRejection(request ? 400 : 502, NAME, "InvalidXml",
                    "xsl-transform: the " + (request ? "request" : "response") + " body is not XML: " + ex.getMessage(), null, Map.of());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 256);
        try {
            Transformer t = templates.newTransformer();
            t.setErrorListener(new ErrorListener() {
                @Override
                public void warning(TransformerException ex) {
                    // xsl:message without terminate lands here; it is not a failure
                }

                @Override
                public void error(TransformerException ex) throws TransformerException {
                    throw ex;
                }

                @Override
                public void fatalError(TransformerException ex) throws TransformerException {
                    throw ex;
                }
            });
            values.forEach((k, v) -> t.setParameter(k, v == null ? "" : v));
            t.transform(new DOMSource(doc), new StreamResult(out));
        } catch (TransformerException | RuntimeException | StackOverflowError ex) {
            String why = ex instanceof StackOverflowError ? "the stylesheet recursed too deeply"
                    : ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            throw new GatewayException(500, NAME, "XslTransformFailure", "xsl-transform: the transformation failed: " + why);
        }
        target.body(c, new MessageBody(out.toByteArray(), body.contentType()));
        return DONE;
    }

    private static Document parse(byte[] xml) {
        return SafeXml.parse(new InputSource(new ByteArrayInputStream(xml)));
    }
}
