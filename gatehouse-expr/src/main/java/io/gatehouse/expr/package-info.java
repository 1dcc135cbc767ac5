/**
 * APIM policy expressions: a C# subset inside {@code @( ... )} and {@code @{ ... }}, compiled once
 * when a policy loads and evaluated per request.
 *
 * <p>Use {@link io.gatehouse.expr.ExpressionCompiler#compile} with the expression text, the
 * position of its '@' in the policy file and the type the caller needs; evaluate the returned
 * {@link io.gatehouse.expr.CompiledExpression} with a {@link io.gatehouse.expr.context.PolicyContext}.
 *
 * <p>Where Gatehouse knowingly differs from APIM:
 * <ul>
 *   <li>Formatting uses the invariant culture ({@code DateTime.ToString()} prints
 *       {@code MM/dd/yyyy HH:mm:ss}); the gateway's local time zone is UTC, so {@code DateTime.Now}
 *       and certificate NotBefore/NotAfter (Local kind in .NET) hold UTC wall time.</li>
 *   <li>A body read without {@code preserveContent: true} is consumed; reading it again gives an
 *       empty body, as on APIM.</li>
 *   <li>{@code context.Variables[...]} and other values of unknown type behave like C#
 *       {@code dynamic}: members and operators on them are resolved when the expression runs, and
 *       a mismatch fails with a RuntimeBinder-style message.</li>
 *   <li>Regex uses Java's engine; .NET syntax for groups, classes and {@code $1} replacements
 *       carries over, RegexOptions combine one at a time.</li>
 * </ul>
 *
 * @see <a href="https://learn.microsoft.com/azure/api-management/api-management-policy-expressions">APIM policy expressions</a>
 */
package io.gatehouse.expr;
