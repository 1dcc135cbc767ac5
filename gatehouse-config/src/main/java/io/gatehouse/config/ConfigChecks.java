package io.gatehouse.config;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.Position;
import io.gatehouse.config.model.AdminConfig;
import io.gatehouse.config.model.ApiConfig;
import io.gatehouse.config.model.BackendConfig;
import io.gatehouse.config.model.CaCertificateConfig;
import io.gatehouse.config.model.CertificateConfig;
import io.gatehouse.config.model.FragmentConfig;
import io.gatehouse.config.model.GatehouseConfig;
import io.gatehouse.config.model.HostnameConfig;
import io.gatehouse.config.model.ListenerConfig;
import io.gatehouse.config.model.NamedValueConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks across entities: unique ids, hostnames, paths and ports, and that every reference
 * (certificate, CA certificate, backend, fragment) names something that exists and fits.
 */
final class ConfigChecks {

    /** Roots of liquid template variables ({@code {{body.name}}}), which are not named values. */

    private static final Set<String> ANY_ADDRESS = Set.of("0.0.0.0", "::", "[::]", "*");

    private final ConfigReader reader;
    private final Diagnostics diagnostics;

    ConfigChecks(ConfigReader reader, Diagnostics diagnostics) {
        this.reader = reader;
        this.diagnostics = diagnostics;
    }

    void check(GatehouseConfig config) {
        unique(config.caCertificates(), CaCertificateConfig::id, "id", "CA certificate id", false);
        unique(config.certificates(), CertificateConfig::id, "id", "certificate id", false);
        unique(config.namedValues(), NamedValueConfig::name, "name", "named value", false);
        unique(config.fragments(), FragmentConfig::id, "id", "fragment id", false);
        unique(config.backends(), BackendConfig::id, "id", "backend id", false);
        unique(config.apis(), ApiConfig::id, "id", "api id", false);
        unique(config.apis(), a -> a.path() == null ? null : "/" + a.path(), "path", "api path", true);
        unique(config.hostnames(), HostnameConfig::hostName, "hostName", "hostName", true);
        listeners(config);
        hostnames(config);
        backends(config);
        apis(config);
        hostnameAccess(config);
        scopedTrust(config);
        unique(config.products(), io.gatehouse.config.model.ProductConfig::id, "id", "product id", false);
        unique(config.subscriptions(), io.gatehouse.config.model.SubscriptionConfig::id, "id", "subscription id", false);
        products(config);
        subscriptions(config);
    }

    /** Where the list under {@code key} holds {@code value} (its last such item), else the list. */
    private static Position itemPosition(Section s, String key, String value) {
        Position at = s.valuePosition(key);
        if (s.node(key) instanceof YamlNode.Sequence seq) {
            for (YamlNode item : seq.items()) {
                if (item instanceof YamlNode.Scalar sc && value.equals(sc.value() == null ? null : sc.value().strip())) {
                    at = sc.position();
                }
            }
        }
        return at;
    }

