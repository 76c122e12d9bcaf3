/**
 * The Pothos builder and its plugins. It defines no types (each schema file defines its own domain object with its
 * root fields). Authentication, permissions, rate limits and input validation are not plugins here: they belong to
 * the procedures, which REST shares, so GraphQL cannot drift from REST.
 */
import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import type { GraphqlContext } from '../src/graphql/context.js';

export const builder = new SchemaBuilder<{
  Context: GraphqlContext;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  plugins: [ComplexityPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  complexity: {
    // Lists here are short (a plan's changes); the default multiplier of 10 overstates them.
    defaultListMultiplier: 2,
    limit: { complexity: 200, depth: 8, breadth: 60 },
  },
});

builder.queryType({});
builder.mutationType({});
