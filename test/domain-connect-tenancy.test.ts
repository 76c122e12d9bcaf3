/**
 * Tenancy of Domain Connect authorizations (issue 16), end to end on loopback against the fake DNS provider, on SQLite
 * and on PostgreSQL (skipped with a warning when absent, never when CI=true). Account A (a user, through one of its
 * keys: the account is `user:<id>`, not the key) completes the asynchronous flow for a domain; then:
 * - account B's dns.set Provider=domainconnect for that domain is answered exactly as for a domain never authorized
 *   (no hint that A's authorization exists), and nothing reaches the provider or the journal;
 * - the admin (Admin permission) is answered the same: a consent is given to one caller, Admin uses its own only;
 * - A's apply still works; B's own consent for the domain is stored beside A's, not over it, and each account's apply
 *   uses its own tokens.
 */
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { createUser } from '../src/auth/auth-service.js';
import { unseal } from '../src/domain-connect/seal.js';
import type { TokenSet } from '../src/domain-connect/oauth.js';
import { SetDnsRecordsDocument } from './graphql/generated/graphql.js';
import { bearer, graphql, http, keyAccount, postJson, type HttpResult } from './helpers/gateway.js';
import { startDcWorld, txt, type DcWorld } from './helpers/domain-connect-world.js';
import { createTestDatabase, createTestSchema, postgresReachable, POSTGRES_LABEL, shouldSkip, type TestDatabase } from './helpers/backing-services.js';

const DOMAIN = 'shared-consent.com';
const NEVER = 'never-consented.com';

const pgAvailable = await postgresReachable();
const engines: ['sqlite' | 'postgres', boolean][] = [
  ['sqlite', false],
  ['postgres', shouldSkip('Domain Connect tenancy on PostgreSQL', pgAvailable ? [] : [POSTGRES_LABEL])],
];

