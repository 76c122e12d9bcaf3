/**
 * `useCompiledExecution()`: runs an operation through the function graphql-jit compiled for its document, when the
 * GraphQL fast path hands one over (`compiled` in the server context), instead of the generic executor. Same
 * schema, same resolvers, and the same envelop hooks around the call (error masking, and whatever plugin comes
 * later): only the walk over the selection set is generated code, which is where the generic executor spent its
 * time (per-field path objects, promise helpers, field collection on every request; bench/README.md).
 *
 * Nothing else changes: yoga's own pipeline (GET, GraphiQL, chunked or multipart bodies) never sets `compiled`, so
 * it executes exactly as before. The compiled function is used only for the very document it was compiled from.
 */
import type { DocumentNode } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { makeExecute, type Plugin } from 'graphql-yoga';

/** What the fast path puts in the server context for an operation it compiled. */
export interface CompiledOperation {
  readonly document: DocumentNode;
  readonly query: CompiledQuery;
}

export interface CompiledExecutionContext {
  compiled?: CompiledOperation;
}

export function useCompiledExecution(): Plugin<CompiledExecutionContext> {
  const execute = makeExecute((args) => {
    const { query } = (args.contextValue as CompiledExecutionContext).compiled!;
    return query.query(args.rootValue, args.contextValue, args.variableValues);
  });
  return {
    onExecute({ args, setExecuteFn }) {
      const compiled = (args.contextValue as CompiledExecutionContext | undefined)?.compiled;
      if (compiled && compiled.document === args.document) setExecuteFn(execute);
    },
  };
}
