/**
 * The GraphQL fast path: a well-formed `POST /graphql` with a JSON body, served straight on node:http, without
 * yoga's Fetch-API request pipeline (per-request Request/AbortSignal/stream objects), which measured as most of the
 * cost of a small operation (bench/README.md).
 *
 * Document-level work is done once per document, through yoga's own enveloped `parse` and `validate` (so with every
 * plugin's rules: graphql-armor's limits, yoga's caches), and remembered: the verdict depends on nothing else. A
 * document used `compileAfterUses` times is compiled with graphql-jit, and from then on a request runs only what
 * differs per request: the resolvers' context (the one yoga's `context` option builds), the compiled function, yoga's
 * error masking on the result, the status and headers yoga's rules give (error.ts, stringify.ts), and the reply.
 * Before it is compiled, a document runs through yoga's envelop plugin stack (context and execute hooks), as yoga
 * would run it. test/graphql-fast-path.test.ts holds both to yoga's own answers.
 *
 * Only the common, valid case takes it. Anything else (GET, other content types, batching, invalid JSON, a parse or
 * validation error, a subscription, variables that do not coerce) goes to yoga itself with the body already read, so
 * every edge case keeps yoga's exact behaviour and status codes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { YogaServerInstance } from 'graphql-yoga';
import { boundedMemo } from '../bounded-memo.js';
import { isAppError } from '../errors.js';
import { readRequestBody } from '../rest/params.js';
import { endReply } from '../reply-batch.js';
import { withRequestId } from '../request-id.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { pushRateLimitHeaders } from '../rate-limit/headers.js';
import type { CallerCredentials } from '../procedures/procedure.js';
import type { GraphqlContext, GraphqlRequestState } from './context.js';
import { graphqlExecutionParts, type GraphqlServerContext } from './yoga.js';

type Yoga = YogaServerInstance<GraphqlServerContext, GraphqlContext>;

interface GraphqlParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

/** JSON bodies, without a charset other than UTF-8. */
const JSON_CONTENT_TYPE = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;

/** Clients that ask for plain JSON (or anything): the `application/graphql-response+json` rules are yoga's. */
function acceptsPlainJson(accept: string | undefined): boolean {
  return accept === undefined || accept === '*/*' || /^application\/json\s*(;[^,]*)?$/i.test(accept);
}

/** True when this request may take the fast path (decided from the headers alone, before the body is read). */
export function qualifiesForFastPath(req: IncomingMessage): boolean {
  return (
    req.method === 'POST' &&
    JSON_CONTENT_TYPE.test(req.headers['content-type'] ?? '') &&
    req.headers['content-length'] !== undefined &&
    req.headers['content-encoding'] === undefined &&
    acceptsPlainJson(req.headers.accept)
  );
}

function asParams(body: unknown): GraphqlParams | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const { query, variables, operationName, extensions } = body as Record<string, unknown>;
  const isRecord = (v: unknown) => v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v));
  if (typeof query !== 'string' || !isRecord(variables) || !isRecord(extensions)) return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  return body as GraphqlParams;
}

/** How many distinct (document, operation name) pairs `prepare` remembers. */
const MAX_PREPARED = 1000;

/**
 * How many compiled operations are kept (first compiled, first dropped). A compiled operation holds generated code
 * (tens of KB for a large document), so this bounds the memory, whatever documents clients send; real clients use a
 * handful. A dropped one starts counting its uses again.
 */
const MAX_COMPILED = 100;

/** A document that parsed and validated, and how the fast path runs it. */
interface Prepared {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  /** The schema yoga validated it against (and the one it is compiled for). */
  readonly schema: GraphQLSchema;
  /** Runs with the generic executor so far; compiled when it reaches `compileAfterUses`. */
  uses: number;
  /** graphql-jit's function for it; null when graphql-jit could not compile it (it then never tries again). */
  compiled?: CompiledQuery | null;
}

export interface GraphqlFastPathOptions {
  /** The request body limit (413 above it), as REST. */
  readonly maxBodyBytes: number;
  /**
   * Compile a document with graphql-jit on its Nth use, and run it compiled from then on (0: never). Compiling costs about as much
   * as 10–20 runs (0.7–1.7 ms for the service's own documents), so a document must be used repeatedly to repay it,
   * and a client sending one-off documents never makes the server compile.
   */
  readonly compileAfterUses: number;
}

