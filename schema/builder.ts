/**
 * The Pothos builder and its plugins. It defines no types (each schema file defines its own domain object with its
 * root fields). Authentication, permissions, rate limits and input validation are not plugins here: they belong to
 * the procedures, which REST shares, so GraphQL cannot drift from REST.
 *
 * Query cost is bounded by graphql-armor's validation rules (src/graphql/yoga.ts: depth, cost, aliases, tokens,
 * directives), checked once per document since validation results are cached. @pothos/plugin-complexity did the same
 * job a second time, recomputing the document's complexity inside every execution: 12–14 % of executing the cached
 * `dnsProvider` query (measured with graphql-js `execute` in a loop), for limits the armor rules already enforce.
 */
import SchemaBuilder from '@pothos/core';
import type { GraphqlContext } from '../src/graphql/context.js';

export const builder = new SchemaBuilder<{
  Context: GraphqlContext;
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
