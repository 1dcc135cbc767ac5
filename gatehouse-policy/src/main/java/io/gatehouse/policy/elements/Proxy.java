package io.gatehouse.policy.elements;

import io.gatehouse.common.Secret;
import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.OutboundProxy;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <proxy url="http://host:port" username="..." password="..."/>}: the request's
 * {@code forward-request} goes to the backend through this HTTP proxy ({@link OutboundProxy}):
 * a {@code CONNECT} tunnel for an https backend, an absolute-form request for a plain http one,
 * with {@code Proxy-Authorization: Basic} when a username is given. Every attribute may be a
 * policy expression or a named value; constants are checked at load. Only {@code forward-request}
 * is routed: {@code send-request} and the other calls policies make go out directly, as they do
 * in APIM. A proxy that refuses, asks for credentials (407) or cannot reach the backend fails the
 * request as any backend connection failure does (502, or 504 for a timeout). NTLM is not spoken.
 * Allowed in inbound.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/proxy-policy">APIM proxy</a>
 */
public final class Proxy implements Policy {
    public static final PolicyType TYPE = new PolicyType("proxy", EnumSet.of(Section.INBOUND), Proxy::compile);

    private final Value<String> url;
    private final Value<String> username;
    private final Value<String> password;
    private final OutboundProxy constant; // all three constant: parsed once here

    private Proxy(Value<String> url, Value<String> username, Value<String> password, OutboundProxy constant) {
        this.url = url;
        this.username = username;
        this.password = password;
        this.constant = constant;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "url", "username", "password");
        ctx.noContent(e);
        Value<String> url = a.requiredString("url");
        Value<String> user = a.has("username") ? a.string("username") : Value.constant(null);
        Value<String> pass = a.has("password") ? a.string("password") : Value.constant(null);
        if (url == null || user == null || pass == null) {
            return null;
        }
        if (!a.has("username") && a.has("password")) {
            ctx.error(a.position("password"), "attribute 'password' on <proxy> needs 'username' as well");
            return null;
        }
        OutboundProxy fixed = null;
        if (url.isConstant() && url.constant() != null) {
            try {
                OutboundProxy.parse(url.constant(), null, null); // throws saying what is wrong with the URL
                if (user.isConstant() && pass.isConstant()) {
                    fixed = OutboundProxy.parse(url.constant(), user.constant(), Secret.of(pass.constant()));
                }
            } catch (IllegalArgumentException ex) {
                boolean aboutUser = ex.getMessage().startsWith("the username");
                ctx.error(a.position(aboutUser ? "username" : "url"), "attribute '" + (aboutUser ? "username" : "url")
                        + "' on <proxy>: " + ex.getMessage());
                return null;
            }
        }
        return new Proxy(url, user, pass, fixed);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        OutboundProxy p = constant;
        if (p == null) {
            String u = url.get(exchange);
            if (u == null || u.isBlank()) {
                throw new GatewayException(500, "proxy", GatewayException.EXPRESSION_FAILURE,
                        "proxy url evaluated to nothing (expected http://host:port)");
            }
            try {
                p = OutboundProxy.parse(u, username.get(exchange), Secret.of(password.get(exchange)));
            } catch (IllegalArgumentException ex) {
                throw new GatewayException(500, "proxy", GatewayException.EXPRESSION_FAILURE,
                        "proxy: " + ex.getMessage());
            }
        }
        exchange.proxy(p);
        return DONE;
    }
}
