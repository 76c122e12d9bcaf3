/**
 * A loopback Hostinger developers API, DNS zone part (`/api/dns/v1/zones/{domain}`, a real node:http server on
 * 127.0.0.1, port 0), behaving as ../shared/reference/providers-registrars.md §7 and the sources it names say:
 * "hst-sdk" = hostinger/api-typescript-sdk (official, generated: docs/DNSZoneApi.md, docs/DNSV1ZoneUpdateRequest.md,
 * docs/DNSV1ZoneResetRequest.md), "lego" = go-acme/lego providers/dns/hostinger (client and fixtures), "acme.sh" =
 * acmesh-official/acme.sh@053d3be dnsapi/dns_hostinger.sh, "hst-tf" = hostinger/terraform-provider-hostinger
 * (testing_test.go@342f3ee canned zone, rate_limit_test.go@28d97c3); [infer] = no source found.
 *
 * It is unforgiving where Hostinger is: a zone `PUT` without `overwrite` OVERWRITES (the documented default is true),
 * replacing every rrset it names with exactly what it carries; `overwrite: false` appends, rewrites the TTL of the
 * rrset it touches and refuses a value already there with DNS:4008; `DELETE` filters remove whole rrsets; `reset`
 * puts Hostinger's default zone back; a record written without `is_disabled` is enabled (the update schema has no such
 * field); a CNAME target without its trailing dot is relative to the zone.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeTxt, neutralValue } from '../../providers/hostinger.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** A record as the fake holds it: the read form (hst-sdk `DNSV1ZoneNameRecordResource`). */
export interface HostingerFakeRecord {
  content: string;
  is_disabled: boolean;
}

/** An rrset as the fake holds it (hst-sdk `DNSV1ZoneRecordResource`), mutable for tests. */
export interface HostingerFakeRrset {
  name: string;
  type: string;
  ttl: number;
  records: HostingerFakeRecord[];
}

export interface HostingerFakeAccount {
  /** An API token (§7 "Auth": `Authorization: Bearer <API token>`, issued in hPanel). */
  readonly token: string;
  /** The domains of the account's portfolio: a token reaches all of them, and no other [2nd, see the adapter]. */
  readonly domains: readonly string[];
}

/** Test-only tokens, not real Hostinger tokens. */
export const HOSTINGER_FAKE_ACCOUNTS = {
  good: { token: 'hst_7Qm2vR9kLp4xW8nZ3cB6tY1uJ5hG0dFsAe', domains: [SEED_APEX, 'empty-zone.com'] },
  /** Another customer's account: `example.com` is not in its portfolio. */
  other: { token: 'hst_2Lk9pQ4mXw7Rt1Zy6Nb3Vc8Hd5Gf0JsKaE', domains: ['other-customer.com'] },
} as const satisfies Record<string, HostingerFakeAccount>;

export interface HostingerFakeCall {
  readonly method: string;
  /** Decoded path, without the query (`/api/dns/v1/zones/example.com`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization: string | undefined;
  status: number;
}

export interface HostingerFaultTarget {
  /** `read` = `GET …/zones/{domain}`; `write` = any PUT, DELETE or POST. @default any */
  readonly on?: 'read' | 'write';
  readonly method?: string;
  /** @default 1; `always` until `clearFaults()` */
  readonly times?: number | 'always';
}

export type HostingerFault = HostingerFaultTarget &
  (
    /** An HTTP error before the request is handled: nothing changes. 429 carries Retry-After (hst-tf). */
    | { readonly kind: 'status'; readonly status: 429 | 500 | 502 | 503; readonly retryAfter?: number; readonly html?: boolean }
    /**
     * `hang`: no reply at all; `reset`: the connection is cut before the request is handled; `malformed`: HTTP 200 with
     * cut JSON, nothing handled; `lost-reply`: handled in full (a write commits), then the connection is cut;
     * `echo-credentials`: 401 whose message repeats the Authorization header [infer: every HTTP upstream can fail so].
     */
    | { readonly kind: 'hang' | 'reset' | 'malformed' | 'lost-reply' | 'echo-credentials' }
  );

