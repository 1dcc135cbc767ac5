/**
 * The .NET value types policy expressions return to Java: {@link io.gatehouse.expr.lib.DateTime},
 * {@link io.gatehouse.expr.lib.TimeSpan}, {@link io.gatehouse.expr.lib.Guid}, the Newtonsoft-like
 * JSON model ({@link io.gatehouse.expr.lib.JToken} and subclasses) and .NET formatting
 * ({@link io.gatehouse.expr.lib.Dotnet}).
 */
package io.gatehouse.expr.lib;
