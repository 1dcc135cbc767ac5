package io.gatehouse.config;

import io.gatehouse.config.keyvault.KeyVaultItem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content hash of a loaded config: SHA-256 over the config file and every file it read
 * (policies, fragments, certificates and keys, CA certificates and CRLs, {@code ${file:}} values,
 * API definitions, a PKCS#11 library) and the version of each Key Vault secret it used. Two
 * gateways that load the same files get the same hash, wherever the files are mounted: a file is
 * named by its path relative to the config file's folder, so only the files' layout around the
 * config file counts, not where that is.
 *
 * <p>{@code ${env:}} values are not part of it: a process's environment is fixed for its life (a
 * change needs a restart, so no reload can bring one), and it may differ between gateways on
 * purpose (a port, a node's name) while their files are the same.
 *
 * <p>Secrets (keys, {@code ${file:}} passwords) go into the hash, never into what it prints: only
 * the final digest leaves this class. SHA-256 does not give its input back, but a short password in
 * a {@code ${file:}} file could be guessed by someone who has every other file and tries candidates
 * against the hash {@code /health} shows; so the framed digest is stretched with PBKDF2 (HMAC-SHA256,
 * {@value #ITERATIONS} iterations, a few tens of milliseconds once per load), making each guess
 * that much dearer. Each part is framed (a tag, the name's length and bytes, the content's digest),
 * so moving bytes from one file to another, or renaming a file, changes the hash.
 *
 * <p>The files are read a second time, right after the load: when one changes in between, the
 * config watcher sees the change and reloads, and the hash and the config serving agree again
 * after that reload.
 */
public final class ConfigDigest {
    private ConfigDigest() {
    }

    /**
     * @param configFile the config file, absolute and normalised
     * @param files the config file and every file the load resolved (missing ones included)
     * @param keyVault the Key Vault secrets the load used, with their versions
     * @return {@code sha256:} followed by 64 lowercase hex digits
     */
    static String of(Path configFile, Collection<Path> files, List<KeyVaultItem> keyVault) {
        MessageDigest total = sha256();
        Path base = configFile.getParent();
        Map<String, Path> byName = new TreeMap<>();
        for (Path f : files) {
            byName.put(name(base, f), f);
        }
        for (Map.Entry<String, Path> e : byName.entrySet()) {
            part(total, "file", e.getKey(), contentDigest(e.getValue()));
        }
        List<String> items = new ArrayList<>();
        for (KeyVaultItem k : keyVault) {
            items.add(k.kind() + "/" + k.id() + "@" + k.version());
        }
        items.sort(null);
        for (String item : items) {
            part(total, "keyVault", item, new byte[0]);
        }
        return "sha256:" + HexFormat.of().formatHex(stretch(total.digest()));
    }

    /** PBKDF2 iterations over the framed digest (see the class comment). */
    static final int ITERATIONS = 100_000;

    private static byte[] stretch(byte[] digest) {
        char[] password = HexFormat.of().formatHex(digest).toCharArray();
        try {
            javax.crypto.SecretKeyFactory f = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
            return f.generateSecret(new javax.crypto.spec.PBEKeySpec(password,
                    "gatehouse config hash".getBytes(StandardCharsets.US_ASCII), ITERATIONS, 256)).getEncoded();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    /**
     * The name a file is hashed under: relative to the config's folder with '/' separators
     * ({@code ../tls/tls.crt} for a Secret mounted beside a ConfigMap), absolute only when no
     * relative path leads there (another drive on Windows).
     */
    private static String name(Path base, Path file) {
        Path p = file;
        if (base != null) {
            try {
                p = base.relativize(file);
            } catch (IllegalArgumentException differentRoot) {
                p = file;
            }
        }
        return p.toString().replace(java.io.File.separatorChar, '/');
    }

    /** The file's SHA-256, or a marker for a file that is missing, a folder, or cannot be read (each kind differs). */
    private static byte[] contentDigest(Path file) {
        if (!Files.exists(file)) {
            return "missing".getBytes(StandardCharsets.US_ASCII);
        }
        if (Files.isDirectory(file)) {
            return "folder".getBytes(StandardCharsets.US_ASCII);
        }
        MessageDigest d = sha256();
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        } catch (IOException e) {
            return "unreadable".getBytes(StandardCharsets.US_ASCII);
        }
        return d.digest();
    }

    private static void part(MessageDigest total, String tag, String name, byte[] content) {
        byte[] t = tag.getBytes(StandardCharsets.US_ASCII);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        total.update((byte) t.length);
        total.update(t);
        total.update(intBytes(n.length));
        total.update(n);
        total.update(intBytes(content.length));
        total.update(content);
    }

    private static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
