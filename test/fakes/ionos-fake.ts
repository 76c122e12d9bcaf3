/**
 * A loopback IONOS Hosting DNS API (`/v1/…`, a real node:http server on 127.0.0.1, port 0) that behaves as IONOS's
 * OpenAPI spec and the clients quoted in ../shared/reference/providers-registrars.md §1 say ("ionos-spec" =
 * ionos-developer/dns-sdk-go@28d13b5 api/openapi.yaml, DNS API 1.0.1; [infer] = no source found). It is unforgiving
 * where IONOS is: `PATCH /v1/zones/{id}` replaces every record of each name and type it names, `PUT /v1/zones/{id}`
 * replaces the whole zone, TXT comes back quoted, a record left without `disabled` is enabled, and a repeated POST
 * makes a second record. A careless adapter loses records here too.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IonosRecord } from '../../providers/ionos.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface IonosFakeZone {
  readonly id: string;
  readonly name: string;
  /** ionos-spec `zoneTypes`. */
  readonly type: 'NATIVE' | 'SLAVE';
  records: IonosRecord[];
}

export interface IonosFakeAccount {
  /** `<prefix>.<secret>` as IONOS issues it (§1 "Auth"). */
  readonly key: string;
  /** Zone names the account holds. */
  readonly zones: readonly string[];
}

/** Test-only keys, shaped like IONOS's (a 32-hex prefix, a dot, a secret); not real keys. */
export const IONOS_FAKE_ACCOUNTS = {
  good: { key: 'c0ffee00d15ea5e0123456789abcdef0.Q7vLx3Rw8Zp2mT9fHk4Nc6Yb1Je5Ua0Sg', zones: [SEED_APEX, 'empty-zone.com', 'secondary-zone.com'] },
  other: { key: 'feedfacecafebeef0123456789abcdef.Zx9Wv8Ut7Sr6Qp5On4Ml3Kj2Ih1Gf0Ed', zones: ['other-account.com'] },
} as const satisfies Record<string, IonosFakeAccount>;

export interface IonosFakeCall {
  readonly method: string;
  /** Decoded path without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
}

/** Which requests a fault applies to. */
export interface IonosFaultTarget {
  /** `read` = the zone read `GET /v1/zones/{id}`; `write` = any POST, PUT, PATCH or DELETE. @default any request */
  readonly on?: 'read' | 'write';
  readonly method?: string;
  readonly pathIncludes?: string;
  /** How many matching requests get it; `always` until `clearFaults()`. @default 1 */
  readonly times?: number | 'always';
}

export type IonosFault = IonosFaultTarget &
  (
    /** An HTTP error before the request is handled: nothing changes. 429 carries `Retry-After` [infer]. */
    | { readonly kind: 'status'; readonly status: 429 | 500 | 502 | 503; readonly retryAfter?: number; readonly html?: boolean }
    /**
     * `hang`: no reply at all (held open until the client gives up or close()); `reset`: the connection is cut before
     * the request is handled; `malformed`: HTTP 200 with cut JSON, nothing handled; `lost-reply`: the request is
     * handled in full (a write commits), then the connection is cut; `echo-credentials`: 401 whose message repeats the
     * key sent [infer: no source for any of these, every HTTP upstream can fail so].
     */
    | { readonly kind: 'hang' | 'reset' | 'malformed' | 'lost-reply' | 'echo-credentials' }
  );

export interface IonosFakeBehaviour {
  /** Requests per minute per key before 429 + Retry-After; IONOS documents no quota for record CRUD [infer]. */
  rateLimitPerMinute?: number;
}

export interface IonosFake {
  readonly baseUrl: string;
  /** Zones by name (records in wire form) and accounts; tests may inspect and edit them. */
  readonly state: { zones: Map<string, IonosFakeZone>; accounts: IonosFakeAccount[] };
  readonly calls: IonosFakeCall[];
  /** A deep copy of a zone's records, in the fake's (IONOS's) order. */
  snapshot(zone?: string): IonosRecord[];
  failNext(fault: IonosFault): void;
  /** Runs `action` just before the next write request is handled (a second writer between read and write). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: IonosFakeBehaviour): void;
  close(): Promise<void>;
}

/** ionos-spec `recordTypes` enum. */
export const IONOS_RECORD_TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'SRV', 'TXT', 'CAA']);
/** libdns/ionos: "IONOS does not accept TTL values < 60, and returns status 400"; acme.sh `IONOS_TXT_TTL=60` (§1). */
const MIN_TTL = 60;
/** The spec gives no maximum; a day [infer]. */
const MAX_TTL = 86_400;
const CHANGE_DATE = '2025-01-01T00:00:00.000Z';

