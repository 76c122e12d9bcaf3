/**
 * A loopback Name.com Core API (a real node:http server on 127.0.0.1, port 0) that behaves as Name.com's spec and
 * clients say. Sources: ../shared/reference/providers-registrars.md §6 ("§6" below); "ncom-spec" =
 * namedotcom/namecom-mcp `assets/namecom.api.yaml` (the official Core API 1.7.0: paths, bodies, statuses, limits);
 * "api-docs" = name.com/api-docs (v4 overview: default values left out of the JSON, `{message, details}` errors);
 * "dnscontrol" = StackExchange/dnscontrol `providers/namedotcom/`; "lexicon" = dns-lexicon `providers/namecom.py`;
 * [infer] = not confirmed anywhere. Unforgiving where Name.com is: HTTP Basic with username and token, a domain whose
 * name servers are elsewhere refuses every record write (403), TXT may not hold a double quote, TTL at least 300,
 * pages of `perPage` followed by `nextPage`, a PUT overwrites every field (what it leaves out is not kept), the
 * account-wide limit of 20 requests a second and 3000 an hour.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NamecomRecord } from '../../providers/namecom.js';
import type { DesiredRecord } from '../../providers/types.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface NamecomFakeAccount {
  readonly username: string;
  readonly token: string;
  readonly domains: readonly string[];
  /**
   * Two-Step Verification is on: "not compatible with API access", refused with "403 Permission Denied" (ncom-spec
   * `BasicAuth`; §6 trap 4). Which of 401 and 403 such an account gets is not documented: 403 here [infer].
   */
  readonly twoStep?: boolean;
}

/** Test-only accounts; tokens shaped like Name.com API tokens (40 hex characters), not real. */
export const NAMECOM_FAKE_ACCOUNTS = {
  good: { username: 'acme-dns', token: '4f9c2a7e1b8d3f60a1b2c3d4e5f60718293a4b5c', domains: [SEED_APEX, 'empty-zone.com', 'elsewhere.com'] },
  twoStep: { username: 'acme-2fa', token: '0badc0ffee1234567890abcdef1234567890abcd', domains: [SEED_APEX], twoStep: true },
  otherAccount: { username: 'other-co', token: '99887766554433221100aabbccddeeff00112233', domains: ['other-account.com'] },
} as const satisfies Record<string, NamecomFakeAccount>;

export interface NamecomFakeCall {
  readonly method: string;
  /** Decoded path, `/core/v1` included, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly contentType: string | undefined;
  status: number;
  /** Name.com has no token grant: always false. */
  readonly grant: false;
}

export type FaultTarget = 'read' | 'write' | 'any';

/** A failure served instead of the real answer, for the next `times` matching calls (`'always'` until cleared). */
export type NamecomFault = { readonly on?: FaultTarget; readonly times?: number | 'always' } & (
  | { readonly kind: 'server-error'; readonly status?: 500 | 502 | 503 | 504; readonly html?: boolean }
  /** Name.com's 429 with `x-ratelimit-reset`, then every call refused until then (the limit lasts that long). */
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'lost-reply' }
  /** 401 whose message repeats the username and token the request carried (test-only: Name.com's text does not). */
  | { readonly kind: 'echo-credentials' }
);

export interface NamecomFakeOptions {
  readonly accounts?: NamecomFakeAccount[];
  /**
   * The account-wide limits: 20 requests a second and 3000 an hour (ncom-spec `info`, `BasicAuth`; §6 "Limits").
   * `false` turns them off (the conformance suite counts calls exactly). @default { perSecond: 20, perHour: 3000 }
   */
  readonly limits?: { readonly perSecond: number; readonly perHour: number } | false;
  /** The most records one page holds, whatever `perPage` asks (500 per a later changelog, §6). @default 1000 */
  readonly maxPerPage?: number;
}

