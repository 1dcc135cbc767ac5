package io.gatehouse.tls;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;

/**
 * Finds the candidate paths from a leaf to a trusted root, one at a time and depth first, so that
 * {@link ChainVerifier} can check each in turn and go back to the next when one breaks a rule
 * (an expired or EKU-restricted intermediate, a name constraint, a weak key, a signature that does
 * not verify). Issuers are matched by name, those whose key identifier matches first; signatures are
 * left to the path's validation, which checks each once. Trusted roots are tried before
 * intermediates at every step, so the shortest path comes first. A certificate, or a (subject, key) pair, appears at most once on a path
 * (no loops), paths stop at {@link ChainVerifier#MAX_CHAIN} certificates and the search stops after
 * {@link #MAX_STEPS} issuer look-ups, so a peer cannot make it run long with many cross-signed
 * certificates. Not thread-safe: one per verification.
 */
final class PathBuilder {

    /** Most issuer look-ups (with the signature checks they imply) per verification. */
    static final int MAX_STEPS = 200;

    /** What a visitor says after looking at a complete path. */
    enum Next { STOP, CONTINUE }

    @FunctionalInterface
    interface Visitor {
        /** A complete path: {@code path} starts at the leaf, {@code anchor} is the trusted root that signed its last certificate. */
        Next visit(List<X509Certificate> path, X509Certificate anchor);
    }

    private final Map<X500Principal, List<X509Certificate>> rootsBySubject;
    private final Set<X509Certificate> roots;
    private final Map<X500Principal, List<X509Certificate>> candidatesBySubject = new HashMap<>();
    private final Map<X509Certificate, Map<String, byte[]>> keyIds = new IdentityHashMap<>();
    private static final byte[] NONE = new byte[0];
    private int steps;
    private boolean exhausted;

    /**
     * @param rootsBySubject trusted roots by subject name
     * @param roots the same roots as a set (by encoding)
     * @param candidates possible intermediates (the peer's certificates after the leaf, then the store's)
     */
    PathBuilder(Map<X500Principal, List<X509Certificate>> rootsBySubject, Set<X509Certificate> roots,
            List<X509Certificate> candidates) {
        this.rootsBySubject = rootsBySubject;
        this.roots = roots;
        for (X509Certificate c : new LinkedHashSet<>(candidates)) {
            if (!roots.contains(c)) {
                candidatesBySubject.computeIfAbsent(c.getSubjectX500Principal(), k -> new ArrayList<>()).add(c);
            }
        }
    }

    /** Whether the search stopped at its step limit (so some paths were not looked at). */
    boolean exhausted() {
        return exhausted;
    }

    /** Offers the visitor each complete path from {@code leaf}, until it says STOP, none is left or the step limit is reached. */
    void search(X509Certificate leaf, Visitor visitor) {
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        walk(path, visitor);
    }

    private boolean walk(List<X509Certificate> path, Visitor visitor) {
        if (++steps > MAX_STEPS) {
            exhausted = true;
            return true;
        }
        X509Certificate current = path.get(path.size() - 1);
        X500Principal issuer = current.getIssuerX500Principal();
        for (X509Certificate root : byKeyId(current, rootsBySubject.getOrDefault(issuer, List.of()))) {
            if (root.equals(current)) {
                continue;
            }
            if (visitor.visit(List.copyOf(path), root) == Next.STOP) {
                return true;
            }
        }
        if (path.size() >= ChainVerifier.MAX_CHAIN - 1) {
            return false;
        }
        for (X509Certificate candidate : byKeyId(current, candidatesBySubject.getOrDefault(issuer, List.of()))) {
            if (onPath(path, candidate)) {
                continue;
            }
            path.add(candidate);
            boolean stop = walk(path, visitor);
            path.remove(path.size() - 1);
            if (stop) {
                return true;
            }
        }
        return false;
    }

    /** The same certificate, or the same subject with the same key, is already on the path. */
    private static boolean onPath(List<X509Certificate> path, X509Certificate candidate) {
        PublicKey key = candidate.getPublicKey();
        for (X509Certificate c : path) {
            if (c.equals(candidate) || (c.getSubjectX500Principal().equals(candidate.getSubjectX500Principal())
                    && Arrays.equals(c.getPublicKey().getEncoded(), key.getEncoded()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The issuers of that name, those whose subject key identifier is the certificate's authority
     * key identifier first (the key identifiers order the candidates; they do not rule any out).
     */
    private List<X509Certificate> byKeyId(X509Certificate cert, List<X509Certificate> issuers) {
        if (issuers.size() < 2) {
            return issuers;
        }
        byte[] aki = keyIdentifier(cert, "2.5.29.35");
        if (aki == null) {
            return issuers;
        }
        List<X509Certificate> matching = new ArrayList<>();
        List<X509Certificate> others = new ArrayList<>();
        for (X509Certificate i : issuers) {
            (Arrays.equals(aki, keyIdentifier(i, "2.5.29.14")) ? matching : others).add(i);
        }
        matching.addAll(others);
        return matching;
    }

    /** The keyIdentifier of an AKI (2.5.29.35) or the SKI (2.5.29.14), or null. */
    private byte[] keyIdentifier(X509Certificate c, String oid) {
        return keyIds.computeIfAbsent(c, k -> new HashMap<>()).computeIfAbsent(oid, o -> {
            byte[] ext = c.getExtensionValue(o);
            if (ext == null) {
                return NONE;
            }
            try {
                byte[] value = ASN1OctetString.getInstance(ext).getOctets();
                byte[] id = o.equals("2.5.29.14") ? ASN1OctetString.getInstance(value).getOctets()
                        : AuthorityKeyIdentifier.getInstance(value).getKeyIdentifierOctets();
                return id == null ? NONE : id;
            } catch (RuntimeException e) {
                return NONE;
            }
        }) == NONE ? null : keyIds.get(c).get(oid);
    }

    /** The issuer of {@code cert} among {@code candidates} whose key verifies its signature, or null. */
    static X509Certificate findSigner(X509Certificate cert, List<X509Certificate> candidates) {
        for (X509Certificate c : candidates) {
            if (c.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
                try {
                    cert.verify(c.getPublicKey());
                    return c;
                } catch (GeneralSecurityException | RuntimeException ignored) {
                    // a different key with the same name: keep looking
                }
            }
        }
        return null;
    }
}
