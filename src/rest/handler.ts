/**
 * The REST compatibility transport: `/api/v1/<command>` and `/api.php?Command=<command>`, Octeth-style. It turns a
 * request into (command, input, caller), runs the procedure, and writes the platform's envelopes. Nothing here knows
 * what a command does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, isAppError, type ErrorKey } from '../errors.js';
import { findProcedure, type CommandName } from '../procedures/router.js';
import { callerFromBearer } from '../procedures/caller.js';
import { runProcedure, type CallContext, type CallerCredentials } from '../procedures/procedure.js';
import type { Services } from '../app.js';
import { RequestLog } from '../logger.js';
import { endReply } from '../reply-batch.js';
import { param, readParams, type RawParams } from './params.js';
import { errorReply, responseFormat, sendReply, successReply, type Reply, type ResponseFormat, type Transport } from './respond.js';
import { isPromise, type MaybePromise } from '../maybe-promise.js';
import { REST_COMMANDS } from './commands.js';

export const V1_PREFIX = '/api/v1/';
export const LEGACY_PATH = '/api.php';

/** What this transport itself may answer for any command: malformed requests, and our own failures. */
export const TRANSPORT_ERRORS: readonly ErrorKey[] = ['INVALID_JSON', 'BODY_TOO_LARGE', 'UNSUPPORTED_CONTENT_TYPE', 'INVALID_COMMAND', 'INTERNAL_ERROR'];

export function isRestPath(path: string): boolean {
  return path === LEGACY_PATH || path.startsWith(V1_PREFIX);
}

/**
 * Octeth parameter names → procedure input fields; the first name is the one the API description shows. Names are
 * exact: `APIKey` (the caller's key for this service, read by `callerFrom`) and `ApiKey` (the DNS provider's key)
 * differ only in case and must never be mixed up.
 */
export const INPUT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  domain: ['Domain', 'domain'],
  provider: ['Provider', 'provider'],
  recordType: ['RecordType', 'recordtype', 'recordType'],
  apiKey: ['ApiKey'],
  apiSecret: ['ApiSecret'],
  apiUser: ['ApiUser'],
  username: ['Username', 'username', 'UserName'],
  password: ['Password', 'password'],
  dryRun: ['DryRun', 'dryrun', 'dryRun'],
  force: ['Force', 'force'],
  changeId: ['ChangeID', 'ChangeId', 'changeid', 'changeId'],
  redirectUri: ['RedirectURI', 'RedirectUri', 'redirecturi', 'redirectUri'],
  state: ['State', 'state'],
  flow: ['Flow', 'flow'],
};

/** Each parameter name → the input field it fills, and its rank among that field's names (lower wins). */
const FIELD_OF_PARAMETER = new Map<string, { readonly field: string; readonly rank: number }>(
  Object.entries(INPUT_PARAMETERS).flatMap(([field, names]) => names.map((name, rank) => [name, { field, rank }] as const)),
);

/**
 * The procedure input from the request's parameters: for each field, the value of the first of its names present.
 * Walks the request's parameters (one to three, usually) rather than every name of every field (34 lookups).
 */
function inputFrom(raw: RawParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  let ranks: Map<string, number> | undefined;
  for (const [name, value] of raw) {
    const named = FIELD_OF_PARAMETER.get(name);
    if (!named || value === undefined) continue;
    const held = ranks?.get(named.field);
    if (held !== undefined && held < named.rank) continue;
    input[named.field] = value;
    (ranks ??= new Map()).set(named.field, named.rank);
  }
  return input;
}

/** The parameters that carry the caller's own credentials (any of the names). */
export const CALLER_PARAMETERS = { apiKey: ['APIKey', 'apikey'], sessionId: ['SessionID', 'sessionid'] } as const;

/** The caller's own credentials: `Authorization: Bearer` first, else the `APIKey` / `SessionID` parameters. */
function callerFrom(req: IncomingMessage, raw: RawParams): CallerCredentials {
  const fromHeader = callerFromBearer(req);
  if (fromHeader.apiKey || fromHeader.sessionId) return fromHeader;
  const { ip } = fromHeader;
  const apiKey = param(raw, ...CALLER_PARAMETERS.apiKey);
  const sessionId = param(raw, ...CALLER_PARAMETERS.sessionId);
  return {
    ip,
    apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined,
    sessionId: typeof sessionId === 'string' && sessionId !== '' ? sessionId : undefined,
  };
}

/** Which command a request names; a body `Command` that disagrees with the v1 path is refused (100003). */
function commandFrom(transport: Transport, path: string, raw: RawParams): string {
  const named = param(raw, 'Command', 'command');
  if (named !== undefined && typeof named !== 'string') throw AppError.of('INVALID_COMMAND', 'Command must be a string');
  if (transport === 'v1') {
    let fromPath: string;
    try {
      fromPath = decodeURIComponent(path.slice(V1_PREFIX.length));
    } catch {
      throw AppError.of('INVALID_COMMAND', 'malformed command in the path');
    }
    if (named !== undefined && named.toLowerCase() !== fromPath.toLowerCase()) {
      throw AppError.of('INVALID_COMMAND', `Command ${quote(named)} does not match the path ${quote(fromPath)}`);
    }
    return fromPath;
  }
  if (!named) throw AppError.of('INVALID_COMMAND', 'Command is missing');
  return named;
}

