/**
 * A loopback Hetzner Cloud DNS API (`api.hetzner.cloud/v1` zones, rrsets and actions; a real node:http server on
 * 127.0.0.1, port 0) that behaves as the sources say, and is unforgiving where Hetzner is. Facts and tags:
 * ../shared/reference/providers-cloud.md §7 ([doc] Hetzner Cloud API docs, [code] hcloud-go = hetznercloud/hcloud-go@b8cfa39,
 * lego = go-acme/lego `providers/dns/hetzner/internal/hetznerv1`, [obs] a reply quoted in an issue, [infer] mine).
 *
 * Unforgiving on purpose:
 * - `set_records` overwrites every value of the rrset, whatever was read (§7 trap 2): a careless adapter loses records.
 * - `POST …/rrsets` on an rrset that exists is 409 `uniqueness_error`; `PUT …/rrsets/{name}/{type}` with records is
 *   422 "can't update records with this endpoint" (§7 trap 1).
 * - `add_records` with a TTL other than the rrset's is refused (hcloud OpenAPI `AddRecordsToRrsetRequest.ttl`: "If
 *   set, and the RRSet being updated already has a TTL, the values must be the same"); only `change_ttl` changes it
 *   (§7 trap 3).
 * - Every write answers an action that stays `running` until it has been polled `pollsUntilDone` times with
 *   `GET /actions/{id}`; any write on the zone meanwhile is 423 `locked` (§7 trap 4).
 * - TXT values must be quoted strings of at most 255 bytes each (§7 trap 5).
 * - Values are zone-file presentation: a CNAME/MX/NS/SRV target without the trailing dot is relative to the zone, so
 *   an adapter that forgets the dot writes `target.example.com.example.com` (terraform-provider-hetznerdns#19 [obs]).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo, type Socket } from 'node:net';
import type { DesiredRecord } from '../../providers/types.js';
import { quoteTxt } from '../../src/records/txt.js';
import { SEED_APEX, seedRecords } from './seed-zone.js';

export interface HetznerFakeValue {
  value: string;
  comment?: string;
}

/** An rrset as hcloud-go `schema.ZoneRRSet` has it; `id` is `name/type` (hcloud-go `ZoneRRSet.nameAndType`). */
export interface HetznerFakeRrset {
  id: string;
  name: string;
  type: string;
  ttl: number | null;
  labels: Record<string, string>;
  protection: { change: boolean };
  records: HetznerFakeValue[];
  zone: number;
}

export interface HetznerFakeZone {
  readonly id: number;
  readonly name: string;
  /** Default TTL for rrsets whose `ttl` is null (hcloud-go `schema.Zone.TTL`). */
  ttl: number;
  mode: 'primary' | 'secondary';
  /** Tokens belong to one project and see only its zones (§7 "Auth"). */
  readonly project: string;
  rrsets: HetznerFakeRrset[];
}

export interface HetznerFakeToken {
  readonly token: string;
  readonly project: string;
  /** Read-only tokens get `token_readonly` on every write ([doc] §7 "Auth"). */
  readonly readOnly: boolean;
}

/** Test-only tokens (not real Hetzner tokens). */
export const HETZNER_FAKE_TOKENS = {
  good: { token: 'hcloudTOKENrw9fQ2mT7vLx3Rw8ZpHk4Nc6Yb1Je5Ua0SgD2kLm', project: 'shop', readOnly: false },
  readOnly: { token: 'hcloudTOKENro1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wXy', project: 'shop', readOnly: true },
  otherProject: { token: 'hcloudTOKENot7zY6xW5vU4tS3rQ2pO1nM0lK9jI8hG7fE6dC', project: 'blog', readOnly: false },
} as const satisfies Record<string, HetznerFakeToken>;

/** One record of the zone, flattened from its rrset (the unit the conformance driver compares). */
export interface HetznerWireRecord {
  readonly name: string;
  readonly type: string;
  /** The rrset's TTL; null = the zone's default. */
  readonly ttl: number | null;
  readonly value: string;
  readonly comment?: string;
}

export interface HetznerFakeCall {
  readonly method: string;
  /** Decoded path after `/v1`, without the query (`/zones/example.com/rrsets`). */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  status: number;
}

/** Which calls a fault applies to: the rrset list (`read`), any non-GET (`write`), an action poll, or any call. */
export type HetznerFaultTarget = 'read' | 'write' | 'poll' | 'any';

