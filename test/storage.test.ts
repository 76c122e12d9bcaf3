/**
 * The storage suite, run on both engines: SQLite (always) and PostgreSQL (the machine's server on 127.0.0.1:5432;
 * skipped with a warning when absent, never skipped when CI=true). Each PostgreSQL test gets a fresh schema in a
 * database created for this run, so the same assertions see the same empty start on both engines.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS_TABLE, forEngine, pendingMigrations, type Migration } from '../src/storage/migrations.js';
import { DatabaseUnavailableError, openStore, type OpenStoreOptions } from '../src/storage/open.js';
import { StoreConflictError, type Store } from '../src/storage/store.js';
import { UNASSIGNED_ACCOUNT } from '../src/auth/account.js';
import { adminQuery, createTestDatabase, createTestSchema, postgresReachable, POSTGRES_LABEL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dg-storage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const user = (id: string, username: string) => ({ id, username, passwordHash: 'scrypt$x', permissions: ['User.Update'], createdAt: '2025-01-01T00:00:00.000Z' });
const key = (id: string, userId: string | null = null) => ({ id, name: `key ${id}`, userId, keyHash: 'ab'.repeat(32), permissions: ['User.Update'], createdAt: '2025-01-01T00:00:00.000Z' });

/** What the shared suite needs from an engine: fresh empty databases, and a raw look inside one. */
interface Engine {
  readonly name: 'sqlite' | 'postgres';
  /** A DATABASE_URL naming a new, empty database. */
  newDatabase(): Promise<string>;
  /** Rows of a raw query, bypassing the store. */
  query<R>(url: string, sql: string): Promise<R[]>;
  /** A raw statement that writes, bypassing the store. */
  execute(url: string, sql: string): Promise<void>;
  tableExists(url: string, table: string): Promise<boolean>;
}

const sqliteEngine: Engine = {
  name: 'sqlite',
  async newDatabase() {
    return `sqlite:${path.join(dir, `${Math.random().toString(36).slice(2)}.db`)}`;
  },
  async query<R>(url: string, sql: string) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(sql).all() as R[];
    } finally {
      db.close();
    }
  },
  async execute(url: string, sql: string) {
    const db = new Database(url.slice('sqlite:'.length));
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  },
  async tableExists(url, table) {
    return (await this.query(url, `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${table}'`)).length === 1;
  },
};

const pgAvailable = await postgresReachable();
let pgDatabase: TestDatabase | undefined;

const postgresEngine: Engine = {
  name: 'postgres',
  async newDatabase() {
    if (!pgDatabase) throw new Error('PostgreSQL test database not created (is PostgreSQL running on 127.0.0.1:5432?)');
    return createTestSchema(pgDatabase.url);
  },
  query: <R>(url: string, sql: string) => adminQuery(sql, url) as Promise<R[]>,
  async execute(url, sql) {
    await adminQuery(sql, url);
  },
  async tableExists(url, table) {
    const rows = await adminQuery(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, url, [table]);
    return rows.length === 1;
  },
};

const engines: [Engine, boolean][] = [
  [sqliteEngine, false],
  [postgresEngine, shouldSkip('storage on PostgreSQL', pgAvailable ? [] : [POSTGRES_LABEL])],
];

