/**
 * Record sets end to end, per provider: the real gateway over HTTP (REST and GraphQL) in front of each provider fake
 * (and the sandbox), every fake seeded with the same realistic customer zone (test/fakes/seed-zone.ts).
 *
 * One table of provider drivers feeds shared test bodies. A driver knows how to read its fake's whole zone in wire
 * form, how to view a wire record neutrally, how to pre-seed a record, and how many upstream calls a read and an
 * apply take at the minimum (providers.md §1 batch, §2 rrset PUT, §3 getHosts + setHosts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { print } from 'graphql';
import type { DesiredRecord, ProviderId } from '../providers/types.js';
import type { GodaddyRecord } from '../providers/godaddy.js';
import type { SandboxRecordRow, SandboxWrite, Store } from '../src/storage/store.js';
import type { FakeRecord as CloudflareWire } from './fakes/cloudflare-fake.js';
import type { FakeHost as NamecheapWire, FakeZone as NamecheapZone } from './fakes/namecheap-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from './fakes/seed-zone.js';
import { AuthorizeDnsDocument, SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { bearer, graphql, MASTER_DOMAIN, postJson, startGateway, type Gateway, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';

const SPF_INCLUDE = '_spf.sender-platform.net';
const APEX = SEED_APEX;
const SEED_SPF = seedRecords().find((r) => r.type === 'TXT' && r.name === APEX && r.content.startsWith('v=spf1'))!.content;
const SEED_DMARC = seedRecords().find((r) => r.name === `_dmarc.${APEX}`)!.content;

/** Wrong credentials, shaped like real ones so the providers' format checks pass and their auth check refuses them. */
const WRONG = {
  cloudflareToken: 'cfWRONGsecret0123456789abcdefghijklmnopq',
  godaddySecret: 'gds_WRONGsecret_0000',
  namecheapKey: 'ncWRONGsecret0123456789abcdef',
  anyKey: `sbx-${randomBytes(12).toString('hex')}`,
};
/** Every secret any request in this file sends: none may appear in a reply or a log line. */
const ALL_SECRETS = [
  SECRETS.cloudflareToken,
  SECRETS.godaddyKey,
  SECRETS.godaddySecret,
  SECRETS.godaddyDeniedKey,
  SECRETS.godaddyDeniedSecret,
  SECRETS.namecheapKey,
  ...Object.values(WRONG),
];
/** An address the Namecheap fake has not whitelisted (providers.md §3 trap 5). */
const UNLISTED_IP = '203.0.113.77';

// ------------------------------------------------------------------------------------------------ the world

let world: World;
let gw: Gateway;
/** A second gateway on the same fakes whose NAMECHEAP_CLIENT_IP is not whitelisted. */
let unlistedGw: Gateway;
/** Every reply body any gateway gave in this file. */
const replies: string[] = [];

const GATEWAY_ENV = { MAIL_SPF_INCLUDE: SPF_INCLUDE, RATE_LIMIT_MAX: '100000' };

beforeAll(async () => {
  world = await startWorld(GATEWAY_ENV);
  gw = world.gateway;
  unlistedGw = await startGateway({ ...GATEWAY_ENV, NAMECHEAP_API_URL: world.namecheap.baseUrl, NAMECHEAP_CLIENT_IP: UNLISTED_IP });
  for (const driver of DRIVERS) await driver.setup();
});
afterAll(async () => {
  await unlistedGw?.close();
  await world?.close();
});

/** After every test: no provider key or secret in any reply or log line of either gateway so far. */
afterEach(() => {
  const lines = [...gw.logLines, ...unlistedGw.logLines];
  for (const secret of ALL_SECRETS) {
    for (const reply of replies) expect(reply.includes(secret), `a reply leaks ${secret.slice(0, 6)}…`).toBe(false);
    for (const line of lines) expect(line.includes(secret), `a log line leaks ${secret.slice(0, 6)}…: ${line.slice(0, 200)}`).toBe(false);
  }
});

// ------------------------------------------------------------------------------------------------ transports

type Via = 'rest' | 'graphql';
type RecordSet = 'campaign' | 'email-gateway';

interface Credentials {
  readonly apiKey: string;
  readonly apiSecret?: string;
  readonly apiUser?: string;
  readonly username?: string;
}

