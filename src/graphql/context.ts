/**
 * The GraphQL context: what a resolver needs to run a procedure for this request. Resolvers call `run` and nothing
 * else, so GraphQL goes through exactly the same middleware (auth, rate limit, permission) and handlers as REST.
 */
import { GraphQLError } from 'graphql';
import { AppError, isAppError } from '../errors.js';
import { runProcedure, type CallContext, type CallerCredentials, type Procedure, type RateLimitState } from '../procedures/procedure.js';
import type { Services } from '../app.js';

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
 * limit failures become GraphQL errors carrying `extensions.code` and the HTTP status (401/403/429).
 */
export async function runForGraphql<Input, Output>(
  ctx: GraphqlContext,
  procedure: Procedure<Input, Output>,
  input: unknown,
): Promise<Output | DnsErrorShape> {
  const call: CallContext = { services: ctx.services, caller: ctx.caller, transport: 'graphql' };
  try {
    const output = await runProcedure(procedure, input, call);
    ctx.services.metrics.procedureCall('graphql', procedure.name, 'ok');
    return output;
  } catch (error) {
    ctx.services.metrics.procedureCall('graphql', procedure.name, isAppError(error) ? error.primary.key : 'INTERNAL_ERROR');
    if (!isAppError(error)) throw error;
    if (error.graphqlKind === 'DNS_ERROR') return { __typename: 'DnsError', code: error.primary.code, message: error.primary.message };
    throw toGraphqlError(error);
  } finally {
    if (call.rateLimit) ctx.state.rateLimit = call.rateLimit;
  }
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