describe.each(engines)('storage on $name', (engine, skip) => {
  const open = (url: string, options: OpenStoreOptions = {}) => openStore(url, options);

  describe.skipIf(skip)(engine.name, () => {
    if (engine.name === 'postgres') {
      beforeAll(async () => {
        pgDatabase = await createTestDatabase();
      });
      afterAll(async () => {
        await pgDatabase?.drop();
        pgDatabase = undefined;
      });
    }

    describe('opening and migrating', () => {
      it('applies every migration once, and reopening applies none', async () => {
        const url = await engine.newDatabase();
        const first = await open(url);
        expect(first.engine).toBe(engine.name);
        await first.createUser(user('u1', 'alice'));
        await first.close();

        const second = await openStore(loadConfig({ DATABASE_URL: url }).DATABASE_URL);
        expect(await second.findUserByUsername('alice')).toMatchObject({ id: 'u1' });
        await second.close();

        const versions = await engine.query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.map((v) => Number(v.version))).toEqual(MIGRATIONS.map((m) => m.version));
      });

      it('applies only the new migrations of a later release, and rolls a failing migration back whole', async () => {
        const url = await engine.newDatabase();
        await (await open(url)).close();
        const broken: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'broken', statements: ['CREATE TABLE extra (a TEXT)', 'NOT SQL'] }];
        await expect(open(url, { migrations: broken })).rejects.toThrow();
        expect(await engine.tableExists(url, 'extra')).toBe(false);
        expect(await engine.query(url, 'SELECT MAX(version) AS v FROM schema_migrations')).toEqual([{ v: MIGRATIONS.length }]);

        const next: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', statements: ['CREATE TABLE extra (a TEXT)'] }];
        await (await open(url, { migrations: next })).close();
        await (await open(url, { migrations: next })).close();
        expect(await engine.tableExists(url, 'extra')).toBe(true);
      });

      it('lets instances start together on one empty database: each migration once, one first key', async () => {
        const url = await engine.newDatabase();
        const stores = await Promise.all([open(url), open(url), open(url)]);
        try {
          const inserted = await Promise.all(stores.map((s, i) => s.insertApiKeyIfNoneExist(key(`k${i}`))));
          expect(inserted.filter(Boolean)).toHaveLength(1);
          expect(await stores[0]!.listApiKeys()).toHaveLength(1);
        } finally {
          await Promise.all(stores.map((s) => s.close()));
        }
        const versions = await engine.query<{ version: number }>(url, 'SELECT version FROM schema_migrations');
        expect(versions).toHaveLength(MIGRATIONS.length);
      });

      it('migration 4 (write-ahead journal): rows journaled before it become applied; status takes only the four values', async () => {
        const url = await engine.newDatabase();
        // The database as release 3 left it (its store cannot be opened here: this release's statements need `status`).
        await engine.execute(url, forEngine(SCHEMA_MIGRATIONS_TABLE, engine.name));
        for (const migration of MIGRATIONS.slice(0, 3)) {
          for (const statement of migration.statements) await engine.execute(url, forEngine(statement, engine.name));
          await engine.execute(url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${migration.version}, 'v${migration.version}', '2024-01-01')`);
        }
        const row = (id: string, extra = '') =>
          `INSERT INTO dns_changes (id, created_at, principal, domain, provider, record_type, applied, changes${extra ? ', status' : ''}) ` +
          `VALUES ('${id}', '2024-01-01T00:00:00.000Z', 'key:k1', 'a.com', 'sandbox', 'campaign', 1, '{"revertOf":null,"writes":[]}'${extra ? `, '${extra}'` : ''})`;
        await engine.execute(url, row('before-4'));
        const store = await open(url);
        try {
          expect(await store.getChange('before-4', null)).toMatchObject({ status: 'applied', applied: true, changes: { revertOf: null, writes: [] } });
          await expect(engine.execute(url, row('bad-status', 'done'))).rejects.toThrow();
          await engine.execute(url, row('pending-row', 'pending'));
          expect(await store.getChange('pending-row', null)).toMatchObject({ status: 'pending' });
        } finally {
          await store.close();
        }
      });

      /** The database as release `release` left it, with `setup` run on it; then opened (migrated) by this release. */
      async function migratedFrom(release: number, setup: string[]): Promise<{ url: string; store: Store }> {
        const url = await engine.newDatabase();
        await engine.execute(url, forEngine(SCHEMA_MIGRATIONS_TABLE, engine.name));
        for (const migration of MIGRATIONS.slice(0, release)) {
          for (const statement of migration.statements) await engine.execute(url, forEngine(statement, engine.name));
          await engine.execute(url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (${migration.version}, 'v${migration.version}', '2024-01-01')`);
        }
        for (const statement of setup) await engine.execute(url, statement);
        return { url, store: await open(url) };
      }
      const keyRow = (id: string, name: string, createdAt: string, userId: string | null = null) =>
        `INSERT INTO api_keys (id, name, user_id, key_hash, permissions, created_at) VALUES ('${id}', '${name}', ${userId === null ? 'NULL' : `'${userId}'`}, '${'ab'.repeat(32)}', '["User.Update"]', '${createdAt}')`;
      const userRow = (id: string, createdAt: string) =>
        `INSERT INTO users (id, username, username_key, password_hash, permissions, created_at) VALUES ('${id}', '${id}', '${id}', 'scrypt$x', '["User.Update"]', '${createdAt}')`;

      describe('migration 7 (tenancy)', () => {
        const migratedFrom6 = (setup: string[]) => migratedFrom(6, setup);
        const changeRow = (id: string, principal: string) =>
          `INSERT INTO dns_changes (id, created_at, principal, domain, provider, record_type, applied, changes, status) ` +
          `VALUES ('${id}', '2024-02-01T00:00:00.000Z', '${principal}', 'a.com', 'sandbox', 'campaign', 1, '{"revertOf":null,"writes":[]}', 'applied')`;
        const sandboxRow = (id: string) =>
          `INSERT INTO sandbox_records (zone, id, type, name, content, ttl, priority) VALUES ('a.com', '${id}', 'TXT', 'a.com', 'v=spf1 -all', 300, NULL)`;

        it('gives every existing entry and sandbox zone to the first-start key, and that key Admin', async () => {
          const { store } = await migratedFrom6([
            keyRow('first0000000000a', 'admin', '2024-01-01T00:00:00.000Z'),
            userRow('u1', '2024-01-02T00:00:00.000Z'),
            keyRow('later00000000000', 'admin', '2024-01-03T00:00:00.000Z'),
            keyRow('alices0000000000', 'ci', '2024-01-04T00:00:00.000Z', 'u1'),
            changeRow('by-admin', 'key:first0000000000a'),
            changeRow('by-alice', 'key:alices0000000000'),
            changeRow('by-session', 'user:u1'),
            sandboxRow('r1'),
          ]);
          try {
            const admin = 'key:first0000000000a';
            expect((await store.listChanges({ account: null })).map((c) => [c.id, c.account]).sort()).toEqual([
              ['by-admin', admin],
              ['by-alice', admin],
              ['by-session', admin],
            ]);
            expect(await store.listChanges({ account: 'user:u1' })).toEqual([]);
            expect(await store.listChanges({ account: admin, domain: 'a.com' })).toHaveLength(3);
            expect((await store.readSandboxZone(admin, 'a.com')).map((r) => [r.account, r.id, r.content])).toEqual([[admin, 'r1', 'v=spf1 -all']]);
            expect(await store.readSandboxZone('user:u1', 'a.com')).toEqual([]);
            expect((await store.findApiKey('first0000000000a'))?.permissions).toEqual(['User.Update', 'Admin']);
            // Another key named "admin", made later, and a user's key are left as they were.
            expect((await store.findApiKey('later00000000000'))?.permissions).toEqual(['User.Update']);
            expect((await store.findApiKey('alices0000000000'))?.permissions).toEqual(['User.Update']);
          } finally {
            await store.close();
          }
        });

        it("gives each watch to its maker's account (not the admin's): a user's keys' watches become the user's, one per record set", async () => {
          const watchRow = (id: string, principal: string, domain: string, stateChangedAt: string) =>
            `INSERT INTO dns_watches (id, principal, domain, record_type, state, version, created_at, state_changed_at, checks) ` +
            `VALUES ('${id}', '${principal}', '${domain}', 'campaign', 'PENDING', 1, '2024-02-01T00:00:00.000Z', '${stateChangedAt}', 0)`;
          const { store } = await migratedFrom6([
            keyRow('first0000000000a', 'admin', '2024-01-01T00:00:00.000Z'),
            userRow('u1', '2024-01-02T00:00:00.000Z'),
            keyRow('alices0000000000', 'ci', '2024-01-03T00:00:00.000Z', 'u1'),
            keyRow('alices0000000001', 'laptop', '2024-01-03T00:00:01.000Z', 'u1'),
            keyRow('loner00000000000', 'loner', '2024-01-04T00:00:00.000Z'),
            // Alice watched a.com three times (two keys, one session): the one changed last stays.
            watchRow('w-key1', 'key:alices0000000000', 'a.com', '2024-02-03T00:00:00.000Z'),
            watchRow('w-session', 'user:u1', 'a.com', '2024-02-05T00:00:00.000Z'),
            watchRow('w-key2', 'key:alices0000000001', 'a.com', '2024-02-04T00:00:00.000Z'),
            watchRow('w-key1-b', 'key:alices0000000000', 'b.com', '2024-02-03T00:00:00.000Z'),
            watchRow('w-loner', 'key:loner00000000000', 'a.com', '2024-02-01T00:00:00.000Z'),
            watchRow('w-gone-key', 'key:deleted000000000', 'a.com', '2024-02-01T00:00:00.000Z'),
          ]);
          try {
            const of = async (principal: string) => (await store.listWatches({ principal })).map((w) => [w.id, w.domain]);
            expect(await of('user:u1')).toEqual([['w-session', 'a.com'], ['w-key1-b', 'b.com']]);
            expect(await of('key:loner00000000000')).toEqual([['w-loner', 'a.com']]);
            expect(await of('key:deleted000000000')).toEqual([['w-gone-key', 'a.com']]);
            expect(await of('key:first0000000000a')).toEqual([]);
            expect(await of('key:alices0000000000')).toEqual([]);
          } finally {
            await store.close();
          }
        });

        it('without a first-start key (a user was made first), gives them to an account nobody has, and grants nothing', async () => {
          const { store } = await migratedFrom6([
            userRow('u1', '2024-01-01T00:00:00.000Z'),
            keyRow('admin00000000000', 'admin', '2024-01-02T00:00:00.000Z'),
            changeRow('old', 'key:admin00000000000'),
            sandboxRow('r1'),
          ]);
          try {
            expect((await store.getChange('old', null))?.account).toBe(UNASSIGNED_ACCOUNT);
            expect(await store.getChange('old', 'key:admin00000000000')).toBeNull();
            expect(await store.readSandboxZone(UNASSIGNED_ACCOUNT, 'a.com')).toHaveLength(1);
            expect((await store.findApiKey('admin00000000000'))?.permissions).toEqual(['User.Update']);
          } finally {
            await store.close();
          }
        });
      });

      describe('migration 8 (Domain Connect authorizations belong to an account)', () => {
        const tokenRow = (domain: string) =>
          `INSERT INTO domain_connect_tokens (domain, provider_id, sealed, updated_at) VALUES ('${domain}', 'provider.example', 'v1.${domain}', '2024-02-01T00:00:00.000Z')`;

        it('gives every existing authorization to the first-start key, and no other account', async () => {
          const { store } = await migratedFrom(7, [
            keyRow('first0000000000a', 'admin', '2024-01-01T00:00:00.000Z'),
            keyRow('later00000000000', 'other', '2024-01-02T00:00:00.000Z'),
            tokenRow('a.com'),
            tokenRow('b.com'),
          ]);
          try {
            const admin = 'key:first0000000000a';
            expect(await store.getDomainConnectToken(admin, 'a.com')).toEqual({ account: admin, domain: 'a.com', providerId: 'provider.example', sealed: 'v1.a.com', updatedAt: '2024-02-01T00:00:00.000Z' });
            expect(await store.getDomainConnectToken(admin, 'b.com')).toMatchObject({ sealed: 'v1.b.com' });
            expect(await store.getDomainConnectToken('key:later00000000000', 'a.com')).toBeNull();
            // The new key: another account's consent for a.com is stored beside the admin's.
            await store.putDomainConnectToken({ account: 'key:later00000000000', domain: 'a.com', providerId: 'provider.example', sealed: 'v1.later', updatedAt: '2025-01-01T00:00:00.000Z' });
            expect(await store.getDomainConnectToken(admin, 'a.com')).toMatchObject({ sealed: 'v1.a.com' });
          } finally {
            await store.close();
          }
        });

        it('without a first-start key, gives them to the account nobody has', async () => {
          const { store } = await migratedFrom(7, [userRow('u1', '2024-01-01T00:00:00.000Z'), keyRow('admin00000000000', 'admin', '2024-01-02T00:00:00.000Z'), tokenRow('a.com')]);
          try {
            expect(await store.getDomainConnectToken(UNASSIGNED_ACCOUNT, 'a.com')).toMatchObject({ sealed: 'v1.a.com' });
            expect(await store.getDomainConnectToken('key:admin00000000000', 'a.com')).toBeNull();
          } finally {
            await store.close();
          }
        });
      });

      it('returns a stored change list that is not JSON as its text, instead of failing the whole listing', async () => {
        const url = await engine.newDatabase();
        const store = await open(url);
        try {
          await store.insertChange({ id: 'ok', createdAt: '2025-01-01T00:00:00.000Z', principal: 'key:k1', account: 'key:k1', domain: 'a.com', provider: 'sandbox', recordType: 'campaign', status: 'applied', applied: true, changes: { writes: [] } });
          await engine.execute(
            url,
            `INSERT INTO dns_changes (id, created_at, principal, account, domain, provider, record_type, status, applied, changes) VALUES ('cut', '2025-01-02T00:00:00.000Z', 'key:k1', 'key:k1', 'a.com', 'sandbox', 'campaign', 'applied', 1, '{"writes":[{"act')`,
          );
          expect((await store.listChanges({ account: 'key:k1', domain: 'a.com' })).map((c) => [c.id, c.changes])).toEqual([
            ['cut', '{"writes":[{"act'],
            ['ok', { writes: [] }],
          ]);
        } finally {
          await store.close();
        }
      });

      it('answers ping while open and rejects it once closed', async () => {
        const store = await open(await engine.newDatabase());
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await expect(store.ping()).rejects.toThrow();
      });
    });

    describe('rows', () => {
      let store: Store;
      let databaseUrl: string;
      beforeEach(async () => {
        databaseUrl = await engine.newDatabase();
        store = await open(databaseUrl);
      });
      afterEach(async () => {
        await store.close();
      });

      it('keeps usernames unique regardless of case and finds them in any case', async () => {
        await store.createUser(user('u1', 'Alice'));
        await expect(store.createUser(user('u2', 'aLICE'))).rejects.toBeInstanceOf(StoreConflictError);
        expect((await store.findUserByUsername('ALICE'))?.username).toBe('Alice');
        expect(await store.findUserByUsername('bob')).toBeNull();
        expect((await store.findUserById('u1'))?.permissions).toEqual(['User.Update']);
      });

      it('enforces foreign keys: a key cannot name a missing user', async () => {
        await expect(store.insertApiKey(key('k1', 'nobody'))).rejects.toThrow(/foreign key/i);
      });

      it('refuses a reused key id as a conflict', async () => {
        await store.insertApiKey(key('k1'));
        await expect(store.insertApiKey(key('k1'))).rejects.toBeInstanceOf(StoreConflictError);
      });

      it('creates the first key only on an empty database', async () => {
        expect(await store.insertApiKeyIfNoneExist(key('k1'))).toBe(true);
        expect(await store.insertApiKeyIfNoneExist(key('k2'))).toBe(false);
        expect((await store.listApiKeys()).map((k) => k.id)).toEqual(['k1']);

        const other = await open(await engine.newDatabase());
        await other.createUser(user('u1', 'alice'));
        expect(await other.insertApiKeyIfNoneExist(key('k1'))).toBe(false);
        await other.close();
      });

      it('revokes once and reports unknown ids', async () => {
        await store.insertApiKey(key('k1'));
        expect(await store.revokeApiKey('k1', '2025-02-01T00:00:00.000Z')).toBe(true);
        expect(await store.revokeApiKey('k1', '2025-03-01T00:00:00.000Z')).toBe(true);
        expect((await store.findApiKey('k1'))?.revokedAt).toBe('2025-02-01T00:00:00.000Z');
        expect(await store.revokeApiKey('missing', '2025-02-01T00:00:00.000Z')).toBe(false);
        await store.touchApiKey('k1', '2025-02-02T00:00:00.000Z');
        expect(await store.findApiKey('k1')).toMatchObject({ lastUsedAt: '2025-02-02T00:00:00.000Z', keyHash: 'ab'.repeat(32) });
      });

      it('lists keys oldest first, with their user and without any hash', async () => {
        await store.createUser(user('u1', 'alice'));
        await store.insertApiKey({ ...key('k2', 'u1'), createdAt: '2025-01-02T00:00:00.000Z' });
        await store.insertApiKey(key('k1'));
        const listed = await store.listApiKeys();
        expect(listed.map((k) => k.id)).toEqual(['k1', 'k2']);
        expect(listed[1]).toMatchObject({ id: 'k2', userId: 'u1', username: 'alice' });
        expect(JSON.stringify(listed)).not.toContain('abab');
      });

      it('keeps, touches and deletes sessions, also those idle since a cutoff', async () => {
        await store.createUser(user('u1', 'alice'));
        await store.insertSession({ idHash: 'old', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T00:00:00.000Z' });
        await store.insertSession({ idHash: 'new', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T01:00:00.000Z' });
        await store.insertSession({ idHash: 'gone', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T00:00:00.000Z' });
        await store.touchSession('gone', '2025-01-01T02:00:00.000Z');
        expect((await store.findSession('gone'))?.lastSeenAt).toBe('2025-01-01T02:00:00.000Z');
        await store.deleteSession('gone');
        expect(await store.findSession('gone')).toBeNull();
        expect(await store.deleteSessionsIdleSince('2025-01-01T00:30:00.000Z')).toBe(1);
        expect(await store.findSession('old')).toBeNull();
        expect(await store.findSession('new')).toEqual({ idHash: 'new', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T01:00:00.000Z' });
      });

      it('journals changes: insert, get, list newest first and by domain', async () => {
        const base = { principal: 'key:k1', account: 'key:k1', provider: 'sandbox', recordType: 'campaign', status: 'applied' as const, applied: true };
        await store.insertChange({ ...base, id: 'c1', createdAt: '2025-01-01T00:00:00.000Z', domain: 'a.com', changes: [{ action: 'CREATE' }] });
        await store.insertChange({ ...base, id: 'c2', createdAt: '2025-01-02T00:00:00.000Z', domain: 'b.com', changes: [], status: 'failed', applied: false });
        await store.insertChange({ ...base, id: 'c3', createdAt: '2025-01-03T00:00:00.000Z', domain: 'a.com', changes: { n: 1 } });
        expect(await store.getChange('c1', 'key:k1')).toEqual({ ...base, id: 'c1', createdAt: '2025-01-01T00:00:00.000Z', domain: 'a.com', changes: [{ action: 'CREATE' }] });
        expect((await store.getChange('c2', null))?.applied).toBe(false);
        expect(await store.getChange('nope', null)).toBeNull();
        expect((await store.listChanges({ account: null })).map((c) => c.id)).toEqual(['c3', 'c2', 'c1']);
        expect((await store.listChanges({ account: 'key:k1', domain: 'a.com' })).map((c) => c.id)).toEqual(['c3', 'c1']);
        expect((await store.listChanges({ account: 'key:k1', limit: 1 })).map((c) => c.id)).toEqual(['c3']);
      });

      it('completes a pending journal entry once, and only a pending one', async () => {
        const pending = { principal: 'key:k1', account: 'key:k1', provider: 'sandbox', recordType: 'campaign', domain: 'a.com', createdAt: '2025-01-01T00:00:00.000Z' };
        await store.insertChange({ ...pending, id: 'p1', status: 'pending', applied: false, changes: { writes: ['planned'] } });
        expect(await store.getChange('p1', null)).toMatchObject({ status: 'pending', applied: false, changes: { writes: ['planned'] } });
        expect(await store.completeChange('p1', { status: 'partial', applied: true, changes: { writes: ['landed'] } })).toBe(true);
        expect(await store.getChange('p1', null)).toMatchObject({ status: 'partial', applied: true, changes: { writes: ['landed'] } });
        // Completed entries stay as they were completed; unknown ids complete nothing.
        expect(await store.completeChange('p1', { status: 'failed', applied: false, changes: {} })).toBe(false);
        expect(await store.getChange('p1', null)).toMatchObject({ status: 'partial', applied: true });
        expect(await store.completeChange('nope', { status: 'applied', applied: true, changes: {} })).toBe(false);
      });

      it('keeps journal entries per account: a listing and a lookup see only the account asked for (null: all)', async () => {
        const base = { principal: 'key:k1', provider: 'sandbox', recordType: 'campaign', status: 'applied' as const, applied: true, changes: { writes: [] } };
        await store.insertChange({ ...base, id: 'a1', account: 'user:alice', createdAt: '2025-01-01T00:00:00.000Z', domain: 'a.com' });
        await store.insertChange({ ...base, id: 'b1', account: 'user:bob', createdAt: '2025-01-02T00:00:00.000Z', domain: 'a.com' });
        await store.insertChange({ ...base, id: 'a2', account: 'user:alice', createdAt: '2025-01-03T00:00:00.000Z', domain: 'b.com' });
        const ids = async (query: Parameters<Store['listChanges']>[0]) => (await store.listChanges(query)).map((c) => c.id);
        expect(await ids({ account: 'user:alice' })).toEqual(['a2', 'a1']);
        expect(await ids({ account: 'user:alice', domain: 'a.com' })).toEqual(['a1']);
        expect(await ids({ account: 'user:bob', domain: 'a.com' })).toEqual(['b1']);
        expect(await ids({ account: 'user:bob', domain: 'b.com' })).toEqual([]);
        expect(await ids({ account: null, domain: 'a.com' })).toEqual(['b1', 'a1']);
        expect(await ids({ account: null })).toEqual(['a2', 'b1', 'a1']);
        expect((await store.getChange('b1', 'user:bob'))?.account).toBe('user:bob');
        expect(await store.getChange('b1', 'user:alice')).toBeNull();
        expect((await store.getChange('b1', null))?.id).toBe('b1');
      });

      it("keeps sandbox zones per account: one domain, two zones, and no write reaches the other account's", async () => {
        const rec = { type: 'TXT', name: 'example.com', content: 'v=spf1 -all', ttl: 300, priority: null };
        expect(await store.applySandboxWrites('user:alice', 'example.com', [{ op: 'insert', id: 'r1', record: rec }])).toEqual({ ok: true });
        expect(await store.applySandboxWrites('user:bob', 'example.com', [{ op: 'insert', id: 'r1', record: { ...rec, content: 'bob' } }])).toEqual({ ok: true });
        expect((await store.readSandboxZone('user:alice', 'example.com')).map((r) => r.content)).toEqual(['v=spf1 -all']);
        expect((await store.readSandboxZone('user:bob', 'example.com')).map((r) => r.content)).toEqual(['bob']);
        // Alice cannot update or delete a record of Bob's by its id: as if it were not there, and nothing is written.
        expect(await store.applySandboxWrites('user:bob', 'example.com', [{ op: 'insert', id: 'bobs', record: { ...rec, content: 'bob 2' } }])).toEqual({ ok: true });
        for (const write of [{ op: 'update', id: 'bobs', record: rec }, { op: 'delete', id: 'bobs' }] as const) {
          expect(await store.applySandboxWrites('user:alice', 'example.com', [{ op: 'insert', id: 'r2', record: rec }, write])).toEqual({ ok: false, index: 1, missingId: 'bobs' });
        }
        // Deleting her r1 leaves Bob's r1.
        expect(await store.applySandboxWrites('user:alice', 'example.com', [{ op: 'delete', id: 'r1' }])).toEqual({ ok: true });
        expect(await store.readSandboxZone('user:alice', 'example.com')).toEqual([]);
        expect((await store.readSandboxZone('user:bob', 'example.com')).map((r) => [r.id, r.content])).toEqual([['bobs', 'bob 2'], ['r1', 'bob']]);
      });

      it('keeps one sealed Domain Connect authorization per account and domain: a put replaces that account\'s only', async () => {
        const row = (account: string, domain: string, providerId: string, sealed: string, updatedAt = '2025-01-01T00:00:00.000Z') => ({ account, domain, providerId, sealed, updatedAt });
        expect(await store.getDomainConnectToken('key:a', 'a.com')).toBeNull();
        await store.putDomainConnectToken(row('key:a', 'a.com', 'provider.example', 'v1.first'));
        await store.putDomainConnectToken(row('key:a', 'b.com', 'provider.example', 'v1.other'));
        await store.putDomainConnectToken(row('user:b', 'a.com', 'provider.example', 'v1.bobs'));
        await store.putDomainConnectToken(row('key:a', 'a.com', 'other.example', 'v1.second', '2025-01-02T00:00:00.000Z'));
        expect(await store.getDomainConnectToken('key:a', 'a.com')).toEqual(row('key:a', 'a.com', 'other.example', 'v1.second', '2025-01-02T00:00:00.000Z'));
        expect(await store.getDomainConnectToken('key:a', 'b.com')).toMatchObject({ sealed: 'v1.other' });
        expect(await store.getDomainConnectToken('user:b', 'a.com')).toEqual(row('user:b', 'a.com', 'provider.example', 'v1.bobs'));
        expect(await store.getDomainConnectToken('user:b', 'b.com')).toBeNull();
        expect(await store.getDomainConnectToken('key:c', 'a.com')).toBeNull();
      });

      it('rolls back every sandbox write when one names a missing record', async () => {
        const rec = { type: 'TXT', name: 'a.example.com', content: 'x', ttl: 300, priority: null };
        expect(await store.applySandboxWrites('key:k1', 'example.com', [{ op: 'insert', id: 'r1', record: rec }])).toEqual({ ok: true });
        const outcome = await store.applySandboxWrites('key:k1', 'example.com', [
          { op: 'update', id: 'r1', record: { ...rec, content: 'changed' } },
          { op: 'insert', id: 'r2', record: rec },
          { op: 'delete', id: 'gone' },
        ]);
        expect(outcome).toEqual({ ok: false, index: 2, missingId: 'gone' });
        expect(await store.readSandboxZone('key:k1', 'example.com')).toEqual([{ account: 'key:k1', zone: 'example.com', id: 'r1', ...rec }]);
        // Records are per zone: the same id in another zone is not touched.
        expect(await store.applySandboxWrites('key:k1', 'other.com', [{ op: 'delete', id: 'r1' }])).toMatchObject({ ok: false });
      });

      it('watches: start, restart, list per account, claim a due one once, write its outcome only while claimed, queue its event in the same transaction', async () => {
        const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
        expect(await store.countWatchesByState()).toEqual({ PENDING: 0, READY: 0, BROKEN: 0, EXPIRED: 0 });
        const start = (principal: string, domain: string, at: number) =>
          store.startWatch({ id: `w-${principal}-${domain}`, principal, domain, recordType: 'campaign', at: t(at), expiresAt: t(at + 100), nextCheckAt: t(at + 1) });
        const first = await start('key:a', 'b.com', 0);
        expect(first.previousState).toBeNull();
        expect(first.watch).toMatchObject({ id: 'w-key:a-b.com', state: 'PENDING', version: 1, checks: 0, nextCheckAt: t(1), expiresAt: t(100), lastResult: null, stateChangedAt: t(0) });
        await start('key:a', 'a.com', 0);
        await start('key:other', 'a.com', 0);
        expect((await store.listWatches({ principal: 'key:a' })).map((w) => w.domain)).toEqual(['a.com', 'b.com']);
        expect((await store.listWatches({ principal: 'key:a', domain: 'a.com' })).map((w) => w.principal)).toEqual(['key:a']);

        // Due at t(1): claimed once, not again while the lease runs, again once it has run out.
        const claimA = await store.claimDueWatches({ now: t(1), until: t(31), token: 'i1/x', limit: 10 });
        expect(claimA.map((w) => w.principal).sort()).toEqual(['key:a', 'key:a', 'key:other']);
        expect(await store.claimDueWatches({ now: t(2), until: t(32), token: 'i2/y', limit: 10 })).toEqual([]);
        const watch = claimA.find((w) => w.domain === 'b.com')!;
        const update = { state: 'READY' as const, version: 2, stateChangedAt: t(3), expiresAt: null, checks: 0, nextCheckAt: t(1000), lastCheckedAt: t(3), lastResult: { ready: true, records: [] } };
        const event = { id: 'msg_1', eventType: 'dns.records.ready', payload: '{"type":"dns.records.ready"}', createdAt: t(3), nextAttemptAt: t(3) };
        // Another token cannot write the outcome (nor queue the event).
        expect(await store.finishWatchCheck(watch.id, 'i2/y', update, event)).toBeNull();
        expect(await store.listWebhooks()).toEqual([]);
        const finished = await store.finishWatchCheck(watch.id, 'i1/x', update, event);
        expect(finished).toMatchObject({ state: 'READY', version: 2, nextCheckAt: t(1000), lastResult: { ready: true, records: [] } });
        expect(await store.listWebhooks()).toEqual([{ ...event, attempts: 0, deliveredAt: null, failedAt: null, lastStatus: null, lastError: null }]);
        // A finished check frees the lease; the others are taken again only when their lease has run out.
        expect(await store.claimDueWatches({ now: t(30), until: t(60), token: 'i2/z', limit: 10 })).toEqual([]);
        expect((await store.claimDueWatches({ now: t(31), until: t(61), token: 'i2/z', limit: 1 }))).toHaveLength(1);
        // Releasing an instance's leases frees only its own.
        await store.releaseClaims('i1/');
        expect((await store.claimDueWatches({ now: t(32), until: t(62), token: 'i3/w', limit: 10 }))).toHaveLength(1);
        await store.releaseClaims('i2/');
        expect((await store.claimDueWatches({ now: t(33), until: t(63), token: 'i3/w', limit: 10 }))).toHaveLength(1);

        // A restart makes it PENDING again, drops the claim (so a check in flight cannot write), and says what it was.
        const restarted = await start('key:a', 'b.com', 50);
        expect(restarted.previousState).toBe('READY');
        expect(restarted.watch).toMatchObject({ id: 'w-key:a-b.com', state: 'PENDING', version: 3, checks: 0, stateChangedAt: t(50), nextCheckAt: t(51) });
        const again = await start('key:a', 'b.com', 60);
        expect(again.previousState).toBe('PENDING');
        // Restarting a PENDING watch is no state change: its time of entering PENDING stays.
        expect(again.watch).toMatchObject({ version: 4, stateChangedAt: t(50), nextCheckAt: t(61) });
        const other = (await store.listWatches({ principal: 'key:other' }))[0]!;
        expect(await store.finishWatchCheck(other.id, 'i3/w', { ...update, version: 2 })).not.toBeNull();
        expect(await store.findWatch('key:other', 'a.com', 'campaign')).toMatchObject({ state: 'READY' });
        expect(await store.findWatch('key:other', 'a.com', 'email-gateway')).toBeNull();
        // Every account's, per state (numbers on both engines: PostgreSQL's COUNT is a bigint).
        expect(await store.countWatchesByState()).toEqual({ PENDING: 2, READY: 1, BROKEN: 0, EXPIRED: 0 });
      });

      it('webhook outbox: claims due deliveries once, records attempts only while claimed', async () => {
        const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s)).toISOString();
        const w = await store.startWatch({ id: 'w1', principal: 'key:a', domain: 'a.com', recordType: 'campaign', at: t(0), expiresAt: t(100), nextCheckAt: t(0) });
        await store.claimDueWatches({ now: t(0), until: t(10), token: 'i/1', limit: 1 });
        const update = { state: 'READY' as const, version: 2, stateChangedAt: t(1), expiresAt: null, checks: 0, nextCheckAt: null, lastCheckedAt: t(1), lastResult: null };
        await store.finishWatchCheck(w.watch.id, 'i/1', update, { id: 'msg_a', eventType: 'dns.records.ready', payload: '{}', createdAt: t(1), nextAttemptAt: t(1) });
        const [claimed] = await store.claimDueWebhooks({ now: t(2), until: t(20), token: 'i/2', limit: 5 });
        expect(claimed).toMatchObject({ id: 'msg_a', attempts: 0 });
        expect(await store.claimDueWebhooks({ now: t(3), until: t(20), token: 'j/1', limit: 5 })).toEqual([]);
        expect(await store.finishWebhookAttempt({ id: 'msg_a', token: 'j/1', attempts: 1, at: t(3), outcome: 'delivered', nextAttemptAt: null, lastStatus: 200, lastError: null })).toBe(false);
        expect(await store.finishWebhookAttempt({ id: 'msg_a', token: 'i/2', attempts: 1, at: t(3), outcome: 'retry', nextAttemptAt: t(40), lastStatus: 500, lastError: 'HTTP 500' })).toBe(true);
        expect(await store.claimDueWebhooks({ now: t(39), until: t(60), token: 'j/1', limit: 5 })).toEqual([]);
        expect(await store.claimDueWebhooks({ now: t(40), until: t(60), token: 'j/1', limit: 5 })).toHaveLength(1);
        expect(await store.finishWebhookAttempt({ id: 'msg_a', token: 'j/1', attempts: 2, at: t(41), outcome: 'failed', nextAttemptAt: null, lastStatus: null, lastError: 'timeout' })).toBe(true);
        expect((await store.listWebhooks())[0]).toMatchObject({ attempts: 2, nextAttemptAt: null, deliveredAt: null, failedAt: t(41), lastStatus: null, lastError: 'timeout' });
        expect(await store.claimDueWebhooks({ now: t(1000), until: t(2000), token: 'j/2', limit: 5 })).toEqual([]);
      });

      it('concurrent claimers (separate connections) take disjoint sets of due watches, and together all of them', async () => {
        const at = new Date(Date.UTC(2025, 0, 1)).toISOString();
        for (let i = 0; i < 60; i++) {
          await store.startWatch({ id: `c${i}`, principal: `key:${i}`, domain: 'a.com', recordType: 'campaign', at, expiresAt: at, nextCheckAt: at });
        }
        const others = await Promise.all([open(databaseUrl), open(databaseUrl), open(databaseUrl)]);
        try {
          const claimers = [store, ...others];
          const taken: string[][] = claimers.map(() => []);
          const until = new Date(Date.UTC(2026, 0, 1)).toISOString();
          await Promise.all(
            claimers.map(async (s, n) => {
              for (let round = 0; round < 10; round++) {
                const rows = await s.claimDueWatches({ now: at, until, token: `i${n}/r${round}`, limit: 4 });
                taken[n]!.push(...rows.map((r) => r.id));
              }
            }),
          );
          const all = taken.flat();
          expect(new Set(all).size).toBe(all.length);
          expect(all.sort()).toEqual(Array.from({ length: 60 }, (_, i) => `c${i}`).sort());
        } finally {
          await Promise.all(others.map((s) => s.close()));
        }
      });

      it('sorts text bytewise on both engines (case and punctuation count), with numbers as numbers', async () => {
        const names = ['b.example.com', '_dmarc.example.com', 'B.example.com', 'a-b.example.com', 'ab.example.com', 'a.example.com'];
        const writes = names.map((name, i) => ({ op: 'insert' as const, id: `r${i}`, record: { type: 'TXT', name, content: 'x', ttl: 300 + i, priority: i % 2 ? i : null } }));
        expect(await store.applySandboxWrites('key:k1', 'example.com', writes)).toEqual({ ok: true });
        const read = await store.readSandboxZone('key:k1', 'example.com');
        expect(read.map((r) => r.name)).toEqual([...names].sort());
        expect(read.find((r) => r.id === 'r1')).toMatchObject({ ttl: 301, priority: 1 });
        expect(read.find((r) => r.id === 'r0')?.priority).toBeNull();
      });
    });
  });
});

describe('sqlite specifics', () => {
  it('creates the missing directory and uses WAL', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'x.db');
    await (await openStore(`sqlite:${file}`)).close();
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

describe('database URLs', () => {
  it('refuses a database migrated by a newer release', () => {
    expect(() => pendingMigrations(new Set([1, 2, 3, 99]))).toThrow(/newer than this release/);
  });

  it('fails to open an unreachable PostgreSQL without repeating the URL or its password', async () => {
    const url = 'postgres://admin:hunter2@127.0.0.1:9/gateway';
    const error = await openStore(loadConfig({ DATABASE_URL: url }).DATABASE_URL, { connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/^DATABASE_URL: cannot connect to PostgreSQL \(.*ECONNREFUSED/);
    expect((error as Error).message).not.toContain('hunter2');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('hunter2');
  });
});
