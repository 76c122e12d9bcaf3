/**
 * A loopback GoDaddy Domains API v1 (a real node:http server on 127.0.0.1, port 0) that behaves as GoDaddy's swagger
 * and the observed replies say. Every behaviour names its source; facts and tags are in
 * ../shared/reference/providers.md §2 ("gd-swagger" = GoDaddy's swagger 2.0 file, [obs] = a real reply quoted in an
 * issue, [infer] = not confirmed). It is deliberately unforgiving where GoDaddy is: `PUT /records` wipes the zone,
 * `PUT type/name` replaces the whole rrset, `PATCH` only appends, so a careless adapter loses records here too.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GodaddyRecord } from '../../providers/godaddy.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface GodaddyFakeAccount {
  readonly key: string;
  readonly secret: string;
  /** False = the 2024 restriction (fewer than 10 domains, no Discount Domain Club): every call gets 403 ACCESS_DENIED. */
  readonly eligible: boolean;
  readonly domains: readonly string[];
}

/** Test-only credentials of the default accounts (not real GoDaddy keys). */
export const GODADDY_FAKE_ACCOUNTS = {
  good: { key: 'gdk_9fQ2mT7vLx3Rw8Zp', secret: 'gds_Hk4Nc6Yb1Je5Ua0S', eligible: true, domains: [SEED_APEX, 'empty-zone.com'] },
  denied: { key: 'gdk_small_account_01', secret: 'gds_small_secret_01', eligible: false, domains: [SEED_APEX] },
} as const satisfies Record<string, GodaddyFakeAccount>;

export interface GodaddyFakeCall {
  readonly method: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
}

/** A one-off failure served instead of the real answer, for the next `times` matching requests. */
export type GodaddyFault = GodaddyStatusFault | GodaddyTransportFault | GodaddyEchoFault;

/**
 * An error reply quoting the key and secret of the request's `sso-key` header, before they are checked: 403 with them
 * in `message`, or 422 with them in `fields[].message` and `code` [infer: a provider echoing its input back; the
 * bodies follow gd-swagger `Error`].
 */
export interface GodaddyEchoFault {
  readonly kind: 'echo_credentials';
  readonly status: 403 | 422;
  /** @default 1 */
  readonly times?: number;
  readonly method?: string;
  readonly pathIncludes?: string;
}

/**
 * Failures of the connection or of the reply rather than of GoDaddy's logic [infer: no source documents them; any
 * HTTP upstream can fail so]. `hang`, `reset` and `malformed` happen before the request is handled (nothing changes;
 * use `malformed` on reads: a 200 to a write means it committed); `truncated` and `error_after_commit` after it (a
 * write has committed, its reply is lost).
 */
export interface GodaddyTransportFault {
  readonly kind: 'hang' | 'reset' | 'malformed' | 'truncated' | 'error_after_commit';
  /** @default 1 */
  readonly times?: number;
  readonly method?: string;
  readonly pathIncludes?: string;
}

export interface GodaddyStatusFault {
  readonly kind?: undefined;
  readonly status: 409 | 429 | 500 | 502 | 503;
  /** @default 1 */
  readonly times?: number;
  /** ErrorLimit's required `retryAfterSec` (429 only). @default 1 */
  readonly retryAfterSec?: number;
  /** Answer with an HTML page, as an edge proxy does. @default false */
  readonly html?: boolean;
  readonly method?: string;
  readonly pathIncludes?: string;
}

export interface GodaddyFakeBehaviour {
  /** Most records one `GET …/records` page returns, whatever `limit` asks. @default unlimited */
  pageLimit?: number;
  /** GoDaddy's 60 requests/minute per endpoint (Terms of Use); off unless set. @default undefined */
  rateLimitPerMinute?: number;
}

export interface GodaddyFake {
  readonly baseUrl: string;
  /** Zones by apex, records in wire form (relative names). Tests may inspect and edit them. */
  readonly state: { zones: Map<string, GodaddyRecord[]>; accounts: GodaddyFakeAccount[] };
  readonly calls: GodaddyFakeCall[];
  /** A deep copy of a zone's records, for before/after comparisons. */
  snapshot(domain?: string): GodaddyRecord[];
  failNext(fault: GodaddyFault): void;
  /** Drops every queued fault (a lasting one, once its test has seen it). */
  clearFaults(): void;
  setBehaviour(behaviour: GodaddyFakeBehaviour): void;
  /** Runs `action` just before the next write (PUT/DELETE) is handled: another writer between our read and our write. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  close(): Promise<void>;
}

/** gd-swagger `DNSRecord.type` enum (v1): no CAA (lexicon PR #506). */
const RECORD_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'SRV', 'TXT']);
/** gd-swagger `recordDeleteTypeName`: only these types can be deleted. */
const DELETABLE_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'SRV', 'TXT']);
/** win-acme#1947, lego `minTTL`; the maximum is lexicon's clamp [code]. */
const MIN_TTL = 600;
const MAX_TTL = 604_800;

