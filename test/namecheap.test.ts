import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Agent } from 'undici';
import { createHttpAgent } from '../providers/http.js';
import { createNamecheapProvider, type NamecheapZoneState } from '../providers/namecheap.js';
import { ProviderError, type DnsProvider, type DnsRecord, type ProviderCredentials, type RecordChange } from '../providers/types.js';
import { namecheapTtl, seedHosts, startNamecheapFake, type FakeHost, type NamecheapFake, type NamecheapFakeOptions } from './fakes/namecheap-fake.js';
import { LONG_DKIM_TXT, SEED_APEX, seedRecords } from './fakes/seed-zone.js';

const API_KEY = 'nc-key-5f1e9a0b7c3d4e2f8a6b1c0d9e7f2a3b';
const CLIENT_IP = '198.51.100.1';
const CREDENTIALS: ProviderCredentials = { apiKey: API_KEY, apiUser: 'acme-api', username: 'acme-api' };
const CC_APEX = 'example.co.uk';

const fullSeed = () => seedHosts(SEED_APEX, seedRecords({ srv: false }));
/** The same zone under a ccSLD apex and without DMARC (names are relative, so the seed hosts carry over). */
const ccSeed = () => seedHosts(SEED_APEX, seedRecords({ srv: false }).filter((r) => !r.name.startsWith('_dmarc.')), 500);

/** A host without its id: setHosts re-creates every host, so ids are not part of what the adapter controls. */
const wire = ({ HostId: _id, ...rest }: FakeHost) => rest;

let fake: NamecheapFake;
let agent: Agent;
let sleeps: number[];

