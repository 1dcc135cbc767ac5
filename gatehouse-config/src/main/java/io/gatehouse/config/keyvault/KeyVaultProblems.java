package io.gatehouse.config.keyvault;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns a failed Key Vault read into one sentence a user can act on: for a 403, which identity,
 * which vault and secret, and the role it needs; for a 404, the secret and version; for a vault
 * that cannot be reached, the host and the network error; for a token that could not be had, the
 * identity and what its token service said. Only status codes, Key Vault's error codes and
 * network errors are quoted: never a token, a secret value or a response body as a whole.
 */
final class KeyVaultProblems {
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([A-Za-z0-9_.-]{1,64})\"");

    private KeyVaultProblems() {
    }

    static boolean disabled(HttpResponseException e) {
        return e.getResponse() != null && e.getResponse().getStatusCode() == 403 && codes(e).contains("SecretDisabled");
    }

    static String explain(Throwable e, KeyVaultReference ref, String identity, boolean certificate) {
        String secret = "secret '" + ref.name() + "'" + (ref.version() == null ? "" : " version " + ref.version());
        String vault = "vault " + ref.vaultUrl();
        if (e instanceof HttpResponseException h && h.getResponse() != null) {
            int status = h.getResponse().getStatusCode();
            String codes = codes(h);
            if (status == 403 && codes.contains("SecretDisabled")) {
                return "Key Vault refused to read " + secret + " in " + vault + ": that version is disabled (403 "
                        + codes + "); enable it, or point the reference at an enabled version";
            }
            if (status == 403) {
                return "Key Vault refused " + identity + " access to " + secret + " in " + vault + " (403"
                        + (codes.isEmpty() ? "" : " " + codes) + "): assign it the role '"
                        + (certificate ? "Key Vault Certificate User' (or 'Key Vault Secrets User')" : "Key Vault Secrets User'")
                        + " on the vault, or the 'Get' secret permission in the vault's access policies";
            }
            if (status == 404) {
                return "Key Vault has no " + secret + " in " + vault + " (404" + (codes.isEmpty() ? "" : " " + codes)
                        + "): check the secret's name" + (ref.version() == null ? "" : " and version")
                        + " in secretIdentifier";
            }
            if (status == 401) {
                return "Key Vault did not accept the token of " + identity + " for " + vault + " (401" + (codes.isEmpty() ? ""
                        : " " + codes) + "): the identity may belong to another tenant than the vault";
            }
            return "Key Vault answered " + status + (codes.isEmpty() ? "" : " " + codes) + " for " + secret + " in " + vault;
        }
        Throwable network = networkCause(e);
        if (network != null && !(e instanceof ClientAuthenticationException)) {
            return "cannot reach the vault host " + ref.host() + ": " + describe(network);
        }
        if (e instanceof ClientAuthenticationException || isCredentialProblem(e)) {
            String why = firstLine(e.getMessage());
            if (network != null) {
                why = why + " (" + describe(network) + ")";
            }
            return "could not get a token for " + identity + " to read " + secret + " in " + vault + ": " + why;
        }
        if (e.getMessage() != null && e.getMessage().contains("challenge resource")) {
            return vault + " asked for a token for a resource that does not belong to its host (" + firstLine(e.getMessage())
                    + "); this is not a Key Vault, or the secretIdentifier's host is wrong";
        }
        // the exception's own message is left out: a parsing error could quote the response, which holds the value
        return "cannot read " + secret + " from " + vault + ": " + e.getClass().getSimpleName()
                + " (set GATEHOUSE_AZURE_LOG_LEVEL=DEBUG to see the Azure SDK's log)";
    }

    private static boolean isCredentialProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getClass().getName().startsWith("com.azure.identity.") || t.getClass().getName().startsWith("com.microsoft.aad.")) {
                return true;
            }
        }
        return false;
    }

    private static String codes(HttpResponseException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        Matcher mm = CODE.matcher(m);
        StringBuilder out = new StringBuilder();
        while (mm.find()) {
            if (!out.isEmpty()) {
                out.append("/");
            }
            out.append(mm.group(1));
        }
        return out.toString();
    }

    private static Throwable networkCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof SSLException
                    || t instanceof HttpTimeoutException || t instanceof java.nio.channels.ClosedChannelException
                    || t instanceof java.net.SocketException || t instanceof java.util.concurrent.TimeoutException) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    private static String describe(Throwable t) {
        String kind = t instanceof UnknownHostException ? "unknown host"
                : t instanceof HttpConnectTimeoutException ? "connect timed out"
                : t instanceof HttpTimeoutException || t instanceof java.util.concurrent.TimeoutException ? "timed out"
                : t instanceof ConnectException ? "connection refused"
                : t instanceof SSLException ? "TLS handshake failed" : t.getClass().getSimpleName();
        String m = t.getMessage();
        return m == null || m.isBlank() || kind.equals(m) ? kind : kind + " (" + firstLine(m) + ")";
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.lines().findFirst().orElse("").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