export type HetznerFault = {
  readonly on?: HetznerFaultTarget;
  /** @default 1; 'always' lasts until clearFaults() */
  readonly times?: number | 'always';
} & (
  | { readonly kind: 'status'; readonly status: 500 | 502 | 503 | 504; readonly html?: boolean }
  /** 429 with the RateLimit-* headers, `RateLimit-Reset` that many seconds ahead ([doc] §7 "Rate limit"). */
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number }
  /** 423 `locked`, as when another action runs on the zone (§7 trap 4). */
  | { readonly kind: 'locked' }
  /** 409 `conflict`: "The resource has changed during the request, please retry" (hcloud-go error.go). */
  | { readonly kind: 'conflict' }
  /** The write is accepted, its action ends in `error` and nothing changes (lego `get_action_error.json`). */
  | { readonly kind: 'action-error' }
  /** 401 whose message repeats the token the request carried. */
  | { readonly kind: 'echo-credentials' }
  /**
   * Transport failures [infer: any HTTP upstream can fail so]. `hang`, `reset` and `malformed` come before the call
   * is handled (nothing changes); `lost-reply` after it (a write has happened, its reply is lost).
   */
  | { readonly kind: 'hang' | 'reset' | 'malformed' | 'lost-reply' }
);

export interface HetznerFakeBehaviour {
  /** Largest `per_page` honoured (larger asks are cut to it). 100 = what dnscontrol asks for rrsets [infer]. @default 100 */
  pageLimit?: number;
  /** Polls an action needs before it leaves `running`. @default 1 */
  pollsUntilDone?: number;
}

export interface HetznerFake {
  readonly baseUrl: string;
  /** Zones by name, rrsets in wire form; tests may inspect and edit them. */
  readonly state: { zones: Map<string, HetznerFakeZone>; tokens: HetznerFakeToken[] };
  readonly calls: HetznerFakeCall[];
  /** The zone's records, flattened, deep-copied, in the API's order. */
  snapshot(zone?: string): HetznerWireRecord[];
  /** Puts the seed zone back exactly as it started (calls keep counting). */
  resetZone(): void;
  failNext(fault: HetznerFault): void;
  /** Runs `action` just before the next write call is handled (a second writer between read and write). */
  beforeNextWrite(action: () => void | Promise<void>): void;
  clearFaults(): void;
  setBehaviour(behaviour: HetznerFakeBehaviour): void;
  close(): Promise<void>;
}

/** The zone's default TTL: Hetzner's console default [infer]. */
export const HETZNER_FAKE_ZONE_TTL = 3600;
/** Hetzner's Cloud DNS name servers (lego fixture `zone.json` `authoritative_nameservers.assigned`). */
export const HETZNER_NAMESERVERS = ['hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com', 'helium.ns.hetzner.de'] as const;
/** lexicon accepts 60…2147483647 (§7 "Record format"). */
const MIN_TTL = 60;
const MAX_TTL = 2_147_483_647;
/** Default page size of the Cloud API (§7 "Pagination"). */
const DEFAULT_PER_PAGE = 25;
/** hcloud-go `ZoneRRSetType`. */
const RRSET_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'HINFO', 'HTTPS', 'MX', 'NS', 'PTR', 'RP', 'SOA', 'SRV', 'SVCB', 'TLSA', 'TXT']);

/**
 * The seed zone as Hetzner can hold it: one TTL per rrset (RFC 2181 §5.2; `ttl` is a field of the rrset, hcloud-go
 * `schema.ZoneRRSet`), so a value whose TTL differs from the first of its rrset takes the rrset's (the seed's backup
 * MX, 7200, becomes 3600).
 */
export function hetznerSeed(): DesiredRecord[] {
  const first = new Map<string, number>();
  return seedRecords().map((r) => {
    const key = `${r.name}/${r.type}`;
    if (!first.has(key)) first.set(key, r.ttl);
    return { ...r, ttl: first.get(key)! };
  });
}

/** Neutral records (full names) → rrsets in Hetzner's wire form. */
export function toHetznerRrsets(records: readonly DesiredRecord[], apex: string, zoneId: number): HetznerFakeRrset[] {
  const rrsets = new Map<string, HetznerFakeRrset>();
  for (const r of records) {
    const name = r.name === apex ? '@' : r.name.slice(0, -(apex.length + 1));
    const id = `${name}/${r.type}`;
    let rrset = rrsets.get(id);
    if (!rrset) {
      rrset = { id, name, type: r.type, ttl: r.ttl, labels: {}, protection: { change: false }, records: [], zone: zoneId };
      rrsets.set(id, rrset);
    }
    rrset.records.push({ value: wireValue(r) });
  }
  return [...rrsets.values()];
}

