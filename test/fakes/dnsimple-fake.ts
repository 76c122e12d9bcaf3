/**
 * A loopback DNSimple API v2 (node:http on 127.0.0.1, port 0) that behaves as DNSimple's developer docs, fixtures and
 * OpenAPI say (dnsimple/dnsimple-developer@13c7966: `content/v2.md`, `content/v2/zones/records.md`,
 * `content/v2/openapi.yml`, `fixtures/v2/api/…`), with the facts of ../shared/reference/providers-registrars.md §5.
 * Each behaviour below names its source; [infer] marks what no source shows.
 *
 * It is unforgiving where DNSimple is: the account id is in every path (an account token reaches only its account);
 * the record list is paginated (30 by default, at most 100 per page) and a client that reads one page misses records;
 * TXT content is stored and returned serialized (quoted strings); a spent hourly quota answers 429 with
 * `X-RateLimit-Reset`; system records (SOA, apex NS) cannot be changed.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DesiredRecord } from '../../providers/types.js';
import type { ConformanceFault } from '../providers/driver.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** A record as the API returns it (OpenAPI `ZoneRecord`; fixture listZoneRecords/success.http). */
export interface DnsimpleWireRecord {
  id: number;
  zone_id: string;
  parent_id: number | null;
  name: string;
  content: string;
  ttl: number;
  priority: number | null;
  type: string;
  regions: string[];
  system_record: boolean;
  created_at: string;
  updated_at: string;
}

export interface DnsimpleFakeAccount {
  readonly id: number;
  readonly email: string;
  readonly zones: readonly string[];
}

/** A token: an account token reaches one account, a user token every account of its user (v2.md "Authentication"). */
export type DnsimpleFakeToken = { readonly account: number } | { readonly user: number; readonly accounts: readonly number[] };

/** Test-only tokens (not real DNSimple tokens). */
export const DNSIMPLE_FAKE_TOKENS = {
  account: 'dnsimpleACCOUNTtoken0123456789abcdefXYZ',
  user: 'dnsimpleUSERtoken0123456789abcdefghijkXYZ',
  /** The token of another account, which holds no zone of the seed domain. */
  otherAccount: 'dnsimpleOTHERaccount0123456789abcdefXYZ',
} as const;

export const DNSIMPLE_FAKE_ACCOUNTS: readonly DnsimpleFakeAccount[] = [
  { id: 1010, email: 'ops@example.com', zones: [SEED_APEX, 'empty-zone.com'] },
  { id: 2020, email: 'other@example.net', zones: ['other-zone.com'] },
  { id: 3030, email: 'john@example.com', zones: [] },
];

const DEFAULT_TOKENS: Readonly<Record<string, DnsimpleFakeToken>> = {
  [DNSIMPLE_FAKE_TOKENS.account]: { account: 1010 },
  // A user of two accounts; the zone is in the second one listed (fixture accounts/success-user.http lists two).
  [DNSIMPLE_FAKE_TOKENS.user]: { user: 1, accounts: [3030, 1010] },
  [DNSIMPLE_FAKE_TOKENS.otherAccount]: { account: 2020 },
};

export interface DnsimpleFakeCall {
  readonly method: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** POST, PATCH or DELETE on a zone's records. */
  readonly write: boolean;
  /** 0 while no reply was sent (a hang, a reset, a lost reply). */
  status: number;
}

/** A conformance fault; `pathIncludes` narrows it to some calls. */
export type DnsimpleFault = ConformanceFault & { readonly pathIncludes?: string };

export interface DnsimpleFakeBehaviour {
  /** The most records one page holds, whatever `per_page` asks: 100 (v2.md "Pagination" maximum). */
  maxPerPage?: number;
  /** Requests per window and token (v2.md "Rate limiting": 2400 an hour). */
  quota?: number;
  /** The quota window. @default 3600000 */
  windowMs?: number;
}

