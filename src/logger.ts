/**
 * Structured logs (pino). Secrets are kept out in three layers, so that no call site has to remember to:
 * 1. pino `redact` paths for the documented places (request headers, REST parameters, credential objects);
 * 2. a deep scrub of every logged object (any depth, errors included) that blanks each field whose *name* says it
 *    holds a credential, whatever the call site passed;
 * 3. the same scrub over string values and messages, which blanks `Bearer …`, `sso-key …` and `ApiKey=…`-style
 *    fragments (a provider URL or an upstream error text echoed into an error message).
 */
import { pino, stdSerializers, type Logger } from 'pino';

const CENSOR = '[redacted]';

/**
 * Paths pino redacts by exact shape: request headers, REST parameters (Octeth names: `APIKey` is ours, `ApiKey` the
 * provider's, background.md §1.5), and credential objects one level down. The deep scrub covers every other depth.
 */
export const REDACTED_PATHS = [
  'apiKey',
  'apiSecret',
  'apiUser',
  'username',
  'password',
  'sessionId',
  'token',
  'key',
  'secret',
  'credentials',
  '*.apiKey',
  '*.apiSecret',
  '*.apiUser',
  '*.username',
  '*.password',
  '*.sessionId',
  '*.token',
  '*.secret',
  '*.credentials',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-auth-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-auth-key"]',
  'params.APIKey',
  'params.ApiKey',
  'params.ApiSecret',
  'params.ApiUser',
  'params.Username',
  'params.UserName',
  'params.SessionID',
  'params.Password',
  'params.password',
];

/**
 * Field names that hold a credential, in any case and with or without `-`/`_`: our API keys and session ids, the
 * providers' keys, secrets, users and tokens (Namecheap `ApiUser`/`UserName`, GoDaddy `sso-key`, Cloudflare
 * `X-Auth-Key`), OAuth tokens and client secrets (Domain Connect), passwords, and the HTTP headers that carry them.
 */
const SECRET_FIELD = /^(?:x-?)?(?:api-?key|api-?secret|api-?user|user-?name|password|passwd|pwd|secret|token|access-?token|refresh-?token|id-?token|auth-?key|auth-?token|session-?id|authorization|proxy-?authorization|cookie|set-?cookie|credentials?|key|client-?secret)$/i;

const isSecretField = (name: string) => SECRET_FIELD.test(name.replace(/_/g, '-'));

/** `Bearer x`, `sso-key k:s` (GoDaddy's Authorization scheme), `Basic x`. */
const AUTH_SCHEME = /\b(Bearer|sso-key|Basic)\s+[^\s,;"'<>]+/gi;
/** `name=value` or `name: value` for a credential name, as in a query string, a form body or a header dump. */
const NAMED_VALUE = /\b((?:api[-_]?key|api[-_]?secret|api[-_]?user|user[-_]?name|password|passwd|secret|token|access[-_]?token|refresh[-_]?token|client[-_]?secret|session[-_]?id|x-auth-key|authorization)"?\s*[=:]\s*"?)[^\s&"',;<>]+/gi;

/** Blanks the credential fragments of free text. Exported for the places that build messages from upstream text. */
export function scrubText(text: string): string {
  return text.replace(AUTH_SCHEME, `$1 ${CENSOR}`).replace(NAMED_VALUE, `$1${CENSOR}`);
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with every credential field blanked and every string scrubbed. Errors are serialised first
 * (pino's own err serializer: message, stack, enumerable fields and the `cause` chain), so their text is scrubbed
 * too. Cycles and very deep objects are cut off rather than walked forever.
 */
export function scrubValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Error) return scrubValue(stdSerializers.err(value), depth + 1, seen);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1, seen));
  if (value instanceof Map) return scrubValue(Object.fromEntries(value), depth + 1, seen);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = isSecretField(name) && field !== undefined && field !== null && field !== '' ? CENSOR : scrubValue(field, depth + 1, seen);
  }
  return out;
}

export type { Logger };

/** The logging calls made while serving a request (a pino `Logger` is one; so is a `RequestLog`). */
export type Log = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;

type Level = keyof Log;

/**
 * One request's logger: `base`'s lines with `requestId` on each. The pino child (which serialises its bindings once)
 * is made on the first line, so a request that logs nothing, most of them, pays for this small object only.
 */
export class RequestLog implements Log {
  #child: Logger | undefined;
  constructor(
    private readonly base: Logger,
    readonly requestId: string,
  ) {}

