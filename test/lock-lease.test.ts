/**
 * A zone lock lost while its command runs (the Redis lease expired and another instance took it, the PostgreSQL lock
 * connection dropped) stops the command before its next provider write. There is no fencing token a DNS provider
 * could check; the lease's signal is what the service and every provider call check (src/services/zone-lock.ts).
 *
 * The zone lock here hands out a lease the test aborts at a chosen moment, through the DNS service with real
 * adapters against the loopback fakes:
 * - after the zone was read, before the first write: no write is sent (LOCK_LOST, code 10), nothing is journaled;
 *   for the sandbox (which takes no signal) as for Namecheap;
 * - between two writes of a provider that writes one rrset per call (GoDaddy), while it waits to retry the second:
 *   no write is sent after the loss, and the journal keeps the one that landed (partial).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from 'undici';
import { createGodaddyProvider } from '../providers/godaddy.js';
import { createHttpAgent } from '../providers/http.js';
import { createNamecheapProvider } from '../providers/namecheap.js';
import { createSandboxProvider } from '../providers/sandbox.js';
import type { DnsProvider, ProviderCredentials, ProviderId } from '../providers/types.js';
import { AppError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { loadTemplates, type TemplateSet } from '../src/records/template.js';
import { createDnsService, type DnsService } from '../src/services/dns-service.js';
import { createChangeJournal } from '../src/services/journal.js';
import { LockLostError, type ZoneLock } from '../src/services/zone-lock.js';
import { openStore } from '../src/storage/open.js';
import type { Store } from '../src/storage/store.js';
import { SEED_APEX, seedRecords } from './fakes/seed-zone.js';
import { GODADDY_FAKE_ACCOUNTS, startGodaddyFake, type GodaddyFake } from './fakes/godaddy-fake.js';
import { startNamecheapFake, type NamecheapFake } from './fakes/namecheap-fake.js';
import { NAMECHEAP_WHITELISTED_IP } from './helpers/world.js';
import { countSpfLookups } from '../src/records/spf-lookups.js';

const VARIABLES = { MAIL_MASTER_DOMAIN: 'mta.sender-platform.net', MAIL_SUBDOMAIN: 'sl', MAIL_DKIM_SELECTOR: 'key1', MAIL_TRACK_PREFIX: 'track' };
const NAMECHEAP = { apiKey: 'lease-key-0123456789', apiUser: 'lease-user', username: 'lease-user' };
const GODADDY = { apiKey: GODADDY_FAKE_ACCOUNTS.good.key, apiSecret: GODADDY_FAKE_ACCOUNTS.good.secret };

/** A zone lock granting one lease at a time, which the test can declare lost. */
function controllableLock(): ZoneLock & { lose(): void; grants: number } {
  let current: AbortController | undefined;
  const lock = {
    grants: 0,
    async run<T>(_key: string, work: (lease: { signal: AbortSignal }) => Promise<T>): Promise<T> {
      current = new AbortController();
      lock.grants++;
      return work({ signal: current.signal });
    },
    async close() {},
    lose() {
      current?.abort(new LockLostError('zone lock expired while held'));
    },
  };
  return lock;
}

/** `provider` with a hook after each zone read. */
function afterRead(provider: DnsProvider, hook: () => void): DnsProvider {
  return {
    ...provider,
    connect: (credentials, options) => {
      const session = provider.connect(credentials, options);
      return {
        findZone: (domain) => session.findZone(domain),
        authorize: (domain) => session.authorize(domain),
        applyChanges: (zone, contents, changes) => session.applyChanges(zone, contents, changes),
        async readZone(zone) {
          const contents = await session.readZone(zone);
          hook();
          return contents;
        },
      };
    },
  };
}

let templates: TemplateSet;
let agent: Agent;
let store: Store;
beforeAll(async () => {
  templates = await loadTemplates();
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
});
afterAll(async () => {
  await agent.close();
});
beforeEach(async () => {
  await store?.close();
  store = await openStore('sqlite::memory:');
});

function serviceWith(id: ProviderId, provider: DnsProvider, lock: ZoneLock): DnsService {
  return createDnsService({
    providers: new Map([[id, provider]]),
    templates,
    templateVariables: VARIABLES,
    countSpfLookups: (record) => countSpfLookups(record, async () => []),
    zoneLock: lock,
    journal: createChangeJournal({ store }),
    logger: createLogger({ level: 'silent' }),
  });
}

const set = (service: DnsService, provider: ProviderId, credentials: ProviderCredentials) =>
  service.setRecords({ domain: SEED_APEX, provider, credentials, recordType: 'campaign', dryRun: false, force: false, principal: 'key:lease', account: 'key:lease' });

