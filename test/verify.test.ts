/**
 * dns.verify end to end: the gateway asks a domain's authoritative name servers directly — four real DNS servers on
 * loopback addresses 127.0.0.2–5, one port (DNS_AUTHORITATIVE_PORT) — found through a recursive resolver on
 * 127.0.0.1 that holds the delegation, the name servers' addresses and the platform's own DKIM key. Each test puts
 * the servers in a state (one lags, one times out, one answers SERVFAIL, one truncates UDP answers) and checks what
 * dns.verify reports for every record and every server.
 */
import { generateKeyPairSync } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDnsServer, type FakeDnsServer, type FakeRecord } from './fakes/dns-server.js';
import { DnsStatusDocument } from './graphql/generated/graphql.js';
import { bearer, graphql, MASTER_DOMAIN, postJson, startGateway, type Gateway } from './helpers/gateway.js';

const DOMAIN = 'verified-sender.com';
const SPF_INCLUDE = '_spf.sender-platform.net';
const NS_HOSTS = ['ns1.dnshost.test', 'ns2.dnshost.test', 'ns3.dnshost.test', 'ns4.dnshost.test'];
const NS_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
/** What the authoritative servers are asked within (short, so a hung server costs little). */
const AUTHORITATIVE_TIMEOUT_MS = 400;

const dkimKey = (bits: number) => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
};
const DKIM_2048 = dkimKey(2048);

const soa = (zone: string): FakeRecord => ({ name: zone, type: 'SOA', ttl: 3600, data: { mname: NS_HOSTS[0]!, rname: `hostmaster.${zone}`, serial: 7, minimum: 300 } });
const cname = (name: string, data: string): FakeRecord => ({ name, type: 'CNAME', ttl: 3600, data });
const txt = (name: string, data: string): FakeRecord => ({ name, type: 'TXT', ttl: 3600, data });

/** The domain with the campaign record set live: what dns.set leaves, plus the customer's own records. */
function readyZone(): FakeRecord[] {
  return [
    soa(DOMAIN),
    ...NS_HOSTS.map((h): FakeRecord => ({ name: DOMAIN, type: 'NS', ttl: 3600, data: h })),
    { name: DOMAIN, type: 'A', ttl: 300, data: '203.0.113.10' },
    { name: DOMAIN, type: 'MX', ttl: 3600, data: { preference: 10, exchange: 'mx1.mailhost.example.net' } },
    txt(DOMAIN, `v=spf1 include:_spf.mailhost.example.net include:${SPF_INCLUDE} -all`),
    txt(DOMAIN, 'google-site-verification=abc123'),
    txt(`_dmarc.${DOMAIN}`, 'v=DMARC1; p=reject; rua=mailto:dmarc@verified-sender.com'),
    cname(`sl.${DOMAIN}`, MASTER_DOMAIN),
    cname(`key1._domainkey.sl.${DOMAIN}`, `key1._domainkey.${MASTER_DOMAIN}`),
    cname(`key1._domainkey.${DOMAIN}`, `key1._domainkey.${MASTER_DOMAIN}`),
    cname(`track-sl.${DOMAIN}`, `track.${MASTER_DOMAIN}`),
  ];
}

/** The recursive resolver's data: delegations, name-server addresses, the platform's key and SPF include. */
function recursiveData(zone: FakeRecord[] = readyZone()): FakeRecord[] {
  return [
    ...zone,
    ...NS_HOSTS.map((h, i): FakeRecord => ({ name: h, type: 'A', ttl: 3600, data: NS_ADDRESSES[i]! })),
    soa('no-nameservers.com'),
    txt(`key1._domainkey.${MASTER_DOMAIN}`, DKIM_2048),
    txt(SPF_INCLUDE, 'v=spf1 ip4:198.51.100.0/24 -all'),
    txt('_spf.mailhost.example.net', 'v=spf1 ip4:192.0.2.0/24 -all'),
  ];
}

let recursive: FakeDnsServer;
let authoritative: FakeDnsServer[];
let gw: Gateway;

