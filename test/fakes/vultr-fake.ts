/**
 * A loopback Vultr API v2 (a real node:http server on 127.0.0.1, port 0) that behaves as Vultr's clients and the
 * observed replies say. Sources: ../shared/reference/providers-cloud.md §6 ("§6" below); "govultr" = vultr/govultr
 * (Vultr's Go client: paths, bodies, the cursor); "dnscontrol" = StackExchange/dnscontrol `providers/vultr/`;
 * [obs] = a real reply quoted in an issue; [infer] = not confirmed anywhere. Unforgiving where Vultr is: TXT data
 * must be one quoted string with no quote inside, host targets carry no trailing dot, a record beside others of its
 * name and type must share their TTL, a POST always creates (a repeat duplicates), the key's IP access list refuses.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VultrRecord } from '../../providers/vultr.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface VultrFakeAccount {
  readonly key: string;
  readonly domains: readonly string[];
  /** The key's IP access control list refuses this client (§6 "Auth", trap 2). @default false */
  readonly ipRefused?: boolean;
  /** A sub-user key without the DNS permission [infer]. @default false */
  readonly noDnsPermission?: boolean;
}

/** Test-only keys, shaped like Vultr API keys (36 upper-case alphanumerics); not real. */
export const VULTR_FAKE_ACCOUNTS = {
  good: { key: 'VULTRGOODKEY4F9C2A7E1B8D3F60A1B2C3D4', domains: [SEED_APEX, 'empty-zone.com', 'eu.sub-zone.com'] },
  ipRefused: { key: 'VULTRACLKEY0BADC0FFEE1234567890ABCDE', domains: [SEED_APEX], ipRefused: true },
  noDns: { key: 'VULTRSUBUSERKEY7E7E7E7E1122334455667', domains: [SEED_APEX], noDnsPermission: true },
  otherAccount: { key: 'VULTROTHERKEY99887766554433221100AAB', domains: ['other-account.com'] },
} as const satisfies Record<string, VultrFakeAccount>;

export interface VultrFakeCall {
  readonly method: string;
  /** Decoded path, `/v2` included, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
  /** Vultr has no token grant: always false. */
  readonly grant: false;
}

export type FaultTarget = 'read' | 'write' | 'any';

/** A failure served instead of the real answer, for the next `times` matching calls (`'always'` until cleared). */
export type VultrFault = { readonly on?: FaultTarget; readonly times?: number | 'always' } & (
  | { readonly kind: 'server-error'; readonly status?: 500 | 502 | 503 | 504; readonly html?: boolean }
  /**
   * Vultr's 429 (§6 "Rate limit"), then every call refused for `retryAfterSeconds` (the limit lasts that long). Vultr
   * documents no `Retry-After`; `header: true` adds one [infer].
   */
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number; readonly header?: boolean }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'lost-reply' }
  /** 401 whose message repeats the key the request carried (test-only: Vultr's own text does not). */
  | { readonly kind: 'echo-credentials' }
);

export interface VultrFakeBehaviour {
  /** Requests per second per client before 429 (30 at Vultr, §6); off unless set. */
  rateLimitPerSecond?: number;
}

export interface VultrFake {
  /** Includes `/v2`, as VULTR_API_URL does. */
  readonly baseUrl: string;
  readonly state: { zones: Map<string, VultrRecord[]>; accounts: VultrFakeAccount[] };
  readonly calls: VultrFakeCall[];
  snapshot(domain?: string): VultrRecord[];
  /** Puts a record straight into the zone (as the customer would in the panel), with a new id. */
  plant(record: DesiredRecord, domain?: string): VultrRecord;
  /** Puts the seed zone back exactly (same ids). */
  reset(): void;
  failNext(fault: VultrFault): void;
  beforeNextWrite(action: () => void | Promise<void>): void;
  beforeNextRead(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: VultrFakeBehaviour): void;
  close(): Promise<void>;
}

/** Types this fake holds (dnscontrol `features`: CAA, SRV; and the basic ones). */
const TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']);
/** govultr README: `per_page` 100 by default, 500 at most (§6). */
const DEFAULT_PER_PAGE = 100;
const MAX_PER_PAGE = 500;
const DEFAULT_TTL = 300;

