/**
 * Outbound HTTP for Domain Connect, where DNS data chooses the host: the `_domainconnect` TXT record (and the
 * settings it leads to) is whatever the domain's owner publishes, so it must not be able to make the gateway connect
 * into the operator's own network (SSRF). The rule, unless DOMAIN_CONNECT_ALLOW_PRIVATE (tests on loopback):
 * - never an IP literal, never `localhost` (or a name below it);
 * - a host name is resolved through DNS_RESOLVERS by the connection itself (undici's connector passes `lookup` to
 *   net.connect/tls.connect), and the connection is refused unless every address is public
 *   (src/detection/address-policy.ts). The address checked is the address connected to, in one step, so a name
 *   that answers differently a moment later (DNS rebinding) cannot slip a private address in between. The URL keeps
 *   its host name, so the Host header and TLS SNI (and certificate check) are the name's.
 * Bodies are read bounded (providers/http.ts `readBody`), each call is cut at its deadline.
 */
import { isIP, type LookupFunction } from 'node:net';
import { request, type Dispatcher } from 'undici';
import { isPublicAddress } from '../detection/address-policy.js';
import type { Resolver } from '../detection/resolver.js';
import { BodyTooLargeError, createHttpAgent, readBody } from '../../providers/http.js';

/** Why a URL or an address was refused (the message is safe for a reply: it names the host, never a credential). */
export class RefusedDestinationError extends Error {
  override readonly name = 'RefusedDestinationError';
  /** For net.connect: an errno-like code, so the refusal survives undici's error wrapping. */
  readonly code = 'EDCREFUSED';
}

export interface GuardedHttpOptions {
  readonly resolver: Pick<Resolver, 'query'>;
  /** Allow loopback, private and other non-public addresses, IP literals and localhost (tests only). */
  readonly allowPrivate: boolean;
  readonly connectTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
}

/** The addresses of `hostname`, A then AAAA, through the configured resolvers. */
async function addressesOf(resolver: Pick<Resolver, 'query'>, hostname: string): Promise<string[]> {
  const settled = await Promise.allSettled([resolver.query(hostname, 'A'), resolver.query(hostname, 'AAAA')]);
  const addresses: string[] = [];
  for (const result of settled) {
    if (result.status !== 'fulfilled') continue;
    for (const answer of result.value.answers) if ((answer.type === 'A' || answer.type === 'AAAA') && typeof answer.data === 'string') addresses.push(answer.data);
  }
  if (addresses.length === 0) {
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const error = new Error(failed ? `the DNS lookup of ${hostname} failed` : `${hostname} has no address`);
    (error as NodeJS.ErrnoException).code = 'ENOTFOUND';
    throw error;
  }
  return addresses;
}

/** A `lookup` for net.connect that resolves through our resolver and refuses non-public addresses. */
export function guardedLookup(options: Pick<GuardedHttpOptions, 'resolver' | 'allowPrivate'>): LookupFunction {
  return ((hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    addressesOf(options.resolver, hostname).then(
      (addresses) => {
        const refused = options.allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a));
        if (refused !== undefined) {
          callback(new RefusedDestinationError(`${hostname} resolves to ${refused}, which is not a public address`));
          return;
        }
        if (lookupOptions.all) callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
        else callback(null, addresses[0], isIP(addresses[0]!));
      },
      (error: unknown) => callback(error),
    );
  }) as unknown as LookupFunction;
}

/** The undici agent every Domain Connect call goes through. */
export function createGuardedAgent(options: GuardedHttpOptions): Dispatcher & { close(): Promise<void> } {
  return createHttpAgent({
    connections: 8,
    connectTimeoutMs: options.connectTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs,
    bodyTimeoutMs: options.bodyTimeoutMs,
    keepAliveTimeoutMs: 4_000,
    lookup: guardedLookup(options),
  });
}

/**
 * Checks a URL before any connection: http(s) only (http only where `allowHttp`), no credentials in it, and unless
 * `allowPrivate` no IP literal and no localhost. Returns the parsed URL; throws RefusedDestinationError.
 */
export function checkDestination(raw: string, options: { allowPrivate: boolean; allowHttp: boolean; what: string }): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedDestinationError(`${options.what} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
    throw new RefusedDestinationError(`${options.what} must be an https URL`);
  }
  if (url.username !== '' || url.password !== '') throw new RefusedDestinationError(`${options.what} must not carry credentials`);
  if (!options.allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) throw new RefusedDestinationError(`${options.what} points to the IP address ${host}; only host names are followed`);
    const lower = host.toLowerCase().replace(/\.$/, '');
    if (lower === 'localhost' || lower.endsWith('.localhost')) throw new RefusedDestinationError(`${options.what} points to ${lower}`);
  }
  return url;
}

export interface GuardedReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface GuardedRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Epoch ms: the call is aborted at this time (connect, headers and body together). */
  readonly deadline: number;
  readonly maxBodyBytes: number;
}

/** Why a guarded call failed, in words a reply can carry (never a URL query, a header or a credential). */
export class GuardedHttpError extends Error {
  override readonly name = 'GuardedHttpError';
  constructor(
    readonly kind: 'refused' | 'timeout' | 'network' | 'too_large',
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

function findRefusal(error: unknown): RefusedDestinationError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof RefusedDestinationError) return e;
  }
  return undefined;
}

/** One request through the guarded agent, bounded in time and size. Throws GuardedHttpError. */
export async function guardedRequest(dispatcher: Dispatcher, url: URL, options: GuardedRequest): Promise<GuardedReply> {
  const remaining = options.deadline - Date.now();
  if (remaining <= 0) throw new GuardedHttpError('timeout', 'no time left before the deadline');
  // A controller held by its own timer (not AbortSignal.timeout: see providers/http.ts withAttemptSignal).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('deadline', 'TimeoutError')), remaining);
  timer.unref();
  try {
    let reply: Dispatcher.ResponseData;
    try {
      reply = await request(url, {
        dispatcher,
        method: options.method,
        headers: options.headers,
        body: options.body,
        signal: controller.signal,
        // undici's request never follows a redirect (a 3xx is answered as is), so a redirect cannot lead elsewhere.
      });
    } catch (error) {
      throw mapError(error, remaining);
    }
    try {
      const body = await readBody(reply.body, options.maxBodyBytes);
      return { status: reply.statusCode, headers: reply.headers, body };
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new GuardedHttpError('too_large', `the reply is larger than ${formatBytes(options.maxBodyBytes)}`);
      throw mapError(error, remaining);
    }
  } finally {
    clearTimeout(timer);
  }
}

function mapError(error: unknown, budgetMs: number): GuardedHttpError {
  const refusal = findRefusal(error);
  if (refusal) return new GuardedHttpError('refused', refusal.message, { cause: error });
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = (error as { code?: string } | null)?.code ?? '';
  if (name === 'TimeoutError' || name === 'AbortError' || /Timeout/.test(name) || code.startsWith('UND_ERR_') && /TIMEOUT/.test(code)) {
    return new GuardedHttpError('timeout', `no answer within ${budgetMs} ms`, { cause: error });
  }
  const what =
    code === 'ECONNREFUSED' ? 'connection refused'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'connection reset'
        : code === 'ENOTFOUND' ? ((error as Error).message || 'host not found')
          : 'network error';
  return new GuardedHttpError('network', what, { cause: error });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
