package io.gatehouse.config.model;

import io.gatehouse.common.Secret;
import java.net.URI;

/**
 * {@code gateway.managedIdentity}: the token service {@code authentication-managed-identity} asks
 * for tokens. {@code style} is {@code app-service} (App Service / Container Apps: the endpoint
 * plus the {@code X-IDENTITY-HEADER} secret) or {@code imds} (a VM's instance metadata service).
 * Without this section, an Azure host's {@code IDENTITY_ENDPOINT} and {@code IDENTITY_HEADER}
 * environment variables are used when both are set.
 */
public record ManagedIdentityConfig(String style, URI endpoint, Secret identityHeader) {
    @Override
    public String toString() {
        return "ManagedIdentityConfig[" + style + " " + endpoint + (identityHeader == null ? "" : ", identityHeader=******") + "]";
    }
}