/** A neutral record → its zone-file presentation value (targets absolute with the dot, TXT quoted). */
export function wireValue(r: Pick<DesiredRecord, 'type' | 'content' | 'priority'>): string {
  const dot = (t: string) => (t.endsWith('.') ? t : `${t}.`);
  switch (r.type) {
    case 'TXT':
      return quoteTxt(r.content);
    case 'CNAME':
    case 'NS':
      return dot(r.content);
    case 'MX':
      return `${r.priority ?? 0} ${dot(r.content)}`;
    case 'SRV': {
      const [weight, port, target] = r.content.split(' ');
      return `${r.priority ?? 0} ${weight} ${port} ${dot(target ?? '.')}`;
    }
    default:
      return r.content;
  }
}

interface FakeAction {
  readonly id: number;
  readonly command: string;
  readonly zoneId: number;
  readonly started: string;
  status: 'running' | 'success' | 'error';
  finished: string | null;
  pollsLeft: number;
  readonly outcome: 'success' | 'error';
}

type Reply = (status: number, payload?: unknown, headers?: Record<string, string>) => void;

export async function startHetznerFake(options: { behaviour?: HetznerFakeBehaviour; tokens?: HetznerFakeToken[] } = {}): Promise<HetznerFake> {
  const seedZone = (): HetznerFakeZone => ({
    id: 4_200_001,
    name: SEED_APEX,
    ttl: HETZNER_FAKE_ZONE_TTL,
    mode: 'primary',
    project: 'shop',
    rrsets: toHetznerRrsets(hetznerSeed(), SEED_APEX, 4_200_001),
  });
  const zones = new Map<string, HetznerFakeZone>([
    [SEED_APEX, seedZone()],
    ['empty-zone.com', { id: 4_200_002, name: 'empty-zone.com', ttl: HETZNER_FAKE_ZONE_TTL, mode: 'primary', project: 'shop', rrsets: [] }],
    ['other-project.com', { id: 4_200_003, name: 'other-project.com', ttl: HETZNER_FAKE_ZONE_TTL, mode: 'primary', project: 'blog', rrsets: [] }],
  ]);
  const tokens: HetznerFakeToken[] = options.tokens ?? Object.values(HETZNER_FAKE_TOKENS);
  const calls: HetznerFakeCall[] = [];
  const faults: { fault: HetznerFault; left: number }[] = [];
  const writeHooks: (() => void | Promise<void>)[] = [];
  const actions = new Map<number, FakeAction>();
  let nextActionId = 1_000;
  let behaviour: HetznerFakeBehaviour = { ...options.behaviour };
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      // The API lives under /v1 (HETZNER_API_URL = https://api.hetzner.cloud/v1); the log and routes drop the prefix.
      const versioned = url.pathname.startsWith('/v1/');
      url.pathname = versioned ? url.pathname.slice(3) : '/not-found';
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
      const method = req.method ?? 'GET';
      const call: HetznerFakeCall = { method, path, query: Object.fromEntries(url.searchParams), body, status: 0 };
      calls.push(call);
      let lost = false;
      const reply: Reply = (status, payload, headers = {}) => {
        call.status = status;
        if (lost) {
          // The call was handled (a write happened); the connection is cut before the reply.
          res.destroy();
          return;
        }
        res.writeHead(status, { 'content-type': 'application/json', ...rateLimitHeaders(), ...headers });
        res.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      const fault = takeFault(call);
      if (fault?.kind === 'hang') return; // left open until the client gives up or close() cuts it
      if (fault?.kind === 'reset') return void res.destroy();
      if (fault?.kind === 'malformed') {
        call.status = 200;
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"rrsets":[{"name":"@","type":"A","ttl":36');
      }
      if (fault?.kind === 'status') {
        call.status = fault.status;
        if (fault.html) return void res.writeHead(fault.status, { 'content-type': 'text/html' }).end(`<html><body><h1>${fault.status} Bad Gateway</h1></body></html>`);
        return reply(fault.status, apiError('server_error', 'Error within the API backend'));
      }
      if (fault?.kind === 'rate-limited') {
        // [doc] §7: 429 once the bucket (3600/h, refilled 1 per second) is empty; RateLimit-Reset is unix time.
        return reply(429, apiError('rate_limit_exceeded', 'limit of 3600 requests per hour reached'), {
          'ratelimit-limit': '3600',
          'ratelimit-remaining': '0',
          'ratelimit-reset': String(Math.ceil(Date.now() / 1000 + fault.retryAfterSeconds)),
        });
      }
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (fault?.kind === 'echo-credentials') {
        return reply(401, apiError('unauthorized', `unable to authenticate with token ${token ?? ''}`));
      }
      const account = tokens.find((t) => t.token === token);
      // hcloud-go error_test.go: `unable to authenticate (unauthorized)`; lexicon `_fetch_zone`: 401 = auth error.
      if (!account) return reply(401, apiError('unauthorized', 'unable to authenticate'));
      if (bodyError) return reply(400, apiError('json_error', 'Invalid JSON in request'));
      if (method !== 'GET') {
        // hcloud-go error.go: "The token is only allowed to perform GET requests" [status infer].
        if (account.readOnly) return reply(403, apiError('token_readonly', 'The token is only allowed to perform GET requests'));
        for (const hook of writeHooks.splice(0)) await hook();
        if (fault?.kind === 'locked') return reply(423, apiError('locked', 'there is already an Action running'));
        if (fault?.kind === 'conflict') return reply(409, apiError('conflict', 'The resource has changed during the request, please retry'));
      }
      if (fault?.kind === 'lost-reply') lost = true;
      route(account, call, url, reply, fault?.kind === 'action-error');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function takeFault(call: HetznerFakeCall): HetznerFault | undefined {
    const found = faults.find(({ fault }) => matches(fault.on ?? 'any', call));
    if (!found) return undefined;
    if (Number.isFinite(found.left) && --found.left <= 0) faults.splice(faults.indexOf(found), 1);
    return found.fault;
  }

  function matches(target: HetznerFaultTarget, call: HetznerFakeCall): boolean {
    if (target === 'any') return true;
    if (target === 'write') return call.method !== 'GET';
    if (target === 'poll') return call.method === 'GET' && /^\/actions\/\d+$/.test(call.path);
    return call.method === 'GET' && /^\/zones\/[^/]+\/rrsets$/.test(call.path);
  }

  /** [doc] §7: RateLimit-Limit/-Remaining/-Reset on every reply; 3600/h refilled one per second. */
  function rateLimitHeaders(): Record<string, string> {
    const used = Math.min(3600, calls.length);
    return {
      'ratelimit-limit': '3600',
      'ratelimit-remaining': String(3600 - used),
      'ratelimit-reset': String(Math.ceil(Date.now() / 1000) + used),
    };
  }

  function zoneOf(account: HetznerFakeToken, idOrName: string): HetznerFakeZone | undefined {
    const zone = [...zones.values()].find((z) => String(z.id) === idOrName || z.name === idOrName.toLowerCase());
    // A token sees its own project's zones only; another project's zone is simply not found [infer, §11].
    return zone && zone.project === account.project ? zone : undefined;
  }

  function route(account: HetznerFakeToken, call: HetznerFakeCall, url: URL, reply: Reply, actionFails: boolean): void {
    const parts = url.pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
    const notFound = () => reply(404, apiError('not_found', 'Entity not found')); // lego fixture error-not_found.json
    if (parts[0] === 'actions' && parts.length === 2 && call.method === 'GET') return getAction(parts[1]!, reply);
    if (parts[0] !== 'zones') return notFound();
    if (parts.length === 1) {
      if (call.method !== 'GET') return notFound();
      const name = url.searchParams.get('name');
      const list = [...zones.values()].filter((z) => z.project === account.project && (!name || z.name === name));
      return reply(200, { zones: list.map(zoneView), meta: { pagination: pagination(1, 25, list.length) } });
    }
    const zone = zoneOf(account, parts[1]!);
    if (!zone) return notFound();
    if (parts.length === 2) return call.method === 'GET' ? reply(200, { zone: zoneView(zone) }) : notFound();
    if (parts[2] === 'actions' && parts.length === 3 && call.method === 'GET') {
      const status = url.searchParams.getAll('status');
      const list = [...actions.values()].filter((a) => a.zoneId === zone.id && (status.length === 0 || status.includes(a.status)));
      return reply(200, { actions: list.map(actionView), meta: { pagination: pagination(1, 25, list.length) } });
    }
    if (parts[2] !== 'rrsets') return notFound();
    if (zone.mode !== 'primary') return reply(422, apiError('incorrect_zone_mode', "This operation is not supported for this Zone's mode"));
    const rrName = parts[3];
    const rrType = parts[4];
    if (rrName === undefined) {
      if (call.method === 'GET') return listRrsets(zone, url, reply);
      if (call.method === 'POST') return createRrset(zone, call.body, reply, actionFails);
      return notFound();
    }
    const rrset = zone.rrsets.find((r) => r.name === rrName && r.type === rrType);
    if (parts.length === 5) {
      if (call.method === 'GET') return rrset ? reply(200, { rrset: clone(rrset) }) : notFound();
      if (call.method === 'PUT') {
        if (!rrset) return notFound();
        const o = isObject(call.body) ? call.body : {};
        // ddclient/ddclient#871 [obs]: records cannot be changed through PUT; only labels can.
        if ('records' in o || 'ttl' in o) return reply(422, invalidInput('records', "can't update records with this endpoint"));
        if (isObject(o.labels)) rrset.labels = { ...(o.labels as Record<string, string>) };
        return reply(200, { rrset: clone(rrset) });
      }
      if (call.method === 'DELETE') {
        if (!rrset) return notFound();
        return write(zone, 'delete_rrset', reply, actionFails, () => {
          zone.rrsets = zone.rrsets.filter((r) => r !== rrset);
          return undefined;
        });
      }
      return notFound();
    }
    if (parts[5] !== 'actions' || parts.length !== 7 || call.method !== 'POST') return notFound();
    return rrsetAction(zone, rrName, rrType ?? '', rrset, parts[6]!, call.body, reply, actionFails);
  }

  function listRrsets(zone: HetznerFakeZone, url: URL, reply: Reply): void {
    const name = url.searchParams.get('name');
    const types = url.searchParams.getAll('type');
    const list = zone.rrsets.filter((r) => (!name || r.name === name) && (types.length === 0 || types.includes(r.type)));
    // [doc] §7 "Pagination": page/per_page, meta.pagination with next_page null on the last page.
    const perPage = Math.max(1, Math.min(Number(url.searchParams.get('per_page') ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE, behaviour.pageLimit ?? 100));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const items = list.slice((page - 1) * perPage, page * perPage);
    reply(200, { rrsets: items.map(clone), meta: { pagination: pagination(page, perPage, list.length) } });
  }

  /** `POST /zones/{z}/rrsets` (hcloud-go `CreateRRSet`): 409 when it exists (§7 trap 1, qdm12/ddns-updater PR#1165). */
  function createRrset(zone: HetznerFakeZone, body: unknown, reply: Reply, actionFails: boolean): void {
    const o = isObject(body) ? body : {};
    const name = typeof o.name === 'string' ? o.name : '';
    const type = typeof o.type === 'string' ? o.type : '';
    const problem = nameProblem(name, zone) ?? (RRSET_TYPES.has(type) ? undefined : `type: ${type} is not a valid rrset type`);
    if (problem) return reply(422, invalidInput(problem.split(':')[0]!, problem));
    const ttl = ttlOf(o.ttl);
    if (ttl === 'bad') return reply(422, invalidInput('ttl', `must be between ${MIN_TTL} and ${MAX_TTL}`));
    const records = recordsOf(o.records, type, true);
    if (typeof records === 'string') return reply(422, invalidInput('records', records));
    if (zone.rrsets.some((r) => r.name === name && r.type === type)) {
      return reply(409, apiError('uniqueness_error', 'rrset with the same name and type already exists'));
    }
    const clash = cnameClash(zone, name, type, records.length);
    if (clash) return reply(422, invalidInput('records', clash));
    const rrset: HetznerFakeRrset = {
      id: `${name}/${type}`,
      name,
      type,
      ttl: ttl ?? null,
      labels: isObject(o.labels) ? { ...(o.labels as Record<string, string>) } : {},
      protection: { change: false },
      records,
      zone: zone.id,
    };
    write(zone, 'create_rrset', reply, actionFails, () => {
      zone.rrsets.push(rrset);
      return { rrset: clone(rrset) };
    });
  }

  function rrsetAction(
    zone: HetznerFakeZone,
    name: string,
    type: string,
    rrset: HetznerFakeRrset | undefined,
    command: string,
    body: unknown,
    reply: Reply,
    actionFails: boolean,
  ): void {
    const o = isObject(body) ? body : {};
    if (command === 'add_records') {
      // "For convenience, the RRSet will be automatically created if it doesn't exist" (Hetzner docs, add records).
      const problem = rrset ? undefined : (nameProblem(name, zone) ?? (RRSET_TYPES.has(type) ? undefined : `type: ${type} is not a valid rrset type`));
      if (problem) return reply(422, invalidInput(problem.split(':')[0]!, problem));
      const records = recordsOf(o.records, type, true);
      if (typeof records === 'string') return reply(422, invalidInput('records', records));
      const ttl = ttlOf(o.ttl);
      if (ttl === 'bad') return reply(422, invalidInput('ttl', `must be between ${MIN_TTL} and ${MAX_TTL}`));
      // hcloud OpenAPI AddRecordsToRrsetRequest.ttl: "If set, and the RRSet … already has a TTL, the values must be the same."
      if (rrset && ttl !== undefined && rrset.ttl !== null && ttl !== rrset.ttl) {
        return reply(422, invalidInput('ttl', 'must be the same as the TTL of the existing RRSet; use change_ttl'));
      }
      const present = rrset?.records ?? [];
      const duplicate = records.find((r) => present.some((p) => p.value === r.value));
      if (duplicate) return reply(422, invalidInput('records', `record ${duplicate.value} already exists in the RRSet`)); // [infer]
      const clash = cnameClash(zone, name, type, present.length + records.length);
      if (clash) return reply(422, invalidInput('records', clash));
      return write(zone, 'add_rrset_records', reply, actionFails, () => {
        if (rrset) {
          rrset.records.push(...records);
          if (rrset.ttl === null && ttl !== undefined) rrset.ttl = ttl;
        } else {
          zone.rrsets.push({ id: `${name}/${type}`, name, type, ttl: ttl ?? null, labels: {}, protection: { change: false }, records, zone: zone.id });
        }
        return undefined;
      });
    }
    if (!rrset) return reply(404, apiError('not_found', 'Entity not found'));
    if (rrset.protection.change && command !== 'change_protection') {
      return reply(423, apiError('protected', 'The actions you are trying is protected')); // hcloud-go error.go [status infer]
    }
    switch (command) {
      case 'remove_records': {
        const records = recordsOf(o.records, type, false);
        if (typeof records === 'string') return reply(422, invalidInput('records', records));
        const missing = records.find((r) => !rrset.records.some((p) => p.value === r.value));
        if (missing) return reply(422, invalidInput('records', `record ${missing.value} does not exist in the RRSet`)); // [infer]
        return write(zone, 'remove_rrset_records', reply, actionFails, () => {
          rrset.records = rrset.records.filter((p) => !records.some((r) => r.value === p.value));
          // hcloud CLI "zone rrset remove-records": an rrset left without records is deleted.
          if (rrset.records.length === 0) zone.rrsets = zone.rrsets.filter((r) => r !== rrset);
          return undefined;
        });
      }
      case 'set_records': {
        // §7 trap 2: every value is replaced by the body, whatever anyone else wrote meanwhile.
        const records = recordsOf(o.records, type, true);
        if (typeof records === 'string') return reply(422, invalidInput('records', records));
        const clash = cnameClash(zone, name, type, records.length);
        if (clash) return reply(422, invalidInput('records', clash));
        return write(zone, 'set_rrset_records', reply, actionFails, () => {
          rrset.records = records;
          return undefined;
        });
      }
      case 'change_ttl': {
        const ttl = ttlOf(o.ttl);
        if (ttl === 'bad' || !('ttl' in o)) return reply(422, invalidInput('ttl', `must be between ${MIN_TTL} and ${MAX_TTL}`));
        return write(zone, 'change_rrset_ttl', reply, actionFails, () => {
          rrset.ttl = ttl ?? null;
          return undefined;
        });
      }
      case 'update_records': {
        // hcloud-go `UpdateRRSetRecords`: changes the comments of values that exist.
        const records = recordsOf(o.records, type, false);
        if (typeof records === 'string') return reply(422, invalidInput('records', records));
        const missing = records.find((r) => !rrset.records.some((p) => p.value === r.value));
        if (missing) return reply(422, invalidInput('records', `record ${missing.value} does not exist in the RRSet`));
        return write(zone, 'update_rrset_records', reply, actionFails, () => {
          for (const r of records) {
            const value = rrset.records.find((p) => p.value === r.value)!;
            if (r.comment) value.comment = r.comment;
            else delete value.comment;
          }
          return undefined;
        });
      }
      case 'change_protection':
        return write(zone, 'change_rrset_protection', reply, actionFails, () => {
          rrset.protection = { change: o.change === true };
          return undefined;
        });
      default:
        return reply(404, apiError('not_found', 'Entity not found'));
    }
  }

  /**
   * A write: refused with 423 `locked` while another action runs on the zone (§7 trap 4), else applied and answered
   * with a `running` action (lego fixture `add_rrset_records.json`). An `action-error` fault leaves the zone as it was
   * and makes the action end in `error` (lego `get_action_error.json`).
   */
  function write(zone: HetznerFakeZone, command: string, reply: Reply, actionFails: boolean, apply: () => Record<string, unknown> | undefined): void {
    if ([...actions.values()].some((a) => a.zoneId === zone.id && a.status === 'running')) {
      return reply(423, apiError('locked', 'there is already an Action running'));
    }
    const before = actionFails ? clone(zone.rrsets) : undefined;
    const extra = apply();
    if (before) zone.rrsets = before;
    const action: FakeAction = {
      id: nextActionId++,
      command,
      zoneId: zone.id,
      started: new Date().toISOString(),
      status: 'running',
      finished: null,
      pollsLeft: Math.max(0, behaviour.pollsUntilDone ?? 1),
      outcome: actionFails ? 'error' : 'success',
    };
    actions.set(action.id, action);
    if (action.pollsLeft === 0) finish(action);
    reply(201, { ...extra, action: actionView(action) });
  }

  function getAction(id: string, reply: Reply): void {
    const action = actions.get(Number(id));
    if (!action) return reply(404, apiError('not_found', 'Entity not found'));
    if (action.status === 'running' && --action.pollsLeft <= 0) finish(action);
    reply(200, { action: actionView(action) });
  }

  function finish(action: FakeAction): void {
    action.status = action.outcome;
    action.finished = new Date().toISOString();
  }

  function actionView(a: FakeAction): object {
    return {
      id: a.id,
      command: a.command,
      status: a.status,
      progress: a.status === 'running' ? 50 : 100,
      started: a.started,
      finished: a.finished,
      resources: [{ id: a.zoneId, type: 'zone' }],
      error: a.status === 'error' ? { code: 'action_failed', message: 'Action failed' } : null,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    state: { zones, tokens },
    calls,
    snapshot: (name = SEED_APEX) => flatten(zones.get(name)?.rrsets ?? []),
    resetZone: () => {
      zones.set(SEED_APEX, seedZone());
      actions.clear();
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

/** The rrsets' records, one item per value, in the API's order. */
export function flatten(rrsets: readonly HetznerFakeRrset[]): HetznerWireRecord[] {
  return rrsets.flatMap((r) => r.records.map((v) => ({ name: r.name, type: r.type, ttl: r.ttl, value: v.value, ...(v.comment ? { comment: v.comment } : {}) })));
}

function zoneView(zone: HetznerFakeZone): object {
  // hcloud-go schema.Zone; lego fixture zone.json.
  return {
    id: zone.id,
    name: zone.name,
    created: '2025-10-07T09:00:00+00:00',
    ttl: zone.ttl,
    mode: zone.mode,
    primary_nameservers: [],
    protection: { delete: false },
    labels: {},
    status: 'ok',
    record_count: zone.rrsets.reduce((n, r) => n + r.records.length, 0),
    authoritative_nameservers: {
      assigned: HETZNER_NAMESERVERS.map((n) => `${n}.`),
      delegated: HETZNER_NAMESERVERS.map((n) => `${n}.`),
      delegation_last_check: '2025-10-07T09:00:00+00:00',
      delegation_status: 'valid',
    },
    registrar: 'other',
  };
}

function pagination(page: number, perPage: number, total: number): object {
  const last = Math.max(1, Math.ceil(total / perPage));
  return {
    page,
    per_page: perPage,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < last ? page + 1 : null,
    last_page: last,
    total_entries: total,
  };
}

/** `{"error":{"code","message","details"}}` (lego `fixtures/error-*.json`; codes: hcloud-go error.go). */
function apiError(code: string, message: string, details: object | null = null): object {
  return { error: { code, message, details } };
}

/** lego fixture `error-invalid_input.json`: `invalid input in field '…': …` with `details.fields`. 422 per ddclient#871. */
function invalidInput(field: string, message: string): object {
  return apiError('invalid_input', `invalid input in field '${field}': ${message}`, { fields: [{ name: field, messages: [message] }] });
}

/** Hetzner's rr_name rules: lower case, no trailing dot, not ending with the zone name, `@` for the apex. */
function nameProblem(name: string, zone: HetznerFakeZone): string | undefined {
  if (name === '') return 'name: is required';
  if (name === '@') return undefined;
  if (name !== name.toLowerCase()) return 'name: must be in lower case';
  if (name.endsWith('.')) return 'name: must not end with a dot';
  if (name === zone.name || name.endsWith(`.${zone.name}`)) return 'name: must not end with the zone name';
  if (!/^[a-z0-9_*.-]+$/.test(name)) return 'name: contains invalid characters';
  return undefined;
}

function ttlOf(value: unknown): number | null | undefined | 'bad' {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_TTL || value > MAX_TTL) return 'bad';
  return value;
}

/** The `records` array of a body, each value checked for its type; a string is the refusal's message. */
function recordsOf(value: unknown, type: string, checkFormat: boolean): HetznerFakeValue[] | string {
  // hcloud OpenAPI: "Must not be empty and must only contain distinct record values."
  if (!Array.isArray(value) || value.length === 0) return 'must not be empty';
  const out: HetznerFakeValue[] = [];
  for (const item of value) {
    if (!isObject(item) || typeof item.value !== 'string') return 'each record needs a value';
    if (out.some((r) => r.value === item.value)) return 'must only contain distinct record values';
    if (checkFormat) {
      const problem = valueProblem(type, item.value);
      if (problem) return problem;
    }
    out.push(typeof item.comment === 'string' && item.comment !== '' ? { value: item.value, comment: item.comment } : { value: item.value });
  }
  if (type === 'CNAME' && out.length > 1) return 'a CNAME RRSet can hold one record only'; // RFC 1034 §3.6.2 [infer wording]
  return out;
}

const HOST = /^(?:@|\.|(?:[a-z0-9_*-]+\.)*[a-z0-9_-]+\.?)$/i;

/** What Hetzner refuses in a value of this type [infer: zone-file presentation rules], TXT per §7 trap 5. */
function valueProblem(type: string, value: string): string | undefined {
  switch (type) {
    case 'A':
      return isIPv4(value) ? undefined : `${value} is not a valid IPv4 address`;
    case 'AAAA':
      return isIPv6(value) ? undefined : `${value} is not a valid IPv6 address`;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return HOST.test(value) ? undefined : `${value} is not a valid host name`;
    case 'MX':
      return /^\d{1,5} \S+$/.test(value) && HOST.test(value.split(' ')[1]!) ? undefined : `${value} is not "preference exchange"`;
    case 'SRV':
      return /^\d+ \d+ \d+ \S+$/.test(value) ? undefined : `${value} is not "priority weight port target"`;
    case 'CAA':
      return /^\d+ [a-z0-9]+ "(?:[^"\\]|\\.)*"$/i.test(value) ? undefined : `${value} is not "flags tag \\"value\\""`;
    case 'TXT':
      return txtProblem(value);
    default:
      return value.trim() === '' ? 'must not be empty' : undefined;
  }
}

/**
 * §7 trap 5: "TXT values must be one or more quoted strings of at most 255 characters" (pulumi hcloud ZoneRrset);
 * ansible-collections/hetzner.hcloud#752 [obs]. Each string is measured in octets after unescaping [infer].
 */
function txtProblem(value: string): string | undefined {
  let i = 0;
  let strings = 0;
  while (i < value.length) {
    if (value[i] === ' ') {
      i++;
      continue;
    }
    if (value[i] !== '"') return 'TXT record value must be enclosed in double quotes';
    i++;
    const bytes: number[] = [];
    let closed = false;
    while (i < value.length) {
      const ch = value[i]!;
      if (ch === '"') {
        closed = true;
        i++;
        break;
      }
      if (ch === '\\') {
        const digits = value.slice(i + 1, i + 4);
        if (/^\d{3}$/.test(digits)) {
          bytes.push(Number(digits));
          i += 4;
          continue;
        }
        const next = String.fromCodePoint(value.codePointAt(i + 1) ?? 0);
        bytes.push(...Buffer.from(next, 'utf8'));
        i += 1 + next.length;
        continue;
      }
      const piece = String.fromCodePoint(value.codePointAt(i)!);
      bytes.push(...Buffer.from(piece, 'utf8'));
      i += piece.length;
    }
    if (!closed) return 'TXT record value has an unterminated quoted string';
    if (bytes.length > 255) return 'a TXT string exceeds 255 characters';
    strings++;
  }
  return strings === 0 ? 'TXT record value must be enclosed in double quotes' : undefined;
}

/** RFC 1034 §3.6.2: a CNAME shares its name with nothing else [infer: Hetzner refuses it as invalid input]. */
function cnameClash(zone: HetznerFakeZone, name: string, type: string, count: number): string | undefined {
  if (count === 0) return undefined;
  const others = zone.rrsets.filter((r) => r.name === name && r.type !== type && r.records.length > 0);
  if (type === 'CNAME' && others.length > 0) return `a CNAME record cannot share the name ${name} with other records`;
  if (type !== 'CNAME' && others.some((r) => r.type === 'CNAME')) return `${name} holds a CNAME record; no other record can be added there`;
  return undefined;
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

