/**
 * Implementation: {@code Lexer} and {@code Parser} build the {@code Ast}; {@code Compiler} checks it
 * against {@code Library} (member tables filled by {@code LibContext}, {@code LibStrings},
 * {@code LibTypes}) and emits closures; {@code Evaluator} runs them. Not an API.
 */
package io.gatehouse.expr.internal;