export function createGraphqlFastPath(yoga: Yoga, { maxBodyBytes, compileAfterUses }: GraphqlFastPathOptions) {
  const { context, maskError } = graphqlExecutionParts(yoga);

  /**
   * Documents already parsed and validated through the enveloped `parse`/`validate` (so with every plugin's rules:
   * graphql-armor's limits, yoga's caches), by query text and operation name. Parsing and validation depend on
   * nothing else (no variables, no context), so the verdict is the same on every request; remembering it here spares
   * each request the plugin hooks and yoga's cache-key building (it joins every rule's name per request). Null: the
   * request goes to yoga, which answers the parse or validation error itself. First-in-first-out bounded.
   */
  const prepare = boundedMemo(
    MAX_PREPARED,
    (enveloped: () => ReturnType<Yoga['getEnveloped']>, query: string, operationName: string | undefined): Prepared | null => {
      try {
        const { parse, validate, schema } = enveloped();
        const parsed = parse(query);
        const operation = getOperationAST(parsed, operationName);
        // graphql-armor's rules throw rather than report when a limit is passed.
        const valid = operation && operation.operation !== 'subscription' && validate(schema, parsed).length === 0;
        return valid ? { document: parsed, operationName, schema, uses: 0 } : null;
      } catch {
        return null;
      }
    },
    (_enveloped, query, operationName) => (operationName === undefined ? query : `${operationName}\u0000${query}`),
  );

  /** Prepared documents that hold a compiled function, oldest first (at most MAX_COMPILED). */
  const compiledEntries: Prepared[] = [];

  /** The compiled function for this document, once it has been used often enough; undefined until then. */
  function compiledFor(prepared: Prepared): CompiledQuery | undefined {
    if (prepared.compiled !== undefined) return prepared.compiled ?? undefined;
    if (compileAfterUses === 0 || ++prepared.uses < compileAfterUses) return undefined;
    const result = compileQuery(prepared.schema, prepared.document, prepared.operationName);
    // What graphql-jit cannot compile keeps running with the generic executor.
    prepared.compiled = isCompiledQuery(result) ? result : null;
    if (prepared.compiled) {
      compiledEntries.push(prepared);
      if (compiledEntries.length > MAX_COMPILED) {
        const dropped = compiledEntries.shift()!;
        dropped.compiled = undefined;
        dropped.uses = 0;
      }
    }
    return prepared.compiled ?? undefined;
  }

  /** Hands the request (body already read) to yoga and writes its answer. */
  async function viaYoga(req: IncomingMessage, res: ServerResponse, body: Buffer, caller: CallerCredentials, requestId: string): Promise<void> {
    const serverContext: GraphqlServerContext = { req, res, caller, state: {}, requestId };
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const response = await yoga.fetch(`http://gateway.invalid${req.url ?? '/graphql'}`, { method: 'POST', headers, body: new Uint8Array(body) }, serverContext);
    // A subscription (or an incremental result) is a stream that may last hours: pass it on as it comes.
    if (response.body && STREAMED_CONTENT_TYPE.test(response.headers.get('content-type') ?? '')) return stream(response, res);
    const text = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      out[name] = value;
    });
    out['content-length'] = String(text.length);
    endReply(res, response.status, out, text);
  }

  /**
   * A compiled operation, as yoga runs it without the plugin orchestration: the context yoga's `context` option
   * builds, the function graphql-jit generated for this document (the walk over the selection set; the resolvers
   * are the schema's own), and yoga's masking applied to every error of the result (envelop's useMaskedErrors does
   * it in its onExecuteDone hook). Null when the variables do not coerce: graphql-jit answers those with errors and
   * no `data` (nothing has run), in its own wording and without yoga's 400, so yoga is asked instead. Synchronous
   * when every resolver answered synchronously (graphql-jit then returns the result itself).
   */
  function runCompiled(query: CompiledQuery, server: Pick<GraphqlServerContext, 'caller' | 'state' | 'requestId'>, variables: GraphqlParams['variables']): MaybePromise<ExecutionResult | null> {
    const result = query.query(undefined, context(server), variables ?? undefined);
    return isPromise(result) ? result.then(masked) : masked(result);
  }

  function masked(result: ExecutionResult): ExecutionResult | null {
    if (!('data' in result)) return null;
    if (!result.errors) return result;
    const errors = result.errors.map((error) => {
      const masked = maskError(error) as GraphQLError;
      // yoga's maskError takes an error's locations from its AST nodes, which graphql-js's errors carry and
      // graphql-jit's do not (they carry the locations themselves): without this, a masked error would lose them.
      if (masked !== error && masked.locations === undefined && error.locations) Object.defineProperty(masked, 'locations', { value: error.locations, enumerable: true });
      return masked;
    });
    // graphql-js's order (execute's buildResponse: errors, then data), which yoga prints as it is.
    return { errors, data: result.data };
  }

  /** An operation not compiled (yet), through yoga's envelop plugin stack: its context and execute hooks. */
  async function runEnveloped(enveloped: ReturnType<Yoga['getEnveloped']>, prepared: Prepared, variables: GraphqlParams['variables']): Promise<ExecutionResult> {
    const { contextFactory, execute, schema } = enveloped;
    return (await execute({
      schema,
      document: prepared.document,
      contextValue: await contextFactory(),
      variableValues: variables ?? undefined,
      operationName: prepared.operationName,
    })) as ExecutionResult;
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, caller: CallerCredentials, requestId: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readRequestBody(req, maxBodyBytes);
    } catch (error) {
      if (!isAppError(error)) throw error;
      // Over the size limit: the same 413 answer yoga's body-limit plugin gives, without reading the rest.
      const text = JSON.stringify({ errors: [{ message: error.primary.message, extensions: { code: 'BAD_REQUEST', errorCode: error.primary.code } }] });
      endReply(res, 413, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' }, text);
      return;
    }
    let params: GraphqlParams | null = null;
    try {
      params = asParams(JSON.parse(body.toString('utf8')));
    } catch {
      params = null;
    }
    if (!params) return viaYoga(req, res, body, caller, requestId);

    const state: GraphqlRequestState = {};
    // The enveloped functions for this request, built only when needed: for a document seen for the first time
    // (parse, validate) or not compiled yet (context, execute).
    let enveloped: ReturnType<Yoga['getEnveloped']> | undefined;
    const envelopedNow = () => (enveloped ??= yoga.getEnveloped({ req, res, caller, state, requestId, params } as never));
    const prepared = prepare(envelopedNow, params.query, params.operationName ?? undefined);
    if (!prepared) return viaYoga(req, res, body, caller, requestId);
    const query = compiledFor(prepared);
    if (!query) return runEnveloped(envelopedNow(), prepared, params.variables).then((result) => reply(res, state, result));
    const result = runCompiled(query, { caller, state, requestId }, params.variables);
    if (isPromise(result)) return result.then((done) => (done ? reply(res, state, done) : viaYoga(req, res, body, caller, requestId)));
    return result ? reply(res, state, result) : viaYoga(req, res, body, caller, requestId);
  };
}