async function setup(options: NamecheapFakeOptions = {}, deps: { clientIp?: string | undefined; deadlineMs?: number } = {}): Promise<DnsProvider> {
  fake = await startNamecheapFake({
    zones: {
      [SEED_APEX]: { emailType: 'MX', hosts: fullSeed() },
      [CC_APEX]: { emailType: 'MX', hosts: ccSeed() },
      'elsewhere.com': { emailType: 'MX', hosts: [], associated: false },
      'thirdparty.net': { emailType: 'MX', hosts: [], isUsingOurDns: false },
      'forwarded.com': { emailType: 'FWD', hosts: seedHosts('forwarded.com', [{ type: 'A', name: 'forwarded.com', content: '192.0.2.1', ttl: 1800 }]) },
    },
    ...options,
  });
  return createNamecheapProvider({
    baseUrl: fake.baseUrl,
    dispatcher: agent,
    clientIp: 'clientIp' in deps ? deps.clientIp : CLIENT_IP,
    deadlineMs: deps.deadlineMs ?? 30_000,
    // The clock moves only when the adapter "sleeps", so deadline arithmetic is exact and the tests never wait.
    sleep: async (ms) => {
      sleeps.push(ms);
      vi.setSystemTime(Date.now() + ms);
    },
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  agent = createHttpAgent({ keepAliveTimeoutMs: 10 });
  sleeps = [];
});

afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
  await agent.close();
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

function expectNoSecret(error: ProviderError): void {
  expect(error.reason).not.toContain(API_KEY);
  expect(error.message).not.toContain(API_KEY);
}

describe('authorize and findZone', () => {
  it('proves read access with one getHosts call split by the public suffix list', async () => {
    const provider = await setup();
    const zone = await provider.connect(CREDENTIALS).authorize('mail.example.co.uk');
    expect(zone).toEqual({ name: CC_APEX, id: CC_APEX });
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      method: 'POST',
      contentType: 'application/x-www-form-urlencoded',
      command: 'namecheap.domains.dns.gethosts',
      params: { sld: 'example', tld: 'co.uk', clientip: CLIENT_IP, apiuser: 'acme-api', username: 'acme-api' },
    });
  });

  it('finds the zone locally without any call', async () => {
    const provider = await setup();
    await expect(provider.connect(CREDENTIALS).findZone('_dmarc.Example.COM.')).resolves.toEqual({ name: SEED_APEX, id: SEED_APEX });
    expect(fake.calls).toHaveLength(0);
  });

  it('declares its credentials and capabilities as data', async () => {
    const provider = await setup();
    expect(provider.requiredCredentials).toEqual(['apiUser', 'username']);
    expect(provider.capabilities.recordTypes.has('SRV')).toBe(false);
    expect(provider.capabilities).toMatchObject({ minTtl: 60, maxTtl: 60000, atomicApply: true });
  });

  it.each([
    ['a wrong key', { apiKey: 'wrong-key-aaaaaaaaaaaaaaaaaaaaaaaa' }, SEED_APEX, 'auth', 'the API key is invalid or API access has not been enabled'],
    ['an unknown domain', {}, 'unknown-domain.com', 'not_found', 'the domain was not found in this Namecheap account'],
    ['a domain of another account', {}, 'elsewhere.com', 'not_found', 'the domain is not associated with this Namecheap account'],
    ['a domain not on Namecheap DNS', {}, 'thirdparty.net', 'rejected', 'the domain is not using Namecheap DNS servers'],
  ] as const)('maps %s to %s', async (_what, override, domain, kind, reason) => {
    const provider = await setup();
    const error = await failure(provider.connect({ ...CREDENTIALS, ...override }).authorize(domain));
    expect(error).toMatchObject({ provider: 'namecheap', kind, reason });
    expectNoSecret(error);
    expect(error.reason).not.toContain('wrong-key');
    expect(fake.calls).toHaveLength(1);
  });

  it('reports a non-whitelisted server IP as forbidden without echoing the key', async () => {
    const provider = await setup({}, { clientIp: '203.0.113.99' });
    const error = await failure(provider.connect(CREDENTIALS).authorize(SEED_APEX));
    expect(error.kind).toBe('forbidden');
    expect(error.reason).toBe("this server's IP address is not whitelisted for API access");
    expectNoSecret(error);
  });

  it('refuses to call without a configured client IP', async () => {
    const provider = await setup({}, { clientIp: undefined });
    const error = await failure(provider.connect(CREDENTIALS).authorize(SEED_APEX));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('NAMECHEAP_CLIENT_IP is not configured');
    expect(fake.calls).toHaveLength(0);
  });

  it('scrubs the key from provider text that echoes it', async () => {
    const provider = await setup();
    fake.failNext({ kind: 'error', number: '2011280', text: `Invalid value for ApiKey ${API_KEY}` });
    const error = await failure(provider.connect(CREDENTIALS).authorize(SEED_APEX));
    expect(error.kind).toBe('rejected');
    expect(error.reason).toContain('2011280');
    expect(error.reason).toContain('[redacted]');
    expectNoSecret(error);
  });
});