/** Seed records (full names) → GoDaddy wire form: relative names, `@` for the apex, SRV split into fields. */
export function toGodaddyWire(records: readonly DesiredRecord[], apex: string): GodaddyRecord[] {
  return records.map((r) => {
    const name = r.name === apex ? '@' : r.name.slice(0, -(apex.length + 1));
    if (r.type === 'SRV') {
      // gd-swagger DNSRecord: SRV keeps priority, weight, port, service, protocol as fields [infer the name form].
      const [weight, port, target] = r.content.split(' ');
      const [service, protocol] = name.split('.');
      return {
        type: 'SRV', name, data: target ?? '', ttl: r.ttl, priority: r.priority ?? 0,
        weight: Number(weight), port: Number(port), service: service ?? '', protocol: protocol ?? '',
      };
    }
    return canonical({ data: r.content, ttl: r.ttl, priority: r.priority }, r.type, name);
  });
}

export async function startGodaddyFake(options: { accounts?: GodaddyFakeAccount[]; behaviour?: GodaddyFakeBehaviour } = {}): Promise<GodaddyFake> {
  const zones = new Map<string, GodaddyRecord[]>([
    [SEED_APEX, toGodaddyWire(seedRecords({ caa: false }), SEED_APEX)],
    ['empty-zone.com', []],
  ]);
  const accounts = options.accounts ?? [GODADDY_FAKE_ACCOUNTS.good, GODADDY_FAKE_ACCOUNTS.denied];
  const calls: GodaddyFakeCall[] = [];
  const faults: { fault: GodaddyFault; left: number }[] = [];
  let behaviour: GodaddyFakeBehaviour = { ...options.behaviour };
  const windows = new Map<string, { start: number; count: number }>();
  let beforeWrite: (() => void | Promise<void>) | undefined;

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = decodeURIComponent(url.pathname);
      let body: unknown;
      let bodyError = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          bodyError = true;
        }
      }
      const call: GodaddyFakeCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body, status: 0 };
      calls.push(call);
      const reply = (status: number, payload?: unknown) => {
        call.status = status;
        if (payload === undefined) return void res.writeHead(status).end();
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const fault = takeFault(call);
      if (fault?.kind === 'hang') return; // left open until the client gives up or close() ends it
      if (fault?.kind === 'reset') return void res.destroy();
      if (req.method !== 'GET' && beforeWrite) {
        const action = beforeWrite;
        beforeWrite = undefined;
        await action();
      }
      if (fault?.kind === 'malformed') {
        call.status = 200;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('[{"type":"A","name":"@","da');
      }
      if (fault?.kind === 'truncated' || fault?.kind === 'error_after_commit') {
        // Handled for real (a write commits), then the reply is replaced by the failure.
        const after = fault.kind;
        const lostReply = (status: number) => {
          call.status = status;
          if (after === 'error_after_commit') {
            call.status = 500;
            res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal Server Error' }));
            return;
          }
          // Headers promise a body that never fully comes.
          res.writeHead(status, { 'content-type': 'application/json', 'content-length': '64' });
          res.write('{"code":');
          setTimeout(() => res.destroy(), 20);
        };
        const account = authenticate(req.headers.authorization, reply);
        if (!account) return;
        return route(account, call, url.pathname, (status) => lostReply(status));
      }
      if (fault && fault.kind === undefined) return serveFault(res, call, fault);
      if (fault?.kind === 'echo_credentials') {
        const [key = '', secret = ''] = (req.headers.authorization ?? '').replace(/^sso-key /, '').split(':');
        const quoted = `key ${key} and secret ${secret}`;
        return fault.status === 403
          ? reply(403, { code: 'ACCESS_DENIED_FOR', message: `Access denied to ${quoted}` })
          : reply(422, { code: `INVALID_${key}`, message: `Invalid ${quoted}`, fields: [{ code: 'UNEXPECTED_VALUE', message: `does not accept ${quoted}`, path: `sso-key ${key}:${secret}` }] });
      }
      const limited = rateLimited(call);
      if (limited !== undefined) {
        return reply(429, { code: 'TOO_MANY_REQUESTS', message: 'Too many requests', retryAfterSec: limited });
      }
      const account = authenticate(req.headers.authorization, reply);
      if (!account) return;
      if (bodyError) return reply(400, { code: 'INVALID_BODY', message: 'Request body is not valid JSON' });
      route(account, call, url.pathname, reply);
    });
  });

  function takeFault(call: GodaddyFakeCall): GodaddyFault | undefined {
    const found = faults.find(({ fault }) => (!fault.method || fault.method === call.method) && (!fault.pathIncludes || call.path.includes(fault.pathIncludes)));
    if (!found) return undefined;
    if (--found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  function serveFault(res: ServerResponse, call: GodaddyFakeCall, fault: GodaddyStatusFault): void {
    call.status = fault.status;
    if (fault.html) {
      res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
      return;
    }
    // 429 is gd-swagger `ErrorLimit` (retryAfterSec required); the 409 body is not documented [infer].
    const payload =
      fault.status === 429
        ? { code: 'TOO_MANY_REQUESTS', message: 'Too many requests', retryAfterSec: fault.retryAfterSec ?? 1 }
        : fault.status === 409
          ? { code: 'CONFLICT', message: 'Another change is in progress for this domain' }
          : { code: 'INTERNAL_SERVER_ERROR', message: 'Internal Server Error' };
    res.writeHead(fault.status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }

  /** The 60/min quota is per endpoint (GoDaddy API Terms of Use): keyed by method and path shape. */
  function rateLimited(call: GodaddyFakeCall): number | undefined {
    const limit = behaviour.rateLimitPerMinute;
    if (limit === undefined) return undefined;
    const shape = call.path.split('/').length;
    const key = `${call.method} ${shape}`;
    const now = Date.now();
    const window = windows.get(key);
    if (!window || now - window.start >= 60_000) {
      windows.set(key, { start: now, count: 1 });
      return undefined;
    }
    if (++window.count <= limit) return undefined;
    return Math.ceil((window.start + 60_000 - now) / 1000);
  }

  type Reply = (status: number, payload?: unknown) => void;

  function authenticate(header: string | undefined, reply: Reply): GodaddyFakeAccount | undefined {
    // lego client.go: `Authorization: sso-key KEY:SECRET`.
    const match = /^sso-key ([^:\s]+):(\S+)$/.exec(header ?? '');
    if (!match) {
      // allinssl#160 [obs]
      reply(401, { code: 'MISSING_CREDENTIALS', message: 'Unauthorized : Credentials must be specified' });
      return undefined;
    }
    const account = accounts.find((a) => a.key === match[1] && a.secret === match[2]);
    if (!account) {
      // acme.sh#1564, win-acme#2376 [obs]
      reply(401, { code: 'UNABLE_TO_AUTHENTICATE', message: 'Unauthorized : Could not authenticate API key/secret' });
      return undefined;
    }
    if (!account.eligible) {
      // 2024 restriction: lego godaddy.toml, Posh-ACME #547, getssl#847 [obs]
      reply(403, { code: 'ACCESS_DENIED', message: 'Authenticated user is not allowed access' });
      return undefined;
    }
    return account;
  }

  function route(account: GodaddyFakeAccount, call: GodaddyFakeCall, rawPath: string, reply: Reply): void {
    const parts = rawPath.split('/').slice(1).map((p) => decodeURIComponent(p));
    if (parts[0] !== 'v1' || parts[1] !== 'domains' || !parts[2]) return reply(404, { code: 'NOT_FOUND', message: 'Not found' });
    const domain = parts[2].toLowerCase();
    const zone = zones.get(domain);
    if (!zone || !account.domains.includes(domain)) {
      // n3integration/terraform-provider-godaddy#11 [obs]
      return reply(404, { code: 'UNKNOWN_DOMAIN', message: 'The given domain is not registered, or does not have a zone file' });
    }
    const [, , , section, pathType, pathName, ...rest] = parts;
    if (section === undefined) {
      if (call.method !== 'GET') return reply(405, { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' });
      // gd-swagger DomainDetail (a subset).
      return reply(200, { domainId: 1000 + domain.length, domain, status: 'ACTIVE', nameServers: ['ns51.domaincontrol.com', 'ns52.domaincontrol.com'] });
    }
    if (section !== 'records' || rest.length > 0) return reply(404, { code: 'NOT_FOUND', message: 'Not found' });
    const type = pathType?.toUpperCase();
    if (type !== undefined && !RECORD_TYPES.has(type)) {
      // CAA and other types are outside the v1 enum: 422 (lexicon PR #506) [obs]
      return reply(422, invalid([{ code: 'UNEXPECTED_VALUE', message: `${pathType} is not a valid type`, path: 'type' }]));
    }
    const name = pathName?.toLowerCase();
    const write = (next: GodaddyRecord[] | { error: object }) => {
      if ('error' in next) return reply(422, next.error);
      const conflict = conflictError(next);
      if (conflict) return reply(422, conflict);
      zones.set(domain, next);
      reply(200);
    };
    switch (call.method) {
      case 'GET':
        return listRecords(zone, call.query, type, name, reply);
      case 'PATCH': {
        // recordAdd appends and never updates (AndreasLoow/godaddy-dyndns PR #1) [obs].
        if (type) return reply(405, { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' });
        const items = parseItems(call.body, 'full');
        if ('error' in items) return reply(422, items.error);
        for (const item of items) {
          if (zone.some((r) => sameValue(r, item))) {
            // a godaddy CLI README / curl transcript [obs]
            return reply(422, {
              code: 'DUPLICATE_RECORD',
              message: 'Another record with the same attributes already exists',
              fields: [{ code: 'DUPLICATE_RECORD', message: `${item.type} record name [${item.name}] conflicts with another record.`, path: 'records' }],
            });
          }
        }
        return write([...zone, ...items]);
      }
      case 'PUT': {
        if (!type) {
          // recordReplace: "Replace all DNS Records for the specified Domain" (gd-swagger): the zone is wiped.
          return write(parseItems(call.body, 'full'));
        }
        if (!name) {
          // recordReplaceType: every record of the type, all names, is replaced (gd-swagger).
          const items = parseItems(call.body, 'full', type);
          if ('error' in items) return reply(422, items.error);
          return write([...zone.filter((r) => r.type !== type), ...items]);
        }
        // recordReplaceTypeName: the body is the whole rrset (gd-swagger). lego sends name/type in the items too and
        // they are ignored: the path decides.
        const items = parseItems(call.body, 'rrset', type, pathName ?? name);
        if ('error' in items) return reply(422, items.error);
        // An empty array is ignored: PUT [] cannot delete (lexicon godaddy.py `delete_record`) [code].
        if (items.length === 0) return reply(200);
        const at = zone.findIndex((r) => r.type === type && r.name.toLowerCase() === name);
        const others = zone.filter((r) => !(r.type === type && r.name.toLowerCase() === name));
        const position = at < 0 ? others.length : zone.slice(0, at).filter((r) => !(r.type === type && r.name.toLowerCase() === name)).length;
        return write([...others.slice(0, position), ...items, ...others.slice(position)]);
      }
      case 'DELETE': {
        // recordDeleteTypeName: 204, A/AAAA/CNAME/MX/SRV/TXT only (gd-swagger).
        if (!type || !name) return reply(405, { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' });
        if (!DELETABLE_TYPES.has(type)) {
          return reply(422, invalid([{ code: 'UNEXPECTED_VALUE', message: `${type} records cannot be deleted`, path: 'type' }]));
        }
        const kept = zone.filter((r) => !(r.type === type && r.name.toLowerCase() === name));
        // Deleting a missing rrset is undocumented; a 404 is the likeliest answer [infer].
        if (kept.length === zone.length) return reply(404, { code: 'NOT_FOUND', message: `No ${type} records found for ${pathName}` });
        zones.set(domain, kept);
        return reply(204);
      }
      default:
        return reply(405, { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' });
    }
  }

  function listRecords(zone: GodaddyRecord[], query: Readonly<Record<string, string>>, type: string | undefined, name: string | undefined, reply: Reply): void {
    const matching = zone.filter((r) => (!type || r.type === type) && (!name || r.name.toLowerCase() === name));
    // gd-swagger recordGet: `offset` skips, `limit` caps the page; pageLimit models a server-side maximum [infer].
    const offset = Number(query.offset ?? 0);
    const asked = query.limit === undefined ? Infinity : Number(query.limit);
    if (!Number.isInteger(offset) || offset < 0 || !(asked > 0)) {
      return reply(422, invalid([{ code: 'UNEXPECTED_VALUE', message: 'must be a non-negative integer', path: 'offset/limit' }]));
    }
    const limit = Math.min(asked, behaviour.pageLimit ?? Infinity);
    reply(200, matching.slice(offset, offset + limit));
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    state: { zones, accounts },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    failNext: (fault) => void faults.push({ fault, left: fault.times ?? 1 }),
    clearFaults: () => {
      faults.splice(0);
      beforeWrite = undefined;
    },
    beforeNextWrite: (action) => void (beforeWrite = action),
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** gd-swagger `Error` with `fields`; the message is the one quoted in win-acme#1947. */
function invalid(fields: { code: string; message: string; path: string }[]): object {
  return { code: 'INVALID_BODY', fields, message: "Request body doesn't fulfill schema, see details in `fields`" };
}

/**
 * Validates a write body. `full` items carry name and type (PATCH, PUT /records); `rrset` items take both from the
 * path. Errors follow the observed bodies: not an array (peteward44/docker-godaddy-ddns#2), TTL (win-acme#1947).
 */
function parseItems(body: unknown, mode: 'full' | 'rrset', pathType?: string, pathName?: string): GodaddyRecord[] | { error: object } {
  if (!Array.isArray(body)) return { error: invalid([{ code: 'UNEXPECTED_TYPE', message: 'is not a array', path: 'records' }]) };
  const fields: { code: string; message: string; path: string }[] = [];
  const items: GodaddyRecord[] = [];
  body.forEach((item: unknown, i) => {
    const at = `records[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      fields.push({ code: 'UNEXPECTED_TYPE', message: 'is not a object', path: at });
      return;
    }
    const o = item as Record<string, unknown>;
    const type = mode === 'rrset' ? pathType : typeof o.type === 'string' ? o.type.toUpperCase() : undefined;
    const name = mode === 'rrset' ? pathName : typeof o.name === 'string' ? o.name : undefined;
    if (typeof o.data !== 'string' || o.data === '') fields.push({ code: 'MISSING_PROPERTY', message: 'is required', path: `${at}.data` });
    if (!name) fields.push({ code: 'MISSING_PROPERTY', message: 'is required', path: `${at}.name` });
    if (!type) fields.push({ code: 'MISSING_PROPERTY', message: 'is required', path: `${at}.type` });
    else if (!RECORD_TYPES.has(type) || (pathType && type !== pathType)) {
      fields.push({ code: 'UNEXPECTED_VALUE', message: `${type} is not a valid type`, path: `${at}.type` });
    }
    if (o.ttl !== undefined) {
      if (typeof o.ttl !== 'number' || !Number.isInteger(o.ttl)) fields.push({ code: 'UNEXPECTED_TYPE', message: 'is not a integer', path: `${at}.ttl` });
      else if (o.ttl < MIN_TTL) fields.push({ code: 'UNKNOWN_RESTRICTION', message: `must have a minimum value of ${MIN_TTL}`, path: `${at}.ttl` });
      else if (o.ttl > MAX_TTL) fields.push({ code: 'UNKNOWN_RESTRICTION', message: `must have a maximum value of ${MAX_TTL}`, path: `${at}.ttl` });
    }
    if (typeof o.data === 'string' && name && type) items.push(canonical(o, type, name));
  });
  if (fields.length > 0) return { error: invalid(fields) };
  return items;
}

/** One stored record: known DNSRecord fields only, TTL defaulting to an hour [infer]. */
function canonical(o: Record<string, unknown>, type: string, name: string): GodaddyRecord {
  const record: Record<string, unknown> = { type, name, data: o.data, ttl: typeof o.ttl === 'number' ? o.ttl : 3600 };
  for (const key of ['priority', 'port', 'weight', 'service', 'protocol'] as const) if (o[key] !== undefined) record[key] = o[key];
  return record as unknown as GodaddyRecord;
}

function sameValue(a: GodaddyRecord, b: GodaddyRecord): boolean {
  return a.type === b.type && a.name.toLowerCase() === b.name.toLowerCase() && a.data === b.data;
}

/**
 * A CNAME cannot share its name with any other record (RFC 1034 §3.6.2), and GoDaddy answers with the
 * DUPLICATE_RECORD "CNAME record name [x] conflicts with another record." body; duplicate values in one rrset get the
 * same code [infer].
 */
function conflictError(zone: readonly GodaddyRecord[]): object | undefined {
  for (const [i, record] of zone.entries()) {
    const clash = zone.find(
      (other, j) =>
        j !== i &&
        other.name.toLowerCase() === record.name.toLowerCase() &&
        (record.type === 'CNAME' || other.type === 'CNAME' || sameValue(record, other)),
    );
    if (clash) {
      const cname = record.type === 'CNAME' || clash.type === 'CNAME';
      return {
        code: 'DUPLICATE_RECORD',
        message: 'Another record with the same attributes already exists',
        fields: [{ code: 'DUPLICATE_RECORD', message: `${cname ? 'CNAME' : record.type} record name [${record.name}] conflicts with another record.`, path: 'records' }],
      };
    }
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
