/**
 * The one outbound HTTP client every adapter uses: an undici Agent with keep-alive and bounded timeouts, injected
 * (never a global dispatcher, never global fetch), plus the small helpers adapters share: a bounded body read, error
 * mapping to `ProviderError`, and a retry loop that honours the provider's own "wait this long" signals.
 */
import type { LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import { ProviderError, type ConnectOptions, type ProviderId } from './types.js';

export interface HttpAgentOptions {
  /** Sockets per origin. @default 16 */
  connections?: number;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** Time to the response headers. @default 15000 */
  headersTimeoutMs?: number;
  /** Time between body chunks. @default 30000 */
  bodyTimeoutMs?: number;
  /** Idle keep-alive. @default 10000 */
  keepAliveTimeoutMs?: number;
  /**
   * Resolves host names instead of the system resolver (net.connect's `lookup`): Domain Connect discovery resolves
   * through DNS_RESOLVERS and refuses non-public addresses in the same step that picks the address connected to.
   */
  lookup?: LookupFunction;
}

export function createHttpAgent(options: HttpAgentOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: options.headersTimeoutMs ?? 15_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 5_000, ...(options.lookup ? { lookup: options.lookup } : {}) },
  });
}

/** A body larger than the limit `readBody` was given; the stream is destroyed when it is thrown. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`reply body larger than ${limit} bytes`);
  }
}

/**
 * Reads a reply body, refusing (and destroying the stream) as soon as it passes `maxBytes`: a huge or endless body
 * never sits in memory. Network errors while reading are thrown as they come.
 */
export async function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What every adapter factory receives. */
export interface AdapterDeps {
  /** Base URL of the provider API, from config (tests point it at a loopback fake). */
  readonly baseUrl: string;
  readonly dispatcher: Dispatcher;
  /** Overall deadline of one command (every call, retry and re-read of one session). @default 30000 */
  readonly deadlineMs?: number;
  /** Waits between retries; tests shorten it. @default real timers */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of every upstream exchange once it ends (the services layer counts them). @default none */
  readonly onCall?: UpstreamObserver | undefined;
}

/** What an upstream call does, as the adapter says it: a fixed set, never derived from the URL. */
export type UpstreamOperation = 'read' | 'write' | 'auth' | 'poll';

/**
 * One finished upstream exchange: `outcome` is the reply's HTTP status (`'200'`, `'429'`, …) or, when none came, the
 * `ProviderError` kind (`'timeout'`, `'unavailable'`, `'protocol'`).
 */
export type UpstreamObserver = (provider: ProviderId, operation: UpstreamOperation, outcome: string, seconds: number) => void;

export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** Upstream bodies larger than this are refused: no DNS API answer is anywhere near it. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface SendOptions {
  readonly method: Dispatcher.HttpMethod;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  /** @default 'read' for GET and HEAD, 'write' otherwise */
  readonly operation?: UpstreamOperation;
}

/**
 * Refuses, as a wrong credential (`auth`, code 9), a token that cannot go into an HTTP header (a space, a non-ASCII
 * character): no provider issues one, and sent anyway it makes undici throw before any request, which would look
 * like a network failure (code 10) retried until the deadline. `what` names it in the reason.
 */
export function refuseUnsendableToken(provider: ProviderId, token: string, what: string): void {
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ProviderError(provider, 'auth', `invalid ${what} (malformed)`);
}

/**
 * One HTTP exchange. Network failures become `ProviderError` (`timeout` or `unavailable`) naming no URL query or
 * header, so no credential can leak through an error message.
 */
export async function send(provider: ProviderId, deps: Pick<AdapterDeps, 'dispatcher' | 'onCall'>, url: string, options: SendOptions): Promise<HttpReply> {
  const { onCall } = deps;
  if (!onCall) return exchange(provider, deps.dispatcher, url, options);
  const operation = options.operation ?? (options.method === 'GET' || options.method === 'HEAD' ? 'read' : 'write');
  const started = performance.now();
  try {
    const reply = await exchange(provider, deps.dispatcher, url, options);
    onCall(provider, operation, String(reply.status), (performance.now() - started) / 1000);
    return reply;
  } catch (error) {
    onCall(provider, operation, error instanceof ProviderError ? error.kind : 'unavailable', (performance.now() - started) / 1000);
    throw error;
  }
}

async function exchange(provider: ProviderId, dispatcher: Dispatcher, url: string, options: SendOptions): Promise<HttpReply> {
  let reply: Dispatcher.ResponseData;
  try {
    reply = await request(url, {
      dispatcher,
      method: options.method,
      headers: options.headers,
      body: options.body,
      signal: options.signal,
    });
  } catch (error) {
    throw networkError(provider, error);
  }
  try {
    const body = await readBody(reply.body, MAX_BODY_BYTES);
    return { status: reply.statusCode, headers: reply.headers, text: body.toString('utf8') };
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new ProviderError(provider, 'protocol', 'reply body too large');
    const mapped = networkError(provider, error);
    // Headers arrived, the body did not: a reset or a short body. Say so, the reason matters for a write.
    if (mapped.kind === 'unavailable') throw new ProviderError(provider, 'unavailable', 'the reply was cut off before its end', { cause: error });
    throw mapped;
  }
}

