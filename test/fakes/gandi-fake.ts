/**
 * A loopback Gandi LiveDNS v5 (`/v5/livedns/…`, a real node:http server on 127.0.0.1, port 0) that behaves as the
 * clients and replies quoted in ../shared/reference/providers-registrars.md §4 say ("go-gandi" =
 * go-gandi/go-gandi@29df693, "octodns-gandi" = octodns/octodns-gandi@716be2f, "dnscontrol" =
 * StackExchange/dnscontrol@7a079bc; [infer] = no source found). It is unforgiving where LiveDNS is: an rrset `PUT`
 * replaces every value of the rrset, `PUT …/records/{name}` every type at a name, `PUT …/records` the whole zone; a
 * target without a trailing dot is stored relative to the zone; the record list is paginated.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeTxt, type GandiRrset } from '../../providers/gandi.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface GandiFakeToken {
  /** A personal access token (§4 "Auth": `Authorization: Bearer <PAT>`). */
  readonly token: string;
  /** Domains the token's organisation and permissions cover. */
  readonly domains: readonly string[];
}

/** Test-only tokens, not real Gandi PATs. */
export const GANDI_FAKE_TOKENS = {
  good: { token: 'pat_9f2b7c1e4d8a6f3b0c5e2d7a9b1c4e8f6a3d0b7c', domains: [SEED_APEX, 'empty-zone.com'] },
  /** A token of another organisation: LiveDNS has `example.com`, this token may not touch it (403). */
  other: { token: 'pat_0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3', domains: ['other-org.com'] },
} as const satisfies Record<string, GandiFakeToken>;

export interface GandiFakeCall {
  readonly method: string;
  /** Decoded path below `/v5/livedns`, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization: string | undefined;
  status: number;
}

export interface GandiFaultTarget {
  /** `read` = the record list `GET /domains/{fqdn}/records` (any page); `write` = any POST, PUT or DELETE. @default any */
  readonly on?: 'read' | 'write';
  readonly method?: string;
  readonly pathIncludes?: string;
  /** @default 1; `always` until `clearFaults()` */
  readonly times?: number | 'always';
}

export type GandiFault = GandiFaultTarget &
  (
    /** An HTTP error before the request is handled: nothing changes. 429 carries Retry-After [infer]. */
    | { readonly kind: 'status'; readonly status: 429 | 500 | 502 | 503; readonly retryAfter?: number; readonly html?: boolean }
    /**
     * `hang`: no reply at all; `reset`: the connection is cut before the request is handled; `malformed`: HTTP 200 with
     * cut JSON, nothing handled; `lost-reply`: handled in full (a write commits), then the connection is cut;
     * `echo-credentials`: 401 whose message repeats the token [infer: no source, every HTTP upstream can fail so].
     */
    | { readonly kind: 'hang' | 'reset' | 'malformed' | 'lost-reply' | 'echo-credentials' }
  );

export interface GandiFakeBehaviour {
  /** Most rrsets one page holds, whatever `per_page` asks [infer: the maximum is not documented]. @default 500 */
  maxPerPage?: number;
  /** Requests per minute per token before 429 + Retry-After (the documented limit is unconfirmed, §4). */
  rateLimitPerMinute?: number;
}

export interface GandiFake {
  /** Ends in `/v5/livedns`, as GANDI_API_URL does. */
  readonly baseUrl: string;
  /** rrsets by domain, in wire form; tests may inspect and edit them. */
  readonly state: { zones: Map<string, GandiRrset[]>; tokens: GandiFakeToken[] };
  readonly calls: GandiFakeCall[];
  /** A deep copy of a domain's rrsets, in the fake's order. */
  snapshot(domain?: string): GandiRrset[];
  failNext(fault: GandiFault): void;
  beforeNextWrite(action: () => void | Promise<void>): void;
  /** Runs `action` just before the next record-list page is served: someone editing the zone while it is read. */
  beforeNextList(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: GandiFakeBehaviour): void;
  close(): Promise<void>;
}

