/**
 * A loopback DigitalOcean API v2 (a real node:http server on 127.0.0.1, port 0) that behaves as DigitalOcean's
 * OpenAPI description and the observed replies say. Sources: ../shared/reference/providers-cloud.md §4 ("§4" below);
 * "do-openapi" = digitalocean/openapi `specification/` (DigitalOcean's own description); [obs] = a real reply quoted
 * in an issue; [infer] = not confirmed anywhere. Unforgiving where DigitalOcean is: CNAME/MX/NS/SRV/CAA data without
 * the trailing dot is refused, TTL under 30 is refused, a POST always creates (a repeated one duplicates), a `name`
 * filter must be the full name, links to further pages name DigitalOcean's own host.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DigitaloceanRecord } from '../../providers/digitalocean.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** Custom token scopes (do-openapi `resources/domains/*.yml` security: domain:read/create/update/delete). */
export type DigitaloceanScope = 'domain:read' | 'domain:create' | 'domain:update' | 'domain:delete';

export interface DigitaloceanFakeAccount {
  readonly token: string;
  readonly domains: readonly string[];
  /** A custom-scoped token's scopes. @default full access */
  readonly scopes?: readonly DigitaloceanScope[];
}

/** Test-only tokens, shaped like personal access tokens (`dop_v1_` + 64 hex, §4 "Auth"); not real. */
export const DIGITALOCEAN_FAKE_ACCOUNTS = {
  good: { token: `dop_v1_${'4f9c2a7e1b8d3f60'.repeat(4)}`, domains: [SEED_APEX, 'empty-zone.com', 'eu.sub-zone.com'] },
  readOnly: { token: `dop_v1_${'a1b2c3d4e5f60718'.repeat(4)}`, domains: [SEED_APEX], scopes: ['domain:read'] },
  /** A custom-scoped token without any domain scope (e.g. droplets only). */
  noDomainScope: { token: `dop_v1_${'0badc0ffee123456'.repeat(4)}`, domains: [SEED_APEX], scopes: [] },
  /** A valid token of another team: the seed domain is not in it. */
  otherTeam: { token: `dop_v1_${'7e7e7e7e11223344'.repeat(4)}`, domains: ['other-team.com'] },
} as const satisfies Record<string, DigitaloceanFakeAccount>;

export interface DigitaloceanFakeCall {
  readonly method: string;
  /** Decoded path, `/v2` included, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
  /** DigitalOcean has no token grant: always false (the conformance driver counts every call). */
  readonly grant: false;
}

/** Which calls a fault applies to: `read` = a records list GET (not the domain lookup), `write` = any non-GET. */
export type FaultTarget = 'read' | 'write' | 'any';

/**
 * A failure served instead of the real answer, for the next `times` matching calls (`'always'` until cleared).
 * The kinds are the conformance suite's (test/providers/driver.ts `ConformanceFault`).
 */
export type DigitaloceanFault = { readonly on?: FaultTarget; readonly times?: number | 'always' } & (
  /** do-openapi `shared/responses/server_error.yml` body, or an edge's HTML page (`html`) [infer], before handling. */
  | { readonly kind: 'server-error'; readonly status?: 500 | 502 | 503 | 504; readonly html?: boolean }
  /**
   * 429 `too_many_requests` (do-openapi `description.md` "Sample Rate Exceeded Response"). A burst-limit 429 sends
   * `Retry-After`; the hourly one only `ratelimit-reset` (§4 "Rate limits"): `signal: 'reset-only'`.
   */
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number; readonly signal?: 'retry-after' | 'reset-only' }
  /** The request is read and never answered [infer]. */
  | { readonly kind: 'hang' }
  /** The connection is destroyed before the request is handled [infer]. */
  | { readonly kind: 'reset' }
  /** HTTP 200 with cut JSON, the request not handled (a broken proxy) [infer]. */
  | { readonly kind: 'malformed' }
  /** The request is handled (a write commits), then the connection is destroyed before the reply [infer]. */
  | { readonly kind: 'lost-reply' }
  /** 401 whose message repeats the token the request carried (test-only: DigitalOcean's own text does not). */
  | { readonly kind: 'echo-credentials' }
);

