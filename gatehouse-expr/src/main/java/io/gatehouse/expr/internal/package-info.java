/**
 * Implementation: {@code Lexer} and {@code Parser} build the {@code Ast}; {@code Checker} checks it
 * against {@code Library} (member tables filled by {@code LibContext}, {@code LibStrings},
 * {@code LibTypes}) into the {@code Checked} tree; {@code Planner} turns that into closures;
 * {@code Evaluator} runs them. Not an API.
 */
package io.gatehouse.expr.internal;