export interface HostingerFakeBehaviour {
  /** Requests per minute per token before 429 + Retry-After (the DNS limit is unconfirmed, §7 "Wire format"). */
  rateLimitPerMinute?: number;
}

export interface HostingerFake {
  /** The API origin, as HOSTINGER_API_URL is (`https://developers.hostinger.com`); paths start with `/api/dns/v1`. */
  readonly baseUrl: string;
  /** rrsets by domain, in the read form; tests may inspect and edit them. */
  readonly state: { zones: Map<string, HostingerFakeRrset[]>; accounts: HostingerFakeAccount[] };
  readonly calls: HostingerFakeCall[];
  /** A deep copy of a domain's rrsets, in the fake's order. */
  snapshot(domain?: string): HostingerFakeRrset[];
  failNext(fault: HostingerFault): void;
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: HostingerFakeBehaviour): void;
  close(): Promise<void>;
}

const PREFIX = '/api/dns/v1/zones/';
/** The TTL of an rrset written without one: 14400, what lego's fixtures and hst-tf's default show [infer]. */
export const HOSTINGER_DEFAULT_TTL = 14_400;
/** TTL bounds: unconfirmed (§0); the fake holds 60–604800 [infer], as the adapter declares. */
const MIN_TTL = 60;
const MAX_TTL = 604_800;
/** Types hPanel's DNS zone offers [infer: the update schema takes any `type` string]. */
const TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SRV', 'TXT', 'CAA', 'ALIAS']);
/** §7 "Wire format", lego PR #2690. */
const DNS_4008 = '[DNS:4008] DNS resource record is not valid or conflicts with another resource record';

const envelope = (message: string, extra: Record<string, unknown> = {}) => ({ message, ...extra, correlation_id: randomUUID() });
/** 401 body: lego fixture `error_401.json`. */
const UNAUTHENTICATED = () => envelope('Unauthenticated');
/** 404 for a domain outside the account on a write: one observed reply (§7 says "unconfirmed") [infer]. */
const DOMAIN_NOT_FOUND = () => envelope('[DNS:4009] Domain not found');
/**
 * 422 validation body (lego fixture `error_422.json`): the first message, "(and N more error[s])" as Laravel writes it,
 * and every message by field (dotted paths such as `zone.0.ttl` [infer: Laravel's array validation]).
 */
function validation(errors: Record<string, string[]>): unknown {
  const all = Object.values(errors).flat();
  const more = all.length - 1;
  return envelope(`${all[0] ?? 'The given data was invalid.'}${more > 0 ? ` (and ${more} more error${more > 1 ? 's' : ''})` : ''}`, { errors });
}
const ACCEPTED = { message: 'Request accepted' };

/** Seed records (neutral, full names) → Hostinger rrsets in the read form: grouped by name and type, one TTL each. */
export function toHostingerWire(records: readonly DesiredRecord[], apex: string): HostingerFakeRrset[] {
  const sets = new Map<string, { name: string; type: string; ttls: number[]; records: HostingerFakeRecord[] }>();
  for (const r of records) {
    const name = r.name === apex ? '@' : r.name.slice(0, -(apex.length + 1));
    const key = `${name} ${r.type}`;
    const set = sets.get(key) ?? { name, type: r.type, ttls: [], records: [] };
    sets.set(key, set);
    set.ttls.push(r.ttl);
    set.records.push({ content: hostingerContent(r), is_disabled: false });
  }
  // One TTL per rrset: the smallest of the group, so the seed's apex MX set (3600/3600/7200) is held at 3600.
  return [...sets.values()].map((s) => ({ name: s.name, type: s.type, ttl: Math.max(MIN_TTL, Math.min(...s.ttls)), records: s.records }));
}

/**
 * One neutral record → its `content` as Hostinger shows it (hst-tf `testZoneExample`): TXT quoted, CNAME/NS with the
 * trailing dot, MX `pref target` without it; SRV `prio weight port target` [infer].
 */
