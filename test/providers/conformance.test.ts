/**
 * The provider conformance suite: one set of scenarios, run through the real gateway (REST and GraphQL) against every
 * adapter with its loopback fake (drivers/index.ts). A provider is supported when its driver passes all of it:
 *
 * - detection: a domain delegated to the provider's name servers is detected as it, supported;
 * - dns.authorize: good credentials succeed with no write; refused ones answer code 9 with the provider's reason; a
 *   domain the credentials do not hold answers code 9 saying the zone was not found; a required credential left out
 *   answers its own code (5/6/7) before any call; a credential that cannot go into an HTTP header is a wrong one (9);
 * - dns.set: the seed zone (test/fakes/seed-zone.ts, 60+ records) comes out identical apart from the record set; the
 *   SPF is merged, not replaced; the DMARC kept; the re-apply writes nothing; the upstream calls equal the adapter's
 *   declared minimum (its `capabilities.upstreamCalls`);
 * - conflicts are refused with nothing written; `Force` replaces exactly the named conflicts;
 * - dns.revert restores the zone exactly;
 * - faults (500, the provider's rate-limit signal, hang, reset, malformed body, a reply lost after the write applied)
 *   end in success or code 10 within the command deadline, with nothing lost or doubled, and a retry converges;
 * - credentials never appear in a reply or a log line, even when the provider's error message repeats them;
 * - a guarded provider (`capabilities.guardedWrite`) loses nothing to a second writer between our read and our write:
 *   its first write is refused, the zone read again, and the final zone holds both changes. On the other providers the
 *   gateway's zone lock is the only guard (the README's provider table says which is which), so the scenario does not
 *   apply to them.
 */
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { print } from 'graphql';
import { createProviderRegistry, PROVIDER_CREDENTIALS } from '../../providers/registry.js';
import { fewestCalls, type ProviderCapabilities } from '../../providers/types.js';
import { loadConfig } from '../../src/config.js';
import type { Store } from '../../src/storage/store.js';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from '../fakes/dns-server.js';
import { LONG_DKIM_TXT, seedRecords } from '../fakes/seed-zone.js';
import { AuthorizeDnsDocument, SetDnsRecordsDocument } from '../graphql/generated/graphql.js';
import { bearer, graphql, MASTER_DOMAIN, postJson, startGateway, type Gateway, type HttpResult } from '../helpers/gateway.js';
import { APEX, type CallCount, type ConformanceDriver, type ConformanceFault, type Credentials, type Neutral } from './driver.js';
import { DRIVERS } from './drivers/index.js';

const SPF_INCLUDE = '_spf.sender-platform.net';
/** A registrable domain no fake holds for the drivers' credentials. */
const ABSENT_DOMAIN = 'no-zone-here-4711.com';
const SEED_SPF = seedRecords().find((r) => r.type === 'TXT' && r.name === APEX && r.content.startsWith('v=spf1'))!.content;
const SEED_DMARC = seedRecords().find((r) => r.name === `_dmarc.${APEX}`)!.content;
const GATEWAY_ENV = { MAIL_SPF_INCLUDE: SPF_INCLUDE, RATE_LIMIT_MAX: '1000000', SANDBOX_PROVIDER: 'true' };
/**
 * The command deadline of the fault scenarios: short, so that a hang costs seconds, not the production 30 s; long
 * enough that a loaded 2-core machine still fits a timed-out attempt, a re-read and one more send in it.
 */
const FAULT_DEADLINE_MS = 5000;
/** What a command may take beyond its provider deadline: the gateway's own work (auth, planning, journal). */
const SLACK_MS = 1500;
/**
 * Every scenario is bounded by the commands' own deadlines; a paced provider (Porkbun: one request a second) makes a
 * scenario of four dns.set commands take 10 s and more on a loaded machine, past vitest's usual 20 s budget.
 */
vi.setConfig({ testTimeout: 60_000 });

/**
 * Each adapter's capabilities, known when the tests are collected (they are data: no call is made), so that a
 * scenario that applies only to some providers is declared for exactly those.
 */
const CAPABILITIES: ReadonlyMap<string, ProviderCapabilities> = (() => {
  const registry = createProviderRegistry(loadConfig({ NODE_ENV: 'test', SANDBOX_PROVIDER: 'true' }), {
    dispatcher: new Agent(),
    store: {} as Store,
  });
  return new Map([...registry].map(([id, provider]) => [id, provider.capabilities]));
})();
const capabilities = (driver: ConformanceDriver): ProviderCapabilities => {
  const found = CAPABILITIES.get(driver.id);
  if (!found) throw new Error(`${driver.id} has a driver but no adapter in providers/registry.ts`);
  return found;
};

