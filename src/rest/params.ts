/**
 * Request parameters for the REST transports (`/api/v1/*` and `/api.php`): the query string and the body merged into
 * one map, the way Octeth accepts them ("Oempro API can accept data in HTTP POST or HTTP GET method"; curl `-F`
 * multipart, `URLSearchParams` form bodies and raw JSON are all used in its docs — background.md §1.1).
 *
 * This module knows nothing about commands or DNS: it only turns bytes into named values and refuses bodies it cannot
 * read. Validation of the values is the procedures' job (their zod schemas).
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError } from '../errors.js';

/**
 * Every parameter of one request, by exact (case-sensitive) name. A `Map` rather than an object so that names such as
 * `__proto__` or `constructor` are plain data and never reach a prototype. Query values and form values are strings;
 * JSON values keep their JSON type (boolean, number, null, array, object).
 */
export type RawParams = Map<string, unknown>;

export interface ReadParamsOptions {
  /** Largest body accepted, in bytes (the lead passes `config.MAX_BODY_BYTES`). */
  readonly maxBodyBytes: number;
  /**
   * Most fields a multipart body may carry before it is refused as too large.
   * @default 200
   */
  readonly maxMultipartFields?: number;
}

const DEFAULT_MAX_MULTIPART_FIELDS = 200;

/**
 * Reads the query string and the body of `req` into one map; a body value beats a query value of the same name.
 * Synchronous when the request has no body.
 *
 * Throws `AppError`: `BODY_TOO_LARGE` (as soon as the declared or received size passes `maxBodyBytes`; the rest is
 * left unread and the request is only paused, so the server can still answer — answer with `connection: close`),
 * `INVALID_JSON` (unparseable JSON, or JSON that is not an object), `UNSUPPORTED_CONTENT_TYPE` (a non-empty body of
 * any other type, a content coding, or a malformed multipart body). A client that disconnects mid-body makes it
 * reject with that stream error (not an AppError: there is nobody left to answer).
 */
export function readParams(req: IncomingMessage, target: RequestTarget, options: ReadParamsOptions): RawParams | Promise<RawParams> {
  const params = queryParams(target.search);
  // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body, so there is nothing to
  // wait for (node discards the empty stream once the reply is sent). This is every GET: answered without a tick.
  if (!hasBody(req)) return params;
  return readRequestBody(req, options.maxBodyBytes).then(async (body) => {
    if (body.length === 0) return params;
    const bodyParams = await parseBody(body, req.headers, options);
    for (const [name, value] of bodyParams) params.set(name, value);
    return params;
  });
}

/** The part of a request target readParams needs: the query string with its `?` (a `URL` fits). */
export interface RequestTarget {
  readonly search: string;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The query string as a map. A repeated name keeps its last value, as PHP's `$_GET` does (Octeth is PHP): the
 * alternative, an array, would turn `?Domain=a&Domain=b` into a value every schema refuses with a vaguer message.
 */
function queryParams(search: string): RawParams {
  const params: RawParams = new Map();
  if (search.length > 1) parseUrlencoded(search, params);
  return params;
}

/**
 * `application/x-www-form-urlencoded` parsing (WHATWG URL §5.1), into `params` (a repeated name keeps its last
 * value), exactly as `new URLSearchParams(text)` reads it, leading `?` included. Text without `%` or `+` has nothing
 * to decode: it is split on `&` and the first `=` directly, which is what a request's query and the legacy clients'
 * form bodies nearly always are (API keys are base64url) and costs a quarter of building a URLSearchParams
 * (0.3 against 1.4 µs for `/api.php`'s three fields). Anything else goes through URLSearchParams.
 */
export function parseUrlencoded(text: string, params: RawParams): void {
  if (text.includes('%') || text.includes('+')) {
    for (const [name, value] of new URLSearchParams(text)) params.set(name, value);
    return;
  }
  let start = text.charCodeAt(0) === 0x3f /* ? */ ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    // Empty sequences (`a=1&&b=2`, a trailing `&`) are skipped.
    if (end > start) {
      const eq = text.indexOf('=', start);
      if (eq < 0 || eq > end) params.set(text.slice(start, end), '');
      else params.set(text.slice(start, eq), text.slice(eq + 1, end));
    }
    start = end + 1;
  }
}

/**
 * The first of `names` that is present in `raw`, by exact name. Case matters on purpose: `APIKey` is the caller's
 * own key and `ApiKey` the DNS provider's (background.md §1.5), so a case-insensitive lookup would mix them up.
 */
export function param(raw: RawParams, ...names: readonly string[]): unknown {
  for (const name of names) {
    if (raw.has(name)) return raw.get(name);
  }
  return undefined;
}

/**
 * A yes/no parameter: `true`/`1`/`false`/`0` as strings in any case (query and form values are always strings), or a
 * JSON boolean. `undefined` when absent, JSON `null` or an empty string (an empty form field means "not set", as
 * PHP's `empty()` reads it); `'invalid'` for anything else, so the caller can report the parameter instead of
 * guessing.
 */
export function flag(value: unknown): boolean | undefined | 'invalid' {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return 'invalid';
  switch (value.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      return 'invalid';
  }
}

