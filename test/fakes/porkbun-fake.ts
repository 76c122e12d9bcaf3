/**
 * A loopback Porkbun API v3 (node:http on 127.0.0.1, port 0) that behaves as Porkbun's documentation, its public
 * clients and the replies quoted in issues say. Facts and tags ([doc], [code], [obs], [infer]) are in
 * ../shared/reference/providers-registrars.md §3; each behaviour below names its source.
 *
 * It is unforgiving where Porkbun is: every call is a POST with the key pair in the JSON body; API access is opted in
 * per domain, so a valid key pair still gets "Domain is not opted in to API access." for a domain not opted in;
 * `editByNameType` rewrites every record of a name and type; past about one request a second per API key the edge
 * answers 503 (an openresty HTML page) or 202 (an AWS WAF challenge page), never JSON.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DesiredRecord } from '../../providers/types.js';
import type { ConformanceFault } from '../providers/driver.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

/** A record as `/dns/retrieve` returns it: every field a string, `name` the FQDN (nrdcg/porkbun fixture retrieve.json). */
export interface PorkbunWireRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: string;
  prio: string;
  notes: string;
}

export interface PorkbunFakeAccount {
  readonly apikey: string;
  readonly secretapikey: string;
  /** Domains in the account. */
  readonly domains: readonly string[];
  /** Domains whose "API ACCESS" toggle is on (ddns-updater docs/porkbun.md "Domain setup"). */
  readonly optedIn: readonly string[];
}

/** Test-only key pairs, shaped like Porkbun's `pk1_…`/`sk1_…` (ddns-updater docs/porkbun.md); not real keys. */
export const PORKBUN_FAKE_ACCOUNTS = {
  good: {
    apikey: 'pk1_4f0c9e2d7b1a6e3f8c5d2b9a7e4f1c0d3b6a9e2f5c8d1b4a7e0f3c6d9b2a5e8f1c',
    secretapikey: 'sk1_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c',
    domains: [SEED_APEX, 'empty-zone.com', 'not-opted-in.com'],
    optedIn: [SEED_APEX, 'empty-zone.com'],
  },
  /** A valid key pair of an account that holds the seed domain without having opted it in to API access. */
  optedOut: {
    apikey: 'pk1_0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f',
    secretapikey: 'sk1_1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a',
    domains: [SEED_APEX],
    optedIn: [],
  },
} as const satisfies Record<string, PorkbunFakeAccount>;

export interface PorkbunFakeCall {
  readonly method: string;
  /** Decoded path, without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body as sent (credentials included: the log stays inside the test). */
  readonly body: unknown;
  /** create, edit, delete and the ByNameType variants: the calls that change the zone. */
  readonly write: boolean;
  /** Refused by the per-key rate limit (503 or 202), not by an injected fault. */
  rateLimited: boolean;
  /** 0 while no reply was sent (a hang, a reset, a lost reply). */
  status: number;
}

/** A conformance fault, or Porkbun's WAF challenge; `pathIncludes` narrows it to some calls. */
export type PorkbunFault = (
  | ConformanceFault
  | { readonly kind: 'waf-challenge'; readonly on: 'read' | 'write'; readonly times?: number | 'always' }
) & { readonly pathIncludes?: string };

export interface PorkbunFakeBehaviour {
  /**
   * Least time between two requests of one API key ("1 request per second per API key", Porkbun support quoted in
   * jungaretti/bacon#45 and nrdcg/porkbun#3); 0 turns the limit off. Every request counts, refused ones included.
   * @default 1000
   */
  minIntervalMs?: number;
  /** The answer past the limit: the openresty 503 page, the WAF 202 challenge, or each in turn. @default 'alternate' */
  rateLimitReply?: '503' | '202' | 'alternate';
}

export interface PorkbunFake {
  readonly baseUrl: string;
  /** Zones by domain, records in wire form. Tests may inspect and edit them. */
  readonly state: { zones: Map<string, PorkbunWireRecord[]>; accounts: PorkbunFakeAccount[] };
  readonly calls: PorkbunFakeCall[];
  /** A deep copy of a zone's records. */
  snapshot(domain?: string): PorkbunWireRecord[];
  /** Plants a record (full name, neutral content) as if made in Porkbun's panel; returns it. */
  add(record: DesiredRecord, domain?: string): PorkbunWireRecord;
  failNext(fault: PorkbunFault): void;
  /** Runs `action` inside the fake just before it handles the next write call. */
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: PorkbunFakeBehaviour): void;
  close(): Promise<void>;
}