const PREFIX = '/v5/livedns';
/** dnscontrol: "Gandi does not support ttls < 300"; 30 days at most (§4 "Wire format"). */
const MIN_TTL = 300;
const MAX_TTL = 2_592_000;
/** The TTL of an rrset created without one: 10800, what every rrset in octodns-gandi's fixture has [infer]. */
const DEFAULT_TTL = 10_800;
/** Types LiveDNS serves (octodns-gandi `SUPPORTS` plus those its fixture shows) [infer: the full list is not quoted]. */
const TYPES = new Set(['A', 'AAAA', 'ALIAS', 'CAA', 'CDS', 'CNAME', 'DNAME', 'DS', 'MX', 'NS', 'PTR', 'SPF', 'SRV', 'SSHFP', 'TLSA', 'TXT']);

/** go-gandi `types.StandardResponse`: `{code, message, object, cause, errors?}`. */
const envelope = (code: number, object: string, cause: string, message: string, errors?: { location: string; name: string; description: string }[]) => ({
  code,
  message,
  object,
  cause,
  ...(errors ? { errors } : {}),
});
// 403 body quoted in ddns-updater#852 and caddy-dns/gandi#5 (§4 "Auth").
const FORBIDDEN = envelope(403, 'HTTPForbidden', 'Forbidden', 'Access was denied to this resource.');
// The 401 and 404 texts are the framework's standard ones [infer].
const unauthorized = (message = 'The server could not verify that you are authorized to access the document you requested.') =>
  envelope(401, 'HTTPUnauthorized', 'Unauthorized', message);
const NOT_FOUND = envelope(404, 'HTTPNotFound', 'Not Found', 'The resource could not be found.');
const badRequest = (name: string, description: string) => envelope(400, 'HTTPBadRequest', 'Bad Request', 'Validation error', [{ location: 'body', name, description }]);

/** Seed records (neutral, full names) → LiveDNS rrsets: grouped by name and type, one TTL per rrset. */
export function toGandiWire(records: readonly DesiredRecord[], apex: string): GandiRrset[] {
  const sets = new Map<string, { name: string; type: string; ttls: number[]; values: string[] }>();
  for (const r of records) {
    const name = r.name === apex ? '@' : r.name.slice(0, -(apex.length + 1));
    const key = `${name} ${r.type}`;
    const set = sets.get(key) ?? { name, type: r.type, ttls: [], values: [] };
    sets.set(key, set);
    set.ttls.push(r.ttl);
    set.values.push(gandiValue(r));
  }
  // One TTL per rrset: the smallest of the group (dnscontrol `recordsToNative`), raised to LiveDNS's 300 minimum, so
  // the seed's apex MX set (3600/3600/7200) is held at 3600 and `vpn` (120) at 300.
  return [...sets.values()].map((s) => ({
    rrset_name: s.name,
    rrset_type: s.type,
    rrset_ttl: Math.max(MIN_TTL, Math.min(...s.ttls)),
    rrset_values: s.values,
  }));
}

