package io.gatehouse.config.keyvault;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.common.Secret;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import reactor.core.publisher.Mono;

/**
 * A managed-identity token from the endpoint {@code gateway.managedIdentity} names, in one of its
 * two documented shapes: the App Service / Container Apps shape ({@code GET endpoint?api-version=2019-08-01
 * &resource=...&client_id=...} with {@code X-IDENTITY-HEADER}) or the VM Instance Metadata Service
 * shape ({@code GET endpoint?api-version=2018-02-01&resource=...&client_id=...} with
 * {@code Metadata: true}). azure-identity's own ManagedIdentityCredential finds its endpoint only
 * in the process environment; this one takes it from the config, as {@code authentication-managed-identity}
 * does. Errors say the endpoint and status, never the token or the identity header.
 */
final class EndpointTokenCredential implements TokenCredential {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final boolean imds;
    private final URI endpoint;
    private final Secret identityHeader;
    private final String clientId;
    private final HttpClient http;

    EndpointTokenCredential(boolean imds, URI endpoint, Secret identityHeader, String clientId, HttpClient http) {
        this.imds = imds;
        this.endpoint = endpoint;
        this.identityHeader = identityHeader;
        this.clientId = clientId;
        this.http = http;
    }

    @Override
    public Mono<AccessToken> getToken(TokenRequestContext request) {
        return Mono.fromCallable(() -> getTokenSync(request));
    }

    @Override
    public AccessToken getTokenSync(TokenRequestContext request) {
        String scope = request.getScopes().isEmpty() ? "" : request.getScopes().get(0);
        String resource = scope.endsWith("/.default") ? scope.substring(0, scope.length() - "/.default".length()) : scope;
        StringBuilder url = new StringBuilder(endpoint.toString()).append("?api-version=")
                .append(imds ? "2018-02-01" : "2019-08-01").append("&resource=").append(enc(resource));
        if (clientId != null) {
            url.append("&client_id=").append(enc(clientId));
        }
        HttpRequest req = new HttpRequest(HttpMethod.GET, url.toString());
        if (imds) {
            req.setHeader("Metadata", "true");
        } else {
            req.setHeader("X-IDENTITY-HEADER", identityHeader.revealString());
        }
        String where = "the managed identity endpoint " + endpoint;
        try (HttpResponse resp = http.sendSync(req, com.azure.core.util.Context.NONE)) {
            String body = resp.getBodyAsBinaryData() == null ? "" : resp.getBodyAsBinaryData().toString();
            if (resp.getStatusCode() != 200) {
                throw new ClientAuthenticationException(where + " answered " + resp.getStatusCode()
                        + errorOf(body), null);
            }
            JsonNode json = JSON.readTree(body);
            String token = json.path("access_token").asText(null);
            if (token == null || token.isEmpty()) {
                throw new ClientAuthenticationException(where + " answered without an access_token", null);
            }
            return new AccessToken(token, expiry(json.path("expires_on").asText("")));
        } catch (ClientAuthenticationException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new ClientAuthenticationException(where + " answered something that is not a token (" + e.getClass()
                    .getSimpleName() + ")", null);
        }
    }

    /** The error code and description of a token service's error body (no token is in one). */
    private static String errorOf(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            String error = json.path("error").isTextual() ? json.path("error").asText()
                    : json.path("error").path("code").asText("");
            String description = json.path("error_description").asText(json.path("error").path("message").asText(""));
            if (error.isEmpty() && description.isEmpty()) {
                return "";
            }
            return ": " + error + (description.isEmpty() ? "" : " (" + description + ")");
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    /** {@code expires_on}: seconds since the epoch (both shapes), or a date; an hour when absent. */
    private static OffsetDateTime expiry(String v) {
        try {
            return Instant.ofEpochSecond(Long.parseLong(v.strip())).atOffset(ZoneOffset.UTC);
        } catch (NumberFormatException e) {
            try {
                return OffsetDateTime.parse(v.strip());
            } catch (RuntimeException e2) {
                return OffsetDateTime.now(ZoneOffset.UTC).plusHours(1);
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
