/**
 * graphql-yoga serving the Pothos schema at /graphql. Hardening: CSRF prevention (the plugin — a `csrfPrevention`
 * option to createYoga is silently ignored), depth/alias/token/cost limits, masked internal errors, no batching,
 * offline GraphiQL. Each request gets a fresh context bound to the caller's credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, createYoga, maskError, type Plugin } from 'graphql-yoga';
import { ERROR_CATALOGUE } from '../errors.js';
import { RequestLog, type Logger } from '../logger.js';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { schema } from '../../schema/index.js';
import type { Services } from '../app.js';
import type { CallerCredentials } from '../procedures/procedure.js';
import { rateLimitHeaders } from '../rate-limit/headers.js';
import { requestLogOf, type GraphqlContext, type GraphqlRequestState } from './context.js';
import { renderGraphiqlPage } from './graphiql.js';

/** What the node:http layer passes for each request. */
export interface GraphqlServerContext {
  req: IncomingMessage;
  res: ServerResponse;
  caller: CallerCredentials;
  state: GraphqlRequestState;
  /** The request's id (src/request-id.ts). */
  requestId: string;
}

/**
 * What yoga runs around an operation's execution, for the fast path (fast-path.ts) to run a compiled operation the
 * same way without envelop: the context the resolvers get, and the error masking applied to the result.
 */
export interface GraphqlExecutionParts {
  /** The resolvers' context for one request: the same function yoga's `context` option is given. */
  context(server: Pick<GraphqlServerContext, 'caller' | 'state' | 'requestId'>): GraphqlContext;
  /**
   * Masks one error of a result, exactly as yoga's `maskedErrors` does (envelop's useMaskedErrors with yoga's
   * wrapper: an error this function returned is passed through, any other goes to `maskUnexpected`).
   */
  maskError(error: unknown): Error;
}

const executionParts = new WeakMap<object, GraphqlExecutionParts>();

/** The execution parts `yoga` was created with (by createGraphqlHandler). */
export function graphqlExecutionParts(yoga: object): GraphqlExecutionParts {
  const parts = executionParts.get(yoga);
  if (!parts) throw new Error('not a yoga instance made by createGraphqlHandler');
  return parts;
}

/** Writes the caller's rate-limit state on every authenticated GraphQL reply. */
function useRateLimitHeaders(): Plugin<Record<string, unknown>, GraphqlServerContext> {
  return {
    onResponse({ response, serverContext }) {
      const state = serverContext?.state?.rateLimit;
      if (!state) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(state))) response.headers.set(name, value);
    },
  };
}

/**
 * Static limits checked before a document runs (graphql-armor). The service's own documents are far below them
 * (test/graphql/operations.graphql: depth ≤ 3, cost ≤ 30, < 100 tokens); what they bound is abuse.
 */
export const ARMOR_LIMITS = {
  /**
   * Counted through fragments. The `__schema` introspection query is exempt (armor's default: GraphiQL's and
   * codegen's query is 15 levels deep); its one unbounded path, `fields { type { fields … } } }`, is already capped
   * by graphql-js's own MaxIntrospectionDepthRule (3 levels), which yoga runs with the standard rules.
   */
  maxDepth: { n: 10, flattenFragments: true },
  /** `__typename` aliases are free (armor's default allow-list): clients use them for union handling. */
  maxAliases: { n: 20 },
  /** Bounds parsing work before anything else runs; also caps how many times a field can be repeated. */
  maxTokens: { n: 2000 },
  maxDirectives: { n: 20 },
  /**
   * armor's cost model (object 2, scalar 1, ×1.5 per level). `__schema` introspection is left out (the model makes
   * the full introspection query cost ~15,000); graphql-js's introspection depth rule bounds it instead.
   */
  costLimit: { maxCost: 1000, flattenFragments: true },
  blockFieldSuggestion: { enabled: true },
} as const;

/** The message every unexpected error is replaced with (yoga's own default wording). */
export const MASKED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * The body-size limit REST applies (`MAX_BODY_BYTES`, answered 413 / 100001), for GraphQL too: a declared length
 * over the limit is refused before anything is read; a chunked body is counted as it streams and cut off at the
 * limit, so yoga never buffers more than that.
 */