function networkError(provider: ProviderId, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  const name = (error as { name?: string } | null)?.name ?? '';
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return new ProviderError(provider, 'timeout', 'the provider did not answer in time', { cause: error });
  }
  const what =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
        ? 'connection reset'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host not found'
          : 'network error';
  return new ProviderError(provider, 'unavailable', what, { cause: error });
}

/** The bounds of one command, fixed when the session is created and shared by all its calls. */
export interface CommandBounds {
  /** Epoch ms. */
  readonly deadline: number;
  /** The whole budget in ms (deadline minus the start), to size the share kept for re-reading after a lost write. */
  readonly budgetMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** @default deadline = now + deps.deadlineMs (30000) */
export function commandBounds(deps: Pick<AdapterDeps, 'deadlineMs'>, options: ConnectOptions = {}): CommandBounds {
  const now = Date.now();
  const deadline = options.deadline ?? now + (deps.deadlineMs ?? 30_000);
  return { deadline, budgetMs: Math.max(1, deadline - now), signal: options.signal };
}

/**
 * What a write attempt leaves unused of the deadline: enough to re-read the zone when its reply is lost, so that
 * the command can still say whether the write applied. A quarter of the budget, at most 2 s (one loopback or
 * nearby API read takes far less).
 */
export function writeReserveMs(bounds: CommandBounds): number {
  return Math.min(2_000, Math.floor(bounds.budgetMs / 4));
}

/**
 * The longest share of a command's budget one attempt may take, so that a call that hangs (headers never come)
 * still leaves time to re-read and try once more within the same deadline.
 */
const ATTEMPT_SHARE = 0.4;

/**
 * Runs one attempt with its abort signal: at most ATTEMPT_SHARE of the budget, never past the command's deadline
 * less `reserveMs`, and the command's own signal. Throws `timeout` when no time is left, so an attempt is never
 * started that could not finish. The timer and the listener on the command's signal are removed when the attempt
 * ends. Left to fire, each call's timer lived on for 12 s after its reply, holding its controller, and then built a
 * DOMException to abort a signal nobody listened to: clearing them took the bench's satisfied `dns.set` from 985 to
 * 794 µs of server CPU per request and its peak RSS from 163 to 119 MB.
 */
export async function withAttemptSignal<T>(provider: ProviderId, bounds: CommandBounds, reserveMs: number, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (bounds.signal?.aborted) throw new ProviderError(provider, 'timeout', 'the command was cancelled');
  const remaining = bounds.deadline - reserveMs - Date.now();
  if (remaining <= 0) throw new ProviderError(provider, 'timeout', 'the provider did not answer in time');
  const ms = Math.max(1, Math.min(remaining, Math.ceil(bounds.budgetMs * ATTEMPT_SHARE)));
  // Not AbortSignal.any([AbortSignal.timeout(…), …]): on Node 20 a composed signal whose timeout signal is no longer
  // referenced can be garbage-collected before it fires (nodejs/node#54614), and the attempt then runs until
  // undici's own headers timeout. A controller held by its own timer cannot be collected early.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The attempt timed out', 'TimeoutError')), ms);
  timer.unref();
  const command = bounds.signal;
  const onCommandAbort = () => controller.abort(command!.reason);
  command?.addEventListener('abort', onCommandAbort, { once: true });
  try {
    return await attempt(controller.signal);
  } finally {
    clearTimeout(timer);
    command?.removeEventListener('abort', onCommandAbort);
  }
}

/** Parses JSON or reports the reply as malformed (an HTML error page from an edge, a truncated body). */
export function parseJson<T>(provider: ProviderId, reply: HttpReply): T {
  try {
    return JSON.parse(reply.text) as T;
  } catch {
    const looksHtml = /^\s*</.test(reply.text);
    throw new ProviderError(
      provider,
      reply.status >= 500 ? 'unavailable' : 'protocol',
      `HTTP ${reply.status} with ${looksHtml ? 'an HTML page' : 'a malformed body'} instead of JSON`,
    );
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP date), if present and sane. */
export function retryAfterSeconds(headers: HttpReply['headers']): number | undefined {
  const raw = headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, (date - Date.now()) / 1000);
  return undefined;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Base delay of the jittered exponential backoff. */
  readonly baseDelayMs: number;
  /** Longest single wait; a longer Retry-After is not waited for (the error is reported instead). */
  readonly maxDelayMs: number;
  /** Decides whether this error may be retried. Only for calls that are safe to repeat. */
  readonly retryOn: (error: ProviderError) => boolean;
}

/**
 * Runs `attempt` until it succeeds, the policy says stop, or the deadline would pass. Honours the provider's
 * `retryAfterSeconds` when it is within `maxDelayMs`.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  options: { deadline?: number; sleep?: (ms: number) => Promise<void>; signal?: AbortSignal | undefined } = {},
): Promise<T> {
  const wait = options.sleep ?? ((ms: number) => sleep(ms));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof ProviderError) || n >= policy.attempts || !policy.retryOn(error) || options.signal?.aborted) throw error;
      // Jittered (between half and all of the exponential step), so callers that failed together do not retry together.
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1)) * (0.5 + Math.random() / 2);
      const delay = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : backoff;
      if (delay > policy.maxDelayMs) throw error;
      if (options.deadline !== undefined && Date.now() + delay >= options.deadline) throw error;
      await wait(delay);
    }
  }
}