/** Quotes user text for a message: bounded, and printable only. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/**
 * Our own failures (HTTP 500: an unexpected error, a journal that could not be written) name the request in a
 * `RequestID` field, so that a caller can quote it; the line logged for it carries the same id.
 */
function namingRequest(error: AppError, requestId: string): AppError {
  if (error.httpStatus !== 500) return error;
  return new AppError(error.items, { cause: error.cause, extra: { ...error.extra, RequestID: requestId } });
}

/** The request target split once by the server: the path, and the query string with its `?` (or ''). */
export interface RestTarget {
  readonly path: string;
  readonly search: string;
  /** Set by `handleRest` once the request names a known command: the request metrics' label. */
  command?: CommandName | undefined;
}

/** One request on its way through `handleRest`. */
interface RestCall {
  readonly services: Services;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly target: RestTarget;
  readonly transport: Transport;
  /** Known before the body is read, so that even a refused body is answered in the format the query asked for. */
  format: ResponseFormat;
  ctx: CallContext | undefined;
  /** The request's id (src/request-id.ts) and its logger: for its log lines and an internal error's reply. */
  readonly requestId: string;
  readonly logger: RequestLog;
}

/**
 * Answers one REST request. Synchronous when nothing waits (a GET whose procedure answers from memory: no promise, no
 * microtask tick, src/maybe-promise.ts); a promise from the first step that waits (a body to read, a store lookup).
 */
export function handleRest(services: Services, req: IncomingMessage, res: ServerResponse, target: RestTarget, requestId: string): MaybePromise<void> {
  const transport: Transport = target.path === LEGACY_PATH ? 'legacy' : 'v1';
  const format = target.search.includes('ResponseFormat') ? responseFormat(new URLSearchParams(target.search).get('ResponseFormat')) : 'json';
  if (req.method !== 'GET' && req.method !== 'POST') {
    const text = JSON.stringify({ Errors: [{ Code: 405, Message: 'Method not allowed: use GET or POST' }] });
    endReply(res, 405, { allow: 'GET, POST', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }, text);
    return;
  }
  const call: RestCall = { services, req, res, target, transport, format, ctx: undefined, requestId, logger: new RequestLog(services.logger, requestId) };
  let reply: MaybePromise<Reply>;
  try {
    const raw = readParams(req, target, { maxBodyBytes: services.config.MAX_BODY_BYTES });
    reply = isPromise(raw) ? raw.then((params) => runCommand(call, params)) : runCommand(call, raw);
  } catch (error) {
    return answer(call, failure(call, error));
  }
  if (!isPromise(reply)) return answer(call, reply);
  return reply.then(
    (done) => answer(call, done),
    (error: unknown) => answer(call, failure(call, error)),
  );
}

/** The command the parameters name, run; its success reply (a failure throws or rejects). */
function runCommand(call: RestCall, raw: RawParams): MaybePromise<Reply> {
  call.format = responseFormat(param(raw, 'ResponseFormat'));
  const command = commandFrom(call.transport, call.target.path, raw);
  const procedure = findProcedure(command);
  if (!procedure) throw AppError.of('INVALID_COMMAND', `${quote(command)} not found`);
  const name = procedure.name as CommandName;
  call.target.command = name;
  const ctx: CallContext = { services: call.services, caller: callerFrom(call.req, raw), transport: 'rest', requestId: call.requestId, logger: call.logger };
  call.ctx = ctx;
  const input = inputFrom(raw);
  const output = runProcedure(procedure, input, ctx);
  const payload = REST_COMMANDS[name].payload;
  const succeeded = (done: unknown) => {
    call.services.metrics.procedureCall(metricsTransport(call), name, 'ok');
    return successReply(payload(done as never, input), call.transport, call.format);
  };
  return isPromise(output) ? output.then(succeeded) : succeeded(output);
}

/** The error reply for a failure; null when the client went away and nobody is left to answer. */
function failure(call: RestCall, error: unknown): Reply | null {
  if (!isAppError(error)) {
    // The client went away mid-body: nobody to answer. (Not `req.destroyed`: that is also true once a body has been
    // read to its end, and would leave every unexpected error after a POST unanswered.)
    if (call.res.destroyed || call.req.socket.destroyed) return null;
    call.logger.error({ err: error, path: call.target.path }, 'REST request failed');
  }
  const failed = isAppError(error) ? error : AppError.of('INTERNAL_ERROR');
  if (call.ctx && call.target.command) call.services.metrics.procedureCall(metricsTransport(call), call.target.command, failed.primary.key);
  return errorReply(namingRequest(failed, call.requestId), call.transport, call.format);
}

const metricsTransport = (call: RestCall) => (call.transport === 'v1' ? 'rest' : 'legacy');

function answer(call: RestCall, reply: Reply | null): void {
  if (!reply) return;
  sendReply(call.res, reply, call.ctx?.rateLimit);
}
