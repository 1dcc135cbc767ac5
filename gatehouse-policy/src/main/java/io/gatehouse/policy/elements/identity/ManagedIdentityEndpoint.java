package io.gatehouse.policy.elements.identity;

import io.gatehouse.common.Secret;

import java.net.URI;
import java.util.Locale;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Where {@code authentication-managed-identity} asks for tokens: the local token service of an
 * Azure host, or any service that speaks one of its two documented shapes, so a gateway off Azure
 * can point it at its own token service.
 *
 * <ul>
 *   <li>{@link Style#APP_SERVICE}: {@code GET {endpoint}?api-version=2019-08-01&resource=...[&client_id=...]}
 *       with header {@code X-IDENTITY-HEADER}, as App Service, Functions and Container Apps publish
 *       in {@code IDENTITY_ENDPOINT} / {@code IDENTITY_HEADER}.</li>
 *   <li>{@link Style#IMDS}: {@code GET {endpoint}?api-version=2018-02-01&resource=...[&client_id=...]}
 *       with header {@code Metadata: true}, as the VM Instance Metadata Service answers at
 *       {@link #IMDS_URI}.</li>
 * </ul>
 *
 * @param style which request shape the service speaks
 * @param uri the token endpoint, http or https
 * @param identityHeader the {@code X-IDENTITY-HEADER} value for APP_SERVICE (a secret: it lets
 *     anyone who holds it mint tokens); null for IMDS
 * @see <a href="https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference">App Service token REST endpoint</a>
 * @see <a href="https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token">IMDS token endpoint</a>
 */
public record ManagedIdentityEndpoint(Style style, URI uri, Secret identityHeader) {
    /** The Instance Metadata Service token endpoint on Azure VMs. */
    public static final URI IMDS_URI = URI.create("http://169.254.169.254/metadata/identity/oauth2/token");

    public enum Style { APP_SERVICE, IMDS }

    public ManagedIdentityEndpoint {
        requireNonNull(style, "style");
        requireNonNull(uri, "uri");
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("managed identity endpoint: '" + uri + "' (expected: an http or https URL)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("managed identity endpoint: '" + uri + "' (expected: no query or fragment; the gateway adds them)");
        }
        if (style == Style.APP_SERVICE && (identityHeader == null || identityHeader.isEmpty())) {
            throw new IllegalArgumentException("managed identity endpoint: the App Service style needs the identity header value");
        }
        if (style == Style.IMDS && identityHeader != null) {
            throw new IllegalArgumentException("managed identity endpoint: the IMDS style takes no identity header");
        }
    }

    public static ManagedIdentityEndpoint appService(URI uri, Secret identityHeader) {
        return new ManagedIdentityEndpoint(Style.APP_SERVICE, uri, identityHeader);
    }

    public static ManagedIdentityEndpoint imds(URI uri) {
        return new ManagedIdentityEndpoint(Style.IMDS, uri, null);
    }

    /**
     * The endpoint an Azure host publishes in its environment ({@code IDENTITY_ENDPOINT} and
     * {@code IDENTITY_HEADER}), or null when those are not set. IMDS is never assumed: off Azure,
     * 169.254.169.254 may be something else.
     */
    public static ManagedIdentityEndpoint fromEnvironment(Map<String, String> env) {
        String endpoint = env.get("IDENTITY_ENDPOINT");
        String header = env.get("IDENTITY_HEADER");
        if (endpoint == null || endpoint.isBlank() || header == null || header.isEmpty()) {
            return null;
        }
        return appService(URI.create(endpoint.strip()), Secret.of(header));
    }

    @Override
    public String toString() {
        return "ManagedIdentityEndpoint[" + style + " " + uri + (identityHeader == null ? "" : ", identityHeader=******") + "]";
    }
}