interface Change {
  readonly action: string;
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly previous: string | null;
}

/** A reply of either transport, read the same way. */
interface Outcome {
  readonly ok: boolean;
  readonly code?: number;
  readonly message?: string;
  /** GraphQL always; REST only for a dry run (an applied REST dns.set answers exactly `{"success":true}`). */
  readonly changes?: Change[];
  readonly applied?: boolean;
  readonly text: string;
}

function restFields(provider: ProviderId, credentials: Credentials): Record<string, unknown> {
  return {
    Domain: APEX,
    Provider: provider,
    ApiKey: credentials.apiKey,
    ...(credentials.apiSecret ? { ApiSecret: credentials.apiSecret } : {}),
    ...(credentials.apiUser ? { ApiUser: credentials.apiUser } : {}),
    ...(credentials.username ? { Username: credentials.username } : {}),
  };
}

function fromRest(res: HttpResult): Outcome {
  replies.push(res.text);
  if (res.status === 200) return { ok: true, changes: res.json.changes, text: res.text };
  expect(res.json.Errors, res.text).toHaveLength(1);
  return { ok: false, code: res.json.Errors[0].Code, message: res.json.Errors[0].Message, text: res.text };
}

function fromGraphql(res: HttpResult, field: string): Outcome {
  replies.push(res.text);
  expect(res.json.errors, res.text).toBeUndefined();
  const data = res.json.data[field];
  if (data.__typename === 'DnsError') return { ok: false, code: data.code, message: data.message, text: res.text };
  return { ok: true, changes: data.changes, applied: data.applied, text: res.text };
}

async function authorize(via: Via, target: Gateway, provider: ProviderId, credentials: Credentials): Promise<Outcome> {
  if (via === 'rest') return fromRest(await postJson(target, '/api/v1/dns.authorize', restFields(provider, credentials), bearer(target.adminKey)));
  const input = { domain: APEX, provider: provider.toUpperCase(), credentials };
  return fromGraphql(await graphql(target, print(AuthorizeDnsDocument), { input }, target.adminKey), 'authorizeDns');
}

async function setRecords(
  via: Via,
  driver: Driver,
  recordSet: RecordSet,
  flags: { dryRun?: boolean; force?: boolean } = {},
): Promise<Outcome> {
  if (via === 'rest') {
    const body = { ...restFields(driver.id, driver.credentials), RecordType: recordSet, ...(flags.dryRun ? { DryRun: 'true' } : {}), ...(flags.force ? { Force: 'true' } : {}) };
    return fromRest(await postJson(gw, '/api/v1/dns.set', body, bearer(gw.adminKey)));
  }
  const input = {
    domain: APEX,
    provider: driver.id.toUpperCase(),
    recordType: recordSet === 'campaign' ? 'CAMPAIGN' : 'EMAIL_GATEWAY',
    credentials: driver.credentials,
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.force ? { force: true } : {}),
  };
  return fromGraphql(await graphql(gw, print(SetDnsRecordsDocument), { input }, gw.adminKey), 'setDnsRecords');
}

// ------------------------------------------------------------------------------------------------ drivers

/** A record as the tests compare it, whatever the provider's wire form. */
interface Neutral {
  readonly type: string;
  readonly name: string;
  readonly content: string;
  readonly ttl: number;
  readonly priority?: number | undefined;
}

interface CallCount {
  /** Every upstream call (undefined where there is no upstream API: the sandbox). */
  readonly total: number | undefined;
  readonly writes: number;
}

interface Driver {
  readonly id: ProviderId;
  readonly credentials: Credentials;
  /** Refused credentials: the reason the gateway must give, and optionally the gateway to ask. */
  readonly refused: readonly { label: string; credentials: Credentials; reason: string; gateway?: () => Gateway }[];
  setup(): Promise<void>;
  /** Puts the seed zone back. */
  reset(): Promise<void>;
  /** The whole zone in the provider's wire form, deep-copied. */
  snapshot(): Promise<unknown[]>;
  neutral(wire: unknown): Neutral;
  /** The wire form minus what a correct write may still change in an untouched record (Namecheap: HostId). */
  comparable(wire: unknown): unknown;
  /** Pre-seeds a record straight into the provider's state (as if the customer had made it). */
  add(record: DesiredRecord): Promise<void>;
  /** Upstream calls so far (cumulative; tests look at differences). */
  calls(): CallCount;
  /** The minimum calls of a command that reads the zone and writes nothing (a dry run, a re-apply). */
  readonly readOnly: CallCount;
  /** The minimum calls of a command that applies these planned changes. */
  applying(writes: readonly Change[]): CallCount;
  /** Provider-specific checks on a record the plan created or updated. */
  checkWritten?(wire: unknown): void;
}

