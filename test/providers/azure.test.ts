/**
 * The Azure DNS adapter against its loopback fake (test/fakes/azure-fake.ts), without the gateway: credentials and the
 * token cache, finding the zone and its resource group, reading every page, the TXT/CNAME wire forms, the conditional
 * record-set writes and what happens when one is refused or lost, and the error mapping.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { armError, createAzureProvider, TokenCache, tokenError, type AzureRecordRaw, type AzureRecordSet } from '../../providers/azure.js';
import { createHttpAgent } from '../../providers/http.js';
import { ProviderError, type DnsRecord, type ProviderCredentials, type ProviderSession, type RecordChange, type Zone } from '../../providers/types.js';
import { AZURE_FAKE, recordSet, seedAsHeld, startAzureFake, toAzureValue, type AzureFake, type AzureFakeZone } from '../fakes/azure-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from '../fakes/seed-zone.js';

const APEX = SEED_APEX;
const GOOD: ProviderCredentials = {
  apiKey: AZURE_FAKE.contributor.clientId,
  apiSecret: AZURE_FAKE.contributor.secret,
  apiUser: AZURE_FAKE.tenant,
  username: AZURE_FAKE.subscription,
};
const ZONE: Zone = { name: APEX, id: `${AZURE_FAKE.resourceGroup}/${APEX}` };
/** Every value a reason must never show. */
const SECRETS = [
  ...Object.values(GOOD),
  AZURE_FAKE.reader.clientId,
  AZURE_FAKE.reader.secret,
  AZURE_FAKE.noRole.clientId,
  AZURE_FAKE.noRole.secret,
  AZURE_FAKE.expired.clientId,
  AZURE_FAKE.contributor.objectId,
  AZURE_FAKE.noRole.objectId,
] as string[];

let fake: AzureFake;
let agent: Agent;
let sleeps: number[];
let clock: number;
const now = () => clock;

beforeEach(async () => {
  clock = Date.UTC(2025, 0, 1);
  fake = await startAzureFake({ behaviour: { now } });
  agent = createHttpAgent({ keepAliveTimeoutMs: 100 });
  sleeps = [];
});

afterEach(async () => {
  await agent.close();
  await fake.close();
});

function provider(options: { deadlineMs?: number; pageSize?: number; tokenCacheSize?: number } = {}) {
  return createAzureProvider({
    baseUrl: fake.baseUrl,
    authorityUrl: fake.authorityUrl,
    dispatcher: agent,
    sleep: async (ms) => void sleeps.push(ms),
    now,
    ...options,
  });
}

function connect(credentials: ProviderCredentials = GOOD, options: Parameters<typeof provider>[0] = {}): ProviderSession {
  return provider(options).connect(credentials);
}

async function providerError(promise: Promise<unknown>, token?: string): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  const pe = error as ProviderError;
  for (const secret of [...SECRETS, ...(token ? [token] : [])]) {
    expect(pe.message).not.toContain(secret);
  }
  return pe;
}

const tokenCalls = () => fake.calls.filter((c) => c.token);
const armCalls = () => fake.calls.filter((c) => !c.token);
const writes = () => armCalls().filter((c) => c.method !== 'GET');
const seedZone = (): AzureFakeZone => fake.state.zones.find((z) => z.name === APEX)!;
const typeOf = (s: AzureRecordSet) => s.type.split('/').pop()!;
const setAt = (type: string, name: string) => seedZone().recordSets.find((s) => typeOf(s) === type && s.name === name);
const neutral = (r: DnsRecord) => ({ type: r.type, name: r.name, content: r.content, ttl: r.ttl, ...(r.priority === undefined ? {} : { priority: r.priority }) });
const byJson = <T>(list: readonly T[]) => list.map((x) => JSON.stringify(x)).sort();
const spfOf = (records: readonly DnsRecord[]) => records.find((r) => r.type === 'TXT' && r.name === APEX && r.content.startsWith('v=spf1'))!;
const merged = (spf: DnsRecord) => spf.content.replace(' -all', ' include:_spf.sender-platform.net -all');

// ------------------------------------------------------------------------------------------------ token