const ERRORS = {
  // VictoriaMetrics `lib/promscrape/discovery/vultr/instance_test.go`: a real v2 401 body [code].
  badKey: { error: 'Invalid API token.', status: 401 },
  // v1 refused with "Your IP (x) is not authorized to use this API key" (sher/ansible-vultr#6) [obs]; v2 status [infer].
  ip: (ip: string) => ({ error: `Unauthorized IP address: ${ip}`, status: 401 }),
  noDns: { error: 'You do not have permission to access this resource.', status: 403 }, // [infer]
  notFound: { error: 'Invalid domain.', status: 404 }, // [infer]
  recordNotFound: { error: 'Invalid record.', status: 404 }, // [infer]
  // v1's text (JamesClonk/vultr#47) [obs]; v2 status 429 [doc, §6].
  tooMany: { error: 'Rate limit reached - please try your request again later.', status: 429 },
  server: { error: 'Internal server error.', status: 500 }, // [infer]
} as const;
const bad = (error: string) => ({ error, status: 400 });

/** Seed records (full names) → Vultr's wire form: empty name at the apex, quoted TXT, `weight port target` SRV. */
export function toVultrWire(records: readonly DesiredRecord[], apex: string, idPrefix = 'seed'): VultrRecord[] {
  return records.map((r, i) => {
    const type = r.type.toUpperCase();
    const name = r.name === apex ? '' : r.name.slice(0, -(apex.length + 1));
    const id = `${idPrefix}-${String(i + 1).padStart(4, '0')}-4b1d-9c2e-${'0'.repeat(8)}${String(i).padStart(4, '0')}`;
    const data = type === 'TXT' ? `"${r.content}"` : r.content.replace(/\.$/, '');
    return { id, type, name, data, priority: type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : 0, ttl: r.ttl };
  });
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startVultrFake(options: { accounts?: VultrFakeAccount[]; behaviour?: VultrFakeBehaviour } = {}): Promise<VultrFake> {
  const seed = () =>
    new Map<string, VultrRecord[]>([
      [SEED_APEX, toVultrWire(seedRecords(), SEED_APEX)],
      ['empty-zone.com', []],
      ['eu.sub-zone.com', []],
      ['other-account.com', []],
    ]);
  const zones = seed();
  let counter = 0;
  const newId = () => `${(0xcb676a46 + ++counter).toString(16)}-66fd-4dfb-b839-${String(counter).padStart(12, '0')}`;
  const accounts: VultrFakeAccount[] = options.accounts ?? Object.values(VULTR_FAKE_ACCOUNTS);
  const calls: VultrFakeCall[] = [];
  const faults: { fault: VultrFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const readHooks: (() => void | Promise<void>)[] = [];
  let behaviour: VultrFakeBehaviour = { ...options.behaviour };
  let limitedUntil = 0;
  let window = { second: 0, count: 0 };
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
      const call: VultrFakeCall = { method, path, query: Object.fromEntries(url.searchParams), body, status: 0, grant: false };
      calls.push(call);
      const key = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      const reply: Reply = (status, payload, headers = {}) => {
        call.status = status;
        if (payload === undefined) return void res.writeHead(status, headers).end();
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
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
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"records":[{"id":"cb676a46","type":"A","na');
      }
      if (fault?.kind === 'server-error') {
        const status = fault.status ?? (fault.html ? 503 : 500);
        call.status = status;
        if (fault.html) return void res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body><h1>${status} Service Unavailable</h1></body></html>`);
        return reply(status, { ...ERRORS.server, status });
      }
      if (fault?.kind === 'rate-limited') {
        limitedUntil = Date.now() + fault.retryAfterSeconds * 1000;
        return reply(429, ERRORS.tooMany, fault.header ? { 'retry-after': String(fault.retryAfterSeconds) } : {});
      }
      if (fault?.kind === 'echo-credentials') {
        return reply(401, { error: `Invalid API token: ${key ?? ''} (${req.headers.authorization ?? ''})`, status: 401 });
      }
      // The limit is per originating IP, whatever the key (§6 "Rate limit").
      if (Date.now() < limitedUntil || overLimit()) return reply(429, ERRORS.tooMany);

      const account = accounts.find((a) => a.key === key);
      if (!account) return reply(401, ERRORS.badKey);
      if (account.ipRefused) return reply(401, ERRORS.ip(req.socket.remoteAddress ?? '127.0.0.1'));
      if (account.noDnsPermission) return reply(403, ERRORS.noDns);
      if (method !== 'GET' && hooks.length > 0) await hooks.shift()!();
      if (isRecordList(call) && readHooks.length > 0) await readHooks.shift()!();
      if (badJson) return reply(400, bad('Invalid JSON.'));
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

  function matches(fault: VultrFault, call: VultrFakeCall): boolean {
    const on = fault.on ?? 'any';
    if (on === 'write') return call.method !== 'GET';
    if (on === 'read') return isRecordList(call);
    return true;
  }

  function takeFault(call: VultrFakeCall): VultrFault | undefined {
    const found = faults.find(({ fault }) => matches(fault, call));
    if (!found) return undefined;
    if (found.fault.times !== 'always' && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  function overLimit(): boolean {
    const limit = behaviour.rateLimitPerSecond;
    if (limit === undefined) return false;
    const second = Math.floor(Date.now() / 1000);
    if (window.second !== second) window = { second, count: 0 };
    return ++window.count > limit;
  }

  function route(account: VultrFakeAccount, call: VultrFakeCall, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    if (parts[0] !== 'v2' || parts[1] !== 'domains' || !parts[2] || parts.length > 5) return reply(404, { error: 'Not found.', status: 404 });
    const domain = parts[2].toLowerCase();
    const zone = zones.get(domain);
    if (!zone || !account.domains.includes(domain)) return reply(404, ERRORS.notFound);
    const [, , , section, id] = parts;
    if (section === undefined) {
      if (call.method !== 'GET') return reply(405, { error: 'Method not allowed.', status: 405 });
      // govultr `Domain` (`domains.go`).
      return reply(200, { domain: { domain, date_created: '2024-01-15T10:00:00+00:00', dns_sec: 'disabled' } });
    }
    if (section !== 'records') return reply(404, { error: 'Not found.', status: 404 });
    if (id === undefined) {
      if (call.method === 'GET') return listRecords(zone, call.query, reply);
      if (call.method !== 'POST') return reply(405, { error: 'Method not allowed.', status: 405 });
      const made = validate(zone, call.body, undefined);
      if ('error' in made) return reply(400, bad(`Unable to add record: ${made.error}`));
      const record = { ...made.record, id: newId() };
      zone.push(record);
      // govultr `Create`: `{"record": {…}}`; a POST always creates (§6 trap 3).
      return reply(201, { record });
    }
    const index = zone.findIndex((r) => r.id === id);
    if (index < 0) return reply(404, ERRORS.recordNotFound);
    const current = zone[index]!;
    switch (call.method) {
      case 'GET':
        return reply(200, { record: current });
      case 'PATCH': {
        // Name, data, TTL and priority; what is not sent keeps its value (vultr-cli `dns record update`) [doc].
        const made = validate(zone, call.body, current);
        if ('error' in made) return reply(400, bad(`Unable to update record: ${made.error}`));
        zone[index] = { ...made.record, id: current.id };
        return reply(204);
      }
      case 'DELETE':
        zone.splice(index, 1);
        return reply(204);
      default:
        return reply(405, { error: 'Method not allowed.', status: 405 });
    }
  }

  /**
   * govultr `domain_records_test.go`: `{"records": […], "meta": {"total": N, "links": {"next": "<cursor>", "prev":
   * ""}}}`; the cursor is opaque, empty on the last page (dnscontrol `GetZoneRecords`).
   */
  function listRecords(zone: VultrRecord[], query: Readonly<Record<string, string>>, reply: Reply): void {
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number(query.per_page ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE));
    let offset = 0;
    if (query.cursor !== undefined) {
      const decoded = /^next__(\d+)$/.exec(Buffer.from(query.cursor, 'base64').toString('utf8'));
      if (!decoded) return reply(400, bad('Invalid cursor.')); // [infer]
      offset = Number(decoded[1]);
    }
    const page = zone.slice(offset, offset + perPage);
    const cursor = (at: number) => Buffer.from(`next__${at}`).toString('base64');
    const next = offset + perPage < zone.length ? cursor(offset + perPage) : '';
    const prev = offset > 0 ? Buffer.from(`prev__${offset}`).toString('base64') : '';
    reply(200, { records: page, meta: { total: zone.length, links: { next, prev } } });
  }

  /** A record body as Vultr checks it; refusals are 400 `{"error": …}` (texts [infer] unless cited). */
  function validate(zone: readonly VultrRecord[], body: unknown, current: VultrRecord | undefined): { record: Omit<VultrRecord, 'id'> } | { error: string } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'The request body must be a JSON object.' };
    const o = body as Record<string, unknown>;
    // A PATCH does not change the type (vultr-cli `dns record update` has no type) [doc].
    const type = current ? current.type : (typeof o.type === 'string' ? o.type : '').toUpperCase();
    if (!TYPES.has(type)) return { error: `Invalid record type ${type || '(none)'}.` };
    const name = typeof o.name === 'string' ? o.name.toLowerCase() : (current?.name ?? '');
    const data = typeof o.data === 'string' ? o.data : (current?.data ?? '');
    const ttl = typeof o.ttl === 'number' ? o.ttl : (current?.ttl ?? DEFAULT_TTL);
    const priority = typeof o.priority === 'number' ? o.priority : current?.priority;
    if (data === '') return { error: 'Data is required.' };
    if (!Number.isInteger(ttl) || ttl < 1) return { error: 'Invalid TTL.' };
    if (type === 'TXT') {
      // "Vultr's API requires the string to begin and end with double-quotes"; no quote inside (dnscontrol) [code].
      if (data.length < 2 || !data.startsWith('"') || !data.endsWith('"')) return { error: 'TXT data must be enclosed in double quotes.' };
      if (data.slice(1, -1).includes('"')) return { error: 'TXT data may not contain double quotes.' };
    }
    // "Vultr does not use a period suffix for CNAME, NS, MX or SRV" (dnscontrol `toVultrRecord`) [code]; refusal [infer].
    const target = type === 'SRV' ? (data.split(/\s+/)[2] ?? '') : data;
    if ((type === 'CNAME' || type === 'NS' || type === 'MX' || type === 'SRV') && target.endsWith('.')) return { error: 'Invalid record data.' };
    if (type === 'SRV' && !/^\d+ \d+ \S+$/.test(data)) return { error: 'Invalid SRV data.' };
    if (type === 'CAA' && !/^\d+ (issue|issuewild|iodef) "[^"\s]*"$/.test(data)) return { error: 'Invalid CAA data.' };
    // "only required for MX and SRV" (vultr-cli `dns record create`) [doc].
    if ((type === 'MX' || type === 'SRV') && priority === undefined) return { error: 'Priority is required for MX and SRV records.' };
    // "New records TTL (60) must match the TTL of existing records (120)" (vultr/cert-manager-webhook-vultr#52) [obs];
    // the same for a PATCH that changes the TTL [infer].
    const siblings = zone.filter((r) => r !== current && r.type === type && r.name === name);
    const differing = siblings.find((r) => r.ttl !== ttl);
    if (differing && (!current || ttl !== current.ttl || name !== current.name)) {
      return { error: `New records TTL (${ttl}) must match the TTL of existing records (${differing.ttl})` };
    }
    // A CNAME cannot share its name with another record (RFC 1034 §3.6.2); Vultr's text [infer].
    const others = zone.filter((r) => r !== current && r.name === name);
    if ((type === 'CNAME' && others.length > 0) || (type !== 'CNAME' && others.some((r) => r.type === 'CNAME'))) {
      return { error: 'A CNAME record cannot share its name with other records.' };
    }
    return { record: { type, name, data, priority: type === 'MX' || type === 'SRV' ? (priority ?? 0) : 0, ttl } };
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v2`,
    state: { zones, accounts },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    plant: (record, domain = SEED_APEX) => {
      const [wire] = toVultrWire([record], domain);
      const planted = { ...wire!, id: newId() };
      zones.get(domain)!.push(planted);
      return structuredClone(planted);
    },
    reset: () => {
      for (const [domain, records] of seed()) zones.set(domain, records);
      limitedUntil = 0;
    },
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    beforeNextWrite: (action) => void hooks.push(action),
    beforeNextRead: (action) => void readHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      hooks.splice(0);
      readHooks.splice(0);
      limitedUntil = 0;
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

/** The call that lists a zone's records, not the domain lookup. */
function isRecordList(call: VultrFakeCall): boolean {
  return call.method === 'GET' && /^\/v2\/domains\/[^/]+\/records$/.test(call.path);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