export interface DigitaloceanFakeBehaviour {
  /** Burst limit per token per minute, 250 at DigitalOcean (§4 "Rate limits"); off unless set. */
  rateLimitPerMinute?: number;
  /** Origin the `links.pages` URLs name. @default DigitalOcean's own, `https://api.digitalocean.com` (do-openapi `shared/pages.yml`) */
  linkOrigin?: string;
}

export interface DigitaloceanFake {
  /** Includes `/v2`, as DIGITALOCEAN_API_URL does. */
  readonly baseUrl: string;
  /** Zones by domain, records in wire form. Tests may inspect and edit them. */
  readonly state: { zones: Map<string, DigitaloceanRecord[]>; accounts: DigitaloceanFakeAccount[] };
  readonly calls: DigitaloceanFakeCall[];
  /** A deep copy of a zone's records, in DigitalOcean's order, for before/after comparisons. */
  snapshot(domain?: string): DigitaloceanRecord[];
  /** Puts a record straight into the zone (as the customer would in the panel), with a new id. */
  plant(record: DesiredRecord, domain?: string): DigitaloceanRecord;
  /** Puts the seed zone back exactly (same ids). */
  reset(): void;
  failNext(fault: DigitaloceanFault): void;
  /** Runs `action` just before the next write call is handled: a second writer between read and write. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Runs `action` just before the next records list GET is handled (a zone edited between two pages). */
  beforeNextRead(action: () => void | Promise<void>): void;
  /** Drops every queued fault and hook. */
  clearFaults(): void;
  setBehaviour(behaviour: DigitaloceanFakeBehaviour): void;
  close(): Promise<void>;
}

/** do-openapi `models/domain_record_types.yml` (SOA is listed, not writable). */
const WRITABLE_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']);
/** Types whose data is a host name: "Data needs to end with a dot (.)" (digitalocean/api-v2#130, doctl#919) [obs]. */
const DOTTED_TYPES = new Set(['CNAME', 'MX', 'NS', 'SRV', 'CAA']);
const MIN_TTL = 30;
const DEFAULT_TTL = 1800;
/** do-openapi `description.md` "Links & Pagination": 20 by default, at most 200. */
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 200;
const FIRST_ID = 3_352_890;

const ERRORS = {
  // do-openapi `shared/responses/*.yml` [doc]
  unauthorized: { id: 'unauthorized', message: 'Unable to authenticate you.' },
  forbidden: { id: 'forbidden', message: 'You do not have permission to perform this action.' },
  notFound: { id: 'not_found', message: 'The resource you requested could not be found.' },
  tooMany: { id: 'too_many_requests', message: 'API Rate limit exceeded.' },
  server: { id: 'server_error', message: 'Unexpected server-side error' },
} as const;
const unprocessable = (message: string) => ({ id: 'unprocessable_entity', message });