// ------------------------------------------------------------------------------------------------ the world

let dns: FakeDnsServer;
let gw: Gateway;
let providerEnv: Record<string, string> = {};
/** More gateways on the same fakes, by the environment they add (a refused case's `env`, a fault deadline). */
const gateways = new Map<string, Gateway>();
/** Every reply body any gateway gave in this file. */
const replies: string[] = [];

const domainOf = (driver: ConformanceDriver) => `${driver.id}-customer.com`;

beforeAll(async () => {
  const delegations: FakeRecord[] = DRIVERS.filter((d) => d.nameservers.length > 0).flatMap((d) => [
    { name: domainOf(d), type: 'SOA' as const, ttl: 3600, data: { mname: d.nameservers[0]!, rname: `hostmaster.${domainOf(d)}`, serial: 1, minimum: 300 } },
    ...d.nameservers.map((host) => ({ name: domainOf(d), type: 'NS' as const, ttl: 3600, data: host })),
  ]);
  dns = await startDnsServer({ records: delegations });
  for (const driver of DRIVERS) providerEnv = { ...providerEnv, ...(await driver.start()) };
  gw = await startGateway({ ...GATEWAY_ENV, DNS_RESOLVERS: dns.address, ...providerEnv });
  for (const driver of DRIVERS) driver.attach?.(gw);
}, 60_000);

afterAll(async () => {
  await Promise.all([...gateways.values()].map((g) => g.close()));
  await gw?.close();
  await Promise.all(DRIVERS.map((d) => d.stop()));
  await dns?.close();
});

/** A gateway on the same fakes with `env` added, started once. */
async function gatewayWith(env: Readonly<Record<string, string>>): Promise<Gateway> {
  const key = JSON.stringify(Object.entries(env).sort());
  let found = gateways.get(key);
  if (!found) {
    found = await startGateway({ ...GATEWAY_ENV, DNS_RESOLVERS: dns.address, ...providerEnv, ...env });
    gateways.set(key, found);
  }
  return found;
}

/** Every credential value any driver sends, refused ones included: none may appear in a reply or a log line. */
const ALL_SECRETS = [
  ...new Set(
    DRIVERS.flatMap((d) => [d.credentials, ...d.refused.map((r) => r.credentials)])
      .flatMap((c) => [c.apiKey, c.apiSecret, c.apiUser, c.username])
      .filter((v): v is string => typeof v === 'string' && v.length >= 3),
  ),
];

/** Where this test's replies and log lines start, so that one leak fails the test that caused it, not every later one. */
let marks = { replies: 0, lines: new Map<Gateway, number>() };
const allGateways = () => [gw, ...gateways.values()];

beforeEach(() => {
  marks = { replies: replies.length, lines: new Map(allGateways().map((g) => [g, g.logLines.length])) };
});

afterEach(() => {
  const lines = allGateways().flatMap((g) => g.logLines.slice(marks.lines.get(g) ?? 0));
  for (const secret of ALL_SECRETS) {
    const shown = `${secret.slice(0, 6)}…`;
    for (const reply of replies.slice(marks.replies)) expect(reply.includes(secret), `a reply leaks ${shown}: ${reply.slice(0, 300)}`).toBe(false);
    for (const line of lines) expect(line.includes(secret), `a log line leaks ${shown}: ${line.slice(0, 300)}`).toBe(false);
  }
});

// ------------------------------------------------------------------------------------------------ transports

type Via = 'rest' | 'graphql';
type RecordSet = 'campaign' | 'email-gateway';

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

function restCredentials(credentials: Credentials): Record<string, string> {
  return {
    ApiKey: credentials.apiKey,
    ...(credentials.apiSecret ? { ApiSecret: credentials.apiSecret } : {}),
    ...(credentials.apiUser ? { ApiUser: credentials.apiUser } : {}),
    ...(credentials.username ? { Username: credentials.username } : {}),
  };
}

function fromRest(res: HttpResult): Outcome {
  replies.push(res.text);
  if (res.status === 200) return { ok: true, changes: res.json.changes, text: res.text };
  expect(res.json?.Errors, res.text).toHaveLength(1);
  return { ok: false, code: res.json.Errors[0].Code, message: res.json.Errors[0].Message, text: res.text };
}

