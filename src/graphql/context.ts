/**
 * The GraphQL context: what a resolver needs to run a procedure for this request. Resolvers call `run` and nothing
 * else, so GraphQL goes through exactly the same middleware (auth, rate limit, permission) and handlers as REST.
 */
import { GraphQLError } from 'graphql';
import { AppError, isAppError } from '../errors.js';
import { runProcedure, type CallContext, type CallerCredentials, type Procedure, type RateLimitState } from '../procedures/procedure.js';
import type { Services } from '../app.js';
import type { RequestLog } from '../logger.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';

/** Shared with the HTTP layer so it can write `RateLimit-*` headers after the operation. */
export interface GraphqlRequestState {
  rateLimit?: RateLimitState;
}

export interface GraphqlContext {
  readonly services: Services;
  readonly caller: CallerCredentials;
  readonly state: GraphqlRequestState;
  /** The request's logger; its `requestId` is the request's id. */
  readonly logger: RequestLog;
}

/** Unexpected errors a procedure threw, with the request they were thrown in: read when they are masked. */
const requestOfError = new WeakMap<object, RequestLog>();

/** The logger of the request `error` was thrown in by a procedure (`runForGraphql`); undefined for any other error. */
export function requestLogOf(error: unknown): RequestLog | undefined {
  return typeof error === 'object' && error !== null ? requestOfError.get(error) : undefined;
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
  const call: CallContext = { services: ctx.services, caller: ctx.caller, transport: 'graphql', requestId: ctx.logger.requestId, logger: ctx.logger };
  let output: MaybePromise<Output>;
  try {
    output = runProcedure(procedure, input, call);
  } catch (error) {
    return failed(ctx, call, procedure.name, error);
  }
  if (isPromise(output)) {
    return output.then(
      (done) => succeeded(ctx, call, procedure.name, done),
      (error: unknown) => failed(ctx, call, procedure.name, error),
    );
  }
  return succeeded(ctx, call, procedure.name, output);
}

function succeeded<Output>(ctx: GraphqlContext, call: CallContext, command: string, output: Output): Output {
  if (call.rateLimit) ctx.state.rateLimit = call.rateLimit;
  ctx.services.metrics.procedureCall('graphql', command, 'ok');
  return output;
}

function failed(ctx: GraphqlContext, call: CallContext, command: string, error: unknown): DnsErrorShape {
  if (call.rateLimit) ctx.state.rateLimit = call.rateLimit;
  ctx.services.metrics.procedureCall('graphql', command, isAppError(error) ? error.primary.key : 'INTERNAL_ERROR');
  if (!isAppError(error)) {
    // Masked later, without the context (yoga's maskError): remembered so that its log line and masked error name
    // the request.
    if (typeof error === 'object' && error !== null) requestOfError.set(error, ctx.logger);
    throw error;
  }
  if (error.graphqlKind === 'DNS_ERROR') return { __typename: 'DnsError', code: error.primary.code, message: error.primary.message };
  throw toGraphqlError(error, ctx.logger.requestId);
}

/** Our own failures (HTTP 500) carry the request's id, as masked errors do, for the caller to quote. */
function toGraphqlError(error: AppError, requestId: string): GraphQLError {
  const retryAfter = error.extra.RetryAfter;
  return new GraphQLError(error.primary.message, {
    extensions: {
      code: error.graphqlKind,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(error.httpStatus === 500 ? { requestId } : {}),
      http: {
        status: error.httpStatus,
        ...(retryAfter !== undefined ? { headers: { 'Retry-After': String(retryAfter) } } : {}),
      },
    },
  });
}