/** One neutral record → its LiveDNS value (octodns-gandi `_params_for_*`; TXT as dnscontrol `EncodeQuoted`). */
export function gandiValue(r: Pick<DesiredRecord, 'type' | 'content' | 'priority'>): string {
  const dot = (h: string) => (h.endsWith('.') ? h : `${h}.`);
  switch (r.type) {
    case 'TXT':
      return encodeTxt(r.content);
    case 'CNAME':
    case 'NS':
      return dot(r.content);
    case 'MX':
      return `${r.priority ?? 0} ${dot(r.content)}`;
    case 'SRV': {
      const [weight, port, target] = r.content.split(' ');
      return `${r.priority ?? 0} ${weight} ${port} ${dot(target ?? '')}`;
    }
    default:
      return r.content;
  }
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startGandiFake(options: { tokens?: GandiFakeToken[]; behaviour?: GandiFakeBehaviour } = {}): Promise<GandiFake> {
  const zones = new Map<string, GandiRrset[]>([
    [SEED_APEX, toGandiWire(seedRecords(), SEED_APEX)],
    ['empty-zone.com', []],
    ['other-org.com', []],
  ]);
  const tokens: GandiFakeToken[] = options.tokens ?? [GANDI_FAKE_TOKENS.good, GANDI_FAKE_TOKENS.other];
  const calls: GandiFakeCall[] = [];
  const faults: { fault: GandiFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const listHooks: (() => void | Promise<void>)[] = [];
  let behaviour: GandiFakeBehaviour = { ...options.behaviour };
  const windows = new Map<string, { start: number; count: number }>();
  let origin = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const fullPath = url.pathname;
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
    const call: GandiFakeCall = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(fullPath.startsWith(PREFIX) ? fullPath.slice(PREFIX.length) : fullPath),
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
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('[{"rrset_type":"A","rrset_ttl":10800,"rrset_name":"@","rrset_val');
    }
    if (fault?.kind === 'echo-credentials') return reply(401, unauthorized(`The token in "${authorization ?? ''}" is not valid.`));
    if (fault?.kind === 'status') {
      call.status = fault.status;
      if (fault.html) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
      if (fault.status === 429) {
        return reply(429, envelope(429, 'HTTPTooManyRequests', 'Too Many Requests', 'Too many requests.'), { 'retry-after': String(fault.retryAfter ?? 1) });
      }
      return reply(fault.status, envelope(fault.status, 'HTTPInternalServerError', 'Internal Server Error', 'An internal error occurred.'));
    }
    // `Authorization: Bearer <PAT>` (§4 "Auth"); the deprecated `Apikey` scheme has no key here to match.
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    const token = tokens.find((t) => t.token === match?.[1]);
    if (!token) return reply(401, unauthorized());
    const limited = rateLimited(token.token);
    if (limited !== undefined) {
      return reply(429, envelope(429, 'HTTPTooManyRequests', 'Too Many Requests', 'Too many requests.'), { 'retry-after': String(limited) });
    }
    if (call.method !== 'GET') {
      const hook = hooks.shift();
      if (hook) await hook();
    }
    if (call.method === 'GET' && /^\/domains\/[^/]+\/records$/.test(call.path)) await listHooks.shift()?.();
    if (bodyError) return reply(400, badRequest('body', 'Invalid JSON'));
    if (fault?.kind === 'lost-reply') {
      return route(token, call, (status) => {
        call.status = status;
        res.destroy();
      });
    }
    route(token, call, reply);
  }

  function takeFault(call: GandiFakeCall): GandiFault | undefined {
    const found = faults.find(({ fault }) => {
      if (fault.method && fault.method !== call.method) return false;
      if (fault.pathIncludes && !call.path.includes(fault.pathIncludes)) return false;
      if (fault.on === 'read') return call.method === 'GET' && /^\/domains\/[^/]+\/records$/.test(call.path);
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

  function route(token: GandiFakeToken, call: GandiFakeCall, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    if (parts[0] !== 'domains' || !parts[1]) return reply(404, NOT_FOUND);
    const domain = parts[1].toLowerCase();
    const zone = zones.get(domain);
    // A domain not on LiveDNS: 404 (octodns-gandi `GandiClientNotFound`); one the token may not touch: 403.
    if (!zone) return reply(404, NOT_FOUND);
    if (!token.domains.includes(domain)) return reply(403, FORBIDDEN);
    const [, , section, rawName, rawType, ...rest] = parts;
    if (section === undefined) {
      if (call.method !== 'GET') return reply(405, envelope(405, 'HTTPMethodNotAllowed', 'Method Not Allowed', 'The method is not allowed for the requested URL.'));
      // A subset of the domain object [infer].
      return reply(200, { fqdn: domain, domain_href: `${origin}${PREFIX}/domains/${domain}`, domain_records_href: `${origin}${PREFIX}/domains/${domain}/records`, automatic_snapshots: true });
    }
    if (section !== 'records' || rest.length > 0) return reply(404, NOT_FOUND);
    const name = rawName?.toLowerCase();
    const type = rawType?.toUpperCase();
    const set = (next: GandiRrset[]) => void zones.set(domain, next);
    const at = (n: string, t?: string) => (r: GandiRrset) => r.rrset_name.toLowerCase() === n && (t === undefined || r.rrset_type === t);

    if (name === undefined) {
      switch (call.method) {
        case 'GET':
          return listPage(domain, zone, call, reply);
        case 'POST': {
          // Creates an rrset; 409 when it exists (§4 endpoints, stalwartlabs/dns-update PR #42).
          const item = checkRrset(call.body, undefined, undefined);
          if ('error' in item) return reply(400, item.error);
          if (zone.some(at(item.rrset_name.toLowerCase(), item.rrset_type))) {
            return reply(409, envelope(409, 'HTTPConflict', 'Conflict', 'A DNS record already exists with that name and type.'));
          }
          const conflict = cnameConflict([...zone, item]);
          if (conflict) return reply(400, conflict);
          set([...zone, item]);
          return reply(201, { message: 'DNS Record Created' });
        }
        case 'PUT': {
          // `{items:[…]}` replaces the ENTIRE zone (§4 endpoints, trap 3).
          const items = checkItems(call.body);
          if ('error' in items) return reply(400, items.error);
          set(items);
          return reply(201, { message: 'DNS Record Created' });
        }
        case 'DELETE':
          set([]);
          return reply(204);
        default:
          return reply(405, envelope(405, 'HTTPMethodNotAllowed', 'Method Not Allowed', 'The method is not allowed for the requested URL.'));
      }
    }
    if (type === undefined) {
      switch (call.method) {
        case 'GET':
          return reply(200, zone.filter(at(name)).map((r) => withHref(domain, r)));
        case 'PUT': {
          // `{items:[…]}` replaces every type at that name (§4 endpoints).
          const items = checkItems(call.body, rawName);
          if ('error' in items) return reply(400, items.error);
          const next = [...zone.filter((r) => !at(name)(r)), ...items];
          const conflict = cnameConflict(next);
          if (conflict) return reply(400, conflict);
          set(next);
          return reply(201, { message: 'DNS Record Created' });
        }
        case 'DELETE':
          set(zone.filter((r) => !at(name)(r)));
          return reply(204);
        default:
          return reply(405, envelope(405, 'HTTPMethodNotAllowed', 'Method Not Allowed', 'The method is not allowed for the requested URL.'));
      }
    }
    const index = zone.findIndex(at(name, type));
    switch (call.method) {
      case 'GET':
        // One rrset; 404 when there is none (lego treats that as empty).
        return index < 0 ? reply(404, NOT_FOUND) : reply(200, withHref(domain, zone[index]!));
      case 'POST':
      case 'PUT': {
        // PUT creates or replaces the WHOLE rrset (§4 endpoints, trap 1; lego `AddTXTRecord`); POST only creates [infer].
        if (call.method === 'POST' && index >= 0) return reply(409, envelope(409, 'HTTPConflict', 'Conflict', 'A DNS record already exists with that name and type.'));
        const item = checkRrset(call.body, rawName, type);
        if ('error' in item) return reply(400, item.error);
        const next = index < 0 ? [...zone, item] : zone.map((r, i) => (i === index ? item : r));
        const conflict = cnameConflict(next);
        if (conflict) return reply(400, conflict);
        set(next);
        return reply(201, { message: 'DNS Record Created' });
      }
      case 'DELETE':
        if (index < 0) return reply(404, NOT_FOUND);
        set(zone.filter((_, i) => i !== index));
        return reply(204);
      default:
        return reply(405, envelope(405, 'HTTPMethodNotAllowed', 'Method Not Allowed', 'The method is not allowed for the requested URL.'));
    }
  }

  /**
   * `page` (from 1) and `per_page`; `Total-Count` and a `Link: <…>; rel="next"` header while pages follow (go-gandi
   * follows `Link`, octodns-gandi reads `Total-Count`, §4 endpoints). No `per_page`: 100 [infer].
   */
  function listPage(domain: string, zone: GandiRrset[], call: GandiFakeCall, reply: Reply): void {
    const page = call.query.page === undefined ? 1 : Number(call.query.page);
    const asked = call.query.per_page === undefined ? 100 : Number(call.query.per_page);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(asked) || asked < 1) return reply(400, badRequest('page', 'must be a positive integer'));
    const perPage = Math.min(asked, behaviour.maxPerPage ?? 500);
    const items = zone.slice((page - 1) * perPage, page * perPage).map((r) => withHref(domain, r));
    const headers: Record<string, string> = { 'total-count': String(zone.length) };
    if (page * perPage < zone.length) headers.link = `<${origin}${PREFIX}/domains/${domain}/records?page=${page + 1}&per_page=${perPage}>; rel="next"`;
    reply(200, items, headers);
  }

  const withHref = (domain: string, r: GandiRrset): GandiRrset => ({
    ...r,
    rrset_href: `${origin}${PREFIX}/domains/${domain}/records/${encodeURIComponent(r.rrset_name)}/${r.rrset_type}`,
  });

  const listening = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}${PREFIX}`,
    state: { zones, tokens },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    failNext: (fault) => void faults.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) }),
    beforeNextWrite: (action) => void hooks.push(action),
    beforeNextList: (action) => void listHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      hooks.splice(0);
      listHooks.splice(0);
    },
    setBehaviour: (next) => void (behaviour = { ...behaviour, ...next }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/**
 * An rrset body: `{rrset_name?, rrset_type?, rrset_ttl?, rrset_values}` (go-gandi `DomainRecord`), the name and type
 * from the path where it has them. TTL 300–2592000 (dnscontrol), values non-empty strings; TXT strings at most 255
 * bytes each (RFC 1035 character-strings), an unquoted TXT value stored quoted [infer].
 */
function checkRrset(body: unknown, pathName: string | undefined, pathType: string | undefined): GandiRrset | { error: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: badRequest('body', 'must be an object') };
  const b = body as Record<string, unknown>;
  const name = pathName ?? b.rrset_name;
  const type = pathType ?? (typeof b.rrset_type === 'string' ? b.rrset_type.toUpperCase() : undefined);
  if (typeof name !== 'string' || name === '' || name.endsWith('.')) return { error: badRequest('rrset_name', 'a relative name (`@` for the apex) is required') };
  if (typeof type !== 'string' || !TYPES.has(type)) return { error: badRequest('rrset_type', 'unknown or missing record type') };
  const ttl = b.rrset_ttl === undefined ? DEFAULT_TTL : b.rrset_ttl;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < MIN_TTL || ttl > MAX_TTL) {
    return { error: badRequest('rrset_ttl', `must be between ${MIN_TTL} and ${MAX_TTL}`) };
  }
  const values = b.rrset_values;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'string' && v.trim() !== '')) {
    return { error: badRequest('rrset_values', 'a non-empty list of values is required') };
  }
  if (type === 'CNAME' && values.length > 1) return { error: badRequest('rrset_values', 'a CNAME record set holds one value') };
  const stored: string[] = [];
  for (const value of values as string[]) {
    if (type === 'TXT') {
      const quoted = /^\s*"(?:[^"\\]|\\.)*"(?:\s+"(?:[^"\\]|\\.)*")*\s*$/s.test(value);
      const strings = quoted ? [...value.matchAll(/"((?:[^"\\]|\\.)*)"/gs)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')) : [value];
      if (strings.some((s) => Buffer.byteLength(s, 'utf8') > 255)) return { error: badRequest('rrset_values', 'a TXT string is longer than 255 characters') };
      stored.push(quoted ? value : encodeTxt(value));
    } else stored.push(value);
  }
  return { rrset_name: name.toLowerCase(), rrset_type: type, rrset_ttl: ttl, rrset_values: stored };
}

function checkItems(body: unknown, pathName?: string): GandiRrset[] | { error: unknown } {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return { error: badRequest('items', 'a list of record sets is required') };
  const out: GandiRrset[] = [];
  for (const item of items) {
    const checked = checkRrset(item, pathName, undefined);
    if ('error' in checked) return checked;
    out.push(checked);
  }
  return out;
}

/** A CNAME is alone at its name (RFC 1034 §3.6.2); LiveDNS's own message is unconfirmed [infer]. */
function cnameConflict(zone: readonly GandiRrset[]): unknown {
  for (const r of zone) {
    if (r.rrset_type !== 'CNAME') continue;
    if (zone.some((o) => o !== r && o.rrset_name.toLowerCase() === r.rrset_name.toLowerCase())) {
      return badRequest('rrset_type', `a CNAME record cannot coexist with other records at ${r.rrset_name}`);
    }
  }
  return undefined;
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