function fromGraphql(res: HttpResult, field: string): Outcome {
  replies.push(res.text);
  expect(res.json.errors, res.text).toBeUndefined();
  const data = res.json.data[field];
  if (data.__typename === 'DnsError') return { ok: false, code: data.code, message: data.message, text: res.text };
  return { ok: true, changes: data.changes, applied: data.applied, text: res.text };
}

async function authorize(via: Via, target: Gateway, driver: ConformanceDriver, credentials: Credentials): Promise<Outcome> {
  if (via === 'rest') {
    const body = { Domain: APEX, Provider: driver.id, ...restCredentials(credentials) };
    return fromRest(await postJson(target, '/api/v1/dns.authorize', body, bearer(target.adminKey)));
  }
  const input = { domain: APEX, provider: driver.id.toUpperCase(), credentials };
  return fromGraphql(await graphql(target, print(AuthorizeDnsDocument), { input }, target.adminKey), 'authorizeDns');
}

async function setRecords(
  via: Via,
  driver: ConformanceDriver,
  recordSet: RecordSet,
  flags: { dryRun?: boolean; force?: boolean } = {},
  target: Gateway = gw,
): Promise<Outcome> {
  if (via === 'rest') {
    const body = {
      Domain: APEX,
      Provider: driver.id,
      ...restCredentials(driver.credentials),
      RecordType: recordSet,
      ...(flags.dryRun ? { DryRun: 'true' } : {}),
      ...(flags.force ? { Force: 'true' } : {}),
    };
    return fromRest(await postJson(target, '/api/v1/dns.set', body, bearer(target.adminKey)));
  }
  const input = {
    domain: APEX,
    provider: driver.id.toUpperCase(),
    recordType: recordSet === 'campaign' ? 'CAMPAIGN' : 'EMAIL_GATEWAY',
    credentials: driver.credentials,
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.force ? { force: true } : {}),
  };
  return fromGraphql(await graphql(target, print(SetDnsRecordsDocument), { input }, target.adminKey), 'setDnsRecords');
}

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
const isWrite = (c: Change) => c.action === 'CREATE' || c.action === 'UPDATE' || c.action === 'DELETE';

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
function expectOnlyPlannedEdits(driver: ConformanceDriver, before: readonly unknown[], after: readonly unknown[], changes: readonly Change[]): void {
  const untouched = (list: readonly unknown[], named: (n: Neutral) => boolean) =>
    list.filter((w) => !named(driver.neutral(w))).map((w) => driver.comparable(w, 'apply'));
  expect(untouched(after, (n) => namedAfter(n, changes))).toEqual(untouched(before, (n) => namedBefore(n, changes)));

  const removed = before.map(driver.neutral).filter((n) => namedBefore(n, changes));
  const replaced = changes.filter((c) => c.action === 'UPDATE' || c.action === 'DELETE');
  expect(removed.map(line).sort()).toEqual(replaced.map((c) => line({ ...c, content: c.previous ?? '' })).sort());

  const written = after.filter((w) => namedAfter(driver.neutral(w), changes));
  const wanted = changes.filter((c) => c.action === 'CREATE' || c.action === 'UPDATE');
  expect(written.map(driver.neutral).map(line).sort()).toEqual(wanted.map(line).sort());
  for (const wire of written) expect(driver.checkWritten?.(wire)).toBeUndefined();
}

/** The mail records the customer already had are intact: one merged SPF, their DMARC, MX and DKIM. */
function expectMailRecordsKept(driver: ConformanceDriver, before: readonly unknown[], after: readonly unknown[]): void {
  const at = (list: readonly unknown[], type: string, name: string) => list.map(driver.neutral).filter((n) => n.type === type && n.name === name);

  const spfs = at(after, 'TXT', APEX).filter((n) => n.content.startsWith('v=spf1'));
  expect(spfs).toHaveLength(1);
  const terms = spfs[0]!.content.split(' ');
  expect(terms.at(-1)).toBe('-all');
  for (const term of SEED_SPF.split(' ')) expect(terms).toContain(term);
  expect(terms).toContain(`include:${SPF_INCLUDE}`);
  expect(terms).toHaveLength(SEED_SPF.split(' ').length + 1);

  expect(at(after, 'TXT', `_dmarc.${APEX}`).map((n) => n.content)).toEqual([SEED_DMARC]);

  // Preferences and TTLs included.
  const mx = (list: readonly unknown[]) => byKey(list.map(driver.neutral).filter((n) => n.type === 'MX'));
  expect(mx(after)).toEqual(mx(before));
  expect(mx(after)).toHaveLength(4);

  const dkim = (list: readonly unknown[]) =>
    list.filter((w) => driver.neutral(w).name === `google._domainkey.${APEX}`).map((w) => driver.comparable(w, 'apply'));
  expect(dkim(after)).toEqual(dkim(before));
  expect(at(after, 'TXT', `google._domainkey.${APEX}`).map((n) => n.content)).toEqual([LONG_DKIM_TXT]);
}