export function hostingerContent(r: Pick<DesiredRecord, 'type' | 'content' | 'priority'>): string {
  switch (r.type) {
    case 'TXT':
      return encodeTxt(r.content);
    case 'CNAME':
    case 'NS':
      return r.content.endsWith('.') ? r.content : `${r.content}.`;
    case 'MX':
      return `${r.priority ?? 0} ${r.content}`;
    case 'SRV': {
      const [weight, port, target] = r.content.split(' ');
      return `${r.priority ?? 0} ${weight} ${port} ${target}`;
    }
    default:
      return r.content;
  }
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startHostingerFake(options: { accounts?: HostingerFakeAccount[]; behaviour?: HostingerFakeBehaviour } = {}): Promise<HostingerFake> {
  const zones = new Map<string, HostingerFakeRrset[]>([
    [SEED_APEX, toHostingerWire(seedRecords(), SEED_APEX)],
    ['empty-zone.com', defaultZone('empty-zone.com')],
    ['other-customer.com', defaultZone('other-customer.com')],
  ]);
  const accounts: HostingerFakeAccount[] = options.accounts ?? [HOSTINGER_FAKE_ACCOUNTS.good, HOSTINGER_FAKE_ACCOUNTS.other];
  const calls: HostingerFakeCall[] = [];
  const faults: { fault: HostingerFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  let behaviour: HostingerFakeBehaviour = { ...options.behaviour };
  const windows = new Map<string, { start: number; count: number }>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    let bodyError = false;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        bodyError = true;
      }
    }
    const authorization = header(req.headers.authorization);
    const call: HostingerFakeCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      body,
      authorization,
      status: 0,
    };
    calls.push(call);
    const reply: Reply = (status, payload, headers = {}) => {
      call.status = status;
      if (payload === undefined) return void res.writeHead(status, headers).end();
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    const fault = takeFault(call);
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'reset') return void res.destroy();
    if (fault?.kind === 'malformed') {
      call.status = 200;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('[{"name":"@","records":[{"content":"203.0.113.10","is_disab');
    }
    if (fault?.kind === 'echo-credentials') return reply(401, envelope(`Unauthenticated: "${authorization ?? ''}" is not a valid token`));
    if (fault?.kind === 'status') {
      call.status = fault.status;
      if (fault.html) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
      if (fault.status === 429) return tooMany(res, call, fault.retryAfter ?? 1);
      // 500 `{message, correlation_id}` (§7 "Wire format"; hst-sdk: 500 "Error response" on every DNS call).
      return reply(fault.status, envelope('Internal server error'));
    }
    // `Authorization: Bearer <API token>` (§7 "Auth"); anything else is 401 `{"message":"Unauthenticated"}` (lego).
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    const account = accounts.find((a) => a.token === match?.[1]);
    if (!account) return reply(401, UNAUTHENTICATED());
    const limited = rateLimited(account.token);
    if (limited !== undefined) return tooMany(res, call, limited);
    if (call.method !== 'GET') {
      const hook = hooks.shift();
      if (hook) await hook();
    }
    if (bodyError) return reply(400, envelope('Malformed JSON body'));
    if (fault?.kind === 'lost-reply') {
      return route(account, call, (status) => {
        call.status = status;
        res.destroy();
      });
    }
    route(account, call, reply);
  }

  /** 429 + Retry-After with the edge's plain-text body (hst-tf `rate_limit_test.go`: `error code: 1015`). */
  function tooMany(res: ServerResponse, call: HostingerFakeCall, seconds: number): void {
    call.status = 429;
    res.writeHead(429, { 'content-type': 'text/plain; charset=UTF-8', 'retry-after': String(seconds) }).end('error code: 1015');
  }

  function takeFault(call: HostingerFakeCall): HostingerFault | undefined {
    const found = faults.find(({ fault }) => {
      if (fault.method && fault.method !== call.method) return false;
      if (fault.on === 'read') return call.method === 'GET' && call.path.startsWith(PREFIX);
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

  function route(account: HostingerFakeAccount, call: HostingerFakeCall, reply: Reply): void {
    if (!call.path.startsWith(PREFIX)) return reply(404, envelope('Not found'));
    const [rawDomain, action, ...rest] = call.path.slice(PREFIX.length).split('/');
    const domain = (rawDomain ?? '').toLowerCase();
    if (rest.length > 0 || domain === '') return reply(404, envelope('Not found'));
    const held = account.domains.includes(domain) ? zones.get(domain) : undefined;
    const set = (next: HostingerFakeRrset[]) => void zones.set(domain, next);

    if (action === undefined && call.method === 'GET') {
      // A domain outside the token's portfolio is not refused by the read: an empty list (observed; §7 "unconfirmed").
      return reply(200, held ? structuredClone(held) : []);
    }
    // Writes to a domain outside the portfolio: 404 `[DNS:4009] Domain not found` (observed reply) [infer].
    if (!held) return reply(404, DOMAIN_NOT_FOUND());

    if (action === undefined && call.method === 'PUT') {
      const checked = checkUpdate(call.body);
      if ('errors' in checked) return reply(422, validation(checked.errors));
      const next = applyUpdate(domain, held, checked);
      if ('error' in next) return reply(422, envelope(next.error));
      set(next);
      return reply(200, ACCEPTED);
    }
    if (action === undefined && call.method === 'DELETE') {
      // `{"filters":[{name,type}]}` removes WHOLE rrsets; part of one only through the update (hst-sdk deleteDNSRecordsV1).
      const filters = checkFilters(call.body);
      if ('errors' in filters) return reply(422, validation(filters.errors));
      // A filter that matches nothing is not an error [infer].
      set(held.filter((r) => !filters.some((f) => f.name === r.name.toLowerCase() && f.type === r.type)));
      return reply(200, ACCEPTED);
    }
    if (action === 'validate' && call.method === 'POST') {
      // The update's dry run: 200 or 422, nothing changes (hst-sdk validateDNSRecordsV1).
      const checked = checkUpdate(call.body);
      if ('errors' in checked) return reply(422, validation(checked.errors));
      const next = applyUpdate(domain, held, checked);
      if ('error' in next) return reply(422, envelope(next.error));
      return reply(200, ACCEPTED);
    }
    if (action === 'reset' && call.method === 'POST') {
      // Back to Hostinger's default records; email records too unless `reset_email_records: false`; types in
      // `whitelisted_record_types` are kept (hst-sdk `DNSV1ZoneResetRequest`).
      const b = (isObject(call.body) ? call.body : {}) as { reset_email_records?: unknown; whitelisted_record_types?: unknown };
      const keepTypes = new Set(Array.isArray(b.whitelisted_record_types) ? b.whitelisted_record_types.map((t) => String(t).toUpperCase()) : []);
      const keepMail = b.reset_email_records === false;
      const isMail = (r: HostingerFakeRrset) => r.type === 'MX' || (r.type === 'TXT' && r.records.some((x) => /v=spf1|v=DKIM1|v=DMARC1/i.test(x.content)));
      const kept = held.filter((r) => keepTypes.has(r.type) || (keepMail && isMail(r)));
      const defaults = defaultZone(domain).filter((d) => !kept.some((k) => k.name === d.name && k.type === d.type) && !(keepMail && isMail(d)));
      set([...defaults, ...kept]);
      return reply(200, ACCEPTED);
    }
    return reply(405, envelope(`The ${call.method} method is not supported for this route.`));
  }

  const listening = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  return {
    baseUrl: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`,
    state: { zones, accounts },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
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

/** Hostinger's default zone for a new domain (what `reset` restores) [infer: the exact defaults are not documented]. */
function defaultZone(domain: string): HostingerFakeRrset[] {
  return [
    { name: '@', type: 'A', ttl: 1800, records: [{ content: '192.0.2.80', is_disabled: false }] },
    { name: 'www', type: 'CNAME', ttl: 300, records: [{ content: `${domain}.`, is_disabled: false }] },
    { name: '@', type: 'MX', ttl: 14400, records: [{ content: '5 mx1.hostinger.com', is_disabled: false }, { content: '10 mx2.hostinger.com', is_disabled: false }] },
    { name: '@', type: 'TXT', ttl: 3600, records: [{ content: '"v=spf1 include:_spf.mail.hostinger.com ~all"', is_disabled: false }] },
  ];
}

interface UpdateItem {
  readonly name: string;
  readonly type: string;
  readonly ttl: number | undefined;
  readonly contents: string[];
}

interface Update {
  readonly overwrite: boolean;
  readonly items: UpdateItem[];
}

/**
 * The update body `{overwrite?, zone: [{name, type, ttl?, records: [{content}]}]}` (hst-sdk `DNSV1ZoneUpdateRequest`,
 * `…ZoneInner`, `…ZoneInnerRecordsInner`: `content` is the only field of a record). `overwrite` defaults to TRUE.
 */
function checkUpdate(body: unknown): Update | { errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const fail = (field: string, text: string) => void (errors[field] ??= []).push(text);
  const b = isObject(body) ? body : {};
  if (b.overwrite !== undefined && typeof b.overwrite !== 'boolean') fail('overwrite', 'The overwrite field must be true or false.');
  const zone = b.zone;
  const items: UpdateItem[] = [];
  if (!Array.isArray(zone) || zone.length === 0) fail('zone', 'The zone field is required.');
  else {
    zone.forEach((item: unknown, i) => {
      const at = `zone.${i}`;
      const z = isObject(item) ? item : {};
      const name = typeof z.name === 'string' ? z.name.trim().toLowerCase() : '';
      const type = typeof z.type === 'string' ? z.type.toUpperCase() : '';
      if (name === '') fail(`${at}.name`, `The ${at}.name field is required.`);
      if (type === '') fail(`${at}.type`, `The ${at}.type field is required.`);
      else if (!TYPES.has(type)) fail(`${at}.type`, `The selected ${at}.type is invalid.`);
      let ttl: number | undefined;
      if (z.ttl !== undefined) {
        // acme.sh sends `"ttl":"120"`: a numeric string passes Laravel's integer rule.
        const n = typeof z.ttl === 'string' && /^\d+$/.test(z.ttl) ? Number(z.ttl) : z.ttl;
        if (typeof n !== 'number' || !Number.isInteger(n)) fail(`${at}.ttl`, `The ${at}.ttl field must be an integer.`);
        else if (n < MIN_TTL) fail(`${at}.ttl`, `The ${at}.ttl field must be at least ${MIN_TTL}.`);
        else if (n > MAX_TTL) fail(`${at}.ttl`, `The ${at}.ttl field must not be greater than ${MAX_TTL}.`);
        else ttl = n;
      }
      const records = z.records;
      const contents: string[] = [];
      if (!Array.isArray(records) || records.length === 0) fail(`${at}.records`, `The ${at}.records field is required.`);
      else {
        records.forEach((record: unknown, j) => {
          const content = isObject(record) && typeof record.content === 'string' ? record.content : '';
          if (content.trim() === '') return fail(`${at}.records.${j}.content`, `The ${at}.records.${j}.content field is required.`);
          if (type === 'TXT' && txtStrings(content).some((s) => Buffer.byteLength(s, 'utf8') > 255)) {
            // A TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14) [infer: Hostinger's own text].
            return fail(`${at}.records.${j}.content`, `The ${at}.records.${j}.content field must not be greater than 255 characters per string.`);
          }
          contents.push(content);
        });
      }
      items.push({ name, type, ttl, contents });
    });
  }
  if (Object.keys(errors).length > 0) return { errors };
  return { overwrite: b.overwrite !== false, items };
}

/**
 * The zone after an update, all or nothing [infer: one request, one "Request accepted"]:
 * - `overwrite: true` (the default): "RRs matching name and type will be deleted and new RRs will be created"; every
 *   record created is enabled (no `is_disabled` in the update schema, §7 trap 4);
 * - `overwrite: false`: "resource records' ttl's are updated and new records are appended"; a value already there is
 *   refused with DNS:4008 (lego PR #2690, acme.sh treats it as "already exists");
 * - either way an rrset that did not exist is created, with TTL 14400 when none is given [infer];
 * - a CNAME shares its name with nothing and holds one value (DNS:4008 "conflicts with another resource record").
 */
function applyUpdate(domain: string, zone: readonly HostingerFakeRrset[], update: Update): HostingerFakeRrset[] | { error: string } {
  const next = structuredClone(zone) as HostingerFakeRrset[];
  for (const item of update.items) {
    const stored = item.contents.map((c) => storedContent(item.type, c, domain));
    const key = (c: string) => JSON.stringify(neutralValue(item.type, c, domain));
    if (new Set(stored.map(key)).size !== stored.length) return { error: DNS_4008 };
    const index = next.findIndex((r) => r.name.toLowerCase() === item.name && r.type === item.type);
    const fresh: HostingerFakeRrset = { name: item.name, type: item.type, ttl: item.ttl ?? HOSTINGER_DEFAULT_TTL, records: stored.map((content) => ({ content, is_disabled: false })) };
    if (index < 0) next.push(fresh);
    else if (update.overwrite) next[index] = fresh;
    else {
      const existing = next[index]!;
      if (stored.some((c) => existing.records.some((r) => key(r.content) === key(c)))) return { error: DNS_4008 };
      existing.ttl = item.ttl ?? HOSTINGER_DEFAULT_TTL;
      existing.records.push(...fresh.records);
    }
  }
  for (const r of next) {
    if (r.type !== 'CNAME') continue;
    if (r.records.length > 1 || next.some((o) => o !== r && o.name.toLowerCase() === r.name.toLowerCase())) return { error: DNS_4008 };
  }
  return next;
}

/**
 * What the zone keeps of a written `content`: an unquoted TXT value comes back quoted (acme.sh writes it plain and
 * matches `{"content":"\"value\""}` on the next read); a CNAME target without its trailing dot is relative to the zone
 * ([2nd] "CNAME values must include a trailing dot"; BIND zone-file semantics [infer]); the rest as written.
 */
function storedContent(type: string, content: string, domain: string): string {
  if (type === 'TXT') return /^\s*"/.test(content) ? content : encodeTxt(content);
  if (type === 'CNAME') {
    const target = content.trim();
    return target.endsWith('.') ? target : target === '@' ? `${domain}.` : `${target}.${domain}.`;
  }
  return content;
}

/** The character-strings of a TXT `content`: its quoted strings, or the whole unquoted value as one. */
function txtStrings(content: string): string[] {
  if (!/^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/s.test(content)) return [content];
  return [...content.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1'));
}

/** `{"filters":[{name,type}]}` (hst-sdk `DNSV1ZoneDestroyRequest`). */
function checkFilters(body: unknown): { name: string; type: string }[] | { errors: Record<string, string[]> } {
  const filters = isObject(body) ? body.filters : undefined;
  if (!Array.isArray(filters) || filters.length === 0) return { errors: { filters: ['The filters field is required.'] } };
  const errors: Record<string, string[]> = {};
  const out: { name: string; type: string }[] = [];
  filters.forEach((f: unknown, i) => {
    const name = isObject(f) && typeof f.name === 'string' ? f.name.trim().toLowerCase() : '';
    const type = isObject(f) && typeof f.type === 'string' ? f.type.toUpperCase() : '';
    if (name === '') (errors[`filters.${i}.name`] ??= []).push(`The filters.${i}.name field is required.`);
    if (type === '') (errors[`filters.${i}.type`] ??= []).push(`The filters.${i}.type field is required.`);
    out.push({ name, type });
  });
  return Object.keys(errors).length > 0 ? { errors } : out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