/**
 * A TXT value as IONOS shows it: wrapped in quotes, `"` and `\` escaped (libdns-ionos `strconv.Unquote`, lego
 * `strconv.Quote`, acme.sh, §1 "Wire format"). Past 255 bytes, quoted 255-byte strings (`"a" "b"`): how IONOS shows a
 * long value is unconfirmed, and this is the form a client that only strips one pair of quotes gets wrong [infer].
 */
export function ionosTxt(value: string): string {
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of value) {
    const bytes = Buffer.byteLength(ch, 'utf8');
    if (size + bytes > 255) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch === '"' || ch === '\\' ? `\\${ch}` : ch;
    size += bytes;
  }
  chunks.push(current);
  return chunks.map((c) => `"${c}"`).join(' ');
}

/** Seed records (neutral form) → IONOS wire records with fresh ids. */
export function toIonosWire(records: readonly DesiredRecord[], zone: string): IonosRecord[] {
  return records.map((r) => {
    const type = r.type.toUpperCase();
    return {
      id: randomUUID(),
      name: r.name,
      rootName: zone,
      type,
      // SRV: `weight port target` with the priority in `prio`, as MX [infer].
      content: type === 'TXT' ? ionosTxt(r.content) : r.content,
      changeDate: CHANGE_DATE,
      ttl: r.ttl,
      prio: r.priority ?? 0,
      disabled: false,
    };
  });
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

/** ionos-spec error examples: every error body is a JSON array. */
const unauthorized = (message = 'The customer is not authorized to do this operation.') => [{ code: 'UNAUTHORIZED', message }];
const recordNotFound = () => [{ code: 'RECORD_NOT_FOUND', message: 'Record does not exist.' }];
const invalidData = () => [{ code: 'INVALID_DATA', message: 'The request body is invalid or not supported by the endpoint.' }];
const invalidRecord = (errorRecord: unknown, fields: { invalidFields?: string[]; requiredFields?: string[] }) => [
  { code: 'INVALID_RECORD', message: 'Record is invalid.', parameters: { errorRecord, ...fields } },
];

export async function startIonosFake(options: { accounts?: IonosFakeAccount[]; behaviour?: IonosFakeBehaviour } = {}): Promise<IonosFake> {
  const zone = (name: string, type: 'NATIVE' | 'SLAVE', records: IonosRecord[] = []): [string, IonosFakeZone] => [name, { id: randomUUID(), name, type, records }];
  const zones = new Map<string, IonosFakeZone>([
    zone(SEED_APEX, 'NATIVE', toIonosWire(seedRecords(), SEED_APEX)),
    zone('empty-zone.com', 'NATIVE'),
    zone('secondary-zone.com', 'SLAVE'),
    zone('other-account.com', 'NATIVE'),
  ]);
  const accounts: IonosFakeAccount[] = options.accounts ?? [IONOS_FAKE_ACCOUNTS.good, IONOS_FAKE_ACCOUNTS.other];
  const calls: IonosFakeCall[] = [];
  const faults: { fault: IonosFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  let behaviour: IonosFakeBehaviour = { ...options.behaviour };
  const windows = new Map<string, { start: number; count: number }>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
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
    const call: IonosFakeCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body, status: 0 };
    calls.push(call);
    const reply: Reply = (status, payload, headers = {}) => {
      call.status = status;
      if (payload === undefined) return void res.writeHead(status, headers).end();
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    const key = headerValue(req.headers['x-api-key']);
    const fault = takeFault(call);
    if (fault?.kind === 'hang') return; // left open until the client gives up or close() ends it
    if (fault?.kind === 'reset') return void res.destroy();
    if (fault?.kind === 'malformed') {
      call.status = 200;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"11af3414","name":"example.com","records":[{"id":');
    }
    if (fault?.kind === 'echo-credentials') return reply(401, unauthorized(`The customer is not authorized to do this operation (X-API-Key ${key ?? ''}).`));
    if (fault?.kind === 'status') {
      call.status = fault.status;
      if (fault.html) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
      // The DynDNS 429 "Rate limit excedeed." has no body (ionos-spec); Retry-After [infer].
      if (fault.status === 429) return reply(429, undefined, { 'retry-after': String(fault.retryAfter ?? 1) });
      return reply(fault.status, [{ code: 'INTERNAL_SERVER_ERROR' }]);
    }
    const account = accounts.find((a) => a.key === key);
    // ionos-spec: 401 with `unauthorized-error` for a missing or wrong X-API-Key.
    if (!account) return reply(401, unauthorized());
    const limited = rateLimited(account.key);
    if (limited !== undefined) return reply(429, undefined, { 'retry-after': String(limited) });
    if (call.method !== 'GET') {
      const hook = hooks.shift();
      if (hook) await hook();
    }
    if (bodyError) return reply(400, invalidData());
    if (fault?.kind === 'lost-reply') {
      // Handled for real (a write commits), then the connection is cut before any reply.
      return route(account, call, (status) => {
        call.status = status;
        res.destroy();
      });
    }
    route(account, call, reply);
  }

  function takeFault(call: IonosFakeCall): IonosFault | undefined {
    const found = faults.find(({ fault }) => {
      if (fault.method && fault.method !== call.method) return false;
      if (fault.pathIncludes && !call.path.includes(fault.pathIncludes)) return false;
      if (fault.on === 'read') return call.method === 'GET' && /^\/v1\/zones\/[^/]+$/.test(call.path);
      if (fault.on === 'write') return call.method !== 'GET';
      return true;
    });
    if (!found) return undefined;
    if (--found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  function rateLimited(key: string): number | undefined {
    const limit = behaviour.rateLimitPerMinute;
    if (limit === undefined) return undefined;
    const now = Date.now();
    const window = windows.get(key);
    if (!window || now - window.start >= 60_000) {
      windows.set(key, { start: now, count: 1 });
      return undefined;
    }
    if (++window.count <= limit) return undefined;
    return Math.ceil((window.start + 60_000 - now) / 1000);
  }

  function route(account: IonosFakeAccount, call: IonosFakeCall, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    if (parts[0] !== 'v1' || parts[1] !== 'zones') return reply(404, [{ code: 'NOT_FOUND', message: 'Not found.' }]);
    const [, , zoneId, section, recordId, ...rest] = parts;
    if (zoneId === undefined || zoneId === '') {
      if (call.method !== 'GET') return reply(405, [{ code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' }]);
      // getZones: every zone of the account, no filter, no pagination (ionos-spec).
      return reply(200, [...zones.values()].filter((z) => account.zones.includes(z.name)).map(({ id, name, type }) => ({ id, name, type })));
    }
    const zone = [...zones.values()].find((z) => z.id === zoneId);
    // An unknown zone id, or another account's: 404 [infer: the spec lists no 404 for getZone].
    if (!zone || !account.zones.includes(zone.name)) return reply(404, [{ code: 'ZONE_NOT_FOUND', message: 'Zone does not exist.' }]);
    if (rest.length > 0 || (section !== undefined && section !== 'records')) return reply(404, [{ code: 'NOT_FOUND', message: 'Not found.' }]);
    if (section === undefined) return zoneCall(zone, call, reply);
    if (recordId === undefined || recordId === '') {
      if (call.method !== 'POST') return reply(405, [{ code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' }]);
      // createRecords: an array of records; 201 with the created ones, ids included (ionos-spec v1.0.1; acme.sh `201`).
      const items = parseRecords(zone, call.body);
      if ('error' in items) return reply(400, items.error);
      const created = items.map((item) => stored(zone, item));
      const next = [...zone.records, ...created];
      const clash = cnameClash(next);
      if (clash) return reply(400, clash);
      zone.records = next;
      return reply(201, created);
    }
    const index = zone.records.findIndex((r) => r.id === recordId);
    const record = zone.records[index];
    // RECORD_NOT_FOUND "Record does not exist." (ionos-spec `record-not-found-error`).
    if (!record) return reply(404, recordNotFound());
    switch (call.method) {
      case 'GET':
        return reply(200, record);
      case 'PUT': {
        // updateRecord: `record-update` {disabled, content, ttl, prio}; name and type cannot change (ionos-spec).
        const b = call.body;
        if (!isObject(b)) return reply(400, invalidData());
        const candidate = {
          name: record.name,
          type: record.type,
          content: b.content === undefined ? record.content : b.content,
          ttl: b.ttl === undefined ? record.ttl : b.ttl,
          prio: b.prio === undefined ? record.prio : b.prio,
          // `disabled` defaults to false when left out (ionos-spec `record-update` schema default; §1 trap 3).
          disabled: b.disabled === undefined ? false : b.disabled,
        };
        const checked = checkRecord(zone, candidate, b.content === undefined);
        if ('error' in checked) return reply(400, checked.error);
        const updated: IonosRecord = { ...stored(zone, checked), id: record.id };
        const next = zone.records.map((r, i) => (i === index ? updated : r));
        const clash = cnameClash(next);
        if (clash) return reply(400, clash);
        zone.records = next;
        return reply(200, updated);
      }
      case 'DELETE':
        zone.records = zone.records.filter((r) => r.id !== recordId);
        return reply(200);
      default:
        return reply(405, [{ code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' }]);
    }
  }

  function zoneCall(zone: IonosFakeZone, call: IonosFakeCall, reply: Reply): void {
    switch (call.method) {
      case 'GET': {
        // getZone: `suffix` (names ending with an FQDN), `recordName` (exact FQDN), `recordType` (comma list), no
        // pagination (ionos-spec; a relative recordName matches nothing, §1 trap 5).
        const { suffix, recordName, recordType } = call.query;
        const types = recordType ? recordType.split(',').map((t) => t.trim().toUpperCase()) : undefined;
        const records = zone.records.filter(
          (r) =>
            (!suffix || r.name.endsWith(suffix.toLowerCase())) &&
            (!recordName || r.name === recordName.toLowerCase()) &&
            (!types || types.includes(r.type)),
        );
        return reply(200, { id: zone.id, name: zone.name, type: zone.type, records });
      }
      case 'PATCH': {
        // patchZone: "Replaces all records of the same name and type with the ones provided." (ionos-spec)
        const items = parseRecords(zone, call.body);
        if ('error' in items) return reply(400, items.error);
        const named = new Set(items.map((i) => `${i.name} ${i.type}`));
        const next = [...zone.records.filter((r) => !named.has(`${r.name} ${r.type}`)), ...items.map((i) => stored(zone, i))];
        const clash = cnameClash(next);
        if (clash) return reply(400, clash);
        zone.records = next;
        return reply(200);
      }
      case 'PUT': {
        // updateZone: "Replaces all records in the zone with the ones provided" (ionos-spec).
        const items = parseRecords(zone, call.body);
        if ('error' in items) return reply(400, items.error);
        const next = items.map((i) => stored(zone, i));
        const clash = cnameClash(next);
        if (clash) return reply(400, clash);
        zone.records = next;
        return reply(200);
      }
      default:
        return reply(405, [{ code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed.' }]);
    }
  }

  const listening = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = listening.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    state: { zones, accounts },
    calls,
    snapshot: (name = SEED_APEX) => structuredClone(zones.get(name)?.records ?? []),
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    beforeNextWrite: (action) => void hooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      hooks.splice(0);
    },
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A record as the fake checks and stores it. */
interface Checked {
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly ttl: number;
  readonly prio: number;
  readonly disabled: boolean;
}

/** A write body: an array of ionos-spec `record` (POST, PATCH, PUT zone), checked item by item. */
function parseRecords(zone: IonosFakeZone, body: unknown): Checked[] | { error: unknown } {
  if (!Array.isArray(body)) return { error: invalidData() };
  const out: Checked[] = [];
  for (const item of body) {
    if (!isObject(item)) return { error: invalidData() };
    const checked = checkRecord(zone, {
      name: item.name,
      type: item.type,
      content: item.content,
      // "recommended 3600" (ionos-spec) as the default when left out [infer].
      ttl: item.ttl === undefined ? 3600 : item.ttl,
      prio: item.prio === undefined ? 0 : item.prio,
      disabled: item.disabled === undefined ? false : item.disabled,
    });
    if ('error' in checked) return checked;
    out.push(checked);
  }
  return out;
}

/**
 * INVALID_RECORD with `requiredFields` / `invalidFields` (ionos-spec `bad-request-error`). Names are FQDNs inside the
 * zone (§1 "Wire format"): a relative name is refused rather than silently taken as `_dmarc` at the root [infer].
 * `quotedAlready`: a PUT that leaves content out keeps the stored (already quoted) TXT.
 */
function checkRecord(zone: IonosFakeZone, r: Record<string, unknown>, quotedAlready = false): Checked | { error: unknown } {
  const required = ['name', 'type', 'content'].filter((f) => typeof r[f] !== 'string' || r[f] === '');
  if (required.length > 0) return { error: invalidRecord(r, { requiredFields: required }) };
  const name = String(r.name).toLowerCase();
  const type = String(r.type).toUpperCase();
  const invalid: string[] = [];
  if (name.endsWith('.') || (name !== zone.name && !name.endsWith(`.${zone.name}`))) invalid.push('name');
  if (!IONOS_RECORD_TYPES.has(type)) invalid.push('type');
  if (typeof r.ttl !== 'number' || !Number.isInteger(r.ttl) || r.ttl < MIN_TTL || r.ttl > MAX_TTL) invalid.push('ttl');
  if (typeof r.prio !== 'number' || !Number.isInteger(r.prio) || r.prio < 0 || r.prio > 65_535) invalid.push('prio');
  if (typeof r.disabled !== 'boolean') invalid.push('disabled');
  if (invalid.length > 0) return { error: invalidRecord(r, { invalidFields: invalid }) };
  // TXT is written as plain text and stored quoted (lego fixture `replace_records-request.json`, §1 "Wire format").
  // Content that is quoted already is quoted again: whether IONOS does so is unconfirmed (§1 trap 4) [infer].
  const content = type === 'TXT' && !quotedAlready ? ionosTxt(String(r.content)) : String(r.content);
  return { name, type, content, ttl: r.ttl as number, prio: r.prio as number, disabled: r.disabled as boolean };
}

function stored(zone: IonosFakeZone, c: Checked): IonosRecord {
  return { id: randomUUID(), name: c.name, rootName: zone.name, type: c.type, content: c.content, changeDate: new Date().toISOString(), ttl: c.ttl, prio: c.prio, disabled: c.disabled };
}

/** A CNAME shares its name with no other record (RFC 1034 §3.6.2); IONOS's exact answer is unconfirmed [infer]. */
function cnameClash(records: readonly IonosRecord[]): unknown {
  for (const record of records) {
    if (record.type !== 'CNAME') continue;
    const other = records.find((r) => r !== record && r.name === record.name);
    if (other) return invalidRecord(record, { invalidFields: ['type'] });
  }
  return undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
