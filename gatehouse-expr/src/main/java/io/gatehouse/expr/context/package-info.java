/**
 * The {@code context} object of policy expressions, as APIM documents it: concrete, mutable
 * classes the gateway fills for each request ({@link io.gatehouse.expr.context.PolicyContext},
 * {@link io.gatehouse.expr.context.Request}, {@link io.gatehouse.expr.context.Headers},
 * {@link io.gatehouse.expr.context.X509Certificate2}...). Java accessors use the C# member name in
 * lower camel case ({@code certificate()} for {@code Certificate}); the expression checker maps the
 * C# names to them once, at load time.
 */
package io.gatehouse.expr.context;