beforeAll(async () => {
  recursive = await startDnsServer({ records: recursiveData() });
  const first = await startDnsServer({ host: NS_ADDRESSES[0]!, records: readyZone() });
  authoritative = [first];
  for (const host of NS_ADDRESSES.slice(1)) authoritative.push(await startDnsServer({ host, port: first.port, records: readyZone() }));
  gw = await startGateway({
    DNS_RESOLVERS: recursive.address,
    DNS_AUTHORITATIVE_PORT: String(first.port),
    DNS_AUTHORITATIVE_TIMEOUT_MS: String(AUTHORITATIVE_TIMEOUT_MS),
    DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
    MAIL_SPF_INCLUDE: SPF_INCLUDE,
    RATE_LIMIT_MAX: '100000',
  });
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([recursive, ...(authoritative ?? [])].map((s) => s?.close()));
});

beforeEach(() => {
  recursive.set(recursiveData());
  recursive.queries.length = 0;
  for (const server of authoritative) {
    server.clear();
    server.set(readyZone());
    server.delayMs = 0;
    server.truncateUdp = false;
    server.servfailAll = false;
    server.refusedAll = false;
  }
});

const verify = (domain = DOMAIN, recordType = 'campaign') => postJson(gw, '/api/v1/dns.verify', { Domain: domain, RecordType: recordType }, bearer(gw.adminKey));

interface ServerView {
  server: string;
  address: string;
  result: string;
  answers: string[];
  error: string | null;
}
interface RecordView {
  type: string;
  name: string;
  expected: string;
  status: string;
  servers: ServerView[];
  recursive: ServerView;
}
const record = (body: { records: RecordView[] }, name: string) => body.records.find((r) => r.name === name)!;
const statuses = (body: { records: RecordView[] }) => Object.fromEntries(body.records.map((r) => [r.name, r.status]));

