package io.gatehouse.policy.elements.liquid;

import org.w3c.dom.Document;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;

/**
 * Parses message bodies into DOM for set-body templates, xsl-transform and xml-to-json: namespace aware,
 * secure processing on, any DTD refused (so no entity expansion and no external fetches), and
 * errors thrown rather than printed. One builder per thread, reset between uses.
 */
public final class SafeXml {
    private SafeXml() {
    }

    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException ex) {
            // not a failure
        }

        @Override
        public void error(SAXParseException ex) throws SAXException {
            throw ex;
        }

        @Override
        public void fatalError(SAXParseException ex) throws SAXException {
            throw ex;
        }
    };

    private static final ThreadLocal<DocumentBuilder> BUILDER = ThreadLocal.withInitial(() -> {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setExpandEntityReferences(false);
            f.setXIncludeAware(false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(THROWING);
            return b;
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK XML parser cannot be configured securely", e);
        }
    });

    /** The document; throws IllegalArgumentException with the parser's message when it is not well-formed XML. */
    public static Document parse(InputSource in) {
        DocumentBuilder b = BUILDER.get();
        try {
            return b.parse(in);
        } catch (SAXException | IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            b.reset();
            b.setErrorHandler(THROWING);
        }
    }
}
