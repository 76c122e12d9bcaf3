import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, ensureInitialAdminKey, hashApiKey, listApiKeys, parseApiKey, revokeApiKey } from '../src/auth/api-keys.js';
import { UserInputError, createAuthService, createUser, validateUsername } from '../src/auth/auth-service.js';
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from '../src/auth/passwords.js';
import { hashSessionId } from '../src/auth/sessions.js';
import { openStore } from '../src/storage/open.js';
import type { Store } from '../src/storage/store.js';

/** Cheap scrypt cost for tests that are not about hashing itself. */
const FAST = { N: 1024, r: 8, p: 1 };

let store: Store;
let clock: Date;
const now = () => clock;
beforeEach(async () => {
  store = await openStore('sqlite::memory:');
  clock = new Date('2025-06-01T12:00:00.000Z');
});
afterEach(async () => {
  await store.close();
});

const advanceMinutes = (minutes: number) => {
  clock = new Date(clock.getTime() + minutes * 60_000);
};

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one, with the default cost', async () => {
    const stored = await hashPassword('correct horse battery staple');
    expect(stored).toMatch(new RegExp(`^scrypt\\$${DEFAULT_SCRYPT_PARAMS.N}\\$8\\$1\\$`));
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(stored).not.toContain('correct horse');
  });

  it('salts every hash and verifies with the parameters stored alongside', async () => {
    const a = await hashPassword('same', FAST);
    const b = await hashPassword('same', FAST);
    expect(a).not.toBe(b);
    expect(a.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('same', a)).toBe(true);
    expect(await verifyPassword('same', b)).toBe(true);
  });

  it('treats unreadable or tampered hashes as a mismatch, not an error', async () => {
    const good = await hashPassword('pw', FAST);
    const parts = good.split('$');
    for (const bad of ['', 'plain', 'bcrypt$1$2$3$4$5', good.replace('scrypt$1024', 'scrypt$1000'), [...parts.slice(0, 1), String(2 ** 30), ...parts.slice(2)].join('$')]) {
      expect(await verifyPassword('pw', bad)).toBe(false);
    }
    const flipped = [...parts.slice(0, 5), Buffer.from(Buffer.from(parts[5]!, 'base64url').map((b) => b ^ 1)).toString('base64url')].join('$');
    expect(await verifyPassword('pw', flipped)).toBe(false);
  });
});

