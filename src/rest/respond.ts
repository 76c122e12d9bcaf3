/**
 * Response bodies for the two REST transports, and the one place that writes them to the wire.
 *
 * Shapes (background.md §1.2, sources O-err, O-dns):
 * - `/api/v1/*` success: the payload as is (`{"provider":"cloudflare"}`, `{"success":true}`).
 * - `/api/v1/*` error: `{"Errors":[{"Code":n,"Message":"…"}]}` plus the error's extra fields (`RetryAfter`).
 * - `/api.php` success: `{"Success":true,"ErrorCode":0,"ErrorText":"",…payload}`.
 * - `/api.php` handler error: HTTP 200, `{"Success":false,"ErrorCode":[…],"ErrorText":[…],"Errors":[…]}`.
 * - `/api.php` hard failure: its own HTTP status and both shapes at once, with scalar `ErrorCode`/`ErrorText` as
 *   the O-err example shows (`{"Success":false,"ErrorCode":100003,"ErrorText":"…","Errors":[…]}`).
 * - `/api.php` with `ResponseFormat=XML`: the same fields under `<response>`, arrays as `<node_0>…` children.
 */
import type { ServerResponse } from 'node:http';
import { endReply } from '../reply-batch.js';
import { XMLBuilder } from 'fast-xml-parser';
import type { AppError } from '../errors.js';
import { pushRateLimitHeaders } from '../rate-limit/headers.js';
import type { RateLimitState } from '../procedures/procedure.js';

export type Transport = 'v1' | 'legacy';
export type ResponseFormat = 'json' | 'xml';
export type ResponseBody = Record<string, unknown>;

/** Everything `send` needs for one answer. */
export interface Reply {
  readonly status: number;
  readonly body: ResponseBody;
  readonly format: ResponseFormat;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * `ResponseFormat` is case-sensitive: exactly `XML` selects XML; anything else, `xml` included, is silently JSON
 * (O-err: "It must be exactly JSON or XML; any other value … is silently treated as JSON").
 */
export function responseFormat(value: unknown): ResponseFormat {
  return value === 'XML' ? 'xml' : 'json';
}

/**
 * The HTTP status of an error. `/api/v1` always uses the catalogue's status; `/api.php` answers handler errors with
 * 200 (`Success:false` says it failed, as Octeth always did) and keeps the status only for hard failures.
 */
export function statusFor(error: AppError, transport: Transport): number {
  if (transport === 'v1' || error.legacyHard) return error.httpStatus;
  return 200;
}

function errorsArray(error: AppError): { Code: number; Message: string }[] {
  return error.items.map((item) => ({ Code: item.code, Message: item.message }));
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Adds `extra` after the envelope's fields without letting it replace any of them. `Object.assign` and a key loop, not
 * a spread and `Object.entries`: on Node 20 an object made by a spread and then given new properties cost 1.7 µs per
 * `/api.php` reply against 0.18 µs (micro-benchmark; `withExtra` was 5 % of the /api.php profile).
 */
function withExtra(envelope: ResponseBody, extra: Readonly<Record<string, unknown>>): ResponseBody {
  const body: ResponseBody = Object.assign({}, envelope);
  for (const key of Object.keys(extra)) {
    if (!hasOwn.call(envelope, key)) body[key] = extra[key];
  }
  return body;
}

/** v1 success: the payload unchanged (a shallow copy, so later edits to the body cannot reach the caller's object). */
export function v1SuccessBody(payload: ResponseBody): ResponseBody {
  return { ...payload };
}

/** v1 error: `{"Errors":[…]}` in the AppError's order (already sorted by code), then its extra fields. */
export function v1ErrorBody(error: AppError): ResponseBody {
  return withExtra({ Errors: errorsArray(error) }, error.extra);
}

/** `/api.php` success: the legacy flags first, then the payload (which cannot override them). */
export function legacySuccessBody(payload: ResponseBody): ResponseBody {
  return withExtra({ Success: true, ErrorCode: 0, ErrorText: '' }, payload);
}

/**
 * `/api.php` error. Handler errors carry `ErrorCode`/`ErrorText` as arrays (O-beh: "arrays, not scalars, on most
 * endpoints"); a hard failure with a single item carries them as scalars, as the O-err hard-failure example does.
 */
export function legacyErrorBody(error: AppError): ResponseBody {
  const scalar = error.legacyHard && error.items.length === 1;
  const codes = error.items.map((item) => item.code);
  const texts = error.items.map((item) => item.message);
  return withExtra(
    {
      Success: false,
      ErrorCode: scalar ? codes[0] : codes,
      ErrorText: scalar ? texts[0] : texts,
      Errors: errorsArray(error),
    },
    error.extra,
  );
}

/**
 * Headers an error answer needs: `Retry-After` when the error says when to retry (RFC 9110 §10.2.3, seconds), and
 * `connection: close` for a body refused as too large, because that body is still unread on the socket and must
 * not be parsed as the next request.
 */
function errorHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  const retryAfter = error.extra['RetryAfter'];
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) {
    headers['retry-after'] = String(Math.ceil(retryAfter));
  }
  if (error.httpStatus === 413) headers['connection'] = 'close';
  return headers;
}