/**
 * Records in the zone now, for a provider that reads record by record (`readPerRecord`, OVH); 0 for the others. Asked
 * before the command runs, so it counts the zone the command reads.
 */
async function zoneRecords(driver: ConformanceDriver): Promise<number> {
  return capabilities(driver).upstreamCalls.readPerRecord ? (await driver.snapshot()).length : 0;
}

/** The fewest calls of a command that reads the zone and writes nothing (a dry run, a re-apply). */
async function readingCalls(driver: ConformanceDriver): Promise<CallCount> {
  const { total } = fewestCalls(capabilities(driver).upstreamCalls, { changes: 0, rrsets: 0, updates: 0, records: await zoneRecords(driver) });
  return { total: driver.calls().total === undefined ? undefined : total, writes: 0 };
}

/** The fewest calls of a command that applies these planned changes. */
async function applyingCalls(driver: ConformanceDriver, changes: readonly Change[]): Promise<CallCount> {
  const written = changes.filter(isWrite);
  const shape = {
    changes: written.length,
    rrsets: new Set(written.map((c) => `${c.type} ${c.name}`)).size,
    updates: written.filter((c) => c.action === 'UPDATE').length,
    records: await zoneRecords(driver),
  };
  const { total, writes } = fewestCalls(capabilities(driver).upstreamCalls, shape);
  return { total: driver.calls().total === undefined ? undefined : total, writes };
}

/** Runs `step` and checks the upstream calls it made against `expected`. */
async function withCalls<T>(driver: ConformanceDriver, expected: CallCount, what: string, step: () => Promise<T>): Promise<T> {
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

/** The zone as a sorted list of neutral records: equal lists = equal zones, whatever ids and order. */
async function neutralZone(driver: ConformanceDriver): Promise<string[]> {
  return (await driver.snapshot()).map((w) => key(driver.neutral(w))).sort();
}

/** No record twice: a repeated create must never leave a duplicate. */
function expectNoDuplicates(zone: readonly string[]): void {
  expect(zone.filter((r, i) => zone.indexOf(r) !== i)).toEqual([]);
}

/** dns.revert of the provider's latest change (dns.changes lists the newest first). */
async function revertLatest(driver: ConformanceDriver): Promise<void> {
  const listed = await postJson(gw, '/api/v1/dns.changes', { Domain: APEX }, bearer(gw.adminKey));
  replies.push(listed.text);
  const entry = (listed.json.changes as { id: string; provider: string; revertOf: string | null }[]).find((c) => c.provider === driver.id && c.revertOf === null);
  expect(entry, listed.text).toBeDefined();
  const reverted = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry!.id, ...restCredentials(driver.credentials) }, bearer(gw.adminKey));
  replies.push(reverted.text);
  expect(reverted.status, reverted.text).toBe(200);
}

/** A TXT a customer split into two character-strings where they liked, at a name the campaign set gives a CNAME. */
const CHUNKED_TXT = ['old-landing-page ', 'verification=7f3a'];
/** A value split at its middle space into two character-strings (the space kept at the end of the first). */
function halves(value: string): string[] {
  const at = value.indexOf(' ', Math.floor(value.length / 2)) + 1;
  return [value.slice(0, at), value.slice(at)];
}

/** The other transport, so every flow runs through REST and GraphQL somewhere. */
const VIA: Record<RecordSet, Via> = { campaign: 'rest', 'email-gateway': 'graphql' };

// ------------------------------------------------------------------------------------------------ faults

interface FaultCase {
  readonly name: string;
  readonly faults: readonly ConformanceFault[];
  /** `applied`: the command must succeed; `code 10`: it must fail so; `either`: one or the other, zone consistent. */
  readonly outcome: 'applied' | 'code 10' | 'either';
}

