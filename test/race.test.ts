/**
 * No lost updates. Namecheap's setHosts replaces the whole host list, so two read-merge-write commands on one zone
 * that overlap each write back the zone as they read it, and the later one silently deletes the earlier one's records
 * (providers.md §3 "Lost-update race"). The gateway serialises commands per zone (src/services/zone-lock.ts).
 *
 * 1. Through the gateway: 20 concurrent dns.set, each for its own sub-domain of one Namecheap zone; afterwards every
 *    one of the 20 record sets is present and every seed record is unchanged.
 * 2. Why the lock matters, shown directly on the adapter: the same 20 read-merge-writes overlapped without the lock
 *    lose all but one record set; run through the in-process zone lock, none is lost.
 * 3. Dry runs only read and take no lock: one is answered while a write to the same zone holds it.
 * 4. Reverts take the same lock: a dns.revert and a dns.set on one Namecheap zone at once, through the DNS service,
 *    keep both outcomes (the reverted records gone, the new ones there). Without the lock around the revert the two
 *    read-merge-writes overlap (a barrier makes that certain) and one of them is lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { createHttpAgent } from '../providers/http.js';
import { createNamecheapProvider } from '../providers/namecheap.js';
import type { DnsProvider, RecordChange, Zone } from '../providers/types.js';
import { createInProcessZoneLock, type ZoneLock } from '../src/services/zone-lock.js';
import { createLogger } from '../src/logger.js';
import { loadTemplates } from '../src/records/template.js';
import { createDnsService, type DnsService } from '../src/services/dns-service.js';
import { createChangeJournal } from '../src/services/journal.js';
import { openStore } from '../src/storage/open.js';
import type { Store } from '../src/storage/store.js';
import { SEED_APEX } from './fakes/seed-zone.js';
import { startNamecheapFake, type FakeHost, type NamecheapFake } from './fakes/namecheap-fake.js';
import { bearer, postJson } from './helpers/gateway.js';
import { NAMECHEAP_WHITELISTED_IP, SECRETS, startWorld, type World } from './helpers/world.js';
import { countSpfLookups } from '../src/records/spf-lookups.js';

const CONCURRENT = 20;
/** The account of the service-level race's commands (the gateway-level ones use the admin key's). */
const RACE_ACCOUNT = { id: 'key:race', admin: false } as const;
const subdomains = Array.from({ length: CONCURRENT }, (_, i) => `s${i + 1}.${SEED_APEX}`);

/** A host as content (Namecheap renumbers HostId on every setHosts). */
const content = ({ HostId: _id, ...host }: FakeHost) => JSON.stringify(host);
const fullName = (host: FakeHost) => (host.Name === '@' ? SEED_APEX : `${host.Name}.${SEED_APEX}`);

