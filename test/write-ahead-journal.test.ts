/**
 * The write-ahead change journal, through the DNS service (src/services/dns-service.ts) on a real store: SQLite
 * always, PostgreSQL (127.0.0.1:5432) too, skipped with a warning when it is unreachable, never skipped under CI=true.
 *
 * The provider is the sandbox (zones in the same database) with its applyChanges wrapped, so a test can look at the
 * journal at the moment of the provider write, make the write fail part-way, or never return (a process that stopped
 * mid-write). The store is wrapped where a test needs its journal writes to fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandboxProvider } from '../providers/sandbox.js';
import { ProviderError, type DnsProvider, type ProviderSession, type RecordChange, type Zone, type ZoneContents, type ApplyResult } from '../providers/types.js';
import { AppError } from '../src/errors.js';
import { createLogger } from '../src/logger.js';
import { loadTemplates, type TemplateSet } from '../src/records/template.js';
import { createDnsService, type ChangeEntryView, type DnsService } from '../src/services/dns-service.js';
import { createChangeJournal } from '../src/services/journal.js';
import { createInProcessZoneLock } from '../src/services/zone-lock.js';
import { openStore } from '../src/storage/open.js';
import type { SandboxRecordFields, Store } from '../src/storage/store.js';
import { createTestDatabase, createTestSchema, postgresReachable, POSTGRES_LABEL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';
import { countSpfLookups } from '../src/records/spf-lookups.js';

const DOMAIN = 'wal-customer.com';
const VARIABLES = { MAIL_MASTER_DOMAIN: 'mta.sender-platform.net', MAIL_SUBDOMAIN: 'sl', MAIL_DKIM_SELECTOR: 'key1', MAIL_TRACK_PREFIX: 'track' };
const SEED: SandboxRecordFields[] = [
  { type: 'A', name: DOMAIN, content: '203.0.113.10', ttl: 3600, priority: null },
  { type: 'MX', name: DOMAIN, content: 'mx1.mailhost.example.net', ttl: 3600, priority: 10 },
];
const PLANNED = [
  `CREATE CNAME key1._domainkey.${DOMAIN}`,
  `CREATE CNAME key1._domainkey.sl.${DOMAIN}`,
  `CREATE CNAME sl.${DOMAIN}`,
  `CREATE CNAME track-sl.${DOMAIN}`,
  `CREATE TXT _dmarc.${DOMAIN}`,
].sort();

type Apply = (session: ProviderSession, zone: Zone, contents: ZoneContents, changes: readonly RecordChange[]) => Promise<ApplyResult>;

/** The sandbox provider, with applyChanges going through `apply` (by default: straight to the sandbox). */
function sandboxWith(store: Store, apply: () => Apply | undefined): DnsProvider {
  const real = createSandboxProvider({ store });
  return {
    ...real,
    connect: (credentials, options) => {
      const session = real.connect(credentials, options);
      return {
        findZone: (domain) => session.findZone(domain),
        authorize: (domain) => session.authorize(domain),
        readZone: (zone) => session.readZone(zone),
        applyChanges: (zone, contents, changes) => (apply() ?? ((s, z, c, ch) => s.applyChanges(z, c, ch)))(session, zone, contents, changes),
      };
    },
  };
}

interface Harness {
  readonly store: Store;
  readonly service: DnsService;
  readonly logLines: string[];
  /** The next applyChanges calls go through this (cleared after each test). */
  apply: Apply | undefined;
  applyCalls: number;
}

let templates: TemplateSet;
beforeAll(async () => {
  templates = await loadTemplates();
});