export interface NamecomFake {
  readonly baseUrl: string;
  readonly state: {
    zones: Map<string, NamecomRecord[]>;
    accounts: NamecomFakeAccount[];
    /** Domains whose name servers are not Name.com's: every record write is refused with 403 (§6 trap 5). */
    nameserversElsewhere: Set<string>;
  };
  readonly calls: NamecomFakeCall[];
  snapshot(domain?: string): NamecomRecord[];
  /** Puts a record straight into the zone (as the customer would in the panel), with a new id. */
  plant(record: DesiredRecord, domain?: string): NamecomRecord;
  /** Puts the seed zone back exactly (same ids). */
  reset(): void;
  failNext(fault: NamecomFault): void;
  beforeNextWrite(action: () => void | Promise<void>): void;
  beforeNextRead(action: () => void | Promise<void>): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** ncom-spec `Record.type`: A, AAAA, ANAME, CNAME, MX, NS, SRV, TXT (no CAA). */
const TYPES = new Set(['A', 'AAAA', 'ANAME', 'CNAME', 'MX', 'NS', 'SRV', 'TXT']);
const HOST_TYPES = new Set(['ANAME', 'CNAME', 'MX', 'NS']);
/** "Per Page defaults to 1,000" (ncom-spec `ListRecords`). */
const DEFAULT_PER_PAGE = 1000;
/** "name.com allows a minimum TTL of 300" (ncom-spec `Record.ttl`). */
const MIN_TTL = 300;
/** dnscontrol `MaxLengthNDC`: 512 bytes once encoded as quoted chunks ("length limit is undocumented") [code]. */
const MAX_ENCODED_TXT = 512;

const ERRORS = {
  // "Without credentials the answer is 401 {"message":"Unauthorized"}" (§6 "Auth"); ncom-spec `Unauthorized401`.
  unauthorized: { message: 'Unauthorized' },
  // ncom-spec `BasicAuth`: "403 Permission Denied" [doc]; body shape `GenericForbidden403`.
  permissionDenied: { message: 'Permission Denied' },
  // ncom-spec Update/Delete Record 403 description, in the `GenericForbidden403` shape [doc]; the exact body [infer].
  nameservers: {
    message: 'Permission Denied',
    details: 'The authoritative nameserver for the request domain is not name.com, or the request domain is expired.',
  },
  // §6 "Errors": 404 `{"message":"Not Found","details":"The requested domain does not exist."}`.
  domainNotFound: { message: 'Not Found', details: 'The requested domain does not exist.' },
  // ncom-spec Delete Record 404: "Domain or DNS record not found." (details text [infer]).
  recordNotFound: { message: 'Not Found', details: 'Domain or DNS record not found.' },
  // §6 "Errors": 429 `{"message":"Rate Limit Exceeded"}` with `x-ratelimit-reset`.
  tooMany: { message: 'Rate Limit Exceeded' },
  // ncom-spec `UnsupportedMedia415`.
  notJson: { message: "The 'Content-Type' header must be 'application/json' for this request." },
  // ncom-spec `GenericError500`.
  server: { message: 'Internal Server Error' },
  // lexicon `DUPLICATE_ERROR` (v4, a duplicate create) [code].
  duplicate: { message: 'Invalid Argument', details: 'Parameter Value Error - Duplicate Record' },
  // Core changelog 1.6.0: a duplicate on update is 409 [2nd]; ncom-spec `GenericConflict409` example.
  duplicateUpdate: { message: 'Object already exists.', details: 'Parameter Value Error - Duplicate Record' },
} as const;
/** ncom-spec `InvalidArgument400`; the "Parameter Value Error - …" wording after lexicon's duplicate and dnscontrol's SRV texts. */
const invalid = (details: string) => ({ message: 'Invalid Argument', details: `Parameter Value Error - ${details}` });

/** A record in Name.com's wire form: fields at their default value left out (api-docs; ncom-go `omitempty`). */
export function namecomWire(id: number, domain: string, r: { host: string; type: string; answer: string; ttl: number; priority?: number | undefined }): NamecomRecord {
  const host = r.host === '@' ? '' : r.host.toLowerCase();
  return {
    id,
    domainName: domain,
    ...(host === '' ? {} : { host }),
    fqdn: `${host === '' ? domain : `${host}.${domain}`}.`,
    type: r.type,
    answer: r.answer,
    ttl: r.ttl,
    ...(r.priority ? { priority: r.priority } : {}),
  };
}

/**
 * Seed records (full names) → Name.com's wire form: relative host (none at the apex), TXT unquoted, targets without
 * the dot, SRV `weight port target` with priority apart. A TTL under 300 is held at 300 (Name.com allows no less).
 */
export function toNamecomWire(records: readonly DesiredRecord[], domain: string, firstId = 240_001): NamecomRecord[] {
  return records.map((r, i) => {
    const type = r.type.toUpperCase();
    const host = r.name === domain ? '' : r.name.slice(0, -(domain.length + 1));
    const answer = HOST_TYPES.has(type) ? r.content.replace(/\.$/, '') : r.content;
    const priority = type === 'MX' || type === 'SRV' ? (r.priority ?? 0) : undefined;
    return namecomWire(firstId + i, domain, { host, type, answer, ttl: Math.max(MIN_TTL, r.ttl), priority });
  });
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startNamecomFake(options: NamecomFakeOptions = {}): Promise<NamecomFake> {
  const seed = () =>
    new Map<string, NamecomRecord[]>([
      // Name.com holds no CAA (§6 "Wire format").
      [SEED_APEX, toNamecomWire(seedRecords({ caa: false }), SEED_APEX)],
      ['empty-zone.com', []],
      ['elsewhere.com', toNamecomWire([{ type: 'A', name: 'elsewhere.com', content: '192.0.2.80', ttl: 300 }], 'elsewhere.com', 250_001)],
      ['other-account.com', []],
    ]);
  const zones = seed();
  let nextId = 300_000;
  const accounts: NamecomFakeAccount[] = options.accounts ?? Object.values(NAMECOM_FAKE_ACCOUNTS);
  const nameserversElsewhere = new Set(['elsewhere.com']);
  const limits = options.limits === undefined ? { perSecond: 20, perHour: 3000 } : options.limits;
  const maxPerPage = options.maxPerPage ?? DEFAULT_PER_PAGE;
  const calls: NamecomFakeCall[] = [];
  const faults: { fault: NamecomFault; left: number }[] = [];
  const hooks: (() => void | Promise<void>)[] = [];
  const readHooks: (() => void | Promise<void>)[] = [];
  /** Epoch ms until which every call is refused (a served rate-limit fault). */
  let limitedUntil = 0;
  const usage = new Map<string, { second: number; perSecond: number; hourFrom: number; perHour: number }>();
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
      const contentType = req.headers['content-type'];
      const call: NamecomFakeCall = { method, path, query: Object.fromEntries(url.searchParams), body, contentType, status: 0, grant: false };
      calls.push(call);
      const credentials = basicCredentials(req.headers.authorization);
      const reply: Reply = (status, payload, headers = {}) => {
        call.status = status;
        if (payload === undefined) return void res.writeHead(status, headers).end();
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
      };
      const tooMany = (untilMs: number) => reply(429, ERRORS.tooMany, { 'x-ratelimit-reset': String(Math.ceil(untilMs / 1000)) });

      const fault = takeFault(call);
      if (fault?.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (fault?.kind === 'reset') return void req.socket.destroy();
      if (fault?.kind === 'malformed') {
        call.status = 200;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"records":[{"id":240001,"domainName":"example.com","fqdn":"exa');
      }
      if (fault?.kind === 'server-error') {
        const status = fault.status ?? (fault.html ? 503 : 500);
        call.status = status;
        if (fault.html) return void res.writeHead(status, { 'content-type': 'text/html' }).end(`<html><body><h1>${status} Service Unavailable</h1></body></html>`);
        return reply(status, ERRORS.server);
      }
      if (fault?.kind === 'rate-limited') {
        limitedUntil = Date.now() + fault.retryAfterSeconds * 1000;
        return tooMany(limitedUntil);
      }
      if (fault?.kind === 'echo-credentials') {
        return reply(401, { message: 'Unauthorized', details: `no API access for ${credentials?.username ?? ''} with token ${credentials?.token ?? ''}` });
      }
      if (Date.now() < limitedUntil) return tooMany(limitedUntil);

      // HTTP Basic `username:token` (ncom-spec `securitySchemes.BasicAuth`).
      const account = accounts.find((a) => a.username === credentials?.username && a.token === credentials.token);
      if (!account) return reply(401, ERRORS.unauthorized);
      // The limits are account-wide (§6 "Limits" [2nd]).
      const over = overLimit(account.username);
      if (over !== undefined) return tooMany(over);
      if (account.twoStep) return reply(403, ERRORS.permissionDenied);
      if (method !== 'GET' && hooks.length > 0) await hooks.shift()!();
      if (isRecordList(call) && readHooks.length > 0) await readHooks.shift()!();
      // "All POST, PUT, PATCH requests … must include the `Content-Type: application/json` header" (ncom-spec 415).
      if ((method === 'POST' || method === 'PUT') && !/^application\/json\b/i.test(contentType ?? '')) return reply(415, ERRORS.notJson);
      if (badJson) return reply(400, { message: 'Invalid Argument', details: 'the request body is not valid JSON' }); // [infer]
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

  function matches(fault: NamecomFault, call: NamecomFakeCall): boolean {
    const on = fault.on ?? 'any';
    if (on === 'write') return call.method !== 'GET';
    if (on === 'read') return isRecordList(call);
    return true;
  }

  function takeFault(call: NamecomFakeCall): NamecomFault | undefined {
    const found = faults.find(({ fault }) => matches(fault, call));
    if (!found) return undefined;
    if (found.fault.times !== 'always' && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  /**
   * Counts the call against the account's windows; the epoch ms the limit lifts at when one is exceeded. The second
   * is the clock's; the hour starts at the account's first call in it (how Name.com counts the hour is not documented
   * [infer]).
   */
  function overLimit(username: string): number | undefined {
    if (limits === false) return undefined;
    const now = Date.now();
    const second = Math.floor(now / 1000);
    let used = usage.get(username);
    if (!used) usage.set(username, (used = { second, perSecond: 0, hourFrom: now, perHour: 0 }));
    if (used.second !== second) Object.assign(used, { second, perSecond: 0 });
    if (now - used.hourFrom >= 3_600_000) Object.assign(used, { hourFrom: now, perHour: 0 });
    if (used.perHour >= limits.perHour) return used.hourFrom + 3_600_000;
    if (used.perSecond >= limits.perSecond) return (second + 1) * 1000;
    used.perSecond++;
    used.perHour++;
    return undefined;
  }

  function route(account: NamecomFakeAccount, call: NamecomFakeCall, reply: Reply): void {
    const parts = call.path.split('/').slice(1);
    if (parts[0] !== 'core' || parts[1] !== 'v1') return reply(404, { message: 'Not Found' });
    if (parts[2] === 'hello' && parts.length === 3) {
      if (call.method !== 'GET') return reply(405, { message: 'Method Not Allowed' });
      // ncom-spec `HelloResponse` (every field required).
      return reply(200, { serverName: 'fake-api-01', motd: 'Welcome to the name.com API', username: account.username, serverTime: new Date().toISOString() });
    }
    if (parts[2] !== 'domains' || !parts[3] || parts[4] !== 'records' || parts.length > 6) return reply(404, { message: 'Not Found' });
    const domain = parts[3].toLowerCase();
    const zone = zones.get(domain);
    if (!zone || !account.domains.includes(domain)) return reply(404, ERRORS.domainNotFound);
    const id = parts[5];
    const writing = call.method !== 'GET';
    // Records of a domain whose name servers are not Name.com's cannot be edited (ncom-spec Update/Delete Record 403;
    // §6 "Auth": "Record calls return 403"). Reading them is not refused [infer].
    if (writing && nameserversElsewhere.has(domain)) return reply(403, ERRORS.nameservers);
    if (id === undefined) {
      if (call.method === 'GET') return listRecords(zone, call.query, reply);
      if (call.method !== 'POST') return reply(405, { message: 'Method Not Allowed' });
      const made = validate(zone, call.body, undefined);
      if ('error' in made) return reply(made.status ?? 400, made.error);
      const record = namecomWire(++nextId, domain, made.record);
      zone.push(record);
      // ncom-spec `CreateRecord`: 200 (not 201) with the Record.
      return reply(200, record);
    }
    const index = zone.findIndex((r) => String(r.id) === id);
    if (index < 0) return reply(404, ERRORS.recordNotFound);
    const current = zone[index]!;
    switch (call.method) {
      case 'GET':
        return reply(200, current);
      case 'PUT': {
        // "Full overwrite — … If you omit a field, the existing value will not be preserved" (ncom-spec `UpdateRecord`).
        const made = validate(zone, call.body, current);
        if ('error' in made) return reply(made.status ?? 400, made.error);
        zone[index] = namecomWire(current.id, domain, made.record);
        return reply(200, zone[index]);
      }
      case 'DELETE':
        zone.splice(index, 1);
        // ncom-spec `DeleteRecord`: 204.
        return reply(204);
      default:
        return reply(405, { message: 'Method Not Allowed' });
    }
  }

  /**
   * ncom-spec `ListRecordsResponse`: `{records, totalCount, from, to}` always, `nextPage` and `lastPage` "only
   * populated if there is another page of results after the current page". `page` counts from 1.
   */
  function listRecords(zone: NamecomRecord[], query: Readonly<Record<string, string>>, reply: Reply): void {
    const perPageAsked = query.perPage === undefined ? DEFAULT_PER_PAGE : Number(query.perPage);
    const page = query.page === undefined ? 1 : Number(query.page);
    if (!Number.isInteger(perPageAsked) || perPageAsked < 1 || !Number.isInteger(page) || page < 1) {
      return reply(400, { message: 'Invalid Argument', details: 'page and perPage must be positive integers' }); // [infer]
    }
    const perPage = Math.min(perPageAsked, maxPerPage);
    const offset = (page - 1) * perPage;
    const records = zone.slice(offset, offset + perPage);
    const lastPage = Math.max(1, Math.ceil(zone.length / perPage));
    const more = page < lastPage;
    reply(200, {
      records,
      ...(more ? { nextPage: page + 1, lastPage } : {}),
      totalCount: zone.length,
      from: records.length === 0 ? 0 : offset + 1,
      to: offset + records.length,
    });
  }

  type Made = { record: { host: string; type: string; answer: string; ttl: number; priority?: number } } | { error: unknown; status?: number };

  /** A record body as Name.com checks it: 400 `Invalid Argument` refusals (texts [infer] unless cited). */
  function validate(zone: readonly NamecomRecord[], body: unknown, current: NamecomRecord | undefined): Made {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: invalid('the request body must be a JSON object') };
    const o = body as Record<string, unknown>;
    const type = typeof o.type === 'string' ? o.type.toUpperCase() : '';
    if (!TYPES.has(type)) return { error: invalid(`Invalid Record Type ${type || '(none)'}`) };
    // Not sent = the apex, even on a PUT: an omitted field "will not be preserved" (ncom-spec `UpdateRecord`).
    const hostRaw = typeof o.host === 'string' ? o.host.trim().toLowerCase() : '';
    const host = hostRaw === '@' ? '' : hostRaw;
    if (host.endsWith('.') || /\s/.test(host)) return { error: invalid('Invalid Host') };
    // `answer` is required, `minLength: 1` (ncom-spec `DNSCreateRecordBody`, `DNSUpdateRecordBody`).
    let answer = typeof o.answer === 'string' ? o.answer : '';
    if (answer === '') return { error: invalid('Answer is required') };
    // Not sent on a PUT = not kept [doc]; 300 then, the minimum [infer].
    const ttl = o.ttl === undefined ? MIN_TTL : o.ttl;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl)) return { error: invalid('Invalid TTL') };
    if (ttl < MIN_TTL) return { error: invalid(`TTL must be at least ${MIN_TTL}`) };
    // "Priority is only required for MX and SRV records, it is ignored for all others" (ncom-spec); lexicon found it
    // optional in practice, so a missing one is 0 (and a PUT without it loses the old one).
    const priority = typeof o.priority === 'number' ? o.priority : 0;
    if (type === 'TXT') {
      // TXT is sent joined and unquoted; a double quote is refused (§0 "`"` rejected [code]", §6 "Wire format").
      if (answer.includes('"')) return { error: invalid('Invalid TXT Record: double quotes are not allowed') };
      const bytes = Buffer.byteLength(answer, 'utf8');
      if (bytes + 2 + 3 * (Math.max(1, Math.ceil(bytes / 255)) - 1) > MAX_ENCODED_TXT) return { error: invalid('Answer is too long') };
    }
    // Targets are kept and returned without the trailing dot (dnscontrol `getRecords` adds it back on reading) [code].
    if (HOST_TYPES.has(type)) answer = answer.replace(/\.$/, '');
    if (type === 'SRV') {
      // "{weight} {port} {target}" (ncom-spec `Record.answer`); the refusal's text is dnscontrol's quote of the API.
      const match = /^(\d+) (\d+) (\S+)$/.exec(answer);
      if (!match || match[3] === '.') return { error: invalid('Invalid Srv Format') };
      answer = `${match[1]} ${match[2]} ${match[3]!.replace(/\.$/, '')}`;
    }
    const others = zone.filter((r) => r !== current && (r.host ?? '') === host);
    // The same host, type and answer twice is refused (lexicon `DUPLICATE_ERROR`; 409 on update, changelog 1.6.0).
    if (others.some((r) => r.type === type && r.answer.toLowerCase() === answer.toLowerCase())) {
      return current ? { error: ERRORS.duplicateUpdate, status: 409 } : { error: ERRORS.duplicate };
    }
    // A CNAME cannot share its name with another record (RFC 1034 §3.6.2); Name.com's text [infer].
    if ((type === 'CNAME' && others.length > 0) || (type !== 'CNAME' && others.some((r) => r.type === 'CNAME'))) {
      return { error: invalid('CNAME records cannot share a host with other records') };
    }
    return { record: { host, type, answer, ttl, ...(type === 'MX' || type === 'SRV' ? { priority } : {}) } };
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    state: { zones, accounts, nameserversElsewhere },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    plant: (record, domain = SEED_APEX) => {
      const [wire] = toNamecomWire([record], domain);
      const planted = { ...wire!, id: ++nextId };
      zones.get(domain)!.push(planted);
      return structuredClone(planted);
    },
    reset: () => {
      for (const [domain, records] of seed()) zones.set(domain, records);
      limitedUntil = 0;
      usage.clear();
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
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The call that lists a zone's records (not the hello, not one record by id). */
function isRecordList(call: NamecomFakeCall): boolean {
  return call.method === 'GET' && /^\/core\/v1\/domains\/[^/]+\/records$/.test(call.path);
}

/** `Authorization: Basic base64(username:token)` → its two parts (RFC 7617: split at the first colon). */
function basicCredentials(header: string | undefined): { username: string; token: string } | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
