package io.gatehouse.config.keyvault;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Key Vault secret identifier, split: {@code https://VAULT.vault.azure.net/secrets/NAME} (versionless:
 * follows the latest enabled version) or {@code .../secrets/NAME/VERSION} (pinned). APIM reads
 * certificates through the secret of a Key Vault certificate, so a certificate's identifier is its
 * secret identifier ({@code /secrets/}, not {@code /certificates/}).
 *
 * @param vaultUrl {@code https://host[:port]}, no path
 * @param name the secret's name
 * @param version the pinned version, or null to follow the latest
 */
public record KeyVaultReference(String vaultUrl, String name, String version) {
    /** Key Vault object names: 1-127 letters, digits and dashes. */
    private static final Pattern NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z]{1,64}");

    public KeyVaultReference {
        Objects.requireNonNull(vaultUrl, "vaultUrl");
        Objects.requireNonNull(name, "name");
    }

    public boolean pinned() {
        return version != null;
    }

    /** The vault's host name (for messages). */
    public String host() {
        return URI.create(vaultUrl).getHost();
    }

    /** The identifier as written back: {@code vaultUrl/secrets/name[/version]}. */
    public String identifier() {
        return vaultUrl + "/secrets/" + name + (version == null ? "" : "/" + version);
    }

    /** Why {@code identifier} is not a secret identifier, or null when it is one. */
    public static String problem(String identifier) {
        try {
            parse(identifier);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Parses a secret identifier; throws IllegalArgumentException saying what was expected. */
    public static KeyVaultReference parse(String identifier) {
        String expected = " (expected a Key Vault secret identifier such as https://my-vault.vault.azure.net/secrets/"
                + "my-cert, or .../secrets/my-cert/VERSION to pin a version)";
        URI uri;
        try {
            uri = new URI(identifier.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "' is not a URL" + expected);
        }
        if (uri.getScheme() == null || !uri.getScheme().equalsIgnoreCase("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "' is not an https URL with a host"
                    + expected);
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier
                    + "' has a query, fragment or user info" + expected);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String[] parts = path.isEmpty() ? new String[0] : path.substring(1).split("/", -1);
        if (parts.length >= 2 && parts[0].equalsIgnoreCase("certificates")) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "' names a Key Vault certificate; "
                    + "use its secret identifier (https://" + uri.getHost() + "/secrets/" + parts[1]
                    + "), which holds the certificate with its private key");
        }
        if (parts.length < 2 || parts.length > 3 || !parts[0].equals("secrets")) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "' does not name a secret" + expected);
        }
        if (!NAME.matcher(parts[1]).matches()) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "': '" + parts[1]
                    + "' is not a Key Vault secret name (1-127 letters, digits and dashes)");
        }
        String version = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
        if (version != null && !VERSION.matcher(version).matches()) {
            throw new IllegalArgumentException("secretIdentifier '" + identifier + "': '" + version
                    + "' is not a secret version (letters and digits)");
        }
        String vault = "https://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        return new KeyVaultReference(vault, parts[1], version);
    }

    @Override
    public String toString() {
        return identifier();
    }
}