describe('concurrent dns.set on one Namecheap zone, through the gateway', () => {
  let world: World;
  let key: string;
  const body = (domain: string) => ({
    Domain: domain,
    Provider: 'namecheap',
    ApiKey: SECRETS.namecheapKey,
    ApiUser: SECRETS.namecheapUser,
    Username: SECRETS.namecheapUser,
    RecordType: 'campaign',
  });

  beforeAll(async () => {
    // 20 dry runs + 20 writes + checks stay under the per-key request budget.
    world = await startWorld({ RATE_LIMIT_MAX: '1000' });
    key = await world.gateway.createKey();
  });
  afterAll(async () => {
    await world.close();
  });

  it(`keeps all ${CONCURRENT} record sets and every seed record`, async () => {
    const zone = world.namecheap.state.zones.get(SEED_APEX)!;
    const seed = zone.hosts.map(content);

    // What each command must add, from its own dry run against the untouched zone.
    const expected = new Map<string, { type: string; name: string; content: string }[]>();
    for (const domain of subdomains) {
      const dry = await postJson(world.gateway, '/api/v1/dns.set', { ...body(domain), DryRun: true }, bearer(key));
      const creates = (dry.json.changes as { action: string; type: string; name: string; content: string }[]).filter((c) => c.action === 'CREATE');
      expect(creates.length).toBeGreaterThan(0);
      expect(creates.every((c) => c.name.endsWith(`.${domain}`))).toBe(true);
      expected.set(domain, creates);
    }
    expect(world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts')).toHaveLength(0);

    const results = await Promise.all(subdomains.map((domain) => postJson(world.gateway, '/api/v1/dns.set', body(domain), bearer(key))));
    expect(results.map((r) => r.json)).toEqual(subdomains.map(() => ({ success: true })));

    // One whole-list write per command, and none of them lost another's records.
    expect(world.namecheap.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts')).toHaveLength(CONCURRENT);
    const now = zone.hosts;
    for (const [domain, creates] of expected) {
      for (const c of creates) {
        const found = now.filter((h) => fullName(h) === c.name && h.Type === c.type && h.Address.replace(/\.$/, '') === c.content.replace(/\.$/, ''));
        expect(found, `${c.type} ${c.name} for ${domain}`).toHaveLength(1);
      }
    }
    const added = [...expected.values()].reduce((n, creates) => n + creates.length, 0);
    expect(now).toHaveLength(seed.length + added);
    const after = now.map(content);
    expect(seed.filter((h) => !after.includes(h))).toEqual([]);
  });
});

describe('why the lock matters: the same race on the adapter directly', () => {
  let fake: NamecheapFake;
  let agent: Agent;
  let provider: DnsProvider;
  const zone: Zone = { name: SEED_APEX, id: SEED_APEX };
  const credentials = { apiKey: 'race-key-0123456789', apiUser: 'race-user', username: 'race-user' };
  const create = (i: number): RecordChange => ({
    action: 'CREATE',
    record: { type: 'CNAME', name: `sl.s${i}.${SEED_APEX}`, content: `mta${i}.sender.example.net`, ttl: 3600 },
  });
  const present = () => subdomains.filter((_, i) => fake.state.zones.get(SEED_APEX)!.hosts.some((h) => h.Name === `sl.s${i + 1}`));

  beforeAll(async () => {
    agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  });
  afterAll(async () => {
    await agent.close();
  });

  async function freshFake(): Promise<void> {
    await fake?.close();
    fake = await startNamecheapFake({ apiKey: credentials.apiKey, apiUser: credentials.apiUser, whitelistedIps: [NAMECHEAP_WHITELISTED_IP] });
    provider = createNamecheapProvider({ baseUrl: fake.baseUrl, dispatcher: agent, clientIp: NAMECHEAP_WHITELISTED_IP });
  }
  afterAll(async () => {
    await fake?.close();
  });

  /** One command: read the zone, then write it back with one more record (what dns.set does). */
  async function readMergeWrite(i: number, afterRead: () => Promise<void> = async () => undefined): Promise<void> {
    const session = provider.connect(credentials);
    const contents = await session.readZone(zone);
    await afterRead();
    await session.applyChanges(zone, contents, [create(i)]);
  }

  it('without the lock, overlapping commands lose every record set but the last written', async () => {
    await freshFake();
    // Every command reads before any writes (a barrier makes the overlap certain, not a matter of timing).
    let reads = 0;
    let release!: () => void;
    const allRead = new Promise<void>((resolve) => (release = resolve));
    const barrier = async () => {
      if (++reads === CONCURRENT) release();
      await allRead;
    };
    await Promise.all(subdomains.map((_, i) => readMergeWrite(i + 1, barrier)));
    expect(fake.calls.filter((c) => c.command === 'namecheap.domains.dns.sethosts')).toHaveLength(CONCURRENT);
    expect(present()).toHaveLength(1);
  });

  it('through the zone lock, the same 20 commands keep all 20 record sets', async () => {
    await freshFake();
    const lock = createInProcessZoneLock();
    await Promise.all(subdomains.map((_, i) => lock.run(`namecheap:${SEED_APEX}`, () => readMergeWrite(i + 1))));
    expect(present()).toEqual(subdomains);
  });
});

describe('a dry run takes no zone lock', () => {
  let world: World;
  let key: string;
  const body = { Domain: SEED_APEX, Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign' };
  /**
   * The write below holds the zone lock while its hung batch attempt runs: 40 % of the command deadline (providers/
   * http.ts ATTEMPT_SHARE), 4 s here. A dry run answered while the write is still unfinished cannot have waited for
   * the lock; 4 s leaves it a margin of seconds on a loaded 2-core machine (it takes tens of milliseconds alone).
   */
  const DEADLINE_MS = 10_000;

  beforeAll(async () => {
    world = await startWorld({ PROVIDER_DEADLINE_MS: String(DEADLINE_MS) });
    key = await world.gateway.createKey();
  });
  afterAll(async () => {
    await world.close();
  });

  it('is answered while a write to the same zone holds the lock', async () => {
    world.cloudflare.failNext({ kind: 'hang' }, { pathPart: '/dns_records/batch' });
    let writeDone = false;
    const write = postJson(world.gateway, '/api/v1/dns.set', body, bearer(key)).finally(() => (writeDone = true));
    // Wait until the write is inside the lock (its batch has reached the fake), however long that takes; the write
    // cannot finish before, as its batch hangs.
    const batchSent = () => world.cloudflare.calls.some((c) => c.path.endsWith('/dns_records/batch'));
    while (!batchSent() && !writeDone) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batchSent()).toBe(true);
    const dry = await postJson(world.gateway, '/api/v1/dns.set', { ...body, DryRun: true }, bearer(key));
    // Answered while the write still held the lock: a dry run queued behind the lock could only finish after it.
    expect(writeDone).toBe(false);
    expect(dry.status).toBe(200);
    expect((dry.json.changes as { action: string }[]).some((c) => c.action === 'CREATE')).toBe(true);
    // The write itself goes on: its hung batch times out, the zone is re-read, and the batch is sent once more.
    const reply = await write;
    expect(reply.status).toBe(200);
  });
});

describe('a revert and a dns.set on one Namecheap zone at once, through the DNS service', () => {
  let fake: NamecheapFake;
  let agent: Agent;
  let store: Store;
  let service: DnsService;
  const credentials = { apiKey: 'race-key-0123456789', apiUser: 'race-user', username: 'race-user' };
  /**
   * The race is made certain, not left to timing: once armed, a command that has read the zone waits until the other
   * command has read it too, or is waiting for the zone lock (then the lock serialises them, as it must).
   */
  const race = { armed: false, reads: 0, waitingForLock: 0 };
  const waiters: (() => void)[] = [];
  const changed = () => waiters.splice(0).forEach((wake) => wake());
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise<void>((resolve) => waiters.push(resolve));
  };

  beforeAll(async () => {
    agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
    fake = await startNamecheapFake({ apiKey: credentials.apiKey, apiUser: credentials.apiUser, whitelistedIps: [NAMECHEAP_WHITELISTED_IP] });
    const real = createNamecheapProvider({ baseUrl: fake.baseUrl, dispatcher: agent, clientIp: NAMECHEAP_WHITELISTED_IP });
    const provider: DnsProvider = {
      ...real,
      connect: (creds, options) => {
        const session = real.connect(creds, options);
        return {
          findZone: (domain) => session.findZone(domain),
          authorize: (domain) => session.authorize(domain),
          applyChanges: (zone, contents, changes) => session.applyChanges(zone, contents, changes),
          async readZone(zone) {
            const contents = await session.readZone(zone);
            if (race.armed) {
              race.reads++;
              changed();
              await until(() => race.reads >= 2 || race.waitingForLock > 0);
            }
            return contents;
          },
        };
      },
    };
    const lock = createInProcessZoneLock();
    const zoneLock: ZoneLock = {
      run(key, work) {
        race.waitingForLock++;
        changed();
        return lock.run(key, (lease) => {
          race.waitingForLock--;
          return work(lease);
        });
      },
      close: () => lock.close(),
    };
    store = await openStore('sqlite::memory:');
    service = createDnsService({
      providers: new Map([['namecheap', provider]]),
      templates: await loadTemplates(),
      templateVariables: { MAIL_MASTER_DOMAIN: 'mta.sender-platform.net', MAIL_SUBDOMAIN: 'sl', MAIL_DKIM_SELECTOR: 'key1', MAIL_TRACK_PREFIX: 'track' },
      countSpfLookups: (record) => countSpfLookups(record, async () => []),
      zoneLock,
      journal: createChangeJournal({ store }),
      logger: createLogger({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await store?.close();
    await fake?.close();
    await agent?.close();
  });

  const set = (domain: string) =>
    service.setRecords({ domain, provider: 'namecheap', credentials, recordType: 'campaign', dryRun: false, force: false, principal: 'key:race', account: RACE_ACCOUNT.id });
  const hostsUnder = (sub: string) => fake.state.zones.get(SEED_APEX)!.hosts.filter((h) => h.Name.endsWith(`.${sub}`) || h.Name === `sl.${sub}`).map((h) => h.Name).sort();

  it('keeps both: the reverted record set is gone and the new one is there, every seed record as it was', async () => {
    const seed = fake.state.zones.get(SEED_APEX)!.hosts.map(content);
    // The change to revert: sub-domain r1's record set.
    await set(`r1.${SEED_APEX}`);
    const [toRevert] = await service.listChanges(`r1.${SEED_APEX}`, RACE_ACCOUNT);
    expect(toRevert).toMatchObject({ status: 'applied' });
    const r1 = hostsUnder('r1');
    expect(r1.length).toBeGreaterThan(0);

    race.armed = true;
    // dns.set for r2 reads the zone first, then the revert of r1 starts.
    const setting = set(`r2.${SEED_APEX}`);
    await until(() => race.reads === 1);
    const reverting = service.revert({ changeId: toRevert!.id, credentials, principal: 'key:race', account: RACE_ACCOUNT });
    await Promise.all([setting, reverting]);
    race.armed = false;

    expect(hostsUnder('r1'), 'the reverted records are gone').toEqual([]);
    expect(hostsUnder('r2'), "the concurrent dns.set's records are there").toEqual(r1.map((name) => name.replace('r1', 'r2')).sort());
    const now = fake.state.zones.get(SEED_APEX)!.hosts;
    expect(seed.filter((h) => !now.map(content).includes(h))).toEqual([]);
    expect(now).toHaveLength(seed.length + r1.length);
  });
});