describe.each(engines)('Domain Connect authorizations on %s', (engine, skip) => {
  describe.skipIf(skip)(engine, () => {
    let db: TestDatabase | undefined;
    let world: DcWorld;
    let a: string;
    let aAccount: string;
    let b: string;

    beforeAll(async () => {
      if (engine === 'postgres') db = await createTestDatabase();
      world = await startDcWorld({ DATABASE_URL: db ? await createTestSchema(db.url) : 'sqlite::memory:' });
      world.host(DOMAIN, [txt(DOMAIN, 'v=spf1 mx -all')]);
      world.host(NEVER);
      const alice = await createUser(world.gateway.running.services.store, { username: 'alice', password: 'a long enough password', scrypt: { N: 1024, r: 8, p: 1 } });
      aAccount = `user:${alice.id}`;
      a = (await createApiKey(world.gateway.running.services.store, { name: 'alice ci', userId: alice.id })).key;
      b = await world.gateway.createKey({ name: 'account b' });
    });
    afterAll(async () => {
      await world?.close();
      await db?.drop();
    });

    const gw = () => world.gateway;
    const store = () => gw().running.services.store;
    const set = (caller: string, domain: string) => postJson(gw(), '/api/v1/dns.set', { Provider: 'domainconnect', Domain: domain, RecordType: 'campaign' }, bearer(caller));
    /** dns.connect Flow=async by `caller`, then the browser: the consent page at the provider and the gateway's callback. */
    async function consent(caller: string, domain: string): Promise<HttpResult> {
      const started = await postJson(gw(), '/api/v1/dns.connect', { Flow: 'async', Domain: domain, RecordType: 'campaign' }, bearer(caller));
      expect(started.status, started.text).toBe(200);
      const atProvider = await world.open(started.json.url);
      expect(atProvider.status, atProvider.text).toBe(302);
      // The callback carries no credentials: the account comes from the sealed state alone.
      return http(String(atProvider.headers.location));
    }
    const accessToken = async (account: string) => {
      const row = await store().getDomainConnectToken(account, DOMAIN);
      return row ? unseal<TokenSet>(Buffer.from(world.tokenKey, 'base64'), row.sealed, `dc-token:${DOMAIN}`).accessToken : null;
    };
    /** The reply for `domain` with the domain's name blanked, to compare two answers byte for byte. */
    const blanked = (res: HttpResult, domain: string) => ({ status: res.status, type: res.headers['content-type'], body: res.text.replaceAll(domain, '<domain>') });

    let aToken: string;

    it("stores A's consent for A's account, from the callback, and for nobody else", async () => {
      const callback = await consent(a, DOMAIN);
      expect(callback.status, callback.text).toBe(200);
      expect(callback.json).toMatchObject({ success: true, domain: DOMAIN });
      expect(await store().getDomainConnectToken(aAccount, DOMAIN)).toMatchObject({ account: aAccount, domain: DOMAIN, providerId: world.fake.providerId });
      for (const other of [keyAccount(a), keyAccount(b), gw().adminAccount]) expect(await store().getDomainConnectToken(other, DOMAIN)).toBeNull();
      aToken = (await accessToken(aAccount))!;
      expect(aToken).toMatch(/^at_/);
    });

    it("answers B's and the admin's apply with A's authorization exactly as one for a domain never authorized, and sends nothing", async () => {
      const requests = world.fake.requests.length;
      const applied = world.fake.applied.length;
      const zone = JSON.stringify(world.fake.zones.get(DOMAIN));
      const journal = JSON.stringify(await store().listChanges({ account: null, limit: 1000 }));

      for (const caller of [b, gw().adminKey]) {
        const theirs = await set(caller, DOMAIN);
        const never = await set(caller, NEVER);
        expect(never.json.Errors).toEqual([
          { Code: 11, Message: `Domain Connect is not available for this domain: no Domain Connect authorization is stored for ${NEVER}: run dns.connect with Flow=async first` },
        ]);
        expect(blanked(theirs, DOMAIN)).toEqual(blanked(never, NEVER));
        const gql = async (domain: string) => {
          const res = await graphql(gw(), print(SetDnsRecordsDocument), { input: { domain, provider: 'DOMAINCONNECT', recordType: 'CAMPAIGN' } }, caller);
          expect(res.json.data.setDnsRecords, res.text).toMatchObject({ __typename: 'DnsError', code: 11 });
          return res;
        };
        expect(blanked(await gql(DOMAIN), DOMAIN)).toEqual(blanked(await gql(NEVER), NEVER));
      }

      expect(world.fake.requests.length).toBe(requests);
      expect(world.fake.applied.length).toBe(applied);
      expect(JSON.stringify(world.fake.zones.get(DOMAIN))).toBe(zone);
      expect(JSON.stringify(await store().listChanges({ account: null, limit: 1000 }))).toBe(journal);
    });

    it("keeps B's own consent beside A's: A's authorization is not replaced, and each account applies with its own", async () => {
      const callback = await consent(b, DOMAIN);
      expect(callback.status, callback.text).toBe(200);
      const bToken = await accessToken(keyAccount(b));
      expect(bToken).toMatch(/^at_/);
      expect(bToken).not.toBe(aToken);
      expect(await accessToken(aAccount)).toBe(aToken);

      // Every access token expires at the provider: each account's apply refreshes its own authorization, and the
      // refreshed tokens are stored for that account only.
      world.fake.expireAccessTokens();
      const applied = world.fake.applied.length;
      const grants = world.fake.tokenGrants.length;
      const byA = await set(a, DOMAIN);
      expect(byA.text).toBe('{"success":true}');
      expect(world.fake.applied.length).toBe(applied + 1);
      expect(world.fake.tokenGrants.slice(grants)).toEqual(['refresh_token']);
      expect(await accessToken(keyAccount(b))).toBe(bToken);
      const aRefreshed = await accessToken(aAccount);
      expect(aRefreshed).not.toBe(aToken);
      const byB = await set(b, DOMAIN);
      expect(byB.text).toBe('{"success":true}');
      expect(await accessToken(aAccount)).toBe(aRefreshed);
      expect(await accessToken(keyAccount(b))).not.toBe(bToken);

      // Each apply is in its own account's journal.
      const mine = async (caller: string) => ((await postJson(gw(), '/api/v1/dns.changes', { Domain: DOMAIN }, bearer(caller))).json.changes as { provider: string }[]).length;
      expect([await mine(a), await mine(b)]).toEqual([2, 2]);
    });
  });
});