const relative = (name: string) => (name === APEX ? '@' : name.slice(0, -(APEX.length + 1)));
const absolute = (label: string) => (label === '@' || label === '' ? APEX : `${label.toLowerCase()}.${APEX}`);
const isWrite = (c: Change) => c.action === 'CREATE' || c.action === 'UPDATE' || c.action === 'DELETE';
/** Quoted RFC 1035 strings (`"a" "b"`) → `ab`; an unquoted value stays as it is (providers.md §1 TXT content). */
const unquote = (content: string) =>
  /^\s*"/.test(content) ? [...content.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? '').replace(/\\(.)/g, '$1')).join('') : content;
const withPriority = (base: Omit<Neutral, 'priority'>, priority: number | undefined): Neutral =>
  priority === undefined ? base : { ...base, priority };

function cloudflareDriver(): Driver {
  let initial: CloudflareWire[] = [];
  const zone = () => [...world.cloudflare.state.zones.values()].find((z) => z.name === APEX)!;
  return {
    id: 'cloudflare',
    credentials: { apiKey: SECRETS.cloudflareToken },
    refused: [{ label: 'a wrong token', credentials: { apiKey: WRONG.cloudflareToken }, reason: 'Cloudflare: invalid API token' }],
    async setup() {
      initial = structuredClone(zone().records);
    },
    async reset() {
      zone().records = structuredClone(initial);
    },
    snapshot: async () => world.cloudflare.records(APEX),
    neutral(wire) {
      const r = wire as CloudflareWire;
      return withPriority({ type: r.type, name: r.name, content: r.type === 'TXT' ? unquote(r.content) : r.content, ttl: r.ttl }, r.priority);
    },
    comparable: (wire) => wire,
    async add(record) {
      const z = zone();
      const stamp = '2025-01-01T00:00:00.000000Z';
      z.records.push({
        id: randomBytes(16).toString('hex'), zone_id: z.id, zone_name: z.name, name: record.name, type: record.type, content: record.content,
        ...(record.priority === undefined ? {} : { priority: record.priority }),
        proxiable: ['A', 'AAAA', 'CNAME'].includes(record.type), proxied: false, ttl: record.ttl, comment: null, tags: [], settings: {}, meta: {},
        created_on: stamp, modified_on: stamp,
      });
    },
    calls: () => ({ total: world.cloudflare.calls.length, writes: world.cloudflare.calls.filter((c) => c.method !== 'GET').length }),
    // GET /zones?name= and GET /zones/{id}/dns_records (one page).
    readOnly: { total: 2, writes: 0 },
    // ... plus one POST /zones/{id}/dns_records/batch, whatever the plan holds.
    applying: () => ({ total: 3, writes: 1 }),
    checkWritten(wire) {
      const r = wire as CloudflareWire;
      // A proxied CNAME is served as A/AAAA: the DKIM and return-path CNAMEs would not exist (providers.md §1 trap 6).
      if (r.type === 'CNAME') expect(r.proxied, r.name).toBe(false);
    },
  };
}