/** hexdocs Porkbun.DNS `create_record`: "Valid types are: A, MX, CNAME, ALIAS, TXT, NS, AAAA, SRV, TLSA, CAA, HTTPS, SVCB". */
const RECORD_TYPES = new Set(['A', 'MX', 'CNAME', 'ALIAS', 'TXT', 'NS', 'AAAA', 'SRV', 'TLSA', 'CAA', 'HTTPS', 'SVCB']);
/** "Minimum and default is 600 seconds" (hexdocs); lower values are silently raised to it (pkb_client Readme "Notes"). */
const MIN_TTL = 600;
/** Content that is a host name: read back without a trailing dot (dnscontrol `toRc` appends one) [code]. */
const HOST_TARGETS = new Set(['CNAME', 'MX', 'NS', 'ALIAS']);

/** Porkbun's messages, quoted where they were observed. */
const MESSAGES = {
  /** nrdcg/porkbun fixture error.json [obs-mock]. */
  badKey: 'Invalid API key. (001)',
  /** jeessy2/ddns-go#388: a known key with the wrong secret, HTTP 400 [obs]. */
  badSecret: 'Invalid API key. (002)',
  /** jeessy2/ddns-go#1015, caddy-dns/porkbun#15, HTTP 400 [obs]. */
  notOptedIn: 'Domain is not opted in to API access.',
  /** caddy-dns/porkbun#29, acme.sh#3450 [obs]; used for any domain outside the account [infer]. */
  invalidDomain: 'Invalid domain.',
  /** qdm12/ddns-updater#527, #546 [obs]; what triggers it (a duplicate, a CNAME clash) is [infer]. */
  createError: 'Create error: We were unable to create the DNS record.',
  /** qdm12/ddns-updater#536, kyswtn/terraform-provider-porkbun#8 [obs]; the trigger (an unknown id) is [infer]. */
  editError: 'Edit error: We were unable to edit the DNS record.',
  /** By analogy with the two above [infer]. */
  deleteError: 'Delete error: We were unable to delete the DNS record.',
  /** cullenmcdermott/terraform-provider-porkbun#68 [obs]. */
  noId: 'You need to pass an ID.',
};

/** The openresty page of a 503 past the rate limit (nrdcg/porkbun fixture error503.json, dnscontrol#3225) [obs]. */
const OPENRESTY_503 =
  '<html>\n<head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n<center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>openresty</center>\n</body>\n</html>';
/** The AWS WAF challenge: HTTP 202, `x-amzn-waf-action: challenge`, an HTML page (dnscontrol PR #3019) [obs]; body [infer]. */
const WAF_CHALLENGE = '<!DOCTYPE html><html lang="en"><head><title></title></head><body><div id="challenge-container"></div><noscript>JavaScript is disabled</noscript></body></html>';
/** A 500 from behind the edge; its body is not documented [infer]. */
const OPENRESTY_500 = '<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\n<center><h1>500 Internal Server Error</h1></center>\n<hr><center>openresty</center>\n</body>\n</html>';

let nextId = 106_926_652;

/** Seed or planted records (full names, neutral content) → Porkbun's wire form. */
export function toPorkbunWire(records: readonly DesiredRecord[], apex: string): PorkbunWireRecord[] {
  return records.map((r) => wireRecord(r, apex));
}

function wireRecord(r: DesiredRecord, apex: string): PorkbunWireRecord {
  const type = r.type.toUpperCase();
  const content = HOST_TARGETS.has(type) ? r.content.replace(/\.$/, '') : r.content;
  // The seed keeps TTLs under 600: the panel allows them, only the API raises them (pkb_client Readme "Notes").
  return { id: String(nextId++), name: r.name.toLowerCase() === apex ? apex : r.name.toLowerCase(), type, content, ttl: String(r.ttl), prio: String(r.priority ?? 0), notes: '' };
}

