package io.gatehouse.policy;

import graphql.GraphQLError;
import graphql.language.SourceLocation;
import graphql.parser.InvalidSyntaxException;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.TypeDefinitionRegistry;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.schema.idl.errors.SchemaProblem;
import io.gatehouse.common.Diagnostics;
import io.gatehouse.common.SourceText;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A GraphQL API's schema, read from its SDL file ({@code apis[].graphql.schema}) once at load, for
 * {@code validate-graphql-request}. The schema is only validated against, never executed: custom
 * scalars accept any value of the right literal shape.
 *
 * @param name the SDL file as shown in diagnostics
 * @param schema the parsed and checked schema
 */
public record GraphqlApiSchema(String name, GraphQLSchema schema) {
    public GraphqlApiSchema {
        requireNonNull(name, "name");
        requireNonNull(schema, "schema");
    }

    /**
     * Parses and checks an SDL document. Syntax errors and schema errors (unknown types, a missing
     * query type, duplicate definitions...) go to {@code d} at their file:line:col; returns null
     * when there was any.
     */
    public static GraphqlApiSchema parse(SourceText sdl, Diagnostics d) {
        d.source(sdl);
        try {
            TypeDefinitionRegistry registry = new SchemaParser().parse(sdl.text());
            return new GraphqlApiSchema(sdl.name(), UnExecutableSchemaGenerator.makeUnExecutableSchema(registry));
        } catch (SchemaProblem p) {
            report(sdl.name(), p.getErrors(), d);
        } catch (InvalidSyntaxException e) {
            SourceLocation at = e.getLocation();
            d.error(sdl.name(), at == null ? 0 : at.getLine(), at == null ? 0 : at.getColumn(),
                    "GraphQL schema: " + e.getMessage());
        } catch (RuntimeException e) { // graphql-java reports some schema faults as plain exceptions
            d.error(sdl.name(), 0, 0, "GraphQL schema: " + e.getMessage() + " (expected a GraphQL SDL document with a Query type)");
        }
        return null;
    }

    private static void report(String file, List<GraphQLError> errors, Diagnostics d) {
        if (errors.isEmpty()) {
            d.error(file, 0, 0, "GraphQL schema: the schema is not valid");
        }
        for (GraphQLError e : errors) {
            List<SourceLocation> locations = e.getLocations();
            SourceLocation at = locations == null || locations.isEmpty() ? null : locations.get(0);
            d.error(file, at == null ? 0 : at.getLine(), at == null ? 0 : at.getColumn(),
                    "GraphQL schema: " + e.getMessage());
        }
    }
}
