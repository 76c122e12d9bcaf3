/**
 * A loopback Cloudflare API v4 (`/client/v4`) for the adapter tests: a real node:http server on 127.0.0.1 port 0.
 * Every behaviour cites ../shared/reference/providers.md §1 ("§1 …" below) or is marked [infer] where that file
 * has no source. Only what the adapter uses is served: token verify, zone list, record list, record batch.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export type FakePermission = 'zone:read' | 'dns:read' | 'dns:edit';

export interface FakeToken {
  /** Zone names the token is scoped to. @default every zone of the account */
  readonly zones?: readonly string[];
  /** @default ['zone:read', 'dns:read', 'dns:edit'] */
  readonly permissions?: readonly FakePermission[];
  /** The token has an IP filter that refuses loopback (§1 auth table, jeessy2/ddns-go#1341). @default false */
  readonly ipFiltered?: boolean;
  /** An account-owned token: /user/tokens/verify refuses it, zone calls work (§1 "Auth" trap). @default false */
  readonly accountOwned?: boolean;
}

/** A record in Cloudflare's wire form (cf-ts `RecordResponse`). */
export interface FakeRecord {
  id: string;
  zone_id: string;
  zone_name: string;
  name: string;
  type: string;
  content: string;
  priority?: number;
  data?: Record<string, unknown>;
  proxiable: boolean;
  proxied: boolean;
  ttl: number;
  comment: string | null;
  tags: string[];
  settings: Record<string, unknown>;
  meta: Record<string, unknown>;
  created_on: string;
  modified_on: string;
}

export interface FakeZone {
  readonly id: string;
  readonly name: string;
  records: FakeRecord[];
}