const FAULT_CASES: readonly FaultCase[] = [
  { name: 'HTTP 500 once on the zone read: the read is repeated', faults: [{ kind: 'server-error', on: 'read' }], outcome: 'applied' },
  { name: 'the zone read hangs once: the attempt times out and the read is repeated', faults: [{ kind: 'hang', on: 'read' }], outcome: 'applied' },
  // `either`: a provider that asks for a short wait is waited for (every adapter but Namecheap applies here); one whose
  // limit gives no retry signal and a window past the deadline (Namecheap: 20 a minute) is reported as code 10.
  { name: "the provider's rate-limit answer on the zone read (retry in 1 s)", faults: [{ kind: 'rate-limited', on: 'read', retryAfterSeconds: 1 }], outcome: 'either' },
  { name: "the provider's rate-limit answer on the first write (retry in 1 s)", faults: [{ kind: 'rate-limited', on: 'write', retryAfterSeconds: 1 }], outcome: 'either' },
  { name: 'HTTP 500 once on the first write', faults: [{ kind: 'server-error', on: 'write' }], outcome: 'either' },
  { name: 'the first write hangs once', faults: [{ kind: 'hang', on: 'write' }], outcome: 'either' },
  { name: 'the connection is reset on the first write', faults: [{ kind: 'reset', on: 'write' }], outcome: 'either' },
  { name: 'a malformed body on the zone read', faults: [{ kind: 'malformed', on: 'read' }], outcome: 'either' },
  { name: 'the first write applies and its reply is lost', faults: [{ kind: 'lost-reply', on: 'write' }], outcome: 'either' },
  { name: 'every write answers HTTP 500', faults: [{ kind: 'server-error', on: 'write', times: 'always' }], outcome: 'code 10' },
  { name: 'every zone read hangs', faults: [{ kind: 'hang', on: 'read', times: 'always' }], outcome: 'code 10' },
];

// ------------------------------------------------------------------------------------------------ the suite