export interface DnsimpleFake {
  readonly baseUrl: string;
  /** Zones by name, records in wire form, in id order. Tests may inspect and edit them. */
  readonly state: { zones: Map<string, DnsimpleWireRecord[]>; accounts: DnsimpleFakeAccount[]; tokens: Record<string, DnsimpleFakeToken> };
  readonly calls: DnsimpleFakeCall[];
  snapshot(zone?: string): DnsimpleWireRecord[];
  /** Plants a record (full name, neutral content) as if made in DNSimple's panel; returns it. */
  add(record: DesiredRecord, zone?: string): DnsimpleWireRecord;
  failNext(fault: DnsimpleFault): void;
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Runs `action` just before the next record-list page is served: someone editing the zone while it is read. */
  beforeNextList(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: DnsimpleFakeBehaviour): void;
  close(): Promise<void>;
}

/** OpenAPI `ZoneRecordType`. */
const RECORD_TYPES = new Set(['A', 'AAAA', 'ALIAS', 'CAA', 'CNAME', 'DNSKEY', 'DS', 'HINFO', 'MX', 'NAPTR', 'NS', 'POOL', 'PTR', 'SOA', 'SPF', 'SRV', 'SSHFP', 'TXT', 'URL']);
/** Content that is a host name: returned without a trailing dot (dnscontrol appends one on read, §5) [code]. */
const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS', 'PTR']);
/** Support article txt-record: "a hard limit of 1000 characters for the serialized version". */
const TXT_MAX = 1000;
/** Support article txt-record: a string "can't be longer than 255 characters, including the wrapping double quotes". */
const TXT_STRING_MAX = 255;
const STAMP = '2024-01-15T10:00:00Z';
/** The default NS of a DNSimple zone, system records (fixture listZoneRecords/success.http). */
const SYSTEM_NS = ['ns1.dnsimple.com', 'ns2.dnsimple-edge.net', 'ns3.dnsimple.com', 'ns4.dnsimple-edge.org'];

let nextId = 5_000_001;

/**
 * DNSimple's serialization of a plain TXT value (support article txt-record "Serialization"): wrapped in double quotes,
 * `"` escaped, broken into strings of 253 characters (255 with the quotes), written one after the other. A backslash
 * is escaped too (RFC 1035) [infer].
 */
export function serializeTxt(value: string): string {
  const escaped = [...value].map((ch) => (ch === '"' || ch === '\\' ? `\\${ch}` : ch));
  const chunks: string[] = [];
  let current = '';
  for (const piece of escaped) {
    if (current.length + piece.length > TXT_STRING_MAX - 2) {
      chunks.push(current);
      current = '';
    }
    current += piece;
  }
  chunks.push(current);
  return chunks.map((c) => `"${c}"`).join('');
}

/** Seed or planted records (full names, neutral content) → DNSimple's wire form. */
export function toDnsimpleWire(records: readonly DesiredRecord[], zone: string): DnsimpleWireRecord[] {
  return records.map((r) => wireRecord(r, zone));
}

function wireRecord(r: DesiredRecord, zone: string): DnsimpleWireRecord {
  const type = r.type.toUpperCase();
  const name = r.name.toLowerCase() === zone ? '' : r.name.toLowerCase().slice(0, -(zone.length + 1));
  const content = type === 'TXT' ? serializeTxt(r.content) : HOST_TARGETS.has(type) ? r.content.replace(/\.$/, '') : r.content;
  const priority = type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : null;
  return record({ zone, name, type, content, ttl: r.ttl, priority, regions: ['global'], system: false });
}