    /** Products name APIs that exist, once each; an API is in at most one open product (as in APIM). */
    private void products(GatehouseConfig config) {
        Map<String, io.gatehouse.config.model.ProductConfig> openProductOf = new HashMap<>();
        for (io.gatehouse.config.model.ProductConfig p : config.products()) {
            Section s = reader.origins.get(p);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String api : p.apis()) {
                Position at = itemPosition(s, "apis", api);
                if (!seen.add(api)) {
                    diagnostics.add(at.error("product '" + p.id() + "' lists api '" + api
                            + "' twice"));
                } else if (!reader.declaredApis.contains(api)) {
                    diagnostics.add(at.error("product '" + p.id() + "' names api '" + api
                            + "', which is not defined under 'apis'" + Suggestions.didYouMean(api, reader.declaredApis)));
                } else if (!p.subscriptionRequired()) {
                    io.gatehouse.config.model.ProductConfig other = openProductOf.putIfAbsent(api, p);
                    if (other != null) {
                        diagnostics.add(at.error("api '" + api + "' is in two open products ('"
                                + other.id() + "' and '" + p.id() + "'); an API can be in at most one product with "
                                + "subscriptionRequired: false (its policy runs for requests without a key)"));
                    }
                }
            }
        }
    }

    /**
     * Subscriptions' scopes name an API or product that exists; an API that requires a key which
     * no active subscription can give (and no open product lets through) is a warning: every
     * request to it is refused.
     */
    private void subscriptions(GatehouseConfig config) {
        for (ApiConfig api : config.apis()) {
            if (!api.subscription().required()) {
                continue;
            }
            boolean open = config.products().stream().anyMatch(p -> !p.subscriptionRequired() && p.apis().contains(api.id()));
            boolean covered = config.subscriptions().stream().anyMatch(sub ->
                    sub.state() == io.gatehouse.config.model.SubscriptionConfig.State.ACTIVE && switch (sub.scope().kind()) {
                        case ALL_APIS -> true;
                        case API -> sub.scope().id().equals(api.id());
                        case PRODUCT -> config.product(sub.scope().id()).map(p -> p.apis().contains(api.id())).orElse(false);
                    });
            if (!open && !covered) {
                Section s = reader.origins.get(api);
                diagnostics.add(s.valuePosition("subscriptionRequired").warning("api '" + api.id() + "' requires a "
                        + "subscription key, but no active subscription covers it (scope /apis, /apis/" + api.id()
                        + " or a product with it): every request to it is refused with 401"));
            }
        }
        for (io.gatehouse.config.model.SubscriptionConfig sub : config.subscriptions()) {
            Section s = reader.origins.get(sub);
            var scope = sub.scope();
            if (scope.kind() == io.gatehouse.config.model.SubscriptionConfig.Scope.Kind.API
                    && !reader.declaredApis.contains(scope.id())) {
                diagnostics.add(s.valuePosition("scope").error("subscription '" + sub.id() + "' is scoped to api '"
                        + scope.id() + "', which is not defined under 'apis'"
                        + Suggestions.didYouMean(scope.id(), reader.declaredApis)));
            } else if (scope.kind() == io.gatehouse.config.model.SubscriptionConfig.Scope.Kind.PRODUCT
                    && !reader.declaredProducts.contains(scope.id())) {
                diagnostics.add(s.valuePosition("scope").error("subscription '" + sub.id() + "' is scoped to product '"
                        + scope.id() + "', which is not defined under 'products'"
                        + Suggestions.didYouMean(scope.id(), reader.declaredProducts)));
            }
        }
    }

    private <T> void unique(List<T> items, Function<T, String> key, String field, String what, boolean ignoreCase) {
        Map<String, Position> seen = new HashMap<>();
        for (T item : items) {
            String k = key.apply(item);
            if (k == null) {
                continue;
            }
            String norm = ignoreCase ? k.toLowerCase(Locale.ROOT) : k;
            Section s = reader.origins.get(item);
            Position first = seen.putIfAbsent(norm, s.position());
            if (first != null) {
                diagnostics.add(s.valuePosition(field).error("duplicate " + what + " '" + k + "' (first defined at line "
                        + first.line() + ")"));
            }
        }
    }

    private void listeners(GatehouseConfig config) {
        List<ListenerConfig> seen = new ArrayList<>();
        boolean anyTls = false;
        for (ListenerConfig l : config.gateway().listeners()) {
            Section s = reader.origins.get(l);
            for (ListenerConfig other : seen) {
                if (clash(other.port(), other.bind(), l.port(), l.bind())) {
                    diagnostics.add(s.valuePosition("port").error("port " + l.port()
                            + " is used by two listeners (first at line " + other.position().line() + ")"));
                    break;
                }
            }
            seen.add(l);
            if (l.tls() && config.hostnames().isEmpty() && !reader.declaredHostnames && !anyTls) {
                diagnostics.add(s.position().error("listener on port " + l.port() + " uses TLS but no hostnames are "
                        + "configured (add a hostname with a certificate under 'hostnames', or set 'tls: false')"));
            }
            anyTls |= l.tls();
        }
        AdminConfig admin = config.gateway().admin();
        if (admin != null) {
            for (ListenerConfig other : seen) {
                if (clash(other.port(), other.bind(), admin.port(), admin.bind())) {
                    diagnostics.add(reader.origins.get(admin).valuePosition("port").error("admin port " + admin.port()
                            + " is also used by a listener (line " + other.position().line() + ")"));
                    break;
                }
            }
        }
    }

    /** Two sockets clash on the same port when they bind the same address or either binds all addresses. */
    private static boolean clash(int portA, String bindA, int portB, String bindB) {
        return portA == portB && (bindA.equalsIgnoreCase(bindB) || ANY_ADDRESS.contains(bindA) || ANY_ADDRESS.contains(bindB));
    }

    private void hostnames(GatehouseConfig config) {
        Position firstDefault = null;
        for (HostnameConfig h : config.hostnames()) {
            Section s = reader.origins.get(h);
            if (h.defaultSslBinding()) {
                if (firstDefault != null) {
                    diagnostics.add(s.keyPosition("defaultSslBinding").error("hostname '" + h.hostName()
                            + "' is a second defaultSslBinding (the first is at line " + firstDefault.line()
                            + "; only one hostname can be served to clients that send no SNI)"));
                } else {
                    firstDefault = s.position();
                }
            }
            caReferences(h.trustedCaCertificateIds(), itemPositions(s, null, "trustedCaCertificateIds"), s);
            if (h.clientCertificateMode().verifiesInHandshake() && reader.declaredRoots == 0
                    && h.trustedCaCertificateIds().isEmpty()) {
                diagnostics.add(s.valuePosition("clientCertificateMode").error("clientCertificateMode "
                        + h.clientCertificateMode().configName() + " verifies client certificates against the Root CA "
                        + "certificates, but there are none (add one under 'caCertificates' with 'storeName: Root')"));
            }
            if (h.certificateId() != null
                    && certificateReference(config, h.certificateId(), s.valuePosition("certificateId"))) {
                config.certificate(h.certificateId()).ifPresent(c -> {
                    if (!c.hasPrivateKey()) {
                        diagnostics.add(s.valuePosition("certificateId").error("certificate '" + c.id()
                                + "' has no private key, so hostname '" + h.hostName() + "' cannot use it "
                                + "(give the certificate a 'keyFile', or use a 'pfx')"));
                    }
                });
            }
        }
    }

    /** Reports a dangling certificate id; true when the id names a declared certificate. */
    private boolean certificateReference(GatehouseConfig config, String id, Position at) {
        if (reader.declaredCertificates.contains(id)) {
            return true;
        }
        if (reader.declaredCaCertificates.contains(id)) {
            diagnostics.add(at.error("'" + id + "' is a CA certificate; expected the id of an entry under 'certificates'"));
        } else {
            diagnostics.add(at.error("unknown certificate '" + id + "'"
                    + Suggestions.didYouMean(id, reader.declaredCertificates)));
        }
        return false;
    }

    private void backends(GatehouseConfig config) {
        for (BackendConfig b : config.backends()) {
            Section s = reader.origins.get(b);
            List<Position> certPositions = itemPositions(s, "credentials", "certificateIds");
            for (int i = 0; i < b.certificateIds().size(); i++) {
                String id = b.certificateIds().get(i);
                Position at = i < certPositions.size() ? certPositions.get(i) : s.position();
                if (certificateReference(config, id, at)) {
                    config.certificate(id).ifPresent(c -> {
                        if (!c.hasPrivateKey()) {
                            diagnostics.add(at.error("certificate '" + id + "' has no private key, so backend '" + b.id()
                                    + "' cannot present it as a client certificate (give it a 'keyFile', or use a 'pfx')"));
                        } else if (c.pkcs11() != null && b.certificateIds().size() > 1) {
                            diagnostics.add(at.error("certificate '" + id + "' has its key on a PKCS#11 token, so it must be"
                                    + " the only one in backend '" + b.id() + "' credentials.certificateIds (the gateway"
                                    + " cannot yet choose between a token key and others in one handshake)"));
                        }
                    });
                }
            }
            caReferences(b.tls().trustedCaCertificateIds(), itemPositions(s, "tls", "trustedCaCertificateIds"), s);
        }
    }

    /** Reports every id of a {@code trustedCaCertificateIds} list that is not a declared CA certificate. */
    private void caReferences(List<String> trusted, List<Position> positions, Section s) {
        for (int i = 0; i < trusted.size(); i++) {
            String id = trusted.get(i);
            Position at = i < positions.size() ? positions.get(i) : s.position();
            if (reader.declaredCaCertificates.contains(id)) {
                continue;
            }
            if (reader.declaredCertificates.contains(id)) {
                diagnostics.add(at.error("'" + id + "' is under 'certificates'; trustedCaCertificateIds lists ids "
                        + "from 'caCertificates'"));
            } else {
                diagnostics.add(at.error("unknown CA certificate '" + id + "'"
                        + Suggestions.didYouMean(id, reader.declaredCaCertificates)));
            }
        }
    }

    /** Positions of the items of list {@code key}, in sub-mapping {@code sub} of {@code s} (null: in {@code s} itself). */
    private static List<Position> itemPositions(Section s, String sub, String key) {
        if (sub == null) {
            List<Position> out = new ArrayList<>();
            if (s.node(key) instanceof YamlNode.Sequence seq) {
                for (YamlNode item : seq.items()) {
                    out.add(item.position());
                }
            }
            return out;
        }
        if (s.node(sub) instanceof YamlNode.Mapping m) {
            for (YamlNode.Entry e : m.entries()) {
                if (key.equals(e.key().value()) && e.value() instanceof YamlNode.Sequence seq) {
                    List<Position> out = new ArrayList<>();
                    for (YamlNode item : seq.items()) {
                        out.add(item.position());
                    }
                    return out;
                }
            }
        }
        return List.of();
    }

    private void apis(GatehouseConfig config) {
        Set<String> known = new java.util.HashSet<>();
        for (String h : reader.declaredHostNames) {
            known.add(h.toLowerCase(Locale.ROOT));
        }
        for (ApiConfig a : config.apis()) {
            Section s = reader.origins.get(a);
            if (a.backendId() != null && !reader.declaredBackends.contains(a.backendId())) {
                diagnostics.add(s.valuePosition("backendId").error("unknown backend '" + a.backendId()
                        + "'" + Suggestions.didYouMean(a.backendId(), reader.declaredBackends)));
            }
            List<Position> positions = itemPositions(s, null, "hostnames");
            for (int i = 0; i < a.hostnames().size(); i++) {
                String h = a.hostnames().get(i);
                if (!known.contains(h.toLowerCase(Locale.ROOT))) {
                    Position at = i < positions.size() ? positions.get(i) : s.valuePosition("hostnames");
                    diagnostics.add(at.error("unknown hostname '" + h + "' in api '" + a.id()
                            + "' (expected the hostName of an entry under 'hostnames')"
                            + Suggestions.didYouMean(h, reader.declaredHostNames)));
                }
            }
        }
    }

    /**
     * How strict a client-certificate mode is, for comparing hostnames: none &lt; request &lt;
     * verify-if-given &lt; require &lt; require-and-verify.
     */
    static int strictness(io.gatehouse.tls.ClientCertificateMode mode) {
        return switch (mode) {
            case NONE -> 0;
            case REQUEST -> 1;
            case VERIFY_IF_GIVEN -> 2;
            case REQUIRE -> 3;
            case REQUIRE_AND_VERIFY -> 4;
        };
    }

    /**
     * Warns about an API served on every hostname when the hostnames differ in strictness: a
     * client reaches it through the laxest one (or a plain-HTTP listener), so the strictest
     * hostname's certificate check does not protect it. Also warns about
     * {@code clientCertificate: required} where no client certificate can ever arrive.
     */
    private void hostnameAccess(GatehouseConfig config) {
        HostnameConfig strictest = null;
        HostnameConfig laxest = null;
        for (HostnameConfig h : config.hostnames()) {
            if (strictest == null || strictness(h.clientCertificateMode()) > strictness(strictest.clientCertificateMode())) {
                strictest = h;
            }
            if (laxest == null || strictness(h.clientCertificateMode()) < strictness(laxest.clientCertificateMode())) {
                laxest = h;
            }
        }
        ListenerConfig plain = null;
        for (ListenerConfig l : config.gateway().listeners()) {
            if (!l.tls()) {
                plain = l;
                break;
            }
        }
        for (ApiConfig a : config.apis()) {
            Section s = reader.origins.get(a);
            if (a.clientCertificateRequired()) {
                boolean anyAsks = false;
                for (HostnameConfig h : config.hostnames()) {
                    if ((a.hostnames().isEmpty() || listsHost(a, h.hostName()))
                            && h.clientCertificateMode().requestsCertificate()) {
                        anyAsks = true;
                    }
                }
                if (!anyAsks) {
                    diagnostics.add(s.valuePosition("clientCertificate").warning("api '" + a.id()
                            + "' requires a client certificate, but none of its hostnames asks for one "
                            + "(clientCertificateMode none), so every request to it is refused"));
                }
                continue;
            }
            if (!a.hostnames().isEmpty()) {
                HostnameConfig asks = null;
                for (HostnameConfig h : config.hostnames()) {
                    if (listsHost(a, h.hostName()) && h.clientCertificateMode().requestsCertificate()) {
                        asks = h;
                        break;
                    }
                }
                if (plain != null && asks != null) {
                    diagnostics.add(s.valuePosition("hostnames").warning("api '" + a.id() + "' is also served by the "
                            + "plain-HTTP listener on port " + plain.port() + " to requests whose Host names '"
                            + asks.hostName() + "', with no client certificate at all (add 'clientCertificate: "
                            + "required' to refuse them)"));
                }
                continue;
            }
            if (strictest == null || strictness(strictest.clientCertificateMode()) == 0) {
                continue;
            }
            String lax = null;
            if (plain != null) {
                lax = "the plain-HTTP listener on port " + plain.port() + " (no TLS, no client certificate)";
            } else if (strictness(laxest.clientCertificateMode()) < strictness(strictest.clientCertificateMode())) {
                lax = "hostname '" + laxest.hostName() + "' (clientCertificateMode "
                        + laxest.clientCertificateMode().configName() + ")";
            }
            if (lax != null) {
                diagnostics.add(s.position().warning("api '" + a.id() + "' is served on every hostname, so clients "
                        + "reach it through " + lax + " as well as through hostname '" + strictest.hostName()
                        + "' (clientCertificateMode " + strictest.clientCertificateMode().configName()
                        + "): the stricter hostname's certificate check does not protect it (add 'hostnames: ["
                        + strictest.hostName() + "]' to serve it there only, or 'clientCertificate: required')"));
            }
        }
    }

    private static boolean listsHost(ApiConfig a, String hostName) {
        for (String h : a.hostnames()) {
            if (h.equalsIgnoreCase(hostName)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Warns when a CA certificate that a backend trusts also verifies client certificates on a
     * hostname: a Root one on a hostname that asks for certificates and names no
     * trustedCaCertificateIds, or any one a hostname lists.
     */
    private void scopedTrust(GatehouseConfig config) {
        Map<String, String> backendOf = new java.util.LinkedHashMap<>();
        for (BackendConfig b : config.backends()) {
            for (String id : b.tls().trustedCaCertificateIds()) {
                backendOf.putIfAbsent(id, b.id());
            }
        }
        if (backendOf.isEmpty()) {
            return;
        }
        Set<String> roots = new java.util.HashSet<>();
        for (CaCertificateConfig c : config.caCertificates()) {
            if (c.storeName() == CaCertificateConfig.StoreName.ROOT) {
                roots.add(c.id());
            }
        }
        for (HostnameConfig h : config.hostnames()) {
            if (!h.clientCertificateMode().requestsCertificate()) {
                continue;
            }
            Section s = reader.origins.get(h);
            if (h.trustedCaCertificateIds().isEmpty()) {
                for (Map.Entry<String, String> e : backendOf.entrySet()) {
                    if (roots.contains(e.getKey())) {
                        diagnostics.add(s.valuePosition("hostName").warning("CA certificate '" + e.getKey()
                                + "' is trusted for backend '" + e.getValue() + "' and, as a Root CA certificate, also "
                                + "verifies client certificates on hostname '" + h.hostName() + "': a client "
                                + "certificate it issued passes the handshake and Verify() there (list the CAs of "
                                + "your clients in this hostname's trustedCaCertificateIds)"));
                    }
                }
            } else {
                List<Position> positions = itemPositions(s, null, "trustedCaCertificateIds");
                for (int i = 0; i < h.trustedCaCertificateIds().size(); i++) {
                    String id = h.trustedCaCertificateIds().get(i);
                    String backend = backendOf.get(id);
                    if (backend != null) {
                        Position at = i < positions.size() ? positions.get(i) : s.position();
                        diagnostics.add(at.warning("CA certificate '" + id + "' is trusted for backend '" + backend
                                + "' and also verifies client certificates on hostname '" + h.hostName()
                                + "': a certificate it issued to a backend is accepted from clients there "
                                + "(use separate CAs for backends and clients)"));
                    }
                }
            }
        }
    }

}
