/**
 * A loopback Linode API v4 DNS Manager (domains and domain records; a real node:http server on 127.0.0.1, port 0)
 * that behaves as the sources say, and is unforgiving where Linode is. Facts and tags:
 * ../shared/reference/providers-cloud.md §5 ([doc] Linode's API docs and OpenAPI, here as generated in
 * samk1/linode-ruby-openapi-client `gem/docs/*.md`; [code] dnscontrol = StackExchange/dnscontrol `providers/linode`,
 * lego; [obs] a reply quoted in an issue; [infer] mine).
 *
 * Unforgiving on purpose:
 * - no idempotency: a POST sent twice makes two records (§5 trap 3), so a blind retry after a lost reply duplicates;
 * - TTLs are rounded up to the allowed values (§5 trap 4), and, when asked, a create ignores `ttl_sec` as dnscontrol
 *   saw ("TTL isn't saved when creating a record", §5 trap 1);
 * - names are relative with `''` for the apex: `@` is taken literally, as a label [infer];
 * - `type` cannot change on PUT, CAA flags do not exist, SRV `service`/`protocol` get their `_` prepended by Linode.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo, type Socket } from 'node:net';
import { linodeTtl, type LinodeRecord } from '../../providers/linode.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface LinodeFakeDomain {
  readonly id: number;
  readonly domain: string;
  readonly type: 'master' | 'slave';
  /** The owning account: a token sees only its account's domains. */
  readonly account: string;
  /** 0 = the default, 86400 (OpenAPI `Domain.ttl_sec`). */
  ttl_sec: number;
  records: LinodeRecord[];
}

export interface LinodeFakeToken {
  readonly token: string;
  readonly account: string;
  /** The token's Domains scope: `read_write`, `read_only`, or none (OpenAPI token scopes `domains:*`). */
  readonly domains: 'read_write' | 'read_only' | 'none';
}

/** Test-only tokens (not real Linode tokens). */
export const LINODE_FAKE_TOKENS = {
  good: { token: 'lnTOKENrw0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3', account: 'acme', domains: 'read_write' },
  readOnly: { token: 'lnTOKENro9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6', account: 'acme', domains: 'read_only' },
  noDomains: { token: 'lnTOKENnd1122334455667788990011223344556677889900aabbccddeeff001122', account: 'acme', domains: 'none' },
  otherAccount: { token: 'lnTOKENoa5566778899aabbccddeeff00112233445566778899aabbccddeeff0011', account: 'globex', domains: 'read_write' },
} as const satisfies Record<string, LinodeFakeToken>;

export interface LinodeFakeCall {
  readonly method: string;
  /** Decoded path after `/v4`, without the query (`/domains/4711/records`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The parsed `X-Filter` header, if any. */
  readonly filter: unknown;
  readonly body: unknown;
  status: number;
}

/** Which calls a fault applies to: the record list (`read`), the domain lookup, any non-GET (`write`), or any call. */
export type LinodeFaultTarget = 'read' | 'lookup' | 'write' | 'any';

export type LinodeFault = {
  readonly on?: LinodeFaultTarget;
  /** @default 1; 'always' lasts until clearFaults() */
  readonly times?: number | 'always';
} & (
  | { readonly kind: 'status'; readonly status: 500 | 502 | 503 | 504; readonly html?: boolean }
  /** 429 with `Retry-After` and `X-RateLimit-Reset` that many seconds ahead ([doc] §5 "Rate limits"). */
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number; readonly retryAfterHeader?: boolean }
  /** 401 whose reason repeats the token the request carried. */
  | { readonly kind: 'echo-credentials' }
  /**
   * Transport failures [infer: any HTTP upstream can fail so]: `hang`, `reset` and `malformed` before the call is
   * handled (nothing changes); `lost-reply` after it (a write has happened, its reply is lost).
   */
  | { readonly kind: 'hang' | 'reset' | 'malformed' | 'lost-reply' }
);