describe('credentials and the token', () => {
  it('grants a token with the client-credentials form at the tenant, and reuses it across sessions of the provider', async () => {
    const azure = provider();
    await azure.connect(GOOD).authorize(APEX);
    await azure.connect(GOOD).authorize(APEX);
    expect(tokenCalls()).toHaveLength(1);
    const grant = tokenCalls()[0]!;
    expect([grant.method, grant.path]).toEqual(['POST', `/${AZURE_FAKE.tenant}/oauth2/v2.0/token`]);
    expect(grant.body).toEqual({ grant_type: 'client_credentials', client_id: GOOD.apiKey, client_secret: GOOD.apiSecret, scope: 'https://management.azure.com/.default' });
    // Every ARM call carried it as a Bearer token (the fake refuses anything else).
    expect(armCalls().every((c) => c.status === 200)).toBe(true);
  });

  it('never serves the cached token to a caller with another secret', async () => {
    const azure = provider();
    await azure.connect(GOOD).authorize(APEX);
    const error = await providerError(azure.connect({ ...GOOD, apiSecret: 'Wr0Q~wrongSecretValue0123456789abcdefgh' }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', "invalid client secret: send the secret's value, not its id (AADSTS7000215)"]);
    expect(tokenCalls().map((c) => c.status)).toEqual([200, 401]);
  });

  it('keeps the token until shortly before it expires, then grants a new one', async () => {
    const azure = provider();
    await azure.connect(GOOD).findZone(APEX);
    clock += 3_200_000; // expires_in 3599 s, kept until 5 minutes before
    await azure.connect(GOOD).findZone(APEX);
    expect(tokenCalls()).toHaveLength(1);
    clock += 100_000;
    await azure.connect(GOOD).findZone(APEX);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('holds at most tokenCacheSize tokens, the oldest going first', () => {
    const cache = new TokenCache(2, now);
    cache.set('a', 'ta', 3600);
    cache.set('b', 'tb', 3600);
    cache.set('c', 'tc', 3600);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([undefined, 'tb', 'tc', 2]);
    // Keyed by a hash of the secret, never the secret itself.
    expect(TokenCache.key(AZURE_FAKE.tenant, GOOD.apiKey, GOOD.apiSecret!)).not.toContain(GOOD.apiSecret);
    expect(TokenCache.key('T', 'C', 's1')).not.toBe(TokenCache.key('T', 'C', 's2'));
  });

  it('answers a 401 from ARM on a cached token with one fresh grant and the same call again', async () => {
    const azure = provider();
    await azure.connect(GOOD).findZone(APEX);
    fake.expireTokens();
    await expect(azure.connect(GOOD).findZone(APEX)).resolves.toEqual(ZONE);
    expect(tokenCalls()).toHaveLength(2);
    expect(armCalls().map((c) => c.status)).toEqual([200, 401, 200]);
  });

  it('does not grant again when a fresh token is refused: auth, with ARM\'s code', async () => {
    fake.setBehaviour({ tokenLifetimeSeconds: 0 });
    const error = await providerError(connect().findZone(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', 'the access token was refused (ExpiredAuthenticationToken)']);
    expect([tokenCalls().length, armCalls().length]).toEqual([1, 1]);
  });

  it.each([
    ['an unknown client id', { apiKey: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e' }, 'no application with this client id in the tenant (AADSTS700016)'],
    ['an unknown tenant', { apiUser: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b' }, 'tenant not found (AADSTS90002)'],
    ['an expired secret', { apiKey: AZURE_FAKE.expired.clientId, apiSecret: AZURE_FAKE.expired.secret }, 'the client secret has expired (AADSTS7000222)'],
  ])('maps %s at the token endpoint to auth with the reason, no credential in it', async (_label, change, reason) => {
    const error = await providerError(connect({ ...GOOD, ...change }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['auth', reason]);
    expect(armCalls()).toHaveLength(0);
  });

  it('accepts the tenant as its domain name', async () => {
    await expect(connect({ ...GOOD, apiUser: AZURE_FAKE.tenantDomain }).authorize(APEX)).resolves.toEqual(ZONE);
    expect(tokenCalls()[0]?.path).toBe(`/${AZURE_FAKE.tenantDomain}/oauth2/v2.0/token`);
  });

  it.each([
    ['a tenant that would add path segments', { apiUser: `${AZURE_FAKE.tenant}/../../evil` }, /tenant id must be a GUID/],
    ['a tenant with a query', { apiUser: 'contoso.onmicrosoft.com?x=1' }, /tenant id must be a GUID/],
    ['a subscription that would add path segments', { username: `${AZURE_FAKE.subscription}/resourceGroups/x` }, /subscription id must be a GUID/],
    ['a subscription with an encoded slash', { username: '..%2F..%2Fproviders' }, /subscription id must be a GUID/],
    ['a client id that is not a GUID', { apiKey: 'my-app' }, /client \(application\) id must be a GUID/],
    ['no secret', { apiSecret: '' }, /all required/],
    ['no subscription', { username: undefined }, /all required/],
  ])('refuses %s before any call', async (_label, change, reason) => {
    const error = await providerError(connect({ ...GOOD, ...change } as ProviderCredentials).authorize(APEX));
    expect(error.kind).toBe('auth');
    expect(error.reason).toMatch(reason);
    expect(fake.calls).toHaveLength(0);
  });

  it('retries a 5xx from the token endpoint', async () => {
    fake.failNext({ kind: 'server-error', on: 'token' });
    await expect(connect().authorize(APEX)).resolves.toEqual(ZONE);
    expect(tokenCalls().map((c) => c.status)).toEqual([503, 200]);
    expect(sleeps).toHaveLength(1);
  });
});

// ------------------------------------------------------------------------------------------------ the zone

describe('findZone and authorize', () => {
  it('finds the zone and its resource group in one zones-list call; authorize adds one record-set read', async () => {
    const session = connect();
    await expect(session.findZone('mail.Example.com.')).resolves.toEqual(ZONE);
    expect(armCalls().map((c) => `${c.method} ${c.path} ${c.query['api-version']}`)).toEqual([
      `GET /subscriptions/${AZURE_FAKE.subscription}/providers/Microsoft.Network/dnszones 2018-05-01`,
    ]);
    await expect(session.authorize(APEX)).resolves.toEqual(ZONE);
    expect(armCalls()).toHaveLength(3);
    expect(armCalls()[2]?.path).toBe(`/subscriptions/${AZURE_FAKE.subscription}/resourceGroups/${AZURE_FAKE.resourceGroup}/providers/Microsoft.Network/dnsZones/${APEX}/recordsets`);
    expect(armCalls()[2]?.query.$top).toBe('1');
    expect(writes()).toHaveLength(0);
  });

  it('takes the most specific zone, walking up to the registrable domain', async () => {
    const shop = { subscription: AZURE_FAKE.subscription, resourceGroup: 'rg-shop', name: `shop.${APEX}` };
    fake.state.zones.push({ ...shop, etag: 'e', recordSets: [] });
    await expect(connect().findZone(`a.shop.${APEX}`)).resolves.toEqual({ name: `shop.${APEX}`, id: `rg-shop/shop.${APEX}` });
    await expect(connect().findZone(`www.${APEX}`)).resolves.toEqual(ZONE);
  });

  it('refuses a zone name held by two resource groups, naming both', async () => {
    fake.state.zones.push({ subscription: AZURE_FAKE.subscription, resourceGroup: 'rg-old', name: APEX, etag: 'e', recordSets: [] });
    const error = await providerError(connect().findZone(APEX));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('2 resource groups');
    expect(error.reason).toContain(AZURE_FAKE.resourceGroup);
    expect(error.reason).toContain('rg-old');
  });

  it('reads every page of the zones list', async () => {
    for (const name of ['a-zone.com', 'b-zone.com']) fake.state.zones.unshift({ subscription: AZURE_FAKE.subscription, resourceGroup: 'rg-x', name, etag: 'e', recordSets: [] });
    fake.setBehaviour({ pageSize: 1 });
    await expect(connect().findZone(APEX)).resolves.toEqual(ZONE);
    expect(armCalls()).toHaveLength(3);
    expect(armCalls()[1]?.query.$skipToken).toBeDefined();
  });

  it('answers not_found for a domain with no zone in the subscription', async () => {
    const error = await providerError(connect().findZone('not-mine.com'));
    expect([error.kind, error.reason]).toEqual(['not_found', 'no DNS zone for not-mine.com in this subscription']);
  });

  it('maps a principal without a role to forbidden, naming the action, not the principal', async () => {
    const error = await providerError(connect({ ...GOOD, apiKey: AZURE_FAKE.noRole.clientId, apiSecret: AZURE_FAKE.noRole.secret }).authorize(APEX));
    expect(error.kind).toBe('forbidden');
    expect(error.reason).toContain('Microsoft.Network/dnszones/read');
    expect(error.reason).toContain('AuthorizationFailed');
  });

  it('maps an unknown subscription to not_found', async () => {
    const error = await providerError(connect({ ...GOOD, username: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' }).authorize(APEX));
    expect([error.kind, error.reason]).toEqual(['not_found', 'the subscription was not found (SubscriptionNotFound)']);
  });
});

// ------------------------------------------------------------------------------------------------ nextLink

describe('nextLink', () => {
  let evil: Server;
  let evilHits: number;
  beforeEach(async () => {
    evilHits = 0;
    evil = createServer((_req, res) => {
      evilHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
    fake.setBehaviour({ nextLinkOrigin: `http://127.0.0.1:${(evil.address() as AddressInfo).port}` });
  });
  afterEach(() => new Promise<void>((resolve) => evil.close(() => resolve())));

  it('is not followed to another origin from the zones list', async () => {
    fake.state.zones.unshift({ subscription: AZURE_FAKE.subscription, resourceGroup: 'rg-x', name: 'a-zone.com', etag: 'e', recordSets: [] });
    fake.setBehaviour({ pageSize: 1 });
    const error = await providerError(connect().findZone(APEX));
    expect([error.kind, error.reason]).toEqual(['protocol', 'nextLink points to another host; not followed']);
    expect(evilHits).toBe(0);
  });

  it('is not followed to another origin from the record-set list, and the bearer token goes nowhere else', async () => {
    fake.setBehaviour({ pageSize: 10 });
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('protocol');
    expect(evilHits).toBe(0);
  });
});

// ------------------------------------------------------------------------------------------------ reading

describe('readZone', () => {
  it('returns the whole seed zone, as Azure holds it, in neutral form, each record keeping its set and etag', async () => {
    const { records, adapterState } = await connect().readZone(ZONE);
    expect(armCalls()).toHaveLength(1);
    const azureOwn = records.filter((r) => r.name === APEX && (r.type === 'SOA' || r.type === 'NS'));
    expect(azureOwn.map((r) => r.type).sort()).toEqual(['NS', 'NS', 'NS', 'NS', 'SOA']);
    const rest = records.filter((r) => !azureOwn.includes(r));
    expect(byJson(rest.map(neutral))).toEqual(byJson(seedAsHeld(seedRecords())));
    expect(records.find((r) => r.name === `google._domainkey.${APEX}`)?.content).toBe(LONG_DKIM_TXT);
    const raw = spfOf(records).raw as AzureRecordRaw;
    expect(raw.recordSet.etag).toBe(setAt('TXT', '@')!.etag);
    expect(raw.recordSet.properties.TXTRecords).toEqual(setAt('TXT', '@')!.properties.TXTRecords);
    expect((adapterState as { sets: Map<string, unknown> }).sets.size).toBe(seedZone().recordSets.length);
  });

  it('follows nextLink on its own origin to the last page', async () => {
    fake.setBehaviour({ pageSize: 10 });
    const { records } = await connect().readZone(ZONE);
    expect(armCalls()).toHaveLength(Math.ceil(seedZone().recordSets.length / 10));
    expect(records).toHaveLength(seedRecords().length + 5);
  });

  it('joins TXT chunks and strips the trailing dot of CNAME, MX, NS and SRV targets', async () => {
    const z = seedZone();
    z.recordSets.push(recordSet(z, 'TXT', 'split', 300, [{ value: ['v=DKIM1; k=rsa; ', 'p=ABC', 'DEF'] }]));
    z.recordSets.push(recordSet(z, 'CNAME', 'dotted', 300, [{ cname: 'target.example.net.' }]));
    z.recordSets.push(recordSet(z, 'MX', 'mxd', 300, [{ preference: 5, exchange: 'mx.example.net.' }]));
    const { records } = await connect().readZone(ZONE);
    const at = (name: string) => records.find((r) => r.name === `${name}.${APEX}`);
    expect(at('split')?.content).toBe('v=DKIM1; k=rsa; p=ABCDEF');
    expect(at('dotted')?.content).toBe('target.example.net');
    expect([at('mxd')?.content, at('mxd')?.priority]).toEqual(['mx.example.net', 5]);
  });

  it('reports a cut body as protocol', async () => {
    fake.failNext({ kind: 'malformed', on: 'read' });
    const error = await providerError(connect().readZone(ZONE));
    expect(error.kind).toBe('protocol');
  });

  it('honours ARM\'s Retry-After on a 429 and reads on; a wait longer than 20 s is reported instead', async () => {
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 3 });
    await connect().readZone(ZONE);
    expect(sleeps).toEqual([3000]);
    fake.failNext({ kind: 'rate-limited', on: 'read', retryAfterSeconds: 60 });
    const error = await providerError(connect().readZone(ZONE));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 60]);
  });
});

// ------------------------------------------------------------------------------------------------ writing

describe('applyChanges', () => {
  async function readSeed(session = connect()) {
    const zone = await session.findZone(APEX);
    const contents = await session.readZone(zone);
    return { session, zone, contents };
  }

  function seedPlan(records: readonly DnsRecord[]): RecordChange[] {
    const spf = spfOf(records);
    return [
      { action: 'CREATE', record: { type: 'CNAME', name: `sl.${APEX}`, content: 'mail.sender-platform.net', ttl: 3600 } },
      { action: 'CREATE', record: { type: 'CNAME', name: `key1._domainkey.${APEX}`, content: 'key1._domainkey.sender-platform.net.', ttl: 3600 } },
      { action: 'UPDATE', before: spf, record: { type: 'TXT', name: APEX, content: merged(spf), ttl: spf.ttl } },
    ];
  }

  it('writes each changed set once, existing sets first with If-Match, new ones with If-None-Match, every value read carried back', async () => {
    const apexTxt = setAt('TXT', '@')!;
    (apexTxt.properties as Record<string, unknown>).metadata = { owner: 'it-ops' };
    const etagAsRead = apexTxt.etag;
    const etags = () => seedZone().recordSets.filter((s) => !(typeOf(s) === 'TXT' && s.name === '@') && typeOf(s) !== 'CNAME').map((s) => `${typeOf(s)} ${s.name} ${s.etag}`);
    const untouched = etags();
    const { session, zone, contents } = await readSeed();
    const changes = seedPlan(contents.records);
    const result = await session.applyChanges(zone, contents, changes);
    expect(result.applied).toEqual([changes[2], changes[0], changes[1]]);
    expect(writes().map((c) => `${c.method} ${c.path.split('/dnsZones/')[1]} ${c.ifMatch ?? '-'} ${c.ifNoneMatch ?? '-'} ${c.status}`)).toEqual([
      `PUT ${APEX}/TXT/@ ${etagAsRead} - 200`,
      `PUT ${APEX}/CNAME/sl - * 201`,
      `PUT ${APEX}/CNAME/key1._domainkey - * 201`,
    ]);
    // The apex TXT set: every value as read (the SPF merged in place), its TTL and metadata kept.
    const body = writes()[0]!.body as { properties: Record<string, unknown> };
    expect(body.properties).toEqual({
      metadata: { owner: 'it-ops' },
      targetResource: {},
      TTL: 3600,
      TXTRecords: [
        { value: [merged(spfOf(contents.records))] },
        { value: ['google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ'] },
        { value: ['MS=ms51923412'] },
      ],
    });
    expect(setAt('TXT', '@')!.properties.metadata).toEqual({ owner: 'it-ops' });
    // A CNAME target is written without its trailing dot.
    expect(setAt('CNAME', 'key1._domainkey')!.properties.CNAMERecord).toEqual({ cname: 'key1._domainkey.sender-platform.net' });
    // No other set was touched (each write gives a new etag).
    expect(etags()).toEqual(untouched);
    expect(seedZone().recordSets.filter((s) => typeOf(s) === 'CNAME')).toHaveLength(6);
  });

  it('rewrites a set without the deleted value, and DELETEs a set that ends empty, both with If-Match', async () => {
    const { session, zone, contents } = await readSeed();
    const ms = contents.records.find((r) => r.content === 'MS=ms51923412')!;
    const acme = contents.records.find((r) => r.name === `_acme-challenge.${APEX}`)!;
    const etags = [setAt('TXT', '@')!.etag, setAt('TXT', '_acme-challenge')!.etag];
    await session.applyChanges(zone, contents, [
      { action: 'DELETE', before: ms },
      { action: 'DELETE', before: acme },
    ]);
    expect(writes().map((c) => [c.method, c.path.split('/').slice(-2).join('/'), c.ifMatch])).toEqual([
      ['PUT', 'TXT/@', etags[0]],
      ['DELETE', 'TXT/_acme-challenge', etags[1]],
    ]);
    expect(setAt('TXT', '_acme-challenge')).toBeUndefined();
    expect((setAt('TXT', '@')!.properties.TXTRecords as unknown[]).length).toBe(2);
  });

  it('keeps a set\'s TTL when values it did not write stay in it; a new set takes the TTL planned', async () => {
    const { session, zone, contents } = await readSeed();
    await session.applyChanges(zone, contents, [
      { action: 'CREATE', record: { type: 'TXT', name: APEX, content: 'extra-verification=1', ttl: 300 } },
      { action: 'CREATE', record: { type: 'TXT', name: `new.${APEX}`, content: 'x', ttl: 300 } },
    ]);
    expect(setAt('TXT', '@')!.properties.TTL).toBe(3600);
    expect(setAt('TXT', 'new')!.properties.TTL).toBe(300);
  });

  it('writes TXT as raw chunks of at most 255 bytes: no quotes, no escapes, never inside a character', async () => {
    const { session, zone, contents } = await readSeed();
    const quoted = 'a "quoted" value with a \\ backslash';
    const long = 'é'.repeat(200) + 'x'.repeat(300); // 700 bytes
    await session.applyChanges(zone, contents, [
      { action: 'CREATE', record: { type: 'TXT', name: `q.${APEX}`, content: quoted, ttl: 300 } },
      { action: 'CREATE', record: { type: 'TXT', name: `long.${APEX}`, content: long, ttl: 300 } },
    ]);
    expect(setAt('TXT', 'q')!.properties.TXTRecords).toEqual([{ value: [quoted] }]);
    const chunks = (setAt('TXT', 'long')!.properties.TXTRecords as { value: string[] }[])[0]!.value;
    expect(chunks.every((c) => Buffer.byteLength(c) <= 255)).toBe(true);
    expect(chunks.join('')).toBe(long);
    expect(chunks).toHaveLength(3);
    const back = await connect().readZone(ZONE);
    expect(back.records.find((r) => r.name === `q.${APEX}`)?.content).toBe(quoted);
    expect(back.records.find((r) => r.name === `long.${APEX}`)?.content).toBe(long);
  });

  it('the race: a second writer changes the apex TXT set between our read and our write → 412, staleRead, nothing lost', async () => {
    const { session, zone, contents } = await readSeed();
    fake.beforeNextWrite(() => {
      const set = setAt('TXT', '@')!;
      (set.properties as Record<string, unknown>).TXTRecords = [...(set.properties.TXTRecords as unknown[]), toAzureValue({ type: 'TXT', content: 'theirs=1' })];
      fake.touch(set);
    });
    const error = await providerError(session.applyChanges(zone, contents, seedPlan(contents.records)));
    expect([error.kind, error.staleRead, error.reason]).toEqual(['conflict', true, 'the zone changed while it was being written; nothing was applied']);
    expect(error.applied).toEqual([]);
    expect(writes().map((c) => c.status)).toEqual([412]);
    // Their value and every value read are there; none of ours.
    const values = (setAt('TXT', '@')!.properties.TXTRecords as { value: string[] }[]).map((v) => v.value.join(''));
    expect(values).toContain('theirs=1');
    expect(values).toContain(spfOf(contents.records).content);
    expect(setAt('CNAME', 'sl')).toBeUndefined();
    // Read again, the same plan goes through.
    const again = await readSeed(session);
    await session.applyChanges(again.zone, again.contents, seedPlan(again.contents.records));
    expect((setAt('TXT', '@')!.properties.TXTRecords as { value: string[] }[]).map((v) => v.value.join(''))).toContain('theirs=1');
  });

  it('a 412 after a set was written is a part-way conflict naming what landed, not a stale read', async () => {
    const { session, zone, contents } = await readSeed();
    // The second write meets a set someone created meanwhile.
    fake.beforeNextWrite(() =>
      fake.beforeNextWrite(() => {
        const z = seedZone();
        z.recordSets.push(recordSet(z, 'CNAME', 'key1._domainkey', 3600, [{ cname: 'theirs.example.net' }]));
      }),
    );
    const changes = seedPlan(contents.records);
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('conflict');
    expect(error.staleRead).toBe(false);
    expect(error.applied).toEqual([changes[2], changes[0]]);
    expect(error.reason).toContain('2 of 3 changes were applied (UPDATE TXT example.com, CREATE CNAME sl.example.com)');
    expect(error.reason).toContain('not applied: CREATE CNAME key1._domainkey.example.com');
    expect(setAt('CNAME', 'key1._domainkey')!.properties.CNAMERecord).toEqual({ cname: 'theirs.example.net' });
  });

  it('a write whose reply is lost is repeated, refused with 412 (its own new etag), read back and counted as landed', async () => {
    const { session, zone, contents } = await readSeed();
    fake.failNext({ kind: 'lost-reply', on: 'write' });
    const changes = seedPlan(contents.records);
    await expect(session.applyChanges(zone, contents, changes)).resolves.toEqual({ applied: [changes[2], changes[0], changes[1]] });
    expect(armCalls().slice(2).map((c) => `${c.method} ${c.path.split('/').slice(-2).join('/')} ${c.status}`)).toEqual([
      'PUT TXT/@ 200', // applied, reply lost
      'PUT TXT/@ 412',
      'GET TXT/@ 200',
      'PUT CNAME/sl 201',
      'PUT CNAME/key1._domainkey 201',
    ]);
    const spfs = (setAt('TXT', '@')!.properties.TXTRecords as { value: string[] }[]).filter((v) => v.value.join('').startsWith('v=spf1'));
    expect(spfs).toHaveLength(1);
  });

  it('stops part-way when a later set keeps failing, naming what landed and what not', async () => {
    const { session, zone, contents } = await readSeed();
    fake.beforeNextWrite(() => fake.failNext({ kind: 'server-error', on: 'write', times: 'always' }));
    const changes = seedPlan(contents.records);
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('unavailable');
    expect(error.applied).toEqual([changes[2]]);
    expect(error.reason).toMatch(/^HTTP 500 InternalServerError; 1 of 3 changes were applied \(UPDATE TXT example\.com\); not applied: CREATE CNAME sl/);
    // The subscription id in ARM's 500 text is not repeated.
    expect(error.message).not.toContain(AZURE_FAKE.subscription);
  });

  it('says so when whether a write landed cannot be told', async () => {
    const { zone, contents } = await readSeed();
    const session = connect(GOOD, { deadlineMs: 2000 });
    await session.findZone(APEX);
    fake.failNext({ kind: 'hang', on: 'write', times: 'always' });
    fake.failNext({ kind: 'hang', on: 'get-set', times: 'always' });
    const changes = seedPlan(contents.records);
    const error = await providerError(session.applyChanges(zone, contents, changes));
    expect(error.kind).toBe('timeout');
    expect(error.reason).toContain('unknown whether UPDATE TXT example.com was applied');
  }, 10_000);

  it.each<[string, (records: readonly DnsRecord[]) => RecordChange[], RegExp]>([
    ['a TXT value over 1024 bytes', () => [{ action: 'CREATE', record: { type: 'TXT', name: `big.${APEX}`, content: 'x'.repeat(1025), ttl: 300 } }], /1025 bytes long/],
    ['a CNAME at the apex', () => [{ action: 'CREATE', record: { type: 'CNAME', name: APEX, content: 'x.example.net', ttl: 300 } }], /cannot be at the zone apex|cannot share/],
    ['a CNAME beside other records', () => [{ action: 'CREATE', record: { type: 'CNAME', name: `mail.${APEX}`, content: 'x.example.net', ttl: 300 } }], /cannot share its name with A, MX, TXT/],
    ['a second CNAME in one set', () => [{ action: 'CREATE', record: { type: 'CNAME', name: `blog.${APEX}`, content: 'x.example.net', ttl: 300 } }], /holds one record/],
    ['a TTL of 0', () => [{ action: 'CREATE', record: { type: 'TXT', name: `z.${APEX}`, content: 'x', ttl: 0 } }], /outside 1–2147483647/],
    ['an SOA', () => [{ action: 'CREATE', record: { type: 'SOA', name: APEX, content: 'x', ttl: 300 } }], /type SOA cannot be written/],
    ['a name outside the zone', () => [{ action: 'CREATE', record: { type: 'TXT', name: 'other.org', content: 'x', ttl: 300 } }], /not inside the zone/],
    ['an A record that is no address', () => [{ action: 'CREATE', record: { type: 'A', name: `w.${APEX}`, content: '300.1.1.1', ttl: 300 } }], /not an IPv4 address/],
  ])('refuses %s before the first write', async (_label, plan, reason) => {
    const { session, zone, contents } = await readSeed();
    const ok: RecordChange = { action: 'CREATE', record: { type: 'TXT', name: `fine.${APEX}`, content: 'fine', ttl: 300 } };
    const error = await providerError(session.applyChanges(zone, contents, [ok, ...plan(contents.records)]));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toMatch(reason);
    expect(writes()).toHaveLength(0);
  });

  it('refuses to add values to an alias record set (targetResource) before writing', async () => {
    const z = seedZone();
    z.recordSets.push(recordSet(z, 'A', 'alias', 300, [], { targetResource: { id: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/publicIPAddresses/ip' } }));
    const { session, zone, contents } = await readSeed();
    const error = await providerError(session.applyChanges(zone, contents, [{ action: 'CREATE', record: { type: 'A', name: `alias.${APEX}`, content: '192.0.2.9', ttl: 300 } }]));
    expect([error.kind, error.reason]).toEqual(['rejected', `the A record set at alias.${APEX} is an alias of an Azure resource; the gateway does not change alias record sets`]);
    expect(writes()).toHaveLength(0);
  });

  it('a read-only principal is refused on its first write: forbidden, nothing applied', async () => {
    const { session, zone, contents } = await readSeed(connect({ ...GOOD, apiKey: AZURE_FAKE.reader.clientId, apiSecret: AZURE_FAKE.reader.secret }));
    const error = await providerError(session.applyChanges(zone, contents, seedPlan(contents.records)));
    expect(error.kind).toBe('forbidden');
    expect(error.reason).toContain('Microsoft.Network/dnszones/TXT/write');
    expect(error.reason).toContain('no change was applied');
    expect(writes()).toHaveLength(1);
  });

  it('a dry run reads in exactly the declared calls, and an apply adds one write per set', async () => {
    const { session, zone, contents } = await readSeed();
    const azure = provider();
    expect(armCalls()).toHaveLength(azure.capabilities.upstreamCalls.read);
    await session.applyChanges(zone, contents, seedPlan(contents.records));
    expect(writes()).toHaveLength(3 * azure.capabilities.upstreamCalls.write.perRrset);
  });
});

// ------------------------------------------------------------------------------------------------ errors

describe('error mapping', () => {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => ({ status, headers, text: typeof body === 'string' ? body : JSON.stringify(body) });
  const scrub = (text: string) => text.split(GOOD.apiKey).join('[redacted]').split(GOOD.username!).join('[redacted]');

  it.each<[string, ReturnType<typeof reply>, string, RegExp]>([
    ['ARM AuthorizationFailed', reply(403, { error: { code: 'AuthorizationFailed', message: `The client '${GOOD.apiKey}' with object id 'x' does not have authorization to perform action 'Microsoft.Network/dnsZones/TXT/write' over scope '/subscriptions/${GOOD.username}'` } }), 'forbidden', /perform Microsoft\.Network\/dnsZones\/TXT\/write here/],
    ['ResourceNotFound', reply(404, { error: { code: 'ResourceNotFound', message: 'The Resource was not found.' } }), 'not_found', /not found \(ResourceNotFound\)/],
    ['ParentResourceNotFound', reply(404, { error: { code: 'ParentResourceNotFound', message: 'Parent resource not found.' } }), 'not_found', /ParentResourceNotFound/],
    ['a flat BadRequest', reply(400, { code: 'BadRequest', message: `The domain name '"x"' is invalid (${GOOD.username}).` }), 'rejected', /^Azure DNS refused the change: The domain name '"x"' is invalid \(\[redacted\]\)\. \(BadRequest\)$/],
    ['a wrapped 412', reply(412, { error: { code: 'PreconditionFailed', message: 'x' } }), 'conflict', /HTTP 412/],
    ['a flat 412', reply(412, { code: 'PreconditionFailed', message: "The condition '*' in the If-None-Match header was satisfied." }), 'conflict', /HTTP 412/],
    ['a CNAME Conflict', reply(409, { code: 'Conflict', message: 'The CNAME record could not be created because another record with the same name already exists in this zone.' }), 'conflict', /CNAME record could not be created/],
    ['a 500', reply(500, { error: { code: 'InternalServerError', message: `subscription id '${GOOD.username}'` } }), 'unavailable', /^HTTP 500 InternalServerError$/],
    ['an HTML 502', reply(502, '<html>bad gateway</html>'), 'unavailable', /^HTTP 502$/],
    ['a 429 with Retry-After', reply(429, { error: { code: 'SubscriptionRequestsThrottled', message: "try again after '9' seconds" } }, { 'retry-after': '7' }), 'rate_limited', /throttled/],
  ])('%s', (_label, r, kind, reason) => {
    const error = armError(r, scrub);
    expect(error.kind).toBe(kind);
    expect(error.reason).toMatch(reason);
    expect(error.reason).not.toContain(GOOD.apiKey);
    expect(error.reason).not.toContain(GOOD.username!);
  });

  it('scrubs the error code it repeats, not only the message', () => {
    for (const status of [400, 401, 403, 404, 409, 418, 500]) {
      const error = armError(reply(status, { error: { code: `Code-${GOOD.apiKey}-${GOOD.username}`, message: 'no' } }), scrub);
      expect(error.reason, `HTTP ${status}`).not.toContain(GOOD.apiKey);
      expect(error.reason, `HTTP ${status}`).not.toContain(GOOD.username!);
    }
  });

  it('takes the wait from the throttling message when Retry-After is missing', () => {
    const error = armError(reply(429, { error: { code: 'SubscriptionRequestsThrottled', message: "Please try again after '4' seconds" } }));
    expect([error.kind, error.retryAfterSeconds]).toEqual(['rate_limited', 4]);
    expect(armError(reply(429, {}, { 'retry-after': '7' })).retryAfterSeconds).toBe(7);
  });

  it('says an unknown AADSTS code with its first sentence, scrubbed', () => {
    const error = tokenError(
      reply(400, { error: 'invalid_request', error_description: `AADSTS50049: Unknown or invalid instance for app '${GOOD.apiKey}'.\r\nTrace ID: 1`, error_codes: [50049] }),
      scrub,
    );
    expect([error.kind, error.reason]).toEqual(['auth', "the token request was refused: invalid_request: Unknown or invalid instance for app '[redacted]'. (AADSTS50049)"]);
  });

  it('keeps every credential and the token out of errors whose provider text repeats them', async () => {
    const azure = provider();
    fake.failNext({ kind: 'echo-credentials', on: 'token' });
    const first = await providerError(azure.connect(GOOD).authorize(APEX));
    expect(first.kind).toBe('auth');
    await azure.connect(GOOD).findZone(APEX); // a token is now cached
    fake.failNext({ kind: 'echo-credentials' });
    const second = await providerError(azure.connect(GOOD).authorize(APEX));
    expect(second.kind).toBe('forbidden');
    const tokens = fake.issuedTokens();
    expect(tokens).toHaveLength(1);
    for (const error of [first, second]) for (const value of [...(Object.values(GOOD) as string[]), ...tokens]) expect(error.message).not.toContain(value);
  });
});