export interface FakeCall {
  readonly method: string;
  /** Path without the `/client/v4` prefix. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export type FakeFailure =
  /** 429 with Cloudflare's 971 body and a Retry-After header (§1 "Rate limits"). */
  | { readonly kind: 'rate_limit'; readonly retryAfter?: number }
  /** The edge's HTML error page (§1 "Rate limits": 502/503/504 come back as HTML) [infer]. */
  | { readonly kind: 'html'; readonly status: number }
  /** The connection drops before the request is handled. */
  | { readonly kind: 'drop' }
  /** The request is handled (a batch commits) and then the connection drops: a lost reply. */
  | { readonly kind: 'drop_after_apply' }
  /** The request is read and never answered: no headers, the connection stays open (a stuck upstream) [infer]. */
  | { readonly kind: 'hang' }
  /** HTTP 200 with a body that is not JSON, and the request is not handled (a broken proxy) [infer]. */
  | { readonly kind: 'malformed' }
  /** The request is handled (a batch commits), then the edge answers with its HTML error page instead (§1 "Rate limits"). */
  | { readonly kind: 'html_after_apply'; readonly status: number }
  /** The request is handled, then the reply stops half-way: Content-Length promises more than is sent [infer]. */
  | { readonly kind: 'truncated_after_apply' }
  /**
   * A 400 validation error whose message quotes the Authorization header it was sent, before the token is checked
   * (§1 "Response envelope" shape, code 1004 with a chain) [infer: a provider echoing its input back].
   */
  | { readonly kind: 'echo_credentials' };

export interface CloudflareFakeOptions {
  readonly tokens: Readonly<Record<string, FakeToken>>;
  /** @default one zone, `example.com`, seeded with `seedRecords()` in Cloudflare's wire form */
  readonly zones?: readonly { readonly name: string; readonly records?: readonly DesiredRecord[] }[];
  /** Largest `per_page` the record list honours (the current schema: 5,000,000, §1 endpoints). @default 5_000_000 */
  readonly maxPerPage?: number;
}

export interface CloudflareFake {
  /** Includes the `/client/v4` prefix, as CLOUDFLARE_API_URL does (§1 "Base URL"). */
  readonly baseUrl: string;
  readonly state: { readonly zones: Map<string, FakeZone> };
  readonly calls: FakeCall[];
  /** The zone's records, deep-copied, for before/after comparisons. */
  records(zoneName: string): FakeRecord[];
  /** The next `times` requests (whose path contains `pathPart`, if given) fail this way. */
  failNext(failure: FakeFailure, options?: { times?: number; pathPart?: string }): void;
  /** While set, every request gets this failure. */
  setBehaviour(behaviour: { always?: FakeFailure | undefined }): void;
  /** Drops every queued failure and the lasting one. */
  clearFaults(): void;
  /** Runs `action` just before the next write (a batch) is handled: another writer between our read and our write. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  close(): Promise<void>;
}

const ALL_PERMISSIONS: readonly FakePermission[] = ['zone:read', 'dns:read', 'dns:edit'];
const PREFIX = '/client/v4';
const TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA']);

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: number; message: string; error_chain?: { code: number; message: string }[] }[],
  ) {
    super(errors[0]?.message ?? 'error');
  }
}

const hexId = () => randomBytes(16).toString('hex');
const err = (status: number, code: number, message: string, chain?: { code: number; message: string }[]) =>
  new ApiError(status, [{ code, message, ...(chain ? { error_chain: chain } : {}) }]);

export async function startCloudflareFake(options: CloudflareFakeOptions): Promise<CloudflareFake> {
  const zones = new Map<string, FakeZone>();
  for (const z of options.zones ?? [{ name: SEED_APEX, records: seedRecords() }]) {
    const zone: FakeZone = { id: hexId(), name: z.name, records: [] };
    zone.records = (z.records ?? []).map((r) => seedToWire(zone, r));
    zones.set(zone.id, zone);
  }
  const maxPerPage = options.maxPerPage ?? 5_000_000;
  const calls: FakeCall[] = [];
  const queued: { failure: FakeFailure; times: number; pathPart?: string | undefined }[] = [];
  let always: FakeFailure | undefined;
  let beforeWrite: (() => void | Promise<void>) | undefined;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname;
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    calls.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), ...(body === undefined ? {} : { body }) });

    const failure = takeFailure(path);
    if (failure?.kind === 'drop') return void res.destroy();
    // Left open; close() ends it with closeAllConnections, a client gives up on its own timeout.
    if (failure?.kind === 'hang') return;
    if (failure?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result":[{"id":"0f3c","type":"TXT","na');
      return;
    }
    if (failure?.kind === 'rate_limit') {
      // §1 "Rate limits": 429, Retry-After only on 429, body code 971.
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(failure.retryAfter ?? 1) });
      res.end(JSON.stringify({ success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null }));
      return;
    }
    if (failure?.kind === 'html') return htmlPage(res, failure.status);
    if (failure?.kind === 'echo_credentials') {
      const sent = req.headers.authorization ?? '';
      const errors = [{ code: 1004, message: 'DNS Validation Error', error_chain: [{ code: 9999, message: `could not use ${sent} (token ${sent.replace(/^Bearer /, '')})` }] }];
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ result: null, success: false, errors, messages: [] }));
      return;
    }
    if (req.method !== 'GET' && beforeWrite) {
      const action = beforeWrite;
      beforeWrite = undefined;
      await action();
    }

    let status = 200;
    let payload: Record<string, unknown>;
    try {
      const { result, result_info } = route(req, path, url.searchParams, body);
      // §1 "Response envelope".
      payload = { result, success: true, errors: [], messages: [], ...(result_info ? { result_info } : {}) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.status;
      // §1 "Response envelope": errors come with 4xx, success:false, result:null.
      payload = { result: null, success: false, errors: error.errors, messages: [] };
    }
    if (failure?.kind === 'drop_after_apply') return void res.destroy();
    if (failure?.kind === 'html_after_apply') return htmlPage(res, failure.status);
    const replyText = JSON.stringify(payload);
    if (failure?.kind === 'truncated_after_apply') {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(replyText) });
      res.write(replyText.slice(0, Math.floor(replyText.length / 2)));
      // Let the half body leave before the reset, so the client sees headers then a short body.
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(replyText);
  }

  function takeFailure(path: string): FakeFailure | undefined {
    if (always) return always;
    const next = queued.find((q) => q.pathPart === undefined || path.includes(q.pathPart));
    if (!next) return undefined;
    next.times -= 1;
    if (next.times <= 0) queued.splice(queued.indexOf(next), 1);
    return next.failure;
  }

  function route(req: IncomingMessage, path: string, query: URLSearchParams, body: unknown): { result: unknown; result_info?: unknown } {
    const token = authenticate(req);
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/user/tokens/verify') {
      // §1 "Auth": account-owned tokens fail here with 401 code 1000 yet work for zone calls.
      if (token.accountOwned) throw err(401, 1000, 'Invalid API Token');
      return { result: { id: hexId(), status: 'active' } };
    }
    if (method === 'GET' && path === '/zones') {
      need(token, 'zone:read');
      // §1 endpoints: `name` is an exact (equal) match; an unknown zone is success with an empty list; per_page 5–50.
      const name = query.get('name')?.toLowerCase();
      const visible = [...zones.values()].filter((z) => inScope(token, z) && (name === undefined || z.name === name));
      return paginate(visible.map(zoneView), query, { min: 5, max: 50, fallback: 20 });
    }
    const match = /^\/zones\/([^/]+)\/dns_records(\/batch)?$/.exec(path);
    if (!match) throw err(400, 7000, 'No route for that URI'); // [infer] Cloudflare's unknown-route reply
    const zone = zones.get(match[1] ?? '');
    // [infer] not in providers.md: Cloudflare's reply for a zone id it does not know.
    if (!zone) throw err(400, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
    // §1 auth table: a zone outside the token's scope → 403 "Unauthorized to access requested resource" (9109 [infer]).
    if (!inScope(token, zone)) throw err(403, 9109, 'Unauthorized to access requested resource');
    if (method === 'GET' && !match[2]) {
      if (!hasPermission(token, 'dns:read') && !hasPermission(token, 'dns:edit')) throw err(403, 10000, 'Authentication error');
      // §1 endpoints: `name` (exact FQDN) and `type` filters; per_page default 100, min 1, max from the schema.
      const name = query.get('name')?.toLowerCase();
      const type = query.get('type')?.toUpperCase();
      const records = zone.records.filter((r) => (name === undefined || r.name === name) && (type === undefined || r.type === type));
      return paginate(records, query, { min: 1, max: maxPerPage, fallback: 100 });
    }
    if (method === 'POST' && match[2]) {
      need(token, 'dns:edit');
      return { result: applyBatch(zone, body) };
    }
    throw err(400, 7000, 'No route for that URI');
  }

  /** §1 auth table: 9106 no headers; 6003/6111 malformed Bearer; 6003/6103 bad X-Auth-Key; 9109 unknown or IP-filtered. */
  function authenticate(req: IncomingMessage): FakeToken {
    const authorization = req.headers.authorization;
    if (authorization === undefined) {
      if (req.headers['x-auth-key'] !== undefined) {
        // §1 trap 1: a token sent as X-Auth-Key fails its format check.
        throw err(400, 6003, 'Invalid request headers', [{ code: 6103, message: 'Invalid format for X-Auth-Key header' }]);
      }
      throw err(400, 9106, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers');
    }
    // [infer] the exact format Cloudflare accepts: token characters, at least 20 of them.
    const bearer = /^Bearer ([A-Za-z0-9_-]{20,})$/.exec(authorization);
    if (!bearer) throw err(400, 6003, 'Invalid request headers', [{ code: 6111, message: 'Invalid format for Authorization header' }]);
    const token = options.tokens[bearer[1] ?? ''];
    if (!token) throw err(403, 9109, 'Invalid access token');
    if (token.ipFiltered) throw err(403, 9109, `Cannot use the access token from location: ${req.socket.remoteAddress ?? ''}`);
    return token;
  }

  const hasPermission = (token: FakeToken, p: FakePermission) => (token.permissions ?? ALL_PERMISSIONS).includes(p);
  // §1 auth table: a token without the permission → 403 10000 "Authentication error".
  const need = (token: FakeToken, p: FakePermission) => {
    if (!hasPermission(token, p)) throw err(403, 10000, 'Authentication error');
  };
  const inScope = (token: FakeToken, zone: FakeZone) => token.zones === undefined || token.zones.includes(zone.name);

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        baseUrl: `http://127.0.0.1:${port}${PREFIX}`,
        state: { zones },
        calls,
        records: (zoneName) => structuredClone([...zones.values()].find((z) => z.name === zoneName)?.records ?? []),
        failNext: (failure, opts = {}) => void queued.push({ failure, times: opts.times ?? 1, pathPart: opts.pathPart }),
        setBehaviour: (behaviour) => void (always = behaviour.always),
        beforeNextWrite: (action) => void (beforeWrite = action),
        clearFaults: () => {
          queued.splice(0);
          always = undefined;
          beforeWrite = undefined;
        },
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function htmlPage(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/html' });
  res.end(`<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status}</h1></center><hr><center>cloudflare</center></body></html>`);
}

// ------------------------------------------------------------------------------------------------------ lists

function paginate<T>(items: readonly T[], query: URLSearchParams, limits: { min: number; max: number; fallback: number }) {
  const asked = Number(query.get('per_page') ?? limits.fallback);
  // [infer] an out-of-range per_page is clamped rather than refused.
  const perPage = Math.min(limits.max, Math.max(limits.min, Number.isInteger(asked) ? asked : limits.fallback));
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const result = items.slice((page - 1) * perPage, page * perPage);
  // §1 envelope: result_info {page, per_page, count, total_count, total_pages} (lego `ResultInfo`).
  const result_info = { page, per_page: perPage, count: result.length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) };
  return { result, result_info };
}

function zoneView(zone: FakeZone) {
  return { id: zone.id, name: zone.name, status: 'active', paused: false, type: 'full', name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'] };
}

// ------------------------------------------------------------------------------------------------------ batch

interface BatchBody {
  deletes?: { id?: unknown }[];
  patches?: Record<string, unknown>[];
  puts?: Record<string, unknown>[];
  posts?: Record<string, unknown>[];
}

/** §1 endpoints: one DB transaction in the order deletes → patches → puts → posts; any failure changes nothing. */
function applyBatch(zone: FakeZone, body: unknown): Record<string, FakeRecord[]> {
  if (typeof body !== 'object' || body === null) throw err(400, 9207, 'Request body is invalid.'); // [infer]
  const batch = body as BatchBody;
  const records = structuredClone(zone.records);
  const out: Record<'deletes' | 'patches' | 'puts' | 'posts', FakeRecord[]> = { deletes: [], patches: [], puts: [], posts: [] };
  const now = new Date().toISOString();
  const find = (id: unknown) => {
    const index = records.findIndex((r) => r.id === id);
    // §1 "Record semantics": an unknown record id → 404 81044 [infer].
    if (index < 0) throw err(404, 81044, 'Record does not exist.');
    return index;
  };
  for (const d of batch.deletes ?? []) out.deletes.push(...records.splice(find(d.id), 1));
  for (const p of batch.patches ?? []) {
    const index = find(p.id);
    const current = records[index] as FakeRecord;
    // §1 endpoints: PATCH is a partial update; every field not sent stays.
    const next = validate(zone, records, { ...current, ...pick(p), modified_on: now }, current.id);
    records[index] = next;
    out.patches.push(next);
  }
  for (const p of batch.puts ?? []) {
    const index = find(p.id);
    const current = records[index] as FakeRecord;
    // §1 endpoints: PUT overwrites; fields left out go back to their defaults.
    const fresh = { ...defaults(zone, current.id, current.created_on, now), ...pick(p) };
    const next = validate(zone, records, fresh, current.id);
    records[index] = next;
    out.puts.push(next);
  }
  for (const p of batch.posts ?? []) {
    const next = validate(zone, records, { ...defaults(zone, hexId(), now, now), ...pick(p) }, undefined);
    records.push(next);
    out.posts.push(next);
  }
  zone.records = records;
  return out;
}

function defaults(zone: FakeZone, id: string, created: string, modified: string): FakeRecord {
  return {
    id, zone_id: zone.id, zone_name: zone.name, name: zone.name, type: '', content: '', proxiable: false, proxied: false,
    ttl: 1, comment: null, tags: [], settings: {}, meta: {}, created_on: created, modified_on: modified,
  };
}

const WRITABLE = ['name', 'type', 'content', 'priority', 'data', 'proxied', 'ttl', 'comment', 'tags', 'settings'] as const;
function pick(fields: Record<string, unknown>): Partial<FakeRecord> {
  return Object.fromEntries(WRITABLE.filter((k) => k in fields).map((k) => [k, fields[k]])) as Partial<FakeRecord>;
}

/** Checks one record as Cloudflare would before it joins `records` (which may hold the record's old self). */
function validate(zone: FakeZone, records: readonly FakeRecord[], candidate: FakeRecord, selfId: string | undefined): FakeRecord {
  const record: FakeRecord = { ...candidate, type: String(candidate.type).toUpperCase(), name: fullName(zone, String(candidate.name)) };
  if (!TYPES.has(record.type)) throw err(400, 1004, 'DNS Validation Error', [{ code: 9000, message: 'Invalid DNS record type' }]); // [infer]
  if (record.type === 'SRV' || record.type === 'CAA') Object.assign(record, structured(record));
  if (typeof record.content !== 'string' || record.content === '') throw err(400, 1004, 'DNS Validation Error', [{ code: 9005, message: 'Content is required' }]); // [infer]
  // §5: Cloudflare strips a target's trailing dot.
  if (['CNAME', 'MX', 'NS'].includes(record.type)) record.content = record.content.replace(/\.$/, '');
  // §1 "Record semantics": TTL 1 (automatic) or 60–86400, else 1004 with chain 9021.
  if (!(record.ttl === 1 || (Number.isInteger(record.ttl) && record.ttl >= 60 && record.ttl <= 86_400))) {
    throw err(400, 1004, 'DNS Validation Error', [{ code: 9021, message: 'TTL must be between 60 and 86400 seconds, or 1 for Automatic.' }]);
  }
  record.proxiable = ['A', 'AAAA', 'CNAME'].includes(record.type);
  // §1 "Record semantics": only A/AAAA/CNAME can be proxied (9004 [infer]).
  if (record.proxied && !record.proxiable) throw err(400, 9004, 'This record type cannot be proxied.');
  if (record.type !== 'MX' && record.type !== 'SRV') delete record.priority;
  else if (typeof record.priority !== 'number') throw err(400, 1004, 'DNS Validation Error', [{ code: 9100, message: 'priority is required' }]); // [infer]
  const others = records.filter((r) => r.id !== selfId && r.name === record.name);
  // §1 "Record semantics": 81058 for an identical record (TXT compared without quotes [infer]).
  if (others.some((r) => r.type === record.type && unquote(r.content) === unquote(record.content) && r.priority === record.priority)) {
    throw err(400, 81058, 'An identical record already exists.');
  }
  // §1 "Record semantics": a CNAME next to other records → 81053; any record next to a CNAME → 81054.
  if (record.type === 'CNAME' && others.length > 0) throw err(400, 81053, 'An A, AAAA, or CNAME record with that host already exists.');
  if (others.some((r) => r.type === 'CNAME')) {
    throw err(400, 81054, 'A CNAME record with that host already exists. For more details, refer to <https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>.');
  }
  return record;
}

/** SRV and CAA are written through `data` (cf-ts `SRVRecord`, `CAARecord`); `content` is derived from it. */
function structured(record: FakeRecord): Partial<FakeRecord> {
  const d = record.data;
  if (!d) return {};
  if (record.type === 'SRV') return { priority: Number(d.priority), content: `${Number(d.weight)} ${Number(d.port)} ${String(d.target)}` };
  return { content: `${Number(d.flags)} ${String(d.tag)} "${String(d.value)}"` };
}

/** §1 endpoints: `name` may be relative or `@`; responses always hold the full FQDN. */
function fullName(zone: FakeZone, name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n === '@' || n === zone.name) return zone.name;
  return n.endsWith(`.${zone.name}`) ? n : `${n}.${zone.name}`;
}

function unquote(content: string): string {
  const parts = [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
  return /^\s*"/.test(content) ? parts.join('') : content;
}

// ------------------------------------------------------------------------------------------------------ seeding

/**
 * The shared seed in the form a real account shows: TXT as entered — the SPF record quoted, the long DKIM key in
 * 255-byte quoted chunks, others unquoted (§1 "Record semantics": content comes back as entered) — plus fields a
 * careless write would lose: a proxied A, a proxied CNAME with a comment and tags, a commented SPF record.
 */
function seedToWire(zone: FakeZone, seed: DesiredRecord): FakeRecord {
  const stamp = '2024-03-01T09:30:00.000000Z';
  const record: FakeRecord = { ...defaults(zone, hexId(), stamp, stamp), type: seed.type, name: seed.name, content: seed.content, ttl: seed.ttl };
  record.proxiable = ['A', 'AAAA', 'CNAME'].includes(seed.type);
  if (seed.priority !== undefined) record.priority = seed.priority;
  if (seed.type === 'TXT' && seed.content.startsWith('v=spf1')) record.content = `"${seed.content}"`;
  if (seed.type === 'TXT' && seed.content.length > 255) record.content = chunk(seed.content);
  if (seed.type === 'TXT' && seed.content.startsWith('v=spf1') && seed.name === zone.name) record.comment = 'managed by IT, ticket 4411';
  if (seed.name === `www.${zone.name}`) record.proxied = true;
  if (seed.name === `shop.${zone.name}`) Object.assign(record, { proxied: true, comment: 'storefront (agency)', tags: ['team:web'] });
  return record;
}

function chunk(value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255)}"`);
  return parts.join(' ');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