function useBodyLimit(maxBytes: number): Plugin<Record<string, unknown>, GraphqlServerContext> {
  const { code, message } = ERROR_CATALOGUE.BODY_TOO_LARGE;
  const tooLarge = () =>
    createGraphQLError(`${message}: the limit is ${maxBytes} bytes`, {
      extensions: { code: 'BAD_REQUEST', errorCode: code, http: { status: 413, headers: { connection: 'close' } } },
    });
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser || request.body === null) return;
      const declared = Number(request.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
      setRequestParser(async (original) => {
        const body = await readLimited(original, maxBytes, tooLarge);
        return requestParser(new Request(original.url, { method: original.method, headers: original.headers, body }));
      });
    },
  };
}

async function readLimited(request: Request, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array<ArrayBuffer>> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Masks every error that is not one of ours (a GraphQLError built on purpose: ours from the catalogue, yoga's and
 * graphql-js's for malformed requests): the caller sees only "Unexpected error.", never a message, a stack or a
 * provider's text; the log keeps the (scrubbed) original. `isDev: false` always: yoga's development mode would put
 * the original message and stack in `extensions`. Yoga's own request errors carry `extensions.originalError` (for
 * invalid JSON, V8's message quotes the body, which may hold a credential): its message is dropped. An error a
 * procedure threw is logged with its request's id, which the masked error carries in `extensions.requestId` for the
 * caller to quote.
 */
function maskUnexpected(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const masked = maskError(error, message, false);
    if (masked !== error) {
      const original = (error as { originalError?: unknown }).originalError ?? error;
      const request = requestLogOf(original);
      (request ?? logger).error({ err: original }, 'unexpected GraphQL error');
      // The extensions object is the one maskError just made for this error.
      if (request) (masked as GraphQLError).extensions.requestId = request.requestId;
      return masked;
    }
    const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
    const original = extensions?.originalError as { name?: unknown; message?: unknown } | undefined;
    if (original && typeof original === 'object' && 'message' in original) {
      // Keep the field (yoga reads its presence to answer 400 rather than 200), drop the message. yoga's own
      // createGraphQLError: graphql's CommonJS and ESM builds are different classes, and yoga checks for its own.
      return createGraphQLError((error as Error).message, { extensions: { ...extensions, originalError: { name: original.name } } });
    }
    return masked;
  };
}

export function createGraphqlHandler(services: Services) {
  const context = ({ caller, state, requestId }: Pick<GraphqlServerContext, 'caller' | 'state' | 'requestId'>): GraphqlContext => ({
    services,
    caller,
    state,
    logger: new RequestLog(services.logger, requestId),
  });
  const mask = maskUnexpected(services.logger);
  // yoga's wrapper around `maskError` (graphql-yoga server.ts): an error it produced is never masked twice. Its
  // logging of a masked error goes to yoga's logger, which `logging: false` silences; maskUnexpected logs it.
  const masked = new WeakSet<object>();
  const maskOnce = (error: unknown, message: string): Error => {
    if (masked.has(error as object)) return error as Error;
    const result = mask(error, message);
    masked.add(result);
    return result;
  };
  const yoga = createYoga<GraphqlServerContext, GraphqlContext>({
    schema,
    graphqlEndpoint: '/graphql',
    context,
    graphiql: { title: 'DNS gateway' },
    renderGraphiQL: (options) => renderGraphiqlPage({ title: options?.title, endpoint: '/graphql' }),
    landingPage: false,
    batching: false,
    logging: false,
    maskedErrors: { maskError: (error, message) => maskOnce(error, message), errorMessage: MASKED_ERROR_MESSAGE, isDev: false },
    plugins: [
      useBodyLimit(services.config.MAX_BODY_BYTES),
      // Browsers' "simple" requests (GET, form posts) must carry one of these headers: GraphiQL and real clients
      // send JSON with content-type, which is not simple, so they are unaffected.
      useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'authorization', 'apollo-require-preflight'] }),
      EnvelopArmorPlugin(ARMOR_LIMITS),
      useRateLimitHeaders(),
    ],
  });
  executionParts.set(yoga, { context, maskError: (error) => maskOnce(error, MASKED_ERROR_MESSAGE) });
  return yoga;
}
