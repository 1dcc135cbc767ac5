package io.gatehouse.tls;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * The CA certificates a gateway trusts, as APIM groups them: roots (store "Root", the trust
 * anchors), intermediates (store "CertificateAuthority", used to build paths but never trusted
 * on their own) and CRLs. Immutable.
 */
public final class CaStore {

    private static final CaStore EMPTY = new CaStore(List.of(), List.of(), List.of());

    private final List<X509Certificate> roots;
    private final List<X509Certificate> intermediates;
    private final List<X509CRL> crls;

    private CaStore(List<X509Certificate> roots, List<X509Certificate> intermediates, List<X509CRL> crls) {
        this.roots = List.copyOf(roots);
        this.intermediates = List.copyOf(intermediates);
        this.crls = List.copyOf(crls);
    }

    public static CaStore of(List<X509Certificate> roots, List<X509Certificate> intermediates, List<X509CRL> crls) {
        return new CaStore(roots == null ? List.of() : roots, intermediates == null ? List.of() : intermediates,
                crls == null ? List.of() : crls);
    }

    public static CaStore empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Trust anchors (APIM store "Root"). */
    public List<X509Certificate> roots() {
        return roots;
    }

    /** Intermediate CAs (APIM store "CertificateAuthority"): path building only, never anchors. */
    public List<X509Certificate> intermediates() {
        return intermediates;
    }

    public List<X509CRL> crls() {
        return crls;
    }

    /** True when the store holds no certificate at all (CRLs alone do not count). */
    public boolean isEmpty() {
        return roots.isEmpty() && intermediates.isEmpty();
    }

    /** A store with these roots in place of this one's, keeping intermediates and CRLs. */
    public CaStore withRoots(List<X509Certificate> newRoots) {
        return new CaStore(newRoots, intermediates, crls);
    }

    @Override
    public String toString() {
        return "CaStore[" + roots.size() + " root(s), " + intermediates.size() + " intermediate(s), " + crls.size()
                + " CRL(s)]";
    }

    /** Collects CA certificates and CRLs one by one (the config loader's order). */
    public static final class Builder {
        private final List<X509Certificate> roots = new ArrayList<>();
        private final List<X509Certificate> intermediates = new ArrayList<>();
        private final List<X509CRL> crls = new ArrayList<>();

        public Builder root(X509Certificate c) {
            roots.add(c);
            return this;
        }

        public Builder intermediate(X509Certificate c) {
            intermediates.add(c);
            return this;
        }

        public Builder crl(X509CRL crl) {
            crls.add(crl);
            return this;
        }

        public Builder roots(List<X509Certificate> cs) {
            roots.addAll(cs);
            return this;
        }

        public Builder intermediates(List<X509Certificate> cs) {
            intermediates.addAll(cs);
            return this;
        }

        public Builder crls(List<X509CRL> cs) {
            crls.addAll(cs);
            return this;
        }

        public CaStore build() {
            return new CaStore(roots, intermediates, crls);
        }
    }
}