/**
 * Collects the body without ever holding more than `maxBytes`. Uses listeners rather than `for await`, because
 * leaving an async iterator early destroys the request, and with it the socket the error response must go out on.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.pause();
    return Promise.reject(AppError.of('BODY_TOO_LARGE', `the limit is ${maxBytes} bytes`));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        req.pause();
        reject(AppError.of('BODY_TOO_LARGE', `the limit is ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    // 'close' before 'end' means the client went away mid-body.
    const onClose = () => {
      cleanup();
      reject(new Error('the client closed the connection before the request body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

interface MediaType {
  /** `type/subtype`, lower case. Empty when the header is missing. */
  readonly essence: string;
  readonly charset: string | undefined;
}

/** RFC 9110 §8.3.1: `type/subtype *( OWS ";" OWS parameter )`; names are case-insensitive. */
function parseMediaType(header: string | undefined): MediaType {
  if (!header) return { essence: '', charset: undefined };
  const [essence = '', ...rest] = header.split(';');
  let charset: string | undefined;
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim().toLowerCase() === 'charset') {
      charset = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    }
  }
  return { essence: essence.trim().toLowerCase(), charset };
}

const isUtf8 = (charset: string | undefined) => charset === undefined || charset === 'utf-8' || charset === 'utf8';

/** `application/json` and the structured-syntax `+json` types (RFC 6839 §3.1), e.g. `application/vnd.api+json`. */
const isJsonType = (essence: string) => essence === 'application/json' || /^application\/[^/]+\+json$/.test(essence);

async function parseBody(
  body: Buffer,
  headers: IncomingMessage['headers'],
  options: ReadParamsOptions,
): Promise<RawParams> {
  const coding = headers['content-encoding']?.trim().toLowerCase();
  // RFC 9110 §15.5.16: 415 is the answer to a content coding the server does not decode.
  if (coding && coding !== 'identity') throw unsupported(`content-encoding ${coding}`);

  const type = parseMediaType(headers['content-type']);
  if (isJsonType(type.essence)) {
    // RFC 8259 §8.1: JSON exchanged between systems must be UTF-8.
    if (!isUtf8(type.charset)) throw unsupported(`${type.essence}; charset=${type.charset ?? ''}`);
    return parseJsonBody(body);
  }
  if (type.essence === 'application/x-www-form-urlencoded') {
    if (!isUtf8(type.charset)) throw unsupported(`${type.essence}; charset=${type.charset ?? ''}`);
    return parseFormBody(body);
  }
  if (type.essence === 'multipart/form-data') {
    return parseMultipartBody(body, headers['content-type'] ?? '', options);
  }
  throw unsupported(type.essence || 'a body without a content type');
}

function unsupported(what: string): AppError {
  // The type is caller-supplied text headed for a message: keep it short and printable.
  const shown = what.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  return AppError.of('UNSUPPORTED_CONTENT_TYPE', `${shown} (expected JSON, form or multipart)`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(body: Buffer): RawParams {
  let parsed: unknown;
  try {
    // The decoder drops a leading BOM and refuses malformed UTF-8, which JSON.parse would otherwise accept as U+FFFD.
    parsed = JSON.parse(strictUtf8.decode(body));
  } catch {
    throw AppError.of('INVALID_JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw AppError.of('INVALID_JSON', 'expected a JSON object');
  }
  // Object.entries yields own keys only; a "__proto__" key from JSON.parse is an own key and stays plain data.
  return new Map(Object.entries(parsed));
}

/** WHATWG urlencoded parsing: `+` is a space, `%XX` are UTF-8 bytes. Repeated names keep the last value, as in PHP. */
function parseFormBody(body: Buffer): RawParams {
  const params: RawParams = new Map();
  parseUrlencoded(body.toString('utf8'), params);
  return params;
}

/** Fields only: file parts are skipped unread (busboy `limits.files: 0`), since no command takes a file. */
function parseMultipartBody(body: Buffer, contentType: string, options: ReadParamsOptions): Promise<RawParams> {
  const maxFields = options.maxMultipartFields ?? DEFAULT_MAX_MULTIPART_FIELDS;
  return new Promise<RawParams>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        limits: { files: 0, fields: maxFields, fieldSize: options.maxBodyBytes, parts: maxFields * 2 },
      });
    } catch {
      reject(unsupported('multipart/form-data without a boundary'));
      return;
    }
    const params: RawParams = new Map();
    let failure: AppError | undefined;
    const fail = (error: AppError) => {
      failure ??= error;
    };
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) fail(AppError.of('BODY_TOO_LARGE', 'a multipart field is too long'));
      else params.set(name, value);
    });
    // Belt and braces: with `files: 0` busboy skips file parts itself, but an unread file stream would stall it.
    parser.on('file', (_name, stream) => stream.resume());
    parser.on('fieldsLimit', () => fail(AppError.of('BODY_TOO_LARGE', `more than ${maxFields} multipart fields`)));
    parser.on('partsLimit', () => fail(AppError.of('BODY_TOO_LARGE', `more than ${maxFields * 2} multipart parts`)));
    parser.on('error', () => reject(failure ?? unsupported('malformed multipart/form-data')));
    parser.on('close', () => (failure ? reject(failure) : resolve(params)));
    parser.end(body);
  });
}
