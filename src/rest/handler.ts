/**
 * The REST compatibility transport: `/api/v1/<command>` and `/api.php?Command=<command>`, Octeth-style. It turns a
 * request into (command, input, caller), runs the procedure, and writes the platform's envelopes. Nothing here knows
 * what a command does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, isAppError } from '../errors.js';
import { findProcedure } from '../procedures/router.js';
import { callerFromBearer } from '../procedures/caller.js';
import { runProcedure, type CallContext, type CallerCredentials } from '../procedures/procedure.js';
import { rateLimitHeaders } from '../rate-limit/headers.js';
import type { Services } from '../app.js';
import { endReply } from '../reply-batch.js';
import { param, readParams, type RawParams } from './params.js';
import { errorReply, responseFormat, sendReply, successReply, type ResponseBody, type ResponseFormat, type Transport } from './respond.js';
import type { Verification } from '../services/verify-service.js';

const V1_PREFIX = '/api/v1/';
const LEGACY_PATH = '/api.php';

export function isRestPath(path: string): boolean {
  return path === LEGACY_PATH || path.startsWith(V1_PREFIX);
}

/**
 * Octeth parameter names → procedure input fields. Names are exact: `APIKey` (the caller's key for this service,
 * read by `callerFrom`) and `ApiKey` (the DNS provider's key) differ only in case and must never be mixed up.
 */
const INPUT_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
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

const INPUT_PARAMETER_ENTRIES = Object.entries(INPUT_PARAMETERS);

function inputFrom(raw: RawParams): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [field, names] of INPUT_PARAMETER_ENTRIES) {
    const value = param(raw, ...names);
    if (value !== undefined) input[field] = value;
  }
  return input;
}

/** The caller's own credentials: `Authorization: Bearer` first, else the `APIKey` / `SessionID` parameters. */
function callerFrom(req: IncomingMessage, raw: RawParams): CallerCredentials {
  const fromHeader = callerFromBearer(req);
  if (fromHeader.apiKey || fromHeader.sessionId) return fromHeader;
  const { ip } = fromHeader;
  const apiKey = param(raw, 'APIKey', 'apikey');
  const sessionId = param(raw, 'SessionID', 'sessionid');
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

/** The success body of each command, exactly as the platform answered it. */
function successPayload(command: string, output: unknown, input: Record<string, unknown>): ResponseBody {
  switch (command) {
    case 'dns.provider':
      return { provider: (output as { provider: string }).provider };
    case 'dns.set': {
      // A plain dns.set answers exactly {"success":true}; a dry run adds the plan. Warnings (what could not be
      // checked, e.g. an SPF lookup count) are added to either only when there are some.
      const result = output as { applied: boolean; changes: unknown; warnings: readonly string[] };
      const dryRun = result.applied === false && input.dryRun !== undefined;
      const warnings = result.warnings.length > 0 ? { warnings: result.warnings } : {};
      return dryRun ? { success: true, changes: result.changes, ...warnings } : { success: true, ...warnings };
    }
    case 'dns.verify': {
      // The platform's own verify shape first (`true` = live on every authoritative server), then the detail.
      const v = output as Verification;
      const legacy = Object.fromEntries(v.records.map((r) => [r.name, [r.type, r.expected, r.status === 'LIVE']]));
      return { ready: v.ready, DNSVerificationResults: legacy, records: v.records, checks: v.checks };
    }
    case 'dns.changes':
      return { changes: (output as { changes: unknown }).changes };
    case 'dns.watch':
      return { watch: (output as { watch: unknown }).watch };
    case 'dns.watches':
      return { watches: (output as { watches: unknown }).watches };
    case 'dns.revert':
      // As dns.set: exactly {"success":true}; GraphQL's revertDnsChange also shows the restoring writes.
      return { success: true };
    default:
      return output as ResponseBody;
  }
}

/** The request target split once by the server: the path, and the query string with its `?` (or ''). */
export interface RestTarget {
  readonly path: string;
  readonly search: string;
}

export async function handleRest(services: Services, req: IncomingMessage, res: ServerResponse, target: RestTarget): Promise<void> {
  const transport: Transport = target.path === LEGACY_PATH ? 'legacy' : 'v1';
  // Known before the body is read, so that even a refused body is answered in the format the query asked for.
  let format: ResponseFormat = target.search.includes('ResponseFormat') ? responseFormat(new URLSearchParams(target.search).get('ResponseFormat')) : 'json';
  let ctx: CallContext | undefined;
  let reply;
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      const text = JSON.stringify({ Errors: [{ Code: 405, Message: 'Method not allowed: use GET or POST' }] });
      endReply(res, 405, { allow: 'GET, POST', 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }, text);
      return;
    }
    const raw = await readParams(req, target, { maxBodyBytes: services.config.MAX_BODY_BYTES });
    format = responseFormat(param(raw, 'ResponseFormat'));
    const command = commandFrom(transport, target.path, raw);
    const procedure = findProcedure(command);
    if (!procedure) throw AppError.of('INVALID_COMMAND', `${quote(command)} not found`);
    ctx = { services, caller: callerFrom(req, raw), transport: 'rest' };
    const input = inputFrom(raw);
    const output = await runProcedure(procedure, input, ctx);
    reply = successReply(successPayload(procedure.name, output, input), transport, format);
  } catch (error) {
    if (!isAppError(error)) {
      // The client went away mid-body: nobody to answer. (Not `req.destroyed`: that is also true once a body has been
      // read to its end, and would leave every unexpected error after a POST unanswered.)
      if (res.destroyed || req.socket.destroyed) return;
      services.logger.error({ err: error, path: target.path }, 'REST request failed');
    }
    reply = errorReply(isAppError(error) ? error : AppError.of('INTERNAL_ERROR'), transport, format);
  }
  const headers = ctx?.rateLimit ? { ...reply.headers, ...rateLimitHeaders(ctx.rateLimit) } : reply.headers;
  sendReply(res, { ...reply, headers });
}