function harness(store: Store, journalStore: Store = store): Harness {
  const logLines: string[] = [];
  const h: Harness = {
    store,
    logLines,
    apply: undefined,
    applyCalls: 0,
    service: undefined as unknown as DnsService,
  };
  const provider = sandboxWith(store, () => {
    h.applyCalls++;
    return h.apply;
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  (h as { service: DnsService }).service = createDnsService({
    providers: new Map([['sandbox', provider]]),
    templates,
    templateVariables: VARIABLES,
    // No MAIL_SPF_INCLUDE: the campaign set writes no SPF, so nothing is looked up.
    countSpfLookups: (record) => countSpfLookups(record, async () => []),
    zoneLock: createInProcessZoneLock(),
    journal: createChangeJournal({ store: journalStore }),
    logger: createLogger({ level: 'info', destination: sink }),
  });
  return h;
}

/** A store whose named methods reject, for the journal's writes to fail. */
function failing(store: Store, methods: readonly (keyof Store)[]): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (methods.includes(name as keyof Store)) return async () => Promise.reject(new Error(`database unavailable (${String(name)})`));
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The account every command of these tests acts for. */
const WAL = { id: 'key:wal', admin: false } as const;
const setCommand = { domain: DOMAIN, provider: 'sandbox' as const, credentials: { apiKey: 'sandbox-key' }, recordType: 'campaign' as const, dryRun: false, force: false, principal: 'key:wal', account: WAL.id };
const lines = (entry: ChangeEntryView) => entry.changes.map((c) => `${c.action} ${c.type} ${c.name}`).sort();
const zoneOf = async (store: Store) => (await store.readSandboxZone(WAL.id, DOMAIN)).map(({ id: _id, ...r }) => JSON.stringify(r)).sort();

// ------------------------------------------------------------------------------------------------ the engines

let dir: string;
const pgAvailable = await postgresReachable();
let pgDatabase: TestDatabase | undefined;

const engines: [name: 'sqlite' | 'postgres', skip: boolean][] = [
  ['sqlite', false],
  ['postgres', shouldSkip('write-ahead journal on PostgreSQL', pgAvailable ? [] : [POSTGRES_LABEL])],
];

describe.each(engines)('write-ahead journal on %s', (engine, skip) => {
  describe.skipIf(skip)(engine, () => {
    const stores: Store[] = [];
    /** A new, empty, migrated database; `url` opens it again (a second instance, or the same one after a restart). */
    let url: string;
    const open = async () => {
      const store = await openStore(url);
      stores.push(store);
      return store;
    };

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'dg-wal-'));
      if (engine === 'postgres') pgDatabase = await createTestDatabase();
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      if (engine === 'postgres') await pgDatabase?.drop();
      rmSync(dir, { recursive: true, force: true });
    });
    let store: Store;
    beforeEach(async () => {
      url = engine === 'sqlite' ? `sqlite:${path.join(dir, `${randomUUID()}.db`)}` : await createTestSchema(pgDatabase!.url);
      store = await open();
      const seeded = await store.applySandboxWrites(WAL.id, DOMAIN, SEED.map((record) => ({ op: 'insert' as const, id: randomUUID(), record })));
      expect(seeded.ok).toBe(true);
    });

    it('stores the entry pending, with the planned writes, before the first provider write; completes it applied after', async () => {
      const h = harness(store);
      let atWrite: ChangeEntryView[] | undefined;
      h.apply = async (session, zone, contents, changes) => {
        atWrite = await h.service.listChanges(DOMAIN, WAL);
        return session.applyChanges(zone, contents, changes);
      };
      await expect(h.service.setRecords(setCommand)).resolves.toMatchObject({ applied: true });
      expect(atWrite).toHaveLength(1);
      expect(atWrite![0]).toMatchObject({ status: 'pending', applied: false, domain: DOMAIN, revertOf: null });
      expect(lines(atWrite![0]!)).toEqual(PLANNED);

      const [entry] = await h.service.listChanges(DOMAIN, WAL);
      expect(entry).toMatchObject({ id: atWrite![0]!.id, status: 'applied', applied: true });
      expect(lines(entry!)).toEqual(PLANNED);
      expect(entry).not.toHaveProperty('problem');
    });

    it('shows an entry whose process stopped mid-write as pending, to another instance; its writes can be reverted', async () => {
      const before = await zoneOf(store);
      const h = harness(store);
      let written!: () => void;
      const landed = new Promise<void>((resolve) => (written = resolve));
      // The provider write lands, then the process "stops": the command never returns, the entry is never completed.
      h.apply = async (session, zone, contents, changes) => {
        await session.applyChanges(zone, contents, changes);
        written();
        return new Promise<never>(() => undefined);
      };
      void h.service.setRecords(setCommand);
      await landed;

      const other = harness(await open());
      const [entry] = await other.service.listChanges(DOMAIN, WAL);
      expect(entry).toMatchObject({ status: 'pending', applied: false });
      expect(lines(entry!)).toEqual(PLANNED);
      // The writes are in the zone: the pending entry's revert undoes exactly them.
      expect(await zoneOf(store)).not.toEqual(before);
      await other.service.revert({ changeId: entry!.id, credentials: { apiKey: 'sandbox-key' }, principal: 'key:wal', account: WAL });
      expect(await zoneOf(store)).toEqual(before);
    });

    it('writes nothing when the pending entry cannot be stored: code 10 (JOURNAL_FAILED), no provider write', async () => {
      const before = await zoneOf(store);
      const h = harness(store, failing(store, ['insertChange']));
      h.apply = async () => {
        throw new Error('the provider must not be called');
      };
      const error = await h.service.setRecords(setCommand).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).primary).toMatchObject({ key: 'JOURNAL_FAILED', code: 10, message: 'The change could not be journaled, so nothing was written' });
      expect((error as AppError).httpStatus).toBe(500);
      expect(h.applyCalls).toBe(0);
      expect(await zoneOf(store)).toEqual(before);
      expect(await store.listChanges({ account: null, domain: DOMAIN })).toEqual([]);
      expect(h.logLines.some((l) => l.includes('could not journal the planned DNS changes; nothing was written'))).toBe(true);
    });

    it('completes the entry partial with the writes that landed, or failed when none did; a failed one cannot be reverted', async () => {
      const h = harness(store);
      h.apply = async (session, zone, contents, changes) => {
        await session.applyChanges(zone, contents, changes.slice(0, 1));
        throw new ProviderError('sandbox', 'unavailable', 'the second write was lost', { applied: changes.slice(0, 1) });
      };
      await expect(h.service.setRecords(setCommand)).rejects.toMatchObject({ primary: { code: 10 } });
      const [partial] = await h.service.listChanges(DOMAIN, WAL);
      expect(partial).toMatchObject({ status: 'partial', applied: true });
      expect(partial!.changes).toHaveLength(1);
      expect(PLANNED).toContain(lines(partial!)[0]);

      h.apply = async () => {
        throw new ProviderError('sandbox', 'unavailable', 'nothing was written');
      };
      await expect(h.service.setRecords(setCommand)).rejects.toMatchObject({ primary: { code: 10 } });
      const [failed] = await h.service.listChanges(DOMAIN, WAL);
      expect(failed).toMatchObject({ status: 'failed', applied: false, changes: [] });
      await expect(h.service.revert({ changeId: failed!.id, credentials: { apiKey: 'sandbox-key' }, principal: 'key:wal', account: WAL })).rejects.toMatchObject({
        primary: { key: 'REVERT_REFUSED', message: `Revert refused: change ${failed!.id} wrote nothing (failed)` },
      });
    });

    it('answers success when only the completion cannot be stored: the entry stays pending, and the log says so', async () => {
      const h = harness(store, failing(store, ['completeChange']));
      await expect(h.service.setRecords(setCommand)).resolves.toMatchObject({ applied: true });
      const [entry] = await h.service.listChanges(DOMAIN, WAL);
      expect(entry).toMatchObject({ status: 'pending' });
      expect(lines(entry!)).toEqual(PLANNED);
      expect(h.logLines.some((l) => l.includes('could not complete the journal entry of DNS changes; it stays pending'))).toBe(true);
    });

    it('lists an entry it cannot read with its problem instead of dropping it, and refuses to revert it', async () => {
      const h = harness(store);
      await h.service.setRecords(setCommand);
      await store.insertChange({
        id: 'unreadable-1',
        createdAt: new Date(Date.now() + 1000).toISOString(),
        principal: 'key:other-release',
        account: WAL.id,
        domain: DOMAIN,
        provider: 'sandbox',
        recordType: 'campaign',
        status: 'applied',
        applied: true,
        changes: { writes: 'in a shape this release does not know' },
      });
      const listed = await h.service.listChanges(DOMAIN, WAL);
      expect(listed.map((e) => [e.id, e.status])).toEqual([
        ['unreadable-1', 'applied'],
        [expect.any(String), 'applied'],
      ]);
      expect(listed[0]).toMatchObject({ changes: [], problem: expect.stringMatching(/^the stored change list of this entry cannot be read \(/) });
      await expect(h.service.revert({ changeId: 'unreadable-1', credentials: { apiKey: 'sandbox-key' }, principal: 'key:wal', account: WAL })).rejects.toMatchObject({
        primary: { key: 'REVERT_REFUSED', message: expect.stringContaining('change unreadable-1 cannot be read') },
      });
    });
  });
});