  private line(level: Level, args: unknown[]): void {
    if (!this.base.isLevelEnabled(level)) return;
    this.#child ??= this.base.child({ requestId: this.requestId });
    (this.#child[level] as (...args: unknown[]) => void)(...args);
  }

  error(...args: unknown[]): void {
    this.line('error', args);
  }
  warn(...args: unknown[]): void {
    this.line('warn', args);
  }
  info(...args: unknown[]): void {
    this.line('info', args);
  }
  debug(...args: unknown[]): void {
    this.line('debug', args);
  }
}

export interface LoggerOptions {
  readonly level: string;
  /**
   * Where the JSON lines go.
   * @default stdout, buffered (`bufferedStdout`)
   */
  readonly destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      base: undefined,
      formatters: { log: (object) => scrubValue(object) as Record<string, unknown> },
      // Already serialised and scrubbed by `formatters.log`; pino's err serializer leaves plain objects alone.
      serializers: { err: (error: unknown) => (error instanceof Error ? scrubValue(error) : error) },
      hooks: {
        // Messages are code constants today; scrubbing them too keeps an interpolated upstream text safe tomorrow.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    (options.destination as pino.DestinationStream | undefined) ?? bufferedStdout(),
  );
}

/** Bytes of log lines held before they are written. */
const LOG_BUFFER_BYTES = 4096;
/** Longest a line waits in the buffer on a quiet server. */
const LOG_FLUSH_INTERVAL_MS = 1000;

/**
 * stdout, written in batches: lines collect up to about 4 KiB and go out in one synchronous write, and whatever is
 * held is written at least once a second and on exit (a `kill -9` loses at most that second). With one access line
 * per request, writing each line at once cost about 20 µs of server CPU per request, as a blocking write per line or
 * as pino's asynchronous mode, which hands each burst to libuv's thread pool (measured with the bench's server CPU
 * column, LOG_LEVEL=info against warn).
 *
 * The lines are held here, in an array joined once per batch, and only the batch goes to sonic-boom (which keeps the
 * hard part: partial writes, EAGAIN on a non-blocking pipe). sonic-boom's own `minLength` buffering appends each
 * line to one growing string and measures its byte length on every write, flattening it each time: 2.2 KB of
 * garbage per 200-byte line, a tenth of all a cached REST request allocated (sampling heap profile under the bench).
 */
function bufferedStdout(): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync: true });
  let held: string[] = [];
  let heldLength = 0;
  const flush = () => {
    if (held.length === 0) return;
    const text = held.join('');
    held = [];
    heldLength = 0;
    try {
      stream.write(text);
    } catch {
      // stdout is gone (a closed pipe): nothing left to write to.
    }
  };
  setInterval(flush, LOG_FLUSH_INTERVAL_MS).unref();
  process.once('exit', flush);
  return {
    write(line: string) {
      held.push(line);
      // UTF-16 units, not bytes: the limit is a batch size, not a bound anything depends on.
      heldLength += line.length;
      if (heldLength >= LOG_BUFFER_BYTES) flush();
    },
  };
}

/** One line per served request. */
export interface AccessEntry {
  readonly method: string | undefined;
  /** Without the query string (it may carry `APIKey` or `SessionID`). */
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly aborted: true | undefined;
  /** `X-Request-Id` as answered (src/request-id.ts: bounded and printable, so written as it is). */
  readonly requestId: string;
}

/**
 * The access log: one pino logger writing to `logger`'s destination at its level, without the deep scrub, the redact
 * paths and the message hook that every other line goes through. Every field of an access line is built by the
 * server from values that cannot hold a credential, except the path, which a client writes: it is scrubbed as text
 * here (`scrubText`). The general pipeline made a line cost 7.5 µs instead of 1.1 µs (measured with a discarding
 * destination), at one line per request.
 */
export function createAccessLog(logger: Logger): (entry: AccessEntry) => void {
  const destination = (logger as unknown as Record<symbol, pino.DestinationStream>)[pino.symbols.streamSym]!;
  const access = pino({ level: logger.level, base: undefined }, destination);
  return (entry) => {
    if (!access.isLevelEnabled('info')) return;
    // scrubText only matches `name=value`, `name: value` and `Scheme value` shapes; a path without `=`, `:`, white
    // space or a percent-escape (the usual `/api/v1/dns.provider`) has none of them. An escaped one
    // (`;ApiKey%3D…`, `Bearer%20…`) is decoded first, so that it cannot hide from the scrub.
    const path = /[=:\s%]/.test(entry.path) ? scrubText(decodePercent(entry.path)) : entry.path;
    access.info({ method: entry.method, path, status: entry.status, durationMs: entry.durationMs, aborted: entry.aborted, requestId: entry.requestId }, 'request');
  };
}

/** `%XX` escapes decoded (as UTF-8 when they form it, else byte by byte): never throws. */
function decodePercent(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}
