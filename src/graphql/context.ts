/**
 * The GraphQL context: what a resolver needs to run a procedure for this request. Resolvers call `run` and nothing
 * else, so GraphQL goes through exactly the same middleware (auth, rate limit, permission) and handlers as REST.
 */
import { GraphQLError } from 'graphql';
import { AppError, isAppError } from '../errors.js';
import { runProcedure, type CallContext, type CallerCredentials, type Procedure, type RateLimitState } from '../procedures/procedure.js';
import type { Services } from '../app.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

/** Shared with the HTTP layer so it can write `RateLimit-*` headers after the operation. */
export interface GraphqlRequestState {
  rateLimit?: RateLimitState;
}

export interface GraphqlContext {
  readonly services: Services;
  readonly caller: CallerCredentials;
  readonly state: GraphqlRequestState;
}

/** A failure the schema shows as a `DnsError` union member rather than a GraphQL error. */
export interface DnsErrorShape {
  readonly __typename: 'DnsError';
  readonly code: number;
  readonly message: string;
}

/**
 * Runs a procedure for a resolver. Expected command failures come back as a `DnsError` value; caller-identity and
 * limit failures become GraphQL errors carrying `extensions.code` and the HTTP status (401/403/429). A procedure that
 * answers synchronously is answered synchronously (graphql-jit and graphql-js take a resolver's plain value without a
 * tick); one that waits gives a promise.
 */
export function runForGraphql<Input, Output>(
  ctx: GraphqlContext,
  procedure: Procedure<Input, Output>,
  input: unknown,
): MaybePromise<Output | DnsErrorShape> {
  const call: CallContext = { services: ctx.services, caller: ctx.caller, transport: 'graphql' };
  let output: MaybePromise<Output>;
  try {
    output = runProcedure(procedure, input, call);
  } catch (error) {
    return failed(ctx, call, error);
  }
  if (isPromise(output)) {
    return output.then(
      (done) => succeeded(ctx, call, done),
      (error: unknown) => failed(ctx, call, error),
    );
  }
  return succeeded(ctx, call, output);
}

function succeeded<Output>(ctx: GraphqlContext, call: CallContext, output: Output): Output {
  if (call.rateLimit) ctx.state.rateLimit = call.rateLimit;
  return output;
}

function failed(ctx: GraphqlContext, call: CallContext, error: unknown): DnsErrorShape {
  if (call.rateLimit) ctx.state.rateLimit = call.rateLimit;
  if (!isAppError(error)) throw error;
  if (error.graphqlKind === 'DNS_ERROR') return { __typename: 'DnsError', code: error.primary.code, message: error.primary.message };
  throw toGraphqlError(error);
}

function toGraphqlError(error: AppError): GraphQLError {
  const retryAfter = error.extra.RetryAfter;
  return new GraphQLError(error.primary.message, {
    extensions: {
      code: error.graphqlKind,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      http: {
        status: error.httpStatus,
        ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
      },
    },
  });
}
