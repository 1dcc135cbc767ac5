/**
 * APIM policy documents: read, checked at load, composed across scopes, executed per request.
 *
 * <p>How the gateway uses it, once per config load:
 * <pre>{@code
 * PolicyEngine engine = new PolicyEngine(PolicyEnvironment.builder()
 *         .namedValue("trusted-thumbprint", "6DE3...")          // {{name}} in policies
 *         .fragment("verify-client", SourceText.read(path, "policies/verify-client.xml"))
 *         .keyPair("backend-client-cert", keyMaterial)          // authentication-certificate
 *         .certificate("client-ca-root", caCert)                // identity issuer-certificate-id
 *         .backendId("patients-backend")                        // set-backend-service backend-id
 *         .chainCheck(ChainCheck.of(caStore, revocationMode)    // validate-client-certificate trust/revocation
 *                 .cached(Duration.ofMinutes(1), 10_000))
 *         .build());
 * Diagnostics d = new Diagnostics();
 * engine.checkFragments(d);                                       // fragment XML problems land in d
 * PolicyDocument global = engine.parse(globalXml, Scope.GLOBAL, d);
 * PolicyDocument api = engine.parse(apiXml, Scope.API, d);
 * EffectivePolicy policy = engine.compose(global, api, null, d);   // per operation; nulls allowed
 * }</pre>
 * and per request:
 * <pre>{@code
 * Exchange exchange = new Exchange(policyContext).backendId(api.backendId());
 * policy.execute(exchange, forwarder).thenRun(() -> write(policyContext.response(), exchange));
 * }</pre>
 * {@link io.gatehouse.policy.EffectivePolicy#execute} never completes exceptionally: failures
 * become {@code context.LastError}, run {@code on-error}, and leave an APIM-style JSON error in
 * {@code context.Response}. The forwarder calls the backend chosen by
 * {@link io.gatehouse.policy.Exchange#backendId()} / {@link io.gatehouse.policy.Exchange#baseUrl()},
 * presenting {@link io.gatehouse.policy.Exchange#clientCertificate()} when a policy set one.
 *
 * <p>Each policy element is one class in {@code io.gatehouse.policy.elements} exposing a
 * {@link io.gatehouse.policy.spi.PolicyType}; see {@link io.gatehouse.policy.spi.PolicyRegistry}.
 */
package io.gatehouse.policy;
