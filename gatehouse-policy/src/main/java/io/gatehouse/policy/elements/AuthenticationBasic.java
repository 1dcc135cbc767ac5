package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.EnumSet;
import java.util.concurrent.CompletionStage;

/**
 * {@code <authentication-basic username="svc" password="{{backend-password}}"/>}: sets the
 * request's {@code Authorization: Basic ...} header (RFC 7617, UTF-8) for the backend, replacing
 * any the client sent.
 *
 * <p>The password is a secret: keep it in a named value; it never appears in diagnostics or traces.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/authentication-basic-policy">APIM authentication-basic</a>
 */
public final class AuthenticationBasic implements Policy {
    public static final PolicyType TYPE = new PolicyType("authentication-basic", EnumSet.of(Section.INBOUND),
            AuthenticationBasic::compile);

    private final Value<String> username;
    private final Value<String> password;

    private AuthenticationBasic(Value<String> username, Value<String> password) {
        this.username = username;
        this.password = password;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "username", "password");
        ctx.noContent(e);
        Value<String> user = a.requiredString("username");
        Value<String> pass = a.requiredString("password");
        if (user != null && user.isConstant() && user.constant() != null && user.constant().indexOf(':') >= 0) {
            ctx.error(a.position("username"), "attribute 'username' on <authentication-basic> contains ':', which Basic authentication cannot carry (RFC 7617)");
            return null;
        }
        return user == null || pass == null ? null : new AuthenticationBasic(user, pass);
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        String u = username.get(exchange);
        String p = password.get(exchange);
        if (u == null || u.indexOf(':') >= 0) {
            throw new GatewayException(500, "authentication-basic", GatewayException.EXPRESSION_FAILURE,
                    "authentication-basic: the username expression returned " + (u == null ? "null" : "a value containing ':'"));
        }
        String token = Base64.getEncoder().encodeToString((u + ":" + (p == null ? "" : p)).getBytes(StandardCharsets.UTF_8));
        exchange.context().request().headers().set("Authorization", "Basic " + token);
        return DONE;
    }
}
