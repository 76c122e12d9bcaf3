import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { MIGRATIONS, pendingMigrations, type Migration } from '../src/storage/migrations.js';
import { UnsupportedDatabaseError, openStore } from '../src/storage/open.js';
import { openSqliteStore } from '../src/storage/sqlite.js';
import { StoreConflictError, type Store } from '../src/storage/store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dg-storage-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const user = (id: string, username: string) => ({ id, username, passwordHash: 'scrypt$x', permissions: ['User.Update'], createdAt: '2025-01-01T00:00:00.000Z' });
const key = (id: string, userId: string | null = null) => ({ id, name: `key ${id}`, userId, keyHash: 'ab'.repeat(32), permissions: ['User.Update'], createdAt: '2025-01-01T00:00:00.000Z' });

describe('opening and migrating', () => {
  it('creates the missing directory, applies every migration once, and reopening applies none', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'x.db');
    const first = await openStore(`sqlite:${file}`);
    await first.createUser(user('u1', 'alice'));
    await first.close();
    expect(existsSync(file)).toBe(true);

    const second = await openStore(loadConfig({ DATABASE_URL: `sqlite:${file}` }).DATABASE_URL);
    expect(await second.findUserByUsername('alice')).toMatchObject({ id: 'u1' });
    await second.close();

    const db = new Database(file, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('applies only the new migrations of a later release, and rolls a failing migration back whole', async () => {
    const file = path.join(dir, 'x.db');
    await (await openStore(`sqlite:${file}`)).close();
    const broken: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'broken', statements: ['CREATE TABLE extra (a TEXT)', 'NOT SQL'] }];
    expect(() => openSqliteStore(file, { migrations: broken })).toThrow();
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeUndefined();
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: MIGRATIONS.length });
    db.close();

    const next: Migration[] = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'extra', statements: ['CREATE TABLE extra (a TEXT)'] }];
    await openSqliteStore(file, { migrations: next }).close();
    await openSqliteStore(file, { migrations: next }).close();
  });

  it('refuses a database migrated by a newer release', () => {
    expect(() => pendingMigrations(new Set([1, 2, 3, 99]))).toThrow(/newer than this release/);
  });

  it('refuses PostgreSQL for now with a message that does not repeat the URL', async () => {
    const url = 'postgres://admin:hunter2@db.internal/gateway';
    const error = await openStore(loadConfig({ DATABASE_URL: url }).DATABASE_URL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedDatabaseError);
    expect((error as Error).message).toMatch(/not yet supported/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('answers ping while open and rejects it once closed', async () => {
    const store = await openStore('sqlite::memory:');
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow();
  });
});

describe('rows', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('sqlite::memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  it('keeps usernames unique regardless of case and finds them in any case', async () => {
    await store.createUser(user('u1', 'Alice'));
    await expect(store.createUser(user('u2', 'aLICE'))).rejects.toBeInstanceOf(StoreConflictError);
    expect((await store.findUserByUsername('ALICE'))?.username).toBe('Alice');
    expect(await store.findUserByUsername('bob')).toBeNull();
  });

  it('enforces foreign keys: a key cannot name a missing user', async () => {
    await expect(store.insertApiKey(key('k1', 'nobody'))).rejects.toThrow(/FOREIGN KEY/);
  });

  it('creates the first key only on an empty database', async () => {
    expect(await store.insertApiKeyIfNoneExist(key('k1'))).toBe(true);
    expect(await store.insertApiKeyIfNoneExist(key('k2'))).toBe(false);
    expect((await store.listApiKeys()).map((k) => k.id)).toEqual(['k1']);

    const other = await openStore('sqlite::memory:');
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
  });

  it('lists keys with their user and without any hash', async () => {
    await store.createUser(user('u1', 'alice'));
    await store.insertApiKey(key('k1', 'u1'));
    const [listed] = await store.listApiKeys();
    expect(listed).toMatchObject({ id: 'k1', userId: 'u1', username: 'alice' });
    expect(JSON.stringify(listed)).not.toContain('abab');
  });

  it('deletes sessions idle since a cutoff', async () => {
    await store.createUser(user('u1', 'alice'));
    await store.insertSession({ idHash: 'old', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T00:00:00.000Z' });
    await store.insertSession({ idHash: 'new', userId: 'u1', createdAt: '2025-01-01T00:00:00.000Z', lastSeenAt: '2025-01-01T01:00:00.000Z' });
    expect(await store.deleteSessionsIdleSince('2025-01-01T00:30:00.000Z')).toBe(1);
    expect(await store.findSession('old')).toBeNull();
    expect(await store.findSession('new')).not.toBeNull();
  });

  it('journals changes: insert, get, list newest first and by domain', async () => {
    const base = { principal: 'key:k1', provider: 'sandbox', recordType: 'campaign', applied: true };
    await store.insertChange({ ...base, id: 'c1', createdAt: '2025-01-01T00:00:00.000Z', domain: 'a.com', changes: [{ action: 'CREATE' }] });
    await store.insertChange({ ...base, id: 'c2', createdAt: '2025-01-02T00:00:00.000Z', domain: 'b.com', changes: [], applied: false });
    await store.insertChange({ ...base, id: 'c3', createdAt: '2025-01-03T00:00:00.000Z', domain: 'a.com', changes: { n: 1 } });
    expect(await store.getChange('c1')).toEqual({ ...base, id: 'c1', createdAt: '2025-01-01T00:00:00.000Z', domain: 'a.com', changes: [{ action: 'CREATE' }] });
    expect((await store.getChange('c2'))?.applied).toBe(false);
    expect(await store.getChange('nope')).toBeNull();
    expect((await store.listChanges()).map((c) => c.id)).toEqual(['c3', 'c2', 'c1']);
    expect((await store.listChanges({ domain: 'a.com' })).map((c) => c.id)).toEqual(['c3', 'c1']);
    expect((await store.listChanges({ limit: 1 })).map((c) => c.id)).toEqual(['c3']);
  });

  it('rolls back every sandbox write when one names a missing record', async () => {
    const rec = { type: 'TXT', name: 'a.example.com', content: 'x', ttl: 300, priority: null };
    expect(await store.applySandboxWrites('example.com', [{ op: 'insert', id: 'r1', record: rec }])).toEqual({ ok: true });
    const outcome = await store.applySandboxWrites('example.com', [
      { op: 'update', id: 'r1', record: { ...rec, content: 'changed' } },
      { op: 'insert', id: 'r2', record: rec },
      { op: 'delete', id: 'gone' },
    ]);
    expect(outcome).toEqual({ ok: false, index: 2, missingId: 'gone' });
    expect(await store.readSandboxZone('example.com')).toEqual([{ zone: 'example.com', id: 'r1', ...rec }]);
    // Records are per zone: the same id in another zone is not touched.
    expect(await store.applySandboxWrites('other.com', [{ op: 'delete', id: 'r1' }])).toMatchObject({ ok: false });
  });
});