/** Seed records (full names) → DigitalOcean's wire form, ids from `firstId` in seed order. */
export function toDigitaloceanWire(records: readonly DesiredRecord[], apex: string, firstId = FIRST_ID): DigitaloceanRecord[] {
  return records.map((r, i) => {
    const type = r.type.toUpperCase();
    const name = r.name === apex ? '@' : r.name.slice(0, -(apex.length + 1));
    const base: DigitaloceanRecord = { id: firstId + i, type, name, data: r.content, priority: null, port: null, ttl: r.ttl, weight: null, flags: null, tag: null };
    const host = (target: string) => {
      const bare = target.replace(/\.$/, '');
      return bare === apex ? '@' : bare;
    };
    if (type === 'CNAME' || type === 'NS') return { ...base, data: host(r.content) };
    if (type === 'MX') return { ...base, data: host(r.content), priority: r.priority ?? 0 };
    if (type === 'SRV') {
      const [weight, port, target] = r.content.split(' ');
      return { ...base, data: host(target ?? ''), priority: r.priority ?? 0, weight: Number(weight), port: Number(port) };
    }
    if (type === 'CAA') {
      const [flags, tag, ...value] = r.content.split(' ');
      return { ...base, data: value.join(' ').replace(/^"|"$/g, ''), flags: Number(flags), tag: tag ?? '' };
    }
    return base;
  });
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startDigitaloceanFake(options: { accounts?: DigitaloceanFakeAccount[]; behaviour?: DigitaloceanFakeBehaviour } = {}): Promise<DigitaloceanFake> {
  const seed = () =>
    new Map<string, DigitaloceanRecord[]>([
      [SEED_APEX, toDigitaloceanWire(seedRecords(), SEED_APEX)],
      ['empty-zone.com', []],
      ['eu.sub-zone.com', []],
      ['other-team.com', []],
    ]);
  const zones = seed();
  let nextId = FIRST_ID + 1000;
  const accounts: DigitaloceanFakeAccount[] = options.accounts ?? Object.values(DIGITALOCEAN_FAKE_ACCOUNTS);
  const calls: DigitaloceanFakeCall[] = [];
  const faults: { fault: DigitaloceanFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const readHooks: (() => void | Promise<void>)[] = [];
  let behaviour: DigitaloceanFakeBehaviour = { ...options.behaviour };
  /** Request times per token, for the per-minute burst limit (each request counts on its own timer, §4). */
  const recent = new Map<string, number[]>();
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = decodeURIComponent(url.pathname);
      let body: unknown;
      let badJson = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          badJson = true;
        }
      }
      const method = req.method ?? 'GET';
      const call: DigitaloceanFakeCall = { method, path, query: Object.fromEntries(url.searchParams), body, status: 0, grant: false };
      calls.push(call);
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const reply: Reply = (status, payload, headers = {}) => {
        call.status = status;
        const all = { ...rateHeaders(token), ...headers };
        if (payload === undefined) return void res.writeHead(status, all).end();
        res.writeHead(status, { 'content-type': 'application/json', ...all }).end(JSON.stringify(payload));
      };

      const fault = takeFault(call);
      if (fault?.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (fault?.kind === 'reset') return void req.socket.destroy();
      if (fault?.kind === 'malformed') {
        call.status = 200;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"domain_records":[{"id":3352890,"type":"A","na');
      }
      if (fault?.kind === 'server-error') {
        const status = fault.status ?? (fault.html ? 503 : 500);
        call.status = status;
        if (fault.html) return void res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body><h1>${status} Service Unavailable</h1></body></html>`);
        return reply(status, ERRORS.server);
      }
      if (fault?.kind === 'rate-limited') return reply(429, ERRORS.tooMany, limitHeaders(fault.retryAfterSeconds, fault.signal ?? 'retry-after'));
      if (fault?.kind === 'echo-credentials') {
        return reply(401, { id: 'unauthorized', message: `Unable to authenticate you: no token matches "${token ?? ''}" (${req.headers.authorization ?? ''})` });
      }
      const limited = burstLimited(token);
      if (limited !== undefined) return reply(429, ERRORS.tooMany, limitHeaders(limited, 'retry-after'));

      const account = accounts.find((a) => a.token === token);
      if (!account) return reply(401, ERRORS.unauthorized);
      if (method !== 'GET' && hooks.length > 0) await hooks.shift()!();
      if (isRecordList(call) && readHooks.length > 0) await readHooks.shift()!();
      if (badJson) return reply(400, { id: 'bad_request', message: 'The request body is not valid JSON.' });
      if (fault?.kind === 'lost-reply') {
        // Handled for real, then the connection is cut: the write has committed, its reply is lost.
        return route(account, call, () => {
          call.status = 0;
          req.socket.destroy();
        });
      }
      route(account, call, reply);
    });
  });

  function matches(fault: DigitaloceanFault, call: DigitaloceanFakeCall): boolean {
    const on = fault.on ?? 'any';
    if (on === 'write') return call.method !== 'GET';
    if (on === 'read') return isRecordList(call);
    return true;
  }

  function takeFault(call: DigitaloceanFakeCall): DigitaloceanFault | undefined {
    const found = faults.find(({ fault }) => matches(fault, call));
    if (!found) return undefined;
    if (found.fault.times !== 'always' && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  /** Every reply carries the hourly quota headers (do-openapi `shared/headers.yml`) [doc]. */
  function rateHeaders(token: string | undefined): Record<string, string> {
    const used = token ? (recent.get(token)?.length ?? 0) : 0;
    return {
      'ratelimit-limit': '5000',
      'ratelimit-remaining': String(Math.max(0, 5000 - used)),
      'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
    };
  }

  function limitHeaders(seconds: number, signal: 'retry-after' | 'reset-only'): Record<string, string> {
    const headers: Record<string, string> = {
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(Math.ceil(Date.now() / 1000 + seconds)),
    };
    if (signal === 'retry-after') headers['retry-after'] = String(seconds);
    return headers;
  }

  /** The burst limit: each request counts for a minute on its own timer (§4 "Rate limits"). */
  function burstLimited(token: string | undefined): number | undefined {
    const limit = behaviour.rateLimitPerMinute;
    if (limit === undefined || !token) return undefined;
    const now = Date.now();
    const times = (recent.get(token) ?? []).filter((t) => now - t < 60_000);
    recent.set(token, times);
    if (times.length >= limit) return Math.ceil((times[0]! + 60_000 - now) / 1000);
    times.push(now);
    return undefined;
  }

  function allowed(account: DigitaloceanFakeAccount, method: string): boolean {
    if (!account.scopes) return true;
    const needed: DigitaloceanScope =
      method === 'GET' ? 'domain:read' : method === 'POST' ? 'domain:create' : method === 'DELETE' ? 'domain:delete' : 'domain:update';
    return account.scopes.includes(needed);
  }

  function route(account: DigitaloceanFakeAccount, call: DigitaloceanFakeCall, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    if (parts[0] !== 'v2' || parts[1] !== 'domains' || !parts[2] || parts.length > 5) return reply(404, ERRORS.notFound);
    // A custom-scoped token without the scope the call needs: 403 [infer: the documented 403 body, §4 "Errors"].
    if (!allowed(account, call.method)) return reply(403, ERRORS.forbidden);
    const domain = parts[2].toLowerCase();
    const zone = zones.get(domain);
    // A domain of another account or team is simply not found (§11 [infer]).
    if (!zone || !account.domains.includes(domain)) return reply(404, ERRORS.notFound);
    const [, , , section, idText] = parts;
    if (section === undefined) {
      if (call.method !== 'GET') return reply(405, { id: 'method_not_allowed', message: 'Method not allowed' });
      // do-openapi `responses/existing_domain.yml`.
      return reply(200, { domain: { name: domain, ttl: DEFAULT_TTL, zone_file: zoneFile(domain, zone) } });
    }
    if (section !== 'records') return reply(404, ERRORS.notFound);
    if (idText === undefined) {
      if (call.method === 'GET') return listRecords(domain, zone, call.query, reply);
      if (call.method !== 'POST') return reply(405, { id: 'method_not_allowed', message: 'Method not allowed' });
      const made = validate(domain, zone, call.body, undefined);
      if ('error' in made) return reply(422, unprocessable(made.error));
      const record = { ...made.record, id: nextId++ };
      zone.push(record);
      // A POST always creates: no idempotency key, no duplicate check (§4 trap 1).
      return reply(201, { domain_record: record });
    }
    const id = Number(idText);
    const index = zone.findIndex((r) => r.id === id);
    if (index < 0) return reply(404, ERRORS.notFound);
    const current = zone[index]!;
    switch (call.method) {
      case 'GET':
        return reply(200, { domain_record: current });
      case 'PUT':
      case 'PATCH': {
        // PUT sets what it names and clears the type's other fields: a PUT of only a TTL fails on the data (doctl#919)
        // [obs]; PATCH keeps what it does not name (do-openapi `patch_update_domain_record.yml`).
        const made = validate(domain, zone, call.body, current, call.method === 'PUT' ? 'replace' : 'merge');
        if ('error' in made) return reply(422, unprocessable(made.error));
        zone[index] = { ...made.record, id };
        return reply(200, { domain_record: zone[index] });
      }
      case 'DELETE':
        // do-openapi `delete_domain_record.yml`: 204, empty body.
        zone.splice(index, 1);
        return reply(204);
      default:
        return reply(405, { id: 'method_not_allowed', message: 'Method not allowed' });
    }
  }

  /**
   * do-openapi `list_all_domain_records.yml`: `type` and `name` filters, `name` the full name ("name must be a fully
   * qualified record name", §4 trap 3); `links.pages` only when there is more than one page (do-openapi
   * `description.md` "Links & Pagination"), with absolute URLs on DigitalOcean's host; `meta.total`.
   */
  function listRecords(domain: string, zone: DigitaloceanRecord[], query: Readonly<Record<string, string>>, reply: Reply): void {
    const type = query.type?.toUpperCase();
    const name = query.name?.toLowerCase().replace(/\.$/, '');
    const matching = zone.filter((r) => (!type || r.type === type) && (!name || fullName(r.name, domain) === name));
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(query.per_page ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE));
    const page = Math.max(1, Number(query.page ?? 1) || 1);
    const last = Math.max(1, Math.ceil(matching.length / perPage));
    const link = (n: number) => {
      const params = new URLSearchParams({ page: String(n), per_page: String(perPage) });
      if (query.type) params.set('type', query.type);
      if (query.name) params.set('name', query.name);
      return `${behaviour.linkOrigin ?? 'https://api.digitalocean.com'}/v2/domains/${domain}/records?${params}`;
    };
    const pages: Record<string, string> = {};
    if (last > 1) {
      if (page > 1) Object.assign(pages, { first: link(1), prev: link(page - 1) });
      if (page < last) Object.assign(pages, { last: link(last), next: link(page + 1) });
    }
    reply(200, {
      domain_records: matching.slice((page - 1) * perPage, page * perPage),
      links: last > 1 ? { pages } : {},
      meta: { total: matching.length },
    });
  }

  /**
   * A record body as DigitalOcean checks it. Refusals use DigitalOcean's `unprocessable_entity` body; the texts are
   * the observed ones where cited, else [infer].
   */
  function validate(
    domain: string,
    zone: readonly DigitaloceanRecord[],
    body: unknown,
    current: DigitaloceanRecord | undefined,
    mode: 'replace' | 'merge' = 'replace',
  ): { record: Omit<DigitaloceanRecord, 'id'> } | { error: string } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'The request body must be a JSON object.' };
    const o = body as Record<string, unknown>;
    const from = mode === 'merge' && current ? current : undefined;
    const type = (typeof o.type === 'string' ? o.type : current?.type ?? '').toUpperCase();
    if (!WRITABLE_TYPES.has(type)) return { error: `Type ${type || '(none)'} is not a supported record type.` }; // [infer]
    const rawName = typeof o.name === 'string' ? o.name : current?.name ?? '@';
    const name = relative(rawName, domain);
    if (name === undefined) return { error: `Name ${rawName} is not inside ${domain}.` }; // [infer]
    let data = typeof o.data === 'string' ? o.data : (from?.data ?? '');
    const field = (key: 'priority' | 'port' | 'weight' | 'flags') =>
      typeof o[key] === 'number' ? (o[key] as number) : (from?.[key] ?? null);
    const ttl = typeof o.ttl === 'number' ? o.ttl : (current?.ttl ?? DEFAULT_TTL);
    // "record ttl must be greater than 30" (Pelado-Nerdworks/peladonerd#44) [obs]; 30 itself is accepted (§4).
    if (!Number.isInteger(ttl) || ttl < MIN_TTL) return { error: 'record ttl must be greater than 30' };
    if (from && DOTTED_TYPES.has(type) && typeof o.data !== 'string') data = `${data === '@' ? domain : data}.`;
    if (DOTTED_TYPES.has(type)) {
      if (!data.endsWith('.')) return { error: 'Data needs to end with a dot (.)' }; // api-v2#130, doctl#919 [obs]
      // Read back without the dot, `@` for the apex (dnscontrol `toRc`; octodns/octodns#692 for CAA) [code].
      data = data.slice(0, -1);
      if (type !== 'CAA' && data.toLowerCase() === domain) data = '@';
    }
    if (data === '') return { error: 'Data needs to be set.' }; // [infer]
    if (type === 'TXT') {
      // dnscontrol `auditrecords.go`: no backslash (TxtHasBackslash), encoded length within ~512 (MaxLengthDO) [code].
      if (data.includes('\\')) return { error: 'Data contains characters that are not allowed.' }; // [infer]
      if (encodedLength(data) > 512) return { error: 'Data is too long.' }; // [infer]
    }
    const priority = field('priority');
    const port = field('port');
    const weight = field('weight');
    const flags = field('flags');
    const tag = typeof o.tag === 'string' ? o.tag : (from?.tag ?? null);
    // do-openapi `domain_record_types.yml`: MX needs priority; SRV priority, port, weight; CAA flags and tag [doc].
    if ((type === 'MX' || type === 'SRV') && priority === null) return { error: 'Priority needs to be set.' };
    if (type === 'SRV' && (port === null || weight === null)) return { error: 'Port and weight need to be set.' };
    if (type === 'CAA' && (flags === null || !['issue', 'issuewild', 'iodef'].includes(tag ?? ''))) return { error: 'Flags and a valid tag need to be set.' };
    const record: Omit<DigitaloceanRecord, 'id'> = {
      type,
      name,
      data,
      priority: type === 'MX' || type === 'SRV' ? priority : null,
      port: type === 'SRV' ? port : null,
      ttl,
      weight: type === 'SRV' ? weight : null,
      flags: type === 'CAA' ? flags : null,
      tag: type === 'CAA' ? tag : null,
    };
    // A CNAME cannot share its name with another record (RFC 1034 §3.6.2); DigitalOcean's text [infer].
    const others = zone.filter((r) => r !== current && r.name === name);
    if ((type === 'CNAME' && others.length > 0) || (type !== 'CNAME' && others.some((r) => r.type === 'CNAME'))) {
      return { error: 'CNAME records cannot share a name with other records.' };
    }
    return { record };
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    state: { zones, accounts },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    plant: (record, domain = SEED_APEX) => {
      const [wire] = toDigitaloceanWire([record], domain, nextId++);
      zones.get(domain)!.push(wire!);
      return structuredClone(wire!);
    },
    reset: () => {
      for (const [domain, records] of seed()) zones.set(domain, records);
    },
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    beforeNextWrite: (action) => void hooks.push(action),
    beforeNextRead: (action) => void readHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      hooks.splice(0);
      readHooks.splice(0);
    },
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The call that lists a zone's records (any filter), not the domain lookup. */
function isRecordList(call: DigitaloceanFakeCall): boolean {
  return call.method === 'GET' && /^\/v2\/domains\/[^/]+\/records$/.test(call.path);
}

function fullName(relativeName: string, domain: string): string {
  return relativeName === '@' || relativeName === '' ? domain : `${relativeName.toLowerCase()}.${domain}`;
}

/** A written name → DigitalOcean's relative form: `@`/empty = apex; a full name with the dot is made relative (lego). */
function relative(name: string, domain: string): string | undefined {
  const lower = name.trim().toLowerCase();
  if (lower === '@' || lower === '' || lower === `${domain}.`) return '@';
  if (lower.endsWith('.')) return lower.endsWith(`.${domain}.`) ? lower.slice(0, -(domain.length + 2)) : undefined;
  return lower;
}

/** RFC 1035 encoded length: quoted ≤255-byte strings, `"` and `\` escaped, separated by spaces. */
function encodedLength(value: string): number {
  const bytes = Buffer.from(value, 'utf8');
  const chunks = Math.max(1, Math.ceil(bytes.length / 255));
  const escapes = [...value].filter((c) => c === '"' || c === '\\').length;
  return bytes.length + escapes + 2 * chunks + (chunks - 1);
}

/** A BIND-style zone file, as `GET /domains/{d}` carries in `zone_file` (do-openapi `models/domain.yml`). */
function zoneFile(domain: string, records: readonly DigitaloceanRecord[]): string {
  const lines = [`$ORIGIN ${domain}.`, `$TTL ${DEFAULT_TTL}`];
  for (const r of records) {
    const owner = r.name === '@' ? `${domain}.` : `${r.name}.${domain}.`;
    const prefix = r.priority === null ? '' : `${r.priority} `;
    lines.push(`${owner} ${r.ttl} IN ${r.type} ${prefix}${r.type === 'TXT' ? JSON.stringify(r.data) : r.data}`);
  }
  return `${lines.join('\n')}\n`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
