/**
 * Implementation: {@code Lexer} and {@code Parser} build the {@code Ast}; {@code Checker} checks it
 * against {@code Library} (member tables filled by the {@code Ns*} classes, one per .NET namespace
 * they model, and {@code NsApim} for APIM's own members) into the {@code Checked} tree; {@code Planner} turns that into closures;
 * {@code Evaluator} runs them. Not an API.
 */
package io.gatehouse.expr.internal;
