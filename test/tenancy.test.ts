/**
 * Tenancy, end to end over loopback HTTP, on SQLite and on PostgreSQL (the machine's server; skipped with a warning
 * when absent, never when CI=true): journal entries and sandbox zones belong to the account that made them. Two
 * users, Alice (two keys and a login session) and Bob (one key), a key made without a user, and the first-start
 * admin key:
 * - each account lists only its own entries, through REST and GraphQL; a user's keys and sessions share one account;
 * - the admin (Admin permission) lists both;
 * - a revert of another account's entry is answered exactly as one of an id that does not exist (REST v1, legacy,
 *   GraphQL), and writes nothing: no provider call, no sandbox row, no journal row;
 * - the sandbox keeps one zone per account: Bob's dns.set on Alice's domain does not see or touch her records.
 */
import { randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { createUser } from '../src/auth/auth-service.js';
import { DnsChangesDocument, RevertDnsChangeDocument } from './graphql/generated/graphql.js';
import { bearer, graphql, keyAccount, postForm, postJson, type HttpResult } from './helpers/gateway.js';
import { SECRETS, startWorld, type World } from './helpers/world.js';
import { createTestDatabase, createTestSchema, postgresReachable, POSTGRES_LABEL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';

/** Cheap scrypt: these tests are not about hashing. */
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'a long enough password';
const DOMAIN = 'tenant-shared.com';
const SANDBOX = { Provider: 'sandbox', ApiKey: 'sandbox-provider-key', RecordType: 'campaign' };
const CLOUDFLARE = { Provider: 'cloudflare', ApiKey: SECRETS.cloudflareToken, RecordType: 'campaign' };

const pgAvailable = await postgresReachable();
const engines: ['sqlite' | 'postgres', boolean][] = [
  ['sqlite', false],
  ['postgres', shouldSkip('tenancy on PostgreSQL', pgAvailable ? [] : [POSTGRES_LABEL])],
];

interface Entry {
  id: string;
  domain: string;
  provider: string;
  revertOf: string | null;
}

describe.each(engines)('tenancy on %s', (engine, skip) => {
  describe.skipIf(skip)(engine, () => {
    let db: TestDatabase | undefined;
    let world: World;
    let gw: World['gateway'];
    /** Alice's two keys and her login session: one account, `user:<alice id>`. */
    let alice: string[];
    let aliceAccount: string;
    let bob: string;
    let bobAccount: string;
    /** A key made without a user: an account of its own. */
    let loner: string;
    let admin: string;

    beforeAll(async () => {
      if (engine === 'postgres') db = await createTestDatabase();
      const databaseUrl = db ? await createTestSchema(db.url) : 'sqlite::memory:';
      world = await startWorld({ DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '100000' });
      gw = world.gateway;
      const store = gw.running.services.store;
      const aliceUser = await createUser(store, { username: 'alice', password: PASSWORD, scrypt: FAST });
      const bobUser = await createUser(store, { username: 'bob', password: PASSWORD, scrypt: FAST });
      aliceAccount = `user:${aliceUser.id}`;
      bobAccount = `user:${bobUser.id}`;
      const aliceKeys = [
        (await createApiKey(store, { name: 'alice ci', userId: aliceUser.id })).key,
        (await createApiKey(store, { name: 'alice laptop', userId: aliceUser.id })).key,
      ];
      const login = await postJson(gw, '/api/v1/user.login', { Username: 'alice', Password: PASSWORD });
      expect(login.status, login.text).toBe(200);
      alice = [...aliceKeys, login.json.SessionID as string];
      bob = (await createApiKey(store, { name: 'bob ci', userId: bobUser.id })).key;
      loner = await gw.createKey({ name: 'no user' });
      admin = gw.adminKey;
    });
    afterAll(async () => {
      await world?.close();
      await db?.drop();
    });

    const set = (caller: string, body: Record<string, unknown>) => postJson(gw, '/api/v1/dns.set', { Domain: DOMAIN, ...body }, bearer(caller));
    const changes = async (caller: string, domain = DOMAIN): Promise<Entry[]> => {
      const res = await postJson(gw, '/api/v1/dns.changes', { Domain: domain }, bearer(caller));
      expect(res.status, res.text).toBe(200);
      return res.json.changes as Entry[];
    };
    const gqlChanges = async (caller: string, domain = DOMAIN): Promise<string[]> => {
      const res = await graphql(gw, print(DnsChangesDocument), { domain }, caller);
      expect(res.json.errors, res.text).toBeUndefined();
      return (res.json.data.dnsChanges as { id: string }[]).map((c) => c.id);
    };
    const ids = (list: readonly Entry[]) => list.map((e) => e.id);
    const only = (list: readonly Entry[]): Entry => {
      expect(list).toHaveLength(1);
      return list[0]!;
    };
    const sandboxZone = async (account: string) =>
      (await gw.running.services.store.readSandboxZone(account, DOMAIN)).map(({ id: _id, account: _account, ...r }) => JSON.stringify(r)).sort();
    const everyEntry = async () => JSON.stringify(await gw.running.services.store.listChanges({ account: null, limit: 1000 }));

    let aliceSandbox: Entry;
    let aliceCloudflare: Entry;
    let bobSandbox: Entry;

    it('writes each account its own sandbox zone: Bob does not see, or touch, the records Alice wrote', async () => {
      expect((await set(alice[0]!, SANDBOX)).text).toBe('{"success":true}');
      const alicesZone = await sandboxZone(aliceAccount);
      expect(alicesZone.length).toBeGreaterThan(0);
      // Bob plans on his own, empty zone for the same domain: every record is created, none is already there.
      const plan = await set(bob, { ...SANDBOX, DryRun: true });
      expect(plan.json.changes.map((c: { action: string }) => c.action)).toEqual(alicesZone.map(() => 'CREATE'));
      expect((await set(bob, SANDBOX)).text).toBe('{"success":true}');
      expect(await sandboxZone(bobAccount)).toEqual(alicesZone);
      // Bob's key is not an account of its own: it is Bob's.
      expect(await sandboxZone(keyAccount(bob))).toEqual([]);
      // Alice's session, same account: her zone is already complete.
      const again = await set(alice[2]!, { ...SANDBOX, DryRun: true });
      expect(again.json.changes.every((c: { action: string }) => c.action === 'KEEP')).toBe(true);

      aliceSandbox = only(await changes(alice[0]!));
      bobSandbox = only(await changes(bob));
      expect((await set(alice[1]!, { ...CLOUDFLARE, Domain: 'example.com' })).text).toBe('{"success":true}');
      aliceCloudflare = only(await changes(alice[1]!, 'example.com'));
      expect(aliceCloudflare).toMatchObject({ provider: 'cloudflare', revertOf: null });
    });

    it('lists only the caller\'s own entries: each key, and the session, of a user sees that user\'s; the admin sees both', async () => {
      for (const caller of alice) {
        expect(ids(await changes(caller))).toEqual([aliceSandbox.id]);
        expect(ids(await changes(caller, 'example.com'))).toEqual([aliceCloudflare.id]);
        expect(await gqlChanges(caller)).toEqual([aliceSandbox.id]);
      }
      expect(ids(await changes(bob))).toEqual([bobSandbox.id]);
      expect(await gqlChanges(bob)).toEqual([bobSandbox.id]);
      expect(await changes(bob, 'example.com')).toEqual([]);
      expect(await changes(loner)).toEqual([]);
      expect(await gqlChanges(loner, 'example.com')).toEqual([]);
      // Newest first: Bob's entry was made after Alice's.
      expect(ids(await changes(admin))).toEqual([bobSandbox.id, aliceSandbox.id]);
      expect(await gqlChanges(admin)).toEqual([bobSandbox.id, aliceSandbox.id]);
      expect(ids(await changes(admin, 'example.com'))).toEqual([aliceCloudflare.id]);
    });

    it("keeps watches per account too: the watch Alice's dns.set started is every one of her callers', not Bob's", async () => {
      const watchIds = async (caller: string, domain?: string) => {
        const res = await postJson(gw, '/api/v1/dns.watches', domain ? { Domain: domain } : {}, bearer(caller));
        expect(res.status, res.text).toBe(200);
        return (res.json.watches as { id: string; domain: string }[]).map((w) => `${w.domain} ${w.id}`);
      };
      const alices = await watchIds(alice[0]!);
      expect(alices.map((w) => w.split(' ')[0])).toEqual(['example.com', DOMAIN]);
      for (const caller of alice.slice(1)) expect(await watchIds(caller)).toEqual(alices);
      const bobs = await watchIds(bob);
      expect(bobs.map((w) => w.split(' ')[0])).toEqual([DOMAIN]);
      expect(bobs.filter((w) => alices.includes(w))).toEqual([]);
      expect(await watchIds(loner)).toEqual([]);
      // dns.watch by Alice's other key restarts her one watch; Bob's stays his.
      const again = await postJson(gw, '/api/v1/dns.watch', { Domain: DOMAIN, RecordType: 'campaign' }, bearer(alice[1]!));
      expect(`${DOMAIN} ${again.json.watch.id}`).toBe(alices[1]);
      expect(await watchIds(bob, DOMAIN)).toEqual(bobs);
    });

    it('answers a revert of another account\'s entry exactly as one of an unknown id, and writes nothing', async () => {
      const unknown = randomUUID();
      const journal = await everyEntry();
      const zones = [await sandboxZone(aliceAccount), await sandboxZone(bobAccount)];
      const cloudflareCalls = world.cloudflare.calls.length;
      const cloudflareZone = world.cloudflare.records('example.com');

      // The reply echoes the id asked for; with that id blanked, the two replies are the same bytes.
      const same = (theirs: HttpResult, theirId: string, none: HttpResult, noneId: string) => {
        expect(theirs.status).toBe(none.status);
        expect(theirs.headers['content-type']).toBe(none.headers['content-type']);
        expect(theirs.text.replaceAll(theirId, '<id>')).toBe(none.text.replaceAll(noneId, '<id>'));
      };
      for (const [caller, entry, credentials] of [
        [bob, aliceSandbox, { ApiKey: 'sandbox-provider-key' }],
        [bob, aliceCloudflare, { ApiKey: SECRETS.cloudflareToken }],
        [loner, aliceCloudflare, { ApiKey: SECRETS.cloudflareToken }],
        [alice[2]!, bobSandbox, { ApiKey: 'sandbox-provider-key' }],
      ] as const) {
        const theirs = await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id, ...credentials }, bearer(caller));
        const none = await postJson(gw, '/api/v1/dns.revert', { ChangeID: unknown, ...credentials }, bearer(caller));
        expect(none.status).toBe(404);
        expect(none.json).toEqual({ Errors: [{ Code: 12, Message: `Change not found: no change "${unknown}"` }] });
        same(theirs, entry.id, none, unknown);
        // Without the provider credentials too: the entry's provider is never looked at, so no credential error shows.
        same(
          await postJson(gw, '/api/v1/dns.revert', { ChangeID: entry.id }, bearer(caller)),
          entry.id,
          await postJson(gw, '/api/v1/dns.revert', { ChangeID: unknown }, bearer(caller)),
          unknown,
        );
        const legacy = (id: string) =>
          postForm(gw, '/api.php', { Command: 'dns.revert', ChangeID: id, ...(caller.startsWith('dgs_') ? { SessionID: caller } : { APIKey: caller }), ...credentials });
        same(await legacy(entry.id), entry.id, await legacy(unknown), unknown);
        const gql = async (id: string) => {
          const res = await graphql(gw, print(RevertDnsChangeDocument), { input: { id, credentials: { apiKey: credentials.ApiKey } } }, caller);
          expect(res.json.data.revertDnsChange, res.text).toMatchObject({ __typename: 'DnsError', code: 12 });
          return res;
        };
        same(await gql(entry.id), entry.id, await gql(unknown), unknown);
      }

      expect(await everyEntry()).toBe(journal);
      expect([await sandboxZone(aliceAccount), await sandboxZone(bobAccount)]).toEqual(zones);
      expect(world.cloudflare.calls.length).toBe(cloudflareCalls);
      expect(world.cloudflare.records('example.com')).toEqual(cloudflareZone);
    });

    it("reverts within an account (another key of the user), and the admin reverts any account's entry into that account's journal", async () => {
      // Alice's second key reverts what her first key wrote: one account.
      const own = await postJson(gw, '/api/v1/dns.revert', { ChangeID: aliceCloudflare.id, ApiKey: SECRETS.cloudflareToken }, bearer(alice[1]!));
      expect(own.text).toBe('{"success":true}');

      const bobsZone = await sandboxZone(bobAccount);
      const before = await sandboxZone(aliceAccount);
      expect(before.length).toBeGreaterThan(0);
      const byAdmin = await postJson(gw, '/api/v1/dns.revert', { ChangeID: aliceSandbox.id, ApiKey: 'sandbox-provider-key' }, bearer(admin));
      expect(byAdmin.text).toBe('{"success":true}');
      // The revert wrote Alice's sandbox zone (back to empty), not the admin's, not Bob's.
      expect(await sandboxZone(aliceAccount)).toEqual([]);
      expect(await sandboxZone(bobAccount)).toEqual(bobsZone);
      // It is part of Alice's history: she sees it, Bob does not, and the admin sees everything.
      const [revert, original] = await changes(alice[0]!);
      expect(revert).toMatchObject({ revertOf: aliceSandbox.id });
      expect(original!.id).toBe(aliceSandbox.id);
      expect(ids(await changes(bob))).toEqual([bobSandbox.id]);
      expect(ids(await changes(admin))).toEqual([revert!.id, bobSandbox.id, aliceSandbox.id]);
      const row = await gw.running.services.store.getChange(revert!.id, null);
      expect(row).toMatchObject({ account: aliceAccount, principal: keyAccount(admin) });
    });
  });
});
