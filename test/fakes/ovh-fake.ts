/**
 * A loopback OVHcloud API (node:http on 127.0.0.1, port 0, served under `/1.0` like eu.api.ovh.com/1.0) for the
 * `/domain/zone` calls, as the reference and the public clients say. Facts and tags: ../shared/reference/
 * providers-registrars.md §2 ([doc] OVH's own, [code] a widely used client, [obs] a real reply quoted in an issue,
 * [infer] not confirmed). dnscontrol = `DNSControl/dnscontrol` `providers/ovh/*`, python-ovh = `ovh/python-ovh`
 * `ovh/client.py`.
 *
 * Unforgiving where OVH is: every call but `GET /auth/time` is signed, and the fake recomputes the signature with the
 * application secret and consumer key it knows; a timestamp more than a few seconds off the server's clock is refused,
 * and the server's clock is several minutes off the test machine's, so only a client that uses `/auth/time` gets in.
 * Consumer keys carry access rules. The record list gives ids only. A PUT may not change `fieldType`. Writes are
 * stored at once but served (the "published" view) only after `POST …/refresh`. The seed zone's apex SPF and its
 * DMARC are panel-made records of field type `SPF` and `DMARC`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OvhRecord } from '../../providers/ovh.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** An access rule of a consumer key (`POST /auth/credential` `accessRules`; `*` matches anything). */
export interface OvhRule {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
}

export interface OvhFakeConsumer {
  readonly consumerKey: string;
  /** The application key the consumer key was requested with. */
  readonly appKey: string;
  /** The account (`nichandle`) whose zones it reaches. */
  readonly account: string;
  /** `pendingValidation` until the user opens the validationUrl; `expired` once its validity ran out. */
  state: 'validated' | 'pendingValidation' | 'expired';
  rules: OvhRule[];
}