function godaddyDriver(): Driver {
  let initial: GodaddyRecord[] = [];
  return {
    id: 'godaddy',
    credentials: { apiKey: SECRETS.godaddyKey, apiSecret: SECRETS.godaddySecret },
    refused: [
      { label: 'a wrong secret', credentials: { apiKey: SECRETS.godaddyKey, apiSecret: WRONG.godaddySecret }, reason: 'GoDaddy: invalid API key or secret' },
      {
        label: 'an account without API access (ACCESS_DENIED)',
        credentials: { apiKey: SECRETS.godaddyDeniedKey, apiSecret: SECRETS.godaddyDeniedSecret },
        reason: 'GoDaddy: account not eligible for API access',
      },
    ],
    async setup() {
      initial = world.godaddy.snapshot(APEX);
    },
    async reset() {
      world.godaddy.state.zones.set(APEX, structuredClone(initial));
    },
    snapshot: async () => world.godaddy.snapshot(APEX),
    neutral(wire) {
      const r = wire as GodaddyRecord;
      const content = r.type === 'SRV' ? `${r.weight} ${r.port} ${r.data}` : r.data;
      return withPriority({ type: r.type, name: absolute(r.name), content, ttl: r.ttl ?? 3600 }, r.priority);
    },
    comparable: (wire) => wire,
    async add(record) {
      world.godaddy.state.zones.get(APEX)!.push({ type: record.type, name: relative(record.name), data: record.content, ttl: record.ttl });
    },
    calls: () => ({ total: world.godaddy.calls.length, writes: world.godaddy.calls.filter((c) => c.method !== 'GET').length }),
    // GET /v1/domains/{domain}/records (one page).
    readOnly: { total: 1, writes: 0 },
    // ... plus one PUT (or DELETE, when it ends empty) per changed rrset (providers.md §2: no batch, rrset PUT).
    applying(writes) {
      const rrsets = new Set(writes.filter(isWrite).map((c) => `${c.type} ${c.name}`)).size;
      return { total: 1 + rrsets, writes: rrsets };
    },
  };
}

function namecheapDriver(): Driver {
  let initial: NamecheapZone | undefined;
  const zone = () => world.namecheap.state.zones.get(APEX)!;
  return {
    id: 'namecheap',
    credentials: { apiKey: SECRETS.namecheapKey, apiUser: SECRETS.namecheapUser, username: SECRETS.namecheapUser },
    refused: [
      {
        label: 'a wrong API key',
        credentials: { apiKey: WRONG.namecheapKey, apiUser: SECRETS.namecheapUser, username: SECRETS.namecheapUser },
        reason: 'Namecheap: the API key is invalid or API access has not been enabled',
      },
      {
        label: 'good credentials from an IP that is not whitelisted',
        credentials: { apiKey: SECRETS.namecheapKey, apiUser: SECRETS.namecheapUser, username: SECRETS.namecheapUser },
        reason: "Namecheap: this server's IP address is not whitelisted for API access",
        gateway: () => unlistedGw,
      },
    ],
    async setup() {
      initial = structuredClone(zone());
    },
    async reset() {
      world.namecheap.state.zones.set(APEX, structuredClone(initial!));
    },
    snapshot: async () => structuredClone(zone().hosts),
    neutral(wire) {
      const h = wire as NamecheapWire;
      const content = ['CNAME', 'MX', 'NS'].includes(h.Type) ? h.Address.toLowerCase().replace(/\.$/, '') : h.Address;
      return withPriority({ type: h.Type, name: absolute(h.Name), content, ttl: Number(h.TTL) }, h.Type === 'MX' ? Number(h.MXPref) : undefined);
    },
    // setHosts re-creates every host, so HostIds renumber: the only field a correct write may change (setHosts doc).
    comparable: (wire) => {
      const { HostId: _renumbered, ...rest } = wire as NamecheapWire;
      return rest;
    },
    async add(record) {
      zone().hosts.push({
        HostId: String(90_000 + zone().hosts.length), Name: relative(record.name), Type: record.type, Address: record.content,
        MXPref: String(record.priority ?? 10), TTL: String(record.ttl), AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false',
      });
    },
    calls: () => ({
      total: world.namecheap.calls.length,
      writes: world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts').length,
    }),
    // namecheap.domains.dns.getHosts.
    readOnly: { total: 1, writes: 0 },
    // ... plus one setHosts with the whole host list (providers.md §3: no per-record write).
    applying: () => ({ total: 2, writes: 1 }),
  };
}