describe('API keys', () => {
  it('creates a printable key that authenticates until it is revoked', async () => {
    const auth = createAuthService({ store, sessionIdleMinutes: 30, now });
    const created = await createApiKey(store, { name: 'ci', permissions: ['User.Update', 'Dns.Read'] });
    expect(created.key).toMatch(/^dgk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(created.key)?.keyId).toBe(created.id);

    const principal = await auth.authenticateApiKey(created.key);
    expect(principal).toMatchObject({ keyId: created.id, userId: null, sessionId: null, rateLimitIdentity: `key:${created.id}` });
    expect([...principal!.permissions].sort()).toEqual(['Dns.Read', 'User.Update']);
    expect((await listApiKeys(store))[0]?.lastUsedAt).toBe(clock.toISOString());

    expect(await revokeApiKey(store, created.id, clock)).toBe(true);
    expect(await auth.authenticateApiKey(created.key)).toBeNull();
    // The key itself is listed, revoked at that moment (not merely "some key, whose revokedAt is not null").
    const listed = (await listApiKeys(store)).find((k) => k.id === created.id);
    expect(listed).toBeDefined();
    expect(listed!.revokedAt).toBe(clock.toISOString());
  });

  it('with a key cache, serves a key without the store and stops a revoked key once the cache time has passed', async () => {
    const auth = createAuthService({ store, sessionIdleMinutes: 30, now, keyCacheSeconds: 5 });
    const created = await createApiKey(store, { name: 'cached' });
    expect(await auth.authenticateApiKey(created.key)).not.toBeNull();
    let reads = 0;
    const findApiKey = store.findApiKey.bind(store);
    store.findApiKey = async (id) => {
      reads++;
      return findApiKey(id);
    };
    expect(await auth.authenticateApiKey(created.key)).not.toBeNull();
    expect(reads).toBe(0);
    await revokeApiKey(store, created.id);
    clock = new Date(clock.getTime() + 4_000);
    expect(await auth.authenticateApiKey(created.key)).not.toBeNull();
    clock = new Date(clock.getTime() + 1_001);
    expect(await auth.authenticateApiKey(created.key)).toBeNull();
    expect(reads).toBe(1);
    // A wrong key is never served from the cache of a good one.
    expect(await auth.authenticateApiKey(`${created.key.slice(0, -1)}x`)).toBeNull();
  });

  it('defaults permissions to User.Update and carries the owning user', async () => {
    const alice = await createUser(store, { username: 'alice', password: 'pw', scrypt: FAST });
    const created = await createApiKey(store, { name: 'alice key', userId: alice.id });
    expect(created.permissions).toEqual(['User.Update']);
    const principal = await createAuthService({ store, sessionIdleMinutes: 30 }).authenticateApiKey(created.key);
    expect(principal).toMatchObject({ userId: alice.id, username: 'alice', rateLimitIdentity: `key:${created.id}` });
    await expect(createApiKey(store, { name: 'x', userId: 'no-such-user' })).rejects.toThrow(/no such user/);
    await expect(createApiKey(store, { name: '' })).rejects.toThrow(/1 to 100/);
  });

  it('answers null, without throwing, for malformed, unknown and wrong keys', async () => {
    const auth = createAuthService({ store, sessionIdleMinutes: 30 });
    const { id, key } = await createApiKey(store, { name: 'real' });
    const secret = key.slice(`dgk_${id}_`.length);
    const wrongSecret = `dgk_${id}_${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const unknownId = `dgk_${'0'.repeat(16)}_${secret}`;
    const candidates: unknown[] = [wrongSecret, unknownId, '', 'dgk_', key.slice(0, -1), `${key}x`, ` ${key}`, key.toUpperCase(), 'x'.repeat(100_000), 42, null, undefined, { key }];
    for (const candidate of candidates) {
      expect(await auth.authenticateApiKey(candidate as string)).toBeNull();
    }
    expect(await auth.authenticateApiKey(key)).not.toBeNull();
  });

  it('stores only a SHA-256 of the key: the database file never holds the key or its secret', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dg-auth-'));
    try {
      const fileStore = await openStore(`sqlite:${path.join(dir, 'keys.db')}`);
      const { id, key } = await createApiKey(fileStore, { name: 'scan me' });
      expect((await fileStore.findApiKey(id))?.keyHash).toBe(hashApiKey(key));
      await fileStore.close();
      const secret = key.slice(`dgk_${id}_`.length);
      // WAL and shared-memory files included: the key must not be in any of them.
      const bytes = Buffer.concat(readdirSync(dir).map((f) => readFileSync(path.join(dir, f))));
      expect(bytes.includes(Buffer.from(id))).toBe(true);
      expect(bytes.includes(Buffer.from(hashApiKey(key)))).toBe(true);
      expect(bytes.includes(Buffer.from(key))).toBe(false);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(secret, 'base64url'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the initial admin key only on an empty database', async () => {
    const key = await ensureInitialAdminKey(store);
    expect(key).toMatch(/^dgk_/);
    expect(await ensureInitialAdminKey(store)).toBeNull();
    const [admin] = await listApiKeys(store);
    expect(admin).toMatchObject({ name: 'admin', permissions: ['User.Update'], userId: null });
    expect(await createAuthService({ store, sessionIdleMinutes: 30 }).authenticateApiKey(key!)).not.toBeNull();

    const withUser = await openStore('sqlite::memory:');
    await createUser(withUser, { username: 'root', password: 'pw', scrypt: FAST });
    expect(await ensureInitialAdminKey(withUser)).toBeNull();
    await withUser.close();
  });
});

describe('users and sessions', () => {
  it('validates usernames', async () => {
    expect(validateUsername('a')).toBeNull();
    expect(validateUsername('é'.repeat(64))).toBeNull();
    expect(validateUsername('')).toMatch(/1 to 64/);
    expect(validateUsername('a'.repeat(65))).toMatch(/1 to 64/);
    expect(validateUsername('bad\nname')).toMatch(/control/);
    expect(validateUsername('tab\tname')).toMatch(/control/);
    await expect(createUser(store, { username: 'x\u0000', password: 'pw', scrypt: FAST })).rejects.toBeInstanceOf(UserInputError);
    await expect(createUser(store, { username: 'bob', password: '', scrypt: FAST })).rejects.toThrow(/empty/);
    await createUser(store, { username: 'Bob', password: 'pw', scrypt: FAST });
    await expect(createUser(store, { username: 'BOB', password: 'pw', scrypt: FAST })).rejects.toThrow(/already taken/);
  });

  it('logs in case-insensitively and refuses wrong passwords and unknown users', async () => {
    const alice = await createUser(store, { username: 'Alice', password: 's3cret', permissions: ['User.Update', 'Dns.Read'], scrypt: FAST });
    const auth = createAuthService({ store, sessionIdleMinutes: 30, now });
    const login = await auth.login('alice', 's3cret');
    expect(login?.sessionId).toMatch(/^dgs_[A-Za-z0-9_-]{43}$/);
    expect(login?.user).toEqual({ UserID: alice.id, Username: 'Alice', Permissions: ['User.Update', 'Dns.Read'] });
    expect(await auth.login('alice', 'S3cret')).toBeNull();
    expect(await auth.login('mallory', 's3cret')).toBeNull();
    expect(await auth.login('alice', '')).toBeNull();
    expect(await auth.login(undefined as unknown as string, 's3cret')).toBeNull();
    // The session id itself is never stored, only its hash.
    expect(await store.findSession(login!.sessionId)).toBeNull();
    expect(await store.findSession(hashSessionId(login!.sessionId))).not.toBeNull();
  });

  it('expires a session after the idle time, sliding on each use', async () => {
    const user = await createUser(store, { username: 'carol', password: 'pw', scrypt: FAST });
    const auth = createAuthService({ store, sessionIdleMinutes: 30, now });
    const { sessionId } = (await auth.login('carol', 'pw'))!;

    advanceMinutes(29);
    const principal = await auth.authenticateSession(sessionId);
    expect(principal).toMatchObject({ userId: user.id, username: 'carol', keyId: null, sessionId, rateLimitIdentity: `user:${user.id}` });
    // 29 + 29 = 58 minutes after login, but only 29 after the last use: still alive.
    advanceMinutes(29);
    expect(await auth.authenticateSession(sessionId)).not.toBeNull();
    advanceMinutes(30);
    expect(await auth.authenticateSession(sessionId)).toBeNull();
    // Expired sessions are gone, not revived by a clock that moves back.
    clock = new Date('2025-06-01T12:00:00.000Z');
    expect(await auth.authenticateSession(sessionId)).toBeNull();
  });

  it('refuses malformed and unknown session ids', async () => {
    const auth = createAuthService({ store, sessionIdleMinutes: 30, now });
    for (const candidate of ['', 'dgs_', `dgs_${'A'.repeat(43)}`, 'dgk_abc', 7, null]) {
      expect(await auth.authenticateSession(candidate as string)).toBeNull();
    }
  });

  it('purges idle sessions of other users at login', async () => {
    await createUser(store, { username: 'dave', password: 'pw', scrypt: FAST });
    await createUser(store, { username: 'erin', password: 'pw', scrypt: FAST });
    const auth = createAuthService({ store, sessionIdleMinutes: 10, now });
    const stale = (await auth.login('dave', 'pw'))!.sessionId;
    advanceMinutes(11);
    await auth.login('erin', 'pw');
    expect(await store.findSession(hashSessionId(stale))).toBeNull();
  });
});