export interface OvhFakeZone {
  readonly name: string;
  readonly account: string;
  /** The records as stored (what the API reads back), in creation order. */
  records: OvhRecord[];
  /** The records as served by the DNS: the stored ones at the last refresh. */
  published: OvhRecord[];
  refreshes: number;
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
const rules = (path: string, methods: readonly OvhRule['method'][] = ALL_METHODS): OvhRule[] => methods.map((method) => ({ method, path }));

/** Test-only keys (random-looking, not real OVH ones). */
export const OVH_FAKE = {
  account: 'ab12345-ovh',
  otherAccount: 'zz98765-ovh',
  app: { key: 'q7LmX2vB9nTd4KsA', secret: 'Hj3Pw8Rz1Vc6Nq0Ty5Lb2Xm7Kd4Fs9Ga' },
  otherApp: { key: 'Zr5Tn1Qw8Ey3Ui6O', secret: 'Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xc' },
  /** GET, POST, PUT, DELETE on /domain/zone/* (acme.sh `dns_ovh.sh`, lego docs). */
  consumer: 'c0Nsum3rK3yG00dA1b2C3d4E5f6G7h8I',
  /** GET only. */
  readOnly: 'r3aD0nLyK3yB9c8D7e6F5g4H3i2J1k0L',
  /** Every method, narrowed to /domain/zone/example.com/* (lexicon PR #97's narrow scope). */
  narrow: 'n4rR0wK3yM1n2O3p4Q5r6S7t8U9v0W1x',
  /** Every method on another zone only: `example.com` is "not granted". */
  otherZone: '0th3rZ0n3K3yY1z2A3b4C5d6E7f8G9h0',
  /** Never validated by the user (§2: "This credential does not exist"). */
  pending: 'p3nD1nGK3yI0j9K8l7M6n5O4p3Q2r1S0',
  /** Its validity ran out (§2: INVALID_CREDENTIAL "This credential is not valid"). */
  expired: '3xP1r3dK3yT0u9V8w7X6y5Z4a3B2c1D0',
  /** Validated, of an account that does not hold the seed zone. */
  stranger: 'str4ng3rK3yE1f2G3h4I5j6K7l8M9n0O',
} as const;

export function defaultConsumers(): OvhFakeConsumer[] {
  const c = (consumerKey: string, ruleList: OvhRule[], state: OvhFakeConsumer['state'] = 'validated', account: string = OVH_FAKE.account): OvhFakeConsumer => ({
    consumerKey,
    appKey: OVH_FAKE.app.key,
    account,
    state,
    rules: ruleList,
  });
  return [
    c(OVH_FAKE.consumer, rules('/domain/zone/*')),
    c(OVH_FAKE.readOnly, rules('/domain/zone/*', ['GET'])),
    c(OVH_FAKE.narrow, rules(`/domain/zone/${SEED_APEX}/*`)),
    c(OVH_FAKE.otherZone, rules('/domain/zone/other-shop.com/*')),
    c(OVH_FAKE.pending, rules('/domain/zone/*'), 'pendingValidation'),
    c(OVH_FAKE.expired, rules('/domain/zone/*'), 'expired'),
    c(OVH_FAKE.stranger, rules('/domain/zone/*'), 'validated', OVH_FAKE.otherAccount),
  ];
}

export interface OvhFakeCall {
  readonly method: string;
  /** Decoded path below `/1.0`, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** `GET /auth/time`: cached by the client like a token grant, left out of the conformance counts. */
  readonly token: boolean;
  readonly timestamp: number | undefined;
  status: number;
}

/** Which calls a fault hits. `read` is the record list (`GET …/record`), `record` one record, `write` POST/PUT/DELETE of a record. */
export type OvhFaultTarget = 'time' | 'zone' | 'read' | 'record' | 'write' | 'refresh' | 'any';

export type OvhFault =
  | { readonly kind: 'server-error' | 'hang' | 'html'; readonly on: OvhFaultTarget; readonly times?: number | 'always' }
  | { readonly kind: 'rate-limited'; readonly on: OvhFaultTarget; readonly retryAfterSeconds: number; readonly times?: number | 'always' }
  | { readonly kind: 'reset' | 'malformed' | 'lost-reply'; readonly on: OvhFaultTarget; readonly times?: number | 'always' }
  /** The next call is refused as unauthenticated, its message repeating the keys the request carried. */
  | { readonly kind: 'echo-credentials'; readonly on?: OvhFaultTarget; readonly times?: number | 'always' }
  /** A 400 whose message repeats the keys the request carried (a reply the adapter quotes). */
  | { readonly kind: 'echo-rejected'; readonly on: OvhFaultTarget; readonly times?: number | 'always' };

export interface OvhFakeOptions {
  /** The server's clock minus the test machine's. @default -437 (several minutes off) */
  readonly clockOffsetSeconds?: number;
  /** How far off the server's clock a timestamp may be. @default 10 [infer: OVH publishes no figure] */
  readonly clockToleranceSeconds?: number;
  /** How long a `GET …/record/{id}` is held, so that concurrent reads overlap visibly. @default 2 */
  readonly recordReadDelayMs?: number;
  /** Seed the zone at all. @default true */
  readonly seed?: boolean;
}

export interface OvhFake {
  /** OVH_API_URL: `http://127.0.0.1:<port>/1.0`. */
  readonly baseUrl: string;
  readonly state: { zones: Map<string, OvhFakeZone>; consumers: OvhFakeConsumer[]; apps: { key: string; secret: string }[] };
  readonly calls: OvhFakeCall[];
  /** The zone's stored records, deep-copied, in the API's order. */
  snapshot(zone?: string): OvhRecord[];
  /** What the DNS serves: the records at the last refresh. */
  published(zone?: string): OvhRecord[];
  /** Most `GET …/record/{id}` ever in flight at once. */
  maxConcurrentRecordReads(): number;
  /** Moves the server's clock (seconds relative to the test machine). */
  setClockOffset(seconds: number): void;
  /** A fresh record id, as OVH would give. */
  nextId(): number;
  failNext(fault: OvhFault): void;
  clearFaults(): void;
  /** Runs `action` inside the fake just before it handles the next write (POST/PUT/DELETE of a record). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Runs `action` just after the next record list (`GET …/record`) is answered: an edit between the list and the reads. */
  afterNextList(action: () => void): void;
  clearHooks(): void;
  close(): Promise<void>;
}

/** Field types the API knows (`/domain/zone` schema `zone.NamedResolutionFieldTypeEnum` [doc, as listed by dnscontrol features]). */
const FIELD_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DKIM', 'DMARC', 'DNAME', 'LOC', 'MX', 'NAPTR', 'NS', 'PTR', 'SPF', 'SRV', 'SSHFP', 'TLSA', 'TXT']);

/** The first record id handed out: OVH's ids exceed 32 bits (§2 "Wire format": 5390038375). */
const FIRST_ID = 5_390_038_375;

const quote = (value: string) => `"${value}"`;
const isQuoted = (value: string) => /^"[^"]*"$/.test(value.trim());

