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
            if (h.clientCertificateMode().verifiesInHandshake() && reader.declaredRoots == 0) {
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
                        }
                    });
                }
            }
            List<Position> caPositions = itemPositions(s, "tls", "trustedCaCertificateIds");
            List<String> trusted = b.tls().trustedCaCertificateIds();
            for (int i = 0; i < trusted.size(); i++) {
                String id = trusted.get(i);
                Position at = i < caPositions.size() ? caPositions.get(i) : s.position();
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
    }

    private static List<Position> itemPositions(Section s, String sub, String key) {
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
        for (ApiConfig a : config.apis()) {
            if (a.backendId() != null && !reader.declaredBackends.contains(a.backendId())) {
                diagnostics.add(reader.origins.get(a).valuePosition("backendId").error("unknown backend '" + a.backendId()
                        + "'" + Suggestions.didYouMean(a.backendId(), reader.declaredBackends)));
            }
        }
    }

}