export async function startPorkbunFake(options: { accounts?: PorkbunFakeAccount[]; behaviour?: PorkbunFakeBehaviour } = {}): Promise<PorkbunFake> {
  const zones = new Map<string, PorkbunWireRecord[]>([
    [SEED_APEX, toPorkbunWire(seedRecords(), SEED_APEX)],
    ['empty-zone.com', []],
    ['not-opted-in.com', []],
  ]);
  const accounts = options.accounts ?? [PORKBUN_FAKE_ACCOUNTS.good, PORKBUN_FAKE_ACCOUNTS.optedOut];
  const calls: PorkbunFakeCall[] = [];
  const faults: { fault: PorkbunFault; left: number }[] = [];
  const writeHooks: (() => void | Promise<void>)[] = [];
  let behaviour: Required<PorkbunFakeBehaviour> = { minIntervalMs: 1000, rateLimitReply: 'alternate', ...options.behaviour };
  const lastArrival = new Map<string, number>();
  let limitedCount = 0;
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const arrived = Date.now();
      const url = new URL(req.url ?? '/', 'http://fake');
      // Served under Porkbun's base path (§3: https://api.porkbun.com/api/json/v3); logged without it.
      const path = decodeURIComponent(url.pathname).replace(/^\/api\/json\/v3(?=\/)/, '');
      let body: unknown;
      let bodyError = false;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        bodyError = true;
      }
      const fields = isObject(body) ? body : {};
      const write = /^\/dns\/(create|edit|delete|editByNameType|deleteByNameType)\//.test(path);
      const call: PorkbunFakeCall = { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body, write, rateLimited: false, status: 0 };
      calls.push(call);
      const reply = (status: number, payload: unknown) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      };
      const html = (status: number, page: string, headers: Record<string, string> = {}) => {
        call.status = status;
        res.writeHead(status, { 'content-type': 'text/html', ...headers }).end(page);
      };

      // The per-key limit counts every arrival, whatever is served (Porkbun support: "1 request per second per API
      // key", bacon#45). Keyed by the body's apikey, or the peer when there is none [infer].
      const rateKey = typeof fields.apikey === 'string' ? fields.apikey : (req.socket.remoteAddress ?? '');
      const previous = lastArrival.get(rateKey);
      lastArrival.set(rateKey, arrived);
      const tooSoon = behaviour.minIntervalMs > 0 && previous !== undefined && arrived - previous < behaviour.minIntervalMs;

      const fault = takeFault(call);
      if (fault) {
        switch (fault.kind) {
          case 'hang':
            return; // held open until the client gives up or close() ends it
          case 'reset':
            return void req.socket.destroy();
          case 'malformed':
            // A cut JSON body with HTTP 200 [infer: any upstream can fail so].
            call.status = 200;
            return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS","records":[{"id":"1069');
          case 'server-error':
            return html(500, OPENRESTY_500);
          case 'rate-limited':
            // Porkbun's rate-limit page; no source shows a Retry-After, the fake sends the one asked for [infer].
            return html(503, OPENRESTY_503, { 'retry-after': String(fault.retryAfterSeconds) });
          case 'waf-challenge':
            return html(202, WAF_CHALLENGE, { 'x-amzn-waf-action': 'challenge' });
          case 'echo-credentials':
            // The auth refusal, made to repeat what the request carried (the conformance suite's leak check).
            return reply(400, { status: 'ERROR', message: `${MESSAGES.badKey} apikey=${String(fields.apikey)} secretapikey=${String(fields.secretapikey)}` });
          case 'lost-reply':
            break; // handled for real below, then the connection is cut
        }
      }
      if (tooSoon) {
        call.rateLimited = true;
        limitedCount++;
        const use202 = behaviour.rateLimitReply === '202' || (behaviour.rateLimitReply === 'alternate' && limitedCount % 2 === 0);
        return use202 ? html(202, WAF_CHALLENGE, { 'x-amzn-waf-action': 'challenge' }) : html(503, OPENRESTY_503);
      }
      const answer = async (status: number, payload: unknown) => {
        if (fault?.kind === 'lost-reply') {
          // Applied in full; the reply never comes.
          call.status = 0;
          req.socket.destroy();
          return;
        }
        reply(status, payload);
      };
      // nrdcg/porkbun client.go and dnscontrol api.go send every call as a POST with a JSON body [code]; the v3.7
      // header authentication and GET retrieve (porkbun.com/llms/dns) are not modelled: the adapter does not use them.
      if (call.method !== 'POST') return reply(405, { status: 'ERROR', message: 'Only POST is accepted here.' });
      if (bodyError || !isObject(body)) return reply(400, { status: 'ERROR', message: 'Invalid JSON.' });
      const account = accounts.find((a) => a.apikey === fields.apikey);
      if (!account) return reply(400, { status: 'ERROR', message: MESSAGES.badKey });
      if (account.secretapikey !== fields.secretapikey) return reply(400, { status: 'ERROR', message: MESSAGES.badSecret });
      if (write && writeHooks.length > 0) await writeHooks.shift()!();
      const [status, payload] = route(account, path, fields);
      await answer(status, payload);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function takeFault(call: PorkbunFakeCall): PorkbunFault | undefined {
    const isRead = call.path.startsWith('/dns/retrieve/');
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
  const ok = (extra: Record<string, unknown> = {}): Answer => [200, { status: 'SUCCESS', ...extra }];
  const error = (message: string): Answer => [400, { status: 'ERROR', message }];

  function route(account: PorkbunFakeAccount, path: string, fields: Record<string, unknown>): Answer {
    // llms/dns, nrdcg fixture ping.json: checks the key pair only, not any domain's opt-in (§3 trap 1).
    if (path === '/ping' || path === '/ping/') return ok({ yourIp: '127.0.0.1' });
    const parts = path.split('/').slice(1);
    if (parts[0] !== 'dns' || !parts[1]) return [404, { status: 'ERROR', message: 'Invalid endpoint.' }];
    const [, action, rawDomain, ...rest] = parts;
    const domain = (rawDomain ?? '').toLowerCase();
    const zone = zones.get(domain);
    if (!zone || !account.domains.includes(domain)) return error(MESSAGES.invalidDomain);
    if (!account.optedIn.includes(domain)) return error(MESSAGES.notOptedIn);
    switch (action) {
      case 'retrieve': {
        // All "editable" records, no pagination (llms/dns); `/{id}` narrows to one.
        const id = rest[0];
        return ok({ cloudflare: 'enabled', records: structuredClone(id ? zone.filter((r) => r.id === id) : zone) });
      }
      case 'retrieveByNameType': {
        const [type, sub = ''] = rest;
        const name = sub ? `${sub.toLowerCase()}.${domain}` : domain;
        return ok({ cloudflare: 'enabled', records: structuredClone(zone.filter((r) => r.type === type?.toUpperCase() && r.name === name)) });
      }
      case 'create': {
        const record = parseRecord(fields, domain, undefined);
        if (typeof record === 'string') return error(record === 'generic' ? MESSAGES.createError : record);
        if (clashes(zone, record)) return error(MESSAGES.createError);
        zone.push(record);
        // The new id is a number here, a string in retrieve (nrdcg fixture create.json; §3 trap 5).
        return ok({ id: Number(record.id) });
      }
      case 'edit': {
        const id = rest[0];
        if (!id) return error(MESSAGES.noId);
        const index = zone.findIndex((r) => r.id === id);
        if (index < 0) return error(MESSAGES.editError);
        // The edit sets the record as given, with create's defaults for what is left out: no `name` is the apex, no
        // `ttl` is 600, no `notes` clears them [infer from the create fields, hexdocs `edit_record`].
        const record = parseRecord(fields, domain, id);
        if (typeof record === 'string') return error(record === 'generic' ? MESSAGES.editError : record);
        if (clashes(zone.filter((_, i) => i !== index), record)) return error(MESSAGES.editError);
        zone[index] = record;
        return ok();
      }
      case 'editByNameType': {
        // "Edits all DNS records for the domain that match a particular subdomain and type" (hexdocs); none matching:
        // SUCCESS and nothing written (stalwartlabs/dns-update#67) [obs].
        const [type, sub = ''] = rest;
        const name = sub ? `${sub.toLowerCase()}.${domain}` : domain;
        for (const [i, r] of zone.entries()) {
          if (r.type !== type?.toUpperCase() || r.name !== name) continue;
          const record = parseRecord({ ...fields, type: r.type, name: sub }, domain, r.id);
          if (typeof record === 'string') return error(MESSAGES.editError);
          zone[i] = record;
        }
        return ok();
      }
      case 'delete': {
        const id = rest[0];
        if (!id) return error(MESSAGES.noId);
        const index = zone.findIndex((r) => r.id === id);
        if (index < 0) return error(MESSAGES.deleteError);
        zone.splice(index, 1);
        return ok();
      }
      case 'deleteByNameType': {
        // The whole (name, type) set (§3 endpoints).
        const [type, sub = ''] = rest;
        const name = sub ? `${sub.toLowerCase()}.${domain}` : domain;
        zones.set(domain, zone.filter((r) => !(r.type === type?.toUpperCase() && r.name === name)));
        return ok();
      }
      default:
        return [404, { status: 'ERROR', message: 'Invalid endpoint.' }];
    }
  }

  const server_ = await new Promise<ReturnType<typeof createServer>>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
  const { port } = server_.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/api/json/v3`,
    state: { zones, accounts },
    calls,
    snapshot: (domain = SEED_APEX) => structuredClone(zones.get(domain) ?? []),
    add(record, domain = SEED_APEX) {
      const wire = wireRecord(record, domain);
      zones.get(domain)!.push(wire);
      return structuredClone(wire);
    },
    failNext: (fault) => {
      const times = 'times' in fault ? fault.times : undefined;
      faults.push({ fault, left: times === 'always' ? Infinity : (times ?? 1) });
    },
    beforeNextWrite: (action) => void writeHooks.push(action),
    clearFaults: () => {
      faults.splice(0);
      writeHooks.splice(0);
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
 * A create or edit body → the stored record, or an error message ('generic' for the endpoint's own "unable to"
 * error). Fields as hexdocs `create_record` documents them: `name` relative ('' or absent = the apex, `*` wildcard),
 * `type`, `content`, `ttl`, `prio`, `notes`; numbers may come as strings (dnscontrol and nrdcg send strings) [code].
 */
function parseRecord(fields: Record<string, unknown>, domain: string, id: string | undefined): PorkbunWireRecord | string {
  const type = typeof fields.type === 'string' ? fields.type.toUpperCase() : '';
  if (!RECORD_TYPES.has(type)) return 'generic';
  const sub = fields.name === undefined || fields.name === null ? '' : String(fields.name).toLowerCase();
  // A relative name is always taken as relative: an FQDN sent as `name` makes `www.example.com.example.com` [infer,
  // the relative-in / FQDN-out rule of §3 wire format].
  const name = sub === '' ? domain : `${sub}.${domain}`;
  if (typeof fields.content !== 'string' || fields.content === '') return 'generic';
  const content = HOST_TARGETS.has(type) ? fields.content.replace(/\.$/, '') : fields.content;
  let ttl = MIN_TTL;
  if (fields.ttl !== undefined && fields.ttl !== null && fields.ttl !== '') {
    const n = Number(fields.ttl);
    if (!Number.isInteger(n) || n < 0) return 'generic';
    // Silently raised to the minimum, never refused (pkb_client Readme "Notes"; certbot_dns_porkbun#50) [obs].
    ttl = Math.max(n, MIN_TTL);
  }
  const prio = fields.prio === undefined || fields.prio === null || fields.prio === '' ? '0' : String(Number(fields.prio));
  if (prio === 'NaN') return 'generic';
  const notes = typeof fields.notes === 'string' ? fields.notes : '';
  return { id: id ?? String(nextId++), name, type, content, ttl: String(ttl), prio, notes };
}

/** A CNAME shares its name with nothing (RFC 1034 §3.6.2), and an identical record is not created twice [infer]. */
function clashes(zone: readonly PorkbunWireRecord[], record: PorkbunWireRecord): boolean {
  return zone.some(
    (r) => r.name === record.name && (r.type === 'CNAME' || record.type === 'CNAME' || (r.type === record.type && r.content === record.content)),
  );
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