/** The sandbox's zone lives in the gateway's own store; its "upstream" writes are `applySandboxWrites` calls. */
function sandboxDriver(): Driver {
  let store: Store;
  let writes = 0;
  const row = (record: DesiredRecord): SandboxWrite => ({
    op: 'insert',
    id: randomUUID(),
    record: { type: record.type, name: record.name, content: record.content, ttl: record.ttl, priority: record.priority ?? null },
  });
  return {
    id: 'sandbox',
    credentials: { apiKey: WRONG.anyKey },
    refused: [],
    async setup() {
      store = gw.running.services.store;
      const apply = store.applySandboxWrites.bind(store);
      // Counts the provider's writes; the real store still does them.
      store.applySandboxWrites = (zone, list) => {
        writes++;
        return apply(zone, list);
      };
    },
    async reset() {
      const current = await store.readSandboxZone(APEX);
      await store.applySandboxWrites(APEX, [...current.map((r): SandboxWrite => ({ op: 'delete', id: r.id })), ...seedRecords().map(row)]);
    },
    snapshot: () => store.readSandboxZone(APEX),
    neutral(wire) {
      const r = wire as SandboxRecordRow;
      return withPriority({ type: r.type, name: r.name, content: r.content, ttl: r.ttl }, r.priority ?? undefined);
    },
    comparable: (wire) => wire,
    async add(record) {
      await store.applySandboxWrites(APEX, [row(record)]);
    },
    calls: () => ({ total: undefined, writes }),
    readOnly: { total: undefined, writes: 0 },
    // One transaction for the whole plan.
    applying: () => ({ total: undefined, writes: 1 }),
  };
}

const DRIVERS: readonly Driver[] = [cloudflareDriver(), godaddyDriver(), namecheapDriver(), sandboxDriver()];

// ------------------------------------------------------------------------------------------------ expectations

/** The CNAMEs each record set adds (templates campaign.json / email-gateway.json with the default variables). */
const CNAMES: Record<RecordSet, [string, string][]> = {
  campaign: [
    [`sl.${APEX}`, MASTER_DOMAIN],
    [`key1._domainkey.sl.${APEX}`, `key1._domainkey.${MASTER_DOMAIN}`],
    [`key1._domainkey.${APEX}`, `key1._domainkey.${MASTER_DOMAIN}`],
    [`track-sl.${APEX}`, `track.${MASTER_DOMAIN}`],
  ],
  'email-gateway': [
    [`sl.${APEX}`, MASTER_DOMAIN],
    [`key1._domainkey.sl.${APEX}`, `key1._domainkey.${MASTER_DOMAIN}`],
    [`key1._domainkey.${APEX}`, `key1._domainkey.${MASTER_DOMAIN}`],
  ],
};

const key = (n: Neutral) => `${n.type} ${n.name} ${n.priority ?? '-'} ${n.content}`;
const line = (r: { type: string; name: string; content: string }) => `${r.type} ${r.name} ${r.content}`;
const byKey = (list: readonly Neutral[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));

/** A wire record the plan removed or replaced (before) / created or rewrote (after). */
function namedBefore(n: Neutral, changes: readonly Change[]): boolean {
  return changes.some((c) => (c.action === 'UPDATE' || c.action === 'DELETE') && c.type === n.type && c.name === n.name && c.previous === n.content);
}
function namedAfter(n: Neutral, changes: readonly Change[]): boolean {
  return changes.some((c) => (c.action === 'CREATE' || c.action === 'UPDATE') && c.type === n.type && c.name === n.name && c.content === n.content);
}

/**
 * The zone after an apply holds the zone before minus the records the plan replaced or removed, plus the records it
 * created or rewrote — and every other record is deep-equal, field for field, in the same order.
 */
function expectOnlyPlannedEdits(driver: Driver, before: readonly unknown[], after: readonly unknown[], changes: readonly Change[]): void {
  const untouched = (list: readonly unknown[], named: (n: Neutral) => boolean) => list.filter((w) => !named(driver.neutral(w))).map(driver.comparable);
  expect(untouched(after, (n) => namedAfter(n, changes))).toEqual(untouched(before, (n) => namedBefore(n, changes)));

  const removed = before.map(driver.neutral).filter((n) => namedBefore(n, changes));
  const replaced = changes.filter((c) => c.action === 'UPDATE' || c.action === 'DELETE');
  expect(removed.map(line).sort()).toEqual(replaced.map((c) => line({ ...c, content: c.previous ?? '' })).sort());

  const written = after.filter((w) => namedAfter(driver.neutral(w), changes));
  const wanted = changes.filter((c) => c.action === 'CREATE' || c.action === 'UPDATE');
  expect(written.map(driver.neutral).map(line).sort()).toEqual(wanted.map(line).sort());
  for (const wire of written) driver.checkWritten?.(wire);
}