function record(fields: { zone: string; name: string; type: string; content: string; ttl: number; priority: number | null; regions: string[]; system: boolean }): DnsimpleWireRecord {
  return {
    id: nextId++,
    zone_id: fields.zone,
    parent_id: null,
    name: fields.name,
    content: fields.content,
    ttl: fields.ttl,
    priority: fields.priority,
    type: fields.type,
    regions: fields.regions,
    system_record: fields.system,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

/** A new zone's system records: the SOA and the apex NS (fixture listZoneRecords/success.http). */
function systemRecords(zone: string): DnsimpleWireRecord[] {
  return [
    record({ zone, name: '', type: 'SOA', content: `ns1.dnsimple.com admin.dnsimple.com 1458642070 86400 7200 604800 300`, ttl: 3600, priority: null, regions: ['global'], system: true }),
    ...SYSTEM_NS.map((ns) => record({ zone, name: '', type: 'NS', content: ns, ttl: 3600, priority: null, regions: ['global'], system: true })),
  ];
}

export async function startDnsimpleFake(options: { behaviour?: DnsimpleFakeBehaviour } = {}): Promise<DnsimpleFake> {
  const zones = new Map<string, DnsimpleWireRecord[]>([
    [SEED_APEX, [...systemRecords(SEED_APEX), ...toDnsimpleWire(seedRecords(), SEED_APEX)]],
    ['empty-zone.com', systemRecords('empty-zone.com')],
    ['other-zone.com', systemRecords('other-zone.com')],
  ]);
  const zoneIds = new Map([...zones.keys()].map((name, i) => [name, 100 + i]));
  const accounts = [...DNSIMPLE_FAKE_ACCOUNTS];
  const tokens: Record<string, DnsimpleFakeToken> = { ...DEFAULT_TOKENS };
  const calls: DnsimpleFakeCall[] = [];
  const faults: { fault: DnsimpleFault; left: number }[] = [];
  const writeHooks: (() => void | Promise<void>)[] = [];
  const listHooks: (() => void | Promise<void>)[] = [];
  let behaviour: Required<DnsimpleFakeBehaviour> = { maxPerPage: 100, quota: 2400, windowMs: 3_600_000, ...options.behaviour };
  const windows = new Map<string, { start: number; used: number }>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      // Served under /v2 as the real API (v2.md "https://api.dnsimple.com/v2"); logged without it.
      const path = decodeURIComponent(url.pathname).replace(/^\/v2(?=\/)/, '');
      let body: unknown;
      let bodyError = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          bodyError = true;
        }
      }
      const method = req.method ?? 'GET';
      const write = /^\/\d+\/zones\/[^/]+\/records(\/\d+)?$/.test(path) && method !== 'GET';
      const call: DnsimpleFakeCall = { method, path, query: Object.fromEntries(url.searchParams), body, write, status: 0 };
      calls.push(call);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
      const reply = (status: number, payload?: unknown) => {
        call.status = status;
        if (payload === undefined) return void res.writeHead(status, headers).end();
        res.writeHead(status, headers).end(JSON.stringify(payload));
      };

      const fault = takeFault(call);
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (fault) {
        switch (fault.kind) {
          case 'hang':
            return;
          case 'reset':
            return void req.socket.destroy();
          case 'malformed':
            // A cut JSON body with HTTP 200 (cf. fixture success-with-malformed-json.http).
            call.status = 200;
            return void res.writeHead(200, headers).end('{"data":[{"id":1,"zone_id":"exa');
          case 'server-error':
            // The edge's nginx page (fixture badgateway.http), with status 500 [infer].
            call.status = 500;
            return void res
              .writeHead(500, { 'content-type': 'text/html' })
              .end('<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body bgcolor="white">\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>');
          case 'rate-limited': {
            // 429 "quota exceeded" with the X-RateLimit headers (v2.md "429 - Too Many Requests"; OpenAPI responses 429).
            const reset = Math.ceil(Date.now() / 1000) + fault.retryAfterSeconds;
            Object.assign(headers, { 'x-ratelimit-limit': String(behaviour.quota), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
            return reply(429, { message: 'quota exceeded' });
          }
          case 'echo-credentials':
            // The 401, made to repeat the token the request carried (the conformance suite's leak check).
            return reply(401, { message: `Authentication failed for token ${token ?? ''}` });
          case 'lost-reply':
            break; // handled for real below, then the connection is cut
        }
      }

      // v2.md "Authentication": `Authorization: Bearer …`; a bad token is 401 {"message":"Authentication failed"}.
      const grant = token === undefined ? undefined : tokens[token];
      if (!grant) return reply(401, { message: 'Authentication failed' });
      // v2.md "Rate limiting": every authenticated reply carries the quota headers; past it, 429 "quota exceeded".
      const now = Date.now();
      let window = windows.get(token!);
      if (!window || now - window.start >= behaviour.windowMs) {
        window = { start: now, used: 0 };
        windows.set(token!, window);
      }
      window.used++;
      const reset = Math.ceil((window.start + behaviour.windowMs) / 1000);
      Object.assign(headers, {
        'x-ratelimit-limit': String(behaviour.quota),
        'x-ratelimit-remaining': String(Math.max(0, behaviour.quota - window.used)),
        'x-ratelimit-reset': String(reset),
      });
      if (window.used > behaviour.quota) return reply(429, { message: 'quota exceeded' });
      if (bodyError) return reply(400, { message: 'Invalid JSON' });
      if (write && writeHooks.length > 0) await writeHooks.shift()!();
      if (method === 'GET' && /^\/\d+\/zones\/[^/]+\/records$/.test(path) && listHooks.length > 0) await listHooks.shift()!();

      const [status, payload] = route(grant, method, path, call.query, body);
      if (fault?.kind === 'lost-reply') {
        // Applied in full; the reply never comes.
        return void req.socket.destroy();
      }
      reply(status, payload);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function takeFault(call: DnsimpleFakeCall): DnsimpleFault | undefined {
    const isRead = call.method === 'GET' && /^\/\d+\/zones\/[^/]+\/records$/.test(call.path);
    const found = faults.find(({ fault }) => {
      if (fault.pathIncludes && !call.path.includes(fault.pathIncludes)) return false;
      if (fault.kind === 'echo-credentials') return true;
      return fault.on === 'read' ? isRead : call.write;
    });
    if (!found) return undefined;
    if (found.left !== Infinity && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  type Answer = [number, unknown];
  const notFound = (): Answer => [404, { message: 'Not Found' }];
  const invalid = (errors: Record<string, string[]>): Answer => [400, { message: 'Validation failed', errors }];

  function accountsOf(grant: DnsimpleFakeToken): number[] {
    return 'account' in grant ? [grant.account] : [...grant.accounts];
  }

  function route(grant: DnsimpleFakeToken, method: string, path: string, query: Readonly<Record<string, string>>, body: unknown): Answer {
    if (path === '/whoami') {
      if (method !== 'GET') return notFound();
      // fixtures whoami/success.http (account token) and whoami/success-user.http (user token).
      if ('account' in grant) {
        const account = accounts.find((a) => a.id === grant.account)!;
        return [200, { data: { user: null, account: { id: account.id, email: account.email, plan_identifier: 'teams-v2-monthly', created_at: STAMP, updated_at: STAMP } } }];
      }
      return [200, { data: { user: { id: grant.user, email: 'john@example.com', created_at: STAMP, updated_at: STAMP }, account: null } }];
    }
    if (path === '/accounts') {
      // fixtures accounts/success-account.http and accounts/success-user.http.
      const list = accountsOf(grant).flatMap((id) => accounts.filter((a) => a.id === id));
      return [200, { data: list.map((a) => ({ id: a.id, email: a.email, plan_identifier: 'teams-v2-monthly', created_at: STAMP, updated_at: STAMP })) }];
    }
    const match = /^\/(\d+)\/zones\/([^/]+)(\/records(?:\/(\d+))?)?$/.exec(path);
    if (!match) return notFound();
    const accountId = Number(match[1]);
    const zoneName = match[2]!.toLowerCase();
    const account = accounts.find((a) => a.id === accountId);
    // The account id must be one the token reaches [infer: 404, "doesn't exist or … doesn't have permissions", v2.md].
    if (!account || !accountsOf(grant).includes(accountId)) return notFound();
    const zone = zones.get(zoneName);
    // fixture notfound-zone.http: 404 {"message":"Zone `0` not found"}.
    if (!zone || !account.zones.includes(zoneName)) return [404, { message: `Zone \`${zoneName}\` not found` }];
    if (!match[3]) {
      if (method !== 'GET') return notFound();
      // fixture getZone/success.http.
      return [200, { data: { id: zoneIds.get(zoneName), account_id: accountId, name: zoneName, reverse: false, secondary: false, last_transferred_at: null, active: true, created_at: STAMP, updated_at: STAMP } }];
    }
    const recordId = match[4] === undefined ? undefined : Number(match[4]);
    if (recordId === undefined) {
      if (method === 'GET') return list(zone, query);
      if (method === 'POST') return create(zone, zoneName, body);
      return [405, { message: 'Method not allowed' }];
    }
    const index = zone.findIndex((r) => r.id === recordId);
    // fixture notfound-record.http: 404 {"message":"Record `0` not found"}.
    if (index < 0) return [404, { message: `Record \`${recordId}\` not found` }];
    const existing = zone[index]!;
    if (method === 'GET') return [200, { data: structuredClone(existing) }];
    // "a system generated record and thus is not modifiable" (OpenAPI ZoneRecord.system_record); the body [infer].
    if ((method === 'PATCH' || method === 'DELETE') && existing.system_record) return [400, { message: 'System records cannot be modified' }];
    if (method === 'DELETE') {
      zone.splice(index, 1);
      return [204, undefined];
    }
    if (method === 'PATCH') return update(zone, index, zoneName, body);
    return [405, { message: 'Method not allowed' }];
  }

  /** Pages of `per_page` (default 30, at most 100), in id order, with the pagination object (v2.md "Pagination"). */
  function list(zone: DnsimpleWireRecord[], query: Readonly<Record<string, string>>): Answer {
    const page = query.page === undefined ? 1 : Number(query.page);
    const asked = query.per_page === undefined ? 30 : Number(query.per_page);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(asked) || asked < 1) return invalid({ page: ['is invalid'] });
    let matching = [...zone].sort((a, b) => a.id - b.id);
    // records.md filters: `name` exact, `name_like` contains, `type` exact.
    if (query.name !== undefined) matching = matching.filter((r) => r.name === query.name);
    if (query.name_like !== undefined) matching = matching.filter((r) => r.name.includes(query.name_like!));
    if (query.type !== undefined) matching = matching.filter((r) => r.type === query.type!.toUpperCase());
    const perPage = Math.min(asked, 100, behaviour.maxPerPage);
    const totalPages = Math.max(1, Math.ceil(matching.length / perPage));
    const data = matching.slice((page - 1) * perPage, page * perPage);
    return [200, { data: structuredClone(data), pagination: { current_page: page, per_page: perPage, total_entries: matching.length, total_pages: totalPages } }];
  }

  /** records.md "Create a zone record": `name`, `type`, `content` required; 201 with the record. */
  function create(zone: DnsimpleWireRecord[], zoneName: string, body: unknown): Answer {
    if (!isObject(body)) return invalid({ base: ['is invalid'] });
    const errors: Record<string, string[]> = {};
    if (typeof body.name !== 'string') errors.name = ["can't be blank"];
    const type = typeof body.type === 'string' ? body.type.toUpperCase() : '';
    if (!RECORD_TYPES.has(type)) errors.record_type = ['unsupported']; // fixture batchChangeZoneRecords/error_400_create_validation_failed.http
    const fields = recordFields(type, body, undefined, errors);
    if (Object.keys(errors).length > 0 || !fields) return invalid(errors);
    const name = String(body.name).toLowerCase().replace(/\.$/, '');
    const regions = Array.isArray(body.regions) ? body.regions.map(String) : ['global'];
    const created = record({ zone: zoneName, name, type, content: fields.content, ttl: fields.ttl, priority: fields.priority, regions, system: false });
    const clash = clashes(zone, created);
    if (clash) return invalid({ base: [clash] });
    zone.push(created);
    return [201, { data: structuredClone(created) }];
  }

  /** records.md "Update a zone record": only the fields sent change; `type` is not updatable. */
  function update(zone: DnsimpleWireRecord[], index: number, zoneName: string, body: unknown): Answer {
    if (!isObject(body)) return invalid({ base: ['is invalid'] });
    const existing = zone[index]!;
    const errors: Record<string, string[]> = {};
    const fields = recordFields(existing.type, body, existing, errors);
    if (Object.keys(errors).length > 0 || !fields) return invalid(errors);
    const updated: DnsimpleWireRecord = {
      ...existing,
      name: typeof body.name === 'string' ? body.name.toLowerCase().replace(/\.$/, '') : existing.name,
      content: fields.content,
      ttl: fields.ttl,
      priority: fields.priority,
      regions: Array.isArray(body.regions) ? body.regions.map(String) : existing.regions,
      zone_id: zoneName,
      updated_at: '2024-06-01T12:00:00Z',
    };
    const clash = clashes(zone.filter((_, i) => i !== index), updated);
    if (clash) return invalid({ base: [clash] });
    zone[index] = updated;
    return [200, { data: structuredClone(updated) }];
  }

  /** Content, TTL and priority of a create or a PATCH (defaults from `existing`), validated; errors into `errors`. */
  function recordFields(
    type: string,
    body: Record<string, unknown>,
    existing: DnsimpleWireRecord | undefined,
    errors: Record<string, string[]>,
  ): { content: string; ttl: number; priority: number | null } | undefined {
    let content = existing?.content ?? '';
    if (body.content !== undefined || !existing) {
      if (typeof body.content !== 'string' || body.content === '') {
        errors.content = ["can't be blank"];
        return undefined;
      }
      content = body.content;
      if (type === 'TXT' || type === 'SPF') {
        const problem = txtProblem(content);
        if (problem) {
          errors.content = [problem];
          return undefined;
        }
        // A plain value is serialized; a quoted one is stored verbatim (support article txt-record).
        if (!content.startsWith('"')) content = serializeTxt(content);
        if (content.length > TXT_MAX) {
          errors.content = [`is too long (maximum is ${TXT_MAX} characters)`];
          return undefined;
        }
      } else if (HOST_TARGETS.has(type)) {
        content = content.replace(/\.$/, '');
      }
    }
    let ttl = existing?.ttl ?? 3600; // OpenAPI TTL default 3600
    if (body.ttl !== undefined) {
      // OpenAPI TTL: integer, minimum 0.
      if (typeof body.ttl !== 'number' || !Number.isInteger(body.ttl) || body.ttl < 0) {
        errors.ttl = ['must be an integer greater than or equal to 0'];
        return undefined;
      }
      ttl = body.ttl;
    }
    let priority = existing?.priority ?? (type === 'MX' || type === 'SRV' ? 0 : null);
    if (body.priority !== undefined && body.priority !== null) {
      if (typeof body.priority !== 'number' || !Number.isInteger(body.priority) || body.priority < 0) {
        errors.priority = ['is not a number'];
        return undefined;
      }
      priority = body.priority;
    }
    return { content, ttl, priority };
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    state: { zones, accounts, tokens },
    calls,
    snapshot: (zone = SEED_APEX) => structuredClone(zones.get(zone) ?? []),
    add(desired, zone = SEED_APEX) {
      const wire = wireRecord(desired, zone);
      zones.get(zone)!.push(wire);
      return structuredClone(wire);
    },
    failNext: (fault) => {
      const times = 'times' in fault ? fault.times : undefined;
      faults.push({ fault, left: times === 'always' ? Infinity : (times ?? 1) });
    },
    beforeNextWrite: (action) => void writeHooks.push(action),
    beforeNextList: (action) => void listHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      writeHooks.splice(0);
      listHooks.splice(0);
    },
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/**
 * What DNSimple refuses in a TXT content (support article txt-record "Validation"): a value wrapped in quotes must be
 * RFC 1035 strings, every inner `"` escaped, each string at most 255 characters with its quotes. The messages are
 * [infer] but for the quote one, seen in dnsimple/terraform-provider-dnsimple#165 [obs].
 */
function txtProblem(content: string): string | undefined {
  if (!content.startsWith('"')) return undefined;
  const strings = /^(?:"(?:[^"\\]|\\.)*"\s*)+$/s.test(content) ? [...content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => m[0]) : undefined;
  if (!strings) return 'Txt must be wrapped between double-quotes ("")';
  if (strings.some((s) => s.length > TXT_STRING_MAX)) return `Txt strings must be at most ${TXT_STRING_MAX} characters long`;
  return undefined;
}

/**
 * A CNAME shares its name with nothing (RFC 1034 §3.6.2), and the same record is not created twice: "Matching record
 * already exists for this zone" (OpenAPI batch example; lexicon PR #4: a duplicate create is HTTP 400). The CNAME
 * message is [infer].
 */
function clashes(zone: readonly DnsimpleWireRecord[], record: DnsimpleWireRecord): string | undefined {
  for (const other of zone) {
    if (other.name !== record.name) continue;
    if (other.type === record.type && other.content === record.content) return 'Matching record already exists for this zone';
    if (other.type === 'CNAME' || record.type === 'CNAME') {
      return 'A CNAME record cannot share its name with another record';
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