/**
 * A neutral record → OVH's wire form, as OVH itself stores it: TXT as one quoted string (OVH wraps TXT targets in quotes
 * since late 2025, §2 [obs]), host names with the final dot (octodns-ovh tests [code]), MX and SRV priority inside the
 * target, subDomain relative (`''` for the apex).
 */
export function toOvhWire(record: DesiredRecord, apex: string, id: number, fieldType: string = record.type.toUpperCase()): OvhRecord {
  const type = record.type.toUpperCase();
  const subDomain = record.name === apex ? '' : record.name.slice(0, -(apex.length + 1));
  const dot = (host: string) => (host.endsWith('.') ? host : `${host}.`);
  let target = record.content;
  if (type === 'TXT') target = fieldType === 'DKIM' || fieldType === 'DMARC' ? record.content : quote(record.content);
  if (type === 'CNAME' || type === 'NS') target = dot(record.content);
  if (type === 'MX') target = `${record.priority ?? 0} ${dot(record.content)}`;
  if (type === 'SRV') {
    const [weight, port, host] = record.content.split(' ');
    target = `${record.priority ?? 0} ${weight} ${port} ${dot(host ?? '.')}`;
  }
  return { id, zone: apex, subDomain, fieldType, target, ttl: record.ttl };
}

/**
 * The seed zone in OVH's wire form. The apex SPF and the DMARC were made in OVH's panel, which types them `SPF` and
 * `DMARC` (dnscontrol#2488, octodns#114 [obs]): the SPF target quoted like a TXT, the DMARC target raw (dnscontrol
 * `nativeToRecord`: "OVH stores and returns DKIM and DMARC targets as raw, unquoted text" [code]).
 */
export function seedAsOvh(apex: string = SEED_APEX, firstId: number = FIRST_ID): OvhRecord[] {
  return seedRecords().map((record, i) => {
    const native =
      record.type === 'TXT' && record.name === apex && record.content.startsWith('v=spf1')
        ? 'SPF'
        : record.type === 'TXT' && record.name === `_dmarc.${apex}`
          ? 'DMARC'
          : undefined;
    return toOvhWire(record, apex, firstId + i * 7, native);
  });
}

