/**
 * GraphQL Code Generator: prints `schema/schema.graphql` from the Pothos schema (committed; `npm run codegen:check`
 * and a test fail when it is stale) and types the client documents in test/graphql/operations.graphql.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';
import { schema } from './schema/index.js';

const config: CodegenConfig = {
  schema: printSchema(schema),
  documents: ['test/graphql/operations.graphql'],
  // Required with module NodeNext: otherwise the generated imports lack `.js` and fail tsc (TS2835).
  emitLegacyCommonJSImports: false,
  generates: {
    'schema/schema.graphql': { plugins: ['schema-ast'] },
    'test/graphql/generated/': { preset: 'client', config: { useTypeImports: true }, presetConfig: { fragmentMasking: false } },
  },
};

export default config;