export interface LinodeFakeBehaviour {
  /** §5 trap 1: a POST stores `ttl_sec` 0 (the default) whatever it asked; a PUT then sets it. @default false */
  ttlIgnoredOnCreate?: boolean;
}

export interface LinodeFake {
  /** `http://127.0.0.1:port/v4`, as LINODE_API_URL. */
  readonly baseUrl: string;
  readonly state: { domains: LinodeFakeDomain[]; tokens: LinodeFakeToken[] };
  readonly calls: LinodeFakeCall[];
  /** A domain's records, deep-copied, in the API's order. */
  snapshot(domain?: string): LinodeRecord[];
  /** Puts the seed domain back exactly as it started (calls keep counting). */
  resetZone(): void;
  /** Plants a record as if made in Linode's Cloud Manager (next id, timestamps). */
  plant(record: Omit<LinodeRecord, 'id' | 'created' | 'updated'>, domain?: string): LinodeRecord;
  failNext(fault: LinodeFault): void;
  /** Runs `action` just before the next write call is handled (a second writer between read and write). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: LinodeFakeBehaviour): void;
  close(): Promise<void>;
}

/** OpenAPI `page_size`: 25 to 500, default 100 (linode-api-docs PR#267). */
const PAGE_SIZE = { min: 25, max: 500, default: 100 };
const RECORD_TYPES = new Set(['A', 'AAAA', 'NS', 'MX', 'CNAME', 'TXT', 'SRV', 'PTR', 'CAA']);
const SEED_DOMAIN_ID = 2_710_001;
const STAMP = '2024-05-01T10:00:00';

/** The seed zone as Linode holds it: TTLs rounded up to the allowed values (§5 trap 4; 600 → 3600, 120 → 300). */
export function linodeSeed(): DesiredRecord[] {
  return seedRecords().map((r) => ({ ...r, ttl: linodeTtl(r.ttl) }));
}

/** Neutral records (full names) → Linode records, ids from `firstId`. */
export function toLinodeRecords(records: readonly DesiredRecord[], apex: string, firstId: number): LinodeRecord[] {
  return records.map((r, i) => ({ id: firstId + i, created: STAMP, updated: STAMP, ...linodeFields(r, apex) }));
}

/** A neutral record → the fields Linode stores (targets fully qualified without the dot, TXT raw, CAA split). */
export function linodeFields(r: Pick<DesiredRecord, 'type' | 'name' | 'content' | 'ttl' | 'priority'>, apex: string): Omit<LinodeRecord, 'id' | 'created' | 'updated'> {
  const name = r.name === apex ? '' : r.name.slice(0, -(apex.length + 1));
  const base = { type: r.type, name, target: r.content, priority: 0, weight: 0, port: 0, service: null, protocol: null, tag: null, ttl_sec: linodeTtl(r.ttl) };
  switch (r.type) {
    case 'MX':
      return { ...base, priority: r.priority ?? 0 };
    case 'SRV': {
      const [weight, port, target] = r.content.split(' ');
      const [service, protocol] = name.split('.');
      return { ...base, target: target ?? '', priority: r.priority ?? 0, weight: Number(weight), port: Number(port), service: service ?? null, protocol: protocol ?? null };
    }
    case 'CAA': {
      const [, tag, value] = /^\d+ (\S+) "(.*)"$/.exec(r.content) ?? [];
      return { ...base, tag: tag ?? null, target: value ?? '' };
    }
    default:
      return base;
  }
}

export async function startLinodeFake(options: { behaviour?: LinodeFakeBehaviour; tokens?: LinodeFakeToken[] } = {}): Promise<LinodeFake> {
  const seedDomain = (): LinodeFakeDomain => ({
    id: SEED_DOMAIN_ID,
    domain: SEED_APEX,
    type: 'master',
    account: 'acme',
    ttl_sec: 0,
    records: toLinodeRecords(linodeSeed(), SEED_APEX, 31_000_001),
  });
  const domains: LinodeFakeDomain[] = [
    seedDomain(),
    { id: 2_710_002, domain: 'empty-zone.com', type: 'master', account: 'acme', ttl_sec: 0, records: [] },
    { id: 2_710_003, domain: 'globex-site.com', type: 'master', account: 'globex', ttl_sec: 0, records: [] },
  ];
  const tokens: LinodeFakeToken[] = options.tokens ?? Object.values(LINODE_FAKE_TOKENS);
  const calls: LinodeFakeCall[] = [];
  const faults: { fault: LinodeFault; left: number }[] = [];
  const writeHooks: (() => void | Promise<void>)[] = [];
  let behaviour: LinodeFakeBehaviour = { ...options.behaviour };
  let nextId = 32_000_001;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const versioned = url.pathname.startsWith('/v4/');
      const path = versioned ? decodeURIComponent(url.pathname.slice(3)) : '/not-found';
      let body: unknown;
      let bodyError = false;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          bodyError = true;
        }
      }
      let filter: unknown;
      let filterError = false;
      const filterHeader = req.headers['x-filter'];
      if (typeof filterHeader === 'string') {
        try {
          filter = JSON.parse(filterHeader);
        } catch {
          filterError = true;
        }
      }
      const method = req.method ?? 'GET';
      const call: LinodeFakeCall = { method, path, query: Object.fromEntries(url.searchParams), filter, body, status: 0 };
      calls.push(call);
      let lost = false;
      const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
        call.status = status;
        if (lost) return void res.destroy();
        res.writeHead(status, { 'content-type': 'application/json', ...rateLimitHeaders(), ...headers });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      const fault = takeFault(call);
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'reset') return void res.destroy();
      if (fault?.kind === 'malformed') {
        call.status = 200;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[{"id":31000001,"type":"A","na');
      }
      if (fault?.kind === 'status') {
        call.status = fault.status;
        if (fault.html) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
        return reply(fault.status, errors('Please try again'));
      }
      if (fault?.kind === 'rate-limited') {
        // [doc] §5: 429 with X-RateLimit-Limit/-Remaining/-Reset, "sometimes Retry-After".
        const reset = String(Math.ceil(Date.now() / 1000 + fault.retryAfterSeconds));
        return reply(429, errors('Too Many Requests'), {
          'x-ratelimit-limit': '1600',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': reset,
          ...(fault.retryAfterHeader === false ? {} : { 'retry-after': String(fault.retryAfterSeconds) }),
        });
      }
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (fault?.kind === 'echo-credentials') return reply(401, errors(`Invalid Token: ${token ?? ''}`));
      const account = tokens.find((t) => t.token === token);
      // terraform-provider-linode#325, cluster-api-provider-linode#1001 [obs]: `[401] Invalid Token`.
      if (!account) return reply(401, errors('Invalid Token'));
      // trailofbits/algo PR#14348 [obs]: a token without the scope for the endpoint.
      const notAuthorized = () => reply(401, errors('Your OAuth token is not authorized to use this endpoint.'));
      if (account.domains === 'none' || (method !== 'GET' && account.domains !== 'read_write')) return notAuthorized();
      if (bodyError) return reply(400, errors('Invalid JSON'));
      if (filterError) return reply(400, errors('Invalid X-Filter header', 'X-Filter'));
      if (method !== 'GET') for (const hook of writeHooks.splice(0)) await hook();
      if (fault?.kind === 'lost-reply') lost = true;
      route(account, call, url, reply);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

  function takeFault(call: LinodeFakeCall): LinodeFault | undefined {
    const found = faults.find(({ fault }) => matches(fault.on ?? 'any', call));
    if (!found) return undefined;
    if (Number.isFinite(found.left) && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  function matches(target: LinodeFaultTarget, call: LinodeFakeCall): boolean {
    if (target === 'any') return true;
    if (target === 'write') return call.method !== 'GET';
    if (target === 'lookup') return call.method === 'GET' && call.path === '/domains';
    return call.method === 'GET' && /^\/domains\/\d+\/records$/.test(call.path);
  }

  /** [doc] §5: X-RateLimit-Limit/-Remaining/-Reset (epoch seconds) on replies. */
  function rateLimitHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': '1600',
      'x-ratelimit-remaining': String(Math.max(0, 1600 - (calls.length % 1600))),
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
    };
  }

  function route(account: LinodeFakeToken, call: LinodeFakeCall, url: URL, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    const notFound = () => reply(404, errors('Not found'));
    if (parts[0] !== 'domains') return notFound();
    const mine = domains.filter((d) => d.account === account.account);
    if (parts.length === 1) {
      if (call.method !== 'GET') return notFound();
      // lego `getHostedZoneInfo`: X-Filter {"domain": …}; OpenAPI: `domain` is Filterable.
      const wanted = isObject(call.filter) && typeof call.filter.domain === 'string' ? call.filter.domain : undefined;
      return page(mine.filter((d) => wanted === undefined || d.domain === wanted).map(domainView), url, reply);
    }
    const domain = mine.find((d) => String(d.id) === parts[1]);
    if (!domain) return notFound();
    if (parts.length === 2) return call.method === 'GET' ? reply(200, domainView(domain)) : notFound();
    if (parts[2] !== 'records') return notFound();
    if (parts.length === 3) {
      if (call.method === 'GET') return page(domain.records.filter((r) => filterMatches(r, call.filter)).map(clone), url, reply);
      if (call.method === 'POST') return createRecord(domain, call.body, reply);
      return notFound();
    }
    const record = domain.records.find((r) => String(r.id) === parts[3]);
    if (!record || parts.length > 4) return notFound();
    if (call.method === 'GET') return reply(200, clone(record));
    if (call.method === 'PUT') return updateRecord(domain, record, call.body, reply);
    if (call.method === 'DELETE') {
      domain.records = domain.records.filter((r) => r !== record);
      return reply(200, {});
    }
    return notFound();
  }

  /** The v4 list envelope `{data, page, pages, results}`; `page_size` outside 25–500 is refused (OpenAPI) [infer status]. */
  function page(items: unknown[], url: URL, reply: Reply): void {
    const size = Number(url.searchParams.get('page_size') ?? PAGE_SIZE.default);
    if (!Number.isInteger(size) || size < PAGE_SIZE.min || size > PAGE_SIZE.max) {
      return reply(400, errors(`Must be a value between ${PAGE_SIZE.min} and ${PAGE_SIZE.max}`, 'page_size'));
    }
    const pages = Math.max(1, Math.ceil(items.length / size));
    const n = Number(url.searchParams.get('page') ?? 1);
    if (!Number.isInteger(n) || n < 1 || n > pages) return reply(400, errors(`Must be a value between 1 and ${pages}`, 'page'));
    reply(200, { data: items.slice((n - 1) * size, n * size), page: n, pages, results: items.length });
  }

  function createRecord(domain: LinodeFakeDomain, body: unknown, reply: Reply): void {
    const o = isObject(body) ? body : {};
    const checked = validate(domain, o, undefined);
    if ('problem' in checked) return reply(400, errors(checked.problem.reason, checked.problem.field));
    const stamp = new Date().toISOString().slice(0, 19);
    // No idempotency key exists (§5 trap 3): a second identical POST is a second record.
    const record: LinodeRecord = { id: nextId++, created: stamp, updated: stamp, ...checked.fields, ...(behaviour.ttlIgnoredOnCreate ? { ttl_sec: 0 } : {}) };
    domain.records.push(record);
    reply(200, clone(record));
  }

  function updateRecord(domain: LinodeFakeDomain, record: LinodeRecord, body: unknown, reply: Reply): void {
    const o = isObject(body) ? body : {};
    if (typeof o.type === 'string' && o.type !== record.type) return reply(400, errors('Cannot change the type of a record', 'type'));
    const checked = validate(domain, { ...record, ...o }, record);
    if ('problem' in checked) return reply(400, errors(checked.problem.reason, checked.problem.field));
    const index = domain.records.indexOf(record);
    const updated: LinodeRecord = { ...record, ...checked.fields, id: record.id, updated: new Date().toISOString().slice(0, 19) };
    domain.records[index] = updated;
    reply(200, clone(updated));
  }

  /**
   * OpenAPI `DomainRecord` rules: target per type (IPs for A/AAAA; a valid domain for CNAME/MX/NS, a trailing period
   * accepted except for A, AAAA and CAA; SRV `service`/`protocol` with `_` prepended and a relative target made
   * absolute), names relative or FQDN, CNAME names unique; dnscontrol: CAA value without whitespace. Messages [infer].
   */
  function validate(
    domain: LinodeFakeDomain,
    o: Record<string, unknown>,
    existing: LinodeRecord | undefined,
  ): { fields: Omit<LinodeRecord, 'id' | 'created' | 'updated'> } | { problem: { field: string; reason: string } } {
    const fail = (field: string, reason: string) => ({ problem: { field, reason } });
    const type = typeof o.type === 'string' ? o.type : '';
    if (!RECORD_TYPES.has(type)) return fail('type', 'Must be one of A, AAAA, NS, MX, CNAME, TXT, SRV, PTR, CAA');
    if (typeof o.target !== 'string') return fail('target', 'target is required');
    let target = o.target;
    let name = typeof o.name === 'string' ? o.name.toLowerCase() : '';
    // A and AAAA take "the hostname or FQDN"; lego sends the FQDN for TXT (§5).
    if (name === domain.domain) name = '';
    else if (name.endsWith(`.${domain.domain}`)) name = name.slice(0, -(domain.domain.length + 1));
    if (name !== '' && !/^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(name) && name !== '*') {
      return fail('name', 'Must be a valid hostname');
    }
    const ttlAsked = typeof o.ttl_sec === 'number' ? o.ttl_sec : 0;
    if (!Number.isInteger(ttlAsked) || ttlAsked < 0) return fail('ttl_sec', 'Must be a positive integer');
    const ttl_sec = ttlAsked === 0 ? 0 : linodeTtl(ttlAsked);
    const int = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
    let priority = int(o.priority) ?? 0;
    let weight = int(o.weight) ?? 0;
    let port = int(o.port) ?? 0;
    let service: string | null = null;
    let protocol: string | null = null;
    let tag: string | null = null;
    const host = (field: string, value: string): string | { problem: { field: string; reason: string } } => {
      const v = value.replace(/\.$/, '');
      if (v.length === 0 || v.length >= 254 || !/^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(v)) {
        return fail(field, 'Must be a valid domain');
      }
      return v;
    };
    switch (type) {
      case 'A':
        if (!isIPv4(target)) return fail('target', 'Must be a valid IPv4 address');
        break;
      case 'AAAA':
        if (!isIPv6(target)) return fail('target', 'Must be a valid IPv6 address');
        break;
      case 'CNAME':
      case 'NS':
      case 'MX': {
        const checked = host('target', target);
        if (typeof checked !== 'string') return checked;
        target = checked;
        if (type === 'MX' && (priority < 0 || priority > 255)) return fail('priority', 'Must be between 0 and 255');
        break;
      }
      case 'TXT':
        if (target.length === 0) return fail('target', 'target is required');
        break;
      case 'SRV': {
        const svc = typeof o.service === 'string' ? o.service : '';
        const proto = typeof o.protocol === 'string' ? o.protocol : '';
        if (!svc) return fail('service', 'service is required for SRV records');
        if (!proto) return fail('protocol', 'protocol is required for SRV records');
        if (int(o.priority) === undefined || int(o.weight) === undefined || int(o.port) === undefined) return fail('port', 'priority, weight and port are required for SRV records');
        // OpenAPI: "An underscore (_) is prepended automatically to the submitted value" (on a PUT the stored one stays).
        service = existing && svc === existing.service ? svc : `_${svc}`;
        protocol = existing && proto === existing.protocol ? proto : `_${proto}`;
        name = `${service}.${protocol}`;
        // "If a subdomain is entered, it is automatically used with the Domain."
        const absolute = target.endsWith('.') || target.includes('.') ? target : `${target}.${domain.domain}`;
        const checked = host('target', absolute);
        if (typeof checked !== 'string') return checked;
        target = checked;
        break;
      }
      case 'CAA': {
        tag = typeof o.tag === 'string' ? o.tag : '';
        if (!['issue', 'issuewild', 'iodef'].includes(tag)) return fail('tag', 'Must be one of issue, issuewild, iodef');
        if (target.endsWith('.') || /\s/.test(target) || target === '') return fail('target', 'Must be a valid CAA value');
        break;
      }
      default:
        break;
    }
    if (type !== 'MX' && type !== 'SRV') priority = 0;
    if (type !== 'SRV') {
      weight = 0;
      port = 0;
    }
    // OpenAPI: CNAME "The hostname. Must be unique."; RFC 1034 §3.6.2 both ways [infer: refused as 400].
    const others = domain.records.filter((r) => r !== existing && r.name === name);
    if (type === 'CNAME' && others.length > 0) return fail('name', 'A CNAME record must be unique: another record has this name');
    if (type !== 'CNAME' && others.some((r) => r.type === 'CNAME')) return fail('name', 'A CNAME record with this name already exists');
    return { fields: { type, name, target, priority, weight, port, service, protocol, tag, ttl_sec } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v4`,
    state: { domains, tokens },
    calls,
    snapshot: (name = SEED_APEX) => clone(domains.find((d) => d.domain === name)?.records ?? []),
    resetZone: () => {
      const index = domains.findIndex((d) => d.domain === SEED_APEX);
      domains[index] = seedDomain();
    },
    plant: (fields, name = SEED_APEX) => {
      const record: LinodeRecord = { id: nextId++, created: STAMP, updated: STAMP, ...fields };
      domains.find((d) => d.domain === name)!.records.push(record);
      return record;
    },
    failNext: (fault) => {
      faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) });
    },
    beforeNextWrite: (action) => void writeHooks.push(action),
    clearFaults: () => {
      faults.length = 0;
      writeHooks.length = 0;
    },
    setBehaviour: (next) => {
      behaviour = { ...behaviour, ...next };
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** OpenAPI `Domain` (a subset). */
function domainView(d: LinodeFakeDomain): object {
  return {
    id: d.id,
    domain: d.domain,
    type: d.type,
    status: 'active',
    soa_email: `hostmaster@${d.domain}`,
    ttl_sec: d.ttl_sec,
    refresh_sec: 0,
    retry_sec: 0,
    expire_sec: 0,
    master_ips: [],
    axfr_ips: [],
    tags: [],
    group: '',
    description: '',
  };
}

/** X-Filter on records: exact match on the Filterable fields (`name`, `type`, `target`, `tag`) [doc]. */
function filterMatches(record: LinodeRecord, filter: unknown): boolean {
  if (!isObject(filter)) return true;
  for (const field of ['name', 'type', 'target', 'tag'] as const) {
    if (field in filter && filter[field] !== record[field]) return false;
  }
  return true;
}

/** `{"errors":[{"field"?, "reason"}]}` (dnscontrol `errorResponse`; OpenAPI `ErrorObject`). */
function errors(reason: string, field?: string): object {
  return { errors: [field ? { field, reason } : { reason }] };
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
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