describe.each(DRIVERS.map((d) => [d.id, d] as const))('%s conforms', (_id, driver) => {
  beforeEach(() => driver.reset());

  it.runIf(driver.nameservers.length > 0)('dns.provider detects a zone on its name servers as this provider, supported', async () => {
    const rest = await postJson(gw, '/api/v1/dns.provider', { Domain: domainOf(driver) }, bearer(gw.adminKey));
    replies.push(rest.text);
    expect(rest.json, rest.text).toEqual({ provider: driver.id });
    const query = `query($d: String!) { dnsProvider(domain: $d) { __typename ... on DnsProviderDetection { provider supported } } }`;
    const res = await graphql(gw, query, { d: domainOf(driver) }, gw.adminKey);
    replies.push(res.text);
    expect(res.json.data?.dnsProvider, res.text).toEqual({ __typename: 'DnsProviderDetection', provider: driver.id, supported: true });
  });

  it.each<Via>(['rest', 'graphql'])('dns.authorize (%s): good credentials succeed, refused ones answer code 9 with the reason', async (via) => {
    const ok = await withCalls(driver, { total: undefined, writes: 0 }, 'authorize', () => authorize(via, gw, driver, driver.credentials));
    expect(ok, ok.text).toMatchObject({ ok: true });
    for (const refused of driver.refused) {
      const target = refused.env ? await gatewayWith(refused.env) : gw;
      const res = await withCalls(driver, { total: undefined, writes: 0 }, refused.label, () => authorize(via, target, driver, refused.credentials));
      expect(res.code, `${refused.label}: ${res.text}`).toBe(9);
      expect(res.message, refused.label).toBe(`Authorization failed for this DNS provider: ${refused.reason}`);
    }
  });

  it('a required credential left out is refused with its own code (ApiSecret 5, ApiUser 6, Username 7) before any call; an optional one may be left out', async () => {
    const codes: Record<Exclude<keyof Credentials, 'apiKey'>, number> = { apiSecret: 5, apiUser: 6, username: 7 };
    const uses = PROVIDER_CREDENTIALS[driver.id];
    for (const field of ['apiSecret', 'apiUser', 'username'] as const) {
      const use = uses[field];
      if (!use) continue;
      const without: Credentials = { ...driver.credentials, [field]: undefined };
      const res = await withCalls(driver, { total: use.required ? 0 : undefined, writes: 0 }, `without ${field}`, () => authorize('rest', gw, driver, without));
      if (use.required) {
        expect(res.code, `${field} left out: ${res.text}`).toBe(codes[field]);
      } else {
        expect(res.code, `${field} is optional: ${res.text}`).not.toBe(codes[field]);
      }
    }
  });

  it.runIf(driver.faults)('a credential that cannot go into an HTTP header (non-ASCII, a space) is refused as wrong credentials, never as a network failure', async () => {
    const sent = (Object.keys(PROVIDER_CREDENTIALS[driver.id]) as (keyof Credentials)[]).filter((f) => driver.credentials[f] !== undefined);
    for (const field of sent) {
      for (const bad of ['ключ-🔑-0123456789', 'two words 0123456789']) {
        const res = await authorize('rest', gw, driver, { ...driver.credentials, [field]: bad });
        // 9: refused by the adapter or the provider; 2/5/6/7: refused by the input check as an invalid parameter.
        expect([2, 5, 6, 7, 9], `${field} = ${JSON.stringify(bad)}: ${res.text}`).toContain(res.code);
        // A refused value is still a credential: it is not repeated either.
        expect(res.text).not.toContain(bad);
      }
    }
    const lines = gw.logLines.slice(marks.lines.get(gw) ?? 0);
    for (const bad of ['ключ-🔑-0123456789', 'two words 0123456789']) expect(lines.filter((l) => l.includes(bad))).toEqual([]);
  });

  it.runIf(driver.faults)('dns.authorize of a domain these credentials do not hold answers code 9: the zone was not found', async () => {
    const body = { Domain: ABSENT_DOMAIN, Provider: driver.id, ...restCredentials(driver.credentials) };
    const res = fromRest(await postJson(gw, '/api/v1/dns.authorize', body, bearer(gw.adminKey)));
    expect(res.code, res.text).toBe(9);
    // The provider's own reason, whatever its wording: the zone (domain) is not in the account.
    expect(res.message).toMatch(/^Authorization failed for this DNS provider: .*(not found|no (public |DNS )?(hosted )?zone)/);
  });

  it.each<RecordSet>(['campaign', 'email-gateway'])('dns.set %s: a dry run plans, the apply writes only the plan, a re-apply writes nothing', async (recordSet) => {
    const via = VIA[recordSet];
    const before = await driver.snapshot();

    const dry = await withCalls(driver, await readingCalls(driver), 'dry run', () => setRecords(via, driver, recordSet, { dryRun: true }));
    expect(dry.ok, dry.text).toBe(true);
    const changes = dry.changes!;
    expectSeedPlan(changes, recordSet);
    expect(await driver.snapshot()).toEqual(before);

    const applied = await withCalls(driver, await applyingCalls(driver, changes), 'apply', () => setRecords(via, driver, recordSet));
    expect(applied.ok, applied.text).toBe(true);
    if (via === 'rest') expect(applied.text).toBe('{"success":true}');
    else expect(applied).toMatchObject({ applied: true, changes });
    const after = await driver.snapshot();
    expectOnlyPlannedEdits(driver, before, after, changes);
    expectMailRecordsKept(driver, before, after);

    const again = await withCalls(driver, await readingCalls(driver), 're-apply', () => setRecords(via, driver, recordSet));
    expect(again.ok, again.text).toBe(true);
    expect(await driver.snapshot()).toEqual(after);
    const replan = await withCalls(driver, await readingCalls(driver), 'dry run after apply', () => setRecords(via, driver, recordSet, { dryRun: true }));
    expect(replan.changes!.map((c) => c.action)).toEqual(changes.map(() => 'KEEP'));
  });

  it('dns.set refuses conflicting records with code 9 and writes nothing; Force replaces exactly those records', async () => {
    const theirs = { cname: 'other-esp.example.net', txt: 'sl-site-verification=4b1d9c' };
    await driver.add({ type: 'CNAME', name: `key1._domainkey.${APEX}`, content: theirs.cname, ttl: 3600 });
    await driver.add({ type: 'TXT', name: `sl.${APEX}`, content: theirs.txt, ttl: 3600 });
    const before = await driver.snapshot();

    for (const via of ['rest', 'graphql'] as const) {
      const refused = await withCalls(driver, await readingCalls(driver), `refused (${via})`, () => setRecords(via, driver, 'campaign'));
      expect(refused.code, refused.text).toBe(9);
      expect(refused.message).toMatch(/^Failed to set DNS records: /);
      expect(refused.message).toContain(`CNAME key1._domainkey.${APEX} already points to ${theirs.cname}`);
      expect(refused.message).toContain(`sl.${APEX} already has a TXT record`);
      expect(await driver.snapshot()).toEqual(before);
    }

    const plan = await withCalls(driver, await readingCalls(driver), 'forced dry run', () => setRecords('rest', driver, 'campaign', { dryRun: true, force: true }));
    const changes = plan.changes!;
    const forced = changes.filter((c) => c.name === `sl.${APEX}` || c.name === `key1._domainkey.${APEX}`);
    expect(forced).toEqual([
      { action: 'DELETE', type: 'TXT', name: `sl.${APEX}`, content: theirs.txt, ttl: 3600, previous: theirs.txt },
      { action: 'CREATE', type: 'CNAME', name: `sl.${APEX}`, content: MASTER_DOMAIN, ttl: 3600, previous: null },
      { action: 'UPDATE', type: 'CNAME', name: `key1._domainkey.${APEX}`, content: `key1._domainkey.${MASTER_DOMAIN}`, ttl: 3600, previous: theirs.cname },
    ]);
    expect(await driver.snapshot()).toEqual(before);

    const applied = await withCalls(driver, await applyingCalls(driver, changes), 'forced apply', () => setRecords('graphql', driver, 'campaign', { force: true }));
    expect(applied, applied.text).toMatchObject({ ok: true, applied: true, changes });
    const after = await driver.snapshot();
    expectOnlyPlannedEdits(driver, before, after, changes);
    expectMailRecordsKept(driver, before, after);
    const atSl = after.map(driver.neutral).filter((n) => n.name === `sl.${APEX}`);
    expect(atSl.map((n) => [n.type, n.content])).toEqual([['CNAME', MASTER_DOMAIN]]);
  });

  it('dns.revert restores the zone exactly as it was before the dns.set', async () => {
    const revertable = (list: readonly unknown[]) => list.map((w) => JSON.stringify(driver.comparable(w, 'revert'))).sort();
    const before = await driver.snapshot();
    const set = await setRecords('rest', driver, 'campaign');
    expect(set.text).toBe('{"success":true}');
    expect(revertable(await driver.snapshot())).not.toEqual(revertable(before));

    await revertLatest(driver);
    expect(revertable(await driver.snapshot())).toEqual(revertable(before));
  });

  it('dns.revert writes back each record as it was read (values as stored, not as parsed)', async () => {
    // The customer's apex SPF in their own spelling, and a chunked TXT at a name where the record set puts a CNAME
    // (so `Force` deletes it, and the revert re-creates it). MAIL_SPF_INCLUDE is set, so the SPF is UPDATEd.
    await driver.seedRawTxt(APEX, SEED_SPF, driver.txtAsEntered(halves(SEED_SPF), 'plain'));
    await driver.seedRawTxt(`sl.${APEX}`, CHUNKED_TXT.join(''), driver.txtAsEntered(CHUNKED_TXT, 'split'));
    const seeded = await driver.snapshot();
    const txt = (list: readonly unknown[], name: string, content: string) =>
      list.filter((w) => { const n = driver.neutral(w); return n.type === 'TXT' && n.name === name && n.content === content; });
    expect(txt(seeded, APEX, SEED_SPF)).toHaveLength(1);
    expect(txt(seeded, `sl.${APEX}`, CHUNKED_TXT.join(''))).toHaveLength(1);

    const set = await setRecords('rest', driver, 'campaign', { force: true });
    expect(set.text).toBe('{"success":true}');
    const forward = await driver.snapshot();
    expect(txt(forward, APEX, SEED_SPF)).toEqual([]);
    expect(forward.map(driver.neutral).filter((n) => n.name === `sl.${APEX}`).map((n) => n.type)).toEqual(['CNAME']);

    await revertLatest(driver);
    // Field for field, each value as the provider stores it: the SPF as the customer spelled it, the TXT in its chunks.
    const revertable = (list: readonly unknown[]) => list.map((w) => JSON.stringify(driver.comparable(w, 'revert'))).sort();
    expect(revertable(await driver.snapshot())).toEqual(revertable(seeded));
  });

  it.runIf(driver.faults)('credentials repeated in a provider error message never reach a reply or a log line', async () => {
    const values = [driver.credentials.apiKey, driver.credentials.apiSecret, driver.credentials.apiUser, driver.credentials.username].filter(
      (v): v is string => typeof v === 'string' && v.length >= 3,
    );
    driver.fault({ kind: 'echo-credentials' });
    const refused = await authorize('rest', gw, driver, driver.credentials);
    expect(refused.ok, refused.text).toBe(false);
    expect([9, 10]).toContain(refused.code);
    driver.fault({ kind: 'echo-credentials' });
    const failed = await setRecords('graphql', driver, 'campaign');
    expect(failed.ok, failed.text).toBe(false);
    for (const value of values) {
      expect(refused.text).not.toContain(value);
      expect(failed.text).not.toContain(value);
    }
    // The afterEach scan then checks every log line of every gateway.
  });

  it.runIf(capabilities(driver).guardedWrite)(
    'a second writer editing the zone between our read and our write loses nothing (the guarded write is refused, the service re-reads)',
    async () => {
      const theirs = 'other-service-verification=c0ffee42';
      const before = await driver.snapshot();
      const plan = await setRecords('rest', driver, 'campaign', { dryRun: true });
      driver.beforeNextWrite(() => driver.add({ type: 'TXT', name: APEX, content: theirs, ttl: 3600 }));
      // The guard must be what saved their edit: the first write is refused (one write call more than the plan
      // needs) and the zone is read again (twice the reading calls), not a write that merely happened to add.
      const once = await applyingCalls(driver, plan.changes!);
      const reading = await readingCalls(driver);
      const expected = { writes: once.writes + 1, total: once.total === undefined ? undefined : once.total + reading.total! + 1 };
      const set = await withCalls(driver, expected, 'refused once, read again, applied', () => setRecords('rest', driver, 'campaign'));
      expect(set.text).toBe('{"success":true}');
      const wire = await driver.snapshot();
      const after = wire.map(driver.neutral);
      expect(after.filter((n) => n.type === 'TXT' && n.name === APEX && n.content === theirs)).toHaveLength(1);
      expectMailRecordsKept(driver, before, wire);
      // And the record set is complete.
      for (const [name, target] of CNAMES.campaign) expect(after.some((n) => n.type === 'CNAME' && n.name === name && n.content === target), name).toBe(true);
    },
  );

  describe.runIf(driver.faults)('faults during dns.set', () => {
    const deadlineMs = driver.faultDeadlineMs ?? FAULT_DEADLINE_MS;
    // A scenario runs up to three commands (the faulted one, the retry, the check), each bounded by the deadline.
    const scenarioTimeoutMs = Math.max(20_000, 3 * (deadlineMs + SLACK_MS));
    let faulty: Gateway;
    let seed: string[];
    let applied: string[];
    const run = async () => {
      const started = Date.now();
      const outcome = await setRecords('rest', driver, 'campaign', {}, faulty);
      return { outcome, ms: Date.now() - started };
    };

    beforeAll(async () => {
      faulty = await gatewayWith({ PROVIDER_DEADLINE_MS: String(deadlineMs) });
      await driver.reset();
      seed = await neutralZone(driver);
      const clean = await run();
      expect(clean.outcome.text).toBe('{"success":true}');
      applied = await neutralZone(driver);
      expect(applied).not.toEqual(seed);
      expectNoDuplicates(applied);
    }, scenarioTimeoutMs);

    it.each(FAULT_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      expect(await neutralZone(driver)).toEqual(seed);
      for (const fault of c.faults) driver.fault(fault);
      const { outcome, ms } = await run();
      expect(ms, 'within the command deadline').toBeLessThan(deadlineMs + SLACK_MS);
      const after = await neutralZone(driver);
      expectNoDuplicates(after);
      if (outcome.ok) {
        expect(c.outcome, `${c.name} succeeded: ${outcome.text}`).not.toBe('code 10');
        expect(outcome.text).toBe('{"success":true}');
        expect(after).toEqual(applied);
      } else {
        expect(c.outcome, `${c.name} failed: ${outcome.text}`).not.toBe('applied');
        expect(outcome.code, outcome.text).toBe(10);
        // Nothing foreign, nothing lost that the plan keeps; part-way only where the provider cannot be atomic,
        // and then the message says what was applied.
        expect(after.filter((r) => !seed.includes(r) && !applied.includes(r))).toEqual([]);
        expect(seed.filter((r) => applied.includes(r) && !after.includes(r))).toEqual([]);
        const partial = JSON.stringify(after) !== JSON.stringify(seed) && JSON.stringify(after) !== JSON.stringify(applied);
        if (partial) {
          expect(capabilities(driver).atomicApply, `a part-way zone from an atomic provider: ${outcome.text}`).toBe(false);
          expect(outcome.message).toMatch(/applied/);
        }
      }
      // Healed, the same command converges, and once more changes nothing.
      driver.clearFaults();
      const retry = await run();
      expect(retry.outcome.text).toBe('{"success":true}');
      expect(await neutralZone(driver)).toEqual(applied);
      const again = await run();
      expect(again.outcome.text).toBe('{"success":true}');
      expect(await neutralZone(driver)).toEqual(applied);
    }, scenarioTimeoutMs);
  });
});