describe('dns.verify', () => {
  it('a ready domain: every record LIVE on every server, every check passing, in the platform shape and the detail', async () => {
    const res = await verify();
    expect(res.status, res.text).toBe(200);
    expect(res.json.ready).toBe(true);
    expect(res.json.DNSVerificationResults).toEqual({
      [`sl.${DOMAIN}`]: ['CNAME', MASTER_DOMAIN, true],
      [`key1._domainkey.sl.${DOMAIN}`]: ['CNAME', `key1._domainkey.${MASTER_DOMAIN}`, true],
      [`key1._domainkey.${DOMAIN}`]: ['CNAME', `key1._domainkey.${MASTER_DOMAIN}`, true],
      [`track-sl.${DOMAIN}`]: ['CNAME', `track.${MASTER_DOMAIN}`, true],
      [DOMAIN]: ['TXT', `include:${SPF_INCLUDE}`, true],
      [`_dmarc.${DOMAIN}`]: ['TXT', 'v=DMARC1; p=none', true],
    });
    for (const r of res.json.records as RecordView[]) {
      expect(r.servers.map((s) => [s.server, s.address, s.result])).toEqual(NS_HOSTS.map((h, i) => [h, NS_ADDRESSES[i], 'match']));
      expect(r.recursive.result, r.name).toBe('match');
    }
    expect(res.json.checks.nameservers.ok).toBe(true);
    expect(res.json.checks.spf).toMatchObject({ ok: true, records: 1, include: true, lookups: 2, voidLookups: 0, problem: null });
    expect(res.json.checks.dmarc).toEqual({ ok: true, record: 'v=DMARC1; p=reject; rua=mailto:dmarc@verified-sender.com', policy: 'reject', problem: null });
    expect(res.json.checks.dkim).toEqual([
      { name: `key1._domainkey.sl.${DOMAIN}`, target: `key1._domainkey.${MASTER_DOMAIN}`, ok: true, bits: 2048, problem: null },
      { name: `key1._domainkey.${DOMAIN}`, target: `key1._domainkey.${MASTER_DOMAIN}`, ok: true, bits: 2048, problem: null },
    ]);
    // Every authoritative server was asked directly, without asking for recursion; the resolvers, with it.
    for (const server of authoritative) {
      expect(server.queries.length).toBeGreaterThan(0);
      expect(server.queries.every((q) => !q.recursionDesired)).toBe(true);
    }
    expect(recursive.queries.length).toBeGreaterThan(0);
    expect(recursive.queries.every((q) => q.recursionDesired)).toBe(true);
  });

  it('one server lags behind: its records are PROPAGATING, with that server named', async () => {
    const lagging = readyZone().filter((r) => r.name !== `track-sl.${DOMAIN}` && !(r.type === 'TXT' && r.name === DOMAIN && String(r.data).startsWith('v=spf1')));
    lagging.push(txt(DOMAIN, 'v=spf1 include:_spf.mailhost.example.net -all'));
    authoritative[1]!.set(lagging);
    const res = await verify();
    expect(res.json.ready).toBe(false);
    expect(statuses(res.json)).toMatchObject({ [`track-sl.${DOMAIN}`]: 'PROPAGATING', [DOMAIN]: 'PROPAGATING', [`sl.${DOMAIN}`]: 'LIVE' });
    const track = record(res.json, `track-sl.${DOMAIN}`);
    expect(track.servers.map((s) => s.result)).toEqual(['match', 'missing', 'match', 'match']);
    const spf = record(res.json, DOMAIN);
    expect(spf.servers[1]).toMatchObject({ server: NS_HOSTS[1], result: 'other', answers: expect.arrayContaining(['v=spf1 include:_spf.mailhost.example.net -all']) });
    expect(res.json.DNSVerificationResults[`track-sl.${DOMAIN}`]).toEqual(['CNAME', `track.${MASTER_DOMAIN}`, false]);
    // The lagging server's view fails the SPF check: one server must not be hidden by the others.
    expect(res.json.checks.spf).toMatchObject({ ok: false, include: false });
  });

  it('one server times out: the others decide each record, the timeout is reported, and the domain is not ready', async () => {
    authoritative[2]!.delayMs = AUTHORITATIVE_TIMEOUT_MS * 4;
    const res = await verify();
    expect(res.status).toBe(200);
    for (const r of res.json.records as RecordView[]) {
      expect(r.status, r.name).toBe('LIVE');
      expect(r.servers[2]).toMatchObject({ server: NS_HOSTS[2], result: 'error' });
      expect(r.servers[2]!.error).toMatch(/^timeout/);
    }
    expect(res.json.checks.nameservers.ok).toBe(false);
    expect(res.json.checks.nameservers.servers[2]).toMatchObject({ host: NS_HOSTS[2], ok: false });
    expect(res.json.ready).toBe(false);
  });

  it('one server answers SERVFAIL: reported as such for that server', async () => {
    authoritative[3]!.servfailAll = true;
    const res = await verify();
    for (const r of res.json.records as RecordView[]) expect(r.servers[3]).toMatchObject({ server: NS_HOSTS[3], result: 'error', error: expect.stringMatching(/^servfail/) });
    expect(res.json.checks.nameservers.servers.map((s: { ok: boolean }) => s.ok)).toEqual([true, true, true, false]);
    expect(res.json.ready).toBe(false);
  });

  it('one server truncates its UDP answers: asked again over TCP, and its answers count', async () => {
    authoritative[0]!.truncateUdp = true;
    const res = await verify();
    expect(res.json.ready).toBe(true);
    const transports = new Set(authoritative[0]!.queries.map((q) => q.transport));
    expect(transports).toEqual(new Set(['udp', 'tcp']));
    expect(authoritative[1]!.queries.every((q) => q.transport === 'udp')).toBe(true);
  });

  it('the recursive view never masks the authoritative one: cached records do not make a missing record LIVE', async () => {
    for (const server of authoritative) server.set(readyZone().filter((r) => r.name !== `track-sl.${DOMAIN}`));
    const res = await verify();
    const track = record(res.json, `track-sl.${DOMAIN}`);
    expect(track.status).toBe('MISSING');
    expect(track.servers.every((s) => s.result === 'missing')).toBe(true);
    expect(track.recursive).toMatchObject({ server: 'recursive', result: 'match' });
    expect(res.json.ready).toBe(false);
  });

  it('WRONG: a CNAME to another target, a second SPF record, a DMARC record without p=', async () => {
    const zone = readyZone()
      .filter((r) => r.name !== `sl.${DOMAIN}` && r.name !== `_dmarc.${DOMAIN}`)
      .concat(cname(`sl.${DOMAIN}`, 'bounces.other-esp.example'), txt(DOMAIN, 'v=spf1 a -all'), txt(`_dmarc.${DOMAIN}`, 'v=DMARC1; rua=mailto:x@verified-sender.com'));
    for (const server of authoritative) server.set(zone);
    const res = await verify();
    expect(statuses(res.json)).toMatchObject({ [`sl.${DOMAIN}`]: 'WRONG', [DOMAIN]: 'WRONG', [`_dmarc.${DOMAIN}`]: 'WRONG' });
    expect(record(res.json, `sl.${DOMAIN}`).servers[0]!.answers).toEqual(['bounces.other-esp.example']);
    expect(res.json.checks.spf).toMatchObject({ ok: false, records: 2 });
    expect(res.json.checks.spf.problem).toMatch(/2 SPF records/);
    expect(res.json.checks.dmarc).toMatchObject({ ok: false, policy: null, problem: 'the DMARC record has no p= policy' });
    expect(res.json.ready).toBe(false);
  });

  it('a DKIM key under 1024 bits fails its check, with its size', async () => {
    recursive.set(recursiveData().map((r) => (r.name === `key1._domainkey.${MASTER_DOMAIN}` ? txt(r.name, dkimKey(512)) : r)));
    const res = await verify();
    expect(res.json.checks.dkim[0]).toMatchObject({ ok: false, bits: 512 });
    expect(res.json.checks.dkim[0].problem).toMatch(/512 bits/);
    expect(res.json.ready).toBe(false);
  });

  it('one server answers REFUSED: reported as such for that server, the others decide each record', async () => {
    authoritative[1]!.refusedAll = true;
    const res = await verify();
    expect(res.status, res.text).toBe(200);
    for (const r of res.json.records as RecordView[]) {
      expect(r.status, r.name).toBe('LIVE');
      expect(r.servers[1]).toMatchObject({ server: NS_HOSTS[1], result: 'error', error: expect.stringMatching(/^refused/) });
    }
    expect(res.json.checks.nameservers.servers.map((s: { ok: boolean }) => s.ok)).toEqual([true, false, true, true]);
    expect(res.json.ready).toBe(false);
  });

  it('servers that each fail a different question still decide every record between them: not code 10', async () => {
    const failing = [`sl.${DOMAIN}`, `track-sl.${DOMAIN}`, `_dmarc.${DOMAIN}`, DOMAIN];
    authoritative.forEach((server, i) => server.failWithServfail(failing[i]!));
    const res = await verify();
    expect(res.status, res.text).toBe(200);
    for (const r of res.json.records as RecordView[]) {
      expect(r.status, r.name).toBe('LIVE');
      const failed = failing.indexOf(r.name);
      expect(r.servers.map((s) => s.result)).toEqual(NS_ADDRESSES.map((_, i) => (i === failed ? 'error' : 'match')));
    }
    expect(res.json.checks.nameservers.servers.map((s: { ok: boolean; error: string }) => [s.ok, s.error.slice(0, 8)])).toEqual(NS_ADDRESSES.map(() => [false, 'servfail']));
    expect(res.json.ready).toBe(false);
  });

  it('code 10 names each server and its reason: a timeout, SERVFAIL, REFUSED', async () => {
    authoritative[0]!.delayMs = AUTHORITATIVE_TIMEOUT_MS * 4;
    authoritative[1]!.servfailAll = true;
    authoritative[2]!.refusedAll = true;
    authoritative[3]!.refusedAll = true;
    const res = await verify();
    expect(res.json.Errors, res.text).toHaveLength(1);
    expect(res.json.Errors[0].Code).toBe(10);
    expect(res.json.Errors[0].Message).toMatch(
      /^No authoritative name server of this domain answered: ns1\.dnshost\.test \(127\.0\.0\.2\) timeout.*; ns2\.dnshost\.test \(127\.0\.0\.3\) servfail.*; ns3\.dnshost\.test \(127\.0\.0\.4\) refused.*; ns4\.dnshost\.test \(127\.0\.0\.5\) refused/,
    );
  });

  it('SPF over RFC 7208 limits fails its check with the count: 11 DNS lookups; 3 void lookups. DMARC p=none passes', async () => {
    const withSpf = (record: string) =>
      readyZone()
        .filter((r) => !(r.type === 'TXT' && String(r.data).startsWith('v=')))
        .concat(txt(DOMAIN, record), txt(`_dmarc.${DOMAIN}`, 'v=DMARC1; p=none'));
    const nine = Array.from({ length: 9 }, (_, i) => `i${i}.mailhost.example.net`);
    recursive.set(recursiveData().concat(nine.map((name) => txt(name, 'v=spf1 ip4:192.0.2.1 -all'))));

    for (const server of authoritative) server.set(withSpf(`v=spf1 include:_spf.mailhost.example.net ${nine.map((n) => `include:${n}`).join(' ')} include:${SPF_INCLUDE} -all`));
    const over = await verify();
    expect(record(over.json, DOMAIN).status).toBe('LIVE');
    expect(over.json.checks.spf).toMatchObject({ ok: false, records: 1, include: true, lookups: 11, voidLookups: 0 });
    expect(over.json.checks.spf.problem).toMatch(/11 DNS lookups \(RFC 7208 allows 10\)/);
    expect(over.json.checks.dmarc).toEqual({ ok: true, record: 'v=DMARC1; p=none', policy: 'none', problem: null });
    expect(over.json.ready).toBe(false);

    for (const server of authoritative) server.set(withSpf(`v=spf1 include:g1.mailhost.example.net include:g2.mailhost.example.net include:g3.mailhost.example.net include:${SPF_INCLUDE} -all`));
    const voids = await verify();
    expect(voids.json.checks.spf).toMatchObject({ ok: false, include: true, voidLookups: 3 });
    expect(voids.json.checks.spf.problem).toMatch(/3 void lookups \(RFC 7208 allows 2\)/);
    expect(voids.json.ready).toBe(false);

    // Within the limits (10 lookups), the same domain is ready.
    for (const server of authoritative) server.set(withSpf(`v=spf1 include:_spf.mailhost.example.net ${nine.slice(1).map((n) => `include:${n}`).join(' ')} include:${SPF_INCLUDE} -all`));
    const within = await verify();
    expect(within.json.checks.spf).toMatchObject({ ok: true, lookups: 10, voidLookups: 0, problem: null });
    expect(within.json.ready, JSON.stringify(within.json.checks)).toBe(true);
  });

  it('code 10 when every authoritative server fails; code 2 when the domain has no name servers', async () => {
    for (const server of authoritative) server.servfailAll = true;
    const failed = await verify();
    expect(failed.json.Errors[0].Code, failed.text).toBe(10);
    expect(failed.json.Errors[0].Message).toMatch(/^No authoritative name server of this domain answered: ns1\.dnshost\.test \(127\.0\.0\.2\) servfail/);
    const none = await verify('no-nameservers.com');
    expect(none.json.Errors, none.text).toEqual([{ Code: 2, Message: 'Unable to find the authoritative name servers of this domain: no-nameservers.com has no NS records' }]);
  });

  it('bad input gets codes 1 and 4 and sends no DNS query', async () => {
    for (const [domain, recordType, code] of [
      ['', 'campaign', 1],
      ['192.0.2.1', 'campaign', 1],
      ['localhost', 'campaign', 1],
      [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(40)}.com`, 'campaign', 1],
      [DOMAIN, 'newsletter', 4],
      [DOMAIN, '', 4],
    ] as const) {
      const res = await verify(domain, recordType);
      expect(res.json.Errors?.[0]?.Code, `${domain.slice(0, 20)} ${recordType}: ${res.text}`).toBe(code);
    }
    expect(recursive.queries).toEqual([]);
    for (const server of authoritative) expect(server.queries).toEqual([]);
  });

  it('needs the User.Update permission and is rate-limited like every command; a refused call sends no DNS query', async () => {
    const readOnly = await gw.createKey({ permissions: ['Dns.Read'] });
    const refused = await postJson(gw, '/api/v1/dns.verify', { Domain: DOMAIN, RecordType: 'campaign' }, bearer(readOnly));
    expect(refused.status, refused.text).toBe(403);
    expect((await postJson(gw, '/api/v1/dns.verify', { Domain: DOMAIN, RecordType: 'campaign' })).status).toBe(401);
    expect(recursive.queries).toEqual([]);
    for (const server of authoritative) expect(server.queries).toEqual([]);

    const limited = await startGateway({
      DNS_RESOLVERS: recursive.address,
      DNS_AUTHORITATIVE_PORT: String(authoritative[0]!.port),
      DNS_AUTHORITATIVE_ALLOW_PRIVATE: 'true',
      MAIL_SPF_INCLUDE: SPF_INCLUDE,
      RATE_LIMIT_MAX: '2',
    });
    try {
      const call = () => postJson(limited, '/api/v1/dns.verify', { Domain: DOMAIN, RecordType: 'campaign' }, bearer(limited.adminKey));
      expect((await call()).json.ready).toBe(true);
      expect((await call()).json.ready).toBe(true);
      const asked = authoritative.map((server) => server.queries.length);
      const over = await call();
      expect(over.status, over.text).toBe(429);
      expect(over.json.Errors).toEqual([{ Code: 429, Message: 'Rate limit exceeded' }]);
      expect(authoritative.map((server) => server.queries.length)).toEqual(asked);
    } finally {
      await limited.close();
    }
  });

  it('refuses name servers whose addresses are not public unless the operator allows them', async () => {
    const strict = await startGateway({ DNS_RESOLVERS: recursive.address, DNS_AUTHORITATIVE_PORT: String(authoritative[0]!.port), MAIL_SPF_INCLUDE: SPF_INCLUDE });
    try {
      const res = await postJson(strict, '/api/v1/dns.verify', { Domain: DOMAIN, RecordType: 'campaign' }, bearer(strict.adminKey));
      expect(res.json.Errors?.[0]?.Code, res.text).toBe(2);
      expect(res.json.Errors[0].Message).toMatch(/resolve only to addresses that are not public: ns1\.dnshost\.test \(127\.0\.0\.2\)/);
      for (const server of authoritative) expect(server.queries).toEqual([]);
    } finally {
      await strict.close();
    }
  });

  it('GraphQL dnsStatus answers the same verification', async () => {
    authoritative[1]!.set(readyZone().filter((r) => r.name !== `sl.${DOMAIN}`));
    const res = await graphql(gw, print(DnsStatusDocument), { domain: DOMAIN, recordType: 'CAMPAIGN' }, gw.adminKey);
    expect(res.json.errors, res.text).toBeUndefined();
    const status = res.json.data.dnsStatus;
    expect(status).toMatchObject({ __typename: 'DnsStatus', domain: DOMAIN, recordType: 'CAMPAIGN', ready: false });
    expect(status.records.find((r: RecordView) => r.name === `sl.${DOMAIN}`)).toMatchObject({ status: 'PROPAGATING' });
    expect(status.checks.dkim[0]).toMatchObject({ ok: true, bits: 2048 });
    const bad = await graphql(gw, print(DnsStatusDocument), { domain: 'localhost', recordType: 'CAMPAIGN' }, gw.adminKey);
    expect(bad.json.data.dnsStatus).toMatchObject({ __typename: 'DnsError', code: 1 });
  });
});