export async function startOvhFake(options: OvhFakeOptions = {}): Promise<OvhFake> {
  const tolerance = options.clockToleranceSeconds ?? 10;
  const readDelay = options.recordReadDelayMs ?? 2;
  let clockOffset = options.clockOffsetSeconds ?? -437;
  const serverNow = () => Math.floor(Date.now() / 1000) + clockOffset;
  const apps = [OVH_FAKE.app, OVH_FAKE.otherApp].map((a) => ({ ...a }));
  const consumers = defaultConsumers();
  const seed = options.seed === false ? [] : seedAsOvh();
  const zones = new Map<string, OvhFakeZone>([
    [SEED_APEX, { name: SEED_APEX, account: OVH_FAKE.account, records: structuredClone(seed), published: structuredClone(seed), refreshes: 0 }],
    ['other-shop.com', { name: 'other-shop.com', account: OVH_FAKE.account, records: [], published: [], refreshes: 0 }],
  ]);
  let lastId = Math.max(FIRST_ID, ...seed.map((r) => r.id));
  const nextId = () => (lastId += 1 + Math.floor(Math.random() * 5));
  const calls: OvhFakeCall[] = [];
  const faults: { fault: OvhFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const listHooks: (() => void)[] = [];
  let recordReads = 0;
  let maxRecordReads = 0;
  let origin = '';

  const server = createServer((req, res) => {
    void readBody(req)
      .then((text) => handle(req, res, text))
      .catch(() => res.destroy());
  });

  type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

  /** OVH's error envelope `{class, message}` (php-ovh tests: `{"class":"Client::Forbidden","message":"Invalid application key"}` [code]). */
  const failure = (klass: string, message: string) => ({ class: klass, message });

  function targetOf(method: string, parts: readonly string[]): OvhFaultTarget {
    if (parts[0] === 'auth' && parts[1] === 'time') return 'time';
    if (parts[0] !== 'domain' || parts[1] !== 'zone') return 'any';
    if (parts[3] === 'refresh') return 'refresh';
    if (parts[3] === 'record') {
      if (method !== 'GET') return 'write';
      return parts.length === 4 ? 'read' : 'record';
    }
    return 'zone';
  }

  function takeFault(target: OvhFaultTarget): OvhFault | undefined {
    const found = faults.find(({ fault }) => fault.on === undefined || fault.on === 'any' || fault.on === target);
    if (!found) return undefined;
    if (found.left !== Infinity && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  /** Serves a fault that comes before the call is handled; true when it did. A lost reply is handled by the write. */
  function serveFault(fault: OvhFault, call: OvhFakeCall, res: ServerResponse, reply: Reply, carried: readonly string[]): boolean {
    switch (fault.kind) {
      case 'hang':
        return true; // left open until the client gives up; close() ends it
      case 'reset':
        res.destroy();
        return true;
      case 'malformed':
        call.status = 200;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(call.path.endsWith('/record') ? '[5390038375,53900' : '{"id":53900');
        return true;
      case 'html':
        // An edge's HTML page under load (external-dns#1546: an HTML 408 [obs]).
        call.status = 502;
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
        return true;
      case 'server-error':
        // `500 "Internal server error"` that passes on retry (dnscontrol PR #2535 [obs]); the class is [infer].
        reply(500, failure('Server::InternalServerError', 'Internal server error'));
        return true;
      case 'rate-limited':
        // No documented rate-limit reply ("fair use", python-ovh#81 [obs]): 429 with Retry-After [infer].
        reply(429, failure('Client::TooManyRequests', 'Too many requests, please retry later'), { 'retry-after': String(fault.retryAfterSeconds) });
        return true;
      case 'echo-credentials':
        // "This credential does not exist" (§2 error table [obs]), made to repeat every key the request carried.
        reply(403, failure('Client::Forbidden', `This credential does not exist (application ${carried.join(', consumer ')})`));
        return true;
      case 'echo-rejected':
        reply(400, failure('Client::BadRequest', `Invalid target for application ${carried.join(' and consumer ')}`));
        return true;
      case 'lost-reply':
        return false;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, text: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const fullPath = safeDecode(url.pathname);
    const path = fullPath.startsWith('/1.0/') ? fullPath.slice(4) : fullPath;
    const parts = path.split('/').filter(Boolean);
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    let body: unknown = text;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const stamp = header('x-ovh-timestamp');
    const call: OvhFakeCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      token: parts[0] === 'auth' && parts[1] === 'time',
      timestamp: stamp === undefined ? undefined : Number(stamp),
      status: 0,
    };
    calls.push(call);
    const reply: Reply = (status, payload, headers = {}) => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(payload ?? null));
    };
    const appKey = header('x-ovh-application');
    const consumerKey = header('x-ovh-consumer');
    const fault = takeFault(targetOf(method, parts));
    if (fault && serveFault(fault, call, res, reply, [appKey ?? '', consumerKey ?? ''])) return;
    const lostReply = fault?.kind === 'lost-reply';

    if (!fullPath.startsWith('/1.0/')) return reply(404, failure('Client::NotFound', 'Got an invalid (or empty) URL'));

    // GET /auth/time: the server's epoch seconds, no authentication (go-ovh `getTime`, python-ovh `time_delta` [code]).
    if (call.token) {
      if (method !== 'GET') return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
      return reply(200, serverNow());
    }

    // The signed front door (§2 "Auth"): application key, then signature and timestamp, then the consumer key, then its rules.
    const app = apps.find((a) => a.key === appKey);
    // 403 "Invalid application key" (php-ovh `testInvalidApplicationKey`; go-ovh `TestInvalidCkRequest` [code]).
    if (!app) return reply(403, failure('Client::Forbidden', 'Invalid application key'));
    const signature = header('x-ovh-signature');
    const signedUrl = `${origin}${req.url ?? ''}`;
    const expected = `$1$${createHash('sha1').update([app.secret, consumerKey ?? '', method, signedUrl, text, stamp ?? ''].join('+')).digest('hex')}`;
    const ts = Number(stamp);
    // A wrong secret and a clock that is off give the same 400 (php-ovh#62, cert-manager-webhook-ovh#5 [obs]; the
    // class envelope: komiser#1490 `Client::BadRequest: "Invalid signature"` [obs]).
    if (signature !== expected || !Number.isInteger(ts) || Math.abs(ts - serverNow()) > tolerance) {
      return reply(400, failure('Client::BadRequest', 'Invalid signature'));
    }
    const consumer = consumers.find((c) => c.consumerKey === consumerKey);
    // Not validated, unknown, or not linked to this application key: 403 "This credential does not exist" (§2 [obs]).
    if (!consumer || consumer.appKey !== app.key || consumer.state === 'pendingValidation') {
      return reply(403, failure('Client::Forbidden', 'This credential does not exist'));
    }
    // Revoked or expired: 403 INVALID_CREDENTIAL "This credential is not valid" (php-ovh#56 [obs]).
    if (consumer.state === 'expired') return reply(403, failure('Client::Forbidden', 'This credential is not valid'));
    // Outside the key's access rules: 403 "This call has not been granted" (python-ovh#86, #141 [obs]).
    if (!consumer.rules.some((r) => r.method === method && ruleMatches(r.path, path))) {
      return reply(403, failure('Client::Forbidden', 'This call has not been granted'));
    }

    if (parts[0] !== 'domain' || parts[1] !== 'zone') return reply(404, failure('Client::NotFound', 'Got an invalid (or empty) URL'));
    // GET /domain/zone: the account's zone names (dnscontrol `fetchZones` [code]).
    if (parts.length === 2) {
      if (method !== 'GET') return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
      return reply(200, [...zones.values()].filter((z) => z.account === consumer.account).map((z) => z.name));
    }
    const zone = zones.get((parts[2] ?? '').toLowerCase());
    // 404 "This service does not exist" (octodns-ovh ZONE_NOT_FOUND_MESSAGE, acme.sh `_get_root` [code]).
    if (!zone || zone.account !== consumer.account) return reply(404, failure('Client::NotFound', 'This service does not exist'));

    if (parts.length === 3) {
      if (method !== 'GET') return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
      // dnscontrol `Zone` [code]
      return reply(200, { name: zone.name, hasDnsAnycast: false, nameServers: ['dns10.ovh.net', 'ns10.ovh.net'], dnssecSupported: true, lastUpdate: new Date().toISOString() });
    }
    if (parts.length === 4 && parts[3] === 'status') {
      if (method !== 'GET') return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
      // lexicon `authenticate` reads `isDeployed` [code]; deployed = what is stored is what is served [infer].
      return reply(200, { isDeployed: JSON.stringify(zone.records) === JSON.stringify(zone.published), warnings: [], errors: [] });
    }
    if (parts.length === 4 && parts[3] === 'refresh') {
      if (method !== 'POST') return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
      // Nothing is served until the refresh runs (§2 "Endpoints"; lego, lexicon, dnscontrol refresh after writes).
      zone.published = structuredClone(zone.records);
      zone.refreshes += 1;
      if (lostReply) return void res.destroy();
      return reply(200, null);
    }
    if (parts[3] !== 'record' || parts.length > 5) return reply(404, failure('Client::NotFound', 'Got an invalid (or empty) URL'));

    if (parts.length === 4 && method === 'GET') {
      // Ids only (dnscontrol `fetchRecords`, octodns-ovh `get_records` [code]); optional exact filters. An empty
      // `subDomain=` filters nothing here: whether it means the apex is unconfirmed (§2 trap 3), so the pessimistic case.
      const fieldType = url.searchParams.get('fieldType');
      const subDomain = url.searchParams.get('subDomain');
      const ids = zone.records
        .filter((r) => (!fieldType || r.fieldType === fieldType.toUpperCase()) && (!subDomain || r.subDomain === subDomain.toLowerCase()))
        .map((r) => r.id);
      reply(200, ids);
      listHooks.shift()?.();
      return;
    }
    if (parts.length === 5 && method === 'GET') {
      const record = zone.records.find((r) => String(r.id) === parts[4]);
      recordReads += 1;
      maxRecordReads = Math.max(maxRecordReads, recordReads);
      // Held a moment, so that concurrent reads overlap and the bound can be seen.
      await new Promise((resolve) => setTimeout(resolve, readDelay));
      recordReads -= 1;
      // [infer] OVH's wording for an id that is not in the zone.
      if (!record) return reply(404, failure('Client::NotFound', `The requested object (id = ${parts[4]}) does not exist`));
      return reply(200, record);
    }
    if (!['POST', 'PUT', 'DELETE'].includes(method) || (method === 'POST') !== (parts.length === 4)) {
      return reply(405, failure('Client::MethodNotAllowed', 'Method not allowed'));
    }

    // A second writer, if a test queued one, edits the zone now: between the client's read and this write.
    const hook = hooks.shift();
    if (hook) await hook();

    const respond = (status: number, payload: unknown) => {
      if (!lostReply) return reply(status, payload);
      // Applied in full, then the connection is cut before the reply: the reply is lost.
      call.status = status;
      res.destroy();
    };

    if (method === 'POST') {
      if (!isObject(body)) return reply(400, failure('Client::BadRequest', 'Invalid JSON received'));
      const fieldType = typeof body.fieldType === 'string' ? body.fieldType.toUpperCase() : '';
      if (!FIELD_TYPES.has(fieldType)) return reply(400, failure('Client::BadRequest', `Invalid value for fieldType: ${String(body.fieldType)}`)); // [infer]
      if (typeof body.target !== 'string' || body.target === '') return reply(400, failure('Client::BadRequest', 'Missing parameter: target')); // [infer]
      const subDomain = typeof body.subDomain === 'string' ? body.subDomain.toLowerCase() : '';
      const problem = checkTarget(fieldType, subDomain, body.target) ?? cnameClash(zone, fieldType, subDomain, undefined);
      if (problem) return reply(400, failure('Client::BadRequest', problem));
      const record: OvhRecord = { id: nextId(), zone: zone.name, subDomain, fieldType, target: storedTarget(fieldType, body.target), ttl: storedTtl(body.ttl) };
      zone.records.push(record);
      // The record with its id (lego `Present` reads it [code]).
      return respond(200, record);
    }

    const index = zone.records.findIndex((r) => String(r.id) === parts[4]);
    if (index < 0) return reply(404, failure('Client::NotFound', `The requested object (id = ${parts[4]}) does not exist`));
    const current = zone.records[index]!;
    if (method === 'DELETE') {
      zone.records.splice(index, 1);
      return respond(200, null);
    }
    if (!isObject(body)) return reply(400, failure('Client::BadRequest', 'Invalid JSON received'));
    // dnscontrol#483, #2488 [obs]: the field type of a record is read-only.
    if (body.fieldType !== undefined && String(body.fieldType).toUpperCase() !== current.fieldType) {
      return reply(400, failure('Client::BadRequest', 'Try to alter read-only properties: fieldType'));
    }
    const subDomain = typeof body.subDomain === 'string' ? body.subDomain.toLowerCase() : current.subDomain;
    const target = typeof body.target === 'string' ? body.target : current.target;
    const problem = checkTarget(current.fieldType, subDomain, target) ?? cnameClash(zone, current.fieldType, subDomain, current.id);
    if (problem) return reply(400, failure('Client::BadRequest', problem));
    zone.records[index] = {
      ...current,
      subDomain,
      target: storedTarget(current.fieldType, target),
      ttl: body.ttl === undefined ? current.ttl : storedTtl(body.ttl),
    };
    // PUT answers with no body (dnscontrol decodes into `Void` [code]).
    return respond(200, null);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const zoneOf = (name: string) => {
    const found = zones.get(name);
    if (!found) throw new Error(`no zone ${name}`);
    return found;
  };
  return {
    baseUrl: `${origin}/1.0`,
    state: { zones, consumers, apps },
    calls,
    snapshot: (name = SEED_APEX) => structuredClone(zoneOf(name).records),
    published: (name = SEED_APEX) => structuredClone(zoneOf(name).published),
    maxConcurrentRecordReads: () => maxRecordReads,
    setClockOffset: (seconds) => void (clockOffset = seconds),
    nextId,
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    clearFaults: () => void faults.splice(0),
    beforeNextWrite: (action) => void hooks.push(action),
    afterNextList: (action) => void listHooks.push(action),
    clearHooks: () => {
      hooks.splice(0);
      listHooks.splice(0);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What OVH refuses in a target, or undefined. */
function checkTarget(fieldType: string, subDomain: string, target: string): string | undefined {
  // Native DKIM and DMARC targets are validated as such and must be unquoted ("Invalid subfield found in DMARC",
  // dnscontrol `adaptNativeRecord` [code]); a DMARC record only at `_dmarc…` (same source).
  if ((fieldType === 'DMARC' || fieldType === 'DKIM') && target.includes('"')) return `Invalid subfield found in ${fieldType}`;
  if (fieldType === 'DMARC' && !subDomain.startsWith('_dmarc')) return 'DMARC record must be on a _dmarc subdomain'; // [infer] wording
  // One string only, however long: no `"a" "b"` (dnscontrol#1003 [obs]); the wording is [infer].
  if ((fieldType === 'TXT' || fieldType === 'SPF') && /^\s*"[^"]*"\s+"/.test(target)) return `Invalid ${fieldType} target: only one string is allowed`;
  return undefined;
}

/** A CNAME shares its name with nothing (Dokploy PR #5258 review [2nd]); the wording is [infer]. */
function cnameClash(zone: OvhFakeZone, fieldType: string, subDomain: string, self: number | undefined): string | undefined {
  const others = zone.records.filter((r) => r.subDomain === subDomain && r.id !== self);
  if (fieldType === 'CNAME' && others.length > 0) return `A CNAME record cannot coexist with other records on subdomain '${subDomain}'`;
  if (fieldType !== 'CNAME' && others.some((r) => r.fieldType === 'CNAME')) return `A ${fieldType} record cannot coexist with the CNAME record on subdomain '${subDomain}'`;
  return undefined;
}

/** OVH wraps an unquoted TXT (and SPF) target in quotes since late 2025 (dns-lexicon PR #65, terraform-provider-ovh#1193 [obs]). */
function storedTarget(fieldType: string, target: string): string {
  if ((fieldType === 'TXT' || fieldType === 'SPF') && !isQuoted(target)) return quote(target);
  return target;
}

/** A TTL below 60 is stored as 60 with a 200 (terraform-provider-ovh#397 [obs]); 0 (or none) is the zone default. */
function storedTtl(ttl: unknown): number {
  const value = typeof ttl === 'number' && Number.isInteger(ttl) && ttl > 0 ? ttl : 0;
  return value > 0 && value < 60 ? 60 : value;
}

/** An access-rule path with `*` wildcards (python-ovh `add_recursive_rules` writes `/path/*` [code]). */
function ruleMatches(rule: string, path: string): boolean {
  const pattern = new RegExp(`^${rule.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return pattern.test(path);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