/**
 * The whole answer to a failed request. XML is honoured on `/api.php` only, and never for 100000: a body that was not
 * valid JSON may not have told us its ResponseFormat, so Octeth answers that one in JSON whatever was asked (O-err).
 */
export function errorReply(error: AppError, transport: Transport, requested: ResponseFormat = 'json'): Reply {
  const xmlAllowed = transport === 'legacy' && error.primary.key !== 'INVALID_JSON';
  return {
    status: statusFor(error, transport),
    body: transport === 'v1' ? v1ErrorBody(error) : legacyErrorBody(error),
    format: xmlAllowed ? requested : 'json',
    headers: errorHeaders(error),
  };
}

/** The whole answer to a successful request (HTTP 200). */
export function successReply(payload: ResponseBody, transport: Transport, requested: ResponseFormat = 'json'): Reply {
  return {
    status: 200,
    body: transport === 'v1' ? v1SuccessBody(payload) : legacySuccessBody(payload),
    format: transport === 'legacy' ? requested : 'json',
    headers: {},
  };
}

const xmlBuilder = new XMLBuilder({
  ignoreAttributes: true,
  format: false,
  suppressEmptyNode: false,
  processEntities: true,
});

/** XML 1.0 §2.2 `Char`: anything else (most C0 controls, lone surrogates, U+FFFE/U+FFFF) cannot appear, even escaped. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * An element name for a body key: characters outside a conservative `Name` become `_`, and a name that cannot start
 * an element gets a `_` in front. This also keeps keys away from the builder's own conventions (`#text`, `@_…`, `?…`).
 */
function xmlName(key: string): string {
  const name = key.replace(/[^\p{L}\p{N}._-]/gu, '_');
  return /^[\p{L}_]/u.test(name) ? name : `_${name}`;
}

/** Octeth's XML form of a JSON value: arrays become `node_0`, `node_1`… children; scalars become text. */
function toXmlTree(value: unknown): unknown {
  if (Array.isArray(value)) {
    const node: Record<string, unknown> = {};
    value.forEach((item, index) => {
      node[`node_${index}`] = toXmlTree(item);
    });
    return node;
  }
  if (value !== null && typeof value === 'object') {
    const node: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      let name = xmlName(key);
      // Two keys may sanitise to the same name ("a b", "a_b"): keep both rather than silently drop one.
      for (let n = 2; Object.hasOwn(node, name); n++) name = `${xmlName(key)}_${n}`;
      node[name] = toXmlTree(item);
    }
    return node;
  }
  if (typeof value === 'string') return value.replace(NOT_XML_CHAR, '\uFFFD');
  if (value === null) return '';
  return String(value);
}

/**
 * The XML text of a body. The body first goes through JSON, so XML shows exactly the data JSON would
 * (`toJSON`, dropped `undefined`, non-finite numbers as empty).
 */
export function toXml(body: ResponseBody): string {
  const data: unknown = JSON.parse(JSON.stringify(body));
  return `<?xml version="1.0" encoding="utf-8"?>${xmlBuilder.build({ response: toXmlTree(data) })}`;
}

export interface SendOptions {
  /** Extra response headers (e.g. `retry-after`). They cannot change content-type or content-length. */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 'json' */
  readonly format?: ResponseFormat;
  /** The caller's budget, sent as the `RateLimit-*` headers after `headers`. @default none */
  readonly rateLimit?: RateLimitState | undefined;
}

/**
 * Writes one complete answer. `no-store` because answers may echo account data; `nosniff` so a browser never
 * reinterprets them. The content-length is the byte length of the UTF-8 text, not its character count.
 */
export function send(res: ServerResponse, status: number, body: ResponseBody, options: SendOptions = {}): void {
  const format = options.format ?? 'json';
  const text = format === 'xml' ? toXml(body) : JSON.stringify(body);
  // One flat list for writeHead: node then builds the head in one pass, with no per-header bookkeeping (setHeader).
  const head: string[] = ['cache-control', 'no-store', 'x-content-type-options', 'nosniff'];
  for (const name in options.headers) {
    if (!FIXED_HEADERS.has(name.toLowerCase())) head.push(name, options.headers[name]!);
  }
  if (options.rateLimit) pushRateLimitHeaders(head, options.rateLimit);
  head.push('content-type', format === 'xml' ? 'text/xml; charset=utf-8' : 'application/json; charset=utf-8');
  head.push('content-length', String(Buffer.byteLength(text)));
  // A string body goes out with the head in a single write, with a few other replies (src/reply-batch.ts).
  endReply(res, status, head, text);
}

/** Headers `send` sets itself: `options.headers` cannot change them. */
const FIXED_HEADERS = new Set(['cache-control', 'x-content-type-options', 'content-type', 'content-length']);

/** `send` for a `Reply` built by `errorReply`/`successReply`, with the caller's budget when one was drawn. */
export function sendReply(res: ServerResponse, reply: Reply, rateLimit?: RateLimitState): void {
  send(res, reply.status, reply.body, { headers: reply.headers, format: reply.format, rateLimit });
}
