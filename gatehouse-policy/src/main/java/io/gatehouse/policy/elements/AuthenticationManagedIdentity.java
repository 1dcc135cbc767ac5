package io.gatehouse.policy.elements;

import io.gatehouse.policy.Exchange;
import io.gatehouse.policy.GatewayException;
import io.gatehouse.policy.Section;
import io.gatehouse.policy.elements.identity.ManagedIdentityException;
import io.gatehouse.policy.elements.identity.ManagedIdentityTokens;
import io.gatehouse.policy.spi.Attributes;
import io.gatehouse.policy.spi.CompileContext;
import io.gatehouse.policy.spi.Policy;
import io.gatehouse.policy.spi.PolicyType;
import io.gatehouse.policy.spi.Value;
import io.gatehouse.policy.xml.XmlElement;

import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * {@code <authentication-managed-identity resource="..." client-id="..." output-token-variable-name="..." ignore-error="false"/>}:
 * gets an access token for {@code resource} (a policy expression is allowed) from the managed
 * identity token service the gateway is configured with ({@link io.gatehouse.policy.PolicyEnvironment#managedIdentity()}),
 * for the user-assigned identity {@code client-id} or the system-assigned one, and sets
 * {@code Authorization: Bearer <token>} on the request to the backend. With
 * {@code output-token-variable-name} the token goes into that context variable instead (APIM's
 * "set header manually" example adds the header itself). Tokens are cached until shortly before
 * they expire and never logged.
 *
 * <p>When no token can be had (no token service configured, the service unreachable or refusing)
 * the request fails with 500 and {@code context.LastError} Source {@code authentication-managed-identity},
 * Reason {@value #REASON} (APIM does not document its reason string), unless {@code ignore-error="true"},
 * which carries on without a token.
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/authentication-managed-identity-policy">APIM authentication-managed-identity</a>
 */
public final class AuthenticationManagedIdentity implements Policy {
    public static final PolicyType TYPE = new PolicyType("authentication-managed-identity", EnumSet.of(Section.INBOUND),
            AuthenticationManagedIdentity::compile);
    public static final String REASON = "ManagedIdentityTokenFailure";
    private static final String NAME = "authentication-managed-identity";

    private final Value<String> resource;
    private final String clientId;
    private final String outputVariable;
    private final boolean ignoreError;
    private final ManagedIdentityTokens tokens;

    private AuthenticationManagedIdentity(Value<String> resource, String clientId, String outputVariable, boolean ignoreError,
                                          ManagedIdentityTokens tokens) {
        this.resource = resource;
        this.clientId = clientId;
        this.outputVariable = outputVariable;
        this.ignoreError = ignoreError;
        this.tokens = tokens;
    }

    private static Policy compile(XmlElement e, CompileContext ctx) {
        Attributes a = ctx.attributes(e, "resource", "client-id", "output-token-variable-name", "ignore-error");
        ctx.noContent(e);
        long before = ctx.diagnostics().errorCount();
        Value<String> resource = a.requiredString("resource");
        if (resource != null && resource.isConstant() && resource.constant() != null && resource.constant().isBlank()) {
            ctx.error(a.position("resource"), "attribute 'resource' on <" + NAME + "> is empty (expected: the application ID URI or client ID of the target API, e.g. https://vault.azure.net)");
        }
        String clientId = a.text("client-id", null);
        if (clientId != null && clientId.isBlank()) {
            ctx.error(a.position("client-id"), "attribute 'client-id' on <" + NAME + "> is empty (expected: the client ID of a user-assigned identity, or leave it out for the system-assigned one)");
        }
        String variable = a.text("output-token-variable-name", null);
        if (variable != null && variable.isBlank()) {
            ctx.error(a.position("output-token-variable-name"), "attribute 'output-token-variable-name' on <" + NAME + "> is empty (expected: a variable name)");
        }
        boolean ignore = a.bool("ignore-error", false);
        if (resource == null || ctx.diagnostics().errorCount() > before) {
            return null;
        }
        return new AuthenticationManagedIdentity(resource, clientId == null ? null : clientId.strip(),
                variable == null ? null : variable.strip(), ignore, ctx.environment().managedIdentity());
    }

    @Override
    public CompletionStage<Void> apply(Exchange exchange) {
        return token(exchange).thenAccept(token -> {
            if (token == null) {
                return; // ignore-error: carry on without one
            }
            if (outputVariable != null) {
                exchange.context().variables().set(outputVariable, token);
            } else {
                exchange.context().request().headers().set("Authorization", "Bearer " + token);
            }
        });
    }

    /**
     * The access token for this request's resource, or null when none could be had and
     * {@code ignore-error} is true; otherwise a failure with {@value #REASON}. Used directly by
     * {@code send-request}, whose child element puts the token on the request it sends.
     */
    public CompletionStage<String> token(Exchange exchange) {
        String r = resource.get(exchange);
        if (tokens == null) {
            return fail("no managed identity token service is configured for this gateway (gateway.managedIdentity), so no token for '"
                    + r + "' can be had");
        }
        if (r == null || r.isBlank()) {
            return fail("the resource expression gave an empty value");
        }
        return tokens.token(r, clientId).handle((token, err) -> {
            if (err != null) {
                Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                String why = c instanceof ManagedIdentityException ? c.getMessage() : c.getClass().getSimpleName();
                if (!ignoreError) {
                    throw new GatewayException(500, NAME, REASON, "could not get a managed identity token for '" + r + "': " + why);
                }
                return null;
            }
            return token;
        });
    }

    private CompletionStage<String> fail(String why) {
        if (ignoreError) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.failedFuture(new GatewayException(500, NAME, REASON, why));
    }
}