/** The mail records the customer already had are intact: one merged SPF, their DMARC, MX and DKIM. */
function expectMailRecordsKept(driver: Driver, before: readonly unknown[], after: readonly unknown[]): void {
  const at = (list: readonly unknown[], type: string, name: string) => list.map(driver.neutral).filter((n) => n.type === type && n.name === name);

  const spfs = at(after, 'TXT', APEX).filter((n) => n.content.startsWith('v=spf1'));
  expect(spfs).toHaveLength(1);
  const terms = spfs[0]!.content.split(' ');
  expect(terms.at(-1)).toBe('-all');
  for (const term of SEED_SPF.split(' ')) expect(terms).toContain(term);
  expect(terms).toContain(`include:${SPF_INCLUDE}`);
  expect(terms).toHaveLength(SEED_SPF.split(' ').length + 1);

  const dmarc = at(after, 'TXT', `_dmarc.${APEX}`);
  expect(dmarc.map((n) => n.content)).toEqual([SEED_DMARC]);

  // Preferences and TTLs included.
  const mx = (list: readonly unknown[]) => byKey(list.map(driver.neutral).filter((n) => n.type === 'MX'));
  expect(mx(after)).toEqual(mx(before));
  expect(mx(after)).toHaveLength(4);

  const dkim = (list: readonly unknown[]) => list.filter((w) => driver.neutral(w).name === `google._domainkey.${APEX}`).map(driver.comparable);
  expect(dkim(after)).toEqual(dkim(before));
  expect(at(after, 'TXT', `google._domainkey.${APEX}`).map((n) => n.content)).toEqual([LONG_DKIM_TXT]);
}

/** Runs `step` and checks the upstream calls it made against `expected`. */
async function withCalls<T>(driver: Driver, expected: CallCount, what: string, step: () => Promise<T>): Promise<T> {
  const mark = driver.calls();
  const result = await step();
  const now = driver.calls();
  expect(now.writes - mark.writes, `${what}: write calls`).toBe(expected.writes);
  if (expected.total !== undefined) expect(now.total! - mark.total!, `${what}: upstream calls`).toBe(expected.total);
  return result;
}

/** The plan a record set gives on the seed zone: its CNAMEs created, the SPF merged, the customer's DMARC kept. */
function expectSeedPlan(changes: readonly Change[], recordSet: RecordSet): void {
  const cnames = CNAMES[recordSet].map(([name, target]) => ({ action: 'CREATE', type: 'CNAME', name, content: target, ttl: 3600, previous: null }));
  expect(changes.slice(0, cnames.length)).toEqual(cnames);
  const [spf, dmarc, ...rest] = changes.slice(cnames.length);
  expect(spf).toMatchObject({ action: 'UPDATE', type: 'TXT', name: APEX, previous: SEED_SPF });
  expect(spf!.content.split(' ')).toContain(`include:${SPF_INCLUDE}`);
  // MAIL_DMARC_RUA is unset, so only the plain p=none variant is planned, and the existing p=reject record wins.
  expect(dmarc).toMatchObject({ action: 'KEEP', type: 'TXT', name: `_dmarc.${APEX}`, content: SEED_DMARC });
  expect(rest).toEqual([]);
}

/** The other transport, so every flow runs through REST and GraphQL somewhere. */
const VIA: Record<RecordSet, Via> = { campaign: 'rest', 'email-gateway': 'graphql' };

