/**
 * Certificate names and fingerprints as .NET (and so APIM policies) write them: see
 * {@link io.gatehouse.common.x509.DotNetNames}. JDK only, so every module can use it.
 */
package io.gatehouse.common.x509;