/** Writes an executed operation's result: yoga's status and headers, the budget's headers, the JSON. */
function reply(res: ServerResponse, state: GraphqlRequestState, result: ExecutionResult): void {
  const { status, headers } = responseInit(result);
  const text = JSON.stringify(withoutInternals(result));
  // One flat list for writeHead (as REST's `send`): the head is built in one pass.
  const head: string[] = [];
  for (const name in headers) head.push(name, headers[name]!);
  if (state.rateLimit) pushRateLimitHeaders(head, state.rateLimit);
  head.push('content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text)));
  endReply(res, status, head, text);
}

/** Answers yoga streams: Server-Sent Events (subscriptions) and multipart (incremental delivery). */
const STREAMED_CONTENT_TYPE = /^\s*(text\/event-stream|multipart\/mixed)\b/i;

/** Writes a streamed yoga response as it is produced; the client hanging up cancels it (ending the subscription). */
async function stream(response: Response, res: ServerResponse): Promise<void> {
  const head: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'content-length') head[name] = value;
  });
  res.writeHead(response.status, withRequestId(res, head));
  const reader = response.body!.getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      res.write(value);
    }
  } catch {
    // Cancelled because the client went away, or the stream failed: either way there is nothing more to send.
  } finally {
    if (!res.destroyed) res.end();
  }
}

interface HttpExtension {
  status?: number;
  headers?: Record<string, string>;
}

/** yoga's rule (error.ts getResponseInitByRespectingErrors): the highest `extensions.http.status` wins. */
function responseInit(result: ExecutionResult): { status: number; headers: Record<string, string> } {
  let status: number | undefined;
  const headers: Record<string, string> = {};
  let unexpected = false;
  for (const error of result.errors ?? []) {
    const http = error.extensions?.http as HttpExtension | undefined;
    if (http) {
      if (http.headers) Object.assign(headers, http.headers);
      if (http.status && (!status || http.status > status)) status = http.status;
    } else if (error.extensions?.unexpected) {
      unexpected = true;
    }
  }
  return { status: status ?? (unexpected && !('data' in result) ? 500 : 200), headers };
}

/** yoga's stringify (result-processor/stringify.ts): `extensions.http` and `unexpected` are internal. */
function withoutInternals(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const json = (error as GraphQLError).toJSON();
      if (json.extensions) {
        const { http: _http, unexpected: _unexpected, ...rest } = json.extensions as Record<string, unknown>;
        return { ...json, ...(Object.keys(rest).length ? { extensions: rest } : { extensions: undefined }) } as never;
      }
      return json as never;
    }),
  };
}
