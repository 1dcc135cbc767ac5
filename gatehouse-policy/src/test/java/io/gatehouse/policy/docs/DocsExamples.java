package io.gatehouse.policy.docs;

import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;
import io.gatehouse.policy.EffectivePolicy;
import io.gatehouse.policy.PolicyDocument;
import io.gatehouse.policy.PolicyEngine;
import io.gatehouse.policy.PolicyEnvironment;
import io.gatehouse.policy.Scope;
import io.gatehouse.tls.Pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The examples from APIM's policy reference pages, stored under {@code apim-docs/<policy>/<n>.xml}
 * (see {@code apim-docs/SOURCES.md}), and the config a user would write around them: the named
 * values, fragment, certificates and backend the examples refer to by name.
 */
final class DocsExamples {
    /** The HMAC key behind the {@code {{jwt-signing-key}}} named value of the validate-jwt examples. */
    static final byte[] JWT_SIGNING_KEY = "apim-docs-example-signing-key-32".getBytes(StandardCharsets.US_ASCII);

    /** The RSA certificate declared as {@code my-rsa-cert} (validate-jwt's "Token validation with RSA certificate"). */
    static final Pki.Issued RSA_SIGNING = Pki.ca("CN=Example token signer", Instant.now().minusSeconds(3600),
            Instant.now().plus(Duration.ofDays(1)), Pki.KeyAlgorithm.RSA_2048);

    /** The client certificate declared as {@code 544fe9ddf3b8f30fb490d90f} (authentication-certificate's first example). */
    static final Pki.Issued BACKEND_CLIENT = Pki.issue(Pki.ca("CN=Example backend client CA", Duration.ofDays(1)),
            Pki.IssueRequest.client("CN=gateway-client"));

    static final PolicyEnvironment ENVIRONMENT = PolicyEnvironment.builder()
            .outboundHttp(io.gatehouse.policy.TestOutboundHttp.INSTANCE)
            .namedValue("jwt-signing-key", Base64.getEncoder().encodeToString(JWT_SIGNING_KEY))
            .namedValue("aad-tenant-id", "contoso.onmicrosoft.com")
            .namedValue("aad-client-application-id", "00001111-aaaa-2222-bbbb-3333cccc4444")
            .fragment("myFragment", new SourceText("myFragment.xml", """
                    <fragment>
                        <set-header name="x-from-fragment" exists-action="override"><value>myFragment</value></set-header>
                    </fragment>"""))
            .keyPair("544fe9ddf3b8f30fb490d90f", BACKEND_CLIENT.keyMaterial())
            .certificate("my-rsa-cert", RSA_SIGNING.certificate())
            .backendId("my-sf-service")
            // the validation policies' examples check messages against an API's OpenAPI definition
            .apiDefinition(new io.gatehouse.policy.api.ApiDefinition("echo-api", "echo-api.openapi.json",
                    io.gatehouse.policy.api.ApiDefinition.Dialect.OPENAPI_3_0,
                    com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(),
                    java.util.List.of(new io.gatehouse.policy.api.OperationDefinition("get-echo", "GET", "/echo", java.util.List.of(), null,
                            java.util.Map.of("200", new io.gatehouse.policy.api.ResponseDefinition("200", java.util.Map.of(), java.util.Map.of()))))))
            .build();

    private DocsExamples() {
    }

    /** One stored example: {@code policy} is its directory (the page's policy), {@code number} its file name. */
    record Example(String policy, int number) {
        String id() {
            return policy + "/" + number;
        }

        String resource() {
            return "apim-docs/" + policy + "/" + number + ".xml";
        }

        String text() {
            try {
                return Files.readString(root().resolve(policy).resolve(number + ".xml"), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return id();
        }
    }

    /** The directory holding the examples on the test classpath. */
    static Path root() {
        URL url = DocsExamples.class.getClassLoader().getResource("apim-docs");
        assertThat(url).as("apim-docs on the test classpath").isNotNull();
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every stored example, by policy name then number. */
    static List<Example> all() {
        List<Example> out = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root())) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.list(dir)) {
                    files.map(f -> f.getFileName().toString())
                            .filter(n -> n.matches("\\d+\\.xml"))
                            .forEach(n -> out.add(new Example(dir.getFileName().toString(), Integer.parseInt(n.replace(".xml", "")))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparing(Example::policy).thenComparingInt(Example::number));
        return out;
    }

    /** A fresh engine over {@link #ENVIRONMENT} (fresh, so rate-limit and quota counters start at zero). */
    static PolicyEngine engine() {
        return new PolicyEngine(ENVIRONMENT);
    }

    /** Policies APIM allows only in the global ("All APIs") policy: their examples are read at that scope. */
    private static final java.util.Set<String> GLOBAL_ONLY = java.util.Set.of("cross-domain");

    /** Reads one example at API scope (global scope for global-only policies) into {@code d}. */
    static PolicyDocument parse(PolicyEngine engine, Example e, Diagnostics d) {
        return engine.parse(new SourceText(e.resource(), e.text()), GLOBAL_ONLY.contains(e.policy()) ? Scope.GLOBAL : Scope.API, d);
    }

    /** The example as it would run for one API operation; fails the test when it does not load. */
    static EffectivePolicy compile(String policy, int number) {
        Example e = new Example(policy, number);
        PolicyEngine engine = engine();
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = parse(engine, e, d);
        assertThat(d.hasErrors()).as("%s must load:%n%s", e, d.render()).isFalse();
        return engine.compose(null, doc, null, d);
    }

    /** True when the example loads without errors (false while Gatehouse refuses it). */
    static boolean loads(String policy, int number) {
        Diagnostics d = new Diagnostics();
        parse(engine(), new Example(policy, number), d);
        return !d.hasErrors();
    }

    /** Like {@link #compile(String, int)}, for a document whose text the caller has derived from an example. */
    static EffectivePolicy compileText(String name, String xml) {
        PolicyEngine engine = engine();
        Diagnostics d = new Diagnostics();
        PolicyDocument doc = engine.parse(new SourceText(name, xml), Scope.API, d);
        assertThat(d.hasErrors()).as("%s must load:%n%s", name, d.render()).isFalse();
        return engine.compose(null, doc, null, d);
    }
}