describe('readZone', () => {
  it('returns every seed record normalised, the raw hosts and EmailType', async () => {
    const provider = await setup();
    const contents = await provider.connect(CREDENTIALS).readZone({ name: SEED_APEX, id: SEED_APEX });
    const neutral = (r: { type: string; name: string; content: string; ttl: number; priority?: number | undefined }) =>
      JSON.stringify([r.type, r.name, r.content, r.ttl, r.priority ?? null]);
    const seed = seedRecords({ srv: false }).map((r) => ({ ...r, ttl: namecheapTtl(r.ttl) }));
    expect(seed.some((r) => r.type === 'NS' && r.ttl === 60000)).toBe(true);
    expect(contents.records.map(neutral).sort()).toEqual(seed.map(neutral).sort());
    const hosts = fake.state.zones.get(SEED_APEX)!.hosts;
    expect(contents.records.map((r) => r.raw)).toEqual(hosts);
    expect(contents.records.map((r) => r.id)).toEqual(hosts.map((h) => h.HostId));
    const state = contents.adapterState as NamecheapZoneState;
    expect(state.emailType).toBe('MX');
    expect(state.hosts).toEqual(hosts);
    expect(fake.calls).toHaveLength(1);
  });

  it('reads the doc-style <Host> tag and normalises names and targets', async () => {
    const hosts: FakeHost[] = [
      { HostId: '1', Name: 'WWW', Type: 'CNAME', Address: 'Target.Example.NET.', MXPref: '10', TTL: '1799', AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false' },
      { HostId: '2', Name: '@', Type: 'MX', Address: 'MX.Example.net.', MXPref: '5', TTL: '60', AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false' },
      { HostId: '3', Name: '@', Type: 'TXT', Address: ' a "quoted" & <odd> value ', MXPref: '10', TTL: '60', AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false' },
    ];
    const provider = await setup({ hostTag: 'Host', zones: { [SEED_APEX]: { emailType: 'MX', hosts } } });
    const { records } = await provider.connect(CREDENTIALS).readZone({ name: SEED_APEX, id: SEED_APEX });
    expect(records.map(({ raw: _raw, id: _id, ...r }) => r)).toEqual([
      { type: 'CNAME', name: 'www.example.com', content: 'target.example.net', ttl: 1799, priority: undefined },
      { type: 'MX', name: 'example.com', content: 'mx.example.net', ttl: 60, priority: 5 },
      { type: 'TXT', name: 'example.com', content: ' a "quoted" & <odd> value ', ttl: 60, priority: undefined },
    ]);
    expect(records.map((r) => r.raw)).toEqual(hosts);
  });

  it('retries the 405 rate limit after 5 s and succeeds', async () => {
    const provider = await setup();
    fake.failNext({ kind: 'rate_limit' });
    const contents = await provider.connect(CREDENTIALS).readZone({ name: SEED_APEX, id: SEED_APEX });
    expect(contents.records).toHaveLength(seedRecords({ srv: false }).length);
    expect(sleeps).toEqual([5000]);
    expect(fake.calls).toHaveLength(2);
  });

  it('gives up on a lasting rate limit within the deadline', async () => {
    const provider = await setup({}, { deadlineMs: 12_000 });
    fake.setBehaviour({ rateLimited: true });
    const error = await failure(provider.connect(CREDENTIALS).readZone({ name: SEED_APEX, id: SEED_APEX }));
    expect(error.kind).toBe('rate_limited');
    // 0 s, 5 s, 10 s: a fourth attempt would start at 15 s, past the 12 s deadline.
    expect(fake.calls).toHaveLength(3);
    expect(sleeps).toEqual([5000, 5000]);
  });

  it('maps an HTML 5xx to unavailable (retried) and an HTML 200 to protocol (not retried)', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    fake.failNext({ kind: 'http', status: 502, body: '<html><body>Bad Gateway</body></html>' }, 2);
    await expect(session.readZone({ name: SEED_APEX, id: SEED_APEX })).resolves.toBeDefined();
    expect(fake.calls).toHaveLength(3);

    fake.failNext({ kind: 'http', status: 200, body: '<html><body>Maintenance</body></html>' });
    const error = await failure(session.readZone({ name: SEED_APEX, id: SEED_APEX }));
    expect(error.kind).toBe('protocol');
    expect(fake.calls).toHaveLength(4);
  });
});

/** The typical plan: DKIM and return-path CNAMEs, the SPF include merged, DMARC created, a long DKIM TXT. */
function typicalChanges(records: readonly DnsRecord[]): RecordChange[] {
  const spf = records.find((r) => r.type === 'TXT' && r.name === CC_APEX && r.content.startsWith('v=spf1'))!;
  return [
    { action: 'CREATE', record: { type: 'CNAME', name: `key1._domainkey.${CC_APEX}`, content: 'key1.dkim.sender.example.net', ttl: 3600 } },
    { action: 'CREATE', record: { type: 'CNAME', name: `sl.${CC_APEX}`, content: 'return.sender.example.net', ttl: 3600 } },
    {
      action: 'UPDATE',
      before: spf,
      record: { type: 'TXT', name: CC_APEX, content: 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all', ttl: 3600 },
    },
    { action: 'CREATE', record: { type: 'TXT', name: `_dmarc.${CC_APEX}`, content: 'v=DMARC1; p=none; rua=mailto:dmarc+reports@sender.example.net', ttl: 1800 } },
    { action: 'CREATE', record: { type: 'TXT', name: `s2._domainkey.${CC_APEX}`, content: LONG_DKIM_TXT, ttl: 3600 } },
  ];
}

const newHost = (Name: string, Type: string, Address: string, TTL: string) => ({
  Name, Type, Address, MXPref: '10', TTL, AssociatedAppTitle: '', FriendlyName: '', IsActive: 'true', IsDDNSEnabled: 'false',
});

describe('applyChanges', () => {
  it('writes only the typical changes in one setHosts and keeps every other host byte-for-byte', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    const zone = await session.findZone(CC_APEX);
    const before = structuredClone(fake.state.zones.get(CC_APEX)!.hosts);
    const contents = await session.readZone(zone);
    const changes = typicalChanges(contents.records);

    const result = await session.applyChanges(zone, contents, changes);
    expect(result.applied).toEqual(changes);
    expect(fake.calls.map((c) => c.command)).toEqual(['namecheap.domains.dns.gethosts', 'namecheap.domains.dns.sethosts']);
    expect(fake.calls[1]).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded', params: { emailtype: 'MX', sld: 'example', tld: 'co.uk' } });

    const spfId = (changes[2] as { before: DnsRecord }).before.id;
    const spfIndex = before.findIndex((h) => h.HostId === spfId);
    const expected = before.map(wire);
    expected[spfIndex] = newHost('@', 'TXT', 'v=spf1 include:_spf.mailhost.example.net include:spf.sender.example.net ip4:203.0.113.0/24 -all', '3600');
    expected.push(
      newHost('key1._domainkey', 'CNAME', 'key1.dkim.sender.example.net', '3600'),
      newHost('sl', 'CNAME', 'return.sender.example.net', '3600'),
      newHost('_dmarc', 'TXT', 'v=DMARC1; p=none; rua=mailto:dmarc+reports@sender.example.net', '1800'),
      newHost('s2._domainkey', 'TXT', LONG_DKIM_TXT, '3600'),
    );
    const after = fake.state.zones.get(CC_APEX)!;
    expect(after.hosts.map(wire)).toEqual(expected);
    expect(after.hosts.filter((h) => h.Type === 'MX')).toHaveLength(4);
    expect(after.emailType).toBe('MX');
    // The other zones are untouched.
    expect(fake.state.zones.get(SEED_APEX)!.hosts).toEqual(fullSeed());

    await expect(session.applyChanges(zone, contents, [])).resolves.toEqual({ applied: [] });
    expect(fake.calls).toHaveLength(2);
  });

  it('deletes exactly the named records', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    const zone = await session.findZone(SEED_APEX);
    const contents = await session.readZone(zone);
    const gone = [
      contents.records.find((r) => r.type === 'TXT' && r.name === `mail.${SEED_APEX}`)!,
      contents.records.find((r) => r.type === 'A' && r.name === SEED_APEX && r.content === '203.0.113.11')!,
    ];
    const before = fake.state.zones.get(SEED_APEX)!.hosts;
    await session.applyChanges(zone, contents, gone.map((r) => ({ action: 'DELETE', before: r })));
    const goneIds = new Set(gone.map((r) => r.id));
    expect(fake.state.zones.get(SEED_APEX)!.hosts.map(wire)).toEqual(before.filter((h) => !goneIds.has(h.HostId)).map(wire));
    expect(fake.calls).toHaveLength(2);
  });

  it('retries setHosts after a 405: the full host list makes it idempotent', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    const zone = await session.findZone(CC_APEX);
    const contents = await session.readZone(zone);
    fake.failNext({ kind: 'rate_limit' });
    await session.applyChanges(zone, contents, typicalChanges(contents.records));
    expect(fake.calls.map((c) => c.command)).toEqual(['namecheap.domains.dns.gethosts', 'namecheap.domains.dns.sethosts', 'namecheap.domains.dns.sethosts']);
    expect(fake.state.zones.get(CC_APEX)!.hosts).toHaveLength(ccSeed().length + 4);
    expect(sleeps).toEqual([5000]);
  });

  it('refuses invalid changes before any write', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    const zone = await session.findZone(SEED_APEX);
    const contents = await session.readZone(zone);
    const stale: DnsRecord = { type: 'TXT', name: SEED_APEX, content: 'v=spf1 -all', ttl: 3600, id: '999999' };
    const cases: [RecordChange, string][] = [
      [{ action: 'CREATE', record: { type: 'SRV', name: `_sip._tcp.${SEED_APEX}`, content: '10 5060 sip.example.com', ttl: 3600, priority: 10 } }, 'rejected'],
      [{ action: 'CREATE', record: { type: 'TXT', name: SEED_APEX, content: 'x', ttl: 30 } }, 'rejected'],
      [{ action: 'CREATE', record: { type: 'TXT', name: 'example.org', content: 'x', ttl: 300 } }, 'rejected'],
      [{ action: 'UPDATE', before: stale, record: { type: 'TXT', name: SEED_APEX, content: 'v=spf1 ~all', ttl: 3600 } }, 'conflict'],
    ];
    for (const [change, kind] of cases) {
      const error = await failure(session.applyChanges(zone, contents, [change]));
      expect(error.kind).toBe(kind);
    }
    expect(fake.calls).toHaveLength(1);
    expect(fake.state.zones.get(SEED_APEX)!.hosts).toEqual(fullSeed());
  });

  it('sends EmailType as read and refuses an MX write that Namecheap would discard', async () => {
    const provider = await setup();
    const session = provider.connect(CREDENTIALS);
    const zone = await session.findZone('forwarded.com');
    const contents = await session.readZone(zone);
    const mx = { action: 'CREATE', record: { type: 'MX', name: 'forwarded.com', content: 'mx.example.net', ttl: 3600, priority: 10 } } as const;
    expect((await failure(session.applyChanges(zone, contents, [mx]))).kind).toBe('rejected');
    await session.applyChanges(zone, contents, [{ action: 'CREATE', record: { type: 'TXT', name: 'forwarded.com', content: 'v=spf1 -all', ttl: 300 } }]);
    expect(fake.calls.at(-1)?.params['emailtype']).toBe('FWD');
    expect(fake.calls).toHaveLength(2);
  });
});

describe('the fake reproduces the EmailType trap', () => {
  it('drops MX hosts from a setHosts sent without EmailType=MX', async () => {
    await setup();
    const post = (extra: Record<string, string>) =>
      fetch(fake.baseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          ApiUser: 'acme-api', ApiKey: API_KEY, UserName: 'acme-api', ClientIp: CLIENT_IP, Command: 'namecheap.domains.dns.setHosts',
          SLD: 'example', TLD: 'com', HostName1: '@', RecordType1: 'MX', Address1: 'mx.example.net', MXPref1: '10', TTL1: '300',
          HostName2: 'www', RecordType2: 'A', Address2: '192.0.2.1', TTL2: '300', ...extra,
        }),
      }).then((r) => r.text());
    expect(await post({})).toContain('IsSuccess="true"');
    expect(fake.state.zones.get(SEED_APEX)!.hosts.map((h) => h.Type)).toEqual(['A']);
    await post({ EmailType: 'MX' });
    expect(fake.state.zones.get(SEED_APEX)!.hosts.map((h) => h.Type)).toEqual(['MX', 'A']);
  });
});
