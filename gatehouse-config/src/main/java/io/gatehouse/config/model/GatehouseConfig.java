package io.gatehouse.config.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The config file as the user wrote it, after {@code ${env:}} / {@code ${file:}} substitution and
 * with relative paths resolved against the config file's folder. Every entity keeps the
 * {@link io.gatehouse.common.Position} it came from so later checks can point at it.
 *
 * <p>Materialised values (keys, certificates, compiled policies) live in
 * {@link io.gatehouse.config.LoadedConfig}, not here.
 */
public record GatehouseConfig(
        Path file,
        GatewaySettings gateway,
        List<HostnameConfig> hostnames,
        List<CaCertificateConfig> caCertificates,
        List<CertificateConfig> certificates,
        List<NamedValueConfig> namedValues,
        List<FragmentConfig> fragments,
        List<BackendConfig> backends,
        PolicyRef globalPolicy,
        List<ApiConfig> apis,
        List<ProductConfig> products,
        List<SubscriptionConfig> subscriptions) {

    public GatehouseConfig {
        hostnames = List.copyOf(hostnames);
        caCertificates = List.copyOf(caCertificates);
        certificates = List.copyOf(certificates);
        namedValues = List.copyOf(namedValues);
        fragments = List.copyOf(fragments);
        backends = List.copyOf(backends);
        apis = List.copyOf(apis);
        products = products == null ? List.of() : List.copyOf(products);
        subscriptions = subscriptions == null ? List.of() : List.copyOf(subscriptions);
    }

    /** A config without products or subscriptions. */
    public GatehouseConfig(Path file, GatewaySettings gateway, List<HostnameConfig> hostnames,
            List<CaCertificateConfig> caCertificates, List<CertificateConfig> certificates,
            List<NamedValueConfig> namedValues, List<FragmentConfig> fragments, List<BackendConfig> backends,
            PolicyRef globalPolicy, List<ApiConfig> apis) {
        this(file, gateway, hostnames, caCertificates, certificates, namedValues, fragments, backends, globalPolicy, apis,
                List.of(), List.of());
    }

    public Optional<ProductConfig> product(String id) {
        return products.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    public Optional<ApiConfig> api(String id) {
        return apis.stream().filter(a -> a.id().equals(id)).findFirst();
    }

    public Optional<BackendConfig> backend(String id) {
        return backends.stream().filter(b -> b.id().equals(id)).findFirst();
    }

    public Optional<CertificateConfig> certificate(String id) {
        return certificates.stream().filter(c -> c.id().equals(id)).findFirst();
    }
}