describe.each(DRIVERS.map((d) => [d.id, d] as const))('%s through the gateway', (_id, driver) => {
  beforeEach(() => driver.reset());

  it.each<Via>(['rest', 'graphql'])('dns.authorize (%s): good credentials succeed, refused ones answer code 9 with the reason', async (via) => {
    const ok = await withCalls(driver, { total: undefined, writes: 0 }, 'authorize', () => authorize(via, gw, driver.id, driver.credentials));
    expect(ok, ok.text).toMatchObject({ ok: true });
    for (const refused of driver.refused) {
      const res = await withCalls(driver, { total: undefined, writes: 0 }, refused.label, () =>
        authorize(via, refused.gateway?.() ?? gw, driver.id, refused.credentials),
      );
      expect(res.code, refused.label).toBe(9);
      expect(res.message, refused.label).toBe(`Authorization failed for this DNS provider: ${refused.reason}`);
    }
  });

  it.each<RecordSet>(['campaign', 'email-gateway'])('dns.set %s: a dry run plans, the apply writes only the plan, a re-apply writes nothing', async (recordSet) => {
    const via = VIA[recordSet];
    const before = await driver.snapshot();

    const dry = await withCalls(driver, driver.readOnly, 'dry run', () => setRecords(via, driver, recordSet, { dryRun: true }));
    expect(dry.ok, dry.text).toBe(true);
    const changes = dry.changes!;
    expectSeedPlan(changes, recordSet);
    expect(await driver.snapshot()).toEqual(before);

    const applied = await withCalls(driver, driver.applying(changes), 'apply', () => setRecords(via, driver, recordSet));
    expect(applied.ok, applied.text).toBe(true);
    if (via === 'rest') expect(applied.text).toBe('{"success":true}');
    else expect(applied).toMatchObject({ applied: true, changes });
    const after = await driver.snapshot();
    expectOnlyPlannedEdits(driver, before, after, changes);
    expectMailRecordsKept(driver, before, after);

    const again = await withCalls(driver, driver.readOnly, 're-apply', () => setRecords(via, driver, recordSet));
    expect(again.ok, again.text).toBe(true);
    expect(await driver.snapshot()).toEqual(after);
    const replan = await withCalls(driver, driver.readOnly, 'dry run after apply', () => setRecords(via, driver, recordSet, { dryRun: true }));
    expect(replan.changes!.map((c) => c.action)).toEqual(changes.map(() => 'KEEP'));
  });

  it('dns.set refuses conflicting records with code 9 and writes nothing; Force replaces exactly those records', async () => {
    const theirs = { cname: 'other-esp.example.net', txt: 'sl-site-verification=4b1d9c' };
    await driver.add({ type: 'CNAME', name: `key1._domainkey.${APEX}`, content: theirs.cname, ttl: 3600 });
    await driver.add({ type: 'TXT', name: `sl.${APEX}`, content: theirs.txt, ttl: 3600 });
    const before = await driver.snapshot();

    for (const via of ['rest', 'graphql'] as const) {
      const refused = await withCalls(driver, driver.readOnly, `refused (${via})`, () => setRecords(via, driver, 'campaign'));
      expect(refused.code, refused.text).toBe(9);
      expect(refused.message).toMatch(/^Failed to set DNS records: /);
      expect(refused.message).toContain(`CNAME key1._domainkey.${APEX} already points to ${theirs.cname}`);
      expect(refused.message).toContain(`sl.${APEX} already has a TXT record`);
      expect(await driver.snapshot()).toEqual(before);
    }

    const plan = await withCalls(driver, driver.readOnly, 'forced dry run', () => setRecords('rest', driver, 'campaign', { dryRun: true, force: true }));
    const changes = plan.changes!;
    const forced = changes.filter((c) => c.name === `sl.${APEX}` || c.name === `key1._domainkey.${APEX}`);
    expect(forced).toEqual([
      { action: 'DELETE', type: 'TXT', name: `sl.${APEX}`, content: theirs.txt, ttl: 3600, previous: theirs.txt },
      { action: 'CREATE', type: 'CNAME', name: `sl.${APEX}`, content: MASTER_DOMAIN, ttl: 3600, previous: null },
      { action: 'UPDATE', type: 'CNAME', name: `key1._domainkey.${APEX}`, content: `key1._domainkey.${MASTER_DOMAIN}`, ttl: 3600, previous: theirs.cname },
    ]);
    expect(await driver.snapshot()).toEqual(before);

    const applied = await withCalls(driver, driver.applying(changes), 'forced apply', () => setRecords('graphql', driver, 'campaign', { force: true }));
    expect(applied, applied.text).toMatchObject({ ok: true, applied: true, changes });
    const after = await driver.snapshot();
    expectOnlyPlannedEdits(driver, before, after, changes);
    expectMailRecordsKept(driver, before, after);
    const atSl = after.map(driver.neutral).filter((n) => n.name === `sl.${APEX}`);
    expect(atSl.map((n) => [n.type, n.content])).toEqual([['CNAME', MASTER_DOMAIN]]);
  });
});