describe('a zone lock lost after the read stops the command before its first write', () => {
  let namecheap: NamecheapFake;
  beforeAll(async () => {
    namecheap = await startNamecheapFake({ apiKey: NAMECHEAP.apiKey, apiUser: NAMECHEAP.apiUser, whitelistedIps: [NAMECHEAP_WHITELISTED_IP] });
  });
  afterAll(async () => {
    await namecheap.close();
  });

  const expectLockLost = (error: unknown) => {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).primary).toMatchObject({ key: 'LOCK_LOST', code: 10, message: 'The zone lock was lost before writing, so nothing was written' });
    expect((error as AppError).httpStatus).toBe(503);
  };

  it('Namecheap: no setHosts is sent, nothing is journaled, the zone is as it was', async () => {
    const lock = controllableLock();
    const provider = afterRead(createNamecheapProvider({ baseUrl: namecheap.baseUrl, dispatcher: agent, clientIp: NAMECHEAP_WHITELISTED_IP }), () => lock.lose());
    const before = structuredClone(namecheap.state.zones.get(SEED_APEX)!.hosts);
    expectLockLost(await set(serviceWith('namecheap', provider, lock), 'namecheap', NAMECHEAP).catch((e: unknown) => e));
    expect(lock.grants).toBe(1);
    expect(namecheap.calls.map((c) => c.command)).toEqual(['namecheap.domains.dns.gethosts']);
    expect(namecheap.state.zones.get(SEED_APEX)!.hosts).toEqual(before);
    expect(await store.listChanges({ account: null })).toEqual([]);
  });

  it('the sandbox, whose writes take no signal: the service itself does not write', async () => {
    const seeded = await store.applySandboxWrites(
      'key:lease',
      SEED_APEX,
      seedRecords({ srv: false }).map((r, i) => ({ op: 'insert' as const, id: `seed-${i}`, record: { type: r.type, name: r.name, content: r.content, ttl: r.ttl, priority: r.priority ?? null } })),
    );
    expect(seeded.ok).toBe(true);
    const before = await store.readSandboxZone('key:lease', SEED_APEX);
    const lock = controllableLock();
    const provider = afterRead(createSandboxProvider({ store }), () => lock.lose());
    expectLockLost(await set(serviceWith('sandbox', provider, lock), 'sandbox', { apiKey: 'any' }).catch((e: unknown) => e));
    expect(await store.readSandboxZone('key:lease', SEED_APEX)).toEqual(before);
    expect(await store.listChanges({ account: null })).toEqual([]);
  });
});

describe('a zone lock lost between two writes stops the next one (GoDaddy: one PUT per rrset)', () => {
  let godaddy: GodaddyFake;
  beforeAll(async () => {
    godaddy = await startGodaddyFake();
  });
  afterAll(async () => {
    await godaddy.close();
  });

  it('sends no write after the loss, and journals the one that landed as partial', async () => {
    const lock = controllableLock();
    const seed = godaddy.snapshot();
    // The second rrset's PUT meets GoDaddy's short-lived 409 (retried: rrset PUTs are idempotent), and the lease is
    // lost while the adapter waits to send it again.
    godaddy.failNext({ status: 409, method: 'PUT', pathIncludes: 'CNAME/key1._domainkey.sl' });
    const provider = createGodaddyProvider({ baseUrl: godaddy.baseUrl, dispatcher: agent, sleep: async () => lock.lose() });
    const error = await set(serviceWith('godaddy', provider, lock), 'godaddy', GODADDY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).primary).toMatchObject({
      code: 10,
      message: expect.stringMatching(/GoDaddy: the command was cancelled; 1 of 4 changes were applied \(CREATE CNAME sl\.example\.com\)/),
    });
    // The first rrset and the refused second one reached GoDaddy; nothing after the loss did.
    expect(godaddy.calls.filter((c) => c.method !== 'GET').map((c) => [c.method, c.path, c.status])).toEqual([
      ['PUT', `/v1/domains/${SEED_APEX}/records/CNAME/sl`, 200],
      ['PUT', `/v1/domains/${SEED_APEX}/records/CNAME/key1._domainkey.sl`, 409],
    ]);
    expect(godaddy.snapshot().filter((r) => !seed.some((s) => JSON.stringify(s) === JSON.stringify(r)))).toEqual([
      expect.objectContaining({ type: 'CNAME', name: 'sl' }),
    ]);
    const [entry] = await store.listChanges({ account: null });
    expect(entry).toMatchObject({ status: 'partial', applied: true });
    expect((entry!.changes as { writes: unknown[] }).writes).toHaveLength(1);
  });
});
