/**
 * API definitions (from OpenAPI documents) as the policies bound to them read them: operations,
 * parameters, request bodies and responses with their JSON schemas. Built by gatehouse-config at
 * load; never changed afterwards.
 */
package io.gatehouse.policy.api;
